package io.weft.sim.world;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.weft.engine.ServerOptions;
import io.weft.sim.SimClock;
import io.weft.sim.fault.FaultPlan;
import io.weft.sim.fault.Nemesis;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;
import java.util.function.LongFunction;
import java.util.function.Predicate;

/**
 * Scenario {@code js-crash}: one JetStream server on a simulated disk, under the seed's fault plan
 * drawn from every kind including disk faults ({@link FaultPlan#WITH_DISK}): crashes that
 * drop unsynced bytes and may tear the last write, bit flips and truncations of the queue
 * stream's files while the node is down, a full disk (ENOSPC on writes and fsyncs for a while,
 * then space again) while it runs, connection resets, pauses, clock skew, partitions.
 *
 * <p>A setup client creates, over {@code $JS.API}, a file stream {@code Q} ({@code q.>}), a
 * KV-shaped stream {@code KV_b} ({@code $KV.b.>}, one message per subject, direct get) and a
 * durable pull consumer {@code work} on {@code Q}. Then, at once:
 * <ul>
 *   <li>publishers send numbered messages to {@code q.<client>.<n>} with a reply inbox and record
 *       ok only on a PubAck ({@code {"stream":"Q","seq":N}}), fail on an error reply, info on
 *       timeout or disconnect;</li>
 *   <li>a consumer pulls ({@code $JS.API.CONSUMER.MSG.NEXT.Q.work}) and acks; every message it
 *       is given must be the one published at the stream sequence its ack subject names;</li>
 *   <li>KV clients read a key by direct get ({@code $JS.API.DIRECT.GET.KV_b.$KV.b.<key>}) and
 *       write it back with {@code Nats-Expected-Last-Subject-Sequence} set to the revision they
 *       read (a compare-and-set; {@code wrong last sequence} is a failed CAS).</li>
 * </ul>
 * After the last fault, every KV client reads every key once more; if the disk was full, one
 * probe publish must be acknowledged (JetStream stores again by itself); then a reader fetches
 * every sequence of {@code Q} ({@code STREAM.MSG.GET}). {@link JsCrashChecker} decides: no
 * acknowledged publish lost (unless it sat in a record the server reported corrupt after a
 * fault at rest), no refused one (an error reply, {@code 10077} for a full disk) ever served,
 * nothing served wrong, the KV history linearizable.
 */
public final class JsCrash implements Scenario {
    public static final String NAME = "js-crash";
    /** The same world and faults plus per-message TTLs and paused consumers. */
    public static final String TTL_NAME = "js-crash-ttl";
    static final String STREAM = "Q";
    static final String TTL_STREAM = "T";
    public static final String BATCH_NAME = "js-crash-batch";
    static final String BATCH_STREAM = "AB";
    /** Paused consumers on {@code Q}: one created with {@code pause_until}, one paused by {@code CONSUMER.PAUSE}. */
    static final String HELD = "held";
    static final String HELD_BY_API = "held2";
    private static final String[] TTLS = {"1s", "2s", "never", null};
    static final String KV_STREAM = "KV_b";
    static final String CONSUMER = "work";
    private static final Duration TIMEOUT = Duration.ofMillis(25);
    /** How long after the last fault the consumer may take to have nothing more to deliver. */
    private static final Duration DRAIN_LIMIT = Duration.ofSeconds(2);
    /** The consumer's ack wait: a message delivered but lost on the way comes again after it. */
    private static final Duration ACK_WAIT = Duration.ofMillis(50);

    /**
     * Workload size, the fault plan per seed, and which files of the node's disk a fault at rest
     * may damage.
     */
    public record Config(int publishers, int messagesPerPublisher, int kvClients, int kvOpsPerClient, int keys,
                         LongFunction<FaultPlan> plans, Predicate<String> diskTargets, Consumer<SimNode> standIn,
                         boolean consumer, boolean timed, boolean batches) {
        public static Config defaults() {
            return new Config(3, 8, 2, 6, 2, seed -> FaultPlan.fromSeed(seed, FaultPlan.WITH_DISK),
                    JsCrash::queueStreamData, null, true, false, false);
        }

        /**
         * Scenario {@code js-crash-ttl}: the same world and fault plans plus stream {@code T} with
         * per-message TTLs and two paused consumers on {@code Q} ({@link JsTimedChecker}).
         */
        public Config withTimed() {
            return new Config(publishers, messagesPerPublisher, kvClients, kvOpsPerClient, keys, plans, diskTargets, standIn, consumer, true, batches);
        }

        /**
         * Scenario {@code js-crash-batch}: the same world and fault plans plus stream {@code AB}
         * ({@code allow_atomic}) and a client publishing atomic batches to it; checked: every stored
         * batch is whole and in order, every acknowledged one is stored at its ack, no refused one is.
         */
        public Config withBatches() {
            return new Config(publishers, messagesPerPublisher, kvClients, kvOpsPerClient, keys, plans, diskTargets, standIn,
                    consumer, timed, true);
        }

        /** The KV part: how many CAS clients, operations per client, and keys they share. */
        public Config withKv(int clients, int ops, int keyCount) {
            return new Config(publishers, messagesPerPublisher, clients, ops, keyCount, plans, diskTargets, standIn, consumer, timed, batches);
        }

        /** Without the pull consumer (and its checks). */
        public Config withoutConsumer() {
            return new Config(publishers, messagesPerPublisher, kvClients, kvOpsPerClient, keys, plans, diskTargets, standIn, false, timed, batches);
        }

        public Config withPlans(LongFunction<FaultPlan> p) {
            return new Config(publishers, messagesPerPublisher, kvClients, kvOpsPerClient, keys, p, diskTargets, standIn, consumer, timed, batches);
        }

        public Config withClients(int n) {
            return new Config(n, messagesPerPublisher, kvClients, kvOpsPerClient, keys, plans, diskTargets, standIn, consumer, timed, batches);
        }

        public Config withMessages(int n) {
            return new Config(publishers, n, kvClients, kvOpsPerClient, keys, plans, diskTargets, standIn, consumer, timed, batches);
        }

        public Config withDiskTargets(Predicate<String> t) {
            return new Config(publishers, messagesPerPublisher, kvClients, kvOpsPerClient, keys, plans, t, standIn, consumer, timed, batches);
        }

        /**
         * Runs the server without its JetStream and lets {@code s} install a stand-in on the node
         * instead (tests check the scenario and its checker against planted behaviour with it).
         */
        public Config withStandIn(Consumer<SimNode> s) {
            return new Config(publishers, messagesPerPublisher, kvClients, kvOpsPerClient, keys, plans, diskTargets, s, consumer, timed, batches);
        }
    }

