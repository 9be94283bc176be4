package io.weft.server.it;

import io.nats.client.Connection;
import io.nats.client.Nats;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static io.weft.server.it.Clients.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Configuration reload on SIGHUP and on {@code --signal reload=PID}. Behaviour of nats-server
 * 2.9.10 (checked against it, and this test passes against it too): a user removed from the
 * config loses its open connection without any {@code -ERR} (a plain close); other clients stay;
 * new connections see the new INFO limits; a broken file is reported as "Failed to reload server
 * configuration: ..." and the old configuration stays in force.
 */
class ReloadTest {
    static final Duration WAIT = Duration.ofSeconds(5);
    static final String USERS_AB = "authorization { users: [ {user: a, password: a}, {user: b, password: b} ] }\n";
    TestServer server;

    @AfterEach
    void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    private static String login(String user) {
        return "{\"verbose\":false,\"protocol\":1,\"user\":\"" + user + "\",\"pass\":\"" + user + "\"}";
    }

    private Connection jnats(String user) throws Exception {
        return Nats.connect(options(server).userInfo(user, user).build());
    }

    @Test
    void hangupAppliesUsersLimitsAndLogLevel() throws Exception {
        server = TestServers.start(USERS_AB);
        try (RawClient c = RawClient.open(server.port())) {
            c.awaitText("\r\n", WAIT);
            c.send("CONNECT " + login("c") + "\r\nPING\r\n");
            assertTrue(c.awaitClose(WAIT), c.text());
            assertTrue(c.text().endsWith("-ERR 'Authorization Violation'\r\n"), "c is not a user yet: " + c.text());
        }
        try (Connection a = jnats("a"); RawClient b = RawClient.connected(server.port(), login("b"))) {
            b.send("SUB x 1\r\nPING\r\n");
            assertTrue(b.awaitCount("PONG\r\n", 2, WAIT), b.text());
            int before = b.text().length();

            server.rewriteConfig("authorization { users: [ {user: a, password: a}, {user: c, password: c} ] }\n"
                    + "max_payload: 2000\ndebug: true\n");
            server.signal("HUP");

            assertTrue(b.awaitClose(WAIT), "removed user b must be disconnected; got " + b.text());
            assertEquals("", b.text().substring(before), "nats-server closes a removed user without a word");
            assertTrue(server.awaitOutput("Reloaded server configuration", WAIT), server.stderr());

            // the remaining user is untouched
            a.flush(WAIT);
            assertEquals(Connection.Status.CONNECTED, a.getStatus());
            // the added user gets in, and new connections are told the new max_payload
            try (Connection c = jnats("c")) {
                assertEquals(2000, c.getServerInfo().getMaxPayload());
                c.flush(WAIT);
            }
            try (RawClient fresh = RawClient.open(server.port())) {
                assertTrue(fresh.awaitText("\r\n", WAIT));
                assertTrue(fresh.text().contains("\"max_payload\":2000"), fresh.text());
            }
            // debug: true took effect: connection events are now logged at [DBG]
            assertTrue(server.awaitOutput("[DBG]", WAIT), server.stderr());
        }
    }

    @Test
    void loweringMaxConnectionsClosesTheExcess() throws Exception {
        server = TestServers.start("max_connections: 3\n");
        String hello = "{\"verbose\":false,\"protocol\":1}";
        try (RawClient c1 = RawClient.connected(server.port(), hello);
             RawClient c2 = RawClient.connected(server.port(), hello);
             RawClient c3 = RawClient.connected(server.port(), hello)) {
            server.rewriteConfig("max_connections: 1\n");
            server.signal("HUP");
            assertTrue(server.awaitOutput("Reloaded server configuration", WAIT), server.stderr());
            int closed = 0;
            for (RawClient c : new RawClient[] {c1, c2, c3}) {
                c.readFor(Duration.ofMillis(300));
                if (c.closedByServer()) {
                    closed++;
                    // after the PONG (and the connect_info INFO that follows the first PONG for protocol 1)
                    assertTrue(c.text().contains("PONG\r\n")
                            && c.text().endsWith("\r\n-ERR 'maximum connections exceeded'\r\n"), c.text());
                } else {
                    c.send("PING\r\n");
                    assertTrue(c.awaitCount("PONG\r\n", 2, WAIT), c.text());
                }
            }
            assertEquals(2, closed, "nats-server closes the clients over the new limit");
        }
    }

    @Test
    void reloadWithoutConfigFileIsRefused() throws Exception {
        server = TestServers.startWithoutConfig(TestServers.target());
        server.signal("HUP");
        assertTrue(server.awaitOutput("[ERR] Failed to reload server configuration: can only reload config when a file"
                + " is provided using -c or --config", WAIT), server.stderr());
        assertTrue(server.isAlive());
        try (RawClient c = RawClient.connected(server.port(), "{\"verbose\":false}")) {
            assertFalse(c.closedByServer());
        }
    }

    @Test
    void brokenConfigOnReloadKeepsTheOldOne() throws Exception {
        server = TestServers.start(USERS_AB);
        try (Connection a = jnats("a")) {
            server.rewriteConfig("authorization { users: [ {user: a, password: a} ]\n");
            server.signal("HUP");
            assertTrue(server.awaitOutput("Failed to reload server configuration", WAIT), server.stderr());
            assertTrue(server.isAlive());
            a.flush(WAIT);
            assertEquals(Connection.Status.CONNECTED, a.getStatus());
            // b still exists under the old configuration
            try (Connection b = jnats("b")) {
                b.flush(WAIT);
            }
        }
    }

    @Test
    void reloadThroughTheSignalCommand() throws Exception {
        server = TestServers.start(USERS_AB);
        server.rewriteConfig(USERS_AB.replace("{user: b, password: b}", "{user: b, password: b}, {user: d, password: d}"));
        List<String> cmd = List.of("--signal", "reload=" + server.pid());
        TestServers.Result r = server.target() == TestServers.Target.WEFT
                ? TestServers.runWeft(Duration.ofSeconds(20), concat("serve", cmd))
                : run(concat(TestServers.NATS_SERVER_BINARY, cmd));
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(server.awaitOutput("Reloaded server configuration", WAIT), server.stderr());
        try (Connection d = jnats("d")) {
            d.flush(WAIT);
        }
        assertFalse(server.stderr().contains("Failed to reload"), server.stderr());
    }

    private static String[] concat(String first, List<String> rest) {
        String[] out = new String[rest.size() + 1];
        out[0] = first;
        for (int i = 0; i < rest.size(); i++) {
            out[i + 1] = rest.get(i);
        }
        return out;
    }

    private static TestServers.Result run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        assertTrue(p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS), List.of(cmd) + " hung");
        return new TestServers.Result(p.exitValue(), new String(p.getInputStream().readAllBytes()));
    }
}
