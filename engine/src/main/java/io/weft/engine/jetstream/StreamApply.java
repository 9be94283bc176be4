package io.weft.engine.jetstream;

import io.weft.engine.protocol.Headers;
import io.weft.store.CorruptRecordException;
import io.weft.store.MessageStore;
import io.weft.store.StoreState;
import io.weft.store.StoredMessage;
import io.weft.store.SubjectState;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The apply step of one stream: the only code that writes the stream's {@link MessageStore}
 * ({@code ApplyIsTheOnlyStoreWriterTest} fails the build otherwise), and the only writer of the
 * state derived from what was applied: the message ids in the duplicate window, the last message
 * id, the last timestamp. {@link #apply} takes log entries in index order; the batch methods are
 * the store's group commit, driven by the {@link StreamLog}. Not thread-safe: the stream's lock is
 * held around every call.
 */
final class StreamApply {
    private final MessageStore store;
    private final Consumer<String> errors;
    /** Message id to {seq, timestamp}, oldest first. */
    private final LinkedHashMap<String, long[]> dedupe = new LinkedHashMap<>();
    private String lastMsgId = "";
    private long lastTimestamp;
    private long appliedIndex;
    /** Messages with a finite TTL as {expires-at nanos, seq}, soonest first (entries of removed messages stay until due). */
    private final java.util.TreeSet<long[]> ttls = new java.util.TreeSet<>(
            java.util.Comparator.<long[]>comparingLong(e -> e[0]).thenComparingLong(e -> e[1]));
    /**
     * The same TTLs by sequence, and the sequences by subject, so that a removed message's entry
     * goes with it: a replica that never leads applies the leader's deletes and never calls
     * {@link #ttlDone}, and a rollup or a purge removes messages without naming them.
     */
    private final java.util.TreeMap<Long, Ttl> ttlBySeq = new java.util.TreeMap<>();
    private final java.util.HashMap<String, java.util.TreeSet<Long>> ttlSubjects = new java.util.HashMap<>();

    private record Ttl(long at, String subject) {
    }

    /** Sequences of the messages with {@code Nats-TTL: never} (max_age spares them). */
    private final java.util.TreeSet<Long> never = new java.util.TreeSet<>();
    /** What a batch that fails puts back (the store keeps its own undo); null outside a batch. */
    private Mark mark;

    private record Mark(String lastMsgId, long lastTimestamp, long appliedIndex, List<String> ids) {
    }

    /** A message schedule (ADR-51): the schedule stored at {@code seq} on {@code subject} fires at {@code at}. */
    record Scheduled(String subject, long seq, long at) {
    }

    /** The schedules by subject (one per subject: a schedule is stored with a subject rollup). */
    private final java.util.HashMap<String, Scheduled> schedules = new java.util.HashMap<>();
    /** The same, soonest first. */
    private final java.util.TreeSet<Scheduled> scheduleQueue = new java.util.TreeSet<>(
            java.util.Comparator.comparingLong(Scheduled::at).thenComparingLong(Scheduled::seq));
    /** The schedules' sequences, so that a deleted schedule message takes its schedule along. */
    private final java.util.TreeMap<Long, String> scheduleSeqs = new java.util.TreeMap<>();
    /**
     * Subjects whose schedule fired and whose published message is not applied yet (the leader's
     * transient state, not derived from the log: it keeps a schedule from firing twice while its
     * message is on its way; whatever the message does to the schedule ends it).
     */
    private final java.util.HashSet<String> inflight = new java.util.HashSet<>();
    /** A schedule changed inside the current batch (a rollback then rebuilds them from the store). */
    private boolean schedulesChanged;

    /** {@code errors} hears failures that do not fail the op (a limit that could not be applied after a stored message). */
    StreamApply(MessageStore store, Consumer<String> errors) {
        this.store = store;
        this.errors = errors;
        this.lastTimestamp = store.state().lastTimeNanos();
    }

    // ------------------------------------------------------------------ applying

    /** Applies the log entry at {@code index}, which must be the next one. */
    StreamOp.Applied apply(long index, StreamOp op) throws IOException {
        assert index == appliedIndex + 1 : "entry " + index + " applied after " + appliedIndex;
        StreamOp.Applied a = switch (op) {
            case StreamOp.Append m -> append(m);
            case StreamOp.Batch b -> {
                long removed = 0;
                for (StreamOp.Append m : b.appends()) {
                    removed += append(m).removed();
                }
                yield new StreamOp.Applied(b.last().seq(), removed);
            }
            case StreamOp.SkipTo s -> {
                store.skipTo(s.nextSeq());
                yield new StreamOp.Applied(0, 0);
            }
            case StreamOp.Purge p -> new StreamOp.Applied(0, store.purge(p.filter(), p.upToSeq(), p.keep()));
            case StreamOp.Delete d -> new StreamOp.Applied(0, store.remove(d.seq(), d.erase()) ? 1 : 0);
            case StreamOp.Trim t -> new StreamOp.Applied(0, trim(t.limits()));
            case StreamOp.Config c -> new StreamOp.Applied(0, trim(StreamOp.Limits.of(c.config())));
            // consumer records live beside the store (StreamReplica); here they only take their index
            case StreamOp.ConsumerPut c -> new StreamOp.Applied(0, 0);
            case StreamOp.ConsumerState c -> new StreamOp.Applied(0, 0);
            case StreamOp.ConsumerDelete c -> new StreamOp.Applied(0, 0);
        };
        appliedIndex = index;
        if (!ttlBySeq.isEmpty() || !never.isEmpty()) {
            forgetRemovedTtls(op, a);
        }
        if (!schedules.isEmpty()) {
            if (op instanceof StreamOp.Delete d) {
                String subject = scheduleSeqs.get(d.seq());
                if (subject != null && a.removed() > 0) {
                    unschedule(subject);
                }
            } else if (a.removed() > 0) {
                dropRemovedSchedules();
            }
        }
        return a;
    }

    /** Drops the TTL entries of the messages {@code op} removed. */
    private void forgetRemovedTtls(StreamOp op, StreamOp.Applied a) {
        switch (op) {
            case StreamOp.Delete d -> forgetTtl(d.seq());
            case StreamOp.Append m when a.removed() > 0 -> forgetRemovedOf(m);
            case StreamOp.Batch b when a.removed() > 0 -> b.appends().forEach(this::forgetRemovedOf);
            case StreamOp.Purge p when a.removed() > 0 -> forgetBelowFirsts(p.filter() == null && p.keep() == 0);
            case StreamOp.Trim t when a.removed() > 0 -> forgetBelowFirsts(false);
            case StreamOp.Config c when a.removed() > 0 -> forgetBelowFirsts(false);
            default -> {
            }
        }
    }

    /** After append {@code m} removed messages (rollup, limits, no interest): what went of its subject and overall. */
    private void forgetRemovedOf(StreamOp.Append m) {
        long first = store.state().firstSeq();
        forgetBelow(first);
        forgetSubjectBelowFirst(m.subject());
        if (m.noInterest()) {
            forgetTtl(m.seq());
        }
    }

    /** After a purge or trim: everything below the first sequence, and with {@code allBelow} false every subject below its own first. */
    private void forgetBelowFirsts(boolean allBelow) {
        forgetBelow(store.state().firstSeq());
        if (!allBelow) {
            for (String subject : List.copyOf(ttlSubjects.keySet())) {
                forgetSubjectBelowFirst(subject);
            }
        }
    }

    private void forgetBelow(long first) {
        while (!ttlBySeq.isEmpty() && ttlBySeq.firstKey() < first) {
            forgetTtl(ttlBySeq.firstKey());
        }
        never.headSet(first).clear();
    }

    /** The messages of {@code subject} below its first stored one are gone (purges and rollups remove a subject's oldest). */
    private void forgetSubjectBelowFirst(String subject) {
        java.util.TreeSet<Long> seqs = ttlSubjects.get(subject);
        if (seqs == null) {
            return;
        }
        SubjectState ss = store.subjectState(subject);
        long first = ss == null ? Long.MAX_VALUE : ss.firstSeq();
        for (Long seq : List.copyOf(seqs.headSet(first))) {
            forgetTtl(seq);
        }
    }

    /** Drops the TTL entries of message {@code seq} (removed). */
    private void forgetTtl(long seq) {
        Ttl t = ttlBySeq.remove(seq);
        if (t != null) {
            ttls.remove(new long[] {t.at(), seq});
            java.util.TreeSet<Long> seqs = ttlSubjects.get(t.subject());
            if (seqs != null && seqs.remove(seq) && seqs.isEmpty()) {
                ttlSubjects.remove(t.subject());
            }
        }
        never.remove(seq);
    }

    private StreamOp.Applied append(StreamOp.Append m) throws IOException {
        assert m.ts() > lastTimestamp : "timestamps grow: " + m.ts() + " after " + lastTimestamp;
        store.appendAt(m.seq(), m.subject(), m.headers(), m.data(), m.ts());
        lastTimestamp = m.ts();
        lastMsgId = m.msgId();
        trackTtl(m.seq(), m.ts(), m.ttl(), m.subject());
        long scheduleRemoved = trackSchedule(m.seq(), m.ts(), m.subject(), m.headers(), true);
        if (!m.msgId().isEmpty()) {
            expireIds(m.ts(), m.duplicateWindow());
            dedupe.put(m.msgId(), new long[] {m.seq(), m.ts()});
            if (mark != null) {
                mark.ids().add(m.msgId());
            }
        }
        long removed = scheduleRemoved;
        try {
            removed += switch (m.rollup()) {
                case ALL -> store.purge(null, m.seq(), 0);
                case SUBJECT -> store.purge(m.subject(), m.seq(), 0);
                case NONE -> 0;
            };
            removed += limitsAfterAppend(m.limits(), m.subject());
            if (m.noInterest() && store.remove(m.seq(), false)) {
                removed++;
            }
        } catch (IOException e) {
            // the message is stored; what could not be removed is removed by a later op
            errors.accept("limits: " + e.getMessage());
        }
        return new StreamOp.Applied(m.seq(), removed);
    }

    private void trackTtl(long seq, long ts, long ttl, String subject) {
        if (ttl == MsgTtl.NEVER) {
            never.add(seq);
        } else if (ttl > 0) {
            long at = ts + ttl < ts ? Long.MAX_VALUE : ts + ttl;
            forgetTtl(seq);
            ttlBySeq.put(seq, new Ttl(at, subject));
            ttlSubjects.computeIfAbsent(subject, k -> new java.util.TreeSet<>()).add(seq);
            ttls.add(new long[] {at, seq});
        }
    }

    /** Discard-old limits after an append of {@code subject}. */
    private long limitsAfterAppend(StreamOp.Limits c, String subject) throws IOException {
        long removed = 0;
        if (c.maxMsgsPerSubject() > 0) {
            SubjectState ss = store.subjectState(subject);
            if (ss != null && ss.msgs() > c.maxMsgsPerSubject()) {
                removed += store.purge(subject, 0, c.maxMsgsPerSubject());
            }
        }
        if (c.discardNew()) {
            return removed;
        }
        return removed + trimTotals(c);
    }

    /** Every limit, whatever the discard policy (a config update that lowered them). */
    private long trim(StreamOp.Limits c) throws IOException {
        long removed = 0;
        if (c.maxMsgsPerSubject() > 0) {
            for (Map.Entry<String, SubjectState> e : store.subjects(null).entrySet()) {
                if (e.getValue().msgs() > c.maxMsgsPerSubject()) {
                    removed += store.purge(e.getKey(), 0, c.maxMsgsPerSubject());
                }
            }
        }
        return removed + trimTotals(c);
    }

    /** max_msgs, then max_bytes (oldest first). */
    private long trimTotals(StreamOp.Limits c) throws IOException {
        long removed = 0;
        if (c.maxMsgs() > 0 && store.state().msgs() > c.maxMsgs()) {
            removed += store.purge(null, 0, c.maxMsgs());
        }
        if (c.maxBytes() > 0) {
            StoreState st = store.state();
            while (st.bytes() > c.maxBytes() && st.msgs() > 0) {
                StoredMessage first = store.loadNext(null, st.firstSeq());
                if (first == null || !store.remove(first.seq(), false)) {
                    break;
                }
                removed++;
                st = store.state();
            }
        }
        return removed;
    }

    /** Forgets the ids older than the duplicate window, as of {@code now}. */
    private void expireIds(long now, long window) {
        for (Iterator<long[]> it = dedupe.values().iterator(); it.hasNext(); ) {
            long[] e = it.next();
            if (now - e[1] > window) {
                it.remove();
            } else {
                break;
            }
        }
    }

    // ------------------------------------------------------------------ batches (the group commit)

    void begin() {
        assert mark == null : "batches do not nest";
        mark = new Mark(lastMsgId, lastTimestamp, appliedIndex, new ArrayList<>());
        store.begin();
    }

    /** One sync for the batch; if it fails, the store rolled the batch back, and so is this state. */
    void commit() throws IOException {
        Mark m = mark;
        mark = null;
        try {
            store.commit();
        } catch (IOException e) {
            if (m != null) {
                undo(m);
            }
            throw e;
        } finally {
            schedulesChanged = false;
        }
    }

    void rollback() {
        Mark m = mark;
        mark = null;
        store.rollback();
        if (m != null) {
            undo(m);
        }
    }

    private void undo(Mark m) {
        if (schedulesChanged) {
            schedulesChanged = false;
            try {
                recoverSchedules();
            } catch (IOException e) {
                errors.accept("schedules after a rollback: " + e.getMessage());
            }
        }
        for (String id : m.ids()) {
            dedupe.remove(id);
        }
        lastMsgId = m.lastMsgId();
        lastTimestamp = m.lastTimestamp();
        appliedIndex = m.appliedIndex();
        if (!ttls.isEmpty() || !never.isEmpty()) {
            // the store rolled back first: the TTLs of messages it no longer has go too
            long last = store.state().lastSeq();
            ttls.removeIf(e -> e[1] > last);
            never.removeIf(seq -> seq > last);
        }
    }

    void sync() throws IOException {
        store.sync();
    }

    void writeOut() throws IOException {
        store.writeOut();
    }

    void close(boolean delete) throws IOException {
        if (delete) {
            store.destroy();
        } else {
            store.sync();
            store.close();
        }
    }

    // ------------------------------------------------------------------ the state decisions read

    long appliedIndex() {
        return appliedIndex;
    }

    String lastMsgId() {
        return lastMsgId;
    }

    long lastTimestamp() {
        return lastTimestamp;
    }

    /** The message ids in the duplicate window, oldest first, each with {seq, timestamp} (a replica's snapshot). */
    List<Map.Entry<String, long[]>> dedupeIds() {
        List<Map.Entry<String, long[]>> out = new ArrayList<>();
        for (Map.Entry<String, long[]> e : dedupe.entrySet()) {
            out.add(Map.entry(e.getKey(), e.getValue().clone()));
        }
        return out;
    }

    /**
     * After a replica rebuilt its store from a snapshot (by applying its messages): the derived
     * state the snapshot recorded, which the messages alone do not give (ids of removed messages,
     * the timestamp of a removed last message).
     */
    void restoreDerived(String lastMsgId, long lastTimestamp, List<Map.Entry<String, long[]>> ids) {
        assert mark == null : "not inside a batch";
        this.lastMsgId = lastMsgId;
        this.lastTimestamp = Math.max(this.lastTimestamp, lastTimestamp);
        dedupe.clear();
        for (Map.Entry<String, long[]> e : ids) {
            dedupe.put(e.getKey(), e.getValue().clone());
        }
    }

    /** {seq, timestamp} of {@code msgId} if it is in the duplicate window as of {@code now}, else null. */
    long[] duplicate(String msgId, long now, long window) {
        long[] d = dedupe.get(msgId);
        return d == null || now - d[1] > window ? null : d;
    }

    /** {expires-at nanos, seq} of the next message TTL due, or null (the message may be gone already). */
    long[] nextTtl() {
        return ttls.isEmpty() ? null : ttls.first();
    }

    /** Forgets the TTL {@link #nextTtl} returned (once its removal is applied). */
    void ttlDone(long[] entry) {
        Ttl t = ttlBySeq.get(entry[1]);
        if (t != null && t.at() == entry[0]) {
            forgetTtl(entry[1]);
        } else {
            ttls.remove(entry);
        }
    }

    /** How many message TTLs are tracked (tests: a follower's index stays bounded by what is stored). */
    int trackedTtls() {
        return ttls.size();
    }

    /** True if the message at {@code seq} has {@code Nats-TTL: never}. */
    boolean neverExpires(long seq) {
        return never.contains(seq);
    }

    /** True if some message at or after {@code seq} and before {@code upTo} was stored with {@code Nats-TTL: never}. */
    boolean anyNever(long seq, long upTo) {
        never.headSet(store.state().firstSeq()).clear(); // removed since
        Long n = never.ceiling(seq);
        return n != null && n < upTo;
    }

    /**
     * After a restart, the TTLs of the stored messages are known again from their
     * {@code Nats-TTL} headers and timestamps, so what was due while the server was down expires at
     * once and the rest when due.
     */
    void recoverTtls() throws IOException {
        forEachStored(m -> {
            if (m.headers().length > 0) {
                long ttl;
                try {
                    ttl = MsgTtl.parse(Headers.parse(m.headers()).first("Nats-TTL"));
                } catch (RuntimeException e) {
                    ttl = MsgTtl.NONE;
                }
                trackTtl(m.seq(), m.timestampNanos(), ttl, m.subject());
            }
        });
    }

    /** What a scan of the store does with each readable message. */
    @FunctionalInterface
    private interface StoredVisitor {
        void visit(StoredMessage m) throws IOException;
    }

    /**
     * Hands every readable stored message to {@code visitor}, in sequence order, stepping over a
     * corrupt range (it is reported where the store reads it; a rebuild goes on without it).
     */
    private void forEachStored(StoredVisitor visitor) throws IOException {
        StoreState st = store.state();
        long seq = st.firstSeq();
        while (st.msgs() > 0 && seq <= st.lastSeq()) {
            StoredMessage m;
            try {
                m = store.loadNext(null, seq);
            } catch (CorruptRecordException e) {
                seq = Math.max(seq, e.corruption().lastSeq()) + 1;
                continue;
            }
            if (m == null) {
                break;
            }
            visitor.visit(m);
            seq = m.seq() + 1;
        }
    }

    // ------------------------------------------------------------------ message schedules

    /**
     * What an applied message does to the schedules, as nats-server 2.15.1 derives it from the
     * stored message: a valid {@code Nats-Schedule} makes the message its subject's schedule, due
     * at the first firing after the message's timestamp (an {@code @at} at its time); any other
     * message on a schedule's subject ends it, unless it was published by a schedule; a message a
     * schedule published moves that schedule to its {@code Nats-Schedule-Next}, or with
     * {@code purge} removes the schedule's subject (with {@code purging}; not when rebuilding).
     * Returns how many messages the purge removed.
     */
    private long trackSchedule(long seq, long ts, String subject, byte[] hdr, boolean purging) throws IOException {
        if (!MsgSchedule.mentions(hdr)) {
            if (!schedules.isEmpty() && schedules.containsKey(subject)) {
                unschedule(subject);
            }
            return 0;
        }
        Headers h;
        try {
            h = Headers.parse(hdr);
        } catch (RuntimeException e) {
            unschedule(subject);
            return 0;
        }
        String scheduler = h.first(MsgSchedule.SCHEDULER);
        boolean published = scheduler != null && !scheduler.isEmpty();
        java.time.ZoneId zone = MsgSchedule.zone(h);
        MsgSchedule.When w = zone == MsgSchedule.BAD_ZONE ? MsgSchedule.INVALID
                : MsgSchedule.parse(h.first(MsgSchedule.PATTERN), zone, ts);
        if (w != null && w != MsgSchedule.INVALID) {
            schedule(new Scheduled(subject, seq, w.atNanos()));
        } else if (!published) {
            unschedule(subject);
        }
        String next = h.first(MsgSchedule.NEXT);
        if (!published || next == null || next.isEmpty()) {
            return 0;
        }
        if (next.equals(MsgSchedule.PURGE)) {
            unschedule(scheduler);
            if (!purging) {
                return 0;
            }
            long removed = store.purge(scheduler, seq, 0);
            if (removed > 0 && !ttlBySeq.isEmpty()) {
                forgetSubjectBelowFirst(scheduler);
            }
            return removed;
        }
        long at = MsgSchedule.parseNext(next);
        Scheduled s = schedules.get(scheduler);
        if (at >= 0 && s != null) {
            schedule(new Scheduled(scheduler, s.seq(), at));
        }
        return 0;
    }

    private void schedule(Scheduled s) {
        unschedule(s.subject());
        schedules.put(s.subject(), s);
        scheduleQueue.add(s);
        scheduleSeqs.put(s.seq(), s.subject());
        schedulesChanged |= mark != null;
    }

    private void unschedule(String subject) {
        inflight.remove(subject);
        Scheduled s = schedules.remove(subject);
        if (s != null) {
            scheduleQueue.remove(s);
            scheduleSeqs.remove(s.seq());
            schedulesChanged |= mark != null;
        }
    }

    /** After an op that removed messages (purge, rollup, limits): the schedules whose message went go too. */
    private void dropRemovedSchedules() {
        for (Scheduled s : List.copyOf(scheduleQueue)) {
            SubjectState ss = store.subjectState(s.subject());
            if (ss == null || ss.firstSeq() > s.seq() || ss.lastSeq() < s.seq()) {
                unschedule(s.subject());
            }
        }
    }

    /** The schedules due at {@code now} that have not fired yet, soonest first. */
    List<Scheduled> dueSchedules(long now) {
        List<Scheduled> due = new ArrayList<>();
        for (Scheduled s : scheduleQueue) {
            if (s.at() > now) {
                break;
            }
            if (!inflight.contains(s.subject())) {
                due.add(s);
            }
        }
        return due;
    }

    /** When the next schedule that has not fired is due, or -1. */
    long nextScheduleAt() {
        for (Scheduled s : scheduleQueue) {
            if (!inflight.contains(s.subject())) {
                return s.at();
            }
        }
        return -1;
    }

    /** The schedule of {@code subject} fired: its message is on its way through the log. */
    void scheduleFired(String subject) {
        if (schedules.containsKey(subject)) {
            inflight.add(subject);
        }
    }

    /** The message the schedule of {@code subject} published was not stored (or nobody knows): it may fire again. */
    void scheduleRetry(String subject) {
        inflight.remove(subject);
    }

    /** A new leader has no message of a schedule on its way (its predecessor's are applied or lost). */
    void schedulesRetryAll() {
        inflight.clear();
    }

    /** Drops a schedule whose message is gone or is no schedule (found when it was due). */
    void scheduleGone(String subject) {
        unschedule(subject);
    }

    /** How many schedules are tracked (tests). */
    int trackedSchedules() {
        return schedules.size();
    }

    /**
     * After a restart (or a rollback), the schedules are known again from the stored messages in
     * sequence order: each schedule message, moved by the newest stored message it published. A
     * published message removed since (by limits, a TTL) no longer moves it, so such a schedule
     * fires once at once and then keeps its pattern.
     */
    void recoverSchedules() throws IOException {
        schedules.clear();
        scheduleQueue.clear();
        scheduleSeqs.clear();
        inflight.clear();
        forEachStored(m -> trackSchedule(m.seq(), m.timestampNanos(), m.subject(), m.headers(), false));
    }

    /**
     * After a restart, the message ids of the stored messages still inside the duplicate window
     * are known again (as nats-server does), so a publisher retrying after a crash is deduplicated.
     */
    void recoverIds(long now, long window) throws IOException {
        StoreState st = store.state();
        if (st.msgs() == 0 || window <= 0) {
            return;
        }
        long seq = store.sequenceAtOrAfter(now - window);
        while (seq <= st.lastSeq()) {
            StoredMessage m;
            try {
                m = store.loadNext(null, seq);
            } catch (CorruptRecordException e) {
                long skip = e.corruption().lastSeq();
                seq = Math.max(seq, skip) + 1;
                continue;
            }
            if (m == null) {
                break;
            }
            String id = "";
            if (m.headers().length > 0) {
                try {
                    String v = Headers.parse(m.headers()).first("Nats-Msg-Id");
                    id = v == null ? "" : v;
                } catch (RuntimeException ignored) {
                    // a header block that does not parse has no id
                }
            }
            if (!id.isEmpty()) {
                dedupe.put(id, new long[] {m.seq(), m.timestampNanos()});
            }
            if (m.seq() == st.lastSeq()) {
                lastMsgId = id;
            }
            seq = m.seq() + 1;
        }
    }
}
