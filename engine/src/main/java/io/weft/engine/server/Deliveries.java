package io.weft.engine.server;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The connections one producer appended messages to without waking their writers, during one
 * batch of its work: a client's reader over one read, a JetStream consumer over one delivery
 * step. {@link #flush} ends the batch: the writer of each connection listed is woken once,
 * instead of once per message (each wake-up of a parked writer costs a hand-off to the scheduler).
 *
 * <p>Nothing here writes to a socket on the producer's thread: a publisher must never wait for a
 * subscriber. (Writing small batches inline from the reader, as nats-server does, was tried: the
 * simulator's core-slow-consumer scenario caught a reader blocked on a stalled subscriber's full
 * socket, unable to answer its own client's PINGs. Java offers no non-blocking write on a channel
 * that other threads use in blocking mode, so that stall could only be bounded, not avoided.)
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

    /** Ends the batch: wakes the writer of every connection appended to since the last flush. */
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
