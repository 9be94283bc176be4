package io.weft.engine.jetstream;

import io.weft.engine.protocol.Headers;
import io.weft.net.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The atomic batches of one stream that are still open (ADR-50, {@code allow_atomic}): messages
 * published with {@code Nats-Batch-Id} and {@code Nats-Batch-Sequence} are staged here, in memory,
 * neither stored nor visible, until the message carrying {@code Nats-Batch-Commit} hands the whole
 * batch to the stream, which decides and stores it as one op ({@link StreamOp.Batch}). A batch that
 * breaks a rule (a gap, too large, an invalid commit, idle past the timeout) is dropped whole.
 *
 * <p>The order of the checks and their errors are nats-server 2.15.1's. Time is the {@link Clock}'s
 * (the determinism rule): a batch idle longer than the timeout is abandoned, lazily by the next
 * message of any batch, and by a timer so its inflight slot comes back. Thread-safe.
 */
final class AtomicBatches {
    /** nats-server's defaults (jetstream limits max_batch_size, max_batch_inflight_per_stream / _total, max_batch_timeout). */
    static final int MAX_SIZE = 1000;
    static final int MAX_INFLIGHT_PER_STREAM = 50;
    static final int MAX_INFLIGHT_TOTAL = 1000;
    static final Duration TIMEOUT = Duration.ofSeconds(10);
    static final int MAX_ID_LENGTH = 64;

    static final String ID = "Nats-Batch-Id";
    static final String SEQUENCE = "Nats-Batch-Sequence";
    static final String COMMIT = "Nats-Batch-Commit";

    /** One staged message, as published. */
    record Msg(String subject, byte[] hdr, Headers headers, byte[] data) {
    }

    /** What a batch message led to. */
    sealed interface Step permits Staged, Failed, Commit {
    }

    /** Staged; a publisher that asked for a reply hears an empty message. */
    record Staged() implements Step {
    }

    /** Refused (the batch, if it was open, is gone). */
    record Failed(JsApiError error) implements Step {
    }

    /** The batch is complete: decide and store {@code msgs} (the {@code eob} marker is not among them). */
    record Commit(String id, List<Msg> msgs) implements Step {
    }

    private static final class Open {
        final List<Msg> msgs = new ArrayList<>();
        long lastNanos;
        Clock.Cancellable timer;
    }

    /** The limits in force (the server options, read at each message as nats-server reads them, so a reload applies). */
    record Limits(int maxSize, int maxPerStream, int maxTotal, Duration timeout) {
        static final Limits DEFAULTS = new Limits(MAX_SIZE, MAX_INFLIGHT_PER_STREAM, MAX_INFLIGHT_TOTAL, TIMEOUT);

        /** {@code jetstream { limits { batch { ... } } }}; a value not above 0 is the default. */
        static Limits of(io.weft.engine.ServerOptions o) {
            return new Limits(o.jetstreamBatchMaxMsgs > 0 ? o.jetstreamBatchMaxMsgs : MAX_SIZE,
                    o.jetstreamBatchInflightPerStream > 0 ? o.jetstreamBatchInflightPerStream : MAX_INFLIGHT_PER_STREAM,
                    o.jetstreamBatchInflightTotal > 0 ? o.jetstreamBatchInflightTotal : MAX_INFLIGHT_TOTAL,
                    o.jetstreamBatchTimeout != null && o.jetstreamBatchTimeout.toNanos() > 0 ? o.jetstreamBatchTimeout : TIMEOUT);
        }
    }

    private final Clock clock;
    private final AtomicInteger totalInflight;
    private final java.util.function.Supplier<Limits> limits;
    private int maxSize;
    private int maxPerStream;
    private int maxTotal;
    private long timeoutNanos;
    private final ReentrantLock lock = new ReentrantLock();
    /** Sorted by id: no iteration over identity hashes. */
    private final TreeMap<String, Open> open = new TreeMap<>();

    /** {@code totalInflight}: the server-wide count of open batches, shared by every stream. */
    AtomicBatches(Clock clock, AtomicInteger totalInflight) {
        this(clock, totalInflight, () -> Limits.DEFAULTS);
    }

    AtomicBatches(Clock clock, AtomicInteger totalInflight, int maxSize, int maxPerStream, int maxTotal, Duration timeout) {
        this(clock, totalInflight, () -> new Limits(maxSize, maxPerStream, maxTotal, timeout));
    }

