package io.weft.engine.jetstream;

import io.weft.engine.json.GoJsonQuote;
import io.weft.engine.protocol.Headers;
import io.weft.store.StoreState;
import io.weft.store.SubjectState;

/**
 * The publish rules of a stream as one pure decision: a published message and a view of the
 * stream give either the {@link StreamOp.Append} to log (with the sequence and timestamp the
 * leader picks) or the reason it is not stored. Nothing here writes: {@link StreamApply} does,
 * once the op is in the {@link StreamLog}. The order of the checks is nats-server's (it decides
 * which error a publish breaking two rules gets).
 */
final class PublishRules {
    private PublishRules() {
    }

    /** A published message as the stream received it; {@code headers} is null without (or with unparsable) headers. */
    record Request(String subject, Headers headers, byte[] hdr, byte[] data, boolean scheduled) {
        Request(String subject, Headers headers, byte[] hdr, byte[] data) {
            this(subject, headers, hdr, data, false);
        }
    }

    /** What the stream's state looks like to the decision. */
    interface View {
        String name();

        StreamConfig config();

        StoreState state();

        SubjectState subjectState(String subject);

        /** The stored subject for a published one ({@code subject_transform}). */
        String storedSubject(String subject);

        /** {@link io.weft.store.MessageStore#sizeOf}. */
        long sizeOf(String subject, int headerLength, int dataLength);

        /** {seq, timestamp} of a message id still in the duplicate window as of {@code now}, or null. */
        long[] duplicate(String msgId, long now, long window);

        String lastMsgId();

        long lastTimestamp();

        /** Wall clock, nanoseconds since the epoch. */
        long nowNanos();

        /** The account's storage limit for {@code size} more bytes: null if they fit, else the error. */
        JsApiError accountRoom(StreamConfig c, long size);

        /** True if some consumer would deliver {@code subject} (interest retention). */
        boolean anyInterest(String subject);

        /**
         * The payload of the last message stored on {@code subject}, or null if there is none: what
         * a counter ({@code allow_msg_counter}) adds to. A view that cannot read payloads cannot
         * serve counters.
         */
        default byte[] lastPayload(String subject) {
            throw new IllegalStateException("this stream view does not read payloads: message counters need it");
        }

        /**
         * The headers of the last message stored on {@code subject}, or null if there is none (or
         * it has none): what a schedule's purge checks ({@code allow_msg_schedules}).
         */
        default byte[] lastHeaders(String subject) {
            throw new IllegalStateException("this stream view does not read headers: message schedules need it");
        }
    }

    /** The outcome: an {@link StreamOp.Append}, a {@link Duplicate} or a {@link Reject}. */
    sealed interface Decision permits StreamOp.Append, Duplicate, Reject {
    }

    /** Already stored at {@code seq} (same message id inside the duplicate window). */
    record Duplicate(long seq) implements Decision {
    }

    /** Not stored, for {@code error}. */
    record Reject(JsApiError error) implements Decision, BatchDecision {
    }

    /** The outcome of an atomic batch's commit: the {@link StreamOp.Batch} to log, or why none of it is stored. */
    sealed interface BatchDecision permits StreamOp.Batch, Reject {
    }