    /**
     * The files of stream {@code Q}'s messages: the file store's segments ({@code *.blk}) under a
     * directory named {@code Q}, not a consumer's ({@code obs}). Not the stream's config or
     * metadata: a damaged config loses the stream as a whole, a different failure that the checker
     * cannot tell apart from a loss. Not the KV stream's files: its history must stay linearizable.
     */
    public static boolean queueStreamData(String path) {
        String p = "/" + path;
        return p.contains("/" + STREAM + "/") && !p.contains("/obs/") && p.endsWith(".blk");
    }

    private final Config config;
    private final ObjectMapper json = new ObjectMapper();

    public JsCrash(Config config) {
        this.config = config;
    }

    @Override
    public String name() {
        return config.batches() ? BATCH_NAME : config.timed() ? TTL_NAME : NAME;
    }

    @Override
    public String description() {
        return "1 JetStream server crashed (unsynced bytes dropped, torn writes), its stream files bit-flipped and "
                + "truncated at rest, paused, skewed, partitioned; " + config.publishers() + " publishers, a pull "
                + "consumer, " + config.kvClients() + " KV CAS clients"
                + (config.timed() ? ", a stream with per-message TTLs (1s, 2s, never, none) and two paused consumers" : "")
                + (config.batches() ? ", a client publishing atomic batches" : "")
                + "; no acknowledged publish lost, nothing served wrong, KV linearizable"
                + (config.timed() ? ", nothing served after its TTL (server clock), nothing delivered during a pause, "
                        + "everything after it" : "")
                + (config.batches() ? ", every stored batch whole and in order, every acked one stored, no refused one" : "");
    }

