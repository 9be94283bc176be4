package io.weft.sim.raft;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.weft.engine.jetstream.StreamConfig;
import io.weft.engine.jetstream.StreamOp;
import io.weft.engine.jetstream.StreamReplica;
import io.weft.engine.jetstream.cluster.ReplicatedStreamLog;
import io.weft.raft.ConfState;
import io.weft.raft.Role;
import io.weft.raft.driver.DriverConfig;
import io.weft.raft.driver.NetTransport;
import io.weft.raft.driver.RaftDriver;
import io.weft.sim.SimClock;
import io.weft.sim.check.Op;
import io.weft.sim.check.OpHistory;
import io.weft.sim.check.QueueChecker;
import io.weft.sim.world.History;
import io.weft.sim.world.Scenario;
import io.weft.sim.world.SimResult;
import io.weft.sim.world.SimWorld;
import io.weft.store.FileStore;
import io.weft.store.FileStoreConfig;
import io.weft.store.StoreState;
import io.weft.store.StoredMessage;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Scenario {@code js-stream-group}: one JetStream stream replicated by a Raft group of 3 (odd seeds)
 * or 5 (even seeds) replicas, each a {@link RaftHost} running a {@link ReplicatedStreamLog} over the
 * engine's real publish rules and apply step ({@link StreamReplica}) on a {@code FileStore} on the
 * host's simulated disk, the real {@link RaftDriver} with {@code DiskStorage}, and
 * {@link NetTransport} over the simulated network.
 *
 * <p>Workload (Jepsen's queue, on a stream): producers publish unique values with sync acks (each
 * with a {@code Nats-Msg-Id}, some with {@code Nats-Expected-Last-Sequence} from the last state they
 * read), retrying through whoever leads with the same id when the outcome is unknown; a reader
 * loads messages from the leader's applied state; after the faults heal every producer must have a
 * publish acknowledged within {@link #LIVENESS}, every replica must apply everything committed, and
 * then every replica is drained.
 *
 * <p>Configuration updates: during the faults the stream's configuration is updated twice (a
 * subject added, the description and limits changed, nothing a limit would remove), each handed
 * first to a random subset of the replicas and later to all of them, as members apply the meta
 * group's update at different times (a replica restarted afterwards hears the newest at start, as
 * the catalog tells a reopened replica); at the end every replica must have applied the last one.
 *
 * <p>Faults, a seeded mix: crashes (unsynced bytes dropped, the last write maybe torn), a
 * coordinated power loss of every replica, the leader crashed or isolated, a split into a minority
 * and a majority (the leader on either side), partitions of one replica (isolated, one-way either
 * way) or a bridge, pauses, wall-clock skew and monotonic jumps.
 *
 * <p>Checked: the {@link RaftChecker} invariants throughout; {@link QueueChecker} on the publishes
 * and the drain (no acknowledged value lost, none unexpected, none twice, per-producer order); every
 * acknowledged value at the sequence its ack named; every message published with an expected last
 * sequence stored right after it; every value a reader loaded at the sequence it was loaded from;
 * and every replica holding the same messages at the same sequences with the same timestamps.
 */
public final class JsStreamGroup implements Scenario {
    public static final Duration LIVENESS = Duration.ofSeconds(2);
    static final Duration OP_TIMEOUT = Duration.ofMillis(200);
    /** One try of a publish; the op retries (same message id) until {@link #OP_TIMEOUT}. */
    static final Duration ATTEMPT_TIMEOUT = Duration.ofMillis(40);
    /** How often a client tries again to enter a busy replica ({@link #entered}). */
    static final Duration ENTER_POLL = Duration.ofNanos(100_000L);
    static final String SUBJECT = "queue";
    private static final String DIR = "stream";

    /**
     * {@code ackBeforeCommit}: the test-only switch of {@link ReplicatedStreamLog.Options}.
     * {@code doubleAckBeforeCommit}: test-only, the pull consumer's double acks are answered as soon
     * as their state is proposed, before it is committed (the bug {@code Consumer.persistThenAnswer}
     * exists to avoid).
     */
    public record Config(int producers, int opsPerProducer, boolean ackBeforeCommit, boolean doubleAckBeforeCommit,
                         boolean counters) {
        public Config(int producers, int opsPerProducer, boolean ackBeforeCommit) {
            this(producers, opsPerProducer, ackBeforeCommit, false);
        }

        public Config(int producers, int opsPerProducer, boolean ackBeforeCommit, boolean doubleAckBeforeCommit) {
            this(producers, opsPerProducer, ackBeforeCommit, doubleAckBeforeCommit, false);
        }

        public static Config defaults() {
            return new Config(3, 25, false, false);
        }

        public Config withAckBeforeCommit(boolean on) {
            return new Config(producers, opsPerProducer, on, doubleAckBeforeCommit, counters);
        }

        public Config withDoubleAckBeforeCommit(boolean on) {
            return new Config(producers, opsPerProducer, ackBeforeCommit, on, counters);
        }

        /**
         * The stream is a counter ({@code allow_msg_counter}): every publish is a {@code Nats-Incr}
         * of the producer's unique value (no atomic batches, no expected last sequence, which a
         * counter refuses); checked besides: every stored message holds the sum of the increments
         * stored up to it, and every ack's value is the one stored at its sequence.
         */
        public Config withCounters(boolean on) {
            return new Config(producers, opsPerProducer, ackBeforeCommit, doubleAckBeforeCommit, on);
        }
    }

    /** The durable pull consumer's name; its record holds its ack floor (8 bytes). */
    static final String CONSUMER = "W";

    private final Config config;

    public JsStreamGroup() {
        this(Config.defaults());
    }

    public JsStreamGroup(Config config) {
        this.config = config;
    }

    @Override
    public String name() {
        return config.counters() ? "js-stream-group-counters" : "js-stream-group";
    }

    @Override
    public String description() {
        return "one stream replicated by Raft (3 or 5 replicas: publish rules, apply step, file store per replica); "
                + config.producers() + " producers publish unique values with sync acks under crashes (torn writes), "
                + "power loss of all, leader crash/isolation, leader stepdowns, partitions, pauses, skew; no acked value lost, replicas "
                + "identical, liveness after heal; a durable pull consumer (its ack floor a record in the stream's log) "
                + "fetches and double-acks: an answered double ack is never undone, every message at or below the final "
                + "floor was fetched" + (config.ackBeforeCommit() ? "; BUG: ack before commit" : "")
                + (config.doubleAckBeforeCommit() ? "; BUG: double ack answered before commit" : "")
                + (config.counters() ? "; the stream is a counter (allow_msg_counter): each publish increments by its value, "
                + "every stored message holds the sum so far, every ack's value is the stored one" : "");
    }

