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

    /**
     * Catalog only. A coordinated power failure: {@code count} hosts (from {@code first}, wrapping)
     * crash at the same instant, unsynced bytes dropped; each restarts after {@code down} plus its
     * own delay drawn from {@code stagger} (up to 20 ms).
     */
    record Power(Duration at, int first, int count, Duration down, long stagger) implements Fault {}

    /**
     * Catalog only. Aimed at whoever leads when it starts: {@code crash} it (down for {@code length}),
     * or cut it off from every other host ({@code deaf}: only its incoming links, it still sends) for
     * {@code length}. With {@code probeWithin} non-null (a deaf leader), the hosts that can still talk
     * to each other must commit a write within that bound while the cut lasts.
     */
    record AtLeader(Duration at, boolean crash, boolean deaf, Duration length, Duration probeWithin) implements Fault {}

    /**
     * Catalog only. Cut a follower's incoming links ({@code node}; it still sends) for {@code length};
     * after {@code warmUp} of writes, each write through the others' leader must commit within
     * {@code gap} of the one before, for {@code window}.
     */
    record DeafFollower(Duration at, int node, Duration length, Duration warmUp, Duration window, Duration gap)
            implements Fault {}

    /**
     * Catalog only. Isolate a follower ({@code node}, moved off the leader) both ways for
     * {@code isolate} while the others commit writes, so its log falls behind; then crash the leader
     * and as many others as leaves the live up-to-date voters one short of a quorum, wait
     * {@code leaderless} (no election can win without the stale node), and heal it. Until a leader is
     * elected (at most {@code watch}), the stale node must never become a candidate: no voter may
     * grant a pre-vote to a log behind its own (pre-vote's log check). The crashed hosts restart after.
     */
    record StaleRejoin(Duration at, int node, Duration isolate, Duration leaderless, Duration watch) implements Fault {}

    /** Catalog only. Two or three membership changes proposed back to back through the leader, not waiting for each. */
    record MembershipBurst(Duration at, long pick, int count) implements Fault {}

    /**
     * Catalog only. The leader's disk degrades (each fsync takes 2-6 ms) and one other voter
     * ({@code follower}, counted among the others) is cut off; after {@code powerAfter} of writes
     * every host loses power at once (unsynced bytes dropped), the cut heals, and the hosts
     * restart after {@code down} plus their own delay from {@code stagger}.
     */
    record SlowLeaderPower(Duration at, int follower, Duration powerAfter, Duration down, long stagger) implements Fault {}

    /** Catalog only. Crash a victim, delete its hard state file, restart it after {@code length}. */
    record LoseHardState(Duration at, int victim, Duration length) implements Fault {}

    /**
     * The hosts split in two groups that cannot reach each other, a minority and a majority drawn
     * by {@code shuffle} (whoever leads may land in either), for {@code length}.
     */
    record Split(Duration at, long shuffle, boolean refuse, Duration length) implements Fault {}

    /**
     * The Jepsen harness's snapshot-kill: a voter (the leader if a voter leads, else {@code pick}'s)
     * is the victim; one short of a quorum of the other voters are paused while the victim's durable
     * disk is copied and the rest (the holders) commit writes with it for {@code commitFor}; then the
     * victim is crashed, its disk restored to the copy and restarted, the paused voters resumed, and
     * the holders crashed for {@code holderDown} (shorter than the restart hold's timeout, R9).
     * Without the hold the victim and the paused voters are a majority that never saw the writes.
     */
    record Rollback(Duration at, long pick, Duration commitFor, Duration holderDown) implements Fault {}

    /** The bug catalog's targeted fault profiles (each also keeps some of the general faults). */
    enum Profile { GENERAL, POWER, LEADER, DEAF_LEADER, MEMBERSHIP, HARD_STATE, READ, DEAF_FOLLOWER, FIGURE8, SLOW_LEADER }

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

    /**
     * {@code base} plus, at one seed in three (drawn apart from the base plan, which stays as it
     * is), one {@link Rollback} within the first 200 ms; not in a plan that damages disks at rest
     * ({@link Kind#DISK}): the rolled back replica is the seed's one replica with bad storage, as
     * the victims of at-rest damage are otherwise (raft-5 seed 473 combined the rollback with a
     * lost hard state on the one replica that held the writes besides the crashed ones: it could
     * not lead (R2), the others were below the hold's floor, and the hold timed out).
     */
    static RaftFaults withRollback(RaftFaults base, long seed) {
        SplittableRandom r = new SplittableRandom(seed ^ 0x1F83D9ABFB41BD6BL);
        if (r.nextInt(3) != 0 || base.mix().contains(Kind.DISK)) return base;
        List<Fault> faults = new ArrayList<>(base.faults());
        faults.add(new Rollback(Duration.ofNanos(r.nextLong(200_000_000L)), r.nextLong(1L << 30),
                Duration.ofNanos(10_000_000L + r.nextLong(30_000_000L)), Duration.ofNanos(20_000_000L + r.nextLong(100_000_000L))));
        return new RaftFaults(base.mix(), base.victims(), faults);
    }

    /** A catalog plan of {@code profile} for {@code seed} ({@code GENERAL}: the intense plan of {@link #fromSeed}). */
    static RaftFaults catalog(long seed, int hosts, int minority, Profile profile) {
        RaftFaults base = fromSeed(seed, hosts, minority, true);
        if (profile == Profile.GENERAL) return base;
        SplittableRandom r = new SplittableRandom(seed ^ 0x6A09E667F3BCC908L ^ profile.ordinal());
        List<Fault> faults = new ArrayList<>();
        if (profile == Profile.FIGURE8) {
            // the leader is isolated (clients still reach it and it appends their writes), and the
            // next cut, right after this one heals, isolates whoever leads then: each leader in turn
            // holds entries of its term the others lack, and the old one comes back while the new
            // one is away (the schedule of the Raft paper's Figure 8)
            long t = r.nextLong(10_000_000L);
            int n = 8 + r.nextInt(10);
            for (int i = 0; i < n; i++) {
                long len = 20_000_000L + r.nextLong(45_000_000L);
                faults.add(new AtLeader(Duration.ofNanos(t), false, false, Duration.ofNanos(len), null));
                t += len + r.nextLong(3_000_000L);
            }
            return new RaftFaults(base.mix(), base.victims(), faults);
        }
        if (profile == Profile.SLOW_LEADER) {
            long t = r.nextLong(10_000_000L);
            int n = 4 + r.nextInt(6);
            for (int i = 0; i < n; i++) {
                Duration after = Duration.ofNanos(2_000_000L + r.nextLong(20_000_000L));
                Duration down = Duration.ofNanos(1_000_000L + r.nextLong(10_000_000L));
                faults.add(new SlowLeaderPower(Duration.ofNanos(t), r.nextInt(hosts - 2), after, down, r.nextLong()));
                t += after.toNanos() + down.toNanos() + 20_000_000L + r.nextLong(40_000_000L);
            }
            return new RaftFaults(base.mix(), base.victims(), faults);
        }
        long at = 0;
        int n = 6 + r.nextInt(10);
        for (int i = 0; i < n; i++) {
            at += r.nextLong(profile == Profile.DEAF_LEADER || profile == Profile.DEAF_FOLLOWER ? 20_000_000L : 10_000_000L);
            Duration when = Duration.ofNanos(at);
            Duration len = Duration.ofNanos(switch (profile) {
                case POWER -> 1_000_000L + r.nextLong(15_000_000L);
                case READ -> 60_000_000L + r.nextLong(240_000_000L);
                default -> 1_000_000L + r.nextLong(60_000_000L);
            });
            faults.add(targeted(profile, r, when, len, hosts, base.victims(), i));
        }
        if (profile == Profile.DEAF_LEADER) {
            faults.add(new AtLeader(Duration.ofNanos(at + 100_000_000L), false, true, Duration.ofMillis(400), Duration.ofMillis(300)));
        }
        if (profile == Profile.DEAF_FOLLOWER) {
            faults.add(new DeafFollower(Duration.ofNanos(at + 100_000_000L), r.nextInt(hosts - 1), Duration.ofMillis(400),
                    Duration.ofMillis(80), Duration.ofMillis(250), Duration.ofMillis(8)));
            faults.add(new StaleRejoin(Duration.ofNanos(at + 600_000_000L), r.nextInt(hosts - 1),
                    Duration.ofMillis(20 + r.nextInt(40)), Duration.ofMillis(20 + r.nextInt(30)), Duration.ofMillis(300)));
        }
        return new RaftFaults(base.mix(), base.victims(), faults);
    }

    private static Fault targeted(Profile profile, SplittableRandom r, Duration when, Duration len, int hosts,
                                  List<Integer> victims, int i) {
        int node = r.nextInt(hosts);
        int pick = r.nextInt(10);
        return switch (profile) {
            case POWER -> pick < 5 ? new Power(when, node, hosts / 2 + 1 + r.nextInt(hosts - hosts / 2), len, r.nextLong())
                    : pick < 8 ? new Crash(when, node, Duration.ofNanos(200_000L + r.nextLong(3_000_000L)))
                    : new Partition(when, node, Cut.ISOLATE, r.nextBoolean(), len, r.nextLong());
            case READ -> pick < 7 ? new AtLeader(when, false, false, len, null)
                    : new AtLeader(when, true, false, Duration.ofNanos(len.toNanos() / 4), null);
            case LEADER, DEAF_LEADER, DEAF_FOLLOWER -> pick < 4 ? new AtLeader(when, true, false, len, null)
                    : pick < 8 ? new AtLeader(when, false, false, len, null)
                    : new Partition(when, node, Cut.values()[r.nextInt(Cut.values().length)], r.nextBoolean(), len, r.nextLong());
            case MEMBERSHIP -> pick < 5 ? new MembershipBurst(when, r.nextLong(1L << 30), 2 + r.nextInt(2))
                    : pick < 8 ? new AtLeader(when, r.nextBoolean(), false, len, null)
                    : new Crash(when, node, len);
            case HARD_STATE -> pick < 4 ? new LoseHardState(when, victims.get(r.nextInt(victims.size())),
                    Duration.ofNanos(200_000L + r.nextLong(5_000_000L)))
                    : pick < 8 ? new AtLeader(when, r.nextBoolean(), false, len, null)
                    : new Crash(when, node, Duration.ofNanos(200_000L + r.nextLong(5_000_000L)));
            case GENERAL, FIGURE8, SLOW_LEADER -> throw new IllegalArgumentException("no targeted faults in " + profile);
        };
    }

    @Override
    public String toString() {
        return "raft faults mix=" + mix + " victims=" + victims + " plan=" + faults;
    }
}
