package io.weft.server.bench;

/**
 * What one client did in a run: how many messages (and payload bytes) it sent or received
 * between {@code startNanos} and {@code endNanos}.
 */
public record Sample(String name, long msgs, long bytes, long startNanos, long endNanos) {

    public long durationNanos() {
        return Math.max(1, endNanos - startNanos);
    }

    public double msgsPerSec() {
        return msgs * 1e9 / durationNanos();
    }

    public double bytesPerSec() {
        return bytes * 1e9 / durationNanos();
    }
}