    static StreamConfig streamConfig(int replicas) {
        return streamConfig(replicas, false);
    }

    static StreamConfig streamConfig(int replicas, boolean counters) {
        try {
            return StreamConfig.parse(new ObjectMapper().readTree("{\"name\":\"QUEUE\",\"subjects\":[\"" + SUBJECT
                    + "\"],\"storage\":\"file\",\"num_replicas\":" + replicas
                    + (counters ? ",\"allow_msg_counter\":true" : ",\"allow_atomic\":true") + "}")).withDefaults();
        } catch (Exception e) {
            throw new IllegalStateException("stream config: " + e, e);
        }
    }

    /** The fault plan of {@code seed} for {@code hosts} replicas. */
    static RaftFaults plan(long seed, int hosts) {
        SplittableRandom r = new SplittableRandom(seed ^ 0x2545F4914F6CDD1DL);
        List<Integer> kinds = new ArrayList<>();
        for (int k = 0; k < 7; k++) if (r.nextBoolean()) kinds.add(k);
        if (kinds.isEmpty()) kinds.add(r.nextInt(7));
        List<RaftFaults.Fault> faults = new ArrayList<>();
        long at = 0;
        int n = 2 + r.nextInt(7);
        for (int i = 0; i < n; i++) {
            at += r.nextLong(30_000_000L);
            Duration when = Duration.ofNanos(at);
            Duration len = Duration.ofNanos(1_000_000L + r.nextLong(60_000_000L));
            int node = r.nextInt(hosts);
            faults.add(switch (kinds.get(r.nextInt(kinds.size()))) {
                case 0 -> new RaftFaults.Crash(when, node, len);
                case 1 -> new RaftFaults.Pause(when, node, len);
                case 2 -> new RaftFaults.Partition(when, node, RaftFaults.Cut.values()[r.nextInt(RaftFaults.Cut.values().length)],
                        r.nextBoolean(), len, r.nextLong());
                case 3 -> new RaftFaults.Skew(when, node, r.nextLong(-60_000L, 60_001L), Duration.ofNanos(r.nextLong(200_000_000L)));
                case 4 -> new RaftFaults.Power(when, 0, hosts, Duration.ofNanos(1_000_000L + r.nextLong(15_000_000L)), r.nextLong());
                case 5 -> new RaftFaults.AtLeader(when, r.nextBoolean(), false, len, null);
                default -> new RaftFaults.Split(when, r.nextLong(), r.nextBoolean(), len);
            });
        }
        List<RaftFaults.Kind> mix = new ArrayList<>();
        for (int k : kinds) if (k < 4) mix.add(RaftFaults.Kind.values()[k]);
        return new RaftFaults(mix, List.of(), faults);
    }

    /** The replicas of one run: the host and, while it is up, its log. */
    static final class Group {
        final List<RaftHost> hosts = new ArrayList<>();
        final ReplicatedStreamLog[] logs;
        int restores;
        /** Leader stepdowns (STREAM.LEADER.STEPDOWN's path) whose transfer started. */
        int stepdowns;
        /** Publishes answered as duplicates of an earlier try of the same value, and tries whose outcome was unknown. */
        int duplicates;
        int unknowns;
        /** Publishes a replica never took: its lock stayed taken until the attempt ended ({@link #entered}). */
        int unentered;
        int batches;
        /** The newest configuration "the meta group" handed out, and its revision (0: none). */
        volatile StreamOp.Config meta;
        /** The stream is a counter (its updates keep allow_msg_counter). */
        boolean counters;
        /** Hosts beyond the first group (built with no membership), and the peer group "the meta group" last handed out (null: the first one). */
        int spares;
        volatile List<Long> target;

        Group(int n) {
            logs = new ReplicatedStreamLog[n];
        }

        /** The running log of replica {@code k}, or null while it is down. */
        ReplicatedStreamLog log(int k) {
            return hosts.get(k).down() || hosts.get(k).retired() ? null : logs[k];
        }

        /** True for a host that left the group (peer replaced): its replica is gone for good. */
        boolean removed(int k) {
            return hosts.get(k).retired();
        }
    }

    /** {@code n} replicas of the stream in {@code world}, not started yet. */
    static Group build(SimWorld world, long seed, int n, ConfState initial, RaftChecker checker,
                       ReplicatedStreamLog.Options options) {
        return build(world, seed, n, initial, checker, options, false);
    }

    static Group build(SimWorld world, long seed, int n, ConfState initial, RaftChecker checker,
                       ReplicatedStreamLog.Options options, boolean counters) {
        return build(world, seed, n, 0, initial, checker, options, counters);
    }

    /**
     * {@code n} replicas of the stream and {@code spares} more hosts that start with no membership
     * (a server the meta group may place a replacement on: it waits for the leader to add it).
     */
    static Group build(SimWorld world, long seed, int n, int spares, ConfState initial, RaftChecker checker,
                       ReplicatedStreamLog.Options options, boolean counters) {
        TreeMap<Long, NetTransport.Address> peers = new TreeMap<>();
        for (long i = 1; i <= n + spares; i++) peers.put(i, new NetTransport.Address("r" + i, RaftHost.PORT));
        SplittableRandom seeds = new SplittableRandom(seed ^ 0x510E527FADE682D1L);
        // half the seeds of each group size (seeds 2-3, 6-7, ... mod 4) run the stream groups as a
        // server does (ReplicatedStreamLog.factory): the leader's fsync pipelined with replication
        // and snapshots sized to the stream; the others fsync before sending and snapshot every 40
        boolean production = Math.floorMod(seed, 4) >= 2;
        StreamConfig cfg = streamConfig(n, counters);
        Group group = new Group(n + spares);
        group.counters = counters;
        group.spares = spares;
        RaftDriver.Observer observer = new RaftDriver.Observer() {
            @Override public void becameLeader(long id, long term) { checker.becameLeader(id, term); }
            @Override public void applied(long id, io.weft.raft.Entry e) { checker.applied(id, e); }
            @Override public void failed(long id, RuntimeException error) { checker.failed(id, error); }

            @Override
            public void restored(long id, io.weft.raft.Snapshot s) {
                checker.restored(id, s);
                if (s.index() > 0) {
                    group.restores++;
                    world.scheduler().note("r" + id + " restored the stream snapshot at " + s.index());
                }
            }
        };
        for (long i = 1; i <= n + spares; i++) {
            int k = (int) i - 1;
            ConfState boot = i <= n ? initial : ConfState.of(List.of()); // a spare joins: no membership of its own
            DriverConfig dc = DriverConfig.of(i, RaftHost.DIR, boot).withTiming(Duration.ofMillis(1), 15, 3)
                    .withSnapshotEvery(40).withObserver(observer).withPipelinedLeaderWrites(production);
            RaftHost h = new RaftHost(i, world.scheduler(), world.network(), seeds.nextLong(), dc, peers, checker, world::fail);
            h.starter((env, c, t) -> {
                StreamReplica replica = new StreamReplica(cfg.name(), cfg, () -> {
                    env.disk().mkdirs(DIR);
                    return FileStore.open(env.disk(), DIR, FileStoreConfig.defaults());
                }, e -> world.scheduler().note("r" + (k + 1) + " stream: " + e));
                ReplicatedStreamLog log = ReplicatedStreamLog.start(env, c, replica, t, options, production);
                StreamOp.Config meta = group.meta;
                if (meta != null) log.configure(meta.revision(), meta.config());
                List<Long> target = group.target;
                if (target != null) log.members(target); // a restarted member hears the assignment again
                group.logs[k] = log;
                return log.driver();
            });
            group.hosts.add(h);
        }
        return group;
    }