    @Override
    public SimResult run(long seed, Consumer<String> eventLog) {
        SimWorld world = new SimWorld(seed);
        if (eventLog != null) {
            world.eventLog(eventLog);
        }
        ServerOptions opts = new ServerOptions();
        opts.port = 4222;
        opts.jetstream = config.standIn() == null;
        opts.storeDir = "js";
        SimNode node = world.addNode("n1", opts);
        if (config.standIn() != null) {
            config.standIn().accept(node);
        }
        JsCrashChecker checker = new JsCrashChecker();
        node.logTap(checker::serverLog);
        SimClient setup = world.addClient(SimClient.DeliveryTap.all());
        List<SimClient> publishers = new ArrayList<>();
        for (int i = 0; i < config.publishers(); i++) {
            publishers.add(world.addClient(SimClient.DeliveryTap.all()));
        }
        SimClient consumer = world.addClient(SimClient.DeliveryTap.all());
        List<SimClient> kvClients = new ArrayList<>();
        for (int i = 0; i < config.kvClients(); i++) {
            kvClients.add(world.addClient(SimClient.DeliveryTap.all()));
        }
        SimClient batcher = config.batches() ? world.addClient(SimClient.DeliveryTap.all()) : null;
        List<String> batchFailures = new ArrayList<>();
        TreeMap<String, long[]> batchAcks = new TreeMap<>();
        java.util.TreeSet<String> batchRefused = new java.util.TreeSet<>();
        JsTimedChecker timed = config.timed() ? new JsTimedChecker() : null;
        SimClient ttlPublisher = config.timed() ? world.addClient(SimClient.DeliveryTap.all()) : null;
        SimClient ttlReader = config.timed() ? world.addClient(SimClient.DeliveryTap.all()) : null;
        List<SimClient> held = new ArrayList<>();
        if (config.timed()) {
            held.add(world.addClient(SimClient.DeliveryTap.all()));
            held.add(world.addClient(SimClient.DeliveryTap.all()));
        }
        List<String> hosts = new ArrayList<>();
        for (SimClient c : world.clients()) {
            hosts.add("c" + c.id());
        }
        FaultPlan plan = config.plans().apply(seed);
        return world.run(NAME, w -> {
            SimClock clock = new SimClock(w.scheduler());
            SplittableRandom rnd = w.workload();
            node.start();
            JsConn admin = new JsConn(w, setup, node, clock, new SplittableRandom(rnd.nextLong()));
            createStreams(admin, clock);
            if (timed != null) {
                createTimed(admin, clock, node, new SplittableRandom(rnd.nextLong()), timed);
            }
            Thread nemesis = new Nemesis(w, node, plan, hosts).diskTargets(config.diskTargets()).start();
            boolean probe = plan.has(FaultPlan.Kind.ENOSPC);
            int writers = publishers.size() + (probe ? 1 : 0);
            CountDownLatch published = new CountDownLatch(writers);
            CountDownLatch finished = new CountDownLatch(writers + (config.consumer() ? 1 : 0) + kvClients.size()
                    + (timed == null ? 0 : 2 + held.size()) + (batcher == null ? 0 : 1));
            if (batcher != null) {
                apiUntilOk(admin, clock, "$JS.API.STREAM.CREATE." + BATCH_STREAM, "{\"name\":\"" + BATCH_STREAM
                        + "\",\"subjects\":[\"ab.>\"],\"storage\":\"file\",\"num_replicas\":1,\"allow_atomic\":true}");
                long bs = rnd.nextLong();
                ClientProgram.spawn(w, batcher, finished, () -> batchPublisher(new JsConn(w, batcher, node, clock, new SplittableRandom(bs)),
                        clock, batchAcks, batchRefused, batchFailures));
            }
            if (probe) {
                ClientProgram.spawn(w, setup, finished, () -> {
                    try {
                        nemesis.join();
                        probe(admin, clock, checker);
                    } finally {
                        published.countDown();
                    }
                });
            }
            for (SimClient c : publishers) {
                long s = rnd.nextLong();
                ClientProgram.spawn(w, c, finished, () -> {
                    try {
                        publisher(new JsConn(w, c, node, clock, new SplittableRandom(s)), clock, checker);
                    } finally {
                        published.countDown();
                    }
                });
            }
            long cs = rnd.nextLong();
            if (config.consumer()) {
                ClientProgram.spawn(w, consumer, finished, () -> consumer(new JsConn(w, consumer, node, clock,
                        new SplittableRandom(cs)), published, nemesis, checker));
            }
            for (SimClient c : kvClients) {
                long s = rnd.nextLong();
                ClientProgram.spawn(w, c, finished, () -> kvClient(new JsConn(w, c, node, clock, new SplittableRandom(s)), nemesis,
                        clock, checker));
            }
            if (timed != null) {
                CountDownLatch ttlDone = new CountDownLatch(1);
                long ps = rnd.nextLong();
                ClientProgram.spawn(w, ttlPublisher, finished, () -> {
                    try {
                        ttlPublisher(new JsConn(w, ttlPublisher, node, clock, new SplittableRandom(ps)), clock, timed);
                    } finally {
                        ttlDone.countDown();
                    }
                });
                long rs = rnd.nextLong();
                ClientProgram.spawn(w, ttlReader, finished, () -> ttlReader(new JsConn(w, ttlReader, node, clock,
                        new SplittableRandom(rs)), w, nemesis, ttlDone, timed));
                String[] names = {HELD, HELD_BY_API};
                for (int i = 0; i < held.size(); i++) {
                    SimClient c = held.get(i);
                    String name = names[i];
                    long hs = rnd.nextLong();
                    ClientProgram.spawn(w, c, finished, () -> heldConsumer(new JsConn(w, c, node, clock, new SplittableRandom(hs)),
                            name, w, published, nemesis, checker, timed));
                }
            }
            finished.await();
            nemesis.join();
            for (History.Entry e : w.history().entries()) {
                if (e.process() == -1 && (e.op().equals("bitflip") || e.op().equals("truncate"))
                        && !e.value().startsWith("no file")) {
                    checker.damagedAtRest(e.op() + " " + e.value());
                }
            }
            finalRead(admin, checker);
            if (batcher != null) {
                batchRead(admin, batchAcks, batchRefused, batchFailures);
                w.scheduler().note("batches acked " + batchAcks.size() + " refused " + batchRefused.size());
                for (String f : batchFailures) {
                    w.fail(f);
                }
            }
            for (SimClient c : w.clients()) {
                for (String e : c.errors()) {
                    w.fail("client " + c.id() + " got " + e);
                }
            }
            for (String f : checker.check()) {
                w.fail(f);
            }
            if (timed != null) {
                timed.timeline(w.history().entries());
                w.scheduler().note(timed.summary());
                for (String f : timed.check(checker.storedPayloads())) {
                    w.fail(f);
                }
            }
        });
    }

    // ------------------------------------------------------------------ setup

    private void createStreams(JsConn admin, SimClock clock) throws Exception {
        apiUntilOk(admin, clock, "$JS.API.STREAM.CREATE." + STREAM, "{\"name\":\"" + STREAM
                + "\",\"subjects\":[\"q.>\"],\"storage\":\"file\",\"num_replicas\":1}");
        apiUntilOk(admin, clock, "$JS.API.STREAM.CREATE." + KV_STREAM, "{\"name\":\"" + KV_STREAM
                + "\",\"subjects\":[\"$KV.b.>\"],\"storage\":\"file\",\"num_replicas\":1,\"max_msgs_per_subject\":1,"
                + "\"discard\":\"new\",\"allow_direct\":true,\"allow_rollup_hdrs\":true,\"deny_delete\":true}");
        if (!config.consumer()) {
            return;
        }
        apiUntilOk(admin, clock, "$JS.API.CONSUMER.DURABLE.CREATE." + STREAM + "." + CONSUMER,
                "{\"stream_name\":\"" + STREAM + "\",\"config\":{\"durable_name\":\"" + CONSUMER
                        + "\",\"ack_policy\":\"explicit\",\"ack_wait\":" + ACK_WAIT.toNanos() + ",\"max_ack_pending\":1000}}");
    }

    /** An API request repeated until it succeeds (no faults run yet, so a few tries at most). */
    private JsonNode apiUntilOk(JsConn c, SimClock clock, String subject, String body) throws Exception {
        for (int attempt = 1; ; attempt++) {
            JsConn.Reply r = c.request(subject, null, body, TIMEOUT);
            if (r != null && r.status() == 0) {
                JsonNode doc = json.readTree(r.payload());
                if (doc.get("error") == null) {
                    return doc;
                }
                if (attempt >= 20) {
                    throw new IOException(subject + " failed: " + doc);
                }
            } else if (attempt >= 20) {
                throw new IOException(subject + ": no answer after " + attempt + " tries"
                        + (r == null ? "" : " (status " + r.status() + ")"));
            }
            clock.sleep(Duration.ofMillis(1));
        }
    }

