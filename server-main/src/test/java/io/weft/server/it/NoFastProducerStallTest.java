package io.weft.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Timeout;

/**
 * {@code no_fast_producer_stall} (nats-server 2.11+, hot reloadable), against weft and nats-server
 * 2.15.1 with the same steps. A subscriber that stops reading (a raw socket with a small receive
 * buffer) falls past its stall threshold; a healthy jnats subscriber keeps up.
 * <ul>
 *   <li>With the option (switched on by a reload): the publisher is never slowed for the stalled
 *   subscriber, which misses messages instead and so never reaches max_pending: it is not cut, and
 *   answers a PING once it reads again, having received some of the messages but not all.</li>
 *   <li>Without it: the publisher is slowed (bounded) and the subscriber, which never reads, is cut
 *   as a slow consumer once max_pending is exceeded.</li>
 * </ul>
 * The healthy subscriber gets every message either way.
 */
@Timeout(180)
class NoFastProducerStallTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MESSAGES = 20_000;
    private static final int BATCH = 100;
    private static final String BASE = "max_pending: 2MB\nwrite_deadline: \"60s\"\n";

    @ParameterizedTest
    @EnumSource(value = TestServers.Target.class, names = {"WEFT", "NATS_NEWEST"})
    void withTheOptionAStalledSubscriberMissesMessagesAndStaysConnected(TestServers.Target target) throws Exception {
        try (TestServer server = TestServers.start(target, BASE + "no_fast_producer_stall: false\n")) {
            server.rewriteConfig(BASE + "no_fast_producer_stall: true\n");
            server.signal("HUP");
            assertTrue(server.awaitOutput("Reloaded server configuration", Clients.WAIT), server.stderr());
            try (RawClient slow = RawClient.connected(server.port(), "{\"verbose\":false,\"protocol\":1}", 8 * 1024)) {
                long healthy = flood(server, slow);
                assertEquals(MESSAGES, healthy, "the healthy subscriber missed messages");
                slow.readFor(Duration.ofSeconds(3));
                int got = RawClient.count(slow.text(), "MSG flood 1 ");
                assertFalse(slow.closedByServer(), target + " cut the stalled subscriber: " + tail(slow.text()));
                assertTrue(got > 0 && got < MESSAGES, target + ": the stalled subscriber got " + got + " of " + MESSAGES);
                slow.send("PING\r\n");
                assertTrue(slow.awaitText("PONG\r\n", Clients.WAIT), tail(slow.text()));
                assertFalse(slow.text().contains("-ERR"), tail(slow.text()));
            }
            assertEquals(0, varz(server).path("slow_consumers").asLong(), target.toString());
        }
    }

    @ParameterizedTest
    @EnumSource(value = TestServers.Target.class, names = {"WEFT", "NATS_NEWEST"})
    void withoutItTheProducerIsSlowedAndASubscriberThatNeverReadsIsCut(TestServers.Target target) throws Exception {
        try (TestServer server = TestServers.start(target, BASE)) {
            try (RawClient slow = RawClient.connected(server.port(), "{\"verbose\":false,\"protocol\":1}", 8 * 1024)) {
                long healthy = flood(server, slow);
                assertEquals(MESSAGES, healthy, "the healthy subscriber missed messages");
                assertTrue(slow.awaitClose(Clients.WAIT), target + " did not cut the subscriber that never reads");
            }
            JsonNode varz = varz(server);
            assertTrue(varz.path("slow_consumers").asLong() >= 1, target.toString());
            // nats-server 2.15's split by kind, and its count of the times a producer was stalled
            assertEquals(varz.path("slow_consumers"), varz.path("slow_consumer_stats").path("clients"), target.toString());
            assertEquals(0, varz.path("slow_consumer_stats").path("routes").asLong(), target.toString());
            assertTrue(varz.path("stalled_clients").asLong() > 0, target + ": " + varz);
            long accountSlow = 0;
            for (JsonNode a : monitor(server, "/accstatz?unused=1").path("account_statz")) {
                if (a.path("acc").asText().equals("$G")) {
                    accountSlow = a.path("slow_consumers").asLong();
                }
            }
            assertEquals(varz.path("slow_consumers").asLong(), accountSlow, target + ": /accstatz slow_consumers of $G");
            // the producer waited for the stalled subscriber: connz counts it on that connection
            long stalls = 0;
            for (JsonNode c : monitor(server, "/connz?state=closed").path("connections")) {
                stalls += c.path("stalls").asLong();
            }
            assertTrue(stalls > 0, target + ": no stalls in the closed connections");
            assertTrue(server.stderr().contains("Slow Consumer Detected: MaxPending of 2097152 Exceeded"),
                    server.stderr());
        }
    }

    /**
     * Subscribes {@code slow} (which then stops reading) and a healthy jnats subscriber to
     * {@code flood}, publishes the messages in flushed batches (so a healthy reader never falls far
     * behind, and waits for it whenever it lags more than three batches), and returns how many the
     * healthy one received.
     */
    private static long flood(TestServer server, RawClient slow) throws Exception {
        slow.send("SUB flood 1\r\nPING\r\n");
        assertTrue(slow.awaitText("PONG\r\n", Clients.WAIT));
        try (Connection sub = Clients.connect(Clients.options(server));
             Connection pub = Clients.connect(Clients.options(server))) {
            AtomicLong received = new AtomicLong();
            Dispatcher d = sub.createDispatcher(m -> received.incrementAndGet());
            d.setPendingLimits(-1, -1);
            d.subscribe("flood");
            sub.flush(Clients.WAIT);
            byte[] payload = new byte[1024];
            for (int i = 0; i < MESSAGES; i += BATCH) {
                for (int j = 0; j < BATCH; j++) {
                    pub.publish("flood", payload);
                }
                pub.flush(Clients.WAIT);
                // the healthy subscriber is kept within a few batches (a loaded machine may starve its
                // reader): only the raw subscriber, which stopped reading, may fall past the stall gate
                long behind = System.nanoTime() + Clients.WAIT.toNanos();
                while (received.get() < i + BATCH - 3L * BATCH && System.nanoTime() < behind) {
                    Thread.sleep(1);
                }
            }
            long deadline = System.nanoTime() + Clients.WAIT.toNanos();
            while (received.get() < MESSAGES && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            return received.get();
        }
    }

    private static JsonNode varz(TestServer server) throws Exception {
        return monitor(server, "/varz");
    }

    private static JsonNode monitor(TestServer server, String path) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + server.monitorPort() + path)).build(), HttpResponse.BodyHandlers.ofString());
        return JSON.readTree(r.body());
    }

    private static String tail(String text) {
        return text.length() <= 300 ? text : "..." + text.substring(text.length() - 300);
    }
}
