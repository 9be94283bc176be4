package io.weft.engine.server;

import io.weft.engine.sublist.SublistEntry;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A subscriber in an account's sublist: a client's SUB ({@link ClientSubscription}) or a
 * server-side handler ({@link InternalSubscription}) or a route peer's interest
 * ({@link RemoteSubscription}) or a bridge to another account ({@link ImportSubscription}, {@link ShadowSubscription}). Sealed, so that the {@link Router} knows
 * every kind it hands a message to; leaf subscriptions will be a further kind.
 */
abstract sealed class Subscription implements SublistEntry permits ClientSubscription, InternalSubscription,
        RemoteSubscription, ImportSubscription, ShadowSubscription {
    private final String subject;
    private final String queue;
    /** Messages handed to this subscriber. */
    final AtomicLong delivered = new AtomicLong();

    Subscription(String subject, String queue) {
        this.subject = subject;
        this.queue = queue;
    }

    @Override
    public final String subject() {
        return subject;
    }

    @Override
    public final String queue() {
        return queue;
    }
}