    // ------------------------------------------------------------------ atomic batches (js-crash-batch)

    /**
     * Six atomic batches of 2-4 messages to {@code ab.<n>}: each staged message answered empty (or
     * not at all, a fault), the commit with the batch's PubAck (noted in {@code acks}: last sequence,
     * size), an error (noted in {@code refused}) or nothing (indeterminate).
     */
    private void batchPublisher(JsConn c, SimClock clock, TreeMap<String, long[]> acks, java.util.TreeSet<String> refused,
                                List<String> failures) throws Exception {
        int id = c.client().id();
        SplittableRandom rnd = new SplittableRandom(id * 4099L + 5);
        for (int k = 1; k <= 6; k++) {
            String batch = "b" + id + "-" + k;
            int n = 2 + rnd.nextInt(3);
            for (int i = 1; i <= n; i++) {
                String hdr = "NATS/1.0\r\nNats-Batch-Id: " + batch + "\r\nNats-Batch-Sequence: " + i + "\r\nX-Size: " + n
                        + "\r\n" + (i == n ? "Nats-Batch-Commit: 1\r\n" : "") + "\r\n";
                JsConn.Reply r = c.request("ab." + (i % 2), hdr, batch + "/" + i, TIMEOUT);
                if (r == null || r.status() != 0) {
                    continue; // lost on the way, or no JetStream up: the commit tells what became of the batch
                }
                if (i < n) {
                    if (!r.payload().isEmpty() && parse(r.payload()) == null) {
                        failures.add("batch " + batch + " message " + i + " got " + r.payload());
                    }
                    continue;
                }
                JsonNode doc = parse(r.payload());
                if (doc == null) {
                    failures.add("batch " + batch + " commit got a reply that is not JSON: " + r.payload());
                } else if (doc.get("error") != null) {
                    refused.add(batch);
                } else if (batch.equals(doc.path("batch").asText()) && doc.path("count").asInt() == n) {
                    acks.put(batch, new long[] {doc.path("seq").asLong(), n});
                } else {
                    failures.add("batch " + batch + " commit got an odd PubAck: " + r.payload());
                }
            }
            clock.sleep(Duration.ofNanos(rnd.nextLong(20_000_000L)));
        }
    }

    /** Reads stream {@code AB} whole and checks its batches against what their publisher was told. */
    private void batchRead(JsConn c, TreeMap<String, long[]> acks, java.util.TreeSet<String> refused, List<String> failures)
            throws Exception {
        JsonNode info = awaitStreamInfo(c, BATCH_STREAM);
        if (info == null) {
            failures.add("batch read: no stream info for " + BATCH_STREAM);
            return;
        }
        // batch id -> {seq, batch sequence, size} of each stored message, in stream order
        TreeMap<String, List<long[]>> stored = new TreeMap<>();
        long last = info.path("state").path("last_seq").asLong();
        for (long seq = info.path("state").path("first_seq").asLong(); seq <= last && seq > 0; seq++) {
            JsonNode doc = null;
            for (int attempt = 0; attempt < 50 && doc == null; attempt++) {
                JsConn.Reply r = c.request("$JS.API.STREAM.MSG.GET." + BATCH_STREAM, null, "{\"seq\":" + seq + "}", TIMEOUT);
                doc = r == null || r.status() != 0 ? null : parse(r.payload());
                if (doc == null) {
                    clockSleep(c, 1_000_000L);
                }
            }
            if (doc == null) {
                failures.add("batch read: no answer for seq " + seq);
                continue;
            }
            if (doc.get("error") != null) {
                if (doc.path("error").path("err_code").asInt() != 10037) {
                    failures.add("batch read of seq " + seq + ": " + doc);
                }
                continue;
            }
            String hdrs = new String(Base64.getDecoder().decode(doc.path("message").path("hdrs").asText("")),
                    StandardCharsets.UTF_8);
            JsConn.Reply h = new JsConn.Reply(null, null, hdrs, null, 0);
            String batch = h.header("Nats-Batch-Id");
            if (batch == null) {
                failures.add("batch read: seq " + seq + " is not a batch message: " + doc);
                continue;
            }
            stored.computeIfAbsent(batch, b -> new ArrayList<>()).add(new long[] {seq,
                    Long.parseLong(h.header("Nats-Batch-Sequence")), Long.parseLong(h.header("X-Size"))});
        }
        for (var e : stored.entrySet()) {
            List<long[]> ms = e.getValue();
            boolean whole = ms.size() == ms.getFirst()[2];
            for (int i = 0; whole && i < ms.size(); i++) {
                whole = ms.get(i)[0] == ms.getFirst()[0] + i && ms.get(i)[1] == i + 1;
            }
            if (!whole) {
                failures.add("batch " + e.getKey() + " stored in part: " + ms.stream().map(java.util.Arrays::toString).toList());
            }
            if (refused.contains(e.getKey())) {
                failures.add("batch " + e.getKey() + " was refused but is stored");
            }
        }
        for (var e : acks.entrySet()) {
            List<long[]> ms = stored.get(e.getKey());
            if (ms == null || ms.getLast()[0] != e.getValue()[0]) {
                failures.add("batch " + e.getKey() + " acknowledged at seq " + e.getValue()[0] + " but stored as "
                        + (ms == null ? "nothing" : ms.stream().map(java.util.Arrays::toString).toList()));
            }
        }
    }

    // ------------------------------------------------------------------ TTL and pause (js-crash-ttl)

