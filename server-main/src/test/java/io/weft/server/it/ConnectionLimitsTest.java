package io.weft.server.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * max_connections and max_subscriptions, on raw sockets. Wire texts as nats-server 2.9.10 sends
 * them (checked against /usr/sbin/nats-server): the connection over the limit gets its INFO, then
 * {@code -ERR 'maximum connections exceeded'} and the close; the subscription over the limit gets
 * {@code -ERR 'maximum subscriptions exceeded'} (lower case) and the connection stays.
 */
class ConnectionLimitsTest {
    static final Duration WAIT = Duration.ofSeconds(5);
    static TestServer server;

    @BeforeAll
    static void startServer() {
        server = TestServers.start("max_connections: 2\nmax_subscriptions: 2\n");
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void thirdConnectionIsRefusedWithNatsServersErrorAndTheOthersStay() throws Exception {
        try (RawClient a = RawClient.connected(server.port(), "{\"verbose\":false}");
             RawClient b = RawClient.connected(server.port(), "{\"verbose\":false}");
             RawClient c = RawClient.open(server.port())) {
            assertTrue(c.awaitClose(WAIT), "third connection must be closed; got: " + c.text());
            String got = c.text();
            assertTrue(got.startsWith("INFO {"), got);
            assertTrue(got.endsWith("\r\n-ERR 'maximum connections exceeded'\r\n"), got);
            for (RawClient ok : new RawClient[] {a, b}) {
                ok.send("PING\r\n");
                assertTrue(ok.awaitText("PONG\r\nPONG\r\n", WAIT), ok.text());
                assertFalse(ok.closedByServer());
            }
            assertTrue(server.awaitOutput("maximum connections exceeded", WAIT), server.stderr());
        }
        // once they leave, a new client fits again: the server notices the closes asynchronously,
        // so a connection made in the same instant may still be refused; retry for a while
        RawClient again = null;
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (again == null) {
            try {
                again = RawClient.connected(server.port(), "{\"verbose\":false}");
            } catch (java.io.IOException refused) {
                if (System.nanoTime() > deadline) {
                    throw refused;
                }
                Thread.sleep(50);
            }
        }
        try (RawClient a = again) {
            a.send("PING\r\n");
            assertTrue(a.awaitText("PONG\r\nPONG\r\n", WAIT), a.text());
        }
    }

    @Test
    void thirdSubscriptionIsRefusedAndTheConnectionStays() throws Exception {
        try (RawClient a = RawClient.connected(server.port(), "{\"verbose\":false}");
             RawClient pub = RawClient.connected(server.port(), "{\"verbose\":false}")) {
            a.send("SUB s.1 1\r\nSUB s.2 2\r\nSUB s.3 3\r\nPING\r\n");
            assertTrue(a.awaitCount("PONG\r\n", 2, WAIT), a.text());
            String afterConnect = a.text().substring(a.text().indexOf("PONG\r\n") + 6);
            assertEquals("-ERR 'maximum subscriptions exceeded'\r\nPONG\r\n", afterConnect);
            assertFalse(a.closedByServer());
            // the first two subscriptions work, the refused one does not exist
            pub.send("PUB s.1 1\r\nx\r\nPUB s.3 1\r\nz\r\nPUB s.2 1\r\ny\r\nPING\r\n");
            assertTrue(pub.awaitText("PONG\r\nPONG\r\n", WAIT), pub.text());
            assertTrue(a.awaitText("MSG s.2 2 1\r\ny\r\n", WAIT), a.text());
            assertTrue(a.text().endsWith("PONG\r\nMSG s.1 1 1\r\nx\r\nMSG s.2 2 1\r\ny\r\n"), a.text());
            // an UNSUB makes room for another
            a.send("UNSUB 1\r\nSUB s.3 3\r\nPING\r\n");
            assertTrue(a.awaitCount("PONG\r\n", 3, WAIT), a.text());
            assertFalse(a.text().endsWith("exceeded'\r\nPONG\r\n"), a.text());
        }
    }
}
