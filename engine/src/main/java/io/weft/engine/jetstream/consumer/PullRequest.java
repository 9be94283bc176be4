package io.weft.engine.jetstream.consumer;

/** One waiting {@code MSG.NEXT} request of a pull consumer. Guarded by the consumer's lock. */
final class PullRequest {
    final String reply;
    int remaining;
    long bytesLeft;          // 0 = no byte limit
    final long maxBytes;
    final long expiresAt;    // monotonic nanos, 0 = never
    final boolean noWait;
    final long heartbeat;    // nanos, 0 = none
    long nextHeartbeat;
    int delivered;
    /** The priority group fields of a JSON request (ADR-42); {@code group} null for a plain batch request. */
    String group;
    long minPending;
    long minAckPending;
    String pinId = "";
    /** {@code priority} 0-9 of a {@code prioritized} consumer's request (nats-server 2.12): lower is served first. */
    long priority;

    PullRequest(String reply, int batch, long maxBytes, long expiresAt, boolean noWait, long heartbeat, long now) {
        this.reply = reply;
        this.remaining = batch;
        this.maxBytes = maxBytes;
        this.bytesLeft = maxBytes;
        this.expiresAt = expiresAt;
        this.noWait = noWait;
        this.heartbeat = heartbeat;
        this.nextHeartbeat = heartbeat > 0 ? Consumer.at(now, Math.max(Consumer.MIN_TIMER, heartbeat)) : Long.MAX_VALUE;
    }
}