    /**
     * Stream {@code T} ({@code t.>}, {@code allow_msg_ttl}, direct get); consumer {@code held} on
     * {@code Q} created with {@code pause_until} 20-600 ms ahead of the node's wall clock, consumer
     * {@code held2} created unpaused and paused through {@code $JS.API.CONSUMER.PAUSE} just as far.
     * No fault has struck yet, so the reply's arrival is when the pause was armed.
     */
    private void createTimed(JsConn admin, SimClock clock, SimNode node, SplittableRandom rnd, JsTimedChecker timed)
            throws Exception {
        apiUntilOk(admin, clock, "$JS.API.STREAM.CREATE." + TTL_STREAM, "{\"name\":\"" + TTL_STREAM
                + "\",\"subjects\":[\"t.>\"],\"storage\":\"file\",\"num_replicas\":1,\"allow_msg_ttl\":true,"
                + "\"allow_direct\":true}");
        long until = node.clock().currentTimeMillis() * 1_000_000L + 20_000_000L + rnd.nextLong(580_000_000L);
        apiUntilOk(admin, clock, "$JS.API.CONSUMER.DURABLE.CREATE." + STREAM + "." + HELD,
                "{\"stream_name\":\"" + STREAM + "\",\"config\":{\"durable_name\":\"" + HELD
                        + "\",\"ack_policy\":\"explicit\",\"ack_wait\":" + ACK_WAIT.toNanos()
                        + ",\"max_ack_pending\":1000,\"pause_until\":\"" + rfc3339(until) + "\"}}");
        timed.paused(HELD, until, admin.now());
        apiUntilOk(admin, clock, "$JS.API.CONSUMER.DURABLE.CREATE." + STREAM + "." + HELD_BY_API,
                "{\"stream_name\":\"" + STREAM + "\",\"config\":{\"durable_name\":\"" + HELD_BY_API
                        + "\",\"ack_policy\":\"explicit\",\"ack_wait\":" + ACK_WAIT.toNanos() + ",\"max_ack_pending\":1000}}");
        long until2 = node.clock().currentTimeMillis() * 1_000_000L + 20_000_000L + rnd.nextLong(580_000_000L);
        JsonNode r = apiUntilOk(admin, clock, "$JS.API.CONSUMER.PAUSE." + STREAM + "." + HELD_BY_API,
                "{\"pause_until\":\"" + rfc3339(until2) + "\"}");
        if (!r.path("paused").asBoolean()) {
            throw new IOException("CONSUMER.PAUSE did not pause " + HELD_BY_API + ": " + r);
        }
        timed.paused(HELD_BY_API, until2, admin.now());
    }

    static String rfc3339(long epochNanos) {
        return java.time.Instant.ofEpochSecond(0, epochNanos).toString();
    }

    static long parseTime(String rfc3339) {
        java.time.Instant i = java.time.Instant.parse(rfc3339);
        return i.getEpochSecond() * 1_000_000_000L + i.getNano();
    }

    /** 12 publishes to {@code t.<id>.<n>}, each with a seeded {@code Nats-TTL} (1s, 2s, never) or none. */
    private void ttlPublisher(JsConn c, SimClock clock, JsTimedChecker timed) throws Exception {
        int id = c.client().id();
        SplittableRandom rnd = new SplittableRandom(id * 6007L + 12);
        for (int k = 1; k <= 12; k++) {
            String payload = "t" + id + "-" + k;
            String ttl = TTLS[rnd.nextInt(TTLS.length)];
            timed.ttlPublishInvoked(payload, ttl, JsTimedChecker.parseTtl(ttl), c.now());
            JsConn.Reply r = c.request("t." + id + "." + (k % 3), ttl == null ? null : "NATS/1.0\r\nNats-TTL: " + ttl
                    + "\r\n\r\n", payload, TIMEOUT);
            JsonNode doc = r == null || r.status() != 0 ? null : parse(r.payload());
            if (r == null) {
                timed.ttlPublishIndeterminate(payload, c.now());
            } else if (r.status() == 503) {
                timed.ttlPublishFailed(payload, c.now());
            } else if (doc == null) {
                timed.ttlPublishIndeterminate(payload, c.now());
                timed.fail("TTL publish " + payload + " got " + (r.status() != 0 ? "status " + r.headers().strip()
                        : "a reply that is not JSON: " + r.payload()));
            } else if (doc.get("error") != null) {
                timed.ttlPublishFailed(payload, c.now());
                if (doc.path("error").path("err_code").asInt() != 10077) {
                    timed.fail("TTL publish " + payload + " (Nats-TTL " + ttl + ") refused: " + r.payload());
                }
            } else if (TTL_STREAM.equals(doc.path("stream").asText()) && doc.path("seq").asLong() > 0) {
                timed.ttlPublishAcked(payload, doc.path("seq").asLong(), c.now());
            } else {
                timed.ttlPublishIndeterminate(payload, c.now());
                timed.fail("TTL publish " + payload + " got an odd PubAck: " + r.payload());
            }
            clock.sleep(Duration.ofNanos(rnd.nextLong(30_000_000L)));
        }
    }

    /**
     * Reads every sequence of {@code T} (direct get or {@code STREAM.MSG.GET}, seeded) three times
     * once the faults are over: at once, 1.2 s later, and once the expiry rule applies
     * ({@link JsTimedChecker#judgeFrom()}) and every TTL published is due by the node's clock.
     */
    private void ttlReader(JsConn c, SimWorld w, Thread nemesis, CountDownLatch ttlDone, JsTimedChecker timed)
            throws Exception {
        nemesis.join();
        timed.timeline(w.history().entries());
        timed.quiet(c.now());
        SplittableRandom rnd = new SplittableRandom(c.client().id() * 31L);
        ttlRound(c, rnd, timed, "round 1");
        c.sleep(1_200_000_000L);
        ttlRound(c, rnd, timed, "round 2");
        ttlDone.await();
        long target = Math.max(timed.judgeFrom(), c.now() + 2_000_000_000L + JsTimedChecker.TTL_TOLERANCE_NS) + 10_000_000L;
        if (target > c.now()) {
            c.sleep(target - c.now());
        }
        ttlRound(c, rnd, timed, "round 3");
    }