    @Override
    public SimResult run(long seed, java.util.function.Consumer<String> eventLog) {
        int n = (seed & 1) == 1 ? 3 : 5;
        SimWorld world = new SimWorld(seed);
        if (eventLog != null) world.eventLog(eventLog);
        world.workloadLimit(Duration.ofSeconds(8));
        List<Long> voters = new ArrayList<>();
        for (long i = 1; i <= n; i++) voters.add(i);
        ConfState initial = new ConfState(voters, List.of(), List.of());
        RaftChecker checker = new RaftChecker(initial, world::fail, world.scheduler()::note);
        ReplicatedStreamLog.Options options = new ReplicatedStreamLog.Options(4096, config.ackBeforeCommit());
        // a third of the seeds replace one replica by a spare host during the faults (STREAM.PEER.REMOVE's path)
        int spares = Math.floorMod(seed, 3) == 0 ? 1 : 0;
        Group group = build(world, seed, n, spares, initial, checker, options, config.counters());
        RaftFaults plan = plan(seed, n);
        OpHistory history = new OpHistory();
        return world.run(name(), w -> {
            for (RaftHost h : group.hosts) h.start();
            try {
                body(w, group, plan, checker, history);
            } finally {
                for (RaftHost h : group.hosts) h.shutdown();
            }
        });
    }

    private void body(SimWorld w, Group group, RaftFaults plan, RaftChecker checker, OpHistory history) throws Exception {
        SimClock clock = new SimClock(w.scheduler(), "main/");
        List<Thread> nemesis = new RaftNemesis(w, group.hosts, plan, checker).start();
        CountDownLatch faultsOver = new CountDownLatch(1);
        long[] deadline = new long[1];
        boolean[] live = new boolean[config.producers()];
        TreeMap<Long, Long> acked = new TreeMap<>(); // value -> seq its ack named
        TreeMap<Long, Long> reads = new TreeMap<>(); // seq -> value a reader loaded there
        TreeMap<Long, String> ackedVals = new TreeMap<>(); // counters: seq -> the value its ack carried
        List<Thread> threads = new ArrayList<>();
        for (int p = 0; p < config.producers(); p++) {
            int proc = p;
            long pseed = w.workload().nextLong();
            threads.add(w.scheduler().spawn("producer-" + p, () -> {
                Producer pr = new Producer(proc, w, group, history, acked, new SplittableRandom(pseed), config.counters(), ackedVals);
                try {
                    for (int k = 0; k < config.opsPerProducer(); k++) pr.publishOne(OP_TIMEOUT.toNanos(), true);
                    faultsOver.await();
                    live[proc] = pr.publishUntil(deadline[0]);
                } catch (InterruptedException e) {
                    w.fail("producer " + proc + " interrupted");
                }
            }));
        }
        boolean[] stop = new boolean[1];
        long rseed = w.workload().nextLong();
        Thread reader = w.scheduler().spawn("reader", () -> {
            SplittableRandom r = new SplittableRandom(rseed);
            SimClock rc = new SimClock(w.scheduler(), "reader/");
            try {
                while (!stop[0]) {
                    rc.sleep(Duration.ofNanos(500_000L + r.nextLong(3_000_000L)));
                    ReplicatedStreamLog log = leader(group, r);
                    if (log == null) continue;
                    StoreState st = entered(null, log, 0, log::state);
                    if (st == null || st.msgs() == 0) continue;
                    long seq = st.firstSeq() + r.nextLong(st.lastSeq() - st.firstSeq() + 1);
                    Loaded got = entered(null, log, 0, () -> new Loaded(log.load(seq)));
                    StoredMessage m = got == null ? null : got.message();
                    if (m != null) {
                        long v = valueOf(m);
                        Long before = reads.putIfAbsent(seq, v);
                        if (before != null && before != v) w.fail("reads: seq " + seq + " held " + before + " then " + v);
                    }
                }
            } catch (InterruptedException | IOException e) {
                w.fail("reader: " + e);
            }
        });
        PullConsumer consumer = new PullConsumer(w, group, w.workload().nextLong(), config.doubleAckBeforeCommit());
        Thread fetcher = w.scheduler().spawn("fetcher", () -> {
            try {
                consumer.run(stop);
            } catch (InterruptedException | IOException e) {
                w.fail("fetcher: " + e);
            }
        });
        Thread stepper = stepdowns(w, group, w.workload().nextLong());
        Thread updater = updates(w, group, w.workload().nextLong());
        Thread replacer = group.spares > 0 ? replacement(w, group, w.workload().nextLong()) : null;
        for (Thread t : nemesis) t.join();
        stepper.join();
        updater.join();
        if (replacer != null) replacer.join();
        w.network().healAll();
        for (RaftHost h : group.hosts) if (!h.down()) h.resume();
        w.scheduler().note("faults over");
        configureAll(w, group, clock, UPDATES, null);
        deadline[0] = clock.nanoTime() + LIVENESS.toNanos();
        faultsOver.countDown();
        for (Thread t : threads) t.join();
        stop[0] = true;
        reader.join();
        fetcher.join();
        for (int p = 0; p < live.length; p++) {
            if (!live[p]) w.fail("liveness: producer " + p + " had no publish acknowledged within " + LIVENESS + " after the faults healed");
        }
        converge(w, group, checker, clock, deadline[0] + LIVENESS.toNanos());
        configured(w, group, clock, deadline[0] + 2 * LIVENESS.toNanos());
        followersRefuse(w, group);
        drain(w, group, history, acked, reads, ackedVals);
        consumer.drain(w, group);
    }

