package io.weft.engine.jetstream.consumer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.weft.engine.jetstream.JsApiException;
import io.weft.engine.jetstream.ConsumerSource;
import io.weft.engine.jetstream.Retention;
import io.weft.engine.jetstream.StreamConsumer;
import io.weft.engine.jetstream.consumer.ConsumerConfig.AckPolicy;
import io.weft.engine.jetstream.consumer.ConsumerConfig.DeliverPolicy;
import io.weft.engine.json.GoJsonSyntax;
import io.weft.engine.server.Account;
import io.weft.engine.server.Deliveries;
import io.weft.engine.server.InternalSubscription;
import io.weft.net.Clock;
import io.weft.store.CorruptRecordException;
import io.weft.store.MessageStore;
import io.weft.store.StoredMessage;
import io.weft.store.Subjects;
import io.weft.store.SubjectState;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One consumer of one stream: its delivery state (delivered, ack floor, pending acks with delivery
 * counts, redelivery queue, waiting pull requests) and its delivery loop, which runs on its own
 * virtual thread and waits only through the {@link Clock}.
 *
 * <p>Every field below the lock is guarded by {@link #lock}. Messages are never published while
 * the lock is held: work collects {@link Outbound}s and publishes them after unlocking, so a
 * subscriber that calls back into this consumer cannot deadlock it.
 */
public final class Consumer implements StreamConsumer {
    static final long IDLE_WAKE = 1_000_000_000L;
    /**
     * The floor under every timer of the delivery loop: no message is redelivered, and no pull
     * request sent a heartbeat, sooner than this after the last time (nats-server's pending timer
     * likewise fires at least 1 ms apart). A config may say 1 ns; the loop never spins.
     */
    static final long MIN_TIMER = 1_000_000L;
    static final long FC_BYTES = 1024 * 1024;
    static final int FC_MSGS = 65536;

    private final Consumers owner;
    final ConsumerSource src;
    final String name;
    final long createdNanos;
    private final Clock clock;
    private final boolean persistent;
    private final ConsumerApply apply;

    /** First sequences of damaged ranges already logged (guarded by lock). */
    private final TreeSet<Long> reportedCorrupt = new TreeSet<>();
    final ReentrantLock lock = new ReentrantLock();
    private final Condition wake = lock.newCondition();
    private boolean kicked;

    // ---- guarded by lock
    ConsumerConfig cfg;
    long dseq;                 // last consumer sequence handed out
    long nextSeq;              // next stream sequence to look at for new messages
    long lastStreamSeq;        // delivered.stream_seq
    long ackFloorC;
    long ackFloorS;
    long lastActiveWall;       // wall nanos of the last delivery (0 = never)
    long lastAckWall;          // wall nanos of the last acknowledgement (0 = never)
    final TreeMap<Long, Pending> pending = new TreeMap<>();
    final Map<Long, Integer> deliveries = new HashMap<>();
    final TreeSet<Long> redeliver = new TreeSet<>();
    final ArrayDeque<Long> lastPerSubject = new ArrayDeque<>();
    final ArrayDeque<PullRequest> waiting = new ArrayDeque<>();
    private long pendingCount = -1;
    private long pendingCovered;
    private boolean stopped;
    private long lastActivityMono;
    private long nextPushHeartbeat;
    private long nextDeliveryAt;    // rate limit / replay original pacing
    long earliestDeadline;       // no pending ack falls due before this (may be early, never late)
    private long replayLastTs;
    private long replayLastMono;
    private String fcOutstanding;
    private long fcBytes;
    private int fcMsgs;
    private int fcCounter;
    private long sampleCounter;
    boolean dirty;
    private long nextFlush;
    /** The config's {@code pause_until} (null when unset), and while paused its monotonic deadline. */
    private PauseTime pauseUntil;
    private boolean paused;
    private long pausedUntilMono;
    /**
     * The pin of a {@code pinned_client} consumer (ADR-42): the id handed to the request that got
     * it, when (wall clock), and until when (monotonic) it holds without a request carrying it. A
     * leader's own state, as in nats-server: not persisted, a restart unpins.
     */
    private String pinId;
    private long pinnedWall;
    private long pinDeadline;

    final List<Long> toRelease = new ArrayList<>();
    private volatile long deliverable;

    private InternalSubscription ackSub;
    private InternalSubscription fcSub;
    /** A push consumer's watch on its deliver subject: a new subscriber wakes delivery at once. */
    private AutoCloseable interestWatch;
    private String watchedDeliverSubject;
    private Thread loop;

    static final class Pending {
        long cseq;
        long deadline;     // monotonic nanos at which it is redelivered
        long deliveredMono;

        Pending(long cseq, long deadline, long deliveredMono) {
            this.cseq = cseq;
            this.deadline = deadline;
            this.deliveredMono = deliveredMono;
        }
    }

    Consumer(Consumers owner, ConsumerSource src, ConsumerConfig cfg, long createdNanos, ConsumerPersistence persistence) {
        this.owner = owner;
        this.src = src;
        this.cfg = cfg;
        this.name = cfg.name();
        this.createdNanos = createdNanos;
        this.clock = src.env().clock();
        this.apply = new ConsumerApply(this, persistence);
        this.persistent = persistence != null;
        this.lastActivityMono = clock.nanoTime();
    }

    /** Positions a fresh consumer according to its deliver policy. */
    void initPosition() throws IOException {
        MessageStore store = src.store();
        refreshDeliverable();
        long last = deliverable;
        long nextSeq = 1;
        List<Long> lastPerSubject = new ArrayList<>();
        long first = store.state().firstSeq();
        switch (cfg.deliverPolicy()) {
            case ALL -> nextSeq = first;
            case NEW -> nextSeq = last + 1;
            case LAST -> {
                StoredMessage m = lastMatching();
                nextSeq = m == null ? last + 1 : m.seq();
            }
            case BY_START_SEQUENCE -> nextSeq = Math.max(cfg.optStartSeq(), 1);
            case BY_START_TIME -> nextSeq = store.sequenceAtOrAfter(cfg.optStartTimeNanos());
            case LAST_PER_SUBJECT -> {
                TreeSet<Long> seqs = new TreeSet<>();
                for (String f : filtersOrAll()) {
                    for (Map.Entry<String, SubjectState> e : store.subjects(f).entrySet()) {
                        if (e.getValue().lastSeq() <= last) {
                            seqs.add(e.getValue().lastSeq());
                        }
                    }
                }
                lastPerSubject.addAll(seqs);
                nextSeq = last + 1;
            }
        }
        if (nextSeq < 1) {
            nextSeq = 1;
        }
        if (first > 0 && nextSeq < first && lastPerSubject.isEmpty()) {
            nextSeq = first; // as nats-server: a start before the stream's first message starts at the first
        }
        // nats-server 2.15 reports the position before the first delivery as delivered = start - 1, and
        // puts the ack floor there too (a reset to the floor starts where the consumer started).
        long delivered = Math.max(0, (lastPerSubject.isEmpty() ? nextSeq : lastPerSubject.getFirst()) - 1);
        lock.lock();
        try {
            apply.apply(new ConsumerOp.Positioned(nextSeq, delivered, lastPerSubject));
        } finally {
            lock.unlock();
        }
    }

    private StoredMessage lastMatching() throws IOException {
        StoredMessage best = null;
        for (String f : filtersOrAll()) {
            StoredMessage m = src.store().loadLast(f);
            if (m != null && m.seq() <= deliverable && (best == null || m.seq() > best.seq())) {
                best = m;
            }
        }
        return best;
    }

    private List<String> filtersOrAll() {
        List<String> f = cfg.filters();
        return f.isEmpty() ? java.util.Collections.singletonList(null) : f;
    }

    /** Reads the stream's deliverable limit; never called with {@link #lock} held (the stream may lock). */
    void refreshDeliverable() {
        long d = src.lastDeliverableSeq();
        if (d > deliverable) {
            deliverable = d;
        }
    }

    void start() {
        Account acc = src.account();
        String prefix = "$JS.ACK." + src.streamName() + "." + name + ".>";
        ackSub = acc.subscribe(prefix, null, (subject, reply, data, off, hdrLen, totalLen) ->
                onAck(subject, reply, new String(data, off + hdrLen, totalLen - hdrLen, StandardCharsets.UTF_8)));
        if (cfg.flowControl()) {
            fcSub = acc.subscribe("$JS.FC." + src.streamName() + "." + name + ".*", null,
                    (subject, reply, data, off, hdrLen, totalLen) -> onFlowControlReply(subject));
        }
        watchDeliverSubject(cfg);
        loop = src.env().spawner().spawn("consumer " + src.streamName() + " > " + name, this::run);
    }

    /**
     * Watches the deliver subject of a push consumer (as nats-server registers for interest on
     * it): delivery starts as soon as a subscriber arrives instead of at the next idle wake.
     */
    private void watchDeliverSubject(ConsumerConfig c) {
        String ds = c.isPush() && !stopped ? c.deliverSubject() : null;
        if (java.util.Objects.equals(ds, watchedDeliverSubject)) {
            return;
        }
        unwatchDeliverSubject();
        if (ds != null) {
            interestWatch = src.account().watchInterest(ds, this::kick);
            watchedDeliverSubject = ds;
        }
    }

    private void unwatchDeliverSubject() {
        AutoCloseable w = interestWatch;
        interestWatch = null;
        watchedDeliverSubject = null;
        if (w != null) {
            try {
                w.close();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }

    // ------------------------------------------------------------------ StreamConsumer

    @Override
    public String name() {
        return name;
    }

    @Override
    public boolean wants(String subject) {
        List<String> f = cfg.filters();
        if (f.isEmpty()) {
            return true;
        }
        for (String x : f) {
            if (Subjects.matchesFilter(x, subject)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void signal(long lastSeq) {
        if (lastSeq > deliverable) {
            deliverable = lastSeq;
        }
        kick();
    }

    @Override
    public boolean needsAck(long seq, String subject) {
        lock.lock();
        try {
            if (!wants(subject)) {
                return false;
            }
            if (cfg.ackPolicy() == AckPolicy.NONE) {
                return seq >= nextSeq;
            }
            if (pending.containsKey(seq)) {
                return true;
            }
            if (cfg.ackPolicy() == AckPolicy.ALL && seq <= ackFloorS) {
                return false;
            }
            return seq >= nextSeq || lastPerSubject.contains(seq);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public boolean ackedAtOrBelowFloor(long seq, String subject) {
        lock.lock();
        try {
            return cfg.ackPolicy() != AckPolicy.NONE && seq <= ackFloorS && wants(subject)
                    && !pending.containsKey(seq) && !deliveries.containsKey(seq);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public long ackFloorSeq() {
        lock.lock();
        try {
            return cfg.ackPolicy() == AckPolicy.NONE ? 0 : ackFloorS;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void purged(long firstSeq) {
        lock.lock();
        try {
            MessageStore store = src.store();
            List<Long> gone = new ArrayList<>();
            for (long s : pending.keySet()) {
                if (s < firstSeq || loadSkippingCorrupt(store, s) == null) {
                    gone.add(s);
                }
            }
            apply.apply(new ConsumerOp.Purged(firstSeq, gone));
            pendingCount = -1;
        } catch (IOException e) {
            src.log().warn("consumer " + name + ": reading store after purge: " + e.getMessage());
        } finally {
            lock.unlock();
        }
        kick();
    }

    @Override
    public void stop(boolean delete) {
        List<Outbound> out = new ArrayList<>();
        lock.lock();
        try {
            if (stopped) {
                return;
            }
            stopped = true;
            if (delete) {
                for (PullRequest r : waiting) {
                    out.add(status(r.reply, 409, "Consumer Deleted", null));
                }
            }
            waiting.clear();
            wake.signalAll();
        } finally {
            lock.unlock();
        }
        src.account().unsubscribe(ackSub);
        src.account().unsubscribe(fcSub);
        unwatchDeliverSubject();
        publish(out);
        // a replicated stream's consumer stops because its replica no longer leads (nothing can be
        // logged then) or the server stops: its last committed state is what the next leader runs
        if (persistent && (delete || src.consumerRecords() == null)) {
            try {
                if (delete) {
                    apply.deleteFiles();
                } else {
                    apply.persist();
                }
            } catch (IOException e) {
                src.log().warn("consumer " + name + ": " + e.getMessage());
            }
        }
    }

    @Override
    public long numAckPending() {
        lock.lock();
        try {
            return pending.size();
        } finally {
            lock.unlock();
        }
    }

    /** Replaces the consumer's state file with its current state, through the apply step (never with the lock held). */
    void persistState() throws IOException {
        apply.persist();
    }

    boolean isStopped() {
        lock.lock();
        try {
            return stopped;
        } finally {
            lock.unlock();
        }
    }

    void kick() {
        lock.lock();
        try {
            kicked = true;
            wake.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Applies an updated config (already checked as updatable). */
    void update(ConsumerConfig next) {
        lock.lock();
        try {
            boolean fcBefore = cfg.flowControl();
            cfg = next;
            pendingCount = -1;
            if (!fcBefore && next.flowControl()) {
                fcSub = src.account().subscribe("$JS.FC." + src.streamName() + "." + name + ".*", null,
                        (subject, reply, data, off, hdrLen, totalLen) -> onFlowControlReply(subject));
            }
            watchDeliverSubject(next);
            kicked = true;
            wake.signalAll();
        } finally {
            lock.unlock();
        }
    }

    // ------------------------------------------------------------------ pause

    /**
     * Sets {@code pause_until} (null clears it, as a resume): delivery stops until that wall-clock
     * time, turned into a deadline on the monotonic clock now, so that the delivery loop resumes
     * through the {@link Clock} (a time already passed pauses nothing). Returns the pause advisory.
     */
    Outbound setPause(PauseTime until) {
        lock.lock();
        try {
            pauseUntil = until;
            long remaining = until == null || until.zero() ? 0 : until.epochNanos() - wallNanos();
            paused = remaining > 0;
            pausedUntilMono = paused ? at(clock.nanoTime(), remaining) : 0;
            dirty = true;
            kicked = true;
            wake.signalAll();
            return pauseAdvisory();
        } finally {
            lock.unlock();
        }
    }

    /** The current config (takes the lock). */
    ConsumerConfig cfg() {
        lock.lock();
        try {
            return cfg;
        } finally {
            lock.unlock();
        }
    }

    PauseTime pauseUntil() {
        lock.lock();
        try {
            return pauseUntil;
        } finally {
            lock.unlock();
        }
    }

    /** The pause advisory with the current state (takes the lock). */
    Outbound pauseAdvisoryNow() {
        lock.lock();
        try {
            return pauseAdvisory();
        } finally {
            lock.unlock();
        }
    }

    boolean isPaused() {
        lock.lock();
        try {
            return paused;
        } finally {
            lock.unlock();
        }
    }

    /** True while delivery is paused (guarded by lock). */
    boolean pausedLocked() {
        return paused;
    }

    /** Nanoseconds until the pause ends (guarded by lock; 0 when not paused). */
    long pauseRemainingLocked() {
        return paused ? Math.max(0, pausedUntilMono - clock.nanoTime()) : 0;
    }

    /** {@code $JS.EVENT.ADVISORY.CONSUMER.PAUSE.<stream>.<consumer>} with the current state (guarded by lock). */
    Outbound pauseAdvisory() {
        ObjectNode a = advisory("io.nats.jetstream.advisory.v1.consumer_pause");
        a.put("paused", paused);
        a.put("pause_until", pauseUntil == null ? PauseTime.ZERO : pauseUntil.utc());
        return json("$JS.EVENT.ADVISORY.CONSUMER.PAUSE." + src.streamName() + "." + name, a);
    }

    /** Ends a pause whose deadline passed (with its advisory); returns when the pause ends, or MAX_VALUE. */
    private long checkPause(long now, List<Outbound> out) {
        if (!paused) {
            return Long.MAX_VALUE;
        }
        if (now >= pausedUntilMono) {
            paused = false;
            out.add(pauseAdvisory());
            return Long.MAX_VALUE;
        }
        return pausedUntilMono;
    }

    // ------------------------------------------------------------------ info

    long numPending() {
        lock.lock();
        try {
            return numPendingLocked();
        } finally {
            lock.unlock();
        }
    }

    private long numPendingLocked() {
        MessageStore store = src.store();
        long last = store.state().lastSeq();
        if (pendingCount < 0) {
            pendingCount = 0;
            // as nats-server, a count from scratch of a last-per-subject consumer counts subjects, not
            // messages (after a reset too); new messages then add one each
            boolean perSubject = cfg.deliverPolicy() == ConsumerConfig.DeliverPolicy.LAST_PER_SUBJECT;
            for (String f : filtersOrAll()) {
                pendingCount += store.numPending(nextSeq, f, perSubject);
            }
            pendingCovered = last;
        } else if (last > pendingCovered) {
            long from = Math.max(pendingCovered + 1, nextSeq);
            for (String f : filtersOrAll()) {
                pendingCount += store.numPending(from, f, false);
            }
            pendingCovered = last;
        }
        return Math.max(0, pendingCount) + lastPerSubject.size();
    }

    /**
     * Messages delivered more than once and not acknowledged since, as nats-server counts them: that
     * includes messages that ran out of deliveries (no longer pending).
     */
    int numRedelivered() {
        int n = 0;
        for (Map.Entry<Long, Integer> e : deliveries.entrySet()) {
            if (e.getValue() > 1) {
                n++;
            }
        }
        return n;
    }

    ObjectNode info(String type) {
        return info(type, false);
    }

    /** The consumer's info; {@code listed} for a LIST entry (its metadata as stored, without the server's level and version). */
    ObjectNode info(String type, boolean listed) {
        // the stream group's view, asked before the lock (it waits for the group's thread)
        return info(type, listed, src.clusterInfo());
    }

    /** As {@link #info(String, boolean)} with the stream's {@code cluster} object already asked for (null: none). */
    ObjectNode info(String type, boolean listed, ObjectNode cluster) {
        lock.lock();
        try {
            ObjectNode o = JsonNodeFactory.instance.objectNode();
            if (type != null) {
                o.put("type", type);
            }
            o.put("stream_name", src.streamName());
            o.put("name", name);
            o.put("created", Times.rfc3339(createdNanos));
            ObjectNode config = cfg.toJson();
            // ADR-44: a pause_until (not Go's zero time) needs API level 1
            int required = (pauseUntil != null && !pauseUntil.zero()) || cfg.priority().used() ? 1 : 0;
            io.weft.engine.jetstream.ApiLevel.annotate(config, cfg.metadata(), required, listed);
            if (pauseUntil != null) {
                config.put("pause_until", pauseUntil.text());
            }
            o.set("config", config);
            ObjectNode d = o.putObject("delivered");
            d.put("consumer_seq", dseq);
            d.put("stream_seq", lastStreamSeq);
            if (lastActiveWall > 0) {
                d.put("last_active", Times.rfc3339(lastActiveWall));
            }
            ObjectNode a = o.putObject("ack_floor");
            a.put("consumer_seq", ackFloorC);
            a.put("stream_seq", ackFloorS);
            if (lastAckWall > 0) {
                a.put("last_active", Times.rfc3339(lastAckWall));
            }
            o.put("num_ack_pending", pending.size());
            o.put("num_redelivered", numRedelivered());
            o.put("num_waiting", waiting.size());
            o.put("num_pending", numPendingLocked());
            if (cluster != null) {
                o.set("cluster", cluster.deepCopy());
            }
            if (cfg.isPush() && src.account().hasInterest(cfg.deliverSubject())) {
                o.put("push_bound", true);
            }
            if (paused) {
                o.put("paused", true);
                o.put("pause_remaining", pauseRemainingLocked());
            }
            if (!cfg.priority().groups().isEmpty()) {
                ObjectNode g = o.putArray("priority_groups").addObject();
                g.put("group", cfg.priority().groups().get(0)); // nats-server tracks the first group
                if (pinId != null) {
                    g.put("pinned_client_id", pinId);
                    g.put("pinned_ts", Times.rfc3339(pinnedWall));
                }
            }
            o.put("ts", Times.rfc3339(wallNanos()));
            return o;
        } finally {
            lock.unlock();
        }
    }

    private long wallNanos() {
        return clock.currentTimeMillis() * 1_000_000L;
    }

    // ------------------------------------------------------------------ acks

    // ------------------------------------------------------------------ reset

    /**
     * {@code $JS.API.CONSUMER.RESET}: moves delivery to stream sequence {@code requested}, or with 0
     * back to just above the ack floor (every unacknowledged message is delivered again), and
     * returns the sequence it moved to. nats-server 2.14's rules for an explicit sequence: any with
     * deliver policy {@code all}; with {@code by_start_sequence} none below {@code opt_start_seq};
     * with {@code by_start_time} none below the first message stored at that time; with any other
     * policy none at all. The new state is applied here, not yet persisted.
     */
    long reset(long requested) throws JsApiException {
        lock.lock();
        try {
            long seq;
            if (requested == 0) {
                seq = ackFloorS + 1;
            } else {
                switch (cfg.deliverPolicy()) {
                    case ALL -> {
                    }
                    case BY_START_SEQUENCE -> {
                        if (requested < cfg.optStartSeq()) {
                            throw ConsumerErrors.INVALID_RESET.with("below start seq").exception();
                        }
                    }
                    case BY_START_TIME -> {
                        long first;
                        try {
                            first = src.store().sequenceAtOrAfter(cfg.optStartTimeNanos());
                        } catch (IOException e) {
                            throw ConsumerErrors.INVALID_RESET.with(e.getMessage()).exception();
                        }
                        if (requested < first) {
                            throw ConsumerErrors.INVALID_RESET.with("below start time").exception();
                        }
                    }
                    default -> throw ConsumerErrors.INVALID_RESET.with("not allowed").exception();
                }
                seq = requested;
            }
            seq = Math.max(seq, 1);
            apply.apply(new ConsumerOp.Reset(seq));
            pendingCount = -1;
            dirty = true;
            kicked = true;
            wake.signalAll();
            return seq;
        } finally {
            lock.unlock();
        }
    }

    void onAck(String subject, String reply, String body) {
        String[] t = subject.split("\\.");
        // $JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending>
        if (t.length < 9) {
            return;
        }
        long sseq;
        long cseq;
        try {
            sseq = Long.parseLong(t[t.length - 4]);
            cseq = Long.parseLong(t[t.length - 3]);
        } catch (NumberFormatException e) {
            return;
        }
        List<Outbound> out = new ArrayList<>();
        boolean persistNow = false;
        String b = body.strip();
        PullRequestSpec nextReq = null;
        lock.lock();
        try {
            if (stopped) {
                return;
            }
            lastActivityMono = clock.nanoTime();
            if (b.isEmpty() || b.equals("+ACK")) {
                ack(sseq, cseq, out);
            } else if (b.startsWith("-NAK")) {
                if (pending.containsKey(sseq)) {
                    apply.apply(new ConsumerOp.Nakked(sseq, at(clock.nanoTime(), parseDelay(b.substring(4).strip()))));
                }
            } else if (b.equals("+WPI")) {
                if (pending.containsKey(sseq)) {
                    apply.apply(new ConsumerOp.Progressed(sseq,
                            at(clock.nanoTime(), redeliveryDelay(deliveries.getOrDefault(sseq, 1)))));
                }
            } else if (b.startsWith("+NXT")) {
                ack(sseq, cseq, out);
                if (reply != null && !cfg.isPush()) {
                    nextReq = PullRequestSpec.parse(b.substring(4).strip());
                }
            } else if (b.startsWith("+TERM")) {
                term(sseq, b.substring(5).strip(), out);
            } else {
                return;
            }
            dirty = true;
            persistNow = reply != null && nextReq == null && persistent;
            kicked = true;
            wake.signalAll();
        } finally {
            lock.unlock();
        }
        if (persistNow) {
            if (src.consumerRecords() != null) {
                // a replicated stream: the state commits through the stream's Raft group, whose messages
                // may arrive on the very connection that delivered this ack, so its thread must not wait
                src.env().spawner().spawn("consumer " + name + " double ack", () -> persistThenAnswer(out, reply));
            } else {
                persistThenAnswer(out, reply);
            }
            return;
        }
        publish(out);
        if (nextReq != null) {
            pull(reply, nextReq);
        } else if (reply != null && !reply.isEmpty()) {
            src.account().publish(reply, null, null, new byte[0]);
        }
    }

    /** A double ack's tail: the state is persisted (committed), then the advisories and the answer go out; no answer if it failed. */
    private void persistThenAnswer(List<Outbound> out, String reply) {
        try {
            apply.persist();
        } catch (ConsumerPersistence.NotLeader e) {
            // no answer: the client's ack times out and it acks again on the new leader, or gets the message again
            src.log().debug("consumer " + name + ": persisting ack: " + e.getMessage());
            publish(out);
            return;
        } catch (IOException e) {
            src.log().error("consumer " + name + ": persisting ack: " + e.getMessage());
            publish(out);
            return;
        }
        publish(out);
        if (reply != null && !reply.isEmpty()) {
            src.account().publish(reply, null, null, new byte[0]);
        }
    }

    private static long parseDelay(String s) {
        if (s.isEmpty()) {
            return 0;
        }
        try {
            JsonNode n = Consumers.MAPPER.readTree(s);
            JsonNode d = n == null ? null : n.get("delay");
            return d != null && d.canConvertToLong() ? Math.max(0, d.asLong()) : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    /** Decides what an ack of {@code sseq} (consumer sequence {@code cseq}, from the ack subject) does, and applies it. */
    private void ack(long sseq, long cseq, List<Outbound> out) {
        long wall = wallNanos();
        switch (cfg.ackPolicy()) {
            case NONE -> {
            }
            case EXPLICIT -> {
                Pending p = pending.get(sseq);
                if (p == null) {
                    apply.apply(new ConsumerOp.LateAck(sseq, wall));
                    return;
                }
                ackMetric(sseq, p, out);
                apply.apply(new ConsumerOp.Acked(sseq, wall));
            }
            case ALL -> {
                java.util.NavigableMap<Long, Pending> done = pending.headMap(sseq, true);
                if (done.isEmpty()) {
                    return;
                }
                for (Map.Entry<Long, Pending> e : done.entrySet()) {
                    ackMetric(e.getKey(), e.getValue(), out);
                }
                // the subject's sequences are the client's word: never past what was delivered
                apply.apply(new ConsumerOp.AckedAll(Math.min(sseq, lastStreamSeq), Math.min(cseq, dseq), wall));
            }
        }
    }

    /** The sampled ack metric of a pending message about to be acknowledged (sample_freq). */
    private void ackMetric(long sseq, Pending p, List<Outbound> out) {
        if (sampled()) {
            ObjectNode m = advisory("io.nats.jetstream.metric.v1.consumer_ack");
            m.put("consumer_seq", p.cseq);
            m.put("stream_seq", sseq);
            m.put("ack_time", Math.max(0, clock.nanoTime() - p.deliveredMono));
            m.put("deliveries", deliveries.getOrDefault(sseq, 1));
            out.add(json("$JS.EVENT.METRIC.CONSUMER.ACK." + src.streamName() + "." + name, m));
        }
    }

    private boolean sampled() {
        String f = cfg.sampleFreq();
        if (f == null) {
            return false;
        }
        int pct;
        try {
            pct = Integer.parseInt((f.endsWith("%") ? f.substring(0, f.length() - 1) : f).strip());
        } catch (NumberFormatException e) {
            return false;
        }
        if (pct <= 0) {
            return false;
        }
        if (pct >= 100) {
            return true;
        }
        sampleCounter++;
        return src.env().entropy().nextInt(100) < pct;
    }

    /** Decides a {@code +TERM}: the terminated advisory, then the op; a message not pending is a late ack. */
    private void term(long sseq, String reason, List<Outbound> out) {
        Pending p = pending.get(sseq);
        long wall = wallNanos();
        if (p == null) {
            apply.apply(new ConsumerOp.LateAck(sseq, wall));
            return;
        }
        ObjectNode a = advisory("io.nats.jetstream.advisory.v1.terminated");
        a.put("consumer_seq", p.cseq);
        a.put("stream_seq", sseq);
        a.put("deliveries", deliveries.getOrDefault(sseq, 1));
        if (!reason.isEmpty()) {
            a.put("reason", reason);
        }
        apply.apply(new ConsumerOp.Termed(sseq, wall));
        out.add(json("$JS.EVENT.ADVISORY.CONSUMER.MSG_TERMINATED." + src.streamName() + "." + name, a));
    }

    void onFlowControlReply(String subject) {
        lock.lock();
        try {
            if (subject.equals(fcOutstanding)) {
                fcOutstanding = null;
                kicked = true;
                wake.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    // ------------------------------------------------------------------ pull requests

    /** A parsed {@code MSG.NEXT} body; {@code bad} is Go's decoding error text when it could not be decoded. */
    record PullRequestSpec(int batch, long maxBytes, long expires, boolean noWait, long heartbeat, String bad,
                           Group group) {
        private static final String GO_TYPE = "JSApiConsumerGetNextRequest";

        /** The priority group fields of a JSON request (null for a plain batch size). */
        record Group(String group, long minPending, long minAckPending, String id, long priority) {
        }

        PullRequestSpec(int batch, long maxBytes, long expires, boolean noWait, long heartbeat, String bad) {
            this(batch, maxBytes, expires, noWait, heartbeat, bad, null);
        }

        static PullRequestSpec parse(String body) {
            String s = body == null ? "" : body.strip();
            if (s.isEmpty() || s.charAt(0) != '{') {
                // nats-server reads a body that is not a JSON object as a batch size, and 1 when it is not a number
                int batch = 1;
                try {
                    batch = Math.max(1, Integer.parseInt(s));
                } catch (NumberFormatException e) {
                    // batch 1
                }
                return new PullRequestSpec(batch, 0, 0, false, 0, null);
            }
            String problem = GoJsonSyntax.problem(s);
            if (problem != null) {
                return invalid(problem);
            }
            try {
                JsonNode n = Consumers.MAPPER.readTree(s);
                String typeProblem = typeProblem(n, "batch", "int");
                typeProblem = typeProblem != null ? typeProblem : typeProblem(n, "max_bytes", "int");
                typeProblem = typeProblem != null ? typeProblem : typeProblem(n, "expires", "time.Duration");
                typeProblem = typeProblem != null ? typeProblem : typeProblem(n, "idle_heartbeat", "time.Duration");
                typeProblem = typeProblem != null ? typeProblem : typeProblem(n, "no_wait", "bool");
                typeProblem = typeProblem != null ? typeProblem : typeProblem(n, "group", "string");
                typeProblem = typeProblem != null ? typeProblem : typeProblem(n, "min_pending", "int64");
                typeProblem = typeProblem != null ? typeProblem : typeProblem(n, "min_ack_pending", "int64");
                typeProblem = typeProblem != null ? typeProblem : typeProblem(n, "id", "string");
                typeProblem = typeProblem != null ? typeProblem : typeProblem(n, "priority", "int");
                if (typeProblem != null) {
                    return invalid(typeProblem);
                }
                int batch = n.path("batch").asInt(1);
                long expires = n.path("expires").asLong(0);
                long heartbeat = n.path("idle_heartbeat").asLong(0);
                // as nats-server: a heartbeat needs an expiry at least twice as long (Go's int64 arithmetic)
                if (heartbeat > 0 && heartbeat * 2 > expires) {
                    return invalid("heartbeat value too large");
                }
                // a negative expiry is one that has already passed (408 at once), as in nats-server
                Group g = new Group(n.path("group").asText(""), n.path("min_pending").asLong(0),
                        n.path("min_ack_pending").asLong(0), n.path("id").asText(""), n.path("priority").asLong(0));
                return new PullRequestSpec(batch <= 0 ? 1 : batch, Math.max(0, n.path("max_bytes").asLong(0)),
                        expires, n.path("no_wait").asBoolean(false), Math.max(0, heartbeat), null, g);
            } catch (IOException | RuntimeException e) {
                return invalid(String.valueOf(e.getMessage()));
            }
        }

        private static PullRequestSpec invalid(String detail) {
            return new PullRequestSpec(1, 0, 0, false, 0, detail);
        }

        /** Go's unmarshal type error when field {@code f} cannot be decoded into {@code goType}, else null. */
        private static String typeProblem(JsonNode n, String f, String goType) {
            JsonNode v = n.get(f);
            if (v == null || v.isNull()) {
                return null;
            }
            String kind;
            if (goType.equals("bool")) {
                if (v.isBoolean()) {
                    return null;
                }
                kind = v.isNumber() ? "number" : null;
            } else if (goType.equals("string")) {
                if (v.isTextual()) {
                    return null;
                }
                kind = v.isNumber() ? "number" : v.isBoolean() ? "bool" : null;
            } else {
                if (v.isIntegralNumber() && v.canConvertToLong()) {
                    return null;
                }
                kind = v.isNumber() ? "number " + v.asText() : v.isBoolean() ? "bool" : null;
            }
            if (kind == null) {
                kind = v.isTextual() ? "string" : v.isArray() ? "array" : v.isObject() ? "object" : "bool";
            }
            // the priority group fields are those of an embedded struct, which Go names without its type
            boolean embedded = List.of("group", "min_pending", "min_ack_pending", "id", "priority").contains(f);
            return "json: cannot unmarshal " + kind + " into Go struct field " + (embedded ? "" : GO_TYPE) + "." + f
                    + " of type " + goType;
        }
    }

    void pull(String reply, PullRequestSpec spec) {
        pull(reply, spec, false);
    }

    /**
     * A pull request; {@code levelNotMet} when its {@code Nats-Required-Api-Level} is above weft's:
     * nats-server 2.12+ then answers {@code 412 Required Api Level} (after the push-based check).
     */
    void pull(String reply, PullRequestSpec spec, boolean levelNotMet) {
        if (reply == null || reply.isEmpty()) {
            return;
        }
        Outbound answer = null;
        refreshDeliverable();
        lock.lock();
        try {
            if (stopped) {
                answer = status(reply, 409, "Consumer Deleted", null);
            } else if (cfg.isPush()) {
                answer = status(reply, 409, "Consumer is push based", null);
            } else if (levelNotMet) {
                answer = status(reply, 412, "Required Api Level", null);
            } else if (spec.bad() != null) {
                answer = status(reply, 400, "Bad Request - " + spec.bad(), null);
            } else if (cfg.maxBatch() > 0 && spec.batch() > cfg.maxBatch()) {
                answer = status(reply, 409, "Exceeded MaxRequestBatch of " + cfg.maxBatch(), null);
            } else if (cfg.maxExpires() > 0 && spec.expires() > cfg.maxExpires()) {
                answer = status(reply, 409, "Exceeded MaxRequestExpires of " + GoDuration.format(cfg.maxExpires()), null);
            } else if (cfg.maxBytes() > 0 && spec.maxBytes() > cfg.maxBytes()) {
                answer = status(reply, 409, "Exceeded MaxRequestMaxBytes of " + cfg.maxBytes(), null);
            } else if ((answer = priorityRefusal(reply, spec.group(), clock.nanoTime())) != null) {
                // refused for its priority group fields, as nats-server checks them
            } else {
                long now = clock.nanoTime();
                lastActivityMono = now;
                if (spec.noWait() && spec.expires() == 0 && !hasWorkLocked(now)) {
                    answer = status(reply, 404, "No Messages", null);
                } else {
                    dropDeadRequests(now);
                    if (waiting.size() >= cfg.maxWaiting()) {
                        answer = status(reply, 409, "Exceeded MaxWaiting", null);
                    } else {
                        long expiresAt = spec.expires() != 0 ? Math.max(1, at(now, spec.expires())) : 0;
                        PullRequest pr = new PullRequest(reply, spec.batch(), spec.maxBytes(), expiresAt, spec.noWait(),
                                spec.heartbeat(), now);
                        if (spec.group() != null) {
                            pr.group = spec.group().group();
                            pr.minPending = spec.group().minPending();
                            pr.minAckPending = spec.group().minAckPending();
                            pr.pinId = spec.group().id();
                            pr.priority = spec.group().priority();
                        }
                        if (cfg.priority().policy() == ConsumerConfig.PriorityPolicy.PRIORITIZED) {
                            insertByPriority(pr);
                        } else {
                            waiting.add(pr);
                        }
                        kicked = true;
                        wake.signalAll();
                    }
                }
            }
        } finally {
            lock.unlock();
        }
        if (answer != null) {
            publish(List.of(answer));
        }
    }

    /**
     * nats-server's checks of a pull request's priority group fields (ADR-42), in its order; a
     * request carrying the current pin renews it. Null if the request may wait (caller holds the lock).
     */
    private Outbound priorityRefusal(String reply, PullRequestSpec.Group g, long now) {
        if (g == null) {
            return null;
        }
        ConsumerConfig.PriorityPolicy policy = cfg.priority().policy();
        if ((g.minPending() != 0 || g.minAckPending() != 0) && policy != ConsumerConfig.PriorityPolicy.OVERFLOW) {
            return status(reply, 400, "Bad Request - Not a Overflow Priority consumer", null);
        }
        if (!g.id().isEmpty() && policy != ConsumerConfig.PriorityPolicy.PINNED_CLIENT) {
            return status(reply, 400, "Bad Request - Not a Pinned Client Priority consumer", null);
        }
        if (g.priority() < 0 || g.priority() > 9) {
            return status(reply, 400, "Bad Request - Priority must be between 0 and 9", null);
        }
        if (policy == ConsumerConfig.PriorityPolicy.NONE) {
            return null;
        }
        if (g.group().isEmpty()) {
            return status(reply, 400, "Bad Request - Priority Group missing", null);
        }
        if (!cfg.priority().groups().contains(g.group())) {
            return status(reply, 400, "Bad Request - Invalid Priority Group", null);
        }
        if (pinId != null) {
            if (g.id().equals(pinId)) {
                pinDeadline = at(now, cfg.priority().pinnedTtl());
            } else if (!g.id().isEmpty()) {
                return status(reply, 423, "Nats-Pin-Id mismatch", null);
            }
        }
        return null;
    }

    /**
     * The waiting request the next message goes to. Without a priority policy the first; with
     * {@code overflow} the first whose {@code min_pending} / {@code min_ack_pending} is reached (or
     * that has neither); with {@code pinned_client} the one carrying the pin, or, while nothing is
     * pinned, the first without a pin id. With {@code ready} (a message is there to deliver) a
     * request carrying another pin id is answered 423 and dropped, and the pin is handed out, as
     * nats-server does when it delivers; without, nothing changes (caller holds the lock).
     */
    private PullRequest pickRequest(boolean ready, long now, List<Outbound> out) {
        ConsumerConfig.PriorityPolicy policy = cfg.priority().policy();
        if (policy == ConsumerConfig.PriorityPolicy.NONE || policy == ConsumerConfig.PriorityPolicy.PRIORITIZED) {
            return waiting.peekFirst(); // prioritized: the queue is kept in priority order
        }
        for (Iterator<PullRequest> it = waiting.iterator(); it.hasNext(); ) {
            PullRequest r = it.next();
            if (policy == ConsumerConfig.PriorityPolicy.PINNED_CLIENT) {
                if (r.pinId.isEmpty() ? pinId != null : !r.pinId.equals(pinId)) {
                    if (!r.pinId.isEmpty() && ready) {
                        it.remove();
                        out.add(status(r.reply, 423, "Nats-Wrong-Pin-Id", r));
                    }
                    continue; // waits while another is pinned
                }
                if (pinId == null && ready && r.group != null && !r.group.isEmpty()) {
                    pinId = owner.newId(src);
                    pinnedWall = wallNanos();
                    pinDeadline = at(now, cfg.priority().pinnedTtl());
                    out.add(pinAdvisory(r.group, null));
                    // the request that got the pin carries it from now on: the rest of its batch is
                    // delivered to it, as nats-server does (it used to wait as an unpinned request)
                    r.pinId = pinId;
                }
                return r;
            }
            if (policy == ConsumerConfig.PriorityPolicy.OVERFLOW && (r.minPending > 0 || r.minAckPending > 0)
                    && !((r.minPending > 0 && r.minPending <= numPendingLocked())
                    || (r.minAckPending > 0 && r.minAckPending <= pending.size()))) {
                continue;
            }
            return r;
        }
        return null;
    }

    /**
     * Queues a request of a {@code prioritized} consumer (nats-server 2.12, ADR-42) after every
     * waiting one of the same or a lower priority number, so the queue stays in priority order and
     * requests of one priority in arrival order (caller holds the lock).
     */
    private void insertByPriority(PullRequest pr) {
        ArrayDeque<PullRequest> after = new ArrayDeque<>();
        while (!waiting.isEmpty() && waiting.peekLast().priority > pr.priority) {
            after.addFirst(waiting.pollLast());
        }
        waiting.addLast(pr);
        waiting.addAll(after);
    }

    /** {@code $JS.API.CONSUMER.UNPIN}: the pin goes; the next delivery pins again (guarded by lock). */
    Outbound unpinLocked(String group, String reason) {
        if (pinId == null && !"admin".equals(reason)) {
            return null; // the API advises even when nothing was pinned, as nats-server
        }
        pinId = null;
        pinnedWall = 0;
        kicked = true;
        wake.signalAll();
        return pinAdvisory(group, reason);
    }

    /** The pinned (reason null) or unpinned advisory of {@code group}. */
    private Outbound pinAdvisory(String group, String reason) {
        ObjectNode a = advisory(reason == null ? "io.nats.jetstream.advisory.v1.consumer_group_pinned"
                : "io.nats.jetstream.advisory.v1.consumer_group_unpinned");
        a.put("account", src.account().name());
        if (reason == null) {
            a.put("pinned_id", pinId);
        }
        a.put("group", group);
        if (reason != null) {
            a.put("reason", reason);
        }
        return json("$JS.EVENT.ADVISORY.CONSUMER." + (reason == null ? "PINNED." : "UNPINNED.") + src.streamName()
                + "." + name, a);
    }

    private void dropDeadRequests(long now) {
        waiting.removeIf(r -> (r.expiresAt > 0 && r.expiresAt <= now) || !src.account().hasInterest(r.reply));
    }

    /** True if a message could be delivered right now (used for no_wait requests). */
    private boolean hasWorkLocked(long now) {
        if (paused) {
            return false; // a no_wait request to a paused consumer gets 404, as in nats-server
        }
        try {
            promoteExpired(now, new ArrayList<>());
            if (!redeliver.isEmpty()) {
                return true;
            }
            if (atMaxAckPending()) {
                return false;
            }
            if (!lastPerSubject.isEmpty()) {
                return true;
            }
            return nextNew(false) != null;
        } catch (IOException e) {
            return false;
        }
    }

    private boolean atMaxAckPending() {
        return cfg.ackPolicy() != AckPolicy.NONE && cfg.maxAckPending() > 0 && pending.size() >= cfg.maxAckPending();
    }

    // ------------------------------------------------------------------ delivery loop

    private void run() {
        Deliveries batch = src.account().newDeliveries();
        while (true) {
            List<Outbound> out = new ArrayList<>();
            boolean flush = false;
            boolean expire = false;
            refreshDeliverable();
            lock.lock();
            try {
                if (stopped) {
                    return;
                }
                long now = clock.nanoTime();
                long next;
                try {
                    next = step(now, out);
                } catch (IOException | RuntimeException e) {
                    src.log().warn("consumer " + src.streamName() + " > " + name + ": " + e);
                    next = now + IDLE_WAKE;
                }
                if (cfg.inactiveThreshold() > 0 && isInactive(now)) {
                    expire = true;
                } else {
                    if (dirty && persistent && now >= nextFlush) {
                        flush = true;
                        nextFlush = now + IDLE_WAKE;
                    }
                    if (out.isEmpty() && !flush && !kicked && next > now) {
                        try {
                            clock.awaitUntil(wake, Math.min(next, now + IDLE_WAKE));
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                    kicked = false;
                }
            } finally {
                lock.unlock();
            }
            publish(out, batch);
            if (expire) {
                owner.expire(this);
                return;
            }
            if (flush) {
                try {
                    apply.persist();
                } catch (ConsumerPersistence.NotLeader e) {
                    src.log().debug("consumer " + name + ": persisting state: " + e.getMessage());
                } catch (IOException e) {
                    src.log().warn("consumer " + name + ": persisting state: " + e.getMessage());
                }
            }
        }
    }

    private boolean isInactive(long now) {
        boolean active;
        if (cfg.isPush()) {
            active = src.account().hasInterest(cfg.deliverSubject());
        } else {
            active = !waiting.isEmpty();
        }
        if (active) {
            lastActivityMono = now;
            return false;
        }
        return now - lastActivityMono >= cfg.inactiveThreshold();
    }

    /** Does what is due now; returns the monotonic time when something next falls due. */
    private long step(long now, List<Outbound> out) throws IOException {
        long next = now + IDLE_WAKE;
        next = Math.min(next, checkPause(now, out));
        next = Math.min(next, promoteExpired(now, out));
        if (cfg.isPush()) {
            next = Math.min(next, stepPush(now, out));
        } else {
            next = Math.min(next, stepPull(now, out));
        }
        return next;
    }

    /** {@code now + delay}, saturating upwards: a huge ack wait or expiry means "never", not "at once". */
    static long at(long now, long delay) {
        long t = now + delay;
        return delay >= 0 && t < now ? Long.MAX_VALUE : t;
    }

    /** How long after its {@code n}-th delivery a message falls due again: the ack wait, never under {@link #MIN_TIMER}. */
    private long redeliveryDelay(int n) {
        return Math.max(MIN_TIMER, cfg.ackWaitFor(n));
    }

    /** Moves pending messages whose ack wait passed to the redelivery queue; handles max_deliver. */
    private long promoteExpired(long now, List<Outbound> out) {
        // an ack wait of 0 (a first backoff of 0) stops nats-server's redelivery timer: nothing is redelivered
        if (cfg.ackPolicy() == AckPolicy.NONE || pending.isEmpty() || cfg.ackWait() == 0) {
            earliestDeadline = Long.MAX_VALUE;
            return Long.MAX_VALUE;
        }
        if (now < earliestDeadline) {
            return earliestDeadline; // nothing can be due yet: skip the scan
        }
        long next = Long.MAX_VALUE;
        List<Long> exhausted = null;
        for (Map.Entry<Long, Pending> e : pending.entrySet()) {
            Pending p = e.getValue();
            long s = e.getKey();
            if (redeliver.contains(s)) {
                continue;
            }
            if (p.deadline <= now) {
                int dc = deliveries.getOrDefault(s, 1);
                // as nats-server: a message delivered once is given up when its ack wait ends; one
                // redelivered is queued and given up when the next delivery would take it
                if (cfg.maxDeliver() > 0 && dc >= cfg.maxDeliver() && dc == 1) {
                    if (exhausted == null) {
                        exhausted = new ArrayList<>();
                    }
                    exhausted.add(s);
                } else {
                    redeliver.add(s);
                }
            } else {
                next = Math.min(next, p.deadline);
            }
        }
        if (exhausted != null) {
            for (long s : exhausted) {
                giveUp(s, out);
            }
        }
        earliestDeadline = next;
        return next;
    }

    /**
     * Gives up on a message at max_deliver, as nats-server 2.11+: the MAX_DELIVERIES advisory, and
     * the message is no longer pending; the stream keeps it (even a work queue: the application may
     * fetch it to dead-letter it, and an ack or term of it later lets the stream drop it), the
     * delivery count stays (it still counts in num_redelivered), and the ack floor does not move.
     */
    private void giveUp(long s, List<Outbound> out) {
        ObjectNode a = advisory("io.nats.jetstream.advisory.v1.max_deliver");
        a.put("stream_seq", s);
        a.put("deliveries", deliveries.getOrDefault(s, 1));
        out.add(json("$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES." + src.streamName() + "." + name, a));
        apply.apply(new ConsumerOp.GaveUp(s, wallNanos()));
    }

    private long stepPush(long now, List<Outbound> out) throws IOException {
        String ds = cfg.deliverSubject();
        boolean interest = src.account().hasInterest(ds);
        long next = Long.MAX_VALUE;
        if (interest && !paused) { // paused: nothing delivered, heartbeats go on
            int sent = 0;
            while (sent < 256) {
                if (fcOutstanding != null && (fcBytes >= FC_BYTES || fcMsgs >= FC_MSGS)) {
                    break; // stalled until the client answers the flow control request
                }
                if (now < nextDeliveryAt) {
                    next = Math.min(next, nextDeliveryAt);
                    break;
                }
                Candidate c = nextCandidate(now, out);
                if (c == null) {
                    break;
                }
                if (c.waitUntil > now) {
                    next = Math.min(next, c.waitUntil);
                    break;
                }
                StoredMessage m = c.msg;
                Outbound o = deliver(ds, m, c.redelivery, now);
                out.add(o);
                sent++;
                pace(m, now);
                if (cfg.flowControl()) {
                    fcBytes += m.size();
                    fcMsgs++;
                    if (fcOutstanding == null && (fcBytes >= FC_BYTES || fcMsgs >= FC_MSGS)) {
                        fcOutstanding = "$JS.FC." + src.streamName() + "." + name + "." + (++fcCounter) + "-" + Long.toString(src.env().entropy().nextLong() & Long.MAX_VALUE, 36);
                        out.add(new Outbound(ds, fcOutstanding, "NATS/1.0 100 FlowControl Request\r\n\r\n".getBytes(StandardCharsets.US_ASCII), null));
                        fcBytes = 0;
                        fcMsgs = 0;
                    }
                }
            }
            if (sent >= 256) {
                next = now;
            }
        }
        if (cfg.idleHeartbeat() > 0) {
            if (!out.isEmpty() || nextPushHeartbeat == 0) {
                nextPushHeartbeat = at(now, Math.max(MIN_TIMER, cfg.idleHeartbeat()));
            } else if (now >= nextPushHeartbeat) {
                StringBuilder h = new StringBuilder("NATS/1.0 100 Idle Heartbeat\r\n");
                h.append("Nats-Last-Consumer: ").append(dseq).append("\r\n");
                h.append("Nats-Last-Stream: ").append(lastStreamSeq).append("\r\n");
                if (fcOutstanding != null) {
                    h.append("Nats-Consumer-Stalled: ").append(fcOutstanding).append("\r\n");
                }
                h.append("\r\n");
                out.add(new Outbound(ds, null, h.toString().getBytes(StandardCharsets.US_ASCII), null));
                nextPushHeartbeat = at(now, Math.max(MIN_TIMER, cfg.idleHeartbeat()));
            }
            next = Math.min(next, nextPushHeartbeat);
        }
        return next;
    }

    private void pace(StoredMessage m, long now) {
        if (cfg.rateLimitBps() > 0) {
            long bits = (m.headers().length + m.data().length + m.subject().length()) * 8L;
            nextDeliveryAt = now + (long) (bits * 1e9 / cfg.rateLimitBps());
        }
    }

    private long stepPull(long now, List<Outbound> out) throws IOException {
        long next = Long.MAX_VALUE;
        int sent = 0;
        answerExpired(now, out);
        boolean pinned = cfg.priority().policy() == ConsumerConfig.PriorityPolicy.PINNED_CLIENT;
        if (pinned && pinId != null && now >= pinDeadline) {
            // no request carried the pin within priority_timeout
            out.add(unpinLocked(cfg.priority().groups().get(0), "timeout"));
        }
        while (!waiting.isEmpty() && sent < 256 && !paused) { // paused: requests wait (expire, heartbeats)
            PullRequest r = pickRequest(false, now, out);
            if (r == null) {
                break;
            }
            if (!src.account().hasInterest(r.reply)) {
                waiting.remove(r);
                continue;
            }
            Candidate c = nextCandidate(now, out);
            if (c == null || c.waitUntil > now) {
                if (c != null) {
                    next = Math.min(next, c.waitUntil);
                }
                // nats-server 2.15: a no-wait request ends at the end of the stream with 404, after
                // messages too; one with an expiry that got nothing yet waits for a message or its expiry
                if (r.noWait && (r.expiresAt == 0 || r.delivered > 0)) {
                    waiting.remove(r);
                    out.add(status(r.reply, 404, "No Messages", null));
                    continue;
                }
                break;
            }
            if (cfg.priority().policy() != ConsumerConfig.PriorityPolicy.NONE) {
                r = pickRequest(true, now, out); // a message is ready: wrong pins are answered, the pin handed out
                if (r == null) {
                    unTake(c);
                    break;
                }
            }
            StoredMessage m = c.msg;
            long size = r.maxBytes > 0 ? pullSize(m, c.redelivery) : 0;
            if (r.maxBytes > 0 && size > r.bytesLeft) {
                waiting.remove(r);
                unTake(c);
                out.add(status(r.reply, 409, "Message Size Exceeds MaxBytes", r));
                continue;
            }
            Outbound d = deliver(r.reply, m, c.redelivery, now);
            if (pinned && pinId != null) {
                d = new Outbound(d.subject(), d.reply(), HeaderBlocks.with(d.headers() == null ? new byte[0] : d.headers(),
                        "Nats-Pin-Id", pinId), d.payload(), d.shownSubject());
            }
            out.add(d);
            sent++;
            r.delivered++;
            r.remaining--;
            if (r.maxBytes > 0) {
                r.bytesLeft -= size;
            }
            if (r.heartbeat > 0) {
                r.nextHeartbeat = at(now, Math.max(MIN_TIMER, r.heartbeat));
            }
            if (r.remaining <= 0 || (r.maxBytes > 0 && r.bytesLeft <= 0)) {
                waiting.remove(r);
            } else if (cfg.priority().policy() == ConsumerConfig.PriorityPolicy.PRIORITIZED && waiting.size() > 1) {
                // as nats-server: served requests of one priority take turns, a lower one still goes first
                waiting.remove(r);
                insertByPriority(r);
            }
        }
        if (sent >= 256) {
            next = now;
        }
        if (pinned && pinId != null) {
            next = Math.min(next, pinDeadline);
        }
        return Math.min(next, heartbeatWaiting(now, out));
    }

    /**
     * Answers every pull request whose expiry passed, not only the first in line (one behind a
     * longer-lived request would otherwise keep the loop waking without being answered).
     */
    private void answerExpired(long now, List<Outbound> out) {
        for (Iterator<PullRequest> it = waiting.iterator(); it.hasNext(); ) {
            PullRequest r = it.next();
            if (r.expiresAt > 0 && r.expiresAt <= now) {
                it.remove();
                out.add(status(r.reply, 408, "Request Timeout", r));
            }
        }
    }

    /** Sends the idle heartbeats that fell due to waiting pull requests; returns when the next expiry or heartbeat falls due. */
    private long heartbeatWaiting(long now, List<Outbound> out) {
        long next = Long.MAX_VALUE;
        for (PullRequest r : waiting) {
            if (r.expiresAt > 0) {
                next = Math.min(next, r.expiresAt);
            }
            if (r.heartbeat > 0) {
                if (now >= r.nextHeartbeat) {
                    String h = "NATS/1.0 100 Idle Heartbeat\r\nNats-Last-Consumer: " + dseq
                            + "\r\nNats-Last-Stream: " + lastStreamSeq + "\r\n\r\n";
                    out.add(new Outbound(r.reply, null, h.getBytes(StandardCharsets.US_ASCII), null));
                    r.nextHeartbeat = at(now, Math.max(MIN_TIMER, r.heartbeat));
                }
                next = Math.min(next, r.nextHeartbeat);
            }
        }
        return next;
    }

    /** A message chosen for delivery (already taken from its queue). */
    private static final class Candidate {
        StoredMessage msg;
        boolean redelivery;
        boolean fromLastPerSubject;
        long waitUntil;
    }

    private Candidate nextCandidate(long now, List<Outbound> out) throws IOException {
        MessageStore store = src.store();
        while (!redeliver.isEmpty()) {
            long s = redeliver.first();
            if (!pending.containsKey(s)) {
                redeliver.pollFirst();
                continue;
            }
            StoredMessage m = loadSkippingCorrupt(store, s);
            if (m == null) {
                redeliver.pollFirst();
                apply.apply(new ConsumerOp.Dropped(s));
                continue;
            }
            redeliver.pollFirst();
            if (cfg.maxDeliver() > 0 && deliveries.getOrDefault(s, 1) >= cfg.maxDeliver()) {
                giveUp(s, out);
                continue;
            }
            Candidate c = new Candidate();
            c.msg = m;
            c.redelivery = true;
            return c;
        }
        if (atMaxAckPending()) {
            return null;
        }
        while (!lastPerSubject.isEmpty()) {
            long s = lastPerSubject.pollFirst();
            StoredMessage m = loadSkippingCorrupt(store, s);
            if (m != null) {
                Candidate c = new Candidate();
                c.msg = m;
                c.fromLastPerSubject = true;
                return c;
            }
        }
        StoredMessage m = nextNew(true);
        if (m == null) {
            return null;
        }
        Candidate c = new Candidate();
        c.msg = m;
        if (cfg.replayPolicy() == ConsumerConfig.ReplayPolicy.ORIGINAL && replayLastTs > 0) {
            long gap = m.timestampNanos() - replayLastTs;
            long at = replayLastMono + Math.max(0, gap);
            if (at > now) {
                c.waitUntil = at;
                nextSeq = m.seq(); // put it back
                if (pendingCount >= 0) {
                    pendingCount++; // an uncounted -1 stays "count again", or the count would start over at 0
                }
                return c;
            }
        }
        if (cfg.replayPolicy() == ConsumerConfig.ReplayPolicy.ORIGINAL) {
            replayLastTs = m.timestampNanos();
            replayLastMono = now;
        }
        return c;
    }

    /** Puts back a candidate that could not be delivered. */
    private void unTake(Candidate c) {
        long s = c.msg.seq();
        if (c.redelivery) {
            redeliver.add(s);
        } else if (c.fromLastPerSubject) {
            lastPerSubject.addFirst(s);
        } else if (s < nextSeq) {
            nextSeq = s;
            if (pendingCount >= 0) {
                pendingCount++;
            }
        }
    }

    /**
     * A stored message, or null when it is gone or the store found it damaged: a corrupt record is
     * never delivered, and it must not stop the consumer from delivering the rest.
     */
    private StoredMessage loadSkippingCorrupt(MessageStore store, long seq) throws IOException {
        try {
            return store.load(seq);
        } catch (CorruptRecordException e) {
            noteCorrupt(e);
            return null;
        }
    }

    /** {@link MessageStore#loadNext} that steps over records the store reports damaged. */
    private StoredMessage loadNextSkippingCorrupt(MessageStore store, String filter, long from) throws IOException {
        long seq = from;
        for (int attempt = 0; attempt < 1024; attempt++) {
            try {
                return store.loadNext(filter, seq);
            } catch (CorruptRecordException e) {
                noteCorrupt(e);
                long last = e.corruption().lastSeq();
                if (last >= seq) {
                    seq = last + 1;
                }
                // otherwise the store has dropped the damaged record from its index: ask again
            }
        }
        return null;
    }

    /** Logs a damaged range once per consumer; the store has already recorded it for /jsz. */
    private void noteCorrupt(CorruptRecordException e) {
        if (reportedCorrupt.add(e.corruption().firstSeq())) {
            src.log().warn("consumer " + src.streamName() + " > " + name + ": skipping damaged stream record(s) "
                    + e.corruption().firstSeq() + ".." + e.corruption().lastSeq() + " at " + e.corruption().where()
                    + ": " + e.corruption().reason());
        }
    }

    /** The next new message at or after {@link #nextSeq} this consumer wants; with {@code take} advances past it. */
    private StoredMessage nextNew(boolean take) throws IOException {
        long limit = deliverable;
        if (nextSeq > limit) {
            return null;
        }
        StoredMessage best = null;
        for (String f : filtersOrAll()) {
            StoredMessage m = loadNextSkippingCorrupt(src.store(), f, nextSeq);
            if (m != null && m.seq() <= limit && (best == null || m.seq() < best.seq())) {
                best = m;
            }
        }
        if (take) {
            if (best == null) {
                nextSeq = limit + 1;
            } else {
                nextSeq = best.seq() + 1;
                if (pendingCount > 0) {
                    pendingCount--;
                }
            }
        }
        return best;
    }

    /** Decides the delivery of {@code m} (the next consumer sequence, its delivery count, its ack deadline) and applies it. */
    private Outbound deliver(String subject, StoredMessage m, boolean redelivery, long stepStart) {
        long now = Math.max(stepStart, clock.nanoTime());
        long s = m.seq();
        long cseq = dseq + 1;
        int dc = redelivery ? deliveries.getOrDefault(s, 1) + 1 : 1;
        apply.apply(new ConsumerOp.Delivered(s, cseq, dc, at(now, redeliveryDelay(dc)), now, wallNanos()));
        String reply = ackReply(m, dc, cseq);
        byte[] headers = shownHeaders(m);
        byte[] payload = cfg.headersOnly() ? new byte[0] : m.data();
        return new Outbound(subject, reply, headers.length == 0 ? null : headers, payload, m.subject());
    }

    private String ackReply(StoredMessage m, int dc, long consumerSeq) {
        return "$JS.ACK." + src.streamName() + "." + name + "." + dc + "." + m.seq() + "." + consumerSeq + "."
                + m.timestampNanos() + "." + numPendingLocked();
    }

    private byte[] shownHeaders(StoredMessage m) {
        return cfg.headersOnly() ? HeaderBlocks.with(m.headers(), "Nats-Msg-Size", Integer.toString(m.data().length))
                : m.headers();
    }

    /**
     * What a delivery counts against a pull request's {@code max_bytes}, as nats-server 2.15 counts
     * it: the message's subject, the ack reply subject it will carry, its headers (as delivered,
     * so with headers_only's Nats-Msg-Size) and its payload. Called with the candidate taken, so
     * the pending count in the reply is the one {@link #deliver} will put there.
     */
    private long pullSize(StoredMessage m, boolean redelivery) {
        int dc = redelivery ? deliveries.getOrDefault(m.seq(), 1) + 1 : 1;
        String reply = ackReply(m, dc, dseq + 1);
        long payload = cfg.headersOnly() ? 0 : m.data().length;
        return io.weft.store.SubjectBytes.encode(m.subject()).length
                + reply.getBytes(StandardCharsets.UTF_8).length + shownHeaders(m).length + payload;
    }

    // ------------------------------------------------------------------ output

    Outbound status(String reply, int code, String text, PullRequest r) {
        StringBuilder h = new StringBuilder("NATS/1.0 ").append(code).append(' ').append(text).append("\r\n");
        if (r != null) {
            h.append("Nats-Pending-Messages: ").append(Math.max(0, r.remaining)).append("\r\n");
            h.append("Nats-Pending-Bytes: ").append(Math.max(0, r.bytesLeft)).append("\r\n");
        }
        h.append("\r\n");
        return new Outbound(reply, null, h.toString().getBytes(StandardCharsets.US_ASCII), null);
    }

    ObjectNode advisory(String type) {
        ObjectNode a = JsonNodeFactory.instance.objectNode();
        a.put("type", type);
        a.put("id", owner.newId(src));
        a.put("timestamp", Times.rfc3339(wallNanos()));
        a.put("stream", src.streamName());
        a.put("consumer", name);
        return a;
    }

    static Outbound json(String subject, ObjectNode body) {
        return new Outbound(subject, null, null, Consumers.JSON.compactBytes(body));
    }

    /** Publishes what a locked section produced, then tells the stream about released messages. Never with the lock held. */
    void publish(List<Outbound> out) {
        publish(out, null);
    }

    /**
     * As {@link #publish(List)}; deliveries go through {@code batch} (the delivery loop's own, or
     * null) so that each subscriber's writer is woken once for the whole step.
     */
    private void publish(List<Outbound> out, Deliveries batch) {
        Account acc = src.account();
        for (Outbound o : out) {
            if (o.subject().startsWith("$JS.EVENT.") && !acc.hasInterest(o.subject())) {
                continue;
            }
            if (o.shownSubject() != null) {
                acc.deliverAs(o.subject(), o.shownSubject(), o.reply(), o.headers(), o.payload(), batch);
            } else {
                acc.publish(o.subject(), o.reply(), o.headers(), o.payload());
            }
        }
        if (batch != null) {
            batch.flush();
        }
        List<Long> release;
        lock.lock();
        try {
            if (toRelease.isEmpty()) {
                return;
            }
            release = new ArrayList<>(toRelease);
            toRelease.clear();
        } finally {
            lock.unlock();
        }
        for (long s : release) {
            src.acknowledged(s);
        }
    }
}
