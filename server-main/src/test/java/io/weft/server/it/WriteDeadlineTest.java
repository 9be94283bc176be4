package io.weft.server.it;

import io.nats.client.Connection;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code write_deadline: 1s} with a reader that never reads and large messages: max_pending
 * (64 MB by default) is far above what is published, so only the write deadline can cut the
 * stuck client. It must be disconnected and counted in /varz slow_consumers, while the
 * publisher stays connected.
 */
class WriteDeadlineTest {
    static final int MESSAGES = 24;
    static final int SIZE = 512 * 1024;
    static TestServer server;

    @BeforeAll
    static void startServer() {
        server = TestServers.start("write_deadline: \"1s\"\nmax_payload: 1MB\n");
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void stuckReaderIsCutByTheWriteDeadline() throws Exception {
        long before = slowConsumers();
        try (Socket stuck = new Socket();
             Connection pub = Clients.connect(Clients.options(server).maxMessagesInOutgoingQueue(10_000))) {
            stuck.setReceiveBufferSize(4096);
            stuck.connect(new InetSocketAddress("127.0.0.1", server.port()), 5000);
            stuck.getOutputStream().write("CONNECT {\"verbose\":false}\r\nSUB big 1\r\nPING\r\n".getBytes(StandardCharsets.US_ASCII));
            stuck.getOutputStream().flush();
            // read only up to the PONG, then never again
            stuck.setSoTimeout(5000);
            StringBuilder sb = new StringBuilder();
            while (sb.indexOf("PONG\r\n") < 0) {
                int c = stuck.getInputStream().read();
                assertTrue(c >= 0, "closed before PONG: " + sb);
                sb.append((char) c);
            }
            byte[] payload = new byte[SIZE];
            long start = System.nanoTime();
            for (int i = 0; i < MESSAGES; i++) {
                pub.publish("big", payload);
            }
            pub.flush(Duration.ofSeconds(12));
            assertTrue(Clients.await(() -> {
                try {
                    return slowConsumers() > before;
                } catch (Exception e) {
                    return false;
                }
            }, Duration.ofSeconds(8)), "slow_consumers did not grow; output:\n" + server.stderr());
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(millis >= 900, "cut before the 1 s deadline could pass: " + millis + " ms");
            assertTrue(server.awaitOutput("Slow Consumer Detected", Duration.ofSeconds(2)), server.stderr());
            assertTrue(Clients.await(() -> connections() == 1, Duration.ofSeconds(5)), "stuck client still listed in /varz");
            assertEquals(Connection.Status.CONNECTED, pub.getStatus());
        }
    }

    private static String varz() throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + server.monitorPort() + "/varz")).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        return r.body();
    }

    private static long field(String body, String name) {
        Matcher m = Pattern.compile("\"" + name + "\"\\s*:\\s*(\\d+)").matcher(body);
        assertTrue(m.find(), body);
        return Long.parseLong(m.group(1));
    }

    private static long slowConsumers() throws Exception {
        return field(varz(), "slow_consumers");
    }

    private static long connections() {
        try {
            return field(varz(), "connections");
        } catch (Exception e) {
            return -1;
        }
    }
}
