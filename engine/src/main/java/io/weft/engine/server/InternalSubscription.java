package io.weft.engine.server;

/**
 * A subscription of the server itself (JetStream's streams, consumers and API), made with
 * {@link Account#subscribe}; also the handle to give {@link Account#unsubscribe}.
 */
public final class InternalSubscription extends Subscription {
    final InternalHandler handler;

    InternalSubscription(InternalHandler handler, String subject, String queue) {
        super(subject, queue);
        this.handler = handler;
    }
}
