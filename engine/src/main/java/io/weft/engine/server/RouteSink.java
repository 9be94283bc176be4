package io.weft.engine.server;

import java.util.List;

/**
 * The far end of a route as the {@link Router} sees it: where a message for remote interest is
 * sent. The route package implements it; the router calls it on the publisher's thread, so it
 * must copy what it keeps and must not block (a route queues the bytes for its writer).
 */
public interface RouteSink {
    /**
     * Sends one message to the peer (an {@code RMSG}, or {@code HMSG} when {@code hdrLen > 0}).
     * {@code queues} names the peer's queue groups this message was picked for (empty: only its
     * plain subscriptions). False when the route is closing and took nothing.
     */
    boolean sendMessage(String account, String subject, String reply, List<String> queues,
                        byte[] data, int off, int hdrLen, int totalLen);

    /**
     * True when more than three quarters of the route's max_pending waits unsent (the stall gate of
     * a client's outbound): a client producer then stalls on it, bounded, as on a client subscriber
     * ({@link Deliveries}), instead of filling it until it is cut as a slow consumer. Read without
     * a lock.
     */
    default boolean stallAdvised() {
        return false;
    }

    /** Waits through {@code clock} until {@link #stallAdvised()} is false, the route closed or the deadline passed. */
    default void awaitDrain(io.weft.net.Clock clock, long deadlineNanos) throws InterruptedException {
    }

    /**
     * True when the peer traces a traced message it receives (its route INFO announced protocol
     * {@link MsgTrace#ROUTE_PROTO} or later): only then may a trace-only message be sent to it.
     */
    default boolean tracesMessages() {
        return false;
    }

    /** The route's connection id, as message traces show it ({@code cid}; -1 when it has none). */
    default long connectionId() {
        return -1;
    }

    /** The peer's server name, as message traces name a route egress (null when not known). */
    default String remoteName() {
        return null;
    }
}
