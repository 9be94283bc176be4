package io.weft.server.it;

import io.nats.client.Connection;
import io.nats.client.ConnectionListener;
import io.nats.client.Nats;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static io.weft.server.it.Clients.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Lame duck mode (SIGUSR2 and {@code --signal ldm=PID}). Clients that sent {@code protocol: 1}
 * get an INFO with {@code "ldm":true} (a protocol-0 client gets none, as with nats-server 2.9.10),
 * jnats reports LAME_DUCK, the listener is closed, the remaining clients are closed after the
 * grace period and within the duration, and the process exits 0.
 *
 * <p>nats-server refuses a lame_duck_duration under 30 s, so against it the test uses 30 s (with
 * two clients it still finishes in about 2 s); weft is started with WEFT_LAME_DUCK_MINIMUM=1s and
 * the 5 s duration.
 */
class LameDuckTest {
    static final Duration WAIT = Duration.ofSeconds(5);
    TestServer server;

    @AfterEach
    void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    private TestServer start() {
        TestServers.Target t = TestServers.target();
        String duration = t == TestServers.Target.WEFT ? "5s" : "30s";
        return TestServers.start(t, Map.of("WEFT_LAME_DUCK_MINIMUM", "1s"),
                "lame_duck_duration: \"" + duration + "\"\nlame_duck_grace_period: \"1s\"\n");
    }

    @Test
    void usr2DrainsClientsAndExitsCleanly() throws Exception {
        server = start();
        List<ConnectionListener.Events> events = new CopyOnWriteArrayList<>();
        try (RawClient modern = RawClient.connected(server.port(), "{\"verbose\":false,\"protocol\":1}");
             RawClient old = RawClient.connected(server.port(), "{\"verbose\":false}");
             Connection jn = Nats.connect(options(server).connectionListener((c, e) -> events.add(e)).build())) {
            jn.flush(WAIT);
            int oldBefore = old.text().length();
            long start = System.nanoTime();
            server.signal("USR2");

            assertTrue(modern.awaitText("\"ldm\":true", WAIT), "no lame duck INFO: " + modern.text());
            assertTrue(Clients.await(() -> events.contains(ConnectionListener.Events.LAME_DUCK), WAIT), "jnats events " + events);
            assertTrue(server.awaitOutput("Entering lame duck mode", WAIT), server.stderr());
            assertRefused(server.port());

            for (RawClient c : new RawClient[] {modern, old}) {
                long left = Duration.ofSeconds(7).toNanos() - (System.nanoTime() - start);
                assertTrue(c.awaitClose(Duration.ofNanos(Math.max(1, left))), "still connected: " + c.text());
            }
            assertTrue(Clients.await(() -> jn.getStatus() == Connection.Status.CLOSED, WAIT), "jnats " + jn.getStatus());
            long closedAfter = (System.nanoTime() - start) / 1_000_000;
            assertTrue(closedAfter >= 900, "clients must get the 1 s grace period, closed after " + closedAfter + " ms");
            assertFalse(old.text().substring(oldBefore).contains("INFO"), "protocol 0 client got an INFO: " + old.text());
            assertEquals(0, server.awaitExit(WAIT), server.stderr());
        }
    }

    @Test
    void signalCommandEntersLameDuckMode() throws Exception {
        server = start();
        try (RawClient c = RawClient.connected(server.port(), "{\"verbose\":false,\"protocol\":1}")) {
            String[] cmd = {"--signal", "ldm=" + server.pid()};
            int rc;
            String output;
            if (server.target() == TestServers.Target.WEFT) {
                TestServers.Result r = TestServers.runWeft(Duration.ofSeconds(20), "serve", cmd[0], cmd[1]);
                rc = r.exitCode();
                output = r.output();
            } else {
                Process p = new ProcessBuilder(TestServers.NATS_SERVER_BINARY, cmd[0], cmd[1]).redirectErrorStream(true).start();
                assertTrue(p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS));
                rc = p.exitValue();
                output = new String(p.getInputStream().readAllBytes());
            }
            assertEquals(0, rc, output);
            assertTrue(c.awaitText("\"ldm\":true", WAIT), c.text());
            assertTrue(c.awaitClose(Duration.ofSeconds(7)), c.text());
            assertEquals(0, server.awaitExit(WAIT), server.stderr());
        }
    }

    /** A new connection is refused outright or closed without ever being served. */
    private static void assertRefused(int port) throws IOException {
        RawClient c;
        try {
            c = RawClient.open(port);
        } catch (IOException refused) {
            return;
        }
        try (c) {
            c.send("CONNECT {\"verbose\":false}\r\nPING\r\n");
            c.awaitText("PONG", Duration.ofMillis(500));
            assertFalse(c.text().contains("PONG"), "a new client was served in lame duck mode: " + c.text());
        } catch (IOException reset) {
            // refused by a reset
        }
    }
}
