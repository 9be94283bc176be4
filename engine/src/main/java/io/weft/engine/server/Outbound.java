package io.weft.engine.server;

import io.weft.engine.protocol.MessageLine;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A connection's outbound bytes. Producers (any publisher's thread) append whole protocol
 * messages under a short lock; the connection's writer thread swaps the filled buffer for an empty
 * one and writes it in one call, so many messages share one syscall. Appending never blocks: a
 * buffer over its byte limit reports it and the caller cuts the connection as a slow consumer. A
 * producer that appends many messages in a row defers the writer's wake-up to the end of its batch
 * (see {@link Deliveries}).
 */
final class Outbound {
    /*
     * Buffers start small so that an idle connection holds about a kilobyte (10,000 idle
     * connections are a target) and grow by doubling under load; a writer's recycled buffer keeps
     * its grown size (up to KEEP_SPARE_LIMIT), so a busy connection does not grow them again.
     */
    private static final int INITIAL = 512;
    private static final int KEEP_SPARE_LIMIT = 1024 * 1024;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition ready = lock.newCondition();
    /** Signalled when the writer takes the pending bytes (or the buffer closes): stalled producers go on. */
    private final Condition drained = lock.newCondition();
    /**
     * More than three quarters of max_pending is pending (nats-server's stall gate): a client's reader
     * that delivered here waits, bounded, for the writer to take it ({@link #awaitDrain}). Written
     * under the lock, read without it by producers.
     */
    volatile boolean stalled;
    private long stallAbove;
    private byte[] pending = new byte[INITIAL];
    private int pendingLen;
    private byte[] spare;
    private long maxPending;
    private boolean closed;
    private boolean flushAndClose;
    /** The writer was handed the last chunk (the one with {@link Chunk#last}): nothing follows it. */
    private boolean lastTaken;
    /** Someone is writing taken bytes: the writer, or a producer writing inline ({@link #takeInline}). */
    private boolean owned;
    /** An inline write left bytes in the connection: the writer must send them before anything else. */
    private boolean behind;
    private static final byte[] EMPTY = new byte[0];

    Outbound(long maxPending) {
        this.maxPending = maxPending;
        this.stallAbove = stallThreshold(maxPending);
    }

    /**
     * Three quarters of max_pending, nats-server's stall gate since 2.10.26 (it was half before:
     * "not as penalizing" for producers).
     */
    static long stallThreshold(long maxPending) {
        return maxPending / 4 * 3;
    }

    void setMaxPending(long maxPending) {
        lock.lock();
        try {
            this.maxPending = maxPending;
            this.stallAbove = stallThreshold(maxPending);
        } finally {
            lock.unlock();
        }
    }

    /** Result of an append. */
    enum Append { OK, OVER_LIMIT, CLOSED }

    /**
     * Appends the concatenation of the parts; all or nothing. With {@code defer} the writer is not
     * woken: the caller promises a {@link #wakeWriter} at the end of its batch.
     */
    Append append(byte[] a, int aOff, int aLen, byte[] b, int bOff, int bLen, byte[] c, int cOff, int cLen) {
        return append(a, aOff, aLen, b, bOff, bLen, c, cOff, cLen, false);
    }

    Append append(byte[] a, int aOff, int aLen, byte[] b, int bOff, int bLen, byte[] c, int cOff, int cLen,
                  boolean defer) {
        lock.lock();
        try {
            if (closed || flushAndClose) {
                return Append.CLOSED;
            }
            long total = (long) aLen + bLen + cLen;
            if (pendingLen + total > maxPending) {
                return Append.OVER_LIMIT;
            }
            ensure((int) total);
            System.arraycopy(a, aOff, pending, pendingLen, aLen);
            pendingLen += aLen;
            if (bLen > 0) {
                System.arraycopy(b, bOff, pending, pendingLen, bLen);
                pendingLen += bLen;
            }
            if (cLen > 0) {
                System.arraycopy(c, cOff, pending, pendingLen, cLen);
                pendingLen += cLen;
            }
            if (pendingLen > stallAbove) {
                stalled = true;
            }
            if (pendingLen == total && !defer) {
                ready.signal();
            }
            return Append.OK;
        } finally {
            lock.unlock();
        }
    }

    Append append(byte[] bytes) {
        return append(bytes, 0, bytes.length, bytes, 0, 0, bytes, 0, 0);
    }

    /**
     * Appends {@code last} (after what is pending, or instead of it when {@code dropPending}) and
     * closes the buffer to further appends: the writer sends it and then reports the end.
     */
    void finish(byte[] last, boolean dropPending) {
        lock.lock();
        try {
            if (closed || flushAndClose) {
                return;
            }
            if (dropPending) {
                pendingLen = 0;
            }
            if (last != null) {
                ensure(last.length);
                System.arraycopy(last, 0, pending, pendingLen, last.length);
                pendingLen += last.length;
            }
            flushAndClose = true;
            ready.signal();
            unstall();
        } finally {
            lock.unlock();
        }
    }

    /** Closes at once; the writer wakes and ends. */
    void close() {
        lock.lock();
        try {
            closed = true;
            ready.signal();
            unstall();
        } finally {
            lock.unlock();
        }
    }