    private void ttlRound(JsConn c, SplittableRandom rnd, JsTimedChecker timed, String round) throws Exception {
        JsonNode info = null;
        for (int attempt = 0; attempt < 200 && info == null; attempt++) {
            JsConn.Reply r = c.request("$JS.API.STREAM.INFO." + TTL_STREAM, null, "", TIMEOUT);
            JsonNode doc = r == null || r.status() != 0 ? null : parse(r.payload());
            if (doc != null && doc.get("error") == null) {
                info = doc;
            } else {
                c.sleep(1_000_000L);
            }
        }
        if (info == null) {
            timed.fail(round + ": no stream info for " + TTL_STREAM);
            return;
        }
        long last = Math.max(info.path("state").path("last_seq").asLong(), timed.maxAckedSeq());
        for (long seq = 1; seq <= last; seq++) {
            boolean direct = rnd.nextBoolean();
            String how = round + (direct ? " direct get" : " msg get");
            boolean answered = false;
            for (int attempt = 0; attempt < 50 && !answered; attempt++) {
                long sent = c.now();
                answered = direct ? directGet(c, seq, how, sent, timed) : msgGet(c, seq, how, sent, timed);
                if (!answered) {
                    c.sleep(1_000_000L);
                }
            }
            if (!answered) {
                timed.fail(how + ": no answer for seq " + seq);
            }
        }
    }

    private boolean directGet(JsConn c, long seq, String how, long sent, JsTimedChecker timed) throws Exception {
        JsConn.Reply r = c.request("$JS.API.DIRECT.GET." + TTL_STREAM, null, "{\"seq\":" + seq + "}", TIMEOUT);
        if (r == null) {
            return false;
        }
        if (r.status() == 404) {
            timed.ttlMissing(how, seq, sent, c.now());
            return true;
        }
        String at = r.header("Nats-Sequence");
        String ts = r.header("Nats-Time-Stamp");
        if (r.status() != 0 || at == null || ts == null) {
            return false;
        }
        if (Long.parseLong(at) != seq) {
            timed.fail(how + ": asked for seq " + seq + ", got " + at);
            return true;
        }
        timed.ttlServed(how, seq, r.payload(), r.header("Nats-TTL"), parseTime(ts), sent, c.now());
        return true;
    }

    private boolean msgGet(JsConn c, long seq, String how, long sent, JsTimedChecker timed) throws Exception {
        JsConn.Reply r = c.request("$JS.API.STREAM.MSG.GET." + TTL_STREAM, null, "{\"seq\":" + seq + "}", TIMEOUT);
        JsonNode doc = r == null || r.status() != 0 ? null : parse(r.payload());
        if (doc == null) {
            return false;
        }
        JsonNode err = doc.get("error");
        if (err != null) {
            if (err.path("err_code").asInt() == 10037) {
                timed.ttlMissing(how, seq, sent, c.now());
            } else {
                timed.fail(how + " of seq " + seq + ": " + doc);
            }
            return true;
        }
        JsonNode m = doc.path("message");
        if (m.path("seq").asLong() != seq) {
            timed.fail(how + ": asked for seq " + seq + ", got " + doc);
            return true;
        }
        String hdrs = m.path("hdrs").isMissingNode() || m.path("hdrs").isNull() ? null
                : new String(Base64.getDecoder().decode(m.path("hdrs").asText("")), StandardCharsets.UTF_8);
        String ttl = hdrs == null ? null : new JsConn.Reply(null, null, hdrs, null, 0).header("Nats-TTL");
        String payload = new String(Base64.getDecoder().decode(m.path("data").asText("")), StandardCharsets.UTF_8);
        timed.ttlServed(how, seq, payload, ttl, parseTime(m.path("time").asText()), sent, c.now());
        return true;
    }

    /**
     * A paused consumer's client: pulls and acks like {@link #consumer}, during the faults every
     * 12 ms; after them it learns when the server's last arm of the pause ends
     * ({@link JsTimedChecker#pauseEnd}), pulls with longer expiries until then, and must then drain
     * within {@link #DRAIN_LIMIT}. Every message is recorded with its arrival time.
     */
    private void heldConsumer(JsConn c, String name, SimWorld w, CountDownLatch published, Thread nemesis,
                              JsCrashChecker checker, JsTimedChecker timed) throws Exception {
        String next = "$JS.API.CONSUMER.MSG.NEXT." + STREAM + "." + name;
        int empty = 0;
        long end = 0;
        boolean known = false;
        long settledAt = -1;
        String lastAnswer = "none";
        while (true) {
            boolean settled = published.getCount() == 0 && !nemesis.isAlive();
            if (settled && !known) {
                known = true;
                timed.timeline(w.history().entries());
                end = timed.pauseEnd(name);
                settledAt = Math.max(c.now(), end);
            }
            if (settled && empty >= 3) {
                break;
            }
            if (settled && c.now() - settledAt > DRAIN_LIMIT.toNanos()) {
                timed.fail("paused consumer " + name + " did not drain within " + DRAIN_LIMIT + " after its pause ended"
                        + " and the faults were over; last answer: " + lastAnswer);
                return;
            }
            long expires = 10_000_000L;
            if (settled && c.now() < end) {
                expires = Math.max(10_000_000L, Math.min(200_000_000L, end - c.now()));
            }
            List<JsConn.Reply> got = c.requestAll(next, null, "{\"batch\":5,\"expires\":" + expires + "}",
                    Duration.ofNanos(expires + 2_000_000L), false);
            int messages = 0;
            boolean nothing = false;
            lastAnswer = got.isEmpty() ? "no answer" : got.get(got.size() - 1).headers() == null ? "a message"
                    : got.get(got.size() - 1).headers().strip();
            for (JsConn.Reply m : got) {
                if (m.status() == 404 || m.status() == 408) {
                    nothing = true;
                }
                if (m.status() != 0 || m.reply() == null || !m.reply().startsWith("$JS.ACK.")) {
                    continue;
                }
                long sseq = PullDrain.ackStreamSeq(m.reply());
                if (sseq <= 0) {
                    timed.fail("consumer " + name + " got an ack subject it cannot read: " + m.reply());
                    continue;
                }
                messages++;
                checker.served("consumer " + name, sseq, m.subject().startsWith("_INBOX.") ? null : m.subject(), m.payload());
                timed.pausedDelivery(name, sseq, m.payload(), m.at());
                c.publish(m.reply(), "+ACK");
            }
            boolean quiet = settled && c.now() - settledAt > ACK_WAIT.toNanos();
            empty = messages == 0 && nothing && quiet ? empty + 1 : 0;
            if (messages == 0 && !nothing) {
                c.sleep(1_000_000L);
            }
        }
        timed.pausedDrained(name);
    }

