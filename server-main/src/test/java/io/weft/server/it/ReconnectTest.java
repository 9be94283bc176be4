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
import java.util.concurrent.atomic.AtomicInteger;

import static io.weft.server.it.Clients.WAIT;
import static io.weft.server.it.Clients.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** jnats reconnects after the server is killed and restarted on the same port; subscriptions resume. */
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

    private static Connection reconnecting(AtomicInteger disconnects, AtomicInteger reconnects) throws Exception {
        ConnectionListener listener = (conn, event) -> {
            if (event == ConnectionListener.Events.DISCONNECTED) {
                disconnects.incrementAndGet();
            } else if (event == ConnectionListener.Events.RECONNECTED) {
                reconnects.incrementAndGet();
            }
        };
        return Nats.connect(Options.builder()
                .server(server.url())
                .connectionTimeout(Duration.ofSeconds(2))
                .maxReconnects(-1)
                .reconnectWait(Duration.ofMillis(50))
                .connectionListener(listener)
                .errorListener(new Clients.RecordingErrors())
                .build());
    }

    @Test
    void subscriptionResumesAfterServerRestart() throws Exception {
        AtomicInteger subDown = new AtomicInteger();
        AtomicInteger subUp = new AtomicInteger();
        AtomicInteger pubDown = new AtomicInteger();
        AtomicInteger pubUp = new AtomicInteger();
        try (Connection sub = reconnecting(subDown, subUp); Connection pub = reconnecting(pubDown, pubUp)) {
            Subscription s = sub.subscribe("rc.x");
            sub.flush(WAIT);
            pub.publish("rc.x", "before".getBytes(StandardCharsets.UTF_8));
            Message first = s.nextMessage(WAIT);
            assertNotNull(first);
            assertEquals("before", new String(first.getData(), StandardCharsets.UTF_8));

            server.restart();

            assertTrue(await(() -> subUp.get() >= 1 && pubUp.get() >= 1),
                    "both clients reconnect; sub " + subUp + ", pub " + pubUp + "\nserver output:\n" + server.stderr());
            assertTrue(subDown.get() >= 1 && pubDown.get() >= 1);
            assertTrue(await(() -> sub.getStatus() == Connection.Status.CONNECTED
                    && pub.getStatus() == Connection.Status.CONNECTED));
            sub.flush(WAIT); // the re-sent SUB has been processed by the new server

            // drop anything the clients may have buffered across the outage, then check a fresh batch
            while (s.nextMessage(Duration.ofMillis(100)) != null) {
                // discard
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