    /**
     * The commit of atomic batch {@code id}: each message is decided in order as a publish alone
     * would be, against the stream <em>with the batch's earlier messages on top</em>, plus the
     * batch rules of nats-server 2.15.1: no {@code Nats-Expected-Last-Msg-Id} (10177), no message id
     * twice in the batch nor one already in the duplicate window (10201),
     * {@code Nats-Expected-Last-Sequence} only on the first message (10164 after it),
     * {@code Nats-Expected-Last-Subject-Sequence} not on a subject the batch already wrote (10164),
     * {@code Nats-Rollup: sub} only on a subject's first message in the batch and {@code all} only
     * on the batch's first message. One failure refuses the whole batch.
     */
    static BatchDecision decideBatch(String id, java.util.List<Request> msgs, View v) {
        Staged staged = new Staged(v);
        java.util.Set<String> ids = new java.util.HashSet<>();
        for (Request m : msgs) {
            Headers h = m.headers();
            boolean first = staged.appends.isEmpty();
            String subject = v.storedSubject(m.subject());
            if (h != null) {
                String elm = h.first("Nats-Expected-Last-Msg-Id");
                if (elm != null && !elm.isEmpty()) {
                    return new Reject(JsErrors.ATOMIC_UNSUPPORTED_HEADER.with("Nats-Expected-Last-Msg-Id"));
                }
                String msgId = nz(h.first("Nats-Msg-Id"));
                if (!msgId.isEmpty() && (!ids.add(msgId) || v.duplicate(msgId, v.nowNanos(), v.config().duplicateWindow()) != null)) {
                    return new Reject(JsErrors.ATOMIC_DUPLICATE_ID);
                }
                String elss = h.first("Nats-Expected-Last-Subject-Sequence");
                if (elss != null && !elss.isEmpty() && staged.wrote(subject)) {
                    return new Reject(JsErrors.WRONG_LAST_SEQUENCE_CONSTANT);
                }
            }
            Decision d = decide(m, staged);
            switch (d) {
                case Reject r -> {
                    return r;
                }
                case Duplicate dup -> {
                    return new Reject(JsErrors.ATOMIC_DUPLICATE_ID);
                }
                case StreamOp.Append a -> {
                    if (!first && h != null && !nz(h.first("Nats-Expected-Last-Sequence")).isEmpty()) {
                        return new Reject(JsErrors.WRONG_LAST_SEQUENCE_CONSTANT);
                    }
                    if (a.rollup() == StreamOp.Rollup.SUBJECT && staged.wrote(a.subject())) {
                        return new Reject(JsErrors.ROLLUP_FAILED.with("batch rollup sub invalid"));
                    }
                    if (a.rollup() == StreamOp.Rollup.ALL && !first) {
                        return new Reject(JsErrors.ROLLUP_FAILED.with("batch rollup all invalid"));
                    }
                    staged.appends.add(a);
                }
            }
        }
        return new StreamOp.Batch(id, staged.appends);
    }

    /** A view with a batch's appends decided so far on top (as if stored, before any limit removes anything). */
    private static final class Staged implements View {
        private final View base;
        final java.util.List<StreamOp.Append> appends = new java.util.ArrayList<>();

        Staged(View base) {
            this.base = base;
        }

        boolean wrote(String subject) {
            for (StreamOp.Append a : appends) {
                if (a.subject().equals(subject)) {
                    return true;
                }
            }
            return false;
        }

        @Override public String name() { return base.name(); }
        @Override public StreamConfig config() { return base.config(); }
        @Override public String storedSubject(String subject) { return base.storedSubject(subject); }
        @Override public long sizeOf(String subject, int hl, int dl) { return base.sizeOf(subject, hl, dl); }
        @Override public long nowNanos() { return base.nowNanos(); }
        @Override public boolean anyInterest(String subject) { return base.anyInterest(subject); }

        @Override
        public JsApiError accountRoom(StreamConfig c, long size) {
            long more = size;
            for (StreamOp.Append a : appends) {
                more += base.sizeOf(a.subject(), a.headers().length, a.data().length);
            }
            return base.accountRoom(c, more);
        }

        @Override
        public StoreState state() {
            StoreState st = base.state();
            if (appends.isEmpty()) {
                return st;
            }
            long msgs = st.msgs();
            long bytes = st.bytes();
            for (StreamOp.Append a : appends) {
                msgs++;
                bytes += base.sizeOf(a.subject(), a.headers().length, a.data().length);
            }
            StreamOp.Append f = appends.getFirst();
            StreamOp.Append l = appends.getLast();
            boolean none = st.msgs() == 0;
            return new StoreState(msgs, bytes, none ? f.seq() : st.firstSeq(), none ? f.ts() : st.firstTimeNanos(),
                    l.seq(), l.ts(), st.numSubjects(), st.numDeleted());
        }

