package io.weft.server.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The server's timers on raw sockets: ping_interval/ping_max and the authorization timeout.
 * nats-server 2.9.10 with {@code ping_interval: 1s, ping_max: 2} sends PING at about 1 s and 2 s
 * to a client that never answers and then {@code -ERR 'Stale Connection'} and closes at about
 * 3 s; a client that never sends CONNECT gets {@code -ERR 'Authentication Timeout'} and the close
 * after the 1 s authorization timeout (checked against /usr/sbin/nats-server).
 */
class TimersTest {
    static final String AUTH = "{\"verbose\":false,\"user\":\"a\",\"pass\":\"b\",\"protocol\":1}";
    static TestServer server;

    @BeforeAll
    static void startServer() {
        server = TestServers.start("""
                ping_interval: "1s"
                ping_max: 2
                authorization { user: a, password: b, timeout: 1 }
                """);
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void clientThatNeverAnswersPingIsStale() throws Exception {
        try (RawClient silent = RawClient.connected(server.port(), AUTH)) {
            long start = System.nanoTime();
            assertTrue(silent.awaitClose(Duration.ofSeconds(6)), "still open: " + silent.text());
            long millis = (System.nanoTime() - start) / 1_000_000;
            String got = silent.text();
            assertTrue(got.endsWith("PING\r\nPING\r\n-ERR 'Stale Connection'\r\n"), got);
            assertTrue(millis >= 2_000 && millis <= 4_500, "closed after " + millis + " ms");
        }
    }

    @Test
    void clientThatAnswersPingStays() throws Exception {
        try (RawClient live = RawClient.connected(server.port(), AUTH)) {
            long end = System.nanoTime() + Duration.ofMillis(4_500).toNanos();
            int answered = 0;
            while (System.nanoTime() < end) {
                int seen = RawClient.count(live.text(), "PING\r\n");
                if (seen > answered) {
                    live.send("PONG\r\n");
                    answered = seen;
                }
                live.readFor(Duration.ofMillis(50));
                assertFalse(live.closedByServer(), live.text());
            }
            // nats-server skips a PING when the client was heard from within the interval
            assertTrue(answered >= 1, "server pinged " + answered + " times");
            live.send("PING\r\n");
            assertTrue(live.awaitCount("PONG\r\n", 2, Duration.ofSeconds(3)), live.text());
            assertFalse(live.text().contains("-ERR"), live.text());
        }
    }

    @Test
    void clientThatNeverSendsConnectTimesOut() throws Exception {
        try (RawClient mute = RawClient.open(server.port())) {
            long start = System.nanoTime();
            assertTrue(mute.awaitClose(Duration.ofSeconds(5)), "still open: " + mute.text());
            long millis = (System.nanoTime() - start) / 1_000_000;
            String got = mute.text();
            assertTrue(got.startsWith("INFO {") && got.contains("\"auth_required\":true"), got);
            assertTrue(got.endsWith("-ERR 'Authentication Timeout'\r\n"), got);
            assertTrue(millis >= 800 && millis <= 2_500, "closed after " + millis + " ms");
        }
    }
}
