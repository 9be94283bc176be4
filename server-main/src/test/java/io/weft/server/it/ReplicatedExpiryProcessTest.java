package io.weft.server.it;

import static io.weft.server.it.ClusteredStreamProcessTest.awaitLeader;
import static io.weft.server.it.ClusteredStreamProcessTest.awaitMetaLeader;
import static io.weft.server.it.ClusteredStreamProcessTest.connect;
import static io.weft.server.it.ClusteredStreamProcessTest.index;
import static io.weft.server.it.ClusteredStreamProcessTest.logs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamOptions;
import io.nats.client.KeyValue;
import io.nats.client.KeyValueManagement;
import io.nats.client.MessageTtl;
import io.nats.client.api.KeyValueConfiguration;
import io.nats.client.api.KeyValueEntry;
import io.nats.client.api.PublishAck;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.LongPredicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Expiry on R3 streams in three real {@code weft serve} processes: max_age, per-message TTLs
 * ({@code Nats-TTL}) and a KV bucket's TTL and per-key TTL with limit markers. The stream leader
 * decides each expiry and logs it through the group, so every server's own replica ({@code /jsz}
 * counts what that server stores) ends with the same messages, and after kill -9 of the leader the
 * new one expires what came due.
 */
class ReplicatedExpiryProcessTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @Test
    @Timeout(120)
    void maxAgeAndMessageTtlsExpireOnEveryReplicaAndAfterAFailover() throws Exception {
        try (WeftCluster c = WeftCluster.start(3)) {
            c.awaitRoutes();
            awaitMetaLeader(c);
            try (Connection nc = connect(c.node(0))) {
                JetStreamManagement jsm = nc.jetStreamManagement();
                jsm.addStream(StreamConfiguration.builder().name("AGED").subjects("aged.>").storageType(StorageType.File)
                        .replicas(3).maxAge(Duration.ofSeconds(2)).allowMessageTtl().build());
            }
            String leader = awaitLeader(c, 0, "AGED").path("cluster").path("leader").asText();
            int other = (index(c, leader) + 1) % 3;
            try (Connection nc = connect(c.node(other))) {
                JetStream js = nc.jetStream(JetStreamOptions.builder().requestTimeout(Duration.ofSeconds(5)).build());
                for (int k = 1; k <= 10; k++) {
                    js.publish("aged." + k, ("m" + k).getBytes(StandardCharsets.UTF_8));
                }
                Headers h = new Headers().add("Nats-TTL", "1s");
                PublishAck ttl = js.publish(NatsMessage.builder().subject("aged.ttl").headers(h)
                        .data("short".getBytes(StandardCharsets.UTF_8)).build());
                assertEquals(11, ttl.getSeqno());
            }
            awaitEveryNode(c, "stores 11 messages", n -> n == 11);
            // the TTL message goes after 1 s, the rest after max_age (2 s), on every replica
            awaitEveryNode(c, "expired everything", n -> n == 0);

            // the leader is killed; what is published afterwards is expired by the new leader
            int dead = index(c, leader);
            int survivor = (dead + 1) % 3;
            c.kill(dead);
            String next = "";
            long deadline = System.nanoTime() + WAIT.toNanos();
            try (Connection nc = connect(c.node(survivor))) {
                JetStream js = nc.jetStream(JetStreamOptions.builder().requestTimeout(Duration.ofSeconds(2)).build());
                int stored = 0;
                while (stored < 5 && System.nanoTime() < deadline) {
                    try {
                        js.publish("aged.after", ("a" + stored).getBytes(StandardCharsets.UTF_8));
                        stored++;
                    } catch (java.io.IOException | JetStreamApiException e) {
                        Thread.sleep(200); // no leader yet
                    }
                }
                assertEquals(5, stored, "no new leader took publishes" + logs(c));
                next = awaitLeader2(nc);
            }
            assertNotEquals(leader, next);
            for (int i = 0; i < 3; i++) {
                if (i != dead) {
                    int node = i;
                    awaitNode(c, node, "expired what the new leader stored", n -> n == 0);
                }
            }
            // the killed node comes back and catches up to the same (empty) state
            c.restart(dead);
            awaitNode(c, dead, "caught up and expired", n -> n == 0);
            try (Connection nc = connect(c.node(survivor))) {
                JsonNode info = ClusteredStreamProcessTest.streamInfo(nc, "AGED");
                assertEquals(16, info.path("state").path("last_seq").asLong(), info.toString());
                assertEquals(0, info.path("state").path("messages").asLong(), info.toString());
            }
        }
    }

    @Test
    @Timeout(120)
    void anR3BucketsTtlAndPerKeyTtlWithLimitMarkers() throws Exception {
        try (WeftCluster c = WeftCluster.start(3)) {
            c.awaitRoutes();
            awaitMetaLeader(c);
            try (Connection nc = connect(c.node(1))) {
                KeyValueManagement kvm = nc.keyValueManagement();
                kvm.create(KeyValueConfiguration.builder().name("SESS").storageType(StorageType.File).replicas(3)
                        .ttl(Duration.ofSeconds(3)).limitMarker(Duration.ofSeconds(1)).build());
                KeyValue kv = nc.keyValue("SESS");
                kv.put("long", "kept until the bucket's ttl");
                kv.create("short", "gone after 1 s".getBytes(StandardCharsets.UTF_8), MessageTtl.seconds(1));
                assertEquals("gone after 1 s", new String(kv.get("short").getValue(), StandardCharsets.UTF_8));
                // the per-key TTL expires first: the key reads as absent, the marker is on every replica
                long deadline = System.nanoTime() + WAIT.toNanos();
                KeyValueEntry e = kv.get("short");
                while (e != null && System.nanoTime() < deadline) {
                    Thread.sleep(100);
                    e = kv.get("short");
                }
                assertNull(e, "short still readable after its TTL");
                assertEquals("kept until the bucket's ttl", new String(kv.get("long").getValue(), StandardCharsets.UTF_8));
            }
            // 'long' plus the marker of 'short', everywhere; then the bucket's max_age removes 'long',
            // whose marker expires by its own TTL: every replica ends empty
            awaitEveryNode(c, "holds long and the marker of short", n -> n == 2);
            awaitEveryNode(c, "expired every key and marker", n -> n == 0);
        }
    }

    /** The stream leader named by STREAM.INFO through {@code nc}, once one is named. */
    private static String awaitLeader2(Connection nc) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            JsonNode info = ClusteredStreamProcessTest.streamInfo(nc, "AGED");
            String l = info == null ? "" : info.path("cluster").path("leader").asText("");
            if (!l.isEmpty()) {
                return l;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no leader of AGED");
    }

    private static void awaitEveryNode(WeftCluster c, String what, LongPredicate messages) throws Exception {
        for (int i = 0; i < c.size(); i++) {
            awaitNode(c, i, what, messages);
        }
    }

    /** Waits until node {@code i}'s own store count ({@code /jsz} messages) satisfies {@code messages}. */
    private static void awaitNode(WeftCluster c, int i, String what, LongPredicate messages) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        long last = -1;
        while (System.nanoTime() < deadline) {
            JsonNode z = ClusterDiscoveryTest.http(c.node(i), "/jsz");
            last = z.path("messages").asLong(-1);
            if (messages.test(last)) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError(c.name(i) + " never " + what + ": /jsz messages " + last + logs(c));
    }
}
