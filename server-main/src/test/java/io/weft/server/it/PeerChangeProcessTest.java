package io.weft.server.it;

import static io.weft.server.it.ClusteredStreamProcessTest.awaitMetaLeader;
import static io.weft.server.it.ClusteredStreamProcessTest.connect;
import static io.weft.server.it.ClusteredStreamProcessTest.index;
import static io.weft.server.it.ClusteredStreamProcessTest.logs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamOptions;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.PullSubscribeOptions;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Changing an R3 stream's peer group in four real {@code weft serve} processes, by jnats: an R3
 * stream with acknowledged messages and a durable pull consumer; {@code STREAM.PEER.REMOVE} of a
 * follower, then of the leader; scaling R3→R2→R3 by STREAM.UPDATE. After each change STREAM.INFO's
 * {@code cluster} names the new group, every member of it holds every acknowledged message
 * ({@code /jsz} of that server), the removed server holds no files of the stream, and the consumer
 * goes on where it was (no acked message again, none skipped).
 */
class PeerChangeProcessTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    @Timeout(240)
    void peerRemoveOfAFollowerAndOfTheLeaderThenScalingDownAndUp() throws Exception {
        try (WeftCluster c = WeftCluster.start(4)) {
            c.awaitRoutes();
            awaitMetaLeader(c);
            try (Connection nc = connect(c.node(0))) {
                JetStreamManagement jsm = nc.jetStreamManagement();
                jsm.addStream(StreamConfiguration.builder().name("PR").subjects("pr.>")
                        .storageType(StorageType.File).replicas(3).build());
                JetStream js = nc.jetStream(JetStreamOptions.builder().requestTimeout(Duration.ofSeconds(5)).build());
                TreeSet<String> group = awaitGroup(c, nc, 3, null);
                long acked = 0;
                for (int k = 1; k <= 20; k++) {
                    acked = publish(js, k);
                }
                JetStreamSubscription sub = js.subscribe("pr.>", PullSubscribeOptions.builder().durable("D").build());
                long next = take(sub, 1, 8);
                awaitHeld(c, group, acked);

                // a follower goes
                String leader = leaderOf(nc);
                String follower = group.stream().filter(x -> !x.equals(leader)).findFirst().orElseThrow();
                JsonNode r = peerRemove(nc, follower);
                assertEquals("{\"type\":\"io.nats.jetstream.api.v1.stream_remove_peer_response\",\"success\":true}",
                        r.toString());
                group = awaitGroup(c, nc, 3, follower);
                assertFalse(group.contains(follower));
                awaitHeld(c, group, acked);
                awaitNoFiles(c, follower);
                for (int k = 21; k <= 25; k++) {
                    acked = publish(js, k);
                }
                next = take(sub, next, 10);
                awaitHeld(c, group, acked);

                // then the leader goes
                String oldLeader = leaderOf(nc);
                r = peerRemove(nc, oldLeader);
                assertTrue(r.path("success").asBoolean(), r.toString());
                group = awaitGroup(c, nc, 3, oldLeader);
                assertNotEquals(oldLeader, leaderOf(nc));
                awaitHeld(c, group, acked);
                awaitNoFiles(c, oldLeader);
                for (int k = 26; k <= 30; k++) {
                    acked = publish(js, k);
                }
                next = take(sub, next, 30);
                awaitHeld(c, group, acked);

                // R3 -> R2 keeps the leader, R2 -> R3 adds a placed server
                String kept = leaderOf(nc);
                StreamConfiguration now = jsm.getStreamInfo("PR").getConfiguration();
                assertEquals(2, jsm.updateStream(StreamConfiguration.builder(now).replicas(2).build())
                        .getConfiguration().getReplicas());
                group = awaitGroup(c, nc, 2, null);
                assertTrue(group.contains(kept), kept + " stays in " + group);
                acked = publish(js, 31);
                awaitHeld(c, group, acked);
                assertEquals(3, jsm.updateStream(StreamConfiguration.builder(now).replicas(3).build())
                        .getConfiguration().getReplicas());
                group = awaitGroup(c, nc, 3, null);
                acked = publish(js, 32);
                awaitHeld(c, group, acked);
                take(sub, next, 32);
                assertCaughtUp(jsm, 32);
                for (long q = 1; q <= acked; q++) {
                    assertEquals("m" + q, new String(jsm.getMessage("PR", q).getData(), StandardCharsets.UTF_8));
                }
                for (int i = 0; i < c.size(); i++) {
                    if (!group.contains(c.name(i))) {
                        awaitNoFiles(c, c.name(i));
                    }
                }
            }
        }
    }

    /**
     * Scaling an R1 stream to R3 and back with jnats {@code updateStream}: the R1 server's store
     * seeds the new group, the two placed servers catch up from it (each one's /jsz holds every
     * acked message), the durable pull consumer goes on exactly where it was after each step; back
     * at R1 the stream leader's copy is kept and the others delete their files.
     */
    @Test
    @Timeout(180)
    void scalingFromR1ToR3AndBackKeepsEveryAckedMessageAndTheConsumer() throws Exception {
        try (WeftCluster c = WeftCluster.start(3)) {
            c.awaitRoutes();
            awaitMetaLeader(c);
            try (Connection nc = connect(c.node(0))) {
                JetStreamManagement jsm = nc.jetStreamManagement();
                jsm.addStream(StreamConfiguration.builder().name("PR").subjects("pr.>")
                        .storageType(StorageType.File).replicas(1).build());
                JetStream js = nc.jetStream(JetStreamOptions.builder().requestTimeout(Duration.ofSeconds(5)).build());
                TreeSet<String> group = awaitGroup(c, nc, 1, null);
                String holder = group.first();
                long acked = 0;
                for (int k = 1; k <= 10; k++) {
                    acked = publish(js, k);
                }
                JetStreamSubscription sub = js.subscribe("pr.>", PullSubscribeOptions.builder().durable("D").build());
                long next = take(sub, 1, 4);
                awaitHeld(c, group, acked);

                // R1 -> R3
                StreamConfiguration now = jsm.getStreamInfo("PR").getConfiguration();
                assertEquals(3, jsm.updateStream(StreamConfiguration.builder(now).replicas(3).build())
                        .getConfiguration().getReplicas());
                group = awaitGroup(c, nc, 3, null);
                assertTrue(group.contains(holder), holder + " stays in " + group);
                awaitHeld(c, group, acked);
                for (int k = 11; k <= 15; k++) {
                    acked = publish(js, k);
                }
                next = take(sub, next, 8);
                awaitHeld(c, group, acked);

                // R3 -> R1: the leader's copy stays
                String kept = leaderOf(nc);
                assertEquals(1, jsm.updateStream(StreamConfiguration.builder(now).replicas(1).build())
                        .getConfiguration().getReplicas());
                group = awaitGroup(c, nc, 1, null);
                assertEquals(new TreeSet<>(List.of(kept)), group);
                awaitHeld(c, group, acked);
                for (int i = 0; i < c.size(); i++) {
                    if (!c.name(i).equals(kept)) {
                        awaitNoFiles(c, c.name(i));
                    }
                }
                for (int k = 16; k <= 18; k++) {
                    acked = publish(js, k);
                }
                take(sub, next, 18);
                awaitHeld(c, group, acked);
                assertCaughtUp(jsm, 18);
                for (long q = 1; q <= acked; q++) {
                    assertEquals("m" + q, new String(jsm.getMessage("PR", q).getData(), StandardCharsets.UTF_8));
                }
            }
        }
    }

    /**
     * {@code SERVER.REMOVE} from the system account of a server holding a replica of the R3 stream:
     * answered once done; the stream's group moves to the spare server with every acked message, the
     * consumer goes on, the removed server keeps no files of it, and the other servers' /jsz
     * {@code meta_cluster} no longer lists it.
     */
    @Test
    @Timeout(180)
    void serverRemoveMovesTheStreamAndLeavesTheMetaGroup() throws Exception {
        String accounts = "accounts {\n  SYS: { users: [{user: sys, password: sys}] }\n"
                + "  APP: { jetstream: enabled, users: [{user: app, password: app}] }\n}\nsystem_account: SYS\n";
        try (WeftCluster c = WeftCluster.start(4, "X", true, accounts)) {
            c.awaitRoutes();
            String metaLeader = awaitMetaLeader(c);
            try (Connection nc = io.nats.client.Nats.connect(new io.nats.client.Options.Builder().server(c.node(0).url())
                    .userInfo("app", "app").connectionTimeout(Duration.ofSeconds(5)).ignoreDiscoveredServers()
                    .noReconnect().build())) {
                nc.jetStreamManagement().addStream(StreamConfiguration.builder().name("PR").subjects("pr.>")
                        .storageType(StorageType.File).replicas(3).build());
                JetStream js = nc.jetStream(JetStreamOptions.builder().requestTimeout(Duration.ofSeconds(5)).build());
                TreeSet<String> group = awaitGroup(c, nc, 3, null);
                long acked = 0;
                for (int k = 1; k <= 10; k++) {
                    acked = publish(js, k);
                }
                JetStreamSubscription sub = js.subscribe("pr.>", PullSubscribeOptions.builder().durable("D").build());
                long next = take(sub, 1, 4);
                awaitHeld(c, group, acked);
                String victim = group.stream().filter(x -> !x.equals(metaLeader)).findFirst().orElseThrow();
                try (Connection sys = io.nats.client.Nats.connect(new io.nats.client.Options.Builder()
                        .server(c.node(index(c, metaLeader)).url()).userInfo("sys", "sys")
                        .connectionTimeout(Duration.ofSeconds(5)).ignoreDiscoveredServers().noReconnect().build())) {
                    Message m = sys.request("$JS.API.SERVER.REMOVE",
                            ("{\"peer\":\"" + victim + "\"}").getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(15));
                    assertEquals("{\"type\":\"io.nats.jetstream.api.v1.meta_server_remove_response\",\"success\":true}",
                            new String(m.getData(), StandardCharsets.UTF_8));
                    m = sys.request("$JS.API.SERVER.REMOVE",
                            ("{\"peer\":\"" + victim + "\"}").getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(15));
                    assertEquals(10044, JSON.readTree(m.getData()).at("/error/err_code").asInt());
                }
                group = awaitGroup(c, nc, 3, victim);
                awaitHeld(c, group, acked);
                awaitNoFiles(c, victim);
                for (int k = 11; k <= 12; k++) {
                    acked = publish(js, k);
                }
                take(sub, next, 12);
                awaitHeld(c, group, acked);
                for (int i = 0; i < c.size(); i++) {
                    if (c.name(i).equals(victim)) {
                        continue;
                    }
                    long deadline = System.nanoTime() + WAIT.toNanos();
                    JsonNode mc = null;
                    while (System.nanoTime() < deadline) {
                        mc = ClusterDiscoveryTest.http(c.node(i), "/jsz").path("meta_cluster");
                        if (!mc.toString().contains("\"" + victim + "\"")) {
                            break;
                        }
                        Thread.sleep(100);
                    }
                    assertFalse(mc.toString().contains("\"" + victim + "\""), c.name(i) + " still lists " + victim + ": " + mc);
                    assertEquals(3, mc.path("cluster_size").asInt(), c.name(i) + ": " + mc);
                }
            }
        }
    }

    private static long publish(JetStream js, int k) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            try {
                long seq = js.publish("pr." + k, ("m" + k).getBytes(StandardCharsets.UTF_8)).getSeqno();
                assertEquals(k, seq);
                return seq;
            } catch (java.io.IOException | JetStreamApiException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(200); // a leader change in progress
            }
        }
    }

    /** Fetches and acks (synchronously) messages {@code from..to} in order; returns {@code to + 1}. */
    private static long take(JetStreamSubscription sub, long from, long to) throws Exception {
        long next = from;
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (next <= to && System.nanoTime() < deadline) {
            List<Message> got = sub.fetch((int) (to - next + 1), Duration.ofSeconds(2));
            for (Message m : got) {
                assertEquals(next, m.metaData().streamSequence(), "the consumer goes on where it was");
                assertEquals("m" + next, new String(m.getData(), StandardCharsets.UTF_8));
                m.ackSync(Duration.ofSeconds(5));
                next++;
            }
        }
        assertEquals(to + 1, next, "the consumer delivered " + from + ".." + to);
        return next;
    }

    /** The durable D delivered and had acked every message up to {@code last}: nothing pending, as CONSUMER.INFO says. */
    private static void assertCaughtUp(JetStreamManagement jsm, long last) throws Exception {
        io.nats.client.api.ConsumerInfo ci = jsm.getConsumerInfo("PR", "D");
        assertEquals(last, ci.getDelivered().getStreamSequence(), "delivered");
        assertEquals(last, ci.getAckFloor().getStreamSequence(), "ack floor");
        assertEquals(0, ci.getNumPending(), "num_pending once every message was delivered and acked");
        assertEquals(0, ci.getNumAckPending(), "num_ack_pending");
    }

    private static JsonNode peerRemove(Connection nc, String peer) throws Exception {
        Message m = nc.request("$JS.API.STREAM.PEER.REMOVE.PR",
                ("{\"peer\":\"" + peer + "\"}").getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(10));
        return JSON.readTree(m.getData());
    }

    private static JsonNode info(Connection nc) throws Exception {
        Message m = nc.request("$JS.API.STREAM.INFO.PR", new byte[0], Duration.ofSeconds(5));
        return JSON.readTree(m.getData());
    }

    private static String leaderOf(Connection nc) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                String l = info(nc).path("cluster").path("leader").asText("");
                if (!l.isEmpty()) {
                    return l;
                }
            } catch (RuntimeException | java.io.IOException e) {
                // no answer in a leader change
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no stream leader");
    }

    /**
     * Waits until STREAM.INFO's {@code cluster} names {@code size} servers, all current, without
     * {@code gone}; returns them.
     */
    private static TreeSet<String> awaitGroup(WeftCluster c, Connection nc, int size, String gone) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        JsonNode last = null;
        while (System.nanoTime() < deadline) {
            try {
                last = info(nc);
            } catch (RuntimeException | java.io.IOException e) {
                Thread.sleep(100);
                continue;
            }
            JsonNode cl = last.path("cluster");
            TreeSet<String> names = new TreeSet<>();
            boolean current = true;
            if (!cl.path("leader").asText("").isEmpty()) {
                names.add(cl.path("leader").asText());
            }
            for (JsonNode rep : cl.path("replicas")) {
                names.add(rep.path("name").asText());
                current &= rep.path("current").asBoolean();
            }
            if (names.size() == size && current && (gone == null || !names.contains(gone))) {
                return names;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("the stream's group never became " + size + " current servers without " + gone
                + ": " + last + logs(c));
    }

    /** Waits until every server of {@code group} holds messages 1..{@code last} ({@code /jsz} of that server). */
    private static void awaitHeld(WeftCluster c, TreeSet<String> group, long last) throws Exception {
        for (String name : group) {
            int i = index(c, name);
            long deadline = System.nanoTime() + WAIT.toNanos();
            JsonNode seen = null;
            while (System.nanoTime() < deadline) {
                seen = detail(c, i);
                if (seen != null && seen.path("state").path("messages").asLong() == last
                        && seen.path("state").path("last_seq").asLong() == last) {
                    break;
                }
                Thread.sleep(100);
            }
            assertEquals(last, seen == null ? -1 : seen.path("state").path("messages").asLong(),
                    name + " holds every acked message: " + seen + logs(c));
        }
    }

    private static JsonNode detail(WeftCluster c, int i) throws Exception {
        JsonNode z = ClusterDiscoveryTest.http(c.node(i), "/jsz?streams=true");
        for (JsonNode a : z.path("account_details")) {
            for (JsonNode s : a.path("stream_detail")) {
                if (s.path("name").asText().equals("PR")) {
                    return s;
                }
            }
        }
        return null;
    }

    /** Waits until server {@code name} has no replica of PR: not in its /jsz, no directory of it in its store. */
    private static void awaitNoFiles(WeftCluster c, String name) throws Exception {
        int i = index(c, name);
        long deadline = System.nanoTime() + WAIT.toNanos();
        List<Path> left = new ArrayList<>();
        while (System.nanoTime() < deadline) {
            left.clear();
            try (var walk = Files.walk(c.storeDir(i))) {
                walk.filter(p -> p.getFileName() != null && p.getFileName().toString().equals("PR")).forEach(left::add);
            }
            if (left.isEmpty() && detail(c, i) == null) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError(name + " still holds " + left + logs(c));
    }
}
