package io.weft.sim.raft;

import io.weft.raft.Bug;
import io.weft.raft.ConfState;
import io.weft.raft.Entry;
import io.weft.raft.driver.DriverConfig;
import io.weft.raft.driver.NetTransport;
import io.weft.raft.driver.RaftDriver;
import io.weft.raft.storage.DamagedEntryException;
import io.weft.raft.storage.DiskStorage;
import io.weft.sim.SimClock;
import io.weft.sim.check.KeyedModel;
import io.weft.sim.check.Linearizability;
import io.weft.sim.check.OpHistory;
import io.weft.sim.check.RegisterModel;
import io.weft.sim.world.Scenario;
import io.weft.sim.world.SimResult;
import io.weft.sim.world.SimWorld;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.function.LongFunction;

/**
 * Scenarios {@code raft-3} and {@code raft-5}: N voters and one learner, each a {@link RaftHost}
 * (the real {@link RaftDriver}, {@code DiskStorage} on a simulated disk, {@link NetTransport} over
 * the simulated network) replicating a KV register, under the seed's {@link RaftFaults}. Clients
 * run read (by read index) / write / cas through the leader. Checked: linearizability of the
 * history, the {@link RaftChecker} invariants at every step, log matching of every replica's
 * committed prefix at the end, and liveness: after the faults stop, a write by every client
 * commits and every member applies everything within {@link #LIVENESS} of virtual time.
 */
public final class RaftScenario implements Scenario {
    public static final Duration LIVENESS = Duration.ofSeconds(2);
    private static final Duration OP_TIMEOUT = Duration.ofMillis(150);
    /**
     * The slowest fsync with pipelined leader writes (else 500 µs): a loaded disk, where the
     * pipelining pays (a follower's acknowledgement may come back before the leader's own fsync).
     */
    static final Duration PIPELINED_SLOWEST_SYNC = Duration.ofMillis(3);

    /** Workload size, the fault plan per seed, and the bug switches (catalog tests only). */
    public record Config(int voters, int clients, int opsPerClient, Set<Bug> bugs, LongFunction<RaftFaults> plans,
                         boolean swarmElection, Boolean preVoteFixed, Boolean checkQuorumFixed, boolean pipelineLeaderWrites,
                         int restartHold) {
        /**
         * The restart hold (raft README, R9) of {@code raft-3} and {@code raft-5}, in election timeouts:
         * {@code -Dweft.sim.raftHold=0} turns it off (to see the rollback fault lose writes).
         */
        static final int HOLD = Integer.getInteger("weft.sim.raftHold", 15);

        public static Config of(int voters) {
            int minority = (voters - 1) / 2;
            return new Config(voters, 4, 15, Set.of(),
                    seed -> RaftFaults.withRollback(RaftFaults.fromSeed(seed, voters + 1, minority), seed), false, null, null, false, HOLD);
        }

        /**
         * The bug catalog's profile: the intense fault plans, twice the operations, and pre-vote and
         * check-quorum each on or off per seed (either one alone masks some broken checks).
         */
        public static Config catalog(int voters) {
            return catalog(voters, RaftFaults.Profile.GENERAL);
        }

        /**
         * A targeted catalog profile ({@link RaftFaults#catalog}). Some fix an election setting at every
         * seed: {@code DEAF_LEADER} check-quorum on (its liveness probe is the property check-quorum exists
         * for); {@code DEAF_FOLLOWER} pre-vote on and check-quorum off (its probe is pre-vote's property,
         * with the leader lease that would also protect it off); {@code READ} check-quorum off (a deposed
         * leader that does not know it); {@code FIGURE8} both off (an isolated leader keeps taking writes, a
         * returning one disrupts with its higher term). {@code SLOW_LEADER} runs the drivers with pipelined leader writes (the
         * leader's fsync overlaps replication and the stepping of replies), so a power failure can strike
         * a leader whose own copy of a committed entry is not yet durable; its fsyncs take up to
         * {@link #PIPELINED_SLOWEST_SYNC}.
         */
        static Config catalog(int voters, RaftFaults.Profile profile) {
            int minority = (voters - 1) / 2;
            Boolean pv = switch (profile) {
                case DEAF_FOLLOWER -> Boolean.TRUE;
                case FIGURE8 -> Boolean.FALSE;
                default -> null;
            };
            Boolean cq = switch (profile) {
                case DEAF_LEADER -> Boolean.TRUE;
                case DEAF_FOLLOWER, READ, FIGURE8 -> Boolean.FALSE;
                default -> null;
            };
            return new Config(voters, 4, 30, Set.of(), seed -> RaftFaults.catalog(seed, voters + 1, minority, profile), true,
                    pv, cq, profile == RaftFaults.Profile.SLOW_LEADER, 0);
        }

        public Config withBugs(Set<Bug> b) {
            return new Config(voters, clients, opsPerClient, b, plans, swarmElection, preVoteFixed, checkQuorumFixed, pipelineLeaderWrites, restartHold);
        }

        public Config withClients(int n) {
            return new Config(voters, n, opsPerClient, bugs, plans, swarmElection, preVoteFixed, checkQuorumFixed, pipelineLeaderWrites, restartHold);
        }

        public Config withOps(int n) {
            return new Config(voters, clients, n, bugs, plans, swarmElection, preVoteFixed, checkQuorumFixed, pipelineLeaderWrites, restartHold);
        }

        Config withPlans(LongFunction<RaftFaults> p) {
            return new Config(voters, clients, opsPerClient, bugs, p, swarmElection, preVoteFixed, checkQuorumFixed, pipelineLeaderWrites, restartHold);
        }
    }

