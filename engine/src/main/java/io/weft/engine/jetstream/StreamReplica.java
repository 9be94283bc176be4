package io.weft.engine.jetstream;

import io.weft.engine.protocol.Headers;
import io.weft.store.MessageStore;
import io.weft.store.StoreState;
import io.weft.store.StoredMessage;
import io.weft.store.SubjectState;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * One replica's copy of a stream, for a replicated log (the seam a Raft group plugs into): the same
 * {@link PublishRules#decide} and {@link StreamApply} a local {@link Stream} uses, over the replica's
 * own store. The leader decides against the applied state <em>plus</em> the appends it decided but
 * that are not applied yet ({@link #decide} records each as pending; {@link #apply} of the same
 * sequence retires it), so the next sequence, the last message id, the duplicate window and the
 * {@code Nats-Expected-*} checks see every op the leader logged. Every replica applies the
 * committed ops through {@link #apply}, in log order. {@link #image} and {@link #restore} carry the
 * applied state in and out of a snapshot. Not thread-safe: the log holds its lock around every call.
 *
 * <p>The configuration is the replica's applied one ({@link #config}, read per call, never captured):
 * the one it was opened with (revision 0) until a {@link StreamOp.Config} of a newer meta revision is
 * applied, at the same log point on every replica; a snapshot image carries it. The leader decides
 * with the newest configuration it logged ({@link #configProposed}), applied or not yet.
 *
 * <p>Not covered yet (a local stream's features the replicated path does not carry): account
 * storage limits, and the discard-new counts of pending appends (counted as if no limit removed
 * anything, so a full stream may refuse early while appends are in flight).
 */
public final class StreamReplica {
    /** Opens the replica's store: an empty one after {@link #restore} destroyed the old. */
    public interface StoreOpener {
        MessageStore open() throws IOException;
    }

    /** What {@link #decide} answers. */
    public sealed interface Decided permits Accepted, AcceptedBatch, Duplicate, Rejected {
    }

    /**
     * To log: the append the leader decided (now pending); {@code subjectLastSeq}, when the stream
     * republishes, the sequence of the subject's last message before it (pending ones counted; 0: none).
     */
    public record Accepted(StreamOp.Append op, long subjectLastSeq) implements Decided {
    }

    /** To log: the atomic batch the leader decided (its appends now pending); {@code subjectLastSeqs} as {@link Accepted}'s, one per append. */
    public record AcceptedBatch(StreamOp.Batch op, List<Long> subjectLastSeqs) implements Decided {
        public AcceptedBatch {
            subjectLastSeqs = List.copyOf(subjectLastSeqs);
        }
    }

    /** One message of an atomic batch, as published. */
    public record BatchMsg(String subject, byte[] hdr, byte[] data) {
    }

    /** Already stored (or pending, if {@code pending}) at {@code seq}: the same message id inside the duplicate window. */
    public record Duplicate(long seq, boolean pending) implements Decided {
    }

    /** Not stored, for {@code error}. */
    public record Rejected(JsApiError error) implements Decided {
    }

    /**
     * A consumer as every replica of a replicated stream keeps it: its {@code meta} (config JSON and
     * creation time) and its last committed {@code state} ({@link StreamOp.ConsumerPut}).
     */
    public record ConsumerRecord(String name, byte[] meta, byte[] state) {
    }

    /**
     * The applied state of a replica, as a snapshot carries it: messages, derived state, consumers
     * (by name) and the configuration with its meta revision ({@code config} null: the one the
     * replica was opened with, as images written before configurations were replicated).
     */
    public record Image(long firstSeq, long lastSeq, String lastMsgId, long lastTimestamp,
                        List<Map.Entry<String, long[]>> ids, List<StoredMessage> messages, List<ConsumerRecord> consumers,
                        long configRevision, StreamConfig config) {
        public Image {
            consumers = List.copyOf(consumers);
        }

        /** An image without a configuration. */
        public Image(long firstSeq, long lastSeq, String lastMsgId, long lastTimestamp,
                     List<Map.Entry<String, long[]>> ids, List<StoredMessage> messages, List<ConsumerRecord> consumers) {
            this(firstSeq, lastSeq, lastMsgId, lastTimestamp, ids, messages, consumers, 0, null);
        }

        /** An image without consumers (as snapshots written before consumers were replicated). */
        public Image(long firstSeq, long lastSeq, String lastMsgId, long lastTimestamp,
                     List<Map.Entry<String, long[]>> ids, List<StoredMessage> messages) {
            this(firstSeq, lastSeq, lastMsgId, lastTimestamp, ids, messages, List.of());
        }

        public static Image empty() {
            return new Image(1, 0, "", 0, List.of(), List.of());
        }
    }

    private static final String GAP_SUBJECT = "_weft.gap";

    private final String name;
    /** The applied configuration (replaced by a {@link StreamOp.Config}; volatile: the stream reads it unlocked). */
    private volatile StreamConfig config;
    /** Its meta revision. */
    private volatile long configRevision;
    /** The configuration the replica was opened with (what an image without one restores). */
    private final StreamConfig opened;
    /** The leader's newest logged and not yet applied configuration, or null. */
    private StreamOp.Config proposedConfig;
    private final StoreOpener opener;
    private final Consumer<String> errors;
    private MessageStore store;
    private StreamApply apply;
    private final ArrayDeque<StreamOp.Append> pending = new ArrayDeque<>();
    /** The stream's consumers by name, as the committed consumer ops left them. */
    private final java.util.TreeMap<String, ConsumerRecord> consumers = new java.util.TreeMap<>();

    public StreamReplica(String name, StreamConfig config, StoreOpener opener, Consumer<String> errors) throws IOException {
        this.name = name;
        this.config = config;
        this.opened = config;
        this.opener = opener;
        this.errors = errors;
        this.store = opener.open();
        this.apply = new StreamApply(store, errors);
    }

    public String name() {
        return name;
    }

    /** Whether some consumer would deliver a subject (interest retention), as the leader's stream sees it; until set, every subject has interest. */
    private java.util.function.Predicate<String> interest = subject -> true;

    /**
     * Sets how the leader decides interest retention's "no interest" removal of a published message
     * (asked under the log's lock, as {@link #decide} runs): the decision is in the op, so every
     * replica removes the same messages.
     */
    public void interest(java.util.function.Predicate<String> interest) {
        this.interest = interest;
    }

    /** The applied configuration. */
    public StreamConfig config() {
        return config;
    }

    /** The meta revision of the applied configuration (0: the one the replica was opened with). */
    public long configRevision() {
        return configRevision;
    }

    /**
     * The leader logged {@code op} (not applied yet): it decides with that configuration from now
     * on, so what it decides after the op is logged is decided by the limits the op sets.
     */
    public void configProposed(StreamOp.Config op) {
        proposedConfig = op;
    }

    /** The newest revision logged or applied here. */
    public long proposedRevision() {
        StreamOp.Config p = proposedConfig;
        return p != null && p.revision() > configRevision ? p.revision() : configRevision;
    }

    /** What the leader decides with: the newest configuration it logged, else the applied one. */
    private StreamConfig deciding() {
        StreamOp.Config p = proposedConfig;
        return p != null && p.revision() > configRevision ? p.config() : config;
    }

    // ------------------------------------------------------------------ the leader's decision

    /** Decides a published message at wall time {@code nowNanos}; an accepted append becomes pending. */
    public Decided decide(String subject, byte[] hdr, byte[] data, long nowNanos) {
        return decide(subject, hdr, data, nowNanos, false);
    }

    /** {@link #decide}; {@code scheduled}: the message a message schedule published (its schedule headers are the server's). */
    public Decided decide(String subject, byte[] hdr, byte[] data, long nowNanos, boolean scheduled) {
        Headers h = null;
        if (hdr.length > 0) {
            try {
                h = Headers.parse(hdr);
            } catch (RuntimeException e) {
                h = null;
            }
        }
        Pending view = new Pending(nowNanos);
        PublishRules.Decision d = PublishRules.decide(new PublishRules.Request(subject, h, hdr, data, scheduled), view);
        return switch (d) {
            case StreamOp.Append op -> {
                long prev = config.republish() == null ? 0 : lastSeqOf(view, op.subject());
                pending.addLast(op);
                yield new Accepted(op, prev);
            }
            case PublishRules.Duplicate dup -> new Duplicate(dup.seq(), isPending(dup.seq()));
            case PublishRules.Reject r -> new Rejected(r.error());
        };
    }

    /** Decides the commit of atomic batch {@code id} at wall time {@code nowNanos}: all of it or none; accepted appends become pending. */
    public Decided decideBatch(String id, List<BatchMsg> msgs, long nowNanos) {
        List<PublishRules.Request> reqs = new ArrayList<>(msgs.size());
        for (BatchMsg m : msgs) {
            Headers h = null;
            if (m.hdr().length > 0) {
                try {
                    h = Headers.parse(m.hdr());
                } catch (RuntimeException e) {
                    h = null;
                }
            }
            reqs.add(new PublishRules.Request(m.subject(), h, m.hdr(), m.data()));
        }
        Pending view = new Pending(nowNanos);
        return switch (PublishRules.decideBatch(id, reqs, view)) {
            case StreamOp.Batch b -> {
                List<Long> prevs = new ArrayList<>(b.appends().size());
                java.util.HashMap<String, Long> inBatch = new java.util.HashMap<>();
                for (StreamOp.Append a : b.appends()) {
                    Long prev = inBatch.get(a.subject());
                    prevs.add(config.republish() == null ? 0 : prev != null ? prev : lastSeqOf(view, a.subject()));
                    inBatch.put(a.subject(), a.seq());
                }
                pending.addAll(b.appends());
                yield new AcceptedBatch(b, prevs);
            }
            case PublishRules.Reject r -> new Rejected(r.error());
        };
    }

    /**
     * Decides a subject delete marker on {@code subject} (the leader's max_age or TTL expiry of the
     * subject's last message): an append at the next sequence, after every pending one, with the
     * marker's headers ({@code Nats-Rollup: sub} among them, so its rollup removes the expired
     * message), not subject to the publish rules (nats-server stores its markers whatever the
     * stream's rollup and TTL settings). Null, deciding nothing, when an append to {@code subject}
     * is pending: the marker's rollup would remove that newer message, so the caller deletes the
     * expired one instead.
     */
    public StreamOp.Append decideMarker(String subject, byte[] hdr, long ttlNanos, long nowNanos, boolean noInterest) {
        for (StreamOp.Append a : pending) {
            if (a.subject().equals(subject)) {
                return null;
            }
        }
        Pending view = new Pending(nowNanos);
        long ts = Math.max(nowNanos, view.lastTimestamp() + 1);
        StreamConfig cfg = deciding();
        StreamOp.Append op = new StreamOp.Append(view.state().lastSeq() + 1, ts, subject, hdr, new byte[0], "",
                cfg.duplicateWindow(), StreamOp.Rollup.SUBJECT, StreamOp.Limits.of(cfg), noInterest, ttlNanos);
        pending.addLast(op);
        return op;
    }

    private static long lastSeqOf(Pending view, String subject) {
        SubjectState ss = view.subjectState(subject);
        return ss == null ? 0 : ss.lastSeq();
    }

    private boolean isPending(long seq) {
        for (StreamOp.Append a : pending) {
            if (a.seq() == seq) {
                return true;
            }
        }
        return false;
    }

    /** Appends decided and not applied yet. */
    public int pendingCount() {
        return pending.size();
    }

    /** Forgets the pending appends (leadership changed: what was not applied is decided again, or lost). */
    public void clearPending() {
        pending.clear();
        proposedConfig = null;
    }

    /** The config {@link #transformer} was built from (the transformer is rebuilt when the config is another). */
    private StreamConfig transformFor;
    private SubjectTransformer transformer;

    /**
     * The subject {@code subject} is stored under ({@code subject_transform}): the leader maps it
     * before logging, so every replica stores the append's subject as the leader decided it.
     */
    private String transformed(String subject) {
        StreamConfig c = deciding();
        if (c.subjectTransform() == null) {
            return subject;
        }
        if (transformFor != c) {
            transformer = SubjectTransformer.of(c.subjectTransform().src(), c.subjectTransform().dest());
            transformFor = c;
        }
        String mapped = transformer.apply(subject);
        return mapped == null ? subject : mapped;
    }

    /** The view of {@link PublishRules}: the applied state with the pending appends on top. */
    private final class Pending implements PublishRules.View {
        private final long now;

        Pending(long now) {
            this.now = now;
        }

        @Override public String name() { return name; }
        @Override public StreamConfig config() { return deciding(); }
        @Override public String storedSubject(String subject) { return transformed(subject); }
        @Override public long sizeOf(String subject, int hl, int dl) { return store.sizeOf(subject, hl, dl); }
        @Override public long nowNanos() { return now; }
        @Override public JsApiError accountRoom(StreamConfig c, long size) { return null; }
        @Override public boolean anyInterest(String subject) { return interest.test(subject); }

        @Override
        public StoreState state() {
            StoreState st = store.state();
            if (pending.isEmpty()) {
                return st;
            }
            long msgs = st.msgs();
            long bytes = st.bytes();
            for (StreamOp.Append a : pending) {
                msgs++;
                bytes += store.sizeOf(a.subject(), a.headers().length, a.data().length);
            }
            StreamOp.Append first = pending.peekFirst();
            StreamOp.Append last = pending.peekLast();
            boolean none = st.msgs() == 0;
            return new StoreState(msgs, bytes, none ? first.seq() : st.firstSeq(), none ? first.ts() : st.firstTimeNanos(),
                    last.seq(), last.ts(), st.numSubjects(), st.numDeleted());
        }

        @Override
        public SubjectState subjectState(String subject) {
            SubjectState ss = store.subjectState(subject);
            long msgs = ss == null ? 0 : ss.msgs();
            long first = ss == null ? 0 : ss.firstSeq();
            long last = ss == null ? 0 : ss.lastSeq();
            for (StreamOp.Append a : pending) {
                if (a.subject().equals(subject)) {
                    msgs++;
                    first = first == 0 ? a.seq() : first;
                    last = a.seq();
                }
            }
            return msgs == 0 ? null : new SubjectState(msgs, first, last);
        }

        @Override
        public long[] duplicate(String msgId, long now, long window) {
            for (Iterator<StreamOp.Append> it = pending.descendingIterator(); it.hasNext(); ) {
                StreamOp.Append a = it.next();
                if (a.msgId().equals(msgId) && now - a.ts() <= window) {
                    return new long[] {a.seq(), a.ts()};
                }
            }
            return apply.duplicate(msgId, now, window);
        }

        @Override
        public String lastMsgId() {
            return pending.isEmpty() ? apply.lastMsgId() : pending.peekLast().msgId();
        }

        /** The headers of the subject's newest message in log order (a schedule purge checks it is a schedule). */
        @Override
        public byte[] lastHeaders(String subject) {
            for (Iterator<StreamOp.Append> it = pending.descendingIterator(); it.hasNext(); ) {
                StreamOp.Append a = it.next();
                if (a.subject().equals(subject)) {
                    return a.headers();
                }
            }
            try {
                StoredMessage last = store.loadLast(subject);
                return last == null ? null : last.headers();
            } catch (IOException e) {
                return null;
            }
        }

        /**
         * A counter ({@code allow_msg_counter}) adds to the subject's newest value in log order: a
         * pending append's, else the stored one, so two increments in flight sum.
         */
        @Override
        public byte[] lastPayload(String subject) {
            for (Iterator<StreamOp.Append> it = pending.descendingIterator(); it.hasNext(); ) {
                StreamOp.Append a = it.next();
                if (a.subject().equals(subject)) {
                    return a.data();
                }
            }
            try {
                StoredMessage last = store.loadLast(subject);
                return last == null ? null : last.data();
            } catch (IOException e) {
                return new byte[] {'!'}; // a damaged last record: the counter is broken (10172)
            }
        }

        @Override
        public long lastTimestamp() {
            return pending.isEmpty() ? apply.lastTimestamp() : pending.peekLast().ts();
        }
    }

    // ------------------------------------------------------------------ every replica's apply

    /** True if {@code op} can be applied next (an append at the next sequence with a later timestamp). */
    public boolean fits(StreamOp op) {
        StreamOp.Append a = switch (op) {
            case StreamOp.Append one -> one;
            case StreamOp.Batch b -> b.first();
            default -> null;
        };
        return a == null || a.seq() == store.state().lastSeq() + 1 && a.ts() > apply.lastTimestamp();
    }

    /** Applies a committed op (the next in log order); a pending append of the same sequence is retired. */
    public StreamOp.Applied apply(StreamOp op) throws IOException {
        switch (op) {
            case StreamOp.ConsumerPut c -> consumers.put(c.name(), new ConsumerRecord(c.name(), c.meta(), c.state()));
            case StreamOp.ConsumerState c -> {
                ConsumerRecord r = consumers.get(c.name());
                if (r != null) {
                    consumers.put(c.name(), new ConsumerRecord(c.name(), r.meta(), c.state()));
                } // else: deleted after the leader decided the state (the same on every replica)
            }
            case StreamOp.ConsumerDelete c -> consumers.remove(c.name());
            case StreamOp.Config c -> {
                if (c.revision() <= configRevision) {
                    // a newer configuration is applied already: nothing changes (on every replica alike)
                    return apply.apply(apply.appliedIndex() + 1, new StreamOp.Trim(new StreamOp.Limits(0, 0, 0, false)));
                }
                config = c.config();
                configRevision = c.revision();
                if (proposedConfig != null && proposedConfig.revision() <= c.revision()) {
                    proposedConfig = null;
                }
            }
            default -> {
            }
        }
        StreamOp.Applied a = apply.apply(apply.appliedIndex() + 1, op);
        if (op instanceof StreamOp.Append m) {
            retire(m);
        } else if (op instanceof StreamOp.Batch b) {
            b.appends().forEach(this::retire);
        }
        return a;
    }

    private void retire(StreamOp.Append m) {
        if (!pending.isEmpty() && pending.peekFirst().seq() == m.seq()) {
            pending.pollFirst();
        }
    }

    // ------------------------------------------------------------------ reads

    /** The consumers' records, in name order. */
    public List<ConsumerRecord> consumers() {
        return List.copyOf(consumers.values());
    }

    /** Consumer {@code name}'s record, or null. */
    public ConsumerRecord consumer(String name) {
        return consumers.get(name);
    }

    public StoreState state() {
        return store.state();
    }

    /** The current apply step's derived state (message TTLs among it; replaced by {@link #restore}: never keep it). */
    StreamApply applied() {
        return apply;
    }

    /** The current store (replaced by {@link #restore}: never keep it). */
    MessageStore store() {
        return store;
    }

    /** The message at {@code seq}, or null. */
    public StoredMessage load(long seq) throws IOException {
        return store.load(seq);
    }

    /** Every stored message, in sequence order. */
    public List<StoredMessage> messages() throws IOException {
        return messagesOf(store);
    }

    /** Every message {@code store} holds, in sequence order. */
    static List<StoredMessage> messagesOf(MessageStore store) throws IOException {
        List<StoredMessage> out = new ArrayList<>();
        StoreState st = store.state();
        long seq = st.firstSeq();
        while (st.msgs() > 0 && seq <= st.lastSeq()) {
            StoredMessage m = store.loadNext(null, seq);
            if (m == null) {
                break;
            }
            out.add(m);
            seq = m.seq() + 1;
        }
        return out;
    }

    // ------------------------------------------------------------------ snapshots

    /** The applied state (for a snapshot). */
    public Image image() throws IOException {
        StoreState st = store.state();
        return new Image(st.firstSeq(), st.lastSeq(), apply.lastMsgId(), apply.lastTimestamp(), apply.dedupeIds(), messages(),
                consumers(), configRevision, config);
    }

    /**
     * Replaces the whole state by {@code img}: the store is destroyed, opened empty and filled by
     * applying the image's messages as ops (the apply step stays the store's one writer); sequences
     * the image lacks between its first and last are stored as placeholders and deleted, so every
     * message keeps its sequence.
     */
    public void restore(Image img) throws IOException {
        pending.clear();
        proposedConfig = null;
        consumers.clear();
        // an image without a configuration (the empty one a start begins with, or one written before
        // configurations were replicated): the opening configuration until the log says more
        config = img.config() != null ? img.config() : opened;
        configRevision = img.config() != null ? img.configRevision() : 0;
        apply.close(true);
        store = opener.open();
        apply = new StreamApply(store, errors);
        StreamOp.Limits none = new StreamOp.Limits(0, 0, 0, false);
        long first = img.firstSeq();
        if (img.lastSeq() == 0 && config.firstSeq() > first) {
            // first_seq: a stream that never stored anything starts at the create config's sequence,
            // the same on every replica (the config is the same on each), as nats-server's stores do
            first = config.firstSeq();
        }
        if (first > 1) {
            apply(new StreamOp.SkipTo(first));
        }
        long window = config.duplicateWindow();
        long next = first;
        for (StoredMessage m : img.messages()) {
            next = gaps(next, m.seq(), none, window);
            apply(new StreamOp.Append(m.seq(), m.timestampNanos(), m.subject(), m.headers(), m.data(), "", window,
                    StreamOp.Rollup.NONE, none, false, MsgTtl.NONE));
            next = m.seq() + 1;
        }
        gaps(next, img.lastSeq() + 1, none, window);
        apply.restoreDerived(img.lastMsgId(), img.lastTimestamp(), img.ids());
        if (config.allowMsgTtl()) {
            apply.recoverTtls(); // the image's messages carry their Nats-TTL headers, not the ops' TTLs
        }
        for (ConsumerRecord c : img.consumers()) {
            consumers.put(c.name(), c);
        }
    }

    private long gaps(long next, long upTo, StreamOp.Limits none, long window) throws IOException {
        for (; next < upTo; next++) {
            apply(new StreamOp.Append(next, apply.lastTimestamp() + 1, GAP_SUBJECT, new byte[0], new byte[0], "", window,
                    StreamOp.Rollup.NONE, none, false, MsgTtl.NONE));
            apply(new StreamOp.Delete(next, false));
        }
        return next;
    }

    /** Forces what was applied to the store's disk. */
    void sync() throws IOException {
        apply.sync();
    }

    /** Closes the store (data stays), or deletes it. */
    public void close(boolean delete) throws IOException {
        apply.close(delete);
    }
}
