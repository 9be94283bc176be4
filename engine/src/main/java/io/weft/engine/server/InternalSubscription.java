package io.weft.engine.server;

/**
 * A subscription of the server itself (JetStream's streams, consumers and API), made with
 * {@link Account#subscribe}; also the handle to give {@link Account#unsubscribe}.
 */
public final class InternalSubscription extends Subscription {
    final InternalHandler handler;
    /** Announced to the routes whatever its subject (a clustered JetStream's API handlers). */
    final boolean announce;

    InternalSubscription(InternalHandler handler, String subject, String queue) {
        this(handler, subject, queue, false);
    }

    InternalSubscription(InternalHandler handler, String subject, String queue, boolean announce) {
        super(subject, queue);
        this.handler = handler;
        this.announce = announce;
    }
}
