package io.weft.sim.fault;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeSet;

/**
 * The faults one seed injects into a cluster of full server nodes (swarm testing, as
 * {@link FaultPlan} for one node): the seed picks a mix of kinds (each with probability 1/2), then
 * 1-{@code maxFaults} faults of those kinds, applied one after the other by a {@link ClusterNemesis},
 * each {@code gap} after the previous one ended. Lengths are long enough to outlast Raft election
 * timeouts (a JetStream group's tick is 100 ms, its election timeout 1-2 s) in about half the draws.
 */
public record ClusterFaultPlan(List<Kind> mix, List<Integer> victims, List<Fault> faults) {
    public enum Kind { CRASH, POWER, PAUSE, SPLIT, LEADER, SKEW, ROUTE_RESET, DISK }

    public sealed interface Fault {
        Duration gap();
    }

    /** Crash node {@code node} (unsynced bytes dropped, the last write maybe torn), restart after {@code down}. */
    public record Crash(Duration gap, int node, Duration down) implements Fault {
        @Override
        public String toString() {
            return "crash(+" + ms(gap) + ", n" + (node + 1) + ", down " + ms(down) + ")";
        }
    }

    /**
     * Every node loses power at the same instant (each disk keeps only what was synced); node
     * {@code i} restarts after {@code down} plus its own delay of up to 20 ms drawn from {@code stagger}.
     */
    public record Power(Duration gap, Duration down, long stagger) implements Fault {
        @Override
        public String toString() {
            return "power(+" + ms(gap) + ", down " + ms(down) + ")";
        }
    }

    /** Stop every thread of node {@code node} for {@code length} (a GC pause, SIGSTOP). */
    public record Pause(Duration gap, int node, Duration length) implements Fault {
        @Override
        public String toString() {
            return "pause(+" + ms(gap) + ", n" + (node + 1) + ", " + ms(length) + ")";
        }
    }

    /**
     * The nodes split into a minority ({@code minority} of them, chosen by {@code shuffle}) and the
     * majority, which cannot reach each other for {@code length}: refusing connections (routes reset)
     * or blackholing (bytes held until the heal); with {@code oneWay} only the minority's outgoing
     * links are cut (it still hears the majority).
     */
    public record Split(Duration gap, int minority, long shuffle, boolean refuse, boolean oneWay, Duration length)
            implements Fault {
        @Override
        public String toString() {
            return "split(+" + ms(gap) + ", minority " + minority + " by " + Long.toHexString(shuffle & 0xffff) + ", "
                    + (refuse ? "refuse" : "blackhole") + (oneWay ? ", one-way" : "") + ", " + ms(length) + ")";
        }
    }

    /** What an {@link AtLeader} fault does to the leader. */
    public enum LeaderFault { CRASH, ISOLATE, PAUSE }

    /**
     * Aimed at whichever node leads one of the scenario's groups when it strikes ({@code which}, an
     * index into the groups the nemesis tracks, modulo their count): crash it (down for
     * {@code length}), cut it off from every other node for {@code length} (it keeps its clients),
     * or pause it for {@code length}.
     */
    public record AtLeader(Duration gap, LeaderFault mode, boolean refuse, Duration length, int which) implements Fault {
        @Override
        public String toString() {
            return "leader-" + mode.name().toLowerCase(java.util.Locale.ROOT) + "(+" + ms(gap) + ", group " + which + ", "
                    + ms(length) + (mode == LeaderFault.ISOLATE ? refuse ? ", refuse" : ", blackhole" : "") + ")";
        }
    }

    /** Shift node {@code node}'s wall clock by {@code wallMillis} and jump its monotonic clock ahead. */
    public record Skew(Duration gap, int node, long wallMillis, Duration monotonicJump) implements Fault {
        @Override
        public String toString() {
            return "skew(+" + ms(gap) + ", n" + (node + 1) + ", wall " + wallMillis + "ms, mono +" + ms(monotonicJump) + ")";
        }
    }

    /** Reset every connection (the routes) between nodes {@code a} and {@code b}. */
    public record RouteReset(Duration gap, int a, int b) implements Fault {
        @Override
        public String toString() {
            return "route-reset(+" + ms(gap) + ", n" + (a + 1) + " n" + (b + 1) + ")";
        }
    }

