package io.weft.sim.world;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.weft.engine.ServerOptions;
import io.weft.engine.jetstream.cluster.ReplicatedStreamLog;
import io.weft.sim.SimClock;
import io.weft.sim.fault.ClusterFaultPlan;
import io.weft.sim.fault.ClusterNemesis;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;

/**
 * Scenario {@code js-cluster}: clustered JetStream on the full server stack. Three (or five) real
 * {@code Node}s ({@link SimNode}: routes, meta group, replicated streams and consumers, file stores
 * on simulated disks), each with {@code server_name} {@code n<i>}, JetStream on, in cluster
 * {@code sim}, listing every other node as a route. A setup client creates, through
 * {@code $JS.API}, the file stream {@code Q} ({@code q.>}) with {@code num_replicas} 3 (or 5) and
 * the durable pull consumer {@code work}; then Jepsen's queue workload under the seed's
 * {@link ClusterFaultPlan} (crashes that drop unsynced bytes and tear the last write, power loss
 * of every node, pauses, minority/majority splits, the stream leader crashed or isolated, clock
 * skew, route resets):
 * <ul>
 *   <li>publishers on different nodes publish unique values to {@code q.<client>.<n>} with sync
 *       acks: ok on a PubAck naming {@code Q} and a sequence, fail on a JSON error or a 503 (no
 *       responders), info on a timeout or a dropped connection (then the client may move to the
 *       next node, as a client with the cluster's URLs does);</li>
 *   <li>pull consumers on other nodes fetch from {@code work} and ack everything they get;</li>
 *   <li>after the faults heal: a probe publish (with a message id, retried) must be acked within
 *       {@link #LIVENESS}, the consumers must drain (three empty pulls in a row after an ack wait)
 *       within {@link #LIVENESS}, then a reader fetches every sequence of {@code Q}.</li>
 * </ul>
 * Checked ({@link JsCrashChecker}): no acknowledged value lost from the stream, nothing unexpected,
 * nothing stored twice, no sequence acked twice, everything served at the sequence its ack named
 * and on its subject, the drained consumers delivered every stored message; consumer redeliveries
 * (duplicates) are counted, not failed (the consumer is at least once). A server log line saying a
 * Raft replica stopped fails the run.
 */
public final class JsCluster implements Scenario {
    public static final String NAME = "js-cluster";
    /** The same world under a heavier plan (up to 14 faults), more publishes and three KV clients. */
    public static final String HEAVY_NAME = "js-cluster-heavy";
    /** js-cluster with consumer resets (to the ack floor) among the consumers' pulls. */
    public static final String RESET_NAME = "js-cluster-reset";
    static final String STREAM = "Q";
    static final String CONSUMER = "work";
    /** The KV bucket's stream (as a KV bucket {@code b}: one message per key, discard new). */
    static final String KV_STREAM = "KV_b";
    static final int CLUSTER_PORT = 6222;
    /** A publish waits this long for its PubAck before it counts as indeterminate. */
    static final Duration PUB_TIMEOUT = Duration.ofMillis(500);
    static final Duration ACK_WAIT = Duration.ofMillis(500);
    /** How long (virtual) the cluster may take to form and create the stream and consumer. */
    static final Duration SETUP_LIMIT = Duration.ofSeconds(60);
    /** After the last fault healed: how long a probe may take to be acked, and the consumers to drain. */
    public static final Duration LIVENESS = Duration.ofSeconds(30);

