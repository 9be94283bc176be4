package io.weft.server.it;

import io.nats.client.Connection;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Subscription;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static io.weft.server.it.Clients.WAIT;
import static io.weft.server.it.Clients.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Token authentication (a server with a single authorization token). */
class TokenAuthTest {
    static TestServer server;

    @BeforeAll
    static void startServer() {
        server = TestServers.start("authorization {\n  token: \"t0ken-xyz\"\n}\n");
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void rightTokenConnectsAndMessagesFlow() throws Exception {
        try (Connection nc = Nats.connect(options(server).token("t0ken-xyz".toCharArray()).build())) {
            assertTrue(nc.getServerInfo().isAuthRequired());
            Subscription s = nc.subscribe("tok.x");
            nc.flush(WAIT);
            nc.publish("tok.x", new byte[] {7});
            Message m = s.nextMessage(WAIT);
            assertNotNull(m);
            assertEquals(7, m.getData()[0]);
        }
    }

    @Test
    void wrongOrMissingTokenIsRejected() {
        for (var builder : java.util.List.of(
                options(server).token("wrong".toCharArray()),
                options(server),
                options(server).userInfo("t0ken-xyz", "t0ken-xyz"))) {
            var opts = builder.connectionTimeout(java.time.Duration.ofMillis(1000))
                    .errorListener(new Clients.RecordingErrors()).build();
            Exception e = assertThrows(Exception.class, () -> Nats.connect(opts).close());
            assertTrue(String.valueOf(e.getMessage()).contains("Authorization Violation"), e.toString());
        }
    }
}