    /**
     * Crash {@code victim} (an index into the plan's victims, modulo their count); while it is down
     * damage one of its files at rest (the {@code file}-th, modulo their count, of its non-empty
     * files the nemesis may target): flip one bit at {@code offset} (modulo the size) or, with
     * {@code truncate}, cut the file there; restart after {@code down}.
     */
    public record AtRest(Duration gap, int victim, boolean truncate, int file, long offset, Duration down) implements Fault {
        @Override
        public String toString() {
            return (truncate ? "truncate" : "bitflip") + "(+" + ms(gap) + ", victim " + victim + ", file " + file + ", at "
                    + offset + ", down " + ms(down) + ")";
        }
    }

    public ClusterFaultPlan {
        mix = List.copyOf(mix);
        victims = List.copyOf(victims);
        faults = List.copyOf(faults);
    }

    public static ClusterFaultPlan none() {
        return new ClusterFaultPlan(List.of(), List.of(), List.of());
    }

    /**
     * The plan of {@code seed} for {@code nodes} nodes: the mix drawn from {@code kinds}, then
     * 1-{@code maxFaults} faults, gaps up to 500 ms, crashes down, pauses and partitions
     * 20 ms - 3 s, skews of ±60 s wall and up to 1 s monotonic. Faults at rest ({@link Kind#DISK})
     * only hit the plan's {@code damaged} victims (drawn first; a minority of every group).
     */
    public static ClusterFaultPlan fromSeed(long seed, int nodes, List<Kind> kinds, int maxFaults, int damaged) {
        SplittableRandom r = new SplittableRandom(seed ^ 0x510E527FADE682D1L);
        TreeSet<Integer> victims = new TreeSet<>();
        while (victims.size() < Math.min(damaged, nodes)) {
            victims.add(r.nextInt(nodes));
        }
        TreeSet<Kind> chosen = new TreeSet<>();
        for (Kind k : kinds) {
            if (r.nextBoolean()) {
                chosen.add(k);
            }
        }
        List<Kind> mix = List.copyOf(chosen);
        List<Fault> out = new ArrayList<>();
        if (!mix.isEmpty()) {
            int n = 1 + r.nextInt(maxFaults);
            for (int i = 0; i < n; i++) {
                Duration gap = Duration.ofNanos(r.nextLong(500_000_000L));
                Duration len = Duration.ofNanos(20_000_000L + r.nextLong(3_000_000_000L));
                int a = r.nextInt(nodes);
                int b = (a + 1 + r.nextInt(nodes - 1)) % nodes;
                out.add(switch (mix.get(r.nextInt(mix.size()))) {
                    case CRASH -> new Crash(gap, a, len);
                    case POWER -> new Power(gap, Duration.ofNanos(1_000_000L + r.nextLong(500_000_000L)), r.nextLong());
                    case PAUSE -> new Pause(gap, a, len);
                    case SPLIT -> new Split(gap, 1 + r.nextInt((nodes - 1) / 2), r.nextLong(), r.nextBoolean(),
                            r.nextInt(4) == 0, len);
                    case LEADER -> new AtLeader(gap, LeaderFault.values()[r.nextInt(3)], r.nextBoolean(), len, r.nextInt(1 << 16));
                    case SKEW -> new Skew(gap, a, r.nextLong(-60_000L, 60_001L), Duration.ofNanos(r.nextLong(1_000_000_000L)));
                    case ROUTE_RESET -> new RouteReset(gap, a, b);
                    case DISK -> victims.isEmpty() ? new Crash(gap, a, len)
                            : new AtRest(gap, r.nextInt(1 << 16), r.nextBoolean(), r.nextInt(1 << 16), r.nextLong(1L << 40),
                            Duration.ofNanos(1_000_000L + r.nextLong(1_000_000_000L)));
                });
            }
        }
        return new ClusterFaultPlan(mix, List.copyOf(victims), out);
    }

    public boolean has(Kind k) {
        return mix.contains(k);
    }

    private static String ms(Duration d) {
        return d.toNanos() / 1_000_000L + "." + String.format("%03d", d.toNanos() / 1000 % 1000) + "ms";
    }

    @Override
    public String toString() {
        return "cluster faults mix=" + mix + (victims.isEmpty() ? "" : " victims=" + victims) + " plan=" + faults;
    }
}
