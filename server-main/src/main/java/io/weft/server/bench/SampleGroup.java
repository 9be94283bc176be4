package io.weft.server.bench;

import java.util.List;

/**
 * The samples of one side (publishers or subscribers) of a run. The aggregate rate is the total
 * over the span from the earliest start to the latest end, as {@code nats bench} reports it; the
 * per-client figures give min/avg/max and the population standard deviation of the rates.
 */
public record SampleGroup(String name, List<Sample> samples) {

    public SampleGroup {
        samples = List.copyOf(samples);
    }

    public long msgs() {
        long n = 0;
        for (Sample s : samples) {
            n += s.msgs();
        }
        return n;
    }

    public long bytes() {
        long n = 0;
        for (Sample s : samples) {
            n += s.bytes();
        }
        return n;
    }

    public long startNanos() {
        long v = Long.MAX_VALUE;
        for (Sample s : samples) {
            v = Math.min(v, s.startNanos());
        }
        return v;
    }

    public long endNanos() {
        long v = Long.MIN_VALUE;
        for (Sample s : samples) {
            v = Math.max(v, s.endNanos());
        }
        return v;
    }

    public long durationNanos() {
        return samples.isEmpty() ? 1 : Math.max(1, endNanos() - startNanos());
    }

    public double msgsPerSec() {
        return samples.isEmpty() ? 0 : msgs() * 1e9 / durationNanos();
    }

    public double bytesPerSec() {
        return samples.isEmpty() ? 0 : bytes() * 1e9 / durationNanos();
    }

    public double minRate() {
        return samples.stream().mapToDouble(Sample::msgsPerSec).min().orElse(0);
    }

    public double maxRate() {
        return samples.stream().mapToDouble(Sample::msgsPerSec).max().orElse(0);
    }

    public double avgRate() {
        return samples.stream().mapToDouble(Sample::msgsPerSec).average().orElse(0);
    }

    /** Population standard deviation of the per-client message rates. */
    public double stddevRate() {
        return Stats.stddev(samples.stream().mapToDouble(Sample::msgsPerSec).toArray());
    }

    /** The union of two groups (e.g. publishers and subscribers for the pub/sub aggregate). */
    public static SampleGroup union(String name, SampleGroup a, SampleGroup b) {
        java.util.ArrayList<Sample> all = new java.util.ArrayList<>(a.samples());
        all.addAll(b.samples());
        return new SampleGroup(name, all);
    }
}