    /**
     * {@code nodes} 3 or 5; {@code replicas} of the stream; {@code ackBeforeCommit}: the test-only
     * bug switch of {@link ReplicatedStreamLog.Options} on every node (the stream leader answers a
     * publish as soon as it proposed it, before a quorum holds it).
     */
    public record Config(int nodes, int replicas, int publishers, int messagesPerPublisher, int consumers,
                         int kvClients, int kvOps, int keys,
                         List<ClusterFaultPlan.Kind> faultKinds, int maxFaults, boolean ackBeforeCommit, boolean heavy,
                         boolean resets) {
        public Config(int nodes, int replicas, int publishers, int messagesPerPublisher, int consumers,
                      int kvClients, int kvOps, int keys,
                      List<ClusterFaultPlan.Kind> faultKinds, int maxFaults, boolean ackBeforeCommit, boolean heavy) {
            this(nodes, replicas, publishers, messagesPerPublisher, consumers, kvClients, kvOps, keys, faultKinds, maxFaults,
                    ackBeforeCommit, heavy, false);
        }

        public Config(int nodes, int replicas, int publishers, int messagesPerPublisher, int consumers,
                      int kvClients, int kvOps, int keys,
                      List<ClusterFaultPlan.Kind> faultKinds, int maxFaults, boolean ackBeforeCommit) {
            this(nodes, replicas, publishers, messagesPerPublisher, consumers, kvClients, kvOps, keys, faultKinds, maxFaults,
                    ackBeforeCommit, false);
        }

        /** Scenario {@code js-cluster-heavy}: up to 14 faults, 25 publishes per publisher, 3 KV clients of 12 operations. */
        public static Config heavyDefaults() {
            return new Config(0, 0, 3, 25, 2, 3, 12, 2, List.of(ClusterFaultPlan.Kind.values()), 14, false, true);
        }

        /** {@code nodes} and {@code replicas} 0: the seed decides (3 or 5 nodes; R3, or R5 on 5 nodes). */
        public static Config defaults() {
            return new Config(0, 0, 3, 12, 2, 2, 8, 2, List.of(ClusterFaultPlan.Kind.values()), 6, false);
        }

        public Config withClients(int n) {
            return new Config(nodes, replicas, n, messagesPerPublisher, consumers, kvClients, kvOps, keys, faultKinds, maxFaults, ackBeforeCommit, heavy, resets);
        }

        public Config withMessages(int n) {
            return new Config(nodes, replicas, publishers, n, consumers, kvClients, kvOps, keys, faultKinds, maxFaults, ackBeforeCommit, heavy, resets);
        }

        /** A fixed size: {@code n} nodes, an R{@code r} stream and KV bucket. */
        public Config withNodes(int n, int r) {
            return new Config(n, r, publishers, messagesPerPublisher, consumers, kvClients, kvOps, keys, faultKinds, maxFaults, ackBeforeCommit, heavy, resets);
        }

        public Config withKv(int clients, int ops, int keyCount) {
            return new Config(nodes, replicas, publishers, messagesPerPublisher, consumers, clients, ops, keyCount, faultKinds, maxFaults, ackBeforeCommit, heavy, resets);
        }

        public Config withoutFaults() {
            return new Config(nodes, replicas, publishers, messagesPerPublisher, consumers, kvClients, kvOps, keys, List.of(), maxFaults, ackBeforeCommit, heavy, resets);
        }

        public Config withFaults(List<ClusterFaultPlan.Kind> kinds, int max) {
            return new Config(nodes, replicas, publishers, messagesPerPublisher, consumers, kvClients, kvOps, keys, kinds, max, ackBeforeCommit, heavy, resets);
        }

        /** Scenario {@code js-cluster-reset}: the consumers now and then reset the consumer to its ack floor. */
        public Config withResets() {
            return new Config(nodes, replicas, publishers, messagesPerPublisher, consumers, kvClients, kvOps, keys, faultKinds, maxFaults, ackBeforeCommit, heavy, true);
        }

        public Config withAckBeforeCommit(boolean on) {
            return new Config(nodes, replicas, publishers, messagesPerPublisher, consumers, kvClients, kvOps, keys, faultKinds, maxFaults, on, heavy, resets);
        }

        /** The nodes of {@code seed}'s run: fixed, or 3 (odd seeds) or 5 (even seeds). */
        public int nodesOf(long seed) {
            return nodes > 0 ? nodes : (seed & 1) == 1 ? 3 : 5;
        }

        /** The replicas of {@code seed}'s stream and bucket: fixed, or 3, or on 5 nodes R3 or R5 by the seed. */
        public int replicasOf(long seed) {
            if (replicas > 0) {
                return replicas;
            }
            return nodesOf(seed) == 3 ? 3 : new java.util.SplittableRandom(seed ^ 0x1F83D9ABFB41BD6BL).nextBoolean() ? 5 : 3;
        }
    }

    private final Config config;
    private final ObjectMapper json = new ObjectMapper();

    public JsCluster(Config config) {
        this.config = config;
    }

    @Override
    public String name() {
        return config.heavy() ? HEAVY_NAME : config.resets() ? RESET_NAME : NAME;
    }

    @Override
    public String description() {
        return (config.nodes() > 0 ? String.valueOf(config.nodes()) : "3 or 5") + " clustered JetStream servers (full stack: routes, meta group, Raft stream groups), an R"
                + (config.replicas() > 0 ? String.valueOf(config.replicas()) : "3/R5") + " file stream and KV bucket; " + config.publishers() + " publishers with sync acks, "
                + config.consumers() + " pull consumers, " + config.kvClients() + " KV CAS clients, under crashes (torn writes), power loss, pauses, splits, "
                + "leader crash/isolation, skew, route resets, bit flips and truncation at rest on a minority; no acked value lost, none unexpected, none stored twice, "
                + "KV linearizable, drain and a probe publish within " + LIVENESS.toSeconds() + " s of the heal"
                + (config.ackBeforeCommit() ? "; BUG: ack before commit" : "");
    }

