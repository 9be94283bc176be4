package io.weft.engine.jetstream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.weft.engine.ServerLog;
import io.weft.engine.ServerOptions;
import io.weft.engine.cluster.PeerIds;
import io.weft.engine.jetstream.cluster.ReplicatedStreamLog;
import io.weft.engine.jetstream.consumer.Consumers;
import io.weft.engine.node.Node;
import io.weft.engine.server.Account;
import io.weft.engine.server.Server;
import io.weft.net.Env;
import io.weft.store.StoreState;
import io.weft.store.StoredMessage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A stream replicated by a Raft group of three servers in one JVM (each its own {@link Server} and
 * {@link JetStream}, on its own store directory), the group's messages over
 * {@link MemGroupTransports}. Publishes and API requests go to each server's account directly, as a
 * client connected to that server would send them.
 */
class ReplicatedStreamTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String GROUP = "S-R3-test";
    private static final String CLUSTER = "C1";

    /** One server of the test cluster. */
    static final class Member {
        final String name;
        final long id;
        final Server server;
        final JetStream js;
        final Account acc;
        /** Acks (and API replies) this server's clients got, by reply subject. */
        final Map<String, String> replies = new ConcurrentHashMap<>();
        final LinkedBlockingQueue<String> apiReplies = new LinkedBlockingQueue<>();

        Member(String name, MemGroupTransports hub) throws Exception {
            this(name, hub, ReplicatedStreamLog.Options.defaults());
        }

        Member(String name, MemGroupTransports hub, ReplicatedStreamLog.Options options) throws Exception {
            this.name = name;
            this.id = PeerIds.of(name);
            ServerOptions o = new ServerOptions();
            o.port = 0;
            o.host = "127.0.0.1";
            o.serverName = name;
            o.storeDir = Files.createTempDirectory("weft-rs-" + name + "-").toString();
            server = new Server(Env.real(), o, ServerLog.silent());
            server.start();
            js = new JetStream(Node.jetStreamHost(server), new DefaultStoreFactory(Env.real().disk()), new Consumers());
            js.groupLogs(ReplicatedStreamLog.factory(Env.real(),
                    c -> c.withTiming(Duration.ofMillis(10), 15, 1).withSnapshotEvery(25), options));
            js.start();
            acc = server.account(Account.GLOBAL);
            acc.subscribe("_ACK.>", null, (subject, reply, data, off, hdrLen, totalLen) ->
                    replies.put(subject, new String(data, off + hdrLen, totalLen - hdrLen, StandardCharsets.UTF_8)));
            acc.subscribe("_API.>", null, (subject, reply, data, off, hdrLen, totalLen) ->
                    apiReplies.add(new String(data, off + hdrLen, totalLen - hdrLen, StandardCharsets.UTF_8)));
        }

        Stream stream() {
            JsAccount a = js.account(Account.GLOBAL);
            return a == null ? null : a.stream("ORDERS");
        }

        void close() {
            js.shutdown();
            server.shutdown();
        }
    }

    private final MemGroupTransports hub = new MemGroupTransports();
    private final List<Member> members = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final Map<Long, String> names = new TreeMap<>();

    @AfterEach
    void tearDown() {
        for (Member m : members) {
            m.close();
        }
        hub.close();
    }

    /** Whether the test's stream allows atomic batch publish. */
    private boolean atomic;

    private StreamConfig config() throws Exception {
        return StreamConfig.parse(JSON.readTree("{\"name\":\"ORDERS\",\"subjects\":[\"orders.>\"],\"storage\":\"file\","
                + "\"num_replicas\":3,\"duplicate_window\":60000000000,\"allow_direct\":true"
                + (atomic ? ",\"allow_atomic\":true" : "") + "}")).withDefaults();
    }

    private void cluster(int n) throws Exception {
        cluster(n, ReplicatedStreamLog.Options.defaults());
    }

    private void cluster(int n, ReplicatedStreamLog.Options options) throws Exception {
        for (int i = 1; i <= n; i++) {
            Member m = new Member("n" + i, hub, options);
            members.add(m);
            names.put(m.id, m.name);
        }
        for (Member m : members) {
            open(m);
        }
    }

    /** The stream every member opens (the ORDERS of {@link #config()} unless a test sets another). */
    private StreamConfig streamConfig;

    private void open(Member m) throws Exception {
        List<Long> peers = new ArrayList<>(names.keySet());
        m.js.openReplicated(Account.GLOBAL, streamConfig != null ? streamConfig : config(), 1_000_000_000L,
                new JetStream.Replica(GROUP, peers, m.id, hub, CLUSTER, names::get));
    }

    private static void await(String what, BooleanSupplier cond) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(5);
        }
    }

    private Member leader() throws InterruptedException {
        Member[] found = new Member[1];
        await("a leader", () -> {
            for (Member m : members) {
                Stream s = m.stream();
                if (s != null && s.leading()) {
                    found[0] = m;
                    return true;
                }
            }
            return false;
        });
        return found[0];
    }

    private static void publish(Member m, String reply, String value) {
        byte[] hdr = ("NATS/1.0\r\nNats-Msg-Id: " + value + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        m.acc.publish("orders.new", reply, hdr, value.getBytes(StandardCharsets.UTF_8));
    }

    /** Publishes {@code value} on whoever leads until an ack arrives; returns its sequence. */
    private long publishAcked(String value) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        int attempt = 0;
        while (System.nanoTime() < deadline) {
            Member l = leader();
            String reply = "_ACK." + value + "." + attempt++;
            publish(l, reply, value);
            long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(500);
            while (System.nanoTime() < until) {
                String ack = l.replies.get(reply);
                if (ack != null) {
                    JsonNode n = JSON.readTree(ack);
                    assertFalse(n.has("error"), ack);
                    return n.path("seq").asLong();
                }
                Thread.sleep(2);
            }
        }
        throw new AssertionError("no ack for " + value);
    }

    private static StoreState state(Member m) {
        return m.stream().state();
    }

    private static List<String> values(Member m) throws Exception {
        List<String> out = new ArrayList<>();
        Stream s = m.stream();
        StoreState st = s.state();
        for (long q = st.firstSeq(); q <= st.lastSeq() && st.msgs() > 0; q++) {
            long seq = q;
            StoredMessage msg = s.read(store -> store.load(seq));
            if (msg != null) {
                out.add(msg.seq() + "=" + new String(msg.data(), StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    private JsonNode api(Member m, String subject, String body) throws Exception {
        m.apiReplies.clear();
        m.acc.publish(subject, "_API." + System.nanoTime(), null, body.getBytes(StandardCharsets.UTF_8));
        String r = m.apiReplies.poll(5, TimeUnit.SECONDS);
        return r == null ? null : JSON.readTree(r);
    }

    private static boolean silent(Member m, String subject) throws Exception {
        m.apiReplies.clear();
        m.acc.publish(subject, "_API." + System.nanoTime(), null, new byte[0]);
        return m.apiReplies.poll(400, TimeUnit.MILLISECONDS) == null;
    }

    // ------------------------------------------------------------------ tests

    private static void publishBatchMsg(Member m, String reply, String id, long seq, String commit, String value) {
        String h = "NATS/1.0\r\nNats-Batch-Id: " + id + "\r\nNats-Batch-Sequence: " + seq + "\r\n"
                + (commit == null ? "" : "Nats-Batch-Commit: " + commit + "\r\n") + "\r\n";
        m.acc.publish("orders.new", reply, h.getBytes(StandardCharsets.US_ASCII), value.getBytes(StandardCharsets.UTF_8));
    }

    private static String awaitReply(Member m, String reply) throws InterruptedException {
        await("reply " + reply, () -> m.replies.get(reply) != null);
        return m.replies.get(reply);
    }

    @Test
    void anAtomicBatchIsOneRaftEntryAppliedWholeOnEveryReplica() throws Exception {
        atomic = true;
        cluster(3);
        Member l = leader();
        assertEquals(1, publishAcked("before"));
        for (Member m : members) {
            await(m.name + " applied the first publish", () -> state(m).lastSeq() == 1);
        }
        ReplicatedStreamLog rl = (ReplicatedStreamLog) l.stream().group();
        long index = rl.appliedIndex();
        publishBatchMsg(l, "_ACK.b1", "b", 1, null, "x1");
        publishBatchMsg(l, "_ACK.b2", "b", 2, null, "x2");
        assertEquals("", awaitReply(l, "_ACK.b1"), "a staged message is answered with an empty message");
        assertEquals("", awaitReply(l, "_ACK.b2"));
        Thread.sleep(100);
        assertEquals(1, state(l).lastSeq(), "staged messages are not stored");
        assertEquals(index, rl.appliedIndex(), "nor logged");
        publishBatchMsg(l, "_ACK.b3", "b", 3, "1", "x3");
        JsonNode ack = JSON.readTree(awaitReply(l, "_ACK.b3"));
        assertEquals(4, ack.path("seq").asLong(), ack.toString());
        assertEquals("b", ack.path("batch").asText());
        assertEquals(3, ack.path("count").asLong());
        assertEquals(index + 1, rl.appliedIndex(), "the batch is one entry of the stream's log");
        List<String> expected = List.of("1=before", "2=x1", "3=x2", "4=x3");
        for (Member m : members) {
            await(m.name + " applied the batch", () -> state(m).lastSeq() == 4);
            assertEquals(expected, values(m), m.name);
        }
        // a gap fails the batch: nothing of it is stored anywhere, and the error reaches the publisher
        publishBatchMsg(l, "_ACK.g1", "g", 1, null, "y1");
        publishBatchMsg(l, "_ACK.g3", "g", 3, "1", "y3");
        JsonNode gap = JSON.readTree(awaitReply(l, "_ACK.g3"));
        assertEquals(10176, gap.path("error").path("err_code").asInt(), gap.toString());
        // a duplicate id inside a batch fails it whole at the commit
        publishBatchMsg(l, "_ACK.d1", "d", 1, null, "z1");
        byte[] dupHdr = "NATS/1.0\r\nNats-Batch-Id: d\r\nNats-Batch-Sequence: 2\r\nNats-Msg-Id: before\r\nNats-Batch-Commit: 1\r\n\r\n"
                .getBytes(StandardCharsets.US_ASCII);
        l.acc.publish("orders.new", "_ACK.d2", dupHdr, "z2".getBytes(StandardCharsets.UTF_8));
        JsonNode dup = JSON.readTree(awaitReply(l, "_ACK.d2"));
        assertEquals(10201, dup.path("error").path("err_code").asInt(), dup.toString());
        assertEquals(5, publishAcked("after"));
        for (Member m : members) {
            await(m.name + " applied the last publish", () -> state(m).lastSeq() == 5);
            assertEquals(List.of("1=before", "2=x1", "3=x2", "4=x3", "5=after"), values(m), m.name);
        }
    }

    @Test
    void onlyTheLeaderSubscribesAndEveryReplicaAppliesTheSameMessages() throws Exception {
        cluster(3);
        Member l = leader();
        for (int i = 1; i <= 20; i++) {
            assertEquals(i, publishAcked("v" + i));
        }
        // a publish to a follower's server reaches no subscription: nothing is stored, nothing answered
        Member f = members.stream().filter(m -> m != l).findFirst().orElseThrow();
        publish(f, "_ACK.follower", "nope");
        Thread.sleep(300);
        assertNull(f.replies.get("_ACK.follower"));
        List<String> expected = values(l);
        assertEquals(20, expected.size());
        for (Member m : members) {
            await(m.name + " applied everything", () -> state(m).lastSeq() == 20);
            assertEquals(expected, values(m), m.name);
        }
        // a duplicate id is answered with the first sequence
        String reply = "_ACK.dup";
        publish(l, reply, "v7");
        await("duplicate ack", () -> l.replies.get(reply) != null);
        JsonNode dup = JSON.readTree(l.replies.get(reply));
        assertEquals(7, dup.path("seq").asLong());
        assertTrue(dup.path("duplicate").asBoolean());
    }

    @Test
    void withTheQuorumPartitionedAwayAPublishIsNotAckedAndTheMinorityStoreDoesNotAdvance() throws Exception {
        cluster(3);
        for (int i = 1; i <= 5; i++) {
            publishAcked("a" + i);
        }
        Member l = leader();
        for (Member m : members) {
            await(m.name + " at 5", () -> state(m).lastSeq() == 5);
        }
        // the leader alone: its followers are cut off, so nothing it proposes can commit
        for (Member m : members) {
            if (m != l) {
                hub.isolate(m.id);
            }
        }
        publish(l, "_ACK.lonely", "lonely");
        Thread.sleep(1500);
        assertNull(l.replies.get("_ACK.lonely"), "acked without a quorum");
        assertEquals(5, state(l).lastSeq(), "the minority's store advanced without a commit");
        for (Member m : members) {
            assertEquals(5, state(m).lastSeq(), m.name);
        }
        hub.heal();
        // afterwards the group goes on; whatever was acked is on every replica
        long seq = publishAcked("after");
        assertTrue(seq >= 6, "sequence " + seq);
        String lonely = l.replies.get("_ACK.lonely");
        for (Member m : members) {
            await(m.name + " caught up", () -> state(m).lastSeq() == seq);
            List<String> v = values(m);
            assertTrue(v.contains(seq + "=after"), m.name + " " + v);
            if (lonely != null) {
                long ls = JSON.readTree(lonely).path("seq").asLong();
                assertTrue(v.contains(ls + "=lonely"), "acked later, so stored: " + v);
            }
        }
    }

    /** The same check against the test-only bug switch that acks before a quorum holds the entry: it sees the ack. */
    @Test
    void theQuorumCheckCatchesAnAckBeforeCommit() throws Exception {
        cluster(3, new ReplicatedStreamLog.Options(4096, true));
        publishAcked("a1");
        Member l = leader();
        for (Member m : members) {
            await(m.name + " at 1", () -> state(m).lastSeq() == 1);
        }
        for (Member m : members) {
            if (m != l) {
                hub.isolate(m.id);
            }
        }
        publish(l, "_ACK.lonely", "lonely");
        await("the premature ack", () -> l.replies.get("_ACK.lonely") != null);
        assertEquals(1, state(l).lastSeq(), "even so the store is written only by committed ops");
    }

    @Test
    void aPartitionedFollowerFallsBehindWithoutStoppingAcksThenCatchesUp() throws Exception {
        cluster(3);
        Member l = leader();
        Member f = members.stream().filter(m -> m != l).findFirst().orElseThrow();
        publishAcked("b0");
        await("follower at 1", () -> state(f).lastSeq() == 1);
        hub.isolate(f.id);
        for (int i = 1; i <= 60; i++) {
            publishAcked("b" + i); // a quorum of two still commits
        }
        assertEquals(1, state(f).lastSeq(), "an isolated follower applies nothing");
        JsonNode info = api(leader(), "$JS.API.STREAM.INFO.ORDERS", "");
        JsonNode peer = null;
        for (JsonNode r : info.path("cluster").path("replicas")) {
            if (r.path("name").asText().equals(f.name)) {
                peer = r;
            }
        }
        assertNotNull(peer, info.toString());
        assertFalse(peer.path("current").asBoolean(), info.toString());
        assertTrue(peer.path("lag").asLong() > 0, info.toString());
        hub.heal();
        // 60 entries with a snapshot every 25: the follower catches up by snapshot and log
        Member now = leader();
        await("follower caught up", () -> state(f).lastSeq() == state(now).lastSeq());
        assertEquals(values(now), values(f));
    }

    @Test
    void leaderFailoverKeepsEveryAckedMessage() throws Exception {
        cluster(3);
        List<String> acked = new ArrayList<>();
        for (int i = 1; i <= 30; i++) {
            long seq = publishAcked("c" + i);
            acked.add(seq + "=c" + i);
        }
        Member old = leader();
        assertTrue(old.js.closeReplica(Account.GLOBAL, "ORDERS", false));
        members.remove(old);
        Member next = leader();
        assertNotEquals(old.name, next.name);
        for (int i = 31; i <= 40; i++) {
            long seq = publishAcked("c" + i);
            acked.add(seq + "=c" + i);
        }
        for (Member m : members) {
            await(m.name + " has everything", () -> state(m).lastSeq() >= 40);
            List<String> v = values(m);
            assertTrue(v.containsAll(acked), m.name + ": " + v);
        }
        // the old leader comes back as a follower and catches up from its own disk and the group
        members.add(old);
        open(old);
        Member l = leader();
        await("old leader caught up", () -> old.stream() != null && state(old).lastSeq() == state(l).lastSeq());
        assertEquals(values(l), values(old));
        old.close();
        members.remove(old);
    }

    /**
     * The leader's replica is closed while a publisher keeps publishing (each value retried with the
     * same message id until acked): every acked value is stored exactly once, at the sequence its
     * ack named, on every replica that is left.
     */
    @Test
    void closingTheLeaderDuringAPublishStormLosesNoAckedMessage() throws Exception {
        cluster(3);
        Map<String, Long> acked = new ConcurrentHashMap<>();
        Throwable[] failed = new Throwable[1];
        Thread publisher = Thread.ofPlatform().start(() -> {
            try {
                for (int i = 1; i <= 150; i++) {
                    acked.put("s" + i, publishAcked("s" + i));
                }
            } catch (Throwable t) {
                failed[0] = t;
            }
        });
        await("50 acks", () -> acked.size() >= 50);
        Member old = leader();
        old.js.closeReplica(Account.GLOBAL, "ORDERS", false);
        members.remove(old);
        publisher.join();
        old.close();
        assertNull(failed[0], () -> "publisher: " + failed[0]);
        assertEquals(150, acked.size());
        Member l = leader();
        long last = state(l).lastSeq();
        for (Member m : members) {
            await(m.name + " applied everything", () -> state(m).lastSeq() == last);
            List<String> v = values(m);
            assertEquals(150, v.size(), m.name + " holds each value once: " + v);
            for (Map.Entry<String, Long> e : acked.entrySet()) {
                assertTrue(v.contains(e.getValue() + "=" + e.getKey()), m.name + " lost " + e);
            }
        }
    }

    @Test
    void streamInfoShowsTheClusterAndOnlyTheLeaderAnswers() throws Exception {
        cluster(3);
        publishAcked("d1");
        Member l = leader();
        for (Member m : members) {
            await(m.name + " at 1", () -> state(m).lastSeq() == 1);
        }
        JsonNode info = api(l, "$JS.API.STREAM.INFO.ORDERS", "");
        assertNotNull(info);
        assertEquals("io.nats.jetstream.api.v1.stream_info_response", info.path("type").asText());
        assertEquals(1, info.path("state").path("messages").asLong());
        JsonNode c = info.path("cluster");
        assertEquals(CLUSTER, c.path("name").asText(), info.toString());
        assertEquals(GROUP, c.path("raft_group").asText());
        assertEquals(l.name, c.path("leader").asText());
        assertTrue(c.has("leader_since"), info.toString());
        JsonNode reps = c.path("replicas");
        assertEquals(2, reps.size(), info.toString());
        List<String> seen = new ArrayList<>();
        for (JsonNode r : reps) {
            seen.add(r.path("name").asText());
            assertEquals(PeerIds.hex(PeerIds.of(r.path("name").asText())), r.path("peer").asText());
            assertTrue(r.path("current").asBoolean(), info.toString());
            assertTrue(r.has("active") && r.path("active").asLong() >= 0, info.toString());
            assertFalse(r.has("lag"), "lag left out when 0: " + info);
            assertFalse(r.has("offline"), "offline left out when false: " + info);
        }
        List<String> followers = members.stream().filter(m -> m != l).map(m -> m.name).sorted().toList();
        assertEquals(followers, seen);
        for (Member m : members) {
            if (m != l) {
                assertTrue(silent(m, "$JS.API.STREAM.INFO.ORDERS"), m.name + " answered for the leader");
            }
        }
        // message reads come from the leader's own store; a direct get only where the leader subscribed
        JsonNode got = api(l, "$JS.API.STREAM.MSG.GET.ORDERS", "{\"seq\":1}");
        assertEquals("orders.new", got.path("message").path("subject").asText(), got.toString());
        l.apiReplies.clear();
        l.acc.publish("$JS.API.DIRECT.GET.ORDERS", "_API.direct", null, "{\"seq\":1}".getBytes(StandardCharsets.UTF_8));
        assertEquals("d1", l.apiReplies.poll(5, TimeUnit.SECONDS));
        for (Member m : members) {
            if (m != l) {
                m.apiReplies.clear();
                m.acc.publish("$JS.API.DIRECT.GET.ORDERS", "_API.direct", null, "{\"seq\":1}".getBytes(StandardCharsets.UTF_8));
                assertNull(m.apiReplies.poll(300, TimeUnit.MILLISECONDS), m.name + " served a direct get");
                assertTrue(silent(m, "$JS.API.STREAM.MSG.GET.ORDERS"), m.name + " answered MSG.GET");
            }
        }
    }

    /**
     * A leader cut off from its followers cannot confirm by read index that it still leads, so it
     * serves no STREAM.MSG.GET (another leader may have committed more meanwhile: the simulator's
     * js-cluster-heavy seed 171 had a paused leader serve such a stale read); after the heal whoever
     * leads answers again, with what was committed.
     */
    @Test
    void anIsolatedLeaderServesNoMessageGet() throws Exception {
        cluster(3);
        publishAcked("r1");
        Member l = leader();
        for (Member m : members) {
            await(m.name + " at 1", () -> state(m).lastSeq() == 1);
        }
        assertEquals("orders.new", api(l, "$JS.API.STREAM.MSG.GET.ORDERS", "{\"seq\":1}").path("message").path("subject").asText());
        for (Member m : members) {
            if (m != l) {
                hub.isolate(m.id);
            }
        }
        l.apiReplies.clear();
        l.acc.publish("$JS.API.STREAM.MSG.GET.ORDERS", "_API.isolated", null, "{\"seq\":1}".getBytes(StandardCharsets.UTF_8));
        assertNull(l.apiReplies.poll(1, TimeUnit.SECONDS), "an isolated leader answered a read it could not confirm");
        hub.heal();
        long seq = publishAcked("r2");
        Member now = leader();
        JsonNode got = api(now, "$JS.API.STREAM.MSG.GET.ORDERS", "{\"seq\":" + seq + "}");
        assertNotNull(got, "the leader answers again after the heal");
        assertEquals("r2", new String(java.util.Base64.getDecoder().decode(got.path("message").path("data").asText()),
                StandardCharsets.UTF_8), got.toString());
    }

    /**
     * A refusal the leader decides before proposing (here a wrong {@code Nats-Expected-Last-Sequence})
     * is sent only once a read index shows the replica still leads: a leader cut off while another
     * is elected must not answer "no" to a publish the new leader may store (the client keeps the
     * first answer; nats-server answered such a refusal while the new leader applied the write).
     */
    @Test
    void anIsolatedLeaderSendsNoStaleRefusal() throws Exception {
        cluster(3);
        publishAcked("s1");
        Member l = leader();
        byte[] wrong = "NATS/1.0\r\nNats-Expected-Last-Sequence: 7\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        l.acc.publish("orders.new", "_ACK.refused", wrong, "x".getBytes(StandardCharsets.UTF_8));
        await("the leader's refusal", () -> l.replies.get("_ACK.refused") != null);
        assertTrue(l.replies.get("_ACK.refused").contains("10071"), l.replies.get("_ACK.refused"));
        for (Member m : members) {
            if (m != l) {
                hub.isolate(m.id);
            }
        }
        l.acc.publish("orders.new", "_ACK.stale", wrong, "y".getBytes(StandardCharsets.UTF_8));
        Thread.sleep(1500);
        assertNull(l.replies.get("_ACK.stale"), "a leader cut off from its quorum answered a refusal it could not confirm");
        hub.heal();
        publishAcked("s2");
        Member now = leader();
        now.acc.publish("orders.new", "_ACK.again", wrong, "z".getBytes(StandardCharsets.UTF_8));
        await("the refusal after the heal", () -> now.replies.get("_ACK.again") != null);
        assertTrue(now.replies.get("_ACK.again").contains("10071"), now.replies.get("_ACK.again"));
    }

    @Test
    void purgeAndMessageDeleteAreOpsEveryReplicaApplies() throws Exception {
        cluster(3);
        for (int i = 1; i <= 6; i++) {
            publishAcked("p" + i);
        }
        Member l = leader();
        JsonNode del = api(l, "$JS.API.STREAM.MSG.DELETE.ORDERS", "{\"seq\":2}");
        assertTrue(del.path("success").asBoolean(), del.toString());
        JsonNode purged = api(l, "$JS.API.STREAM.PURGE.ORDERS", "{\"seq\":5}");
        assertTrue(purged.path("success").asBoolean(), purged.toString());
        assertEquals(3, purged.path("purged").asLong(), "1, 3 and 4 (2 was deleted): " + purged);
        for (Member m : members) {
            await(m.name + " purged", () -> state(m).msgs() == 2);
            assertEquals(List.of("5=p5", "6=p6"), values(m), m.name);
        }
        // changes that must reach every replica are refused on one server
        JsonNode upd = api(l, "$JS.API.STREAM.UPDATE.ORDERS", "{\"name\":\"ORDERS\",\"subjects\":[\"orders.>\",\"more\"],"
                + "\"storage\":\"file\",\"num_replicas\":3,\"duplicate_window\":60000000000}");
        assertTrue(upd.has("error"), upd.toString());
        JsonNode gone = api(l, "$JS.API.STREAM.DELETE.ORDERS", "");
        assertEquals(10050, gone.path("error").path("err_code").asInt(), gone.toString());
    }

    /**
     * A configuration the meta group hands to the followers only (the leader's member has not
     * applied it yet) is logged by the next leader at its barrier; a replica that was down meanwhile
     * gets it from the log or the snapshot it catches up by, though it opens with the old one; a
     * lowered max_msgs removes the same messages on every replica.
     */
    @Test
    void aNewConfigurationIsLoggedByTheNextLeaderAndReachesAReplicaThatWasDown() throws Exception {
        cluster(3);
        for (int i = 1; i <= 5; i++) {
            publishAcked("c" + i);
        }
        Member old = leader();
        StreamConfig next = StreamConfig.parse(JSON.readTree("{\"name\":\"ORDERS\",\"subjects\":[\"orders.>\",\"more\"],"
                + "\"storage\":\"file\",\"num_replicas\":3,\"duplicate_window\":60000000000,\"allow_direct\":true,"
                + "\"max_msgs\":3}")).withDefaults();
        for (Member m : members) {
            if (m != old) {
                m.stream().group().configure(1, next);
            }
        }
        Thread.sleep(200);
        assertEquals(0, old.stream().group().replica().configRevision(), "followers do not log");
        assertTrue(old.js.closeReplica(Account.GLOBAL, "ORDERS", false));
        members.remove(old);
        Member l = leader();
        for (Member m : members) {
            await(m.name + " at revision 1", () -> m.stream().group().replica().configRevision() == 1);
            assertEquals(List.of("3=c3", "4=c4", "5=c5"), values(m), m.name);
            assertEquals(List.of("orders.>", "more"), m.stream().config().subjects());
        }
        // the new leader captures the new subject; enough publishes for snapshots to compact the log
        l.acc.publish("more", "_ACK.more", new byte[0], "m6".getBytes(StandardCharsets.UTF_8));
        assertFalse(JSON.readTree(awaitReply(l, "_ACK.more")).has("error"));
        for (int i = 7; i <= 70; i++) {
            publishAcked("c" + i);
        }
        // the old leader's replica comes back with the configuration it was opened with (revision 0)
        Member back = old;
        members.add(back);
        open(back);
        await(back.name + " caught up", () -> state(back).lastSeq() == 70);
        await(back.name + " at revision 1", () -> back.stream().group().replica().configRevision() == 1);
        assertEquals(3, back.stream().config().maxMsgs());
        for (Member m : members) {
            await(m.name + " at 70", () -> state(m).lastSeq() == 70);
            assertEquals(List.of("68=c68", "69=c69", "70=c70"), values(m), m.name);
        }
    }

    /**
     * max_msgs lowered while publishes are in flight: the replicas trim at the configuration's log
     * point and by the limits each append carries, so every replica ends with the same messages,
     * as many as the new limit allows.
     */
    @Test
    void aLimitLoweredDuringAPublishStormLeavesEveryReplicaTheSame() throws Exception {
        cluster(3);
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicReference<Throwable> failed = new java.util.concurrent.atomic.AtomicReference<>();
        Thread storm = Thread.ofPlatform().start(() -> {
            try {
                while (!stop.get()) {
                    Member l = leader();
                    int i = n.incrementAndGet();
                    publish(l, "_ACK.storm." + i, "s" + i); // no wait for the ack: many in flight
                    if (i % 8 == 0) {
                        publishAcked("sync" + i);
                    }
                }
            } catch (Throwable t) {
                failed.set(t);
            }
        });
        await("a storm under way", () -> n.get() > 40);
        StreamConfig lower = StreamConfig.parse(JSON.readTree("{\"name\":\"ORDERS\",\"subjects\":[\"orders.>\"],"
                + "\"storage\":\"file\",\"num_replicas\":3,\"duplicate_window\":60000000000,\"allow_direct\":true,"
                + "\"max_msgs\":5}")).withDefaults();
        for (Member m : members) {
            m.stream().group().configure(1, lower);
        }
        int at = n.get();
        await("the storm going on after the update", () -> n.get() > at + 40);
        stop.set(true);
        storm.join();
        assertNull(failed.get());
        publishAcked("last");
        long last = state(leader()).lastSeq();
        for (Member m : members) {
            await(m.name + " at " + last, () -> state(m).lastSeq() == last);
            assertEquals(1, m.stream().group().replica().configRevision(), m.name);
            assertEquals(5, state(m).msgs(), m.name + ": the newest five");
        }
        List<String> ref = values(members.getFirst());
        for (Member m : members) {
            assertEquals(ref, values(m), m.name + " holds what the others hold");
        }
    }

    /** The ORDERS stream with {@code extra} config fields (JSON members after a comma). */
    private StreamConfig configWith(String extra) throws Exception {
        return StreamConfig.parse(JSON.readTree("{\"name\":\"ORDERS\",\"subjects\":[\"orders.>\"],\"storage\":\"file\","
                + "\"num_replicas\":3,\"duplicate_window\":60000000000," + extra + "}")).withDefaults();
    }

    /** Publishes {@code value} on {@code subject} with {@code headers} (CRLF-separated lines, may be empty) on whoever leads until acked. */
    private long publishAckedWith(String subject, String headers, String value) throws Exception {
        byte[] hdr = ("NATS/1.0\r\nNats-Msg-Id: " + value + "\r\n" + headers + "\r\n").getBytes(StandardCharsets.US_ASCII);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        int attempt = 0;
        while (System.nanoTime() < deadline) {
            Member l = leader();
            String reply = "_ACK." + value + "." + attempt++;
            l.acc.publish(subject, reply, hdr, value.getBytes(StandardCharsets.UTF_8));
            long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(500);
            while (System.nanoTime() < until) {
                String ack = l.replies.get(reply);
                if (ack != null) {
                    JsonNode n = JSON.readTree(ack);
                    assertFalse(n.has("error"), ack);
                    return n.path("seq").asLong();
                }
                Thread.sleep(2);
            }
        }
        throw new AssertionError("no ack for " + value);
    }

    /**
     * max_age on a replicated stream: the leader decides the expiry by its clock and logs it as a
     * purge, so every replica removes the same messages; after a failover the new leader expires
     * what came due while it followed.
     */
    @Test
    void maxAgeIsDecidedByTheLeaderAndAppliedByEveryReplica() throws Exception {
        streamConfig = configWith("\"max_age\":1500000000");
        cluster(3);
        for (int i = 1; i <= 5; i++) {
            publishAcked("a" + i);
        }
        for (Member m : members) {
            assertEquals(5, state(m).lastSeq(), m.name);
            await(m.name + " expired every message", () -> state(m).msgs() == 0);
            assertEquals(6, state(m).firstSeq(), m.name);
        }
        for (int i = 6; i <= 8; i++) {
            publishAcked("a" + i);
        }
        Member old = leader();
        assertTrue(old.js.closeReplica(Account.GLOBAL, "ORDERS", false));
        members.remove(old);
        Member next = leader();
        assertNotEquals(old.name, next.name);
        for (Member m : members) {
            await(m.name + " has 6..8", () -> state(m).lastSeq() == 8);
            await(m.name + " expired 6..8 under the new leader", () -> state(m).msgs() == 0);
        }
        old.close();
    }

    /**
     * Per-message TTLs and subject delete markers on a replicated stream: the leader's TTL timer
     * replaces the expired last message of a subject by a marker (the same sequence and headers on
     * every replica), the marker expires by its own TTL, a message without a TTL stays, and no
     * replica keeps TTL entries of messages that are gone (a follower never runs the timer).
     */
    @Test
    void messageTtlsAndDeleteMarkersAreTheSameOnEveryReplica() throws Exception {
        streamConfig = configWith("\"allow_msg_ttl\":true,\"subject_delete_marker_ttl\":1000000000");
        cluster(3);
        long keep = publishAckedWith("orders.keep", "", "k1");
        long ttl = publishAckedWith("orders.ttl", "Nats-TTL: 1s\r\n", "t1");
        assertEquals(keep + 1, ttl);
        for (Member m : members) {
            await(m.name + " replaced t1 by a marker", () -> state(m).lastSeq() == ttl + 1 && state(m).msgs() == 2);
            StoredMessage marker = m.stream().read(store -> store.load(ttl + 1));
            assertNotNull(marker, m.name);
            assertEquals("orders.ttl", marker.subject());
            String h = new String(marker.headers(), StandardCharsets.US_ASCII);
            assertTrue(h.contains("Nats-Marker-Reason: MaxAge") && h.contains("Nats-TTL: 1s"), m.name + ": " + h);
            assertNull(m.stream().read(store -> store.load(ttl)), m.name + " still has t1");
        }
        for (Member m : members) {
            await(m.name + " expired the marker", () -> state(m).msgs() == 1);
            assertEquals(List.of(keep + "=k1"), values(m), m.name);
            GroupLog g = m.stream().group();
            g.lock().lock();
            try {
                assertEquals(0, g.replica().applied().trackedTtls(), m.name + " keeps TTLs of gone messages");
            } finally {
                g.lock().unlock();
            }
        }
    }

    /** Deliveries a member's pull requests got: ack subject, then the message's data. */
    private static LinkedBlockingQueue<String[]> pullInbox(Member m, String prefix) {
        LinkedBlockingQueue<String[]> q = new LinkedBlockingQueue<>();
        m.acc.subscribe(prefix + ".>", null, (subject, reply, data, off, hdrLen, totalLen) -> {
            if (reply != null) {
                q.add(new String[] {reply, new String(data, off + hdrLen, totalLen - hdrLen, StandardCharsets.UTF_8)});
            }
        });
        return q;
    }

    /** Fetches {@code n} messages of durable W on {@code m} and acks each with a double ack; returns their values. */
    private static List<String> fetchAndAck(Member m, int n, String prefix) throws Exception {
        LinkedBlockingQueue<String[]> inbox = pullInbox(m, prefix);
        m.acc.publish("$JS.API.CONSUMER.MSG.NEXT.ORDERS.W", prefix + ".x", null,
                ("{\"batch\":" + n + ",\"expires\":2000000000}").getBytes(StandardCharsets.UTF_8));
        List<String> got = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String[] msg = inbox.poll(5, TimeUnit.SECONDS);
            assertNotNull(msg, "delivery " + (i + 1) + " of " + n + " on " + m.name);
            got.add(msg[1]);
            String ackReply = "_ACK.sync." + prefix + "." + i;
            m.acc.publish(msg[0], ackReply, null, "+ACK".getBytes(StandardCharsets.UTF_8));
            await("the double ack of " + msg[1], () -> m.replies.containsKey(ackReply));
        }
        return got;
    }

    /**
     * A durable pull consumer on a replicated stream runs on the leader; its record (config, then the
     * state its double acks committed) is on every replica, so after a stepdown the new leader's
     * consumer continues from the acknowledged position: nothing acked is delivered again and
     * nothing unacked is skipped.
     */
    @Test
    void aDurableConsumerContinuesOnTheNewLeader() throws Exception {
        cluster(3);
        for (int i = 1; i <= 10; i++) {
            publishAcked("c" + i);
        }
        Member old = leader();
        JsonNode created = api(old, "$JS.API.CONSUMER.DURABLE.CREATE.ORDERS.W",
                "{\"stream_name\":\"ORDERS\",\"config\":{\"durable_name\":\"W\",\"ack_policy\":\"explicit\"}}");
        assertNotNull(created);
        assertFalse(created.has("error"), created.toString());
        for (Member m : members) {
            await(m.name + " holds W's record", () -> m.stream().consumerRecords().get("W") != null);
            if (m != old) {
                assertNull(m.stream().consumer("W"), m.name + " runs a consumer it does not lead");
            }
        }
        assertEquals(List.of("c1", "c2", "c3", "c4"), fetchAndAck(old, 4, "_MSG1"));
        JsonNode r = api(old, "$JS.API.STREAM.LEADER.STEPDOWN.ORDERS", "");
        assertTrue(r.path("success").asBoolean(), r.toString());
        Member[] next = new Member[1];
        await("another leader", () -> {
            for (Member m : members) {
                if (m != old && m.stream().leading() && m.stream().consumer("W") != null) {
                    next[0] = m;
                    return true;
                }
            }
            return false;
        });
        // the old leader detaches its consumer when it sees its leadership go, which may come
        // after the new leader has resumed its own
        await("the old leader to stop its consumer", () -> old.stream().consumer("W") == null);
        JsonNode info = api(next[0], "$JS.API.CONSUMER.INFO.ORDERS.W", "");
        assertNotNull(info);
        assertEquals(4, info.path("ack_floor").path("stream_seq").asLong(), info.toString());
        assertEquals(6, info.path("num_pending").asLong(), info.toString());
        assertEquals(List.of("c5", "c6"), fetchAndAck(next[0], 2, "_MSG2"));
        // deleted through the leader: gone from every replica's records
        JsonNode del = api(next[0], "$JS.API.CONSUMER.DELETE.ORDERS.W", "");
        assertTrue(del.path("success").asBoolean(), del.toString());
        for (Member m : members) {
            await(m.name + " dropped W's record", () -> m.stream().consumerRecords().get("W") == null);
        }
    }

    /** The cluster object of a consumer: the stream group's leader and both other replicas, by name. */
    private void assertGroupCluster(JsonNode info, Member l) {
        JsonNode c = info.path("cluster");
        assertEquals(CLUSTER, c.path("name").asText(), info.toString());
        assertEquals(GROUP, c.path("raft_group").asText(), info.toString());
        assertEquals(l.name, c.path("leader").asText(), info.toString());
        assertTrue(c.has("leader_since"), info.toString());
        List<String> seen = new ArrayList<>();
        for (JsonNode r : c.path("replicas")) {
            seen.add(r.path("name").asText());
            assertEquals(PeerIds.hex(PeerIds.of(r.path("name").asText())), r.path("peer").asText(), info.toString());
            assertTrue(r.has("current") && r.has("active"), info.toString());
        }
        assertEquals(members.stream().filter(m -> m != l).map(m -> m.name).sorted().toList(), seen, info.toString());
    }

    /**
     * CONSUMER.CREATE, INFO and LIST on a replicated stream carry the stream group's {@code cluster}
     * object (the consumer lives in that group), and follow its leader after a stepdown.
     */
    @Test
    void consumerInfoShowsTheStreamGroupsCluster() throws Exception {
        cluster(3);
        publishAcked("i1");
        Member l = leader();
        JsonNode created = api(l, "$JS.API.CONSUMER.DURABLE.CREATE.ORDERS.W",
                "{\"stream_name\":\"ORDERS\",\"config\":{\"durable_name\":\"W\",\"ack_policy\":\"explicit\"}}");
        assertFalse(created.has("error"), created.toString());
        assertGroupCluster(created, l);
        JsonNode info = api(l, "$JS.API.CONSUMER.INFO.ORDERS.W", "");
        assertGroupCluster(info, l);
        List<String> keys = new ArrayList<>();
        info.fieldNames().forEachRemaining(keys::add);
        assertEquals(keys.indexOf("num_pending") + 1, keys.indexOf("cluster"), "after num_pending, as nats-server: " + keys);
        JsonNode list = api(l, "$JS.API.CONSUMER.LIST.ORDERS", "");
        assertEquals(1, list.path("consumers").size(), list.toString());
        assertGroupCluster(list.path("consumers").get(0), l);
        for (Member m : members) {
            if (m != l) {
                assertTrue(silent(m, "$JS.API.CONSUMER.INFO.ORDERS.W"), m.name + " answered for the leader");
            }
        }
        JsonNode r = api(l, "$JS.API.CONSUMER.LEADER.STEPDOWN.ORDERS.W", "");
        assertTrue(r.path("success").asBoolean(), r.toString());
        Member[] next = new Member[1];
        await("W on another leader", () -> {
            for (Member m : members) {
                if (m != l && m.stream().leading() && m.stream().consumer("W") != null) {
                    next[0] = m;
                    return true;
                }
            }
            return false;
        });
        await("the group's view settled", () -> {
            try {
                JsonNode i = api(next[0], "$JS.API.CONSUMER.INFO.ORDERS.W", "");
                return i != null && i.path("cluster").path("replicas").size() == 2;
            } catch (Exception e) {
                return false;
            }
        });
        assertGroupCluster(api(next[0], "$JS.API.CONSUMER.INFO.ORDERS.W", ""), next[0]);
    }

    /**
     * CONSUMER.LEADER.STEPDOWN steps the stream group's leader down (the consumer's group is the
     * stream's): the consumer moves with it and keeps its acked position; followers stay silent;
     * the errors are nats-server's.
     */
    @Test
    void consumerStepdownMovesTheStreamGroupAndTheConsumer() throws Exception {
        cluster(3);
        for (int i = 1; i <= 4; i++) {
            publishAcked("s" + i);
        }
        Member old = leader();
        JsonNode created = api(old, "$JS.API.CONSUMER.DURABLE.CREATE.ORDERS.W",
                "{\"stream_name\":\"ORDERS\",\"config\":{\"durable_name\":\"W\",\"ack_policy\":\"explicit\"}}");
        assertFalse(created.has("error"), created.toString());
        assertEquals(List.of("s1", "s2"), fetchAndAck(old, 2, "_SD1"));
        String type = "io.nats.jetstream.api.v1.consumer_leader_stepdown_response";
        JsonNode nf = api(old, "$JS.API.CONSUMER.LEADER.STEPDOWN.ORDERS.nope", "");
        assertEquals(type, nf.path("type").asText(), nf.toString());
        assertEquals(10014, nf.path("error").path("err_code").asInt(), nf.toString());
        JsonNode bad = api(old, "$JS.API.CONSUMER.LEADER.STEPDOWN.ORDERS.W", "{bad");
        assertEquals(10025, bad.path("error").path("err_code").asInt(), bad.toString());
        JsonNode unknown = api(old, "$JS.API.CONSUMER.LEADER.STEPDOWN.ORDERS.W", "{\"placement\":{\"preferred\":\"NX\"}}");
        assertEquals(10005, unknown.path("error").path("err_code").asInt(), unknown.toString());
        assertEquals("preferred server \"NX\" not known", unknown.path("error").path("description").asText());
        JsonNode self = api(old, "$JS.API.CONSUMER.LEADER.STEPDOWN.ORDERS.W",
                "{\"placement\":{\"preferred\":\"" + old.name + "\"}}");
        assertEquals("preferred server \"" + old.name + "\" is already leader", self.path("error").path("description").asText(),
                self.toString());
        assertTrue(old.stream().leading(), "a refused stepdown moved nothing");
        for (Member m : members) {
            if (m != old) {
                assertTrue(silent(m, "$JS.API.CONSUMER.LEADER.STEPDOWN.ORDERS.W"), m.name + " answered for the leader");
            }
        }
        Member target = members.stream().filter(m -> m != old).sorted((a, b) -> b.name.compareTo(a.name)).findFirst().get();
        JsonNode r = api(old, "$JS.API.CONSUMER.LEADER.STEPDOWN.ORDERS.W",
                "{\"placement\":{\"preferred\":\"" + target.name + "\"}}");
        assertEquals(type, r.path("type").asText(), r.toString());
        assertTrue(r.path("success").asBoolean(), r.toString());
        assertEquals(2, r.size(), "type and success only: " + r);
        await(target.name + " leads and runs W", () -> target.stream().leading() && target.stream().consumer("W") != null);
        assertFalse(old.stream().leading());
        assertNull(old.stream().consumer("W"), "the old leader stopped its consumer");
        assertEquals(List.of("s3", "s4"), fetchAndAck(target, 2, "_SD2"), "nothing acked again, nothing skipped");
    }

    /**
     * Step 5 of docs/dev/replicated-consumers.md: an ack commits the consumer's state, then proposes
     * the message's delete; a leader that failed between the two leaves acknowledged messages in a
     * work queue. Here the leader's deletes are lost (the test-only switch of
     * {@link ReplicatedStreamLog.Options}) while three messages are double-acked; after a stepdown
     * the new leader removes exactly those three from every replica, and keeps the one delivered
     * but not acked, and the ones never delivered.
     */
    @Test
    void aNewLeaderRemovesWorkQueueMessagesAckedBeforeTheFailover() throws Exception {
        streamConfig = StreamConfig.parse(JSON.readTree("{\"name\":\"ORDERS\",\"subjects\":[\"orders.>\"],"
                + "\"storage\":\"file\",\"num_replicas\":3,\"retention\":\"workqueue\","
                + "\"duplicate_window\":60000000000}")).withDefaults();
        java.util.concurrent.atomic.AtomicBoolean losing = new java.util.concurrent.atomic.AtomicBoolean();
        cluster(3, new ReplicatedStreamLog.Options(4096, false,
                op -> losing.get() && op instanceof StreamOp.Delete));
        for (int i = 1; i <= 6; i++) {
            publishAcked("w" + i);
        }
        Member old = leader();
        JsonNode created = api(old, "$JS.API.CONSUMER.DURABLE.CREATE.ORDERS.W",
                "{\"stream_name\":\"ORDERS\",\"config\":{\"durable_name\":\"W\",\"ack_policy\":\"explicit\"}}");
        assertFalse(created.has("error"), created.toString());
        losing.set(true);
        assertEquals(List.of("w1", "w2", "w3"), fetchAndAck(old, 3, "_WQ1"));
        // one more delivered, not acked: pending when the leader changes
        LinkedBlockingQueue<String[]> inbox = pullInbox(old, "_WQ2");
        old.acc.publish("$JS.API.CONSUMER.MSG.NEXT.ORDERS.W", "_WQ2.x", null,
                "{\"batch\":1,\"expires\":2000000000}".getBytes(StandardCharsets.UTF_8));
        String[] fourth = inbox.poll(5, TimeUnit.SECONDS);
        assertNotNull(fourth);
        assertEquals("w4", fourth[1]);
        JsonNode info = api(old, "$JS.API.CONSUMER.INFO.ORDERS.W", "");
        assertEquals(3, info.path("ack_floor").path("stream_seq").asLong(), info.toString());
        // the consumer's state is committed on the replicas; the deletes never were
        for (Member m : members) {
            await(m.name + " holds W's acks", () -> {
                StreamReplica.ConsumerRecord r = m.stream().consumerRecords().get("W");
                return r != null && m.stream().consumers().isEmpty() == (m != old);
            });
            assertEquals(6, state(m).msgs(), m.name + " kept the acked messages (their deletes were lost)");
        }
        losing.set(false);
        JsonNode r = api(old, "$JS.API.STREAM.LEADER.STEPDOWN.ORDERS", "");
        assertTrue(r.path("success").asBoolean(), r.toString());
        Member[] next = new Member[1];
        await("another leader running W", () -> {
            for (Member m : members) {
                if (m != old && m.stream().leading() && m.stream().consumer("W") != null) {
                    next[0] = m;
                    return true;
                }
            }
            return false;
        });
        for (Member m : members) {
            await(m.name + " swept", () -> state(m).msgs() == 3);
            assertEquals(List.of("4=w4", "5=w5", "6=w6"), values(m), m.name + ": only the acked messages went");
        }
        // w4 was delivered, not acked: the new leader delivers it again (pending, or not yet
        // delivered if its delivery's state was not committed), then w5 and w6
        JsonNode after = api(next[0], "$JS.API.CONSUMER.INFO.ORDERS.W", "");
        assertEquals(3, after.path("ack_floor").path("stream_seq").asLong(), after.toString());
        assertEquals(3, after.path("num_ack_pending").asLong() + after.path("num_pending").asLong(), after.toString());
    }

    /**
     * The sweep keeps a message the consumer gave up on at max_deliver (a work queue keeps those
     * until acked or termed), even though the ack floor moved past it.
     */
    @Test
    void theWorkQueueSweepKeepsAMessageGivenUpAtMaxDeliver() throws Exception {
        streamConfig = StreamConfig.parse(JSON.readTree("{\"name\":\"ORDERS\",\"subjects\":[\"orders.>\"],"
                + "\"storage\":\"file\",\"num_replicas\":3,\"retention\":\"workqueue\","
                + "\"duplicate_window\":60000000000}")).withDefaults();
        java.util.concurrent.atomic.AtomicBoolean losing = new java.util.concurrent.atomic.AtomicBoolean();
        cluster(3, new ReplicatedStreamLog.Options(4096, false,
                op -> losing.get() && op instanceof StreamOp.Delete));
        for (int i = 1; i <= 4; i++) {
            publishAcked("g" + i);
        }
        Member old = leader();
        JsonNode created = api(old, "$JS.API.CONSUMER.DURABLE.CREATE.ORDERS.W",
                "{\"stream_name\":\"ORDERS\",\"config\":{\"durable_name\":\"W\",\"ack_policy\":\"explicit\","
                + "\"max_deliver\":1,\"ack_wait\":200000000}}");
        assertFalse(created.has("error"), created.toString());
        losing.set(true);
        LinkedBlockingQueue<String[]> inbox = pullInbox(old, "_GU1");
        old.acc.publish("$JS.API.CONSUMER.MSG.NEXT.ORDERS.W", "_GU1.x", null,
                "{\"batch\":1,\"expires\":2000000000}".getBytes(StandardCharsets.UTF_8));
        String[] first = inbox.poll(5, TimeUnit.SECONDS);
        assertNotNull(first);
        assertEquals("g1", first[1]);
        await("g1 given up", () -> {
            try {
                return api(old, "$JS.API.CONSUMER.INFO.ORDERS.W", "").path("num_ack_pending").asLong() == 0;
            } catch (Exception e) {
                return false;
            }
        });
        assertEquals(List.of("g2", "g3"), fetchAndAck(old, 2, "_GU2"));
        JsonNode info = api(old, "$JS.API.CONSUMER.INFO.ORDERS.W", "");
        assertEquals(3, info.path("ack_floor").path("stream_seq").asLong(), "the floor passed g1: " + info);
        losing.set(false);
        JsonNode r = api(old, "$JS.API.STREAM.LEADER.STEPDOWN.ORDERS", "");
        assertTrue(r.path("success").asBoolean(), r.toString());
        await("another leader running W", () -> members.stream()
                .anyMatch(m -> m != old && m.stream().leading() && m.stream().consumer("W") != null));
        for (Member m : members) {
            await(m.name + " swept", () -> state(m).msgs() == 2);
            assertEquals(List.of("1=g1", "4=g4"), values(m), m.name + ": the given-up g1 stays, g2 and g3 went");
        }
    }

    @Test
    void stepdownMovesLeadership() throws Exception {
        cluster(3);
        publishAcked("e1");
        Member old = leader();
        for (Member m : members) {
            await(m.name + " at 1", () -> state(m).lastSeq() == 1);
        }
        for (Member m : members) {
            if (m != old) {
                assertTrue(silent(m, "$JS.API.STREAM.LEADER.STEPDOWN.ORDERS"), m.name + " answered for the leader");
            }
        }
        JsonNode r = api(old, "$JS.API.STREAM.LEADER.STEPDOWN.ORDERS", "");
        assertNotNull(r);
        assertEquals("io.nats.jetstream.api.v1.stream_leader_stepdown_response", r.path("type").asText());
        assertTrue(r.path("success").asBoolean(), r.toString());
        await("another leader", () -> {
            for (Member m : members) {
                if (m != old && m.stream().leading()) {
                    return true;
                }
            }
            return false;
        });
        assertFalse(old.stream().leading());
        // the old leader unsubscribed: a publish there is not stored
        publish(old, "_ACK.old", "old");
        long seq = publishAcked("e2");
        assertEquals(2, seq);
        assertNull(old.replies.get("_ACK.old"));
    }

    @Test
    void aGroupWithoutALeaderIs10008FromEveryMember() throws Exception {
        cluster(3);
        publishAcked("g1");
        JsonNode created = api(leader(), "$JS.API.CONSUMER.DURABLE.CREATE.ORDERS.W",
                "{\"stream_name\":\"ORDERS\",\"config\":{\"durable_name\":\"W\",\"ack_policy\":\"explicit\"}}");
        assertFalse(created.has("error"), created.toString());
        for (Member m : members) {
            await(m.name + " holds W's record", () -> m.stream().consumerRecords().get("W") != null);
        }
        hub.dropAll(true);
        await("no leader anywhere", () -> members.stream().allMatch(m -> m.stream().group().leader() == 0));
        for (Member m : members) {
            // as nats-server's members, a replica judges only once it has run 10 s (before, it may just
            // not have heard the leader yet, and stays silent): so the answer may take a while
            JsonNode[] last = new JsonNode[1];
            await(m.name + " answers 10008", () -> {
                try {
                    last[0] = api(m, "$JS.API.STREAM.INFO.ORDERS", "");
                } catch (Exception e) {
                    return false;
                }
                return last[0] != null;
            });
            JsonNode r = last[0];
            assertEquals(10008, r.path("error").path("err_code").asInt(), r.toString());
            assertEquals("JetStream system temporarily unavailable", r.path("error").path("description").asText());
            // CONSUMER.LEADER.STEPDOWN, as nats-server: an unknown consumer is 10014 before the group's 10008
            JsonNode sd = api(m, "$JS.API.CONSUMER.LEADER.STEPDOWN.ORDERS.W", "");
            assertEquals(10008, sd.path("error").path("err_code").asInt(), sd.toString());
            JsonNode nf = api(m, "$JS.API.CONSUMER.LEADER.STEPDOWN.ORDERS.nope", "");
            assertEquals(10014, nf.path("error").path("err_code").asInt(), nf.toString());
            // a pull request is the consumer's alone: no 10008 lands in the puller's inbox
            assertTrue(silent(m, "$JS.API.CONSUMER.MSG.NEXT.ORDERS.W"), m.name + " answered a pull request");
        }
        hub.heal();
        assertEquals(2, publishAcked("g2"));
    }

    @Test
    void stepdownOnAServerThatIsNotClusteredIs10010() throws Exception {
        Member m = new Member("solo", hub);
        members.add(m);
        JsonNode created = api(m, "$JS.API.STREAM.CREATE.LOCAL", "{\"name\":\"LOCAL\",\"subjects\":[\"local\"]}");
        assertNotNull(created);
        JsonNode r = api(m, "$JS.API.STREAM.LEADER.STEPDOWN.LOCAL", "");
        assertEquals(10010, r.path("error").path("err_code").asInt(), r.toString());
        assertEquals(503, r.path("error").path("code").asInt());
        assertEquals("JetStream clustering support required", r.path("error").path("description").asText());
        assertFalse(created.path("config").isMissingNode());
        assertFalse(created.has("cluster"), "no cluster object on a server that is not clustered");
    }

    /**
     * first_seq on a replicated stream: every replica starts at the create config's sequence, and a
     * replica that reopens (its store rebuilt from its Raft log) comes back to the same sequences.
     */
    @Test
    void firstSeqIsTheSameOnEveryReplica() throws Exception {
        streamConfig = configWith("\"first_seq\":100");
        cluster(3);
        for (Member m : members) {
            await(m.name + " starts at 100", () -> state(m).firstSeq() == 100 && state(m).lastSeq() == 99);
        }
        assertEquals(100, publishAcked("f1"));
        assertEquals(101, publishAcked("f2"));
        for (Member m : members) {
            await(m.name + " has 100..101", () -> state(m).lastSeq() == 101);
            assertEquals(List.of("100=f1", "101=f2"), values(m), m.name);
        }
        Member old = leader();
        assertTrue(old.js.closeReplica(Account.GLOBAL, "ORDERS", false));
        assertEquals(102, publishAcked("f3"));
        open(old);
        await(old.name + " reopened with 100..102", () -> old.stream() != null && state(old).lastSeq() == 102);
        assertEquals(List.of("100=f1", "101=f2", "102=f3"), values(old));
        assertEquals(100, state(old).firstSeq());
    }

    /** The subjects of a member's stored messages, by sequence. */
    private static List<String> subjects(Member m) throws Exception {
        List<String> out = new ArrayList<>();
        Stream s = m.stream();
        StoreState st = s.state();
        for (long q = st.firstSeq(); q <= st.lastSeq() && st.msgs() > 0; q++) {
            long seq = q;
            StoredMessage msg = s.read(store -> store.load(seq));
            if (msg != null) {
                out.add(msg.seq() + "=" + msg.subject());
            }
        }
        return out;
    }

    /** subject_transform: the leader maps the subject before logging; every replica stores the mapped one. */
    @Test
    void aSubjectTransformStoresTheSameSubjectOnEveryReplica() throws Exception {
        streamConfig = configWith("\"subject_transform\":{\"src\":\"orders.*\",\"dest\":\"orders.{{wildcard(1)}}.mapped\"}");
        cluster(3);
        publishAckedWith("orders.a", "", "t1");
        publishAckedWith("orders.b.c", "", "t2"); // outside the source: stored as published
        Member old = leader();
        JsonNode r = api(old, "$JS.API.STREAM.LEADER.STEPDOWN.ORDERS", "");
        assertTrue(r.path("success").asBoolean(), r.toString());
        await("another leader", () -> members.stream().anyMatch(m -> m != old && m.stream().leading()));
        publishAckedWith("orders.z", "", "t3");
        for (Member m : members) {
            await(m.name + " has 3", () -> state(m).lastSeq() == 3);
            assertEquals(List.of("1=orders.a.mapped", "2=orders.b.c", "3=orders.z.mapped"), subjects(m), m.name);
        }
    }

    /**
     * allow_msg_counter: the leader adds each increment to the subject's value in log order, pending
     * increments counted, so a burst of increments in flight sums; the ack carries the value and
     * every replica stores the same values, also after a leader change.
     */
    @Test
    void countersSumInLogOrderOnEveryReplica() throws Exception {
        streamConfig = configWith("\"allow_msg_counter\":true");
        cluster(3);
        Member l = leader();
        byte[] incr = "NATS/1.0\r\nNats-Incr: 1\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        for (int i = 1; i <= 20; i++) {
            l.acc.publish("orders.count", "_ACK.c." + i, incr, new byte[0]); // none waits for the one before
        }
        for (int i = 1; i <= 20; i++) {
            JsonNode ack = JSON.readTree(awaitReply(l, "_ACK.c." + i));
            assertEquals(i, ack.path("seq").asLong(), ack.toString());
            assertEquals(Integer.toString(i), ack.path("val").asText(), ack.toString());
        }
        JsonNode r = api(l, "$JS.API.STREAM.LEADER.STEPDOWN.ORDERS", "");
        assertTrue(r.path("success").asBoolean(), r.toString());
        await("another leader", () -> members.stream().anyMatch(m -> m != l && m.stream().leading()));
        Member next = leader();
        byte[] more = "NATS/1.0\r\nNats-Incr: -25\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        next.acc.publish("orders.count", "_ACK.c.down", more, new byte[0]);
        JsonNode down = JSON.readTree(awaitReply(next, "_ACK.c.down"));
        assertEquals(21, down.path("seq").asLong(), down.toString());
        assertEquals("-5", down.path("val").asText(), down.toString());
        for (Member m : members) {
            await(m.name + " has 21", () -> state(m).lastSeq() == 21);
            List<String> vals = values(m);
            assertEquals(21, vals.size(), m.name);
            assertEquals("1={\"val\":\"1\"}", vals.getFirst(), m.name);
            assertEquals("20={\"val\":\"20\"}", vals.get(19), m.name);
            assertEquals("21={\"val\":\"-5\"}", vals.get(20), m.name);
        }
    }

    /**
     * republish: only the stream's leader republishes, once per stored message, after its entry is
     * committed (followers never do); after a leader change the new leader republishes only what it
     * stores, never the messages before it. Each member's own subscribers see what it republishes.
     */
    @Test
    void onlyTheLeaderRepublishesEachStoredMessageOnce() throws Exception {
        streamConfig = configWith("\"republish\":{\"src\":\"orders.>\",\"dest\":\"rp.>\"}");
        cluster(3);
        Map<String, LinkedBlockingQueue<String>> seen = new TreeMap<>();
        for (Member m : members) {
            LinkedBlockingQueue<String> q = new LinkedBlockingQueue<>();
            seen.put(m.name, q);
            m.acc.subscribe("rp.>", null, (subject, reply, data, off, hdrLen, totalLen) -> {
                String h = new String(data, off, hdrLen, StandardCharsets.US_ASCII);
                q.add(subject + " " + header(h, "Nats-Sequence") + " " + header(h, "Nats-Last-Sequence") + " "
                        + header(h, "Nats-Subject") + " " + new String(data, off + hdrLen, totalLen - hdrLen, StandardCharsets.UTF_8));
            });
        }
        Member first = leader();
        publishAckedWith("orders.a", "", "r1");
        publishAckedWith("orders.b", "", "r2");
        publishAckedWith("orders.a", "", "r3");
        await("three republished", () -> seen.get(first.name).size() == 3);
        assertEquals(List.of("rp.a 1 0 orders.a r1", "rp.b 2 0 orders.b r2", "rp.a 3 1 orders.a r3"),
                new ArrayList<>(seen.get(first.name)));
        JsonNode r = api(first, "$JS.API.STREAM.LEADER.STEPDOWN.ORDERS", "");
        assertTrue(r.path("success").asBoolean(), r.toString());
        await("another leader", () -> members.stream().anyMatch(m -> m != first && m.stream().leading()));
        Member next = leader();
        publishAckedWith("orders.b", "", "r4");
        await("the new leader republished r4", () -> seen.get(next.name).size() == 1);
        Thread.sleep(300); // anything more would show by now
        assertEquals(List.of("rp.b 4 2 orders.b r4"), new ArrayList<>(seen.get(next.name)));
        assertEquals(3, seen.get(first.name).size(), "the old leader republished again");
        for (Member m : members) {
            if (m != first && m != next) {
                assertEquals(0, seen.get(m.name).size(), m.name + " (a follower) republished");
            }
        }
    }

    /** An atomic batch on a republishing stream: each of its messages is republished once, its last sequences chained within the batch. */
    @Test
    void anAtomicBatchIsRepublishedMessageByMessage() throws Exception {
        streamConfig = configWith("\"allow_atomic\":true,\"republish\":{\"src\":\"orders.>\",\"dest\":\"rp.>\"}");
        cluster(3);
        Member l = leader();
        LinkedBlockingQueue<String> seen = new LinkedBlockingQueue<>();
        l.acc.subscribe("rp.>", null, (subject, reply, data, off, hdrLen, totalLen) -> {
            String h = new String(data, off, hdrLen, StandardCharsets.US_ASCII);
            seen.add(subject + " " + header(h, "Nats-Sequence") + " " + header(h, "Nats-Last-Sequence") + " "
                    + new String(data, off + hdrLen, totalLen - hdrLen, StandardCharsets.UTF_8));
        });
        assertEquals(1, publishAcked("before"));
        publishBatchMsg(l, "_ACK.b1", "b", 1, null, "x1");
        publishBatchMsg(l, "_ACK.b2", "b", 2, "1", "x2");
        JsonNode ack = JSON.readTree(awaitReply(l, "_ACK.b2"));
        assertEquals(3, ack.path("seq").asLong(), ack.toString());
        await("three republished", () -> seen.size() == 3);
        Thread.sleep(200);
        assertEquals(List.of("rp.new 1 0 before", "rp.new 2 1 x1", "rp.new 3 2 x2"), new ArrayList<>(seen));
    }

    private static String header(String block, String key) {
        for (String line : block.split("\r\n")) {
            if (line.startsWith(key + ":")) {
                return line.substring(key.length() + 1).trim();
            }
        }
        return "-";
    }

    /** Fetches {@code n} messages of durable {@code consumer} on {@code m} and double-acks each; returns their values. */
    private static List<String> fetchAndAck(Member m, String consumer, int n, String prefix) throws Exception {
        LinkedBlockingQueue<String[]> inbox = pullInbox(m, prefix);
        m.acc.publish("$JS.API.CONSUMER.MSG.NEXT.ORDERS." + consumer, prefix + ".x", null,
                ("{\"batch\":" + n + ",\"expires\":2000000000}").getBytes(StandardCharsets.UTF_8));
        List<String> got = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String[] msg = inbox.poll(5, TimeUnit.SECONDS);
            assertNotNull(msg, "delivery " + (i + 1) + " of " + n + " on " + m.name);
            got.add(msg[1]);
            String ackReply = "_ACK.sync." + prefix + "." + i;
            m.acc.publish(msg[0], ackReply, null, "+ACK".getBytes(StandardCharsets.UTF_8));
            await("the double ack of " + msg[1], () -> m.replies.containsKey(ackReply));
        }
        return got;
    }

    private void durable(Member m, String consumer) throws Exception {
        JsonNode created = api(m, "$JS.API.CONSUMER.DURABLE.CREATE.ORDERS." + consumer, "{\"stream_name\":\"ORDERS\","
                + "\"config\":{\"durable_name\":\"" + consumer + "\",\"ack_policy\":\"explicit\"}}");
        assertNotNull(created);
        assertFalse(created.has("error"), created.toString());
        for (Member x : members) {
            await(x.name + " holds " + consumer + "'s record", () -> x.stream().consumerRecords().get(consumer) != null);
        }
    }

    /**
     * Interest retention on a replicated stream: the leader decides each removal and logs it, so
     * every replica removes the same messages: a message published while no consumer exists is not
     * kept, one is removed once every consumer acknowledged it, an acknowledged message whose removal
     * the old leader never logged is removed by the new leader (from the consumers' replicated ack
     * state), and deleting a consumer removes what only it still needed.
     */
    @Test
    void interestRetentionRemovesTheSameMessagesOnEveryReplicaAcrossLeaderChanges() throws Exception {
        streamConfig = configWith("\"retention\":\"interest\"");
        java.util.concurrent.atomic.AtomicBoolean losing = new java.util.concurrent.atomic.AtomicBoolean();
        cluster(3, new ReplicatedStreamLog.Options(4096, false, op -> losing.get() && op instanceof StreamOp.Delete));
        assertEquals(1, publishAcked("i1"));
        assertEquals(2, publishAcked("i2"));
        for (Member m : members) {
            await(m.name + " at 2 holding nothing", () -> state(m).lastSeq() == 2 && state(m).msgs() == 0);
        }
        Member old = leader();
        durable(old, "W");
        durable(old, "V");
        for (int i = 3; i <= 6; i++) {
            assertEquals(i, publishAcked("i" + i));
        }
        assertEquals(List.of("i3", "i4"), fetchAndAck(old, "W", 2, "_IW1"));
        for (Member m : members) {
            await(m.name + " has 3..6", () -> state(m).lastSeq() == 6);
            assertEquals(4, state(m).msgs(), m.name + ": V still needs 3 and 4");
        }
        assertEquals(List.of("i3", "i4", "i5"), fetchAndAck(old, "V", 3, "_IV1"));
        for (Member m : members) {
            await(m.name + " removed 3 and 4", () -> state(m).msgs() == 2);
            assertEquals(List.of("5=i5", "6=i6"), values(m), m.name);
        }
        losing.set(true); // the removal of 5 is decided but never logged: the leader "failed" in between
        assertEquals(List.of("i5"), fetchAndAck(old, "W", 1, "_IW2"));
        for (Member m : members) {
            await(m.name + " holds W's ack of 5", () -> {
                StreamReplica.ConsumerRecord r = m.stream().consumerRecords().get("W");
                return r != null && m.stream().consumers().isEmpty() == (m != old);
            });
            assertEquals(List.of("5=i5", "6=i6"), values(m), m.name);
        }
        losing.set(false);
        JsonNode r = api(old, "$JS.API.STREAM.LEADER.STEPDOWN.ORDERS", "");
        assertTrue(r.path("success").asBoolean(), r.toString());
        Member[] next = new Member[1];
        await("another leader running W and V", () -> {
            for (Member m : members) {
                if (m != old && m.stream().leading() && m.stream().consumer("W") != null && m.stream().consumer("V") != null) {
                    next[0] = m;
                    return true;
                }
            }
            return false;
        });
        for (Member m : members) {
            await(m.name + " swept 5", () -> state(m).msgs() == 1);
            assertEquals(List.of("6=i6"), values(m), m.name);
        }
        // published under the new leader: both consumers want it
        assertEquals(7, publishAcked("i7"));
        JsonNode del = api(next[0], "$JS.API.CONSUMER.DELETE.ORDERS.W", "");
        assertTrue(del.path("success").asBoolean(), del.toString());
        Thread.sleep(200);
        for (Member m : members) {
            await(m.name + " has 7", () -> state(m).lastSeq() == 7);
            assertEquals(List.of("6=i6", "7=i7"), values(m), m.name + ": V still needs 6 and 7");
        }
        assertEquals(List.of("i6"), fetchAndAck(next[0], "V", 1, "_IV2"));
        for (Member m : members) {
            await(m.name + " removed 6", () -> state(m).msgs() == 1);
        }
        JsonNode delV = api(next[0], "$JS.API.CONSUMER.DELETE.ORDERS.V", "");
        assertTrue(delV.path("success").asBoolean(), delV.toString());
        for (Member m : members) {
            await(m.name + " removed 7 (no consumer left)", () -> state(m).msgs() == 0);
            assertEquals(7, state(m).lastSeq(), m.name);
        }
    }
}
