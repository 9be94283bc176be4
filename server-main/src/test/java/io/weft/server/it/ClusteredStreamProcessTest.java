package io.weft.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamOptions;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.api.MessageInfo;
import io.nats.client.api.PublishAck;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Clustered JetStream in three real {@code weft serve} processes ({@link WeftCluster}: one
 * configuration file each, routes to the others): the meta group forms from the configured routes,
 * an R3 stream is created through any node and has a replica on each, STREAM.INFO's {@code cluster}
 * names its leader and the two other replicas, a client on a node that does not lead publishes
 * with acks, the stream leader killed with kill -9 during a publish storm loses no acked message
 * once a new leader is elected, STREAM.LEADER.STEPDOWN moves the leader, and a delete removes the
 * stream from every node.
 */
class ClusteredStreamProcessTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(20);

    @Test
    @Timeout(90)
    void r3CreateInfoPublishStepdownDelete() throws Exception {
        try (WeftCluster c = WeftCluster.start(3)) {
            c.awaitRoutes();
            awaitMetaLeader(c);
            try (Connection nc2 = connect(c.node(2))) {
                JsonNode created = createR3(nc2, "R", "r.>");
                assertEquals(3, created.path("config").path("num_replicas").asInt(), created.toString());
            }
            // every node holds a replica; the info from any node names a leader and two replicas
            JsonNode info = awaitLeader(c, 0, "R");
            JsonNode cluster = info.path("cluster");
            assertEquals("weft-cluster", cluster.path("name").asText(), info.toString());
            Set<String> all = new HashSet<>();
            all.add(cluster.path("leader").asText());
            for (JsonNode r : cluster.path("replicas")) {
                all.add(r.path("name").asText());
                assertFalse(r.path("peer").asText().isEmpty(), r.toString());
            }
            assertEquals(Set.of("W1", "W2", "W3"), all, info.toString());
            assertEquals(2, cluster.path("replicas").size(), info.toString());
            assertTrue(cluster.path("raft_group").asText().startsWith("S-R3F-"), info.toString());
            for (int i = 0; i < 3; i++) {
                assertTrue(Files.isDirectory(c.storeDir(i).resolve("jetstream/$G/streams/R")), c.name(i) + " has a replica");
            }

            // a client on a node that does not lead publishes with acks
            String leader = cluster.path("leader").asText();
            int other = (index(c, leader) + 1) % 3;
            try (Connection nc = connect(c.node(other))) {
                JetStream js = nc.jetStream(JetStreamOptions.builder().requestTimeout(Duration.ofSeconds(5)).build());
                for (int k = 1; k <= 20; k++) {
                    PublishAck ack = js.publish("r." + k, ("m" + k).getBytes(StandardCharsets.UTF_8));
                    assertEquals("R", ack.getStream());
                    assertEquals(k, ack.getSeqno());
                }
                JetStreamManagement jsm = nc.jetStreamManagement();
                for (int k = 1; k <= 20; k++) {
                    MessageInfo mi = jsm.getMessage("R", k);
                    assertEquals("r." + k, mi.getSubject());
                    assertEquals("m" + k, new String(mi.getData(), StandardCharsets.UTF_8));
                }
                assertEquals(20, jsm.getStreamInfo("R").getStreamState().getMsgCount());
            }

            // stepdown: the leader hands over; another node leads afterwards, with every message
            try (Connection nc = connect(c.node(0))) {
                JsonNode r = request(nc, "$JS.API.STREAM.LEADER.STEPDOWN.R", "");
                assertTrue(r.path("success").asBoolean(), r.toString());
                JsonNode after = null;
                long deadline = System.nanoTime() + WAIT.toNanos();
                while (System.nanoTime() < deadline) {
                    after = streamInfo(nc, "R");
                    String l = after == null ? "" : after.path("cluster").path("leader").asText("");
                    if (!l.isEmpty() && !l.equals(leader)) {
                        break;
                    }
                    Thread.sleep(100);
                }
                assertNotNull(after);
                assertNotEquals(leader, after.path("cluster").path("leader").asText(""), after.toString());
                assertEquals(20, after.path("state").path("messages").asLong(), after.toString());
            }

            // delete through a node: gone everywhere, files included
            try (Connection nc = connect(c.node(1))) {
                JetStreamManagement jsm = nc.jetStreamManagement();
                assertTrue(jsm.deleteStream("R"));
            }
            for (int i = 0; i < 3; i++) {
                long deadline = System.nanoTime() + WAIT.toNanos();
                while (Files.exists(c.storeDir(i).resolve("jetstream/$G/streams/R")) && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
                assertFalse(Files.exists(c.storeDir(i).resolve("jetstream/$G/streams/R")), c.name(i) + " kept files");
                try (Connection nc = connect(c.node(i))) {
                    JsonNode r = request(nc, "$JS.API.STREAM.INFO.R", "");
                    assertEquals(10059, r.path("error").path("err_code").asInt(), r.toString());
                }
            }
        }
    }

    @Test
    @Timeout(90)
    void killOfTheStreamLeaderDuringAPublishStormLosesNoAckedMessage() throws Exception {
        try (WeftCluster c = WeftCluster.start(3)) {
            c.awaitRoutes();
            awaitMetaLeader(c);
            try (Connection nc = connect(c.node(0))) {
                createR3(nc, "K", "k.>", true);
            }
            String leader = awaitLeader(c, 0, "K").path("cluster").path("leader").asText();
            int dead = index(c, leader);
            int pubNode = (dead + 1) % 3;
            int survivor = (dead + 2) % 3;
            Map<Long, String> acked = new TreeMap<>();
            int attempts = 0;
            int failures = 0;
            try (Connection nc = connect(c.node(pubNode))) {
                JetStream js = nc.jetStream(JetStreamOptions.builder().requestTimeout(Duration.ofSeconds(2)).build());
                long stormEnd = System.nanoTime() + Duration.ofSeconds(12).toNanos();
                boolean killed = false;
                while (System.nanoTime() < stormEnd && attempts < 3000) {
                    String v = "v" + attempts++;
                    try {
                        PublishAck a = js.publish("k." + (attempts % 7), v.getBytes(StandardCharsets.UTF_8));
                        String prev = acked.put(a.getSeqno(), v);
                        assertEquals(null, prev, "two acked publishes at sequence " + a.getSeqno());
                    } catch (java.io.IOException | JetStreamApiException e) {
                        failures++; // not acked: may or may not be stored
                        Thread.sleep(20);
                    }
                    if (!killed && acked.size() >= 150) {
                        c.kill(dead);
                        killed = true;
                    }
                }
                assertTrue(killed, "the storm never reached 150 acks: " + acked.size() + " acked, " + failures + " failed");
            }
            assertTrue(acked.size() > 150, "no publish acked after the kill: " + acked.size());
            // a new leader among the survivors, holding every acked message at its acked sequence
            JsonNode info = awaitLeader(c, survivor, "K");
            String newLeader = info.path("cluster").path("leader").asText();
            assertNotEquals(leader, newLeader, info.toString());
            long lastAcked = ((TreeMap<Long, String>) acked).lastKey();
            assertTrue(info.path("state").path("last_seq").asLong() >= lastAcked, info.toString());
            try (Connection nc = connect(c.node(survivor))) {
                JetStreamManagement jsm = nc.jetStreamManagement();
                List<String> wrong = new ArrayList<>();
                for (Map.Entry<Long, String> e : acked.entrySet()) {
                    MessageInfo mi = jsm.getMessage("K", e.getKey());
                    String got = new String(mi.getData(), StandardCharsets.UTF_8);
                    if (!got.equals(e.getValue())) {
                        wrong.add(e.getKey() + ": " + got + " != " + e.getValue());
                    }
                }
                assertEquals(List.of(), wrong, "acked messages lost or changed (" + acked.size() + " acked, "
                        + attempts + " attempts)");
                // direct gets, answered by the new leader alone, agree
                List<Long> seqs = new ArrayList<>(acked.keySet());
                for (long seq : List.of(seqs.getFirst(), seqs.get(seqs.size() / 2), seqs.getLast())) {
                    Message m = nc.request("$JS.API.DIRECT.GET.K",
                            ("{\"seq\":" + seq + "}").getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(3));
                    assertNotNull(m, "no direct get answer for " + seq);
                    assertEquals(Long.toString(seq), m.getHeaders().getFirst("Nats-Sequence"), m.toString());
                    assertEquals(acked.get(seq), new String(m.getData(), StandardCharsets.UTF_8));
                }
            }
            System.out.println("storm: " + attempts + " publishes, " + acked.size() + " acked, " + failures
                    + " failed; leader " + leader + " killed, " + newLeader + " leads");

            // the killed node comes back: it rejoins the meta group from its members file (no wait for
            // routes) and its replica catches up until the leader counts it current again
            long stored = info.path("state").path("messages").asLong();
            c.restart(dead);
            long deadline = System.nanoTime() + WAIT.toNanos();
            JsonNode back = null;
            boolean current = false;
            try (Connection nc = connect(c.node(survivor))) {
                while (!current && System.nanoTime() < deadline) {
                    back = streamInfo(nc, "K");
                    if (back != null) {
                        for (JsonNode r : back.path("cluster").path("replicas")) {
                            current |= r.path("name").asText().equals(leader) && r.path("current").asBoolean();
                        }
                    }
                    Thread.sleep(200);
                }
            }
            assertTrue(current, "the restarted " + leader + " is not a current replica again: " + back + logs(c));
            assertEquals(stored, back.path("state").path("messages").asLong(), back.toString());
            assertTrue(c.node(dead).stderr().contains("JetStream meta group members read from"), c.node(dead).stderr());
            // the restart hold (raft README, R9): the restarted replicas were held until they heard their leader
            String err = c.node(dead).stderr();
            assertTrue(err.contains("[INF] JetStream meta group: Raft held after restart"), err);
            assertTrue(err.contains("JetStream meta group: Raft restart hold ended: heard leader"), err);
            assertTrue(err.contains("JetStream stream '$G > K': Raft held after restart"), err);
        }
    }

    /**
     * A durable pull consumer on an R3 stream across kill -9 of the stream leader: what was fetched
     * and double-acked before the kill is not delivered again by the new leader, and every other
     * published message is (the queue workload's promise: no acked publish lost, no acked delivery
     * repeated after a committed ack).
     */
    @Test
    @Timeout(90)
    void aDurablePullConsumerContinuesAfterTheStreamLeaderIsKilled() throws Exception {
        try (WeftCluster c = WeftCluster.start(3)) {
            c.awaitRoutes();
            awaitMetaLeader(c);
            try (Connection nc = connect(c.node(0))) {
                createR3(nc, "Q", "q.>");
            }
            String leader = awaitLeader(c, 0, "Q").path("cluster").path("leader").asText();
            int dead = index(c, leader);
            int survivor = (dead + 1) % 3;
            Set<String> published = new HashSet<>();
            Set<String> before = new HashSet<>();
            try (Connection nc = connect(c.node(survivor))) {
                JetStream js = nc.jetStream();
                for (int i = 0; i < 40; i++) {
                    js.publish("q." + (i % 3), ("v" + i).getBytes(StandardCharsets.UTF_8));
                    published.add("v" + i);
                }
                nc.jetStreamManagement().addOrUpdateConsumer("Q", io.nats.client.api.ConsumerConfiguration.builder()
                        .durable("W").ackPolicy(io.nats.client.api.AckPolicy.Explicit).build());
                io.nats.client.JetStreamSubscription sub = js.subscribe(null,
                        io.nats.client.PullSubscribeOptions.bind("Q", "W"));
                while (before.size() < 15) {
                    for (Message m : sub.fetch(15 - before.size(), Duration.ofSeconds(2))) {
                        m.ackSync(Duration.ofSeconds(3));
                        before.add(new String(m.getData(), StandardCharsets.UTF_8));
                    }
                }
            }
            c.kill(dead);
            awaitLeader(c, survivor, "Q");
            Set<String> after = new HashSet<>();
            long deadline = System.nanoTime() + WAIT.toNanos();
            try (Connection nc = connect(c.node(survivor))) {
                io.nats.client.JetStreamSubscription sub = null;
                while (after.size() < published.size() - before.size() && System.nanoTime() < deadline) {
                    try {
                        if (sub == null) {
                            sub = nc.jetStream().subscribe(null, io.nats.client.PullSubscribeOptions.bind("Q", "W"));
                        }
                        for (Message m : sub.fetch(10, Duration.ofSeconds(1))) {
                            String v = new String(m.getData(), StandardCharsets.UTF_8);
                            assertFalse(before.contains(v), v + " was acked before the kill and delivered again");
                            after.add(v);
                            try {
                                m.ackSync(Duration.ofSeconds(3));
                            } catch (java.util.concurrent.TimeoutException e) {
                                throw new AssertionError("no answer to the double ack of " + v + " (" + m.getReplyTo() + ")"
                                        + logs(c), e);
                            }
                        }
                    } catch (java.io.IOException | JetStreamApiException | IllegalStateException e) {
                        sub = null; // the consumer is not on the new leader yet
                        Thread.sleep(200);
                    }
                }
            }
            Set<String> all = new HashSet<>(before);
            all.addAll(after);
            assertEquals(published, all, "published messages never delivered" + logs(c));
        }
    }

    /**
     * Three configuration files with the same routes block, each server listed in its own routes
     * too (nats-server's usual deployment): each server ignores the route to itself, and all three
     * start the meta group with the same three members, which then places an R3 stream on them.
     */
    @Test
    @Timeout(60)
    void theSameRoutesBlockEverywhereFormsOneMetaGroup() throws Exception {
        int[] cp = TestServers.freePorts(3);
        StringBuilder routes = new StringBuilder();
        for (int p : cp) {
            routes.append(routes.isEmpty() ? "" : ", ").append("\"nats-route://127.0.0.1:").append(p).append("\"");
        }
        Path root = Files.createTempDirectory("weft-same-routes-");
        List<TestServer> nodes = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                nodes.add(TestServers.start(TestServers.Target.WEFT, "server_name: S" + (i + 1) + "\n"
                        + "jetstream { store_dir: \"" + root.resolve("S" + (i + 1)) + "\" }\n"
                        + "cluster {\n  name: same\n  listen: \"127.0.0.1:" + cp[i] + "\"\n  routes: [" + routes + "]\n}\n"));
            }
            awaitMetaLeader(nodes);
            for (int i = 0; i < 3; i++) {
                Path members = root.resolve("S" + (i + 1)).resolve("jetstream/$SYS/_js_/_meta_/members");
                List<String> lines = Files.readAllLines(members);
                assertEquals("# weft JetStream meta group members", lines.get(0), "header of S" + (i + 1));
                assertTrue(lines.get(lines.size() - 1).startsWith("# crc32c "), "checksum line of S" + (i + 1) + ": " + lines);
                assertEquals(List.of("S1", "S2", "S3"), lines.subList(1, lines.size() - 1), "members of S" + (i + 1));
                JsonNode z = ClusterDiscoveryTest.http(nodes.get(i), "/jsz");
                assertEquals(3, z.path("meta_cluster").path("cluster_size").asInt(), z.toString());
            }
            // every member sees the other two online (routes up); a follower calls the leader current
            // and the other follower not (it does not hear it), as nats-server's followers do
            long until = System.nanoTime() + WAIT.toNanos();
            String last = "";
            boolean agreed = false;
            while (!agreed && System.nanoTime() < until) {
                agreed = true;
                for (int i = 0; i < 3; i++) {
                    JsonNode mc = ClusterDiscoveryTest.http(nodes.get(i), "/jsz").path("meta_cluster");
                    String leader = mc.path("leader").asText("");
                    boolean leads = leader.equals("S" + (i + 1));
                    last = "S" + (i + 1) + ": " + mc;
                    agreed &= !leader.isEmpty() && mc.path("replicas").size() == 2;
                    for (JsonNode r : mc.path("replicas")) {
                        agreed &= !r.path("offline").asBoolean(false); // omitted when false, as nats-server
                        if (leads || r.path("name").asText().equals(leader)) {
                            agreed &= r.path("current").asBoolean(false);
                        } else {
                            agreed &= !r.path("current").asBoolean(false) && r.path("lag").asLong(0) == 0;
                        }
                    }
                    if (!agreed) break;
                }
                if (!agreed) Thread.sleep(200);
            }
            assertTrue(agreed, "meta_cluster views: " + last);
            try (Connection nc = connect(nodes.get(1))) {
                JsonNode created = createR3(nc, "T", "t.>");
                assertEquals(3, created.path("config").path("num_replicas").asInt(), created.toString());
                long deadline = System.nanoTime() + WAIT.toNanos();
                JsonNode info = null;
                while (System.nanoTime() < deadline) {
                    info = streamInfo(nc, "T");
                    if (info != null && info.path("cluster").path("replicas").size() == 2
                            && !info.path("cluster").path("leader").asText("").isEmpty()) {
                        break;
                    }
                    Thread.sleep(100);
                }
                assertNotNull(info);
                assertEquals(2, info.path("cluster").path("replicas").size(), info.toString());
            }
        } finally {
            for (TestServer n : nodes) {
                n.close();
            }
            try (var files = Files.walk(root)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /**
     * Routes blocks that differ (A lists B, B lists A and C, C lists B) would give three different
     * member sets: every server announces its own in its route INFO, sees the others disagree, says
     * so in its log and starts no meta group (no members file), rather than two groups.
     */
    @Test
    @Timeout(60)
    void routesBlocksThatDisagreeStartNoMetaGroup() throws Exception {
        int[] cp = TestServers.freePorts(3);
        String[][] routes = {{"B"}, {"A", "C"}, {"B"}};
        String[] names = {"A", "B", "C"};
        Path root = Files.createTempDirectory("weft-disagree-");
        List<TestServer> nodes = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                StringBuilder r = new StringBuilder();
                for (String to : routes[i]) {
                    int j = List.of(names).indexOf(to);
                    r.append(r.isEmpty() ? "" : ", ").append("\"nats-route://127.0.0.1:").append(cp[j]).append("\"");
                }
                nodes.add(TestServers.start(TestServers.Target.WEFT, "server_name: " + names[i] + "\n"
                        + "jetstream { store_dir: \"" + root.resolve(names[i]) + "\" }\n"
                        + "cluster {\n  name: split\n  listen: \"127.0.0.1:" + cp[i] + "\"\n  routes: [" + r + "]\n}\n"));
            }
            for (TestServer n : nodes) {
                assertTrue(n.awaitOutput("JetStream meta group not started: this server's members are", Duration.ofSeconds(30)),
                        n + " did not report the disagreement:\n" + n.stderr());
            }
            for (int i = 0; i < 3; i++) {
                assertFalse(Files.exists(root.resolve(names[i]).resolve("jetstream/$SYS/_js_/_meta_/members")), names[i]);
                assertFalse(nodes.get(i).stderr().contains("Creating JetStream metadata controller"), nodes.get(i).stderr());
                try (Connection nc = connect(nodes.get(i))) {
                    JsonNode r = request(nc, "$JS.API.INFO", "");
                    assertNotNull(r, "past the grace period a waiting server answers");
                    assertEquals(10008, r.path("error").path("err_code").asInt(), r.toString());
                }
            }
        } finally {
            for (TestServer n : nodes) {
                n.close();
            }
            try (var files = Files.walk(root)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /**
     * {@code $JS.API.META.LEADER.STEPDOWN} from the system account, sent to a server that does not
     * lead the meta group: the request crosses the routes, the meta leader answers success and
     * hands over, and every server then names the new leader.
     */
    @Test
    @Timeout(60)
    void metaLeaderStepdownThroughAnyServer() throws Exception {
        String accounts = "accounts {\n  SYS: { users: [{user: sys, password: sys}] }\n"
                + "  APP: { jetstream: enabled, users: [{user: app, password: app}] }\n}\nsystem_account: SYS\n";
        try (WeftCluster c = WeftCluster.start(3, "W", true, accounts)) {
            c.awaitRoutes();
            String leader = awaitMetaLeader(c);
            int other = (index(c, leader) + 1) % 3;
            try (Connection sys = Nats.connect(new Options.Builder().server(c.node(other).url()).userInfo("sys", "sys")
                    .connectionTimeout(Duration.ofSeconds(5)).ignoreDiscoveredServers().noReconnect().build())) {
                JsonNode r = request(sys, "$JS.API.META.LEADER.STEPDOWN", "");
                assertNotNull(r, "the meta leader answers a stepdown sent to " + c.name(other));
                assertTrue(r.path("success").asBoolean(), r.toString());
            }
            long deadline = System.nanoTime() + WAIT.toNanos();
            String now = leader;
            while (now.equals(leader) && System.nanoTime() < deadline) {
                Thread.sleep(100);
                now = awaitMetaLeader(c);
            }
            assertNotEquals(leader, now, "the meta leader did not move");
        }
    }

    // ------------------------------------------------------------------ helpers

    static Connection connect(TestServer s) throws Exception {
        return Nats.connect(new Options.Builder().server(s.url()).connectionTimeout(Duration.ofSeconds(5))
                .ignoreDiscoveredServers().noReconnect().build());
    }

    /** A raw JetStream API request; null when nobody answered in time. */
    static JsonNode request(Connection nc, String subject, String body) throws Exception {
        Message m = nc.request(subject, body.getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(3));
        return m == null ? null : JSON.readTree(m.getData());
    }

    /** Creates an R3 file stream, retrying while the cluster answers 10008 or nobody answers yet. */
    static JsonNode createR3(Connection nc, String name, String subject) throws Exception {
        return createR3(nc, name, subject, false);
    }

    static JsonNode createR3(Connection nc, String name, String subject, boolean direct) throws Exception {
        String cfg = StreamConfiguration.builder().name(name).subjects(subject).storageType(StorageType.File)
                .replicas(3).allowDirect(direct).build().toJson();
        long deadline = System.nanoTime() + WAIT.toNanos();
        JsonNode last = null;
        while (System.nanoTime() < deadline) {
            last = request(nc, "$JS.API.STREAM.CREATE." + name, cfg);
            if (last != null && !last.has("error")) {
                return last;
            }
            if (last != null && last.path("error").path("err_code").asInt() != 10008) {
                break;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("stream " + name + " not created: " + last);
    }

    static JsonNode streamInfo(Connection nc, String name) throws Exception {
        return request(nc, "$JS.API.STREAM.INFO." + name, "");
    }

    /** Waits until the stream's info, asked on node {@code i}, names a leader; returns that info. */
    static JsonNode awaitLeader(WeftCluster c, int i, String stream) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        JsonNode last = null;
        try (Connection nc = connect(c.node(i))) {
            while (System.nanoTime() < deadline) {
                last = streamInfo(nc, stream);
                if (last != null && !last.has("error") && !last.path("cluster").path("leader").asText("").isEmpty()
                        && last.path("cluster").path("replicas").size() == 2) {
                    return last;
                }
                Thread.sleep(100);
            }
        }
        throw new AssertionError("stream " + stream + " has no leader seen from " + c.name(i) + ": " + last + logs(c));
    }

    /** Waits until every running node's /jsz names the same meta leader. */
    static String awaitMetaLeader(WeftCluster c) throws Exception {
        return awaitMetaLeader(c.nodes());
    }

    static String awaitMetaLeader(List<TestServer> nodes) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        String seen = "";
        while (System.nanoTime() < deadline) {
            Set<String> leaders = new HashSet<>();
            StringBuilder sb = new StringBuilder();
            for (TestServer n : nodes) {
                JsonNode z = ClusterDiscoveryTest.http(n, "/jsz");
                String l = z.path("meta_cluster").path("leader").asText("");
                leaders.add(l);
                sb.append(n).append("->").append(l).append(' ');
            }
            seen = sb.toString();
            if (leaders.size() == 1 && !leaders.contains("")) {
                return leaders.iterator().next();
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no meta leader agreed: " + seen + logs(nodes));
    }

    static String logs(WeftCluster c) {
        return logs(c.nodes());
    }

    static String logs(List<TestServer> nodes) {
        StringBuilder logs = new StringBuilder();
        for (TestServer s : nodes) {
            logs.append("\n---- ").append(s).append('\n').append(s.stderr());
        }
        return logs.toString();
    }

    static int index(WeftCluster c, String name) {
        for (int i = 0; i < c.size(); i++) {
            if (c.name(i).equals(name)) {
                return i;
            }
        }
        throw new AssertionError("no node named " + name);
    }
}