    AtomicBatches(Clock clock, AtomicInteger totalInflight, java.util.function.Supplier<Limits> limits) {
        this.clock = clock;
        this.totalInflight = totalInflight;
        this.limits = limits;
        readLimits();
    }

    /** Takes the limits in force now (caller holds the lock, or is the constructor). */
    private void readLimits() {
        Limits l = limits.get();
        maxSize = l.maxSize();
        maxPerStream = l.maxPerStream();
        maxTotal = l.maxTotal();
        timeoutNanos = l.timeout().toNanos();
    }

    /** The batch id of a published message, or null if it is not part of an atomic batch. */
    static String batchId(Headers h) {
        if (h == null) {
            return null;
        }
        String id = h.first(ID);
        return id == null || id.isEmpty() ? null : id;
    }

    /**
     * Stages (or commits) the message {@code m} of batch {@code id}, on a stream that allows atomic
     * publishing ({@code enabled}; else 10174).
     */
    Step offer(boolean enabled, String id, Msg m) {
        if (!enabled) {
            return new Failed(JsErrors.ATOMIC_DISABLED);
        }
        if (id.length() > MAX_ID_LENGTH) {
            return new Failed(JsErrors.ATOMIC_INVALID_ID);
        }
        long seq = sequence(m.headers().first(SEQUENCE));
        if (seq < 0) {
            return new Failed(JsErrors.ATOMIC_MISSING_SEQ);
        }
        String c = m.headers().first(COMMIT);
        boolean commit = c != null;
        boolean eob = "eob".equals(c);
        boolean invalidCommit = commit && !eob && !"1".equals(c);
        long now = clock.nanoTime();
        lock.lock();
        try {
            readLimits();
            Open b = open.get(id);
            boolean expired = b != null && now - b.lastNanos > timeoutNanos;
            if (b == null) {
                if (seq != 1) {
                    long size = eob ? seq - 1 : seq;
                    return new Failed(size > maxSize ? JsErrors.ATOMIC_TOO_LARGE.with(maxSize) : JsErrors.ATOMIC_INCOMPLETE);
                }
                if (open.size() + 1 > maxPerStream) {
                    return new Failed(JsErrors.ATOMIC_TOO_MANY_INFLIGHT);
                }
                if (totalInflight.incrementAndGet() > maxTotal) {
                    totalInflight.decrementAndGet();
                    return new Failed(JsErrors.ATOMIC_TOO_MANY_INFLIGHT);
                }
                b = new Open();
                open.put(id, b);
            }
            if (invalidCommit) {
                drop(id);
                return new Failed(JsErrors.ATOMIC_INVALID_COMMIT);
            }
            String level = m.headers().first("Nats-Required-Api-Level");
            if (level != null && !level.isEmpty() && JsApi.levelNotMet(level)) {
                drop(id);
                return new Failed(JsErrors.REQUIRED_API_LEVEL);
            }
            if (seq != b.msgs.size() + 1 || expired || (seq == 1 && eob)) {
                drop(id);
                return new Failed(JsErrors.ATOMIC_INCOMPLETE);
            }
            long size = eob ? seq - 1 : seq;
            if (size > maxSize) {
                drop(id);
                return new Failed(JsErrors.ATOMIC_TOO_LARGE.with(maxSize));
            }
            b.lastNanos = now;
            if (!eob) {
                b.msgs.add(withoutLevel(m));
            }
            if (!commit) {
                if (b.timer == null) {
                    schedule(id, b);
                }
                return new Staged();
            }
            drop(id);
            if (eob) {
                // the last message stored is the batch's commit: it carries "Nats-Batch-Commit: 1" (nats-server)
                Msg last = b.msgs.removeLast();
                byte[] hdr = withCommit(last.hdr());
                b.msgs.add(new Msg(last.subject(), hdr, Headers.parse(hdr), last.data()));
            }
            return new Commit(id, List.copyOf(b.msgs));
        } finally {
            lock.unlock();
        }
    }