    private final Config config;

    public RaftScenario(Config config) {
        this.config = config;
    }

    @Override
    public String name() {
        return "raft-" + config.voters();
    }

    @Override
    public String description() {
        return config.voters() + " raft voters + 1 learner (driver, disk storage, net transport) replicating a KV register; "
                + config.clients() + " clients read/write/cas under crashes (torn writes), pauses, partitions, skew, "
                + "log damage on a minority and membership changes; linearizable, safety invariants, liveness after faults"
                + (config.bugs().isEmpty() ? "" : "; bugs " + config.bugs());
    }

    @Override
    public SimResult run(long seed, java.util.function.Consumer<String> eventLog) {
        SimWorld world = new SimWorld(seed);
        if (eventLog != null) world.eventLog(eventLog);
        world.workloadLimit(Duration.ofSeconds(6));
        int n = config.voters() + 1;
        List<Long> voters = new ArrayList<>();
        for (long i = 1; i <= config.voters(); i++) voters.add(i);
        ConfState initial = new ConfState(voters, List.of((long) n), List.of());
        RaftChecker checker = new RaftChecker(initial, world::fail, world.scheduler()::note);
        TreeMap<Long, NetTransport.Address> peers = new TreeMap<>();
        for (long i = 1; i <= n; i++) peers.put(i, new NetTransport.Address("r" + i, RaftHost.PORT));
        List<RaftHost> hosts = new ArrayList<>();
        SplittableRandom seeds = new SplittableRandom(seed ^ 0x510E527FADE682D1L);
        boolean preVote = config.preVoteFixed() != null ? config.preVoteFixed() : !config.swarmElection() || (seed & 2) == 0;
        boolean checkQuorum = config.checkQuorumFixed() != null ? config.checkQuorumFixed()
                : !config.swarmElection() || (seed & 4) == 0;
        for (long i = 1; i <= n; i++) {
            DriverConfig dc = DriverConfig.of(i, RaftHost.DIR, initial).withTiming(Duration.ofMillis(1), 15, 3)
                    .withElectionChecks(preVote, checkQuorum)
                    .withSnapshotEvery(25).withBugs(config.bugs()).withObserver(checker)
                    .withPipelinedLeaderWrites(config.pipelineLeaderWrites()).withRestartHold(config.restartHold());
            hosts.add(new RaftHost(i, world.scheduler(), world.network(), seeds.nextLong(), dc, peers, checker, world::fail,
                    config.pipelineLeaderWrites() ? PIPELINED_SLOWEST_SYNC : Duration.ofNanos(500_000)));
        }
        RaftFaults plan = config.plans().apply(seed);
        OpHistory history = new OpHistory();
        return world.run(name(), w -> {
            for (RaftHost h : hosts) h.start();
            try {
                body(w, hosts, plan, checker, history);
            } finally {
                for (RaftHost h : hosts) h.shutdown();
            }
        });
    }