    // ------------------------------------------------------------------ clients

    private void publisher(JsConn c, SimClock clock, JsCrashChecker checker) throws Exception {
        int id = c.client().id();
        SplittableRandom rnd = new SplittableRandom(id * 7919L + config.messagesPerPublisher());
        for (int k = 1; k <= config.messagesPerPublisher(); k++) {
            String payload = "p" + id + "-" + k;
            String subject = "q." + id + "." + (k % 3);
            checker.publishInvoked(id, subject, payload, now(c));
            JsConn.Reply r = c.request(subject, null, payload, TIMEOUT);
            if (r == null) {
                checker.publishIndeterminate(id, payload, now(c));
            } else if (r.status() != 0) {
                // 503 no responders: JetStream (or the stream) is not up; nothing was stored
                if (r.status() == 503) {
                    checker.publishFailed(id, payload, now(c));
                } else {
                    checker.publishIndeterminate(id, payload, now(c));
                    checker.fail("publish " + payload + " got status " + r.headers().strip());
                }
            } else {
                JsonNode doc = parse(r.payload());
                if (doc == null) {
                    checker.publishIndeterminate(id, payload, now(c));
                    checker.fail("publish " + payload + " got a reply that is not JSON: " + r.payload());
                } else if (doc.get("error") != null) {
                    checker.publishFailed(id, payload, now(c));
                    if (doc.path("error").path("err_code").asInt() == 10077) {
                        checker.publishRefused(payload, doc.path("error").path("description").asText());
                    }
                } else if (STREAM.equals(doc.path("stream").asText()) && doc.path("seq").asLong() > 0) {
                    checker.publishAcked(id, payload, doc.path("seq").asLong(), now(c));
                } else {
                    checker.publishIndeterminate(id, payload, now(c));
                    checker.fail("publish " + payload + " got an odd PubAck: " + r.payload());
                }
            }
            if (rnd.nextInt(3) == 0) {
                clock.sleep(Duration.ofNanos(rnd.nextLong(2_000_000L)));
            }
        }
    }

    /**
     * Pulls and acks until the publishers and the nemesis are done and three pulls in a row, begun
     * more than an ack wait after that, come back with only a 404/408 status (the consumer is there
     * and has nothing more to give, redeliveries of what a crash lost on the way included).
     */
    private void consumer(JsConn c, CountDownLatch published, Thread nemesis, JsCrashChecker checker) throws Exception {
        PullDrain.Settings s = new PullDrain.Settings("$JS.API.CONSUMER.MSG.NEXT." + STREAM + "." + CONSUMER,
                "{\"batch\":5,\"expires\":10000000}", Duration.ofMillis(12), DRAIN_LIMIT, ACK_WAIT,
                "consumer " + CONSUMER, "consumer " + CONSUMER + " did not drain within " + DRAIN_LIMIT + " after the last fault");
        // no answer (server down, consumer not loaded yet): try again soon
        PullDrain.run(c, s, published, nemesis, checker, payload -> { }, conn -> conn.sleep(1_000_000L));
    }

    private void kvClient(JsConn c, Thread nemesis, SimClock clock, JsCrashChecker checker) throws Exception {
        int id = c.client().id();
        SplittableRandom rnd = new SplittableRandom(id * 104729L + config.kvOpsPerClient());
        for (int i = 1; i <= config.kvOpsPerClient(); i++) {
            String key = "k" + rnd.nextInt(config.keys());
            long[] rev = new long[1];
            Object[] value = new Object[1];
            if (!read(c, key, checker, value, rev)) {
                continue;
            }
            String next = "v" + id + "-" + i;
            Object expected = value[0];
            checker.kvInvoke(id, "cas", key, Arrays.asList(expected, next), now(c));
            JsConn.Reply r = c.request("$KV.b." + key, "NATS/1.0\r\nNats-Expected-Last-Subject-Sequence: " + rev[0]
                    + "\r\n\r\n", next, TIMEOUT);
            JsonNode doc = r == null || r.status() != 0 ? null : parse(r.payload());
            if (r != null && r.status() == 503) {
                checker.kvFail(id, "cas", key, Arrays.asList(expected, next), now(c));
            } else if (doc == null) {
                checker.kvInfo(id, "cas", key, Arrays.asList(expected, next), now(c));
            } else if (doc.get("error") != null) {
                checker.kvFail(id, "cas", key, Arrays.asList(expected, next), now(c));
            } else if (KV_STREAM.equals(doc.path("stream").asText()) && doc.path("seq").asLong() > 0) {
                checker.kvOk(id, "cas", key, Arrays.asList(expected, next), now(c));
            } else {
                checker.kvInfo(id, "cas", key, Arrays.asList(expected, next), now(c));
                checker.fail("KV write " + next + " got an odd PubAck: " + r.payload());
            }
            if (rnd.nextInt(2) == 0) {
                clock.sleep(Duration.ofNanos(rnd.nextLong(3_000_000L)));
            }
        }
        nemesis.join();
        for (int k = 0; k < config.keys(); k++) {
            for (int attempt = 0; attempt < 50; attempt++) {
                if (read(c, "k" + k, checker, new Object[1], new long[1])) {
                    break;
                }
                clock.sleep(Duration.ofMillis(1));
            }
        }
    }

