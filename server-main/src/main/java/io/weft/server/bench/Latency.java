package io.weft.server.bench;

import org.HdrHistogram.Histogram;

/**
 * Round-trip latencies of one run, in nanoseconds, kept in an HdrHistogram (3 significant
 * digits, 1 ns to 1 minute). Not thread-safe: each client records into its own and they are
 * {@link #add added} at the end.
 */
public final class Latency {
    private final Histogram h = new Histogram(1, 60_000_000_000L, 3);

    public void record(long nanos) {
        h.recordValue(Math.max(1, Math.min(nanos, h.getHighestTrackableValue())));
    }

    public void add(Latency other) {
        h.add(other.h);
    }

    public long count() {
        return h.getTotalCount();
    }

    /** The value at {@code percentile} (0..100), in nanoseconds. */
    public long percentile(double percentile) {
        return h.getValueAtPercentile(percentile);
    }

    public long max() {
        return h.getMaxValue();
    }

    public long min() {
        return h.getMinValue();
    }

    public double mean() {
        return h.getMean();
    }
}
