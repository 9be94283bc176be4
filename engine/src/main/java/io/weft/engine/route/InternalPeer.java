package io.weft.engine.route;

/**
 * A weft peer as the receiver of {@link InternalTraffic} sees it: its name, and a way to queue an
 * internal message for it without blocking. {@link RouteConnection} is the one implementation.
 */
public interface InternalPeer {
    /** The peer's {@code server_name} (its Raft peer id derives from it). */
    String remoteName();

    /** Where the peer is, for logs. */
    String remoteAddress();

    /** Queues one message of {@link InternalTraffic#ACCOUNT}; false when nothing was queued. Never blocks. */
    boolean sendInternal(String subject, byte[] payload);

    /** The route's queue is past its stall gate (three quarters of {@link #maxPending}). */
    boolean stallAdvised();

    /** Waits through {@code clock} until the route is below its stall gate, closed, or the deadline passed. */
    void awaitDrain(io.weft.net.Clock clock, long deadlineNanos) throws InterruptedException;

    /** The most the route may queue before it is cut as a slow consumer ({@code max_pending}). */
    long maxPending();
}
