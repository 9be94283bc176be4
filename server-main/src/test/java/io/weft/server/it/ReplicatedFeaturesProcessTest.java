package io.weft.server.it;

import static io.weft.server.it.ClusteredStreamProcessTest.awaitMetaLeader;
import static io.weft.server.it.ClusteredStreamProcessTest.connect;
import static io.weft.server.it.ClusteredStreamProcessTest.index;
import static io.weft.server.it.ClusteredStreamProcessTest.logs;
import static io.weft.server.it.ClusteredStreamProcessTest.request;
import static io.weft.server.it.ReplicatedFeaturesDifferentialTest.awaitLeader;
import static io.weft.server.it.ReplicatedFeaturesDifferentialTest.fetchAndAck;
import static io.weft.server.it.ReplicatedFeaturesDifferentialTest.header;
import static io.weft.server.it.ReplicatedFeaturesDifferentialTest.publish;
import static io.weft.server.it.ReplicatedFeaturesDifferentialTest.retryPublish;
import static io.weft.server.it.ReplicatedFeaturesDifferentialTest.settled;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.impl.Headers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The once-refused features of R3 streams across kill -9 of the stream leader, in three real
 * {@code weft serve} processes: an interest stream with first_seq, a subject transform and
 * republish keeps exactly what its durable consumer has not acknowledged (the new leader runs the
 * consumer from its replicated ack state), every stored message is republished exactly once (the
 * new leader republishes none of the old leader's messages), and a counter continues from the
 * value every replica holds; the killed node comes back with the same state.
 */
class ReplicatedFeaturesProcessTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    @Timeout(180)
    void interestRepublishAndCountersSurviveKillingTheLeader() throws Exception {
        try (WeftCluster c = WeftCluster.start(3)) {
            c.awaitRoutes();
            awaitMetaLeader(c);
            String leader;
            int watchOn;
            Map<Long, AtomicInteger> republished = new ConcurrentHashMap<>();
            Map<Long, String> republishedSubject = new ConcurrentHashMap<>();
            try (Connection nc = connect(c.node(0))) {
                JsonNode k = request(nc, "$JS.API.STREAM.CREATE.K", "{\"name\":\"K\",\"subjects\":[\"k.>\"],"
                        + "\"storage\":\"file\",\"num_replicas\":3,\"retention\":\"interest\",\"first_seq\":50,"
                        + "\"subject_transform\":{\"src\":\"k.*\",\"dest\":\"k.{{wildcard(1)}}.t\"},"
                        + "\"republish\":{\"src\":\"k.>\",\"dest\":\"rk.>\"}}");
                assertFalse(k == null || k.has("error"), String.valueOf(k));
                JsonNode n = request(nc, "$JS.API.STREAM.CREATE.N", "{\"name\":\"N\",\"subjects\":[\"n.>\"],"
                        + "\"storage\":\"file\",\"num_replicas\":3,\"allow_msg_counter\":true}");
                assertFalse(n == null || n.has("error"), String.valueOf(n));
                leader = awaitLeader(nc, "K", "");
            }
            int dead = index(c, leader);
            watchOn = (dead + 1) % 3;
            // the watcher stays connected to a survivor throughout
            Connection watcher = connect(c.node(watchOn));
            Dispatcher d = watcher.createDispatcher(m -> {
                long seq = Long.parseLong(header(m, "Nats-Sequence"));
                republished.computeIfAbsent(seq, s -> new AtomicInteger()).incrementAndGet();
                republishedSubject.put(seq, m.getSubject() + " " + header(m, "Nats-Subject"));
            });
            d.subscribe("rk.>");
            watcher.flush(Duration.ofSeconds(5));
            try (Connection nc = connect(c.node(watchOn))) {
                JsonNode created = request(nc, "$JS.API.CONSUMER.DURABLE.CREATE.K.D",
                        "{\"stream_name\":\"K\",\"config\":{\"durable_name\":\"D\",\"ack_policy\":\"explicit\"}}");
                assertFalse(created == null || created.has("error"), String.valueOf(created));
                for (int i = 1; i <= 20; i++) {
                    JsonNode ack = publish(nc, "k." + (i % 2 == 0 ? "even" : "odd"), new Headers().add("Nats-Msg-Id", "k-" + i), "v" + i);
                    assertEquals(49 + i, ack.path("seq").asLong(), ack.toString());
                }
                assertEquals(List.of("v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10"), fetchAndAck(nc, "K", "D", 10));
                assertEquals("10 60 69", settled(nc, "K", 10), "the acknowledged ten removed");
                for (int i = 1; i <= 10; i++) {
                    increment(nc, "n-" + i, 1);
                }
                awaitRepublished(republished, 20);
            }

            c.kill(dead);
            try (Connection nc = connect(c.node(watchOn))) {
                String next = awaitLeader(nc, "K", leader);
                assertNotEquals(leader, next);
                for (int i = 21; i <= 30; i++) {
                    JsonNode ack = retryPublish(nc, "k." + (i % 2 == 0 ? "even" : "odd"), "v" + i);
                    assertEquals(49 + i, ack.path("seq").asLong(), ack.toString());
                }
                List<String> rest = fetchAndAck(nc, "K", "D", 20);
                List<String> expected = new ArrayList<>();
                for (int i = 11; i <= 30; i++) {
                    expected.add("v" + i);
                }
                assertEquals(expected, rest, "the new leader's consumer went on from the replicated acks" + logs(c));
                assertEquals("0 80 79", settled(nc, "K", 0), "every acknowledged message removed" + logs(c));
                JsonNode last = null;
                for (int i = 11; i <= 15; i++) {
                    last = increment(nc, "n-" + i, 1);
                }
                assertEquals("15", last.path("val").asText(), last.toString());
                awaitRepublished(republished, 30);
                Thread.sleep(500); // a second copy of any would show by now
            }
            watcher.close();
            Map<Long, Integer> counts = new TreeMap<>();
            republished.forEach((seq, n) -> counts.put(seq, n.get()));
            Map<Long, Integer> once = new TreeMap<>();
            for (long s = 50; s <= 79; s++) {
                once.put(s, 1);
            }
            assertEquals(once, counts, "each stored message republished exactly once");
            assertEquals("rk.even.t k.even.t", republishedSubject.get(51L));
            assertEquals("rk.odd.t k.odd.t", republishedSubject.get(70L));

            // the killed node comes back and holds what the others hold: the 15 counter messages
            c.restart(dead);
            for (int i = 0; i < 3; i++) {
                awaitJszMessages(c, i, 15);
            }
            try (Connection nc = connect(c.node(dead))) {
                JsonNode last = request(nc, "$JS.API.STREAM.MSG.GET.N", "{\"last_by_subj\":\"n.count\"}");
                assertEquals("{\"val\":\"15\"}", new String(Base64.getDecoder().decode(last.path("message").path("data").asText("")),
                        StandardCharsets.UTF_8), String.valueOf(last));
            }
        }
    }

    /** One counter increment (with a message id, so a retry after a leader change is not counted twice); its PubAck. */
    private static JsonNode increment(Connection nc, String id, int by) throws Exception {
        Headers h = new Headers().add("Nats-Incr", Integer.toString(by)).add("Nats-Msg-Id", id);
        return ClusterApi.publishUntilAcked(nc, "n.count", h, new byte[0], "increment " + id);
    }

    private static void awaitRepublished(Map<Long, AtomicInteger> republished, int n) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (republished.size() < n && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertEquals(n, republished.size(), "republished sequences: " + new TreeMap<>(republished).keySet());
    }

    /** Waits until node {@code i}'s own stores ({@code /jsz} messages) hold {@code n} messages. */
    private static void awaitJszMessages(WeftCluster c, int i, long n) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        long last = -1;
        while (System.nanoTime() < deadline) {
            last = ClusterDiscoveryTest.http(c.node(i), "/jsz").path("messages").asLong(-1);
            if (last == n) {
                return;
            }
            Thread.sleep(100);
        }
        assertTrue(false, c.name(i) + ": /jsz messages " + last + ", not " + n + logs(c));
    }
}
