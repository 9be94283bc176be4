package io.weft.engine.server;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The connections one producer appended messages to without waking their writers, during one
 * batch of its work: a client's reader over one read, a JetStream consumer over one delivery
 * step. {@link #flush} ends the batch: each connection listed is flushed once, instead of once per
 * message (each wake-up of a parked writer costs a hand-off to the scheduler).
 *
 * <p>At the flush the producer may write a connection's socket itself: when that connection's
 * writer is idle and at most 16 KiB are pending, {@code ClientConnection.flushPending} hands them
 * to {@code Conn.tryWrite}, a write that never waits; what the socket does not take at once stays
 * for the writer, in order, and a busy or larger connection only has its writer woken. (An earlier
 * inline write that could block was tried and dropped: the simulator's core-slow-consumer scenario
 * caught a reader stuck on a stalled subscriber's full socket, unable to answer its own client's
 * PINGs.)
 *
 * <p>The bounded producer stall, as nats-server's: a client's reader ({@link #forClient}) whose
 * delivery leaves more than three quarters of a subscriber's max_pending pending flushes it
 * and waits through the {@code Clock}, there and then, until its writer has taken the bytes; all
 * the waits of one batch together last at most {@link #STALL_BOUND} (counted from the first),
 * then the reader goes on without waiting for the rest of the batch. A reader that keeps reading so keeps up
 * with a fast producer instead of being cut; one that stopped reading costs the producer at most
 * the bound per batch until max_pending or write_deadline cuts it. Server-side producers
 * (JetStream deliveries and acks, the server's own publishes: {@code Account.newDeliveries}) never
 * stall, as nats-server stalls only client producers: a consumer's delivery is already bounded by
 * max_ack_pending and flow control, and a stream's ack batch waiting on one publisher's slow
 * socket would delay every publisher of the stream.

 * <p>One producer thread uses an instance. A connection is listed once per batch: it remembers
 * the token of the last batch that listed it; two producers overwriting each other's token only
 * list it twice, which is harmless. Tokens come from one counter per server, so no two batches
 * ever share one and a connection is never skipped by mistake.
 */
public final class Deliveries {
    /** The longest a client's reader waits per batch for stalled subscribers (nats-server allows 10 ms per read). */
    static final long STALL_BOUND_NANOS = 10_000_000L;
    static final java.time.Duration STALL_BOUND = java.time.Duration.ofNanos(STALL_BOUND_NANOS);

    private final AtomicLong tokens;
    /** The clock a client's reader stalls through; null: never stall (server-side producers). */
    private final io.weft.net.Clock stallClock;
    /** Told the length of each stall (monotonic nanoseconds). */
    private final java.util.function.LongConsumer onStall;
    /** True while no_fast_producer_stall is set: a stalled route misses the message instead (null: never). */
    private final java.util.function.BooleanSupplier dropForStalled;
    /** When the stalls of the current batch must end; 0 before its first stall. */
    private long stallDeadline;
    private ClientConnection[] conns = new ClientConnection[4];
    private int count;
    private long token;

    Deliveries(AtomicLong tokens) {
        this(tokens, null, null, null);
    }

    private Deliveries(AtomicLong tokens, io.weft.net.Clock stallClock, java.util.function.LongConsumer onStall,
                       java.util.function.BooleanSupplier dropForStalled) {
        this.tokens = tokens;
        this.stallClock = stallClock;
        this.onStall = onStall;
        this.dropForStalled = dropForStalled;
        this.token = tokens.incrementAndGet();
    }

    /** A client reader's batch: it stalls, bounded, on subscribers past half their max_pending. */
    static Deliveries forClient(AtomicLong tokens, io.weft.net.Clock clock, java.util.function.LongConsumer onStall) {
        return new Deliveries(tokens, clock, onStall, null);
    }

    /**
     * A client reader's batch under a server whose {@code no_fast_producer_stall} {@code drop} reads:
     * while it is true, a route past its stall threshold is not waited for and misses the message,
     * as nats-server treats any stalled connection a client publishes to.
     */
    static Deliveries forClient(AtomicLong tokens, io.weft.net.Clock clock, java.util.function.LongConsumer onStall,
                                java.util.function.BooleanSupplier drop) {
        return new Deliveries(tokens, clock, onStall, drop);
    }

    /** True when a stalled route must miss this batch's message rather than slow its client producer. */
    boolean dropsForStalledRoute() {
        return dropForStalled != null && dropForStalled.getAsBoolean();
    }

    /** True for a client reader's batch: the producer is one a stalled subscriber may slow down. */
    boolean clientProducer() {
        return stallClock != null;
    }

    /** Lists {@code c} for the end of the batch (called after a deferred append succeeded). */
    void add(ClientConnection c) {
        if (c.flushMark == token) {
            return;
        }
        c.flushMark = token;
        if (count == conns.length) {
            conns = Arrays.copyOf(conns, count * 2);
        }
        conns[count++] = c;
    }

    /**
     * Ends the batch: every connection appended to since the last flush gets its pending bytes
     * written without waiting, or its writer woken.
     */
    public void flush() {
        int n = count;
        if (n == 0) {
            stallDeadline = 0; // a batch that only stalled on a route lists no connection, and still ends here
            return;
        }
        count = 0;
        token = tokens.incrementAndGet();
        for (int i = 0; i < n; i++) {
            ClientConnection c = conns[i];
            conns[i] = null;
            c.flushPending();
        }
        stallDeadline = 0;
        if (conns.length > 64 && n < 16) {
            conns = new ClientConnection[4]; // a fan-out burst grew it: do not keep it
        }
    }

    /**
     * As {@link #stallOn(ClientConnection)}, for a route whose unsent bytes passed three quarters of
     * its max_pending ({@link RouteSink#stallAdvised}): a client's reader waits, within the same bound
     * per batch, for the route's writer.
     */
    void stallOn(RouteSink route) {
        if (stallClock == null) {
            return;
        }
        long start = stallClock.nanoTime();
        if (stallDeadline == 0) {
            stallDeadline = start + STALL_BOUND_NANOS;
        } else if (start >= stallDeadline) {
            return; // the bound of this batch is spent
        }
        try {
            route.awaitDrain(stallClock, stallDeadline);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        onStall.accept(stallClock.nanoTime() - start);
    }

    /**
     * Called by a delivery of this batch that left {@code c} past its stall threshold: for a
     * client's reader, flushes {@code c} and waits through the clock until its writer took the
     * bytes, the batch's bound (counted from its first stall) permitting. Server-side producers
     * return at once.
     */
    void stallOn(ClientConnection c) {
        if (stallClock == null) {
            return;
        }
        long start = stallClock.nanoTime();
        if (stallDeadline == 0) {
            stallDeadline = start + STALL_BOUND_NANOS;
        } else if (start >= stallDeadline) {
            return; // the bound of this batch is spent
        }
        c.stalls.increment();
        c.flushPending();
        try {
            c.out.awaitDrain(stallClock, stallDeadline);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        onStall.accept(stallClock.nanoTime() - start);
    }
}
