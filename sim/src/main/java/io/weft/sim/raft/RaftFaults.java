package io.weft.sim.raft;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeSet;

/**
 * The faults one seed of a raft scenario injects (swarm testing, as {@link io.weft.sim.fault.FaultPlan}):
 * the seed picks a mix of kinds, then 1-8 faults of those kinds, each starting {@code at} after the
 * workload began and lasting {@code length}; faults may overlap. Disk damage at rest only ever hits
 * the seed's {@code victims}, a minority of the replicas.
 */
record RaftFaults(List<Kind> mix, List<Integer> victims, List<Fault> faults) {
    enum Kind { CRASH, PAUSE, PARTITION, SKEW, DISK, MEMBERSHIP }

    enum Cut { ISOLATE, ONE_WAY, ONE_WAY_IN, BRIDGE }

    sealed interface Fault {
        Duration at();
    }

    /** Crash replica {@code node} (index into the hosts), down for {@code length}. */
    record Crash(Duration at, int node, Duration length) implements Fault {}

    record Pause(Duration at, int node, Duration length) implements Fault {}

    /** {@code cut} around {@code node} (a bridge: the hosts split in two, {@code node} the bridge) for {@code length}. */
    record Partition(Duration at, int node, Cut cut, boolean refuse, Duration length, long shuffle) implements Fault {}

    record Skew(Duration at, int node, long wallMillis, Duration monotonicJump) implements Fault {}

    /**
     * Crash a victim, damage its log at rest (flip a bit, or truncate a segment or the hard state),
     * restart after {@code length}. {@code target}: 0 a log segment, 1 the hard state.
     */
    record AtRest(Duration at, int victim, boolean truncate, int target, long pick, long offset, Duration length)
            implements Fault {}

    /** One single-server membership change through the leader (promote a learner, demote or remove a follower, add back). */
    record Membership(Duration at, long pick) implements Fault {}

    RaftFaults {
        mix = List.copyOf(mix);
        victims = List.copyOf(victims);
        faults = List.copyOf(faults);
    }

    static RaftFaults none() {
        return new RaftFaults(List.of(), List.of(), List.of());
    }

    /** The plan of {@code seed} for {@code hosts} replicas of which at most {@code minority} may be damaged. */
    static RaftFaults fromSeed(long seed, int hosts, int minority) {
        return fromSeed(seed, hosts, minority, false);
    }

    /**
     * As {@link #fromSeed(long, int, int)}; {@code intense} (the bug catalog's profile) always mixes
     * in crashes and partitions and draws 6-15 faults at most 10 ms apart.
     */
    static RaftFaults fromSeed(long seed, int hosts, int minority, boolean intense) {
        SplittableRandom r = new SplittableRandom(seed ^ 0x3C6EF372FE94F82BL);
        TreeSet<Kind> mix = new TreeSet<>();
        for (Kind k : Kind.values()) if (r.nextBoolean()) mix.add(k);
        if (intense) {
            mix.add(Kind.CRASH);
            mix.add(Kind.PARTITION);
        }
        List<Kind> kinds = List.copyOf(mix);
        TreeSet<Integer> victims = new TreeSet<>();
        while (victims.size() < minority) victims.add(r.nextInt(hosts));
        List<Fault> faults = new ArrayList<>();
        long at = 0;
        int n = kinds.isEmpty() ? 0 : intense ? 6 + r.nextInt(10) : 1 + r.nextInt(8);
        for (int i = 0; i < n; i++) {
            at += r.nextLong(intense ? 10_000_000L : 25_000_000L);
            Duration when = Duration.ofNanos(at);
            Duration len = Duration.ofNanos(1_000_000L + r.nextLong(60_000_000L));
            int node = r.nextInt(hosts);
            faults.add(switch (kinds.get(r.nextInt(kinds.size()))) {
                case CRASH -> new Crash(when, node, len);
                case PAUSE -> new Pause(when, node, len);
                case PARTITION -> new Partition(when, node, Cut.values()[r.nextInt(Cut.values().length)], r.nextBoolean(), len, r.nextLong());
                case SKEW -> new Skew(when, node, r.nextLong(-60_000L, 60_001L), Duration.ofNanos(r.nextLong(200_000_000L)));
                case DISK -> new AtRest(when, List.copyOf(victims).get(r.nextInt(victims.size())), r.nextBoolean(),
                        r.nextInt(4) == 0 ? 1 : 0, r.nextLong(1L << 30), r.nextLong(1L << 40), len);
                case MEMBERSHIP -> new Membership(when, r.nextLong(1L << 30));
            });
        }
        return new RaftFaults(kinds, List.copyOf(victims), faults);
    }

    @Override
    public String toString() {
        return "raft faults mix=" + mix + " victims=" + victims + " plan=" + faults;
    }
}