        @Override
        public SubjectState subjectState(String subject) {
            SubjectState ss = base.subjectState(subject);
            long msgs = ss == null ? 0 : ss.msgs();
            long firstSeq = ss == null ? 0 : ss.firstSeq();
            long lastSeq = ss == null ? 0 : ss.lastSeq();
            for (StreamOp.Append a : appends) {
                if (a.subject().equals(subject)) {
                    msgs++;
                    firstSeq = firstSeq == 0 ? a.seq() : firstSeq;
                    lastSeq = a.seq();
                }
            }
            return msgs == 0 ? null : new SubjectState(msgs, firstSeq, lastSeq);
        }

        @Override
        public long[] duplicate(String msgId, long now, long window) {
            for (StreamOp.Append a : appends) {
                if (a.msgId().equals(msgId)) {
                    return new long[] {a.seq(), a.ts()};
                }
            }
            return base.duplicate(msgId, now, window);
        }

        @Override
        public String lastMsgId() {
            return appends.isEmpty() ? base.lastMsgId() : appends.getLast().msgId();
        }

        @Override
        public long lastTimestamp() {
            return appends.isEmpty() ? base.lastTimestamp() : appends.getLast().ts();
        }

        @Override
        public byte[] lastHeaders(String subject) {
            for (int i = appends.size() - 1; i >= 0; i--) {
                if (appends.get(i).subject().equals(subject)) {
                    return appends.get(i).headers();
                }
            }
            return base.lastHeaders(subject);
        }

        @Override
        public byte[] lastPayload(String subject) {
            for (int i = appends.size() - 1; i >= 0; i--) {
                if (appends.get(i).subject().equals(subject)) {
                    return appends.get(i).data();
                }
            }
            return base.lastPayload(subject);
        }
    }

