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
 * for the writer, in order, and a busy or larger connection only has its writer woken. So a
 * publisher still never waits for a subscriber. (An earlier inline write that could block was
 * tried and dropped: the simulator's core-slow-consumer scenario caught a reader stuck on a
 * stalled subscriber's full socket, unable to answer its own client's PINGs.)
 *
 * <p>One producer thread uses an instance. A connection is listed once per batch: it remembers
 * the token of the last batch that listed it; two producers overwriting each other's token only
 * list it twice, which is harmless. Tokens come from one counter per server, so no two batches
 * ever share one and a connection is never skipped by mistake.
 */
public final class Deliveries {
    private final AtomicLong tokens;
    private ClientConnection[] conns = new ClientConnection[4];
    private int count;
    private long token;

    Deliveries(AtomicLong tokens) {
        this.tokens = tokens;
        this.token = tokens.incrementAndGet();
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
            return;
        }
        count = 0;
        token = tokens.incrementAndGet();
        for (int i = 0; i < n; i++) {
            ClientConnection c = conns[i];
            conns[i] = null;
            c.flushPending();
        }
        if (conns.length > 64 && n < 16) {
            conns = new ClientConnection[4]; // a fan-out burst grew it: do not keep it
        }
    }
}
