package io.weft.server.it;

import io.nats.client.Connection;
import io.nats.client.ConnectionListener;
import io.nats.client.Dispatcher;
import io.nats.client.ErrorListener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

import static io.weft.server.it.Clients.WAIT;
import static io.weft.server.it.Clients.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The bounded producer stall (issue 15), with jnats against a real weft: a fast publisher is slowed
 * while a subscriber that keeps reading catches up, so that subscriber is never cut (before the
 * stall, 1 publisher to 1 subscriber of 500,000 x 1 KB cut it with "MaxPending of 67108864
 * Exceeded" on a loaded machine); a subscriber that stops reading is still cut as nats-server cuts
 * it, a slow consumer by pending bytes.
 */
@Timeout(180)
class ProducerStallTest {
    static final int MESSAGES = 500_000;
    static final int SIZE = 1024;

    @Test
    void aSubscriberThatKeepsReadingIsNeverCut() throws Exception {
        // the defaults of nats-server: max_pending 64 MB
        try (TestServer server = TestServers.start("");
             Connection sub = Clients.connect(withListeners(Clients.options(server), errors));
             Connection pub = Clients.connect(Clients.options(server).maxMessagesInOutgoingQueue(100_000))) {
            AtomicLong received = new AtomicLong();
            AtomicLong bytes = new AtomicLong();
            Dispatcher d = sub.createDispatcher(m -> {
                received.incrementAndGet();
                bytes.addAndGet(m.getData().length);
            });
            d.setPendingLimits(-1, -1); // the client never drops: only the server could cut it
            d.subscribe("stall.flood");
            sub.flush(WAIT);
            byte[] payload = new byte[SIZE];
            long start = System.nanoTime();
            for (int i = 0; i < MESSAGES; i++) {
                pub.publish("stall.flood", payload);
            }
            pub.flush(Duration.ofSeconds(60));
            assertTrue(await(() -> received.get() >= MESSAGES, Duration.ofSeconds(60)),
                    "the subscriber got " + received.get() + " of " + MESSAGES + "; errors " + errors);
            long millis = (System.nanoTime() - start) / 1_000_000;
            System.out.println("ProducerStallTest: " + MESSAGES + " x " + SIZE + " B to a reading subscriber in "
                    + millis + " ms (" + (MESSAGES * 1000L / Math.max(1, millis)) + " msgs/s)");
            Clients.settle();
            assertEquals(MESSAGES, received.get());
            assertEquals((long) MESSAGES * SIZE, bytes.get());
            assertEquals(Connection.Status.CONNECTED, sub.getStatus());
            assertEquals(Connection.Status.CONNECTED, pub.getStatus());
            assertTrue(errors.isEmpty(), "the subscriber saw " + errors);
            assertEquals(0, varz(server, "slow_consumers"), "varz slow_consumers");
        }
    }

    @Test
    void aSubscriberThatStopsReadingIsCutAsASlowConsumer() throws Exception {
        // small limits so the stalled reader is cut within seconds (the stall slows the publisher to
        // a read buffer per 10 ms once the stuck reader is past half of max_pending)
        try (TestServer server = TestServers.start("max_pending: 4MB\nwrite_deadline: \"2s\"\n");
             Socket stuck = new Socket();
             Connection pub = Clients.connect(Clients.options(server).maxMessagesInOutgoingQueue(100_000))) {
            stuck.setReceiveBufferSize(4096);
            stuck.connect(new InetSocketAddress("127.0.0.1", server.port()), 5000);
            stuck.setSoTimeout(20_000);
            OutputStream out = stuck.getOutputStream();
            InputStream in = stuck.getInputStream();
            out.write("CONNECT {\"verbose\":false,\"pedantic\":false,\"name\":\"stuck\"}\r\nSUB stall.flood 1\r\nPING\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            StringBuilder hello = new StringBuilder();
            while (hello.indexOf("PONG\r\n") < 0) {
                int c = in.read();
                assertTrue(c >= 0, "closed before PONG: " + hello);
                hello.append((char) c);
            }
            byte[] payload = new byte[SIZE];
            for (int i = 0; i < 20_000; i++) { // 20 MB, five times max_pending
                pub.publish("stall.flood", payload);
            }
            pub.flush(Duration.ofSeconds(60));
            assertTrue(await(() -> varzUnchecked(server, "slow_consumers") >= 1, Duration.ofSeconds(30)),
                    "the stuck subscriber must be cut as a slow consumer");
            String closed = http(server, "/connz?state=closed");
            assertTrue(closed.contains("\"reason\": \"Slow Consumer (Pending Bytes)\"")
                            || closed.contains("\"reason\":\"Slow Consumer (Pending Bytes)\"")
                            || closed.contains("Slow Consumer (Write Deadline)"),
                    "closed connection's reason: " + closed);
            assertEquals(Connection.Status.CONNECTED, pub.getStatus(), "the publisher is slowed, never cut");
        }
    }

    private final List<String> errors = new CopyOnWriteArrayList<>();

    private static io.nats.client.Options.Builder withListeners(io.nats.client.Options.Builder b, List<String> errors) {
        return b.errorListener(new ErrorListener() {
            @Override
            public void errorOccurred(Connection conn, String error) {
                errors.add(error);
            }

            @Override
            public void slowConsumerDetected(Connection conn, io.nats.client.Consumer consumer) {
                errors.add("client-side slow consumer");
            }
        }).connectionListener((conn, type) -> {
            if (type == ConnectionListener.Events.DISCONNECTED || type == ConnectionListener.Events.CLOSED) {
                errors.add(type.toString());
            }
        });
    }

    private static long varzUnchecked(TestServer server, String field) {
        try {
            return varz(server, field);
        } catch (Exception e) {
            return -1;
        }
    }

    private static long varz(TestServer server, String field) throws Exception {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"" + field + "\"\\s*:\\s*(\\d+)")
                .matcher(http(server, "/varz"));
        assertTrue(m.find(), field);
        return Long.parseLong(m.group(1));
    }

    private static String http(TestServer server, String path) throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + server.monitorPort() + path)).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        return r.body();
    }
}