    static Decision decide(Request m, View v) {
        StreamConfig c = v.config();
        if (c.sealed()) {
            return new Reject(JsErrors.STREAM_SEALED);
        }
        // the size before the message's headers are looked at (a duplicate or a failing expectation
        // that is too big is refused for its size), as nats-server 2.15.1 orders them; checked again
        // below for headers a schedule adds
        if (c.maxMsgSize() >= 0 && (long) m.hdr().length + m.data().length > c.maxMsgSize()) {
            return new Reject(JsErrors.MESSAGE_EXCEEDS_MAXIMUM);
        }
        StoreState st = v.state();
        String subject = v.storedSubject(m.subject());
        long now = v.nowNanos();
        Headers h = m.headers();
        String msgId = "";
        StreamOp.Rollup rollup = StreamOp.Rollup.NONE;
        java.math.BigInteger incr = null;
        if (h != null) {
            // counters first, as nats-server 2.15 checks them
            String iv = h.first("Nats-Incr");
            if (iv != null && !iv.isEmpty()) {
                incr = MsgCounter.parse(iv);
                if (incr == null) {
                    return new Reject(JsErrors.INCR_INVALID);
                }
                if (!c.allowMsgCounter()) {
                    return new Reject(JsErrors.INCR_DISABLED);
                }
                if (m.data().length > 0) {
                    return new Reject(JsErrors.INCR_PAYLOAD);
                }
                for (String k : new String[] {"Nats-Rollup", "Nats-Expected-Stream", "Nats-Expected-Last-Msg-Id",
                        "Nats-Expected-Last-Subject-Sequence-Subject", "Nats-Expected-Last-Sequence",
                        "Nats-Expected-Last-Subject-Sequence"}) {
                    String hv = h.first(k);
                    if (hv != null && !hv.isEmpty()) {
                        return new Reject(JsErrors.INCR_INVALID);
                    }
                }
            }
            msgId = nz(h.first("Nats-Msg-Id"));
            if (!msgId.isEmpty()) {
                long[] d = v.duplicate(msgId, now, c.duplicateWindow());
                if (d != null) {
                    return new Duplicate(d[0]);
                }
            }
            Reject expected = expectations(h, v, st, subject);
            if (expected != null) {
                return expected;
            }
            if (!m.scheduled()) {
                // a message a schedule published was checked when its schedule was stored
                Object checked = schedule(h, m.hdr(), subject, v, now);
                if (checked instanceof Reject r) {
                    return r;
                }
                if (checked instanceof Headers withRollup) {
                    h = withRollup;
                    m = new Request(m.subject(), h, h.toBytes(), m.data(), false);
                }
            }
            String r = h.first("Nats-Rollup");
            if (r != null && !r.isEmpty()) {
                if (!c.allowRollup() || c.denyPurge()) {
                    return new Reject(JsErrors.ROLLUP_FAILED.with("rollup not permitted"));
                }
                switch (r) {
                    case "sub" -> rollup = StreamOp.Rollup.SUBJECT;
                    case "all" -> rollup = StreamOp.Rollup.ALL;
                    default -> {
                        return new Reject(JsErrors.ROLLUP_FAILED.with("rollup value invalid: " + GoJsonQuote.go(r)));
                    }
                }
            }
        }
        byte[] data = m.data();
        if (c.allowMsgCounter()) {
            if (incr == null) {
                return new Reject(JsErrors.INCR_MISSING);
            }
            java.math.BigInteger before = MsgCounter.value(v.lastPayload(subject));
            if (before == null) {
                return new Reject(JsErrors.COUNTER_BROKEN);
            }
            data = MsgCounter.body(before.add(incr));
        }
        long size = v.sizeOf(subject, m.hdr().length, data.length);
        if (c.maxMsgSize() >= 0 && (long) m.hdr().length + m.data().length > c.maxMsgSize()) {
            return new Reject(JsErrors.MESSAGE_EXCEEDS_MAXIMUM);
        }
        if (m.hdr().length > 65535) {
            return new Reject(JsErrors.HEADER_EXCEEDS_MAXIMUM);
        }
        long ttl = MsgTtl.NONE;
        if (h != null) {
            // after the rollup and size checks, as nats-server 2.15.1 orders them; an invalid value
            // is refused before a stream without allow_msg_ttl refuses any
            ttl = MsgTtl.parse(h.first("Nats-TTL"));
            if (ttl == MsgTtl.INVALID) {
                return new Reject(JsErrors.MSG_TTL_INVALID);
            }
            if (ttl != MsgTtl.NONE && !c.allowMsgTtl()) {
                return new Reject(JsErrors.MSG_TTL_DISABLED);
            }
        }
        byte[] hdr = m.hdr();
        long sdm = c.subjectDeleteMarkerTtl() / MsgTtl.SECOND;
        if (ttl > 0 && sdm > 0 && c.maxMsgsPerSubject() != 1 && ttl / MsgTtl.SECOND < sdm) {
            // with subject delete markers a TTL is at least the markers' (else a marker could outlive
            // what it marks and be missed), in whole seconds, the header rewritten last (2.15.1)
            ttl = sdm * MsgTtl.SECOND;
            Headers raised = new Headers();
            for (int i = 0; i < h.size(); i++) {
                if (!h.keyAt(i).equals("Nats-TTL")) {
                    raised.add(h.keyAt(i), h.valueAt(i));
                }
            }
            raised.add("Nats-TTL", Long.toString(sdm));
            hdr = raised.toBytes();
        }
        Reject full = discardNew(c, v, st, subject, size, rollup);
        if (full != null) {
            return full;
        }
        JsApiError resources = v.accountRoom(c, size);
        if (resources != null) {
            return new Reject(resources);
        }
        long ts = Math.max(now, v.lastTimestamp() + 1);
        boolean noInterest = c.retention() == Retention.INTEREST && !v.anyInterest(subject);
        return new StreamOp.Append(st.lastSeq() + 1, ts, subject, hdr, data, msgId, c.duplicateWindow(),
                rollup, StreamOp.Limits.of(c), noInterest, ttl);
    }

