package io.weft.server.it;

import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.weft.server.it.Clients.WAIT;
import static io.weft.server.it.Clients.await;
import static io.weft.server.it.Clients.connect;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A subscriber that never reads is cut off once its outbound buffer passes max_pending, while the
 * publisher keeps going and a healthy subscriber receives every message. (Both servers slow the
 * publisher while the stuck reader is past half of max_pending: weft by at most 10 ms per read of
 * the publisher, until max_pending or write_deadline cuts the reader.)
 */
class SlowConsumerTest {
    static final int MESSAGES = 40_000;
    static final int SIZE = 1024;
    static TestServer server;

    @BeforeAll
    static void startServer() {
        // nats-server 2.9 flushes to a subscriber on the publisher's read loop, so a stuck reader
        // holds the publisher for up to write_deadline (default 10 s): keep that short here.
        // weft holds the publisher at most 10 ms per read, so max_pending must leave a healthy
        // reader room to lag behind a publisher on a busy machine: 8 MB, against 40 MB published.
        server = TestServers.start("max_pending: 8MB\nmax_payload: 64KB\nwrite_deadline: \"1s\"\n");
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void stuckSubscriberIsDisconnectedWhileOthersGetEverything() throws Exception {
        try (Socket stuck = new Socket(); Connection healthy = connect(server);
             Connection pub = Clients.connect(Clients.options(server).maxMessagesInOutgoingQueue(MESSAGES * 2))) {
            stuck.setReceiveBufferSize(4096); // before connect, so the TCP window stays small
            stuck.connect(new InetSocketAddress("127.0.0.1", server.port()), 5000);
            stuck.setSoTimeout(5000);
            OutputStream out = stuck.getOutputStream();
            InputStream in = stuck.getInputStream();
            out.write("CONNECT {\"verbose\":false,\"pedantic\":false}\r\nSUB sc.flood 1\r\nPING\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            awaitPong(in);

            AtomicLong received = new AtomicLong();
            AtomicLong bytes = new AtomicLong();
            Dispatcher d = healthy.createDispatcher(m -> {
                received.incrementAndGet();
                bytes.addAndGet(m.getData().length);
            });
            d.setPendingLimits(10_000_000, 1L << 32);
            d.subscribe("sc.flood");
            healthy.flush(WAIT);

            byte[] payload = new byte[SIZE];
            long start = System.nanoTime();
            for (int i = 0; i < MESSAGES; i++) {
                payload[0] = (byte) i;
                pub.publish("sc.flood", payload);
            }
            pub.flush(WAIT);
            long publishMillis = (System.nanoTime() - start) / 1_000_000;
            System.out.println("SlowConsumerTest: published " + MESSAGES + " x " + SIZE + " B in " + publishMillis + " ms");
            assertTrue(publishMillis < 8_000, "publisher must not be stalled by the stuck subscriber: " + publishMillis + " ms");

            assertTrue(await(() -> received.get() >= MESSAGES), "healthy subscriber got " + received.get());
            Clients.settle();
            assertEquals(MESSAGES, received.get());
            assertEquals((long) MESSAGES * SIZE, bytes.get());

            long drained = readUntilClosed(in);
            assertTrue(drained < (long) MESSAGES * SIZE, "the stuck client must be cut before getting everything; read " + drained);
            assertEquals(Connection.Status.CONNECTED, healthy.getStatus());
            assertEquals(Connection.Status.CONNECTED, pub.getStatus());
            assertTrue(slowConsumersReported() >= 1, "varz slow_consumers");
        }
    }

    private static void awaitPong(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) != -1) {
            sb.append((char) c);
            if (sb.indexOf("PONG\r\n") >= 0) {
                return;
            }
        }
        throw new IOException("closed before PONG: " + sb);
    }

    /** Reads (fast) until EOF or reset; fails if the server keeps the connection open for 10 s. */
    private static long readUntilClosed(InputStream in) throws IOException {
        byte[] buf = new byte[65536];
        long total = 0;
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            int n;
            try {
                n = in.read(buf);
            } catch (SocketTimeoutException e) {
                throw new AssertionError("stuck subscriber still connected and silent after reading " + total + " bytes");
            } catch (IOException e) {
                return total; // reset by the server: closed
            }
            if (n < 0) {
                return total;
            }
            total += n;
        }
        throw new AssertionError("stuck subscriber still connected after " + WAIT + ", read " + total + " bytes");
    }

    private static long slowConsumersReported() throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + server.monitorPort() + "/varz")).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        Matcher m = Pattern.compile("\"slow_consumers\"\\s*:\\s*(\\d+)").matcher(r.body());
        assertTrue(m.find(), r.body());
        return Long.parseLong(m.group(1));
    }
}
