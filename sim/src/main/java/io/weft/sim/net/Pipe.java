package io.weft.sim.net;

import io.weft.sim.SimClock;
import java.io.IOException;
import java.net.SocketException;
import java.util.ArrayDeque;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One direction of a simulated connection: bytes written at virtual time t become readable at
 * t + latency, never before bytes written earlier (order within a connection is kept). Bounded like
 * a socket buffer: a writer waits while too many bytes are in flight. All waits are untimed or go
 * through {@link SimClock#awaitUntil}.
 */
final class Pipe {
    private final SimNetwork network;
    private final SimClock clock;
    final String from;
    final String to;
    private final long latencyNanos;
    private final long jitterNanos;
    /** Link bandwidth of this direction; 0 means unlimited. */
    private final long bytesPerSecond;
    private final long capacity;

    /** Guards the state; never waited on, so on the single carrier it never has a queue. */
    private final ReentrantLock lock = new ReentrantLock();
    /*
     * Each end waits on its own lock: the reading end's threads live on one host and the writing
     * end's on the other, so when a crash abandons one end's threads mid-wait, the other end's
     * waiters never queue behind them (an abandoned thread never hands a lock on).
     */
    private final ReentrantLock readerWait = new ReentrantLock();
    private final Condition readable = readerWait.newCondition();
    private final ReentrantLock writerWait = new ReentrantLock();
    private final Condition writable = writerWait.newCondition();
    private final ArrayDeque<Segment> segments = new ArrayDeque<>();
    private long buffered;
    private long lastDelivery;
    /** When the link has finished sending what was written so far (bandwidth). */
    private long linkFreeAt;
    private boolean writeClosed;
    private boolean readClosed;
    private boolean reset;

    private static final class Segment {
        final byte[] data;
        int off;
        final long deliverAt;

        Segment(byte[] data, long deliverAt) {
            this.data = data;
            this.deliverAt = deliverAt;
        }
    }

    Pipe(SimNetwork network, SimClock clock, String from, String to, long latencyNanos, long jitterNanos,
         long bytesPerSecond, long capacity) {
        this.network = network;
        this.clock = clock;
        this.from = from;
        this.to = to;
        this.latencyNanos = latencyNanos;
        this.jitterNanos = jitterNanos;
        this.bytesPerSecond = bytesPerSecond;
        this.capacity = capacity;
    }

    void write(byte[] data) throws IOException {
        if (data.length == 0) {
            return;
        }
        lock.lock();
        try {
            while (!hasRoomFor(data.length)) {
                await(writerWait, writable, -1);
            }
            enqueue(data);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SocketException("Interrupted write");
        } finally {
            lock.unlock();
        }
    }

    /** Writes all of {@code data} when the buffer has room for it now; false (nothing written) when not. */
    boolean tryWrite(byte[] data) throws IOException {
        if (data.length == 0) {
            return true;
        }
        lock.lock();
        try {
            if (!hasRoomFor(data.length)) {
                return false;
            }
            enqueue(data);
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Under the lock: fails on a dead pipe, else whether {@code len} more bytes fit. */
    private boolean hasRoomFor(int len) throws IOException {
        if (reset) {
            throw new SocketException("Connection reset");
        }
        if (writeClosed) {
            throw new SocketException("Socket closed");
        }
        if (readClosed) {
            throw new SocketException("Broken pipe");
        }
        return buffered == 0 || buffered + len <= capacity;
    }

    /** Under the lock, with room checked: the bytes go on the link. */
    private void enqueue(byte[] data) {
        long jitter = jitterNanos > 0 ? network.nextLong(jitterNanos + 1) : 0;
        // the bytes leave once the link has sent what came before, taking size/bandwidth,
        // and arrive a latency later; never before bytes written earlier
        long sent = Math.max(clock.nanoTime(), linkFreeAt)
                + (bytesPerSecond > 0 ? data.length * 1_000_000_000L / bytesPerSecond : 0);
        linkFreeAt = sent;
        long at = Math.max(lastDelivery, sent + latencyNanos + jitter);
        lastDelivery = at;
        segments.addLast(new Segment(data, at));
        buffered += data.length;
        wakeAll();
    }

    int read(byte[] buf, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        lock.lock();
        try {
            while (true) {
                if (reset) {
                    throw new SocketException("Connection reset");
                }
                if (readClosed) {
                    throw new SocketException("Socket closed");
                }
                Segment head = segments.peekFirst();
                if (head != null) {
                    if (network.blackholed(from, to)) {
                        await(readerWait, readable, -1);
                        continue;
                    }
                    if (head.deliverAt <= clock.nanoTime()) {
                        return take(buf, off, len);
                    }
                    await(readerWait, readable, head.deliverAt);
                    continue;
                }
                if (writeClosed) {
                    return -1;
                }
                await(readerWait, readable, -1);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SocketException("Interrupted read");
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits (state lock released) on one end's own lock until woken, or until {@code deadline} on
     * the clock when it is not -1. Nothing between releasing the state lock and waiting can park,
     * so on the single carrier no wake-up is lost.
     */
    private void await(ReentrantLock waitLock, Condition cond, long deadline) throws InterruptedException {
        lock.unlock();
        try {
            waitLock.lock();
            try {
                if (deadline < 0) {
                    cond.await();
                } else {
                    clock.awaitUntil(cond, deadline);
                }
            } finally {
                waitLock.unlock();
            }
        } finally {
            lock.lock();
        }
    }

    private void wakeAll() {
        readerWait.lock();
        try {
            readable.signalAll();
        } finally {
            readerWait.unlock();
        }
        writerWait.lock();
        try {
            writable.signalAll();
        } finally {
            writerWait.unlock();
        }
    }

    /** Copies every delivered byte that fits, across segments already due. */
    private int take(byte[] buf, int off, int len) {
        int n = 0;
        long now = clock.nanoTime();
        Segment s;
        while (n < len && (s = segments.peekFirst()) != null && s.deliverAt <= now) {
            int k = Math.min(len - n, s.data.length - s.off);
            System.arraycopy(s.data, s.off, buf, off + n, k);
            s.off += k;
            n += k;
            if (s.off == s.data.length) {
                segments.pollFirst();
            }
        }
        buffered -= n;
        wakeAll();
        return n;
    }

    /** The writer is done: the reader gets what is in flight, then end of stream. */
    void closeWrite() {
        lock.lock();
        try {
            writeClosed = true;
            wakeAll();
        } finally {
            lock.unlock();
        }
    }

    /** The reader is gone: its blocked read fails, later writes fail. */
    void closeRead() {
        lock.lock();
        try {
            readClosed = true;
            segments.clear();
            buffered = 0;
            wakeAll();
        } finally {
            lock.unlock();
        }
    }

    /** Both ends fail at once, in-flight bytes are lost. */
    void reset() {
        lock.lock();
        try {
            reset = true;
            segments.clear();
            buffered = 0;
            wakeAll();
        } finally {
            lock.unlock();
        }
    }

    /** Wakes waiters after a partition change. */
    void poke() {
        lock.lock();
        try {
            wakeAll();
        } finally {
            lock.unlock();
        }
    }

    boolean finished() {
        lock.lock();
        try {
            return reset || readClosed || (writeClosed && segments.isEmpty());
        } finally {
            lock.unlock();
        }
    }
}