    /** One KV read by direct get; true when it gave a definite answer (value and revision). */
    private boolean read(JsConn c, String key, JsCrashChecker checker, Object[] value, long[] rev) throws Exception {
        int id = c.client().id();
        checker.kvInvoke(id, "read", key, null, now(c));
        JsConn.Reply r = c.request("$JS.API.DIRECT.GET." + KV_STREAM + ".$KV.b." + key, null, "", TIMEOUT);
        if (r == null) {
            checker.kvInfo(id, "read", key, null, now(c));
            return false;
        }
        if (r.status() == 404) {
            checker.kvOk(id, "read", key, null, now(c));
            value[0] = null;
            rev[0] = 0;
            return true;
        }
        String seq = r.header("Nats-Sequence");
        if (r.status() == 0 && seq != null) {
            value[0] = r.payload();
            rev[0] = Long.parseLong(seq);
            checker.kvOk(id, "read", key, r.payload(), now(c));
            return true;
        }
        checker.kvFail(id, "read", key, null, now(c)); // no responders, or an error status: read nothing
        return false;
    }

    // ------------------------------------------------------------------ the final read

    /**
     * After a full disk has space again (after the last fault), JetStream must store again by
     * itself: one publish (with a message id, so that retries after a timeout cannot store it
     * twice) must be acknowledged within 200 tries; it then takes part in the checks like any other
     * (the consumer must deliver it too).
     */
    private void probe(JsConn c, SimClock clock, JsCrashChecker checker) throws Exception {
        int id = c.client().id();
        String payload = "probe";
        String subject = "q.probe";
        checker.publishInvoked(id, subject, payload, now(c));
        String last = "no answer";
        for (int attempt = 0; attempt < 200; attempt++) {
            JsConn.Reply r = c.request(subject, "NATS/1.0\r\nNats-Msg-Id: probe\r\n\r\n", payload, TIMEOUT);
            JsonNode doc = r == null || r.status() != 0 ? null : parse(r.payload());
            if (doc != null && doc.get("error") == null && STREAM.equals(doc.path("stream").asText())
                    && doc.path("seq").asLong() > 0) {
                checker.publishAcked(id, payload, doc.path("seq").asLong(), now(c));
                return;
            }
            last = r == null ? "no answer" : r.status() != 0 ? "status " + r.status() : r.payload();
            clock.sleep(Duration.ofMillis(1));
        }
        checker.publishIndeterminate(id, payload, now(c));
        checker.fail("JetStream did not store again after the disk had space: the probe publish's last answer was " + last);
    }

    /** STREAM.INFO of {@code stream}, asked up to 200 times a simulated millisecond apart; null if never answered. */
    private JsonNode awaitStreamInfo(JsConn c, String stream) throws Exception {
        for (int attempt = 0; attempt < 200; attempt++) {
            JsConn.Reply r = c.request("$JS.API.STREAM.INFO." + stream, null, "", TIMEOUT);
            JsonNode doc = r == null || r.status() != 0 ? null : parse(r.payload());
            if (doc != null && doc.get("error") == null) {
                return doc;
            }
            clockSleep(c, 1_000_000L);
        }
        return null;
    }

    private void finalRead(JsConn c, JsCrashChecker checker) throws Exception {
        int id = c.client().id();
        JsonNode info = awaitStreamInfo(c, STREAM);
        if (info == null) {
            checker.fail("final read: no stream info for " + STREAM);
            return;
        }
        long last = info.path("state").path("last_seq").asLong();
        for (long seq = 1; seq <= last; seq++) {
            JsonNode doc = null;
            for (int attempt = 0; attempt < 50 && doc == null; attempt++) {
                JsConn.Reply r = c.request("$JS.API.STREAM.MSG.GET." + STREAM, null, "{\"seq\":" + seq + "}", TIMEOUT);
                doc = r == null || r.status() != 0 ? null : parse(r.payload());
                if (doc == null) {
                    clockSleep(c, 1_000_000L);
                }
            }
            if (doc == null) {
                checker.fail("final read: no answer for seq " + seq);
                continue;
            }
            JsonNode err = doc.get("error");
            if (err != null) {
                String d = err.path("description").asText();
                if (d.toLowerCase(java.util.Locale.ROOT).contains("corrupt")) {
                    checker.serverLog("ERR msg get reported corrupt seq " + seq + ": " + d);
                } else if (err.path("err_code").asInt() != 10037) {
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
            checker.finalRead(id, seq, m.path("subject").asText(), payload, now(c));
        }
    }

    private static void clockSleep(JsConn c, long nanos) throws InterruptedException {
        c.sleep(nanos);
    }

    private JsonNode parse(String s) {
        try {
            JsonNode n = json.readTree(s);
            return n != null && n.isObject() ? n : null;
        } catch (IOException e) {
            return null;
        }
    }

    private static long now(JsConn c) {
        return c.now();
    }
}
