package io.weft.engine.server;

import io.weft.engine.sublist.SublistEntry;
import java.util.concurrent.atomic.AtomicLong;

/** One SUB of one client, or one internal subscription of the server (then {@code client} is null). */
final class Subscription implements SublistEntry {
    final ClientConnection client;
    final InternalHandler handler;
    final String sid;
    private final String subject;
    private final String queue;
    /** Auto-unsubscribe after this many deliveries; 0 = never. */
    volatile long max;
    final AtomicLong delivered = new AtomicLong();

    Subscription(ClientConnection client, String subject, String queue, String sid) {
        this.client = client;
        this.handler = null;
        this.subject = subject;
        this.queue = queue;
        this.sid = sid;
    }

    Subscription(InternalHandler handler, String subject, String queue) {
        this.client = null;
        this.handler = handler;
        this.subject = subject;
        this.queue = queue;
        this.sid = "";
    }

    /** Hands one message to this subscriber; false when nothing was delivered. */
    boolean deliver(String subj, String reply, byte[] data, int off, int hdrLen, int totalLen,
                    ClientConnection publisher, Deliveries batch) {
        if (handler != null) {
            delivered.incrementAndGet();
            handler.onMessage(subj, reply, data, off, hdrLen, totalLen);
            return true;
        }
        return client.deliver(this, subj, reply, data, off, hdrLen, totalLen, publisher, batch);
    }

    @Override
    public String subject() {
        return subject;
    }

    @Override
    public String queue() {
        return queue;
    }
}
