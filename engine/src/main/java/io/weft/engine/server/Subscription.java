package io.weft.engine.server;

import io.weft.engine.sublist.SublistEntry;
import java.util.concurrent.atomic.AtomicLong;

/** One SUB of one client. */
final class Subscription implements SublistEntry {
    final ClientConnection client;
    final String sid;
    private final String subject;
    private final String queue;
    /** Auto-unsubscribe after this many deliveries; 0 = never. */
    volatile long max;
    final AtomicLong delivered = new AtomicLong();

    Subscription(ClientConnection client, String subject, String queue, String sid) {
        this.client = client;
        this.subject = subject;
        this.queue = queue;
        this.sid = sid;
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