    /**
     * One durable pull consumer, as the stream's leader runs it: its record (an ack floor) is in the
     * stream's Raft log ({@link StreamOp.ConsumerPut}, {@link StreamOp.ConsumerState}, applied by
     * every {@link StreamReplica} and carried in its snapshots). A fetch reads, on whoever is the
     * ready leader, the committed floor and the message after it; the double ack proposes the
     * floor moved onto that message and is answered once that is committed and applied there.
     *
     * <p>Checked while it runs: a double ack answered at the answering replica's applied index
     * {@code i} is never undone: no replica that has applied index {@code i} or more hands out a
     * floor below it (a deposed leader that has not applied that far may, which is the at-least-once
     * redelivery a partition allows). Checked at the end: every replica holds the same floor, at or
     * above every answered double ack, and every message at or below it was fetched.
     */
    static final class PullConsumer {
        private final SimWorld world;
        private final Group group;
        private final SplittableRandom rnd;
        private final boolean answerBeforeCommit;
        private final SimClock clock;
        /** Answered double acks: stream seq and the applied index of the replica that answered. */
        private final List<long[]> answered = new ArrayList<>();
        /** Stream seq -> value, every message fetched. */
        private final TreeMap<Long, Long> fetched = new TreeMap<>();
        int doubleAcks;
        int redeliveries;

        PullConsumer(SimWorld world, Group group, long seed, boolean answerBeforeCommit) {
            this.world = world;
            this.group = group;
            this.rnd = new SplittableRandom(seed);
            this.answerBeforeCommit = answerBeforeCommit;
            this.clock = new SimClock(world.scheduler(), "fetcher/");
        }

        static byte[] floorBytes(long floor) {
            return java.nio.ByteBuffer.allocate(8).putLong(floor).array();
        }

        static long floorOf(StreamReplica.ConsumerRecord r) {
            return r == null || r.state().length < 8 ? 0 : java.nio.ByteBuffer.wrap(r.state()).getLong();
        }

        /** What one fetch saw on a replica, atomically: its applied index, the record, the next message. */
        record Seen(long applied, StreamReplica.ConsumerRecord record, StoredMessage next) {}

        void run(boolean[] stop) throws InterruptedException, IOException {
            while (!stop[0]) {
                clock.sleep(Duration.ofNanos(500_000L + rnd.nextLong(2_000_000L)));
                ReplicatedStreamLog log = leader(group, rnd);
                if (log == null) continue;
                long until = clock.nanoTime() + ATTEMPT_TIMEOUT.toNanos();
                Seen seen = entered(clock, log, until, () -> {
                    StreamReplica.ConsumerRecord r = log.replica().consumer(CONSUMER);
                    return new Seen(log.appliedIndex(), r, r == null ? null : log.replica().load(floorOf(r) + 1));
                });
                if (seen == null) continue;
                if (seen.record() == null) {
                    // created once, like a durable consumer: its record committed before it is used
                    CompletableFuture<ReplicatedStreamLog.Result> f = entered(clock, log, until, () ->
                            log.proposeConsumerOp(new StreamOp.ConsumerPut(CONSUMER, new byte[0], floorBytes(0))));
                    if (f != null) JsStreamGroup.await(clock, f, until);
                    continue;
                }
                long floor = floorOf(seen.record());
                for (long[] a : answered) {
                    if (a[1] <= seen.applied() && a[0] > floor) {
                        world.fail("double ack: seq " + a[0] + " was answered at r-applied index " + a[1] + " but r"
                                + log.id() + ", at applied index " + seen.applied() + ", has the floor at " + floor);
                        return;
                    }
                }
                StoredMessage m = seen.next();
                if (m == null) continue;
                long v = valueOf(m);
                if (fetched.put(m.seq(), v) != null) redeliveries++;
                CompletableFuture<ReplicatedStreamLog.Result> f = entered(clock, log, until, () ->
                        log.proposeConsumerOp(new StreamOp.ConsumerState(CONSUMER, floorBytes(m.seq()))));
                if (f == null) continue;
                boolean ok;
                if (answerBeforeCommit) {
                    ok = true; // BUG: answered on proposing
                } else {
                    ok = JsStreamGroup.await(clock, f, until) && f.join() instanceof ReplicatedStreamLog.Stored;
                }
                if (!ok) continue; // not answered: the client's request times out; it fetches again
                Long applied = entered(clock, log, clock.nanoTime() + ATTEMPT_TIMEOUT.toNanos(), log::appliedIndex);
                if (applied == null) continue; // the replica went away before the answer reached the client
                answered.add(new long[] {m.seq(), applied});
                doubleAcks++;
            }
        }

        /** After the faults: every replica's floor equal, covering every answered ack; all below it fetched. */
        void drain(SimWorld w, Group group) {
            Long floor = null;
            for (int k = 0; k < group.hosts.size(); k++) {
                ReplicatedStreamLog log = group.log(k);
                if (log == null) continue;
                long f = floorOf(log.replica().consumer(CONSUMER));
                if (floor != null && floor != f) w.fail("consumer: replicas hold floors " + floor + " and " + f);
                floor = f;
            }
            if (floor == null) return;
            for (long[] a : answered) {
                if (a[0] > floor) {
                    w.fail("consumer: the double ack of seq " + a[0] + " was answered but the final floor is " + floor);
                    break;
                }
            }
            for (long q = 1; q <= floor; q++) {
                if (!fetched.containsKey(q)) {
                    w.fail("consumer: seq " + q + " is at or below the final floor " + floor + " but was never fetched");
                    break;
                }
            }
            w.history().add(-1, History.Type.INFO, "consumer", "double acks " + doubleAcks + " fetched " + fetched.size()
                    + " redelivered " + redeliveries + " final floor " + floor);
        }
    }