    long pendingBytes() {
        lock.lock();
        try {
            return pendingLen;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Appends one {@code MSG}/{@code HMSG} delivery: the control line is written straight into the
     * pending buffer (no line built elsewhere), then the body and CRLF. {@code hdrLen} is -1 for
     * {@code MSG}. Falls back to a built line when a name is not ASCII.
     */
    Append appendMessage(String subject, String sid, String reply, int hdrLen, byte[] data, int bodyOff, int bodyLen,
                         boolean defer) {
        lock.lock();
        try {
            if (closed || flushAndClose) {
                return Append.CLOSED;
            }
            int lineMax = MessageLine.maxLength(subject, sid, reply);
            long total = (long) lineMax + bodyLen + 2;
            if (pendingLen + total > maxPending) {
                // the exact line may still fit: measure it before calling this over the limit
                byte[] line = MessageLine.build(subject, sid, reply, hdrLen, bodyLen);
                if (pendingLen + (long) line.length + bodyLen + 2 > maxPending) {
                    return Append.OVER_LIMIT;
                }
            }
            ensure((int) total);
            boolean wasEmpty = pendingLen == 0;
            int p = MessageLine.write(pending, pendingLen, subject, sid, reply, hdrLen, bodyLen);
            if (p < 0) {
                byte[] line = MessageLine.build(subject, sid, reply, hdrLen, bodyLen);
                ensure(line.length + bodyLen + 2);
                System.arraycopy(line, 0, pending, pendingLen, line.length);
                p = pendingLen + line.length;
            }
            if (bodyLen > 0) {
                System.arraycopy(data, bodyOff, pending, p, bodyLen);
                p += bodyLen;
            }
            pending[p++] = '\r';
            pending[p++] = '\n';
            pendingLen = p;
            if (p > stallAbove) {
                stalled = true;
            }
            if (wasEmpty && !defer) {
                ready.signal();
            }
            return Append.OK;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Blocks until bytes are pending and hands them over: the returned chunk's bytes are
     * {@code chunk.data[0, chunk.len)}. Returns null when the buffer is closed and drained. The
     * chunk's array goes back through {@link #written(byte[])} once written.
     */
    Chunk take() throws InterruptedException {
        lock.lock();
        try {
            while (!closed && !lastTaken && (owned || (pendingLen == 0 && !behind && !flushAndClose))) {
                ready.await();
            }
            if (closed || lastTaken) {
                return null;
            }
            // A chunk may be empty: it then only sends what an inline write left in the connection,
            // or only tells the writer that the end has come (finish with nothing left to send).
            behind = false;
            owned = true;
            lastTaken = flushAndClose;
            return swap(flushAndClose);
        } finally {
            lock.unlock();
        }
    }

    /**
     * For a producer at the end of its batch: takes what is pending, to be written inline with a
     * write that never waits, when nobody is writing, nothing is left behind, and at most
     * {@code maxLen} bytes are pending. Null otherwise (the writer will send them). The caller
     * reports the outcome with {@link #inlineDone}.
     */
    Chunk takeInline(int maxLen) {
        lock.lock();
        try {
            if (closed || flushAndClose || owned || behind || pendingLen == 0 || pendingLen > maxLen) {
                return null;
            }
            owned = true;
            return swap(false);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Ends an inline write. {@code complete} false means the connection kept part of the bytes
     * (their array is not reused): the writer is woken to finish them before anything newer.
     */
    void inlineDone(byte[] used, boolean complete) {
        lock.lock();
        try {
            owned = false;
            if (complete) {
                keepSpare(used);
            } else {
                behind = true;
            }
            if (behind || pendingLen > 0 || flushAndClose || closed) {
                ready.signal();
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * For a client's reader at the end of its batch, after the writer was woken: waits through
     * {@code clock} until the writer has taken the pending bytes (they fell to none, below the
     * stall threshold) or until {@code deadlineNanos}. Returns false when the deadline passed.
     */
    boolean awaitDrain(io.weft.net.Clock clock, long deadlineNanos) throws InterruptedException {
        lock.lock();
        try {
            while (stalled && !closed && !flushAndClose) {
                if (!clock.awaitUntil(drained, deadlineNanos)) {
                    return !stalled;
                }
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Under the lock: releases the producers waiting in {@link #awaitDrain}. */
    private void unstall() {
        if (stalled) {
            stalled = false;
            drained.signalAll();
        }
    }

    /** Under the lock: hands over the pending bytes and starts a fresh buffer. */
    private Chunk swap(boolean last) {
        unstall(); // what is pending goes to the writer: nothing is pending any more
        if (pendingLen == 0) {
            return new Chunk(EMPTY, 0, last);
        }
        byte[] data = pending;
        int len = pendingLen;
        pending = spare != null ? spare : new byte[INITIAL];
        spare = null;
        pendingLen = 0;
        return new Chunk(data, len, last);
    }

    /** Wakes the writer when something is pending (after deferred appends). */
    void wakeWriter() {
        lock.lock();
        try {
            if (pendingLen > 0) {
                ready.signal();
            }
        } finally {
            lock.unlock();
        }
    }

    /** The writer is done with a taken chunk: its array may be reused, and others may write again. */
    void written(byte[] used) {
        lock.lock();
        try {
            owned = false;
            keepSpare(used);
        } finally {
            lock.unlock();
        }
    }

    private void keepSpare(byte[] used) {
        if (spare == null && used.length > 0 && used.length <= KEEP_SPARE_LIMIT) {
            spare = used;
        }
    }

    private void ensure(int extra) {
        long need = (long) pendingLen + extra;
        if (need > pending.length) {
            long cap = Math.max(need, (long) pending.length * 2);
            byte[] bigger = new byte[(int) Math.min(cap, Integer.MAX_VALUE - 16)];
            System.arraycopy(pending, 0, bigger, 0, pendingLen);
            pending = bigger;
        }
    }

    /** Bytes handed to the writer; {@code last} is set when the connection closes after them. */
    record Chunk(byte[] data, int len, boolean last) {
    }
}
