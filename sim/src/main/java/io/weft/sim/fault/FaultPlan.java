package io.weft.sim.fault;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeSet;

/**
 * The faults one seed injects (swarm testing): the seed first picks a mix of fault kinds (possibly
 * none), then a short sequence of faults of those kinds with seeded timings. The plan is a value:
 * it prints the same for the same seed, and a {@link Nemesis} applies it in order, one fault at a
 * time, each after its gap.
 */
public record FaultPlan(List<Kind> mix, List<Fault> faults) {
    /** The fault kinds a mix is drawn from. */
    public enum Kind { RESETS, CRASH_RESTART, PAUSE, SKEW, PARTITION, BIT_FLIP, TRUNCATE, ENOSPC }

    /** The kinds {@link #fromSeed(long)} draws from: every fault that does not need a disk in use. */
    public static final List<Kind> CORE = List.of(Kind.RESETS, Kind.CRASH_RESTART, Kind.PAUSE, Kind.SKEW, Kind.PARTITION);

    /**
     * Every kind, disk faults at rest and a full disk included (for scenarios whose server keeps
     * data on its disk).
     */
    public static final List<Kind> WITH_DISK = List.of(Kind.values());

    /** One fault, applied {@code gap} after the previous one ended. */
    public sealed interface Fault {
        Duration gap();
    }

    /** Reset every connection between client {@code client} (modulo the client count) and the node. */
    public record Reset(Duration gap, int client) implements Fault {
        @Override
        public String toString() {
            return "reset(+" + gap.toNanos() / 1000 + "us, client " + client + ")";
        }
    }

    /** Crash the node, keep it down for {@code down}, then restart it on the same disk. */
    public record CrashRestart(Duration gap, Duration down) implements Fault {
        @Override
        public String toString() {
            return "crash(+" + gap.toNanos() / 1000 + "us, down " + down.toNanos() / 1000 + "us)";
        }
    }

    /** Pause every thread of the node for {@code length}. */
    public record Pause(Duration gap, Duration length) implements Fault {
        @Override
        public String toString() {
            return "pause(+" + gap.toNanos() / 1000 + "us, " + length.toNanos() / 1000 + "us)";
        }
    }

    /** Shift the node's wall clock by {@code wallMillis} (either way) and jump its monotonic clock ahead. */
    public record Skew(Duration gap, long wallMillis, Duration monotonicJump) implements Fault {
        @Override
        public String toString() {
            return "skew(+" + gap.toNanos() / 1000 + "us, wall " + wallMillis + "ms, mono +"
                    + monotonicJump.toNanos() / 1000 + "us)";
        }
    }

    /**
     * Cut client {@code client} (modulo the client count) off the node for {@code length}, then heal:
     * {@code refuse} resets its connections and refuses new ones, otherwise its traffic is held
     * (blackholed) until the heal; {@code oneWay} cuts only the client-to-node direction.
     */
    public record Partition(Duration gap, int client, Duration length, boolean refuse, boolean oneWay) implements Fault {
        @Override
        public String toString() {
            return "partition(+" + gap.toNanos() / 1000 + "us, client " + client + ", " + length.toNanos() / 1000 + "us, "
                    + (refuse ? "refuse" : "blackhole") + (oneWay ? ", one-way" : "") + ")";
        }
    }

    /**
     * Crash the node; while it is down, damage one of its files at rest (the {@code file}-th,
     * modulo their count, of the files the nemesis may target): flip one bit at byte
     * {@code offset} (modulo the size) or, with {@code truncate}, cut the file to {@code offset}
     * (modulo the size) bytes; restart after {@code down}.
     */
    public record AtRest(Duration gap, Duration down, boolean truncate, int file, long offset) implements Fault {
        @Override
        public String toString() {
            return (truncate ? "truncate" : "bitflip") + "(+" + gap.toNanos() / 1000 + "us, down "
                    + down.toNanos() / 1000 + "us, file " + file + ", at " + offset + ")";
        }
    }

    /**
     * The node's disk is full for {@code length} (writes that grow a file and fsyncs of new bytes
     * fail with ENOSPC, see {@code SimDisk#full}), then has space again; the node keeps running.
     */
    public record DiskFull(Duration gap, Duration length) implements Fault {
        @Override
        public String toString() {
            return "enospc(+" + gap.toNanos() / 1000 + "us, " + length.toNanos() / 1000 + "us)";
        }
    }

    public FaultPlan {
        mix = List.copyOf(mix);
        faults = List.copyOf(faults);
    }

    /** No faults at all. */
    public static FaultPlan none() {
        return new FaultPlan(List.of(), List.of());
    }

    /**
     * The plan for a seed: each kind is in the mix with probability 1/2 (so about one seed in
     * thirty-two has no faults), then 1-6 faults drawn from the mix, with gaps of up to 20 ms, crashes
     * down for up to 30 ms, pauses and partitions of up to 50 ms, a full disk for up to 30 ms.
     */
    public static FaultPlan fromSeed(long seed) {
        return fromSeed(seed, CORE);
    }

    /**
     * As {@link #fromSeed(long)}, drawing the mix from {@code kinds} in their order (so a list
     * starting with {@link #CORE} gives the same draws for those kinds). A bit flip or truncation
     * keeps the node down for up to 30 ms like a crash.
     */
    public static FaultPlan fromSeed(long seed, List<Kind> kinds0) {
        SplittableRandom r = new SplittableRandom(seed ^ 0x6A09E667F3BCC909L);
        TreeSet<Kind> mix = new TreeSet<>();
        for (Kind k : kinds0) {
            if (r.nextBoolean()) {
                mix.add(k);
            }
        }
        List<Kind> kinds = List.copyOf(mix);
        List<Fault> faults = new ArrayList<>();
        if (!kinds.isEmpty()) {
            int n = 1 + r.nextInt(6);
            for (int i = 0; i < n; i++) {
                Duration gap = Duration.ofNanos(r.nextLong(20_000_000L));
                Kind kind = kinds.get(r.nextInt(kinds.size()));
                faults.add(switch (kind) {
                    case RESETS -> new Reset(gap, r.nextInt(1 << 16));
                    case CRASH_RESTART -> new CrashRestart(gap, Duration.ofNanos(100_000L + r.nextLong(30_000_000L)));
                    case PAUSE -> new Pause(gap, Duration.ofNanos(100_000L + r.nextLong(50_000_000L)));
                    case SKEW -> new Skew(gap, r.nextLong(-60_000L, 60_001L), Duration.ofNanos(r.nextLong(1_000_000_000L)));
                    case PARTITION -> new Partition(gap, r.nextInt(1 << 16),
                            Duration.ofNanos(100_000L + r.nextLong(50_000_000L)), r.nextBoolean(), r.nextBoolean());
                    case BIT_FLIP, TRUNCATE -> new AtRest(gap, Duration.ofNanos(100_000L + r.nextLong(30_000_000L)),
                            kind == Kind.TRUNCATE,
                            r.nextInt(1 << 16), r.nextLong(1L << 40));
                    case ENOSPC -> new DiskFull(gap, Duration.ofNanos(100_000L + r.nextLong(30_000_000L)));
                });
            }
        }
        return new FaultPlan(kinds, faults);
    }

    public boolean has(Kind k) {
        return mix.contains(k);
    }

    @Override
    public String toString() {
        return "faults mix=" + mix + " plan=" + faults;
    }
}