    /**
     * While the faults run, up to 3 leader stepdowns as STREAM.LEADER.STEPDOWN does them
     * ({@link ReplicatedStreamLog#stepDown}: leadership handed to the most caught-up member heard
     * from lately), each at a random time on whoever leads then.
     */
    private static Thread stepdowns(SimWorld w, Group group, long seed) {
        return w.scheduler().spawn("stepdown", () -> {
            SplittableRandom r = new SplittableRandom(seed);
            SimClock sc = new SimClock(w.scheduler(), "stepdown/");
            int n = r.nextInt(4);
            try {
                for (int i = 0; i < n; i++) {
                    sc.sleep(Duration.ofNanos(5_000_000L + r.nextLong(60_000_000L)));
                    ReplicatedStreamLog log = leader(group, r);
                    if (log == null) {
                        w.scheduler().note("stepdown skipped: no leader");
                        continue;
                    }
                    CompletableFuture<String> f = log.stepDown();
                    if (!await(sc, f, sc.nanoTime() + ATTEMPT_TIMEOUT.toNanos())) {
                        w.scheduler().note("stepdown of r" + log.id() + ": no answer");
                        continue;
                    }
                    String why = f.join();
                    w.scheduler().note("stepdown of r" + log.id() + (why == null ? ": transfer started" : ": " + why));
                    if (why == null) group.stepdowns++;
                }
            } catch (InterruptedException e) {
                w.fail("stepdown interrupted");
            }
        });
    }

    /** How many configuration updates a run makes. */
    static final int UPDATES = 2;