    private void body(SimWorld w, List<RaftHost> hosts, RaftFaults plan, RaftChecker checker, OpHistory history)
            throws Exception {
        SimClock clock = new SimClock(w.scheduler(), "main/");
        List<Thread> nemesis = new RaftNemesis(w, hosts, plan, checker).start();
        CountDownLatch faultsOver = new CountDownLatch(1);
        List<Thread> clients = new ArrayList<>();
        long[] deadline = new long[1];
        boolean[] live = new boolean[config.clients()];
        for (int c = 0; c < config.clients(); c++) {
            int p = c;
            long clientSeed = w.workload().nextLong();
            clients.add(w.scheduler().spawn("client-" + c, () -> {
                RaftClient cl = new RaftClient(p, w, hosts, history, new SplittableRandom(clientSeed), OP_TIMEOUT);
                try {
                    for (int k = 0; k < config.opsPerClient(); k++) cl.randomOp();
                    faultsOver.await();
                    live[p] = cl.writeUntil(deadline[0]);
                } catch (InterruptedException e) {
                    w.fail("client " + p + " interrupted");
                }
            }));
        }
        for (Thread t : nemesis) t.join();
        w.network().healAll();
        for (RaftHost h : hosts) if (!h.down()) h.resume();
        w.scheduler().note("faults over");
        deadline[0] = clock.nanoTime() + LIVENESS.toNanos();
        faultsOver.countDown();
        for (Thread t : clients) t.join();
        for (int c = 0; c < live.length; c++) {
            if (!live[c]) w.fail("liveness: client " + c + " had no write committed within " + LIVENESS + " after the faults stopped");
        }
        converge(w, hosts, checker, clock, deadline[0] + LIVENESS.toNanos());
        for (RaftHost h : hosts) h.shutdown();
        logMatching(w, hosts, checker);
        long[] counts = new long[4];
        for (io.weft.sim.check.Op op : history.ops()) counts[op.type().ordinal()]++;
        w.history().add(-1, io.weft.sim.world.History.Type.INFO, "summary", "ok " + counts[1] + " fail " + counts[2]
                + " info " + counts[3] + " committed " + checker.highestCommitted() + " conf " + checker.conf());
        Linearizability.Result r = Linearizability.check(new KeyedModel<>(new RegisterModel()), history);
        if (r.verdict() != Linearizability.Verdict.LINEARIZABLE) w.fail("KV history " + r.verdict() + ": " + r.describe());
    }

    /** Every member of the final membership applies the highest committed index, within the bound. */
    private static void converge(SimWorld w, List<RaftHost> hosts, RaftChecker checker, SimClock clock, long until)
            throws InterruptedException {
        while (true) {
            long top = checker.highestCommitted();
            List<String> behind = new ArrayList<>();
            ConfState conf = checker.conf();
            for (RaftHost h : hosts) {
                boolean member = conf.voters().contains(h.id()) || conf.learners().contains(h.id());
                if (member && checker.lastApplied(h.id()) < top) behind.add(h.host() + "@" + checker.lastApplied(h.id()));
            }
            if (behind.isEmpty()) return;
            if (clock.nanoTime() >= until) {
                w.fail("liveness: members " + behind + " did not apply index " + top + " in time");
                return;
            }
            clock.sleep(Duration.ofMillis(2));
        }
    }

    /**
     * After every replica stopped: each member's durable log, reopened as a restart would, holds
     * exactly the applied entries from its first index up to the highest applied one (log matching of
     * the committed prefix, and nothing applied that was not durable).
     */
    private static void logMatching(SimWorld w, List<RaftHost> hosts, RaftChecker checker) throws java.io.IOException {
        long top = checker.highestCommitted();
        ConfState conf = checker.conf();
        for (RaftHost h : hosts) {
            if (!conf.voters().contains(h.id()) && !conf.learners().contains(h.id())) continue;
            try (DiskStorage st = DiskStorage.open(h.disk(), RaftHost.DIR)) {
                long lo = st.firstIndex();
                long hi = Math.min(top, st.lastIndex());
                if (st.lastIndex() < top) w.fail("log matching: " + h.host() + " durable log ends at " + st.lastIndex() + " below " + top);
                for (long i = lo; i <= hi; i++) {
                    Entry want = checker.committedAt(i);
                    Entry have;
                    try {
                        have = st.entries(i, i + 1, Long.MAX_VALUE).getFirst();
                    } catch (DamagedEntryException e) {
                        w.fail("log matching: " + h.host() + " has a damaged entry at " + i + " after repair");
                        return;
                    }
                    if (want != null && !want.equals(have)) {
                        w.fail("log matching: " + h.host() + " holds " + have + " at " + i + " where " + want + " was applied");
                        return;
                    }
                }
            }
        }
    }
}
