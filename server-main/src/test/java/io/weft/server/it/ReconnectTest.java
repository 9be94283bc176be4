package io.weft.server.it;

import io.nats.client.Connection;
import io.nats.client.ConnectionListener;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.Subscription;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static io.weft.server.it.Clients.WAIT;
import static io.weft.server.it.Clients.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * jnats reconnects after the server is killed and restarted on the same port, and its
 * subscription (re-sent by the client) resumes getting messages.
 *
 * <p>The publisher after the restart is a fresh connection on purpose: with jnats 2.25.0 a
 * connection that publishes right after an automatic reconnect sometimes stops writing (the
 * server sees one message, then nothing; flush() times out). Reproduced about 1 run in 3 against
 * nats-server; not seen in 8 runs with jnats 2.26.2. It is a client bug, not a server behaviour.
 */
class ReconnectTest {
    static TestServer server;

    @BeforeAll
    static void startServer() {
        server = TestServers.start("");
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void subscriptionResumesAfterServerRestart() throws Exception {
        List<String> events = new CopyOnWriteArrayList<>();
        AtomicInteger down = new AtomicInteger();
        AtomicInteger up = new AtomicInteger();
        AtomicInteger resubscribed = new AtomicInteger();
        ConnectionListener listener = (conn, event) -> {
            events.add(event.toString());
            switch (event) {
                case DISCONNECTED -> down.incrementAndGet();
                case RECONNECTED -> up.incrementAndGet();
                case RESUBSCRIBED -> resubscribed.incrementAndGet();
                default -> { }
            }
        };
        Options subOptions = Options.builder()
                .server(server.url())
                .connectionTimeout(Duration.ofSeconds(2))
                .maxReconnects(-1)
                .reconnectWait(Duration.ofMillis(50))
                .connectionListener(listener)
                .errorListener(new Clients.RecordingErrors())
                .build();
        try (Connection sub = Nats.connect(subOptions)) {
            Subscription s = sub.subscribe("rc.x");
            sub.flush(WAIT);
            try (Connection pub = Clients.connect(server)) {
                pub.publish("rc.x", "before".getBytes(StandardCharsets.UTF_8));
                pub.flush(WAIT);
                Message first = s.nextMessage(WAIT);
                assertNotNull(first);
                assertEquals("before", new String(first.getData(), StandardCharsets.UTF_8));
            }

            server.restart();

            assertTrue(await(() -> up.get() >= 1 && sub.getStatus() == Connection.Status.CONNECTED),
                    "subscriber reconnects; events " + events + "\nserver output:\n" + server.stderr());
            assertTrue(down.get() >= 1, events.toString());
            assertTrue(await(() -> resubscribed.get() >= 1), events.toString());

            try (Connection pub = Clients.connect(server)) {
                // the re-sent SUB may land a moment after RECONNECTED: probe until one gets through
                long deadline = System.nanoTime() + WAIT.toNanos();
                boolean through = false;
                while (!through && System.nanoTime() < deadline) {
                    pub.publish("rc.x", "probe".getBytes(StandardCharsets.UTF_8));
                    pub.flush(WAIT);
                    through = s.nextMessage(Duration.ofMillis(100)) != null;
                }
                assertTrue(through, "the subscription gets messages again after the restart; events " + events);
                while (s.nextMessage(Duration.ofMillis(100)) != null) {
                    // drop extra probes
                }
                for (int i = 0; i < 10; i++) {
                    pub.publish("rc.x", ("after-" + i).getBytes(StandardCharsets.UTF_8));
                }
                pub.flush(WAIT);
                for (int i = 0; i < 10; i++) {
                    Message m = s.nextMessage(WAIT);
                    assertNotNull(m, "message " + i + " after restart");
                    assertEquals("after-" + i, new String(m.getData(), StandardCharsets.UTF_8));
                }
                assertNull(s.nextMessage(Duration.ofMillis(150)));
            }
        }
    }
}