    /**
     * The configuration of revision {@code rev}: limits raised, a subject added, nothing any limit
     * removes; a counter stream stays one.
     */
    static StreamConfig updated(int replicas, int rev, boolean counters) {
        try {
            return StreamConfig.parse(new ObjectMapper().readTree("{\"name\":\"QUEUE\",\"subjects\":[\"" + SUBJECT
                    + "\",\"" + SUBJECT + "." + rev + "\"],\"storage\":\"file\",\"num_replicas\":" + replicas
                    + (counters ? ",\"allow_msg_counter\":true," : ",\"allow_atomic\":true,") + "\"description\":\"revision " + rev + "\",\"max_msgs\":" + (1_000_000 + rev)
                    + ",\"max_bytes\":" + (1L << 40) + "}")).withDefaults();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * While the faults run: each of {@link #UPDATES} configuration updates, at a random time, is
     * handed to a random subset of the replicas, and the previous one to all (members apply the meta
     * group's update at different times).
     */
    private static Thread updates(SimWorld w, Group group, long seed) {
        return w.scheduler().spawn("updater", () -> {
            SplittableRandom r = new SplittableRandom(seed);
            SimClock uc = new SimClock(w.scheduler(), "updater/");
            try {
                for (int rev = 1; rev <= UPDATES; rev++) {
                    uc.sleep(Duration.ofNanos(5_000_000L + r.nextLong(60_000_000L)));
                    if (rev > 1) configureAll(w, group, uc, rev - 1, null);
                    configureAll(w, group, uc, rev, r);
                }
            } catch (InterruptedException e) {
                w.fail("updater interrupted");
            }
        });
    }

    /**
     * While the faults run, at a random time: one of the first group's hosts is replaced by the
     * spare, as STREAM.PEER.REMOVE does. Every running replica hears the new peer group (a crashed
     * one hears it when it restarts, as a server replaying the meta log), the group's leader carries
     * it out by membership changes ({@link ReplicatedStreamLog#members}); the removed host, once it
     * does not lead (at most 200 ms), closes its replica for good ({@link RaftHost#retire}). At the
     * end the spare must hold what every other member holds.
     */
    private static Thread replacement(SimWorld w, Group group, long seed) {
        return w.scheduler().spawn("replacer", () -> {
            SplittableRandom r = new SplittableRandom(seed);
            SimClock rc = new SimClock(w.scheduler(), "replacer/");
            try {
                rc.sleep(Duration.ofNanos(10_000_000L + r.nextLong(120_000_000L)));
                int first = group.hosts.size() - group.spares;
                int victim = r.nextInt(first);
                List<Long> target = new ArrayList<>();
                for (int k = 0; k < group.hosts.size(); k++) if (k != victim) target.add(group.hosts.get(k).id());
                group.target = List.copyOf(target);
                w.scheduler().note("peer group: " + group.hosts.get(victim).host() + " replaced, now " + target);
                for (int k = 0; k < group.hosts.size(); k++) {
                    ReplicatedStreamLog log = group.log(k);
                    if (log == null) continue;
                    entered(rc, log, rc.nanoTime() + ATTEMPT_TIMEOUT.toNanos(), () -> {
                        log.members(group.target);
                        return Boolean.TRUE;
                    });
                }
                long until = rc.nanoTime() + 200_000_000L;
                while (rc.nanoTime() < until) {
                    ReplicatedStreamLog log = group.log(victim);
                    if (log == null || !log.ready()) break;
                    rc.sleep(Duration.ofMillis(1));
                }
                group.hosts.get(victim).retire();
                w.scheduler().note(group.hosts.get(victim).host() + " closed its replica (removed)");
            } catch (InterruptedException e) {
                w.fail("replacer interrupted");
            }
        });
    }

    /** Hands revision {@code rev} to every running replica ({@code r} null) or to each with probability 1/2. */
    private static void configureAll(SimWorld w, Group group, SimClock clock, int rev, SplittableRandom r)
            throws InterruptedException {
        StreamConfig cfg = updated(group.hosts.size(), rev, group.counters);
        if (group.meta == null || rev > group.meta.revision()) {
            group.meta = new StreamOp.Config(rev, cfg);
        }
        List<String> told = new ArrayList<>();
        for (int k = 0; k < group.hosts.size(); k++) {
            if (r != null && r.nextBoolean()) continue;
            ReplicatedStreamLog log = group.log(k);
            if (log == null) continue;
            Boolean ok = entered(clock, log, clock.nanoTime() + ATTEMPT_TIMEOUT.toNanos(), () -> {
                log.configure(rev, cfg);
                return Boolean.TRUE;
            });
            if (ok != null) told.add(group.hosts.get(k).host());
        }
        w.scheduler().note("configuration revision " + rev + " handed to " + told);
    }

    /** Every replica applies the last configuration, the same one, within the bound. */
    private static void configured(SimWorld w, Group group, SimClock clock, long until) throws InterruptedException {
        StreamConfig want = updated(group.hosts.size(), UPDATES, group.counters);
        while (true) {
            List<String> behind = new ArrayList<>();
            for (int k = 0; k < group.hosts.size(); k++) {
                if (group.removed(k)) continue;
                ReplicatedStreamLog log = group.log(k);
                if (log == null || log.replica().configRevision() != UPDATES) {
                    behind.add(group.hosts.get(k).host() + "@" + (log == null ? "down" : log.replica().configRevision()));
                } else if (!log.replica().config().equals(want)) {
                    w.fail("configuration: " + group.hosts.get(k).host() + " has revision " + UPDATES + " as "
                            + log.replica().config());
                    return;
                }
            }
            if (behind.isEmpty()) return;
            if (clock.nanoTime() >= until) {
                w.fail("liveness: replicas " + behind + " did not apply configuration revision " + UPDATES + " in time");
                return;
            }
            clock.sleep(Duration.ofMillis(2));
        }
    }

    /** Waits on the simulated clock until {@code f} completes or {@code deadline}; true if it did. */
    static boolean await(SimClock clock, CompletableFuture<?> f, long deadline) throws InterruptedException {
        ReentrantLock lock = new ReentrantLock();
        Condition done = lock.newCondition();
        f.whenComplete((a, b) -> {
            lock.lock();
            try {
                done.signalAll();
            } finally {
                lock.unlock();
            }
        });
        lock.lock();
        try {
            while (!f.isDone()) {
                if (!clock.awaitUntil(done, deadline)) return f.isDone();
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Every replica but the leader refuses a publish, naming the leader; nothing is stored by it. */
    private static void followersRefuse(SimWorld w, Group group) {
        for (int k = 0; k < group.hosts.size(); k++) {
            ReplicatedStreamLog log = group.log(k);
            if (log == null || log.ready()) continue;
            ReplicatedStreamLog.Result r = log.publish(SUBJECT, new byte[0], "-1".getBytes(StandardCharsets.UTF_8)).join();
            if (!(r instanceof ReplicatedStreamLog.NotLeader)) {
                w.fail("follower " + group.hosts.get(k).host() + " answered a publish with " + r);
            }
        }
    }

    /**
     * A replica that leads and has applied its barrier (a deposed one may still think it leads), or
     * null. A replica busy at that instant (its lock taken, see {@link #entered}) does not answer.
     */
    static ReplicatedStreamLog leader(Group group, SplittableRandom r) {
        List<ReplicatedStreamLog> claim = new ArrayList<>();
        for (int k = 0; k < group.hosts.size(); k++) {
            ReplicatedStreamLog log = group.log(k);
            if (log == null || !log.lock().tryLock()) continue;
            try {
                if (log.ready()) claim.add(log);
            } finally {
                log.lock().unlock();
            }
        }
        return claim.isEmpty() ? null : claim.get(r.nextInt(claim.size()));
    }

    /** A call into a replica that may throw. */
    interface Call<T, X extends Exception> {
        T call() throws X;
    }

    /** {@link ReplicatedStreamLog#load}'s answer (null: no message there), so that null can mean "no answer". */
    record Loaded(StoredMessage message) {}

    /**
     * A client's call into replica {@code log} ({@code call}, which takes the log's lock itself), made
     * once the lock is free: tried at once, then every {@link #ENTER_POLL} on {@code clock} until
     * {@code deadline} (with no clock, only at once); null if the replica never took it. The workload's
     * threads call the replicas' objects directly, and a crash abandons a host's threads wherever they
     * are, the lock holder included (mid-apply or mid-restore, waiting on its disk): a client queued on
     * that lock would wait forever (seed 662). A real client is not inside a crashed server's process:
     * its request times out or its connection drops, which is what null is.
     */
    static <T, X extends Exception> T entered(SimClock clock, ReplicatedStreamLog log, long deadline, Call<T, X> call)
            throws X, InterruptedException {
        ReentrantLock lock = log.lock();
        while (!lock.tryLock()) {
            if (clock == null || clock.nanoTime() >= deadline) return null;
            clock.sleep(ENTER_POLL);
        }
        try {
            return call.call();
        } finally {
            lock.unlock();
        }
    }

    /** Every replica applies the highest committed index, within the bound. */
    private static void converge(SimWorld w, Group group, RaftChecker checker, SimClock clock, long until)
            throws InterruptedException {
        while (true) {
            long top = checker.highestCommitted();
            List<String> behind = new ArrayList<>();
            for (RaftHost h : group.hosts) {
                if (h.retired()) continue;
                if (checker.lastApplied(h.id()) < top) behind.add(h.host() + "@" + checker.lastApplied(h.id()));
            }
            if (behind.isEmpty()) return;
            if (clock.nanoTime() >= until) {
                w.fail("liveness: replicas " + behind + " did not apply index " + top + " in time");
                return;
            }
            clock.sleep(Duration.ofMillis(2));
        }
    }

    /** Reads every replica's messages; checks them against each other, the acks, the reads and the queue. */
    private void drain(SimWorld w, Group group, OpHistory history, TreeMap<Long, Long> acked, TreeMap<Long, Long> reads,
                       TreeMap<Long, String> ackedVals) throws IOException {
        List<StoredMessage> ref = null;
        String refHost = null;
        for (int k = 0; k < group.hosts.size(); k++) {
            if (group.removed(k)) continue;
            ReplicatedStreamLog log = group.log(k);
            if (log == null) {
                w.fail("drain: " + group.hosts.get(k).host() + " is down");
                continue;
            }
            List<StoredMessage> msgs = log.messages();
            if (ref == null) {
                ref = msgs;
                refHost = group.hosts.get(k).host();
                continue;
            }
            String diff = difference(ref, msgs);
            if (diff != null) w.fail("replicas differ: " + refHost + " vs " + group.hosts.get(k).host() + ": " + diff);
        }
        if (ref == null) return;
        TreeMap<Long, Long> valueAt = new TreeMap<>();
        TreeMap<String, List<StoredMessage>> batches = new TreeMap<>();
        int drainer = 1000;
        long sum = 0;
        for (StoredMessage m : ref) {
            long v = valueOf(m);
            valueAt.put(m.seq(), v);
            if (config.counters()) {
                // the leader summed in log order, what was in flight included: each message holds the sum so far
                sum += v;
                String want = "{\"val\":\"" + sum + "\"}";
                String got = new String(m.data(), StandardCharsets.UTF_8);
                if (!want.equals(got)) w.fail("counter: seq " + m.seq() + " (+" + v + ") holds " + got + ", the sum so far is " + sum);
                String ackVal = ackedVals.get(m.seq());
                if (ackVal != null && !ackVal.equals(got)) w.fail("counter: the ack of seq " + m.seq() + " said " + ackVal + " but it holds " + got);
            }
            history.add(new Op(drainer, Op.Type.INVOKE, "dequeue", null, w.scheduler().now()));
            history.add(new Op(drainer, Op.Type.OK, "dequeue", v, w.scheduler().now()));
            String batch = header(m, "Nats-Batch-Id");
            if (batch != null) {
                batches.computeIfAbsent(batch, b -> new ArrayList<>()).add(m);
            }
            String expected = header(m, "Nats-Expected-Last-Sequence");
            if (expected != null && Long.parseLong(expected) + 1 != m.seq()) {
                w.fail("expected last sequence " + expected + " but " + v + " is stored at " + m.seq());
            }
        }
        // an atomic batch is stored whole, at consecutive sequences in its order, or not at all
        for (var e : batches.entrySet()) {
            List<StoredMessage> ms = e.getValue();
            int size = Integer.parseInt(header(ms.getFirst(), "X-Batch-Size"));
            boolean whole = ms.size() == size;
            for (int i = 0; whole && i < ms.size(); i++) {
                whole = ms.get(i).seq() == ms.getFirst().seq() + i
                        && Integer.parseInt(header(ms.get(i), "Nats-Batch-Sequence")) == i + 1;
            }
            if (!whole) w.fail("batch " + e.getKey() + " of " + size + " stored as " + ms.stream().map(JsStreamGroup::describe).toList());
        }
        for (var e : acked.entrySet()) {
            Long at = valueAt.get(e.getValue());
            if (at == null || at.longValue() != e.getKey()) {
                w.fail("ack: " + e.getKey() + " acknowledged at seq " + e.getValue() + " which holds " + at);
            }
        }
        for (var e : reads.entrySet()) {
            Long at = valueAt.get(e.getKey());
            if (at == null || at.longValue() != e.getValue()) {
                w.fail("read: " + e.getValue() + " was read at seq " + e.getKey() + " which finally holds " + at);
            }
        }
        QueueChecker.Report rep = QueueChecker.check(history);
        w.history().add(-1, History.Type.INFO, "summary", "acked " + rep.acknowledged() + " indeterminate " + rep.indeterminate()
                + " stored " + ref.size() + " recovered " + rep.recovered().size() + " snapshot restores " + group.restores + " skipped ops " + skipped(group) + " unknown tries " + group.unknowns
                + " answered as duplicates " + group.duplicates + " stepdowns " + group.stepdowns
                + " batches acked " + group.batches + " stored " + batches.size()
                + " publishes never taken " + group.unentered);
        if (!rep.valid()) w.fail("queue: " + rep.describe());
    }

    private static long skipped(Group group) {
        long n = 0;
        for (int k = 0; k < group.hosts.size(); k++) {
            ReplicatedStreamLog log = group.log(k);
            if (log != null) n += log.skippedOps();
        }
        return n;
    }

    private static String difference(List<StoredMessage> a, List<StoredMessage> b) {
        for (int i = 0; i < Math.max(a.size(), b.size()); i++) {
            StoredMessage x = i < a.size() ? a.get(i) : null;
            StoredMessage y = i < b.size() ? b.get(i) : null;
            if (x == null || y == null || x.seq() != y.seq() || x.timestampNanos() != y.timestampNanos()
                    || !x.subject().equals(y.subject()) || !Arrays.equals(x.data(), y.data())
                    || !Arrays.equals(x.headers(), y.headers())) {
                return "message " + i + ": " + describe(x) + " vs " + describe(y);
            }
        }
        return null;
    }

    private static String describe(StoredMessage m) {
        return m == null ? "none" : "seq " + m.seq() + " ts " + m.timestampNanos() + " " + new String(m.data(), StandardCharsets.UTF_8);
    }

    /** The producer's value a stored message carries: its data, or a counter's increment ({@code Nats-Incr}). */
    static long valueOf(StoredMessage m) {
        String incr = header(m, "Nats-Incr");
        return Long.parseLong(incr != null ? incr : new String(m.data(), StandardCharsets.UTF_8));
    }

    static String header(StoredMessage m, String name) {
        if (m.headers().length == 0) return null;
        for (String line : new String(m.headers(), StandardCharsets.UTF_8).split("\r\n")) {
            int c = line.indexOf(':');
            if (c > 0 && line.substring(0, c).equals(name)) return line.substring(c + 1).trim();
        }
        return null;
    }

    /** One producer: unique values, one at a time, retried with the same message id while the outcome is unknown. */
    private static final class Producer {
        private final int process;
        private final SimWorld world;
        private final Group group;
        private final OpHistory history;
        private final TreeMap<Long, Long> acked;
        private final SplittableRandom rnd;
        private final SimClock clock;
        private long counter;
        private int leader = -1;
        private long lastSeen;

        private final boolean counters;
        private final TreeMap<Long, String> ackedVals;

        Producer(int process, SimWorld world, Group group, OpHistory history, TreeMap<Long, Long> acked, SplittableRandom rnd,
                 boolean counters, TreeMap<Long, String> ackedVals) {
            this.counters = counters;
            this.ackedVals = ackedVals;
            this.process = process;
            this.world = world;
            this.group = group;
            this.history = history;
            this.acked = acked;
            this.rnd = rnd;
            this.clock = new SimClock(world.scheduler(), "producer-" + process + "/");
        }

        boolean publishUntil(long deadline) throws InterruptedException {
            while (clock.nanoTime() < deadline) {
                if (publishOne(Math.min(OP_TIMEOUT.toNanos(), deadline - clock.nanoTime()), false)) return true;
                clock.sleep(Duration.ofMillis(1));
            }
            return false;
        }

        /**
         * Publishes the next value, or (one time in four, when {@code maybeExpect}) an atomic batch
         * of the next 2 or 3 values ({@link #publishBatch}); records the outcome; true if acknowledged.
         */
        boolean publishOne(long within, boolean maybeExpect) throws InterruptedException {
            clock.sleep(Duration.ofNanos(rnd.nextLong(3_000_000L)));
            if (!counters && maybeExpect && rnd.nextInt(4) == 0) return publishBatch(within, 2 + rnd.nextInt(2));
            long v = process * 100_000L + (++counter);
            StringBuilder h = new StringBuilder("NATS/1.0\r\nNats-Msg-Id: v").append(v).append("\r\n");
            if (counters) {
                h.append("Nats-Incr: ").append(v).append("\r\n");
            } else if (maybeExpect && lastSeen > 0 && rnd.nextInt(5) == 0) {
                h.append("Nats-Expected-Last-Sequence: ").append(lastSeen).append("\r\n");
            }
            byte[] hdr = h.append("\r\n").toString().getBytes(StandardCharsets.UTF_8);
            byte[] data = counters ? new byte[0] : Long.toString(v).getBytes(StandardCharsets.UTF_8);
            record(Op.Type.INVOKE, v);
            long deadline = clock.nanoTime() + within;
            boolean uncertain = false;
            while (clock.nanoTime() < deadline) {
                ReplicatedStreamLog log = target();
                if (log == null) {
                    clock.sleep(Duration.ofMillis(2));
                    continue;
                }
                long attempt = Math.min(deadline, clock.nanoTime() + ATTEMPT_TIMEOUT.toNanos());
                CompletableFuture<ReplicatedStreamLog.Result> f = entered(clock, log, attempt, () -> log.publish(SUBJECT, hdr, data));
                if (f == null) {
                    // the replica never took the publish (busy until the attempt ended; maybe crashed meanwhile)
                    group.unentered++;
                    world.scheduler().note("producer " + process + " value " + v + ": r" + log.id() + " never took the publish");
                    leader = -1;
                    continue;
                }
                if (!await(f, attempt)) {
                    // no answer in time: maybe stored; try again (elsewhere, if another leads) with the same id
                    group.unknowns++;
                    uncertain = true;
                    leader = -1;
                    continue;
                }
                ReplicatedStreamLog.Result r = f.join();
                switch (r) {
                    case ReplicatedStreamLog.Stored s -> {
                        if (counters && !s.appended().isEmpty()) {
                            ackedVals.put(s.seq(), new String(s.appended().getFirst().op().data(), StandardCharsets.UTF_8));
                        }
                        return ok(v, s.seq());
                    }
                    case ReplicatedStreamLog.Duplicate d -> {
                        group.duplicates++;
                        return ok(v, d.seq());
                    }
                    case ReplicatedStreamLog.Rejected rj -> {
                        StoreState st = entered(clock, log, clock.nanoTime() + ATTEMPT_TIMEOUT.toNanos(), log::state);
                        if (st != null) lastSeen = st.lastSeq();
                        world.scheduler().note("producer " + process + " value " + v + " refused: " + rj.error().description());
                        record(uncertain ? Op.Type.INFO : Op.Type.FAIL, v);
                        return false;
                    }
                    case ReplicatedStreamLog.NotLeader nl -> {
                        leader = nl.leader() > 0 ? (int) nl.leader() - 1 : -1;
                        clock.sleep(Duration.ofMillis(1));
                    }
                    case ReplicatedStreamLog.NotStored ns -> {
                        leader = -1;
                        clock.sleep(Duration.ofMillis(1));
                    }
                    case ReplicatedStreamLog.Unknown u -> {
                        group.unknowns++;
                        uncertain = true;
                        leader = -1;
                        clock.sleep(Duration.ofMillis(1));
                    }
                }
            }
            leader = -1;
            record(Op.Type.INFO, v);
            return false;
        }

        /**
         * The commit of an atomic batch of the next {@code n} values, as the stream's leader gets it
         * ({@code publishBatch}: one Raft entry); retried with the same ids while the outcome is
         * unknown (a retry of a batch that was stored is refused: its ids are in the window).
         * Acknowledged: every value at its sequence, the last at the ack's.
         */
        boolean publishBatch(long within, int n) throws InterruptedException {
            long[] vs = new long[n];
            List<StreamReplica.BatchMsg> msgs = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                vs[i] = process * 100_000L + (++counter);
                String h = "NATS/1.0\r\nNats-Msg-Id: v" + vs[i] + "\r\nNats-Batch-Id: b" + vs[0] + "\r\nNats-Batch-Sequence: "
                        + (i + 1) + "\r\nX-Batch-Size: " + n + "\r\n" + (i == n - 1 ? "Nats-Batch-Commit: 1\r\n" : "") + "\r\n";
                msgs.add(new StreamReplica.BatchMsg(SUBJECT, h.getBytes(StandardCharsets.UTF_8),
                        Long.toString(vs[i]).getBytes(StandardCharsets.UTF_8)));
                record(Op.Type.INVOKE, vs[i]);
            }
            long deadline = clock.nanoTime() + within;
            boolean uncertain = false;
            while (clock.nanoTime() < deadline) {
                ReplicatedStreamLog log = target();
                if (log == null) {
                    clock.sleep(Duration.ofMillis(2));
                    continue;
                }
                long attempt = Math.min(deadline, clock.nanoTime() + ATTEMPT_TIMEOUT.toNanos());
                CompletableFuture<ReplicatedStreamLog.Result> f = entered(clock, log, attempt,
                        () -> log.publishBatch("b" + vs[0], msgs));
                if (f == null) {
                    group.unentered++;
                    leader = -1;
                    continue;
                }
                if (!await(f, attempt)) {
                    group.unknowns++;
                    uncertain = true;
                    leader = -1;
                    continue;
                }
                switch (f.join()) {
                    case ReplicatedStreamLog.Stored s -> {
                        group.batches++;
                        for (int i = 0; i < n; i++) ok(vs[i], s.seq() - (n - 1 - i));
                        return true;
                    }
                    case ReplicatedStreamLog.Rejected rj -> {
                        world.scheduler().note("producer " + process + " batch b" + vs[0] + " refused: " + rj.error().description());
                        for (long v : vs) record(uncertain ? Op.Type.INFO : Op.Type.FAIL, v);
                        return false;
                    }
                    case ReplicatedStreamLog.NotLeader nl -> {
                        leader = nl.leader() > 0 ? (int) nl.leader() - 1 : -1;
                        clock.sleep(Duration.ofMillis(1));
                    }
                    case ReplicatedStreamLog.Unknown u -> {
                        group.unknowns++;
                        uncertain = true;
                        leader = -1;
                        clock.sleep(Duration.ofMillis(1));
                    }
                    default -> {
                        leader = -1;
                        clock.sleep(Duration.ofMillis(1));
                    }
                }
            }
            leader = -1;
            for (long v : vs) record(Op.Type.INFO, v);
            return false;
        }

        private boolean ok(long v, long seq) {
            acked.put(v, seq);
            lastSeen = seq;
            record(Op.Type.OK, v);
            return true;
        }

        private ReplicatedStreamLog target() {
            if (leader >= 0) {
                ReplicatedStreamLog log = group.log(leader);
                if (log != null) return log;
            }
            ReplicatedStreamLog log = leader(group, rnd);
            if (log != null) return log;
            for (int k = 0; k < group.hosts.size(); k++) {
                ReplicatedStreamLog l = group.log(k);
                RaftDriver d = l == null ? null : l.driver();
                if (d != null && d.softState().role() == Role.LEADER) return l;
            }
            return group.log(rnd.nextInt(group.hosts.size()));
        }

        private boolean await(CompletableFuture<?> f, long deadline) throws InterruptedException {
            return JsStreamGroup.await(clock, f, deadline);
        }

        private void record(Op.Type type, long v) {
            Op op = new Op(process, type, "enqueue", v, world.scheduler().now());
            history.add(op);
            world.history().add(process, History.Type.valueOf(type.name()), "enqueue", Long.toString(v));
        }
    }
}