    /** The cluster fault plan of {@code seed}. */
    public ClusterFaultPlan plan(long seed) {
        return config.faultKinds().isEmpty() ? ClusterFaultPlan.none()
                : ClusterFaultPlan.fromSeed(seed, config.nodesOf(seed), config.faultKinds(), config.maxFaults(),
                        (config.replicasOf(seed) - 1) / 2);
    }

    @Override
    public SimResult run(long seed, Consumer<String> eventLog) {
        SimWorld world = new SimWorld(seed);
        if (eventLog != null) {
            world.eventLog(eventLog);
        }
        int n = config.nodesOf(seed);
        int replicas = config.replicasOf(seed);
        JsCrashChecker checker = new JsCrashChecker();
        // the node that last logged itself leader of Q (0) and of KV_b (1)
        int[] leader = {-1, -1};
        List<String> stopped = new ArrayList<>();
        String leaderLine = "new stream leader for '$G > " + STREAM + "'";
        String kvLeaderLine = "new stream leader for '$G > " + KV_STREAM + "'";
        List<SimNode> nodes = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ServerOptions o = new ServerOptions();
            o.port = 4222;
            o.serverName = "n" + (i + 1);
            o.clusterName = "sim";
            o.clusterPort = CLUSTER_PORT;
            List<String> routes = new ArrayList<>();
            for (int j = 0; j < n; j++) {
                if (j != i) {
                    routes.add("n" + (j + 1) + ":" + CLUSTER_PORT);
                }
            }
            o.routes = List.copyOf(routes);
            o.jetstream = true;
            o.storeDir = "js";
            SimNode node = world.addNode("n" + (i + 1), o);
            int index = i;
            node.logTap(line -> {
                if (line.contains(leaderLine)) {
                    leader[0] = index;
                }
                if (line.contains(kvLeaderLine)) {
                    leader[1] = index;
                }
                if (line.startsWith("ERR ") && line.contains("Raft replica stopped")) {
                    stopped.add(node.host() + " " + line);
                }
                checker.serverLog(line);
            });
            if (config.ackBeforeCommit()) {
                node.beforeStart(nd -> nd.groupLogs(ReplicatedStreamLog.factory(nd.env(),
                        c -> c.withPipelinedLeaderWrites(true), new ReplicatedStreamLog.Options(4096, true), true)));
            }
            nodes.add(node);
        }
        SimClient setup = world.addClient(SimClient.DeliveryTap.all());
        List<SimClient> publishers = new ArrayList<>();
        for (int i = 0; i < config.publishers(); i++) {
            publishers.add(world.addClient(SimClient.DeliveryTap.all()));
        }
        List<SimClient> consumers = new ArrayList<>();
        for (int i = 0; i < config.consumers(); i++) {
            consumers.add(world.addClient(SimClient.DeliveryTap.all()));
        }
        List<SimClient> kvClients = new ArrayList<>();
        for (int i = 0; i < config.kvClients(); i++) {
            kvClients.add(world.addClient(SimClient.DeliveryTap.all()));
        }
        ClusterFaultPlan plan = plan(seed);
        long planNanos = 0;
        for (ClusterFaultPlan.Fault f : plan.faults()) {
            planNanos += f.gap().toNanos() + switch (f) {
                case ClusterFaultPlan.Crash c -> c.down().toNanos();
                case ClusterFaultPlan.Power p -> p.down().toNanos();
                case ClusterFaultPlan.Pause p -> p.length().toNanos();
                case ClusterFaultPlan.Split s -> s.length().toNanos();
                case ClusterFaultPlan.AtLeader a -> a.length().toNanos();
                case ClusterFaultPlan.AtRest a -> a.down().toNanos();
                default -> 0L;
            };
        }
        // publishing spreads over the fault window (at least 1 s)
        long span = Math.max(1_000_000_000L, planNanos);
        Map<String, Integer> deliveries = new TreeMap<>();
        return world.run(name(), w -> {
            SimClock clock = new SimClock(w.scheduler());
            SplittableRandom rnd = w.workload();
            for (SimNode nd : nodes) {
                nd.start();
            }
            w.scheduler().note(n + " nodes, R" + replicas + ", " + plan);
            JsConn admin = new JsConn(w, setup, nodes, 0, clock, new SplittableRandom(rnd.nextLong()));
            if (!setup(admin, clock, replicas)) {
                return;
            }
            w.scheduler().note("setup done; stream leader n" + (leader[0] + 1));
            Thread nemesis = new ClusterNemesis(w, nodes, plan, which -> leader[which % 2]).start();
            CountDownLatch published = new CountDownLatch(publishers.size() + 1);
            CountDownLatch finished = new CountDownLatch(publishers.size() + consumers.size() + kvClients.size() + 1);
            for (int i = 0; i < kvClients.size(); i++) {
                SimClient c = kvClients.get(i);
                JsConn conn = new JsConn(w, c, nodes, i + 2, clock, new SplittableRandom(rnd.nextLong()));
                SplittableRandom kr = new SplittableRandom(rnd.nextLong());
                ClientProgram.spawn(w, c, finished, () -> kvClient(conn, clock, kr, span, nemesis, checker));
            }
            for (int i = 0; i < publishers.size(); i++) {
                SimClient c = publishers.get(i);
                JsConn conn = new JsConn(w, c, nodes, i, clock, new SplittableRandom(rnd.nextLong()));
                SplittableRandom pr = new SplittableRandom(rnd.nextLong());
                ClientProgram.spawn(w, c, finished, () -> {
                    try {
                        publisher(conn, clock, pr, span, checker);
                    } finally {
                        published.countDown();
                    }
                });
            }
            ClientProgram.spawn(w, setup, finished, () -> {
                try {
                    nemesis.join();
                    probe(admin, clock, checker);
                } finally {
                    published.countDown();
                }
            });
            for (int i = 0; i < consumers.size(); i++) {
                SimClient c = consumers.get(i);
                JsConn conn = new JsConn(w, c, nodes, i + 1, clock, new SplittableRandom(rnd.nextLong()));
                SplittableRandom cr = new SplittableRandom(rnd.nextLong());
                ClientProgram.spawn(w, c, finished, () -> consumer(conn, cr, published, nemesis, checker, deliveries));
            }
            finished.await();
            nemesis.join();
            TreeMap<Long, String[]> read = new TreeMap<>();
            long lastSeq = finalRead(admin, checker, read);
            if (lastSeq >= 0) {
                replicas(w, clock, nodes, replicas, lastSeq, read);
            }
            int dups = 0;
            for (int v : deliveries.values()) {
                dups += v > 1 ? v - 1 : 0;
            }
            w.scheduler().note("consumer deliveries " + deliveries.values().stream().mapToInt(Integer::intValue).sum()
                    + " of " + deliveries.size() + " values (" + dups + " redeliveries); final read "
                    + checker.finalReads() + " messages");
            int[] outcome = new int[3];
            for (io.weft.sim.check.Op op : checker.queueHistory().ops()) {
                if (op.f().equals("enqueue")) {
                    switch (op.type()) {
                        case OK -> outcome[0]++;
                        case FAIL -> outcome[1]++;
                        case INFO -> outcome[2]++;
                        default -> { }
                    }
                }
            }
            int[] kv = new int[4];
            for (io.weft.sim.check.Op op : checker.kvHistory().ops()) {
                if (op.f().equals("cas")) {
                    switch (op.type()) {
                        case OK -> kv[0]++;
                        case FAIL -> kv[1]++;
                        case INFO -> kv[2]++;
                        default -> { }
                    }
                } else if (op.type() == io.weft.sim.check.Op.Type.OK) {
                    kv[3]++;
                }
            }
            w.history().add(-1, History.Type.INFO, "summary", "acked " + outcome[0] + " failed " + outcome[1]
                    + " indeterminate " + outcome[2] + " delivered " + deliveries.size() + " redelivered " + dups
                    + " stored " + checker.finalReads() + " kv-cas-ok " + kv[0] + " kv-cas-fail " + kv[1]
                    + " kv-cas-info " + kv[2] + " kv-reads " + kv[3]);
            for (String s : stopped) {
                w.fail("a Raft replica stopped: " + s);
            }
            for (SimClient c : w.clients()) {
                for (String e : c.errors()) {
                    w.fail("client " + c.id() + " got " + e);
                }
            }
            for (String f : checker.check()) {
                w.fail(f);
            }
        });
    }

    // ------------------------------------------------------------------ setup

    /** Creates the stream and the consumer, retrying until the cluster answers; false (and a failure) if it never does. */
    private boolean setup(JsConn admin, SimClock clock, int replicas) throws Exception {
        long until = clock.nanoTime() + SETUP_LIMIT.toNanos();
        String stream = "{\"name\":\"" + STREAM + "\",\"subjects\":[\"q.>\"],\"storage\":\"file\",\"num_replicas\":"
                + replicas + "}";
        String bucket = "{\"name\":\"" + KV_STREAM + "\",\"subjects\":[\"$KV.b.>\"],\"storage\":\"file\",\"num_replicas\":"
                + replicas + ",\"max_msgs_per_subject\":1,\"discard\":\"new\",\"allow_direct\":true,"
                + "\"allow_rollup_hdrs\":true,\"deny_delete\":true}";
        String consumer = "{\"stream_name\":\"" + STREAM + "\",\"config\":{\"durable_name\":\"" + CONSUMER
                + "\",\"ack_policy\":\"explicit\",\"ack_wait\":" + ACK_WAIT.toNanos() + ",\"max_ack_pending\":1000}}";
        String[][] steps = {
                {"$JS.API.STREAM.CREATE." + STREAM, stream},
                {"$JS.API.CONSUMER.DURABLE.CREATE." + STREAM + "." + CONSUMER, consumer},
                {"$JS.API.STREAM.CREATE." + KV_STREAM, bucket},
        };
        for (String[] step : steps) {
            String last = "no answer";
            while (true) {
                if (clock.nanoTime() > until) {
                    fail(admin, "setup: " + step[0] + " not answered with success within " + SETUP_LIMIT
                            + "; last answer: " + last);
                    return false;
                }
                JsConn.Reply r = admin.request(step[0], null, step[1], Duration.ofSeconds(2));
                JsonNode doc = r == null || r.status() != 0 ? null : parse(r.payload());
                if (doc != null && doc.get("error") == null) {
                    break;
                }
                last = r == null ? "no answer" : r.status() != 0 ? "status " + r.status() : r.payload();
                clock.sleep(Duration.ofMillis(100));
            }
        }
        return true;
    }

    private static void fail(JsConn c, String why) {
        c.world().fail(why);
    }

    // ------------------------------------------------------------------ clients

    /**
     * Publishes unique values {@code p<id>-<k>} with sync acks, spread over {@code span} of virtual
     * time; after a timeout it moves to the next node half the time.
     */
    private void publisher(JsConn c, SimClock clock, SplittableRandom rnd, long span, JsCrashChecker checker)
            throws Exception {
        int id = c.client().id();
        int m = config.messagesPerPublisher();
        for (int k = 1; k <= m; k++) {
            String payload = "p" + id + "-" + k;
            String subject = "q." + id + "." + k;
            checker.publishInvoked(id, subject, payload, c.now());
            JsConn.Reply r = c.request(subject, null, payload, PUB_TIMEOUT);
            if (r == null) {
                checker.publishIndeterminate(id, payload, c.now());
                if (rnd.nextBoolean()) {
                    c.moveOn();
                }
            } else if (r.status() == 503) {
                checker.publishFailed(id, payload, c.now()); // no responders: nothing stored
            } else if (r.status() != 0) {
                checker.publishIndeterminate(id, payload, c.now());
                checker.fail("publish " + payload + " got status " + r.headers().strip());
            } else {
                JsonNode doc = parse(r.payload());
                if (doc == null) {
                    checker.publishIndeterminate(id, payload, c.now());
                    checker.fail("publish " + payload + " got a reply that is not JSON: " + r.payload());
                } else if (doc.get("error") != null) {
                    checker.publishFailed(id, payload, c.now());
                } else if (STREAM.equals(doc.path("stream").asText()) && doc.path("seq").asLong() > 0) {
                    checker.publishAcked(id, payload, doc.path("seq").asLong(), c.now());
                } else {
                    checker.publishIndeterminate(id, payload, c.now());
                    checker.fail("publish " + payload + " got an odd PubAck: " + r.payload());
                }
            }
            clock.sleep(Duration.ofNanos(rnd.nextLong(2 * span / m + 1)));
        }
    }

    /**
     * After the faults: one publish with a message id, retried (through the next node after a
     * timeout) until acknowledged; it must be within {@link #LIVENESS}.
     */
    private void probe(JsConn c, SimClock clock, JsCrashChecker checker) throws Exception {
        int id = c.client().id();
        String payload = "probe";
        checker.publishInvoked(id, "q.probe", payload, c.now());
        long until = clock.nanoTime() + LIVENESS.toNanos();
        String last = "no answer";
        while (clock.nanoTime() < until) {
            JsConn.Reply r = c.request("q.probe", "NATS/1.0\r\nNats-Msg-Id: probe\r\n\r\n", payload, PUB_TIMEOUT);
            JsonNode doc = r == null || r.status() != 0 ? null : parse(r.payload());
            if (doc != null && doc.get("error") == null && STREAM.equals(doc.path("stream").asText())
                    && doc.path("seq").asLong() > 0) {
                checker.publishAcked(id, payload, doc.path("seq").asLong(), c.now());
                return;
            }
            last = r == null ? "no answer" : r.status() != 0 ? "status " + r.status() : r.payload();
            if (r == null) {
                c.moveOn();
            }
            clock.sleep(Duration.ofMillis(50));
        }
        checker.publishIndeterminate(id, payload, c.now());
        checker.fail("liveness: the probe publish was not acknowledged within " + LIVENESS
                + " after the faults healed; last answer: " + last);
    }

    /**
     * Pulls from {@code work} and acks everything until the publishers (and the probe) and the
     * nemesis are done and three pulls in a row, begun more than an ack wait after that, come back
     * with only a 404/408 status; that must happen within {@link #LIVENESS} of the heal.
     */
    private void consumer(JsConn c, SplittableRandom rnd, CountDownLatch published, Thread nemesis,
                          JsCrashChecker checker, Map<String, Integer> deliveries) throws Exception {
        PullDrain.Settings s = new PullDrain.Settings("$JS.API.CONSUMER.MSG.NEXT." + STREAM + "." + CONSUMER,
                "{\"batch\":5,\"expires\":100000000}", Duration.ofMillis(120), LIVENESS, ACK_WAIT,
                "consumer c" + c.client().id(),
                "liveness: consumer c" + c.client().id() + " did not drain within " + LIVENESS + " after the heal");
        PullDrain.Unanswered moveOn = conn -> {
            // no answer: no stream leader yet, or this node cut off; now and then try another node
            if (rnd.nextInt(4) == 0) {
                conn.moveOn();
            }
            conn.sleep(5_000_000L);
        };
        if (!config.resets()) {
            PullDrain.run(c, s, published, nemesis, checker, payload -> deliveries.merge(payload, 1, Integer::sum), moveOn);
            return;
        }
        PullDrain.run(c, s, published, nemesis, checker, payload -> deliveries.merge(payload, 1, Integer::sum), moveOn,
                new PullDrain.Variation() {
                    @Override
                    public boolean withhold() {
                        return rnd.nextInt(4) == 0;
                    }

                    @Override
                    public void afterAnswer(JsConn conn) throws Exception {
                        if (rnd.nextInt(6) == 0) {
                            reset(conn, checker);
                        }
                    }
                });
    }

    /**
     * A consumer reset to the ack floor (empty body), only while faults may strike: every message
     * delivered and not yet acknowledged (the client leaves one delivery in four so until the faults
     * end, and counts it consumed only when it acks it) comes again, so the no-loss and drain checks
     * hold as before; a reset that put the floor past an unacknowledged message (say, one applied
     * from a stale state on a deposed leader) loses it, and the run fails. A refusal of an empty-body reset
     * is a failure at once; no answer (no leader, cut off) is allowed.
     */
    private void reset(JsConn c, JsCrashChecker checker) throws Exception {
        List<JsConn.Reply> got = c.requestAll("$JS.API.CONSUMER.RESET." + STREAM + "." + CONSUMER, null, "",
                Duration.ofMillis(120), true);
        for (JsConn.Reply r : got) {
            // a late delivery to one of this client's earlier pulls may land here: it is left
            // unacknowledged, so the consumer gives it again after its ack wait
            if (r.status() != 0 || r.reply() != null && r.reply().startsWith("$JS.ACK.")) {
                continue;
            }
            JsonNode n = json.readTree(r.payload());
            if (n.has("error") || n.path("reset_seq").asLong() < 1
                    || !"io.nats.jetstream.api.v1.consumer_reset_response".equals(n.path("type").asText())) {
                checker.fail("consumer reset to the ack floor answered " + r.payload());
            }
        }
    }

    /**
     * Compare-and-set registers on the bucket: read a key from the stream leader
     * ({@code STREAM.MSG.GET} {@code last_by_subj}: value and revision, or 10037 = nil), write it back
     * with {@code Nats-Expected-Last-Subject-Sequence} set to that revision (PubAck = ok, an error or
     * 503 = fail, no answer = info). After the faults, every key is read once more.
     */
    private void kvClient(JsConn c, SimClock clock, SplittableRandom rnd, long span, Thread nemesis, JsCrashChecker checker)
            throws Exception {
        int id = c.client().id();
        for (int i = 1; i <= config.kvOps(); i++) {
            String key = "k" + rnd.nextInt(config.keys());
            Object[] value = new Object[1];
            long[] rev = new long[1];
            if (read(c, key, checker, value, rev)) {
                String next = "v" + id + "-" + i;
                List<Object> cas = java.util.Arrays.asList(value[0], next);
                checker.kvInvoke(id, "cas", key, cas, c.now());
                JsConn.Reply r = c.request("$KV.b." + key, "NATS/1.0\r\nNats-Expected-Last-Subject-Sequence: " + rev[0]
                        + "\r\n\r\n", next, PUB_TIMEOUT);
                JsonNode doc = r == null || r.status() != 0 ? null : parse(r.payload());
                if (r != null && r.status() == 503) {
                    checker.kvFail(id, "cas", key, cas, c.now());
                } else if (doc == null) {
                    checker.kvInfo(id, "cas", key, cas, c.now());
                    if (r == null && rnd.nextBoolean()) {
                        c.moveOn();
                    }
                } else if (doc.get("error") != null) {
                    checker.kvFail(id, "cas", key, cas, c.now());
                } else if (KV_STREAM.equals(doc.path("stream").asText()) && doc.path("seq").asLong() > 0) {
                    checker.kvOk(id, "cas", key, cas, c.now());
                } else {
                    checker.kvInfo(id, "cas", key, cas, c.now());
                    checker.fail("KV write " + next + " got an odd PubAck: " + r.payload());
                }
            } else if (rnd.nextBoolean()) {
                c.moveOn();
            }
            clock.sleep(Duration.ofNanos(rnd.nextLong(2 * span / config.kvOps() + 1)));
        }
        nemesis.join();
        long until = clock.nanoTime() + LIVENESS.toNanos();
        for (int k = 0; k < config.keys(); k++) {
            while (!read(c, "k" + k, checker, new Object[1], new long[1])) {
                if (clock.nanoTime() > until) {
                    checker.fail("liveness: KV client c" + id + " could not read k" + k + " within " + LIVENESS + " of the heal");
                    return;
                }
                c.moveOn();
                clock.sleep(Duration.ofMillis(20));
            }
        }
    }

    /** One KV read through the stream leader; true when it gave a definite answer (value and revision, or nil). */
    private boolean read(JsConn c, String key, JsCrashChecker checker, Object[] value, long[] rev) throws Exception {
        int id = c.client().id();
        checker.kvInvoke(id, "read", key, null, c.now());
        JsConn.Reply r = c.request("$JS.API.STREAM.MSG.GET." + KV_STREAM, null, "{\"last_by_subj\":\"$KV.b." + key + "\"}",
                PUB_TIMEOUT);
        JsonNode doc = r == null || r.status() != 0 ? null : parse(r.payload());
        if (doc == null) {
            if (r == null) {
                checker.kvInfo(id, "read", key, null, c.now());
            } else {
                checker.kvFail(id, "read", key, null, c.now());
            }
            return false;
        }
        JsonNode err = doc.get("error");
        if (err != null) {
            if (err.path("err_code").asInt() == 10037) {
                checker.kvOk(id, "read", key, null, c.now());
                value[0] = null;
                rev[0] = 0;
                return true;
            }
            checker.kvFail(id, "read", key, null, c.now());
            return false;
        }
        JsonNode m = doc.path("message");
        if (!("$KV.b." + key).equals(m.path("subject").asText()) || m.path("seq").asLong() <= 0) {
            checker.kvFail(id, "read", key, null, c.now());
            checker.fail("KV read of " + key + " got " + doc);
            return false;
        }
        String v = new String(Base64.getDecoder().decode(m.path("data").asText("")), StandardCharsets.UTF_8);
        value[0] = v;
        rev[0] = m.path("seq").asLong();
        checker.kvOk(id, "read", key, v, c.now());
        return true;
    }

    // ------------------------------------------------------------------ the final read

    /**
     * Every replica of {@code Q} (on the nodes that hold one: exactly {@code replicas} of them) must,
     * within {@link #LIVENESS}, hold what the final read found: the same messages at the same
     * sequences (subject and payload), nothing more and nothing less. Read from each node's own
     * store once the cluster is quiet (every node runs; nothing crashes any more, so no lock taken
     * here can be stranded).
     */
    private void replicas(SimWorld w, SimClock clock, List<SimNode> nodes, int replicas, long lastSeq,
                          TreeMap<Long, String[]> read) throws Exception {
        long until = clock.nanoTime() + LIVENESS.toNanos();
        List<String> holders = new ArrayList<>();
        for (SimNode nd : nodes) {
            io.weft.engine.jetstream.Stream st = null;
            while (true) {
                io.weft.engine.jetstream.JetStream js = nd.node() == null ? null : nd.node().jetStream();
                io.weft.engine.jetstream.JsAccount acc = js == null ? null : js.account("$G");
                st = acc == null ? null : acc.stream(STREAM);
                if (st != null && st.store().state().lastSeq() >= lastSeq) {
                    break;
                }
                if (clock.nanoTime() > until) {
                    break;
                }
                clock.sleep(Duration.ofMillis(20));
            }
            if (st == null) {
                continue;
            }
            holders.add(nd.host());
            io.weft.store.MessageStore store = st.store();
            List<String> diff = new ArrayList<>();
            long last = store.state().lastSeq();
            for (long seq = 1; seq <= Math.max(last, lastSeq) && diff.size() < 5; seq++) {
                String[] want = read.get(seq);
                io.weft.store.StoredMessage m;
                try {
                    m = store.load(seq);
                } catch (IOException e) {
                    m = null;
                }
                String got = m == null ? null : m.subject() + " " + new String(m.data(), StandardCharsets.UTF_8);
                String expected = want == null ? null : want[0] + " " + want[1];
                if (!java.util.Objects.equals(got, expected)) {
                    diff.add("seq " + seq + ": " + got + " where the final read found " + expected);
                }
            }
            if (!diff.isEmpty()) {
                w.fail("replica of " + STREAM + " on " + nd.host() + " (last seq " + last + ") differs from the final read (last seq "
                        + lastSeq + ") within " + LIVENESS + " of the heal: " + diff);
            }
        }
        if (holders.size() != replicas) {
            w.fail("stream " + STREAM + " has " + holders.size() + " replicas " + holders + ", configured " + replicas);
        }
        w.scheduler().note("replicas of " + STREAM + " on " + holders + " match the final read");
    }

    /**
     * Reads every sequence of {@code Q} into {@code read} (seq -> subject, payload); the last
     * sequence, or -1. A request nobody answers, or answered 503/10008 (a server cut off from the
     * stream's leader, say while its route is still being dialled again), is asked again through
     * the next node; the whole read must be done within {@link #LIVENESS}.
     */
    private long finalRead(JsConn c, JsCrashChecker checker, TreeMap<Long, String[]> read) throws Exception {
        int id = c.client().id();
        long until = c.now() + LIVENESS.toNanos();
        JsonNode info = null;
        String last = "no answer";
        while (info == null && c.now() < until) {
            JsConn.Reply r = c.request("$JS.API.STREAM.INFO." + STREAM, null, "", PUB_TIMEOUT);
            JsonNode doc = r == null || r.status() != 0 ? null : parse(r.payload());
            if (doc != null && doc.get("error") == null) {
                info = doc;
            } else {
                last = r == null ? "no answer" : r.payload();
                c.moveOn();
                c.sleep(20_000_000L);
            }
        }
        if (info == null) {
            checker.fail("liveness: final read: no stream info for " + STREAM + " within " + LIVENESS + "; last answer: " + last);
            return -1;
        }
        long lastSeq = info.path("state").path("last_seq").asLong();
        for (long seq = 1; seq <= lastSeq; seq++) {
            JsonNode doc = null;
            while (doc == null) {
                if (c.now() > until) {
                    checker.fail("liveness: final read: seq " + seq + " not read within " + LIVENESS + "; last answer: " + last);
                    return -1;
                }
                JsConn.Reply r = c.request("$JS.API.STREAM.MSG.GET." + STREAM, null, "{\"seq\":" + seq + "}", PUB_TIMEOUT);
                doc = r == null || r.status() != 0 ? null : parse(r.payload());
                if (doc != null && doc.path("error").path("err_code").asInt() == 10008) {
                    last = r.payload();
                    doc = null;
                } else if (doc == null) {
                    last = r == null ? "no answer" : "status " + r.status();
                }
                if (doc == null) {
                    c.moveOn();
                    c.sleep(20_000_000L);
                }
            }
            JsonNode err = doc.get("error");
            if (err != null) {
                if (err.path("err_code").asInt() != 10037) {
                    checker.fail("final read of seq " + seq + ": " + doc);
                }
                continue;
            }
            JsonNode m = doc.path("message");
            if (m.path("seq").asLong() != seq) {
                checker.fail("asked for seq " + seq + ", got " + doc);
                continue;
            }
            String payload = new String(Base64.getDecoder().decode(m.path("data").asText("")), StandardCharsets.UTF_8);
            checker.finalRead(id, seq, m.path("subject").asText(), payload, c.now());
            read.put(seq, new String[] {m.path("subject").asText(), payload});
        }
        return lastSeq;
    }

    private JsonNode parse(String s) {
        try {
            JsonNode d = json.readTree(s);
            return d != null && d.isObject() ? d : null;
        } catch (IOException e) {
            return null;
        }
    }
}
