package io.weft.engine.server;

/** A handle to an internal subscription, for {@link Account#unsubscribe}. */
public final class InternalSubscription {
    final Subscription sub;

    InternalSubscription(Subscription sub) {
        this.sub = sub;
    }

    public String subject() {
        return sub.subject();
    }

    public String queue() {
        return sub.queue();
    }
}