    /**
     * The message schedule headers (ADR-51), in nats-server 2.15.1's order: a schedule's pattern,
     * time zone, TTL, rollup, target and source; then a schedule purge ({@code Nats-Schedule-Next:
     * purge} with {@code Nats-Scheduler}). Returns null (nothing to change), a {@link Reject}, or
     * the headers with the {@code Nats-Rollup: sub} a schedule is stored with (one message per
     * schedule subject).
     */
    private static Object schedule(Headers h, byte[] hdr, String subject, View v, long now) {
        if (!MsgSchedule.mentions(hdr)) {
            return null;
        }
        StreamConfig c = v.config();
        boolean allowed = c.allowMsgSchedules();
        Object result = null;
        String pattern = h.first(MsgSchedule.PATTERN);
        java.time.ZoneId zone = MsgSchedule.zone(h);
        if (zone == MsgSchedule.BAD_ZONE) {
            return new Reject(allowed ? JsErrors.SCHEDULES_TIME_ZONE_INVALID : JsErrors.SCHEDULES_DISABLED);
        }
        MsgSchedule.When when = MsgSchedule.parse(pattern, zone, now);
        if (when == MsgSchedule.INVALID) {
            return new Reject(allowed ? JsErrors.SCHEDULES_PATTERN_INVALID : JsErrors.SCHEDULES_DISABLED);
        }
        if (when != null) {
            if (!allowed) {
                return new Reject(JsErrors.SCHEDULES_DISABLED);
            }
            String ttl = h.first(MsgSchedule.TTL);
            if (ttl != null && !ttl.isEmpty() && MsgTtl.parse(ttl) == MsgTtl.INVALID) {
                return new Reject(JsErrors.SCHEDULES_TTL_INVALID);
            }
            String rollup = h.first(MsgSchedule.ROLLUP);
            if (rollup != null && !rollup.isEmpty() && !rollup.equals("sub")) {
                return new Reject(JsErrors.SCHEDULES_ROLLUP_INVALID);
            }
            if (ttl != null && !ttl.isEmpty() && !c.allowMsgTtl()) {
                return new Reject(JsErrors.MSG_TTL_DISABLED);
            }
            String target = h.first(MsgSchedule.TARGET);
            if (target == null || target.isEmpty() || !io.weft.store.Subjects.isValidPublishSubject(target)
                    || io.weft.store.Subjects.hasWildcard(target) || target.equals(subject)) {
                return new Reject(JsErrors.SCHEDULES_TARGET_INVALID);
            }
            String source = h.first(MsgSchedule.SOURCE);
            boolean hasSource = source != null && !source.isEmpty();
            if (hasSource && (source.equals(target) || source.equals(subject)
                    || !io.weft.store.Subjects.isValidPublishSubject(source) || io.weft.store.Subjects.hasWildcard(source))) {
                return new Reject(JsErrors.SCHEDULES_SOURCE_INVALID);
            }
            if (!inStream(c, target)) {
                return new Reject(JsErrors.SCHEDULES_TARGET_INVALID);
            }
            if (hasSource && !inStream(c, source)) {
                return new Reject(JsErrors.SCHEDULES_SOURCE_INVALID);
            }
            String existing = h.first("Nats-Rollup");
            if (existing == null || existing.isEmpty()) {
                Headers with = new Headers();
                for (int i = 0; i < h.size(); i++) {
                    if (!h.keyAt(i).equals("Nats-Rollup")) {
                        with.add(h.keyAt(i), h.valueAt(i));
                    }
                }
                with.add("Nats-Rollup", "sub");
                result = with;
            } else if (!existing.equals("sub")) {
                return new Reject(JsErrors.SCHEDULES_ROLLUP_INVALID);
            }
        }
        String next = h.first(MsgSchedule.NEXT);
        String scheduler = h.first(MsgSchedule.SCHEDULER);
        if (next != null && !next.isEmpty()) {
            // clients may name a schedule's next firing only to purge it
            if (!next.equals(MsgSchedule.PURGE) || scheduler == null || scheduler.isEmpty()
                    || scheduler.equals(subject) || !io.weft.store.Subjects.isValidPublishSubject(scheduler)) {
                return new Reject(JsErrors.SCHEDULES_SCHEDULER_INVALID);
            }
            if (!allowed) {
                return new Reject(JsErrors.SCHEDULES_DISABLED);
            }
            byte[] last = v.lastHeaders(scheduler);
            if (last != null && !isSchedule(last)) {
                return new Reject(JsErrors.SCHEDULES_SCHEDULER_INVALID);
            }
        } else if (scheduler != null && !scheduler.isEmpty()) {
            return new Reject(JsErrors.SCHEDULES_SCHEDULER_INVALID);
        }
        return result;
    }

