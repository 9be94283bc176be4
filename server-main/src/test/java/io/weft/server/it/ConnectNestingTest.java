package io.weft.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A deeply nested CONNECT, on raw sockets, against weft and nats-server 2.15.1 with a control line
 * long enough to carry it: Go's JSON decoder, and so nats-server, accepts 10,000 levels (the outer
 * object included) and closes a deeper CONNECT without -ERR. Weft once closed at 1,001 levels.
 */
class ConnectNestingTest {
    private static final String CONF = "max_control_line: 262144\n";

    @Test
    void nestingUpToGosLimitIsAcceptedAndDeeperClosesWithoutErr() throws Exception {
        try (TestServer weft = TestServers.start(TestServers.Target.WEFT, CONF); TestServer nats = TestServers.start(TestServers.Target.NATS_NEWEST, CONF)) {
            for (TestServer server : List.of(nats, weft)) {
                for (int inner : new int[] {1_001, 9_999}) {
                    try (RawClient c = RawClient.open(server.port())) {
                        c.awaitText("\r\n", Duration.ofSeconds(5));
                        c.send("CONNECT " + nested(inner) + "\r\nPING\r\n");
                        assertTrue(c.awaitText("PONG\r\n", Duration.ofSeconds(10)),
                                server.target() + " depth " + (inner + 1) + ": " + c.text());
                        assertTrue(c.text().contains("+OK\r\nPONG\r\n"), c.text());
                    }
                }
                try (RawClient c = RawClient.open(server.port())) {
                    c.awaitText("\r\n", Duration.ofSeconds(5));
                    String info = c.text();
                    c.send("CONNECT " + nested(10_000) + "\r\nPING\r\n");
                    assertTrue(c.awaitClose(Duration.ofSeconds(10)), server.target() + ": still open: " + c.text());
                    assertEquals(info, c.text(), server.target() + " sent something after INFO");
                    assertFalse(c.text().contains("-ERR"));
                }
            }
            assertTrue(weft.awaitOutput("exceeded max depth", Duration.ofSeconds(5)), weft.stderr());
            assertTrue(nats.awaitOutput("exceeded max depth", Duration.ofSeconds(5)), nats.stderr());
        }
    }

    /** A verbose CONNECT whose one extra field holds {@code arrays} nested arrays. */
    private static String nested(int arrays) {
        return "{\"verbose\":true,\"x\":" + "[".repeat(arrays) + "]".repeat(arrays) + "}";
    }
}