    /**
     * The sequences (ascending) of an atomic batch the store holds only the start of, at its tail:
     * messages of one {@code Nats-Batch-Id} back to its sequence 1 and none with
     * {@code Nats-Batch-Commit}. A local stream writes a batch in a group commit of its own and acks
     * it only after the sync, and after a crash a store keeps a prefix of what was not synced, so a
     * crash during that sync can leave such a tail and nothing after it; the stream removes it at
     * start (the batch was never acknowledged). Empty when the tail is complete.
     */
    static List<Long> incompleteTail(io.weft.store.MessageStore store) throws java.io.IOException {
        List<Long> out = new ArrayList<>();
        io.weft.store.StoreState st = store.state();
        String id = null;
        for (long seq = st.lastSeq(); st.msgs() > 0 && seq >= st.firstSeq(); seq--) {
            io.weft.store.StoredMessage m;
            try {
                m = store.load(seq);
            } catch (io.weft.store.CorruptRecordException e) {
                return List.of(); // damage the store reports (and never serves): not a batch this can judge
            }
            Headers h = null;
            if (m != null && m.headers().length > 0) {
                try {
                    h = Headers.parse(m.headers());
                } catch (RuntimeException e) {
                    h = null;
                }
            }
            String mid = batchId(h);
            if (mid == null || h.first(COMMIT) != null || (id != null && !id.equals(mid))) {
                return List.of(); // no open batch at the tail (or one whose start is not there)
            }
            id = mid;
            out.addFirst(seq);
            if ("1".equals(h.first(SEQUENCE))) {
                return out;
            }
        }
        return List.of();
    }

    /** Drops every open batch (the stream stopped, or no longer allows atomic publishing). */
    void clear() {
        lock.lock();
        try {
            while (!open.isEmpty()) {
                drop(open.firstKey());
            }
        } finally {
            lock.unlock();
        }
    }

    /** Batches open now. */
    int inflight() {
        lock.lock();
        try {
            return open.size();
        } finally {
            lock.unlock();
        }
    }

    /** Checks again when batch {@code id} could have been idle past the timeout (caller holds the lock). */
    private void schedule(String id, Open b) {
        long due = b.lastNanos + timeoutNanos - clock.nanoTime();
        b.timer = clock.schedule(Duration.ofNanos(Math.max(1, due + 1)), () -> {
            lock.lock();
            try {
                if (open.get(id) != b) {
                    return;
                }
                b.timer = null;
                if (clock.nanoTime() - b.lastNanos > timeoutNanos) {
                    drop(id); // abandoned: nats-server's advisory reason "timeout"
                } else {
                    schedule(id, b);
                }
            } finally {
                lock.unlock();
            }
        });
    }

    private void drop(String id) {
        Open b = open.remove(id);
        if (b != null) {
            totalInflight.decrementAndGet();
            if (b.timer != null) {
                b.timer.cancel();
                b.timer = null;
            }
        }
    }

    /** The header {@code Nats-Required-Api-Level} is removed from what is stored (nats-server). */
    private static Msg withoutLevel(Msg m) {
        if (m.headers().first("Nats-Required-Api-Level") == null) {
            return m;
        }
        Headers h = copy(m.headers());
        h.remove("Nats-Required-Api-Level");
        return new Msg(m.subject(), h.toBytes(), h, m.data());
    }

    /** {@code hdr} with {@code Nats-Batch-Commit: 1} appended as its last header, the rest byte for byte as published. */
    static byte[] withCommit(byte[] hdr) {
        byte[] add = (COMMIT + ": 1\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        int keep = hdr.length;
        if (keep >= 4 && hdr[keep - 4] == '\r' && hdr[keep - 3] == '\n' && hdr[keep - 2] == '\r' && hdr[keep - 1] == '\n') {
            keep -= 2; // the blank line that ends the block
        }
        byte[] out = java.util.Arrays.copyOf(hdr, keep + add.length);
        System.arraycopy(add, 0, out, keep, add.length);
        return out;
    }

    private static Headers copy(Headers src) {
        Headers h = new Headers();
        for (int i = 0; i < src.size(); i++) {
            h.add(src.keyAt(i), src.valueAt(i));
        }
        return h;
    }

    /** The batch sequence, or -1 if the header is missing or not a number. */
    private static long sequence(String v) {
        if (v == null) {
            return -1;
        }
        try {
            long s = Long.parseUnsignedLong(v.trim());
            return s < 0 ? Long.MAX_VALUE : s;
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