    /** True if a stored message's headers hold a (non-empty) {@code Nats-Schedule}. */
    static boolean isSchedule(byte[] hdr) {
        if (!MsgSchedule.mentions(hdr)) {
            return false;
        }
        try {
            String p = Headers.parse(hdr).first(MsgSchedule.PATTERN);
            return p != null && !p.isEmpty();
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** True if one of the stream's subjects takes {@code subject} (a literal). */
    private static boolean inStream(StreamConfig c, String subject) {
        for (String s : c.subjects()) {
            if (io.weft.store.Subjects.matches(s, subject)) {
                return true;
            }
        }
        return false;
    }

    /** The {@code Nats-Expected-*} headers. */
    private static Reject expectations(Headers h, View v, StoreState st, String subject) {
        String es = h.first("Nats-Expected-Stream");
        if (es != null && !es.isEmpty() && !es.equals(v.name())) {
            return new Reject(JsErrors.STREAM_NOT_MATCH);
        }
        String els = h.first("Nats-Expected-Last-Sequence");
        if (els != null && !els.isEmpty() && parseLong(els) != st.lastSeq()) {
            return new Reject(JsErrors.WRONG_LAST_SEQUENCE.with(st.lastSeq()));
        }
        String elm = h.first("Nats-Expected-Last-Msg-Id");
        if (elm != null && !elm.isEmpty() && !elm.equals(v.lastMsgId())) {
            return new Reject(JsErrors.WRONG_LAST_MSG_ID.with(v.lastMsgId()));
        }
        String elss = h.first("Nats-Expected-Last-Subject-Sequence");
        if (elss != null && !elss.isEmpty()) {
            SubjectState ss = v.subjectState(subject);
            long cur = ss == null ? 0 : ss.lastSeq();
            if (parseLong(elss) != cur) {
                return new Reject(JsErrors.WRONG_LAST_SEQUENCE.with(cur));
            }
        }
        return null;
    }

    /** {@code discard: new}: the limits refuse the message instead of making room for it. */
    private static Reject discardNew(StreamConfig c, View v, StoreState st, String subject, long size,
                                     StreamOp.Rollup rollup) {
        if (!c.discardNew() || rollup == StreamOp.Rollup.ALL) {
            return null;
        }
        // nats-server checks the per-subject limit first
        if (c.discardNewPerSubject() && c.maxMsgsPerSubject() > 0 && rollup != StreamOp.Rollup.SUBJECT) {
            SubjectState ss = v.subjectState(subject);
            if (ss != null && ss.msgs() >= c.maxMsgsPerSubject()) {
                return new Reject(JsErrors.STREAM_STORE_FAILED.with("maximum messages per subject exceeded"));
            }
        }
        if (c.maxMsgs() > 0 && st.msgs() >= c.maxMsgs()) {
            return new Reject(JsErrors.STREAM_STORE_FAILED.with("maximum messages exceeded"));
        }
        if (c.maxBytes() > 0 && st.bytes() + size > c.maxBytes()) {
            return new Reject(JsErrors.STREAM_STORE_FAILED.with("maximum bytes exceeded"));
        }
        return null;
    }

    private static long parseLong(String s) {
        try {
            return Long.parseLong(s.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static String nz(String s) {
        return s == null ? "" : s;
    }
}
