package io.weft.engine.server;

/** One SUB of one client. */
final class ClientSubscription extends Subscription {
    final ClientConnection client;
    final String sid;
    /** Auto-unsubscribe after this many deliveries; 0 = never. */
    volatile long max;

    ClientSubscription(ClientConnection client, String subject, String queue, String sid) {
        super(subject, queue);
        this.client = client;
        this.sid = sid;
    }
}
