package io.weft.server.it;

import static io.weft.server.it.ClusterTest.UP;
import static io.weft.server.it.ClusterTest.awaitRoutes;
import static io.weft.server.it.ClusterTest.connect;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nats.client.Connection;
import io.nats.client.Subscription;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mindrot.jbcrypt.BCrypt;

/**
 * Route authorization ({@code cluster { authorization { user, password, timeout } }} and route
 * URLs {@code nats-route://user:pass@host:port}) with real processes, weft with weft and weft with
 * nats-server 2.15.1 either way round: with the right credentials the route forms and messages
 * cross; with wrong or missing ones it never forms, the accepting server logs
 * {@code authentication error - User "x"} and the dialling one {@code Route Error 'Authorization Violation'},
 * as nats-server does.
 */
class ClusterAuthTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String AUTH = "  authorization { user: ruser, password: rpass }\n";

    /** A node of cluster weft-test on 127.0.0.1:{@code clusterPort} with the given extra lines and route URLs. */
    static TestServer node(TestServers.Target target, String name, int clusterPort, String extra, String... routeUrls) {
        List<String> quoted = new ArrayList<>();
        for (String u : routeUrls) {
            quoted.add("\"" + u + "\"");
        }
        String conf = "server_name: " + name + "\n"
                + "cluster {\n  name: weft-test\n  listen: \"127.0.0.1:" + clusterPort + "\"\n"
                + (routeUrls.length > 0 ? "  routes: [" + String.join(", ", quoted) + "]\n" : "") + extra + "}\n";
        return TestServers.start(target, conf);
    }

    static String url(String userInfo, int port) {
        return "nats-route://" + (userInfo == null ? "" : userInfo + "@") + "127.0.0.1:" + port;
    }

    static int numRoutes(TestServer s) throws Exception {
        return ClusterDiscoveryTest.http(s, "/routez").path("num_routes").asInt();
    }

    /**
     * Asserts that {@code s} keeps no route: a refused peer dials again and again (nats-server also
     * opens a dedicated system account route each time), so a route may exist for the moment
     * between its creation and the refusal; it must be gone at some sample within the wait, and
     * {@code /routez} of the refusing side never lists it (checked by the callers).
     */
    static void assertNoLastingRoute(TestServer s) throws Exception {
        long deadline = System.nanoTime() + UP.toNanos();
        int n = numRoutes(s);
        while (n != 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
            n = numRoutes(s);
        }
        assertEquals(0, n, s.stderr());
    }

    /** Waits until {@code s} logged {@code text}. */
    static void awaitLog(TestServer s, String text) throws InterruptedException {
        assertTrue(s.awaitOutput(text, UP), s + " never logged " + text + ":\n" + s.stderr());
    }

    /** No route between {@code a} and {@code b}: /routez of both is empty and a message from a never reaches b. */
    static void assertNoRoute(TestServer a, TestServer b) throws Exception {
        assertEquals(0, numRoutes(a), a.stderr());
        assertEquals(0, numRoutes(b), b.stderr());
        assertNoTraffic(a, b);
    }

    /** A message published on {@code a} never reaches a subscriber on {@code b}. */
    static void assertNoTraffic(TestServer a, TestServer b) throws Exception {
        try (Connection ca = connect(a); Connection cb = connect(b)) {
            Subscription sub = cb.subscribe("cross.>");
            cb.flush(Duration.ofSeconds(2));
            for (int i = 0; i < 10; i++) {
                ca.publish("cross.x", "no".getBytes(StandardCharsets.UTF_8));
            }
            ca.flush(Duration.ofSeconds(2));
            assertNull(sub.nextMessage(Duration.ofSeconds(1)), "a message crossed a route that must not exist");
        }
    }

    @Test
    void weftNodesWithTheRightCredentialsAndABcryptPassword() throws Exception {
        int[] cp = TestServers.freePorts(2);
        String hash = BCrypt.hashpw("rpass", BCrypt.gensalt(6));
        try (TestServer a = node(TestServers.Target.WEFT, "A", cp[0], "  authorization { user: ruser, password: \"" + hash + "\" }\n");
             TestServer b = node(TestServers.Target.WEFT, "B", cp[1], AUTH, url("ruser:rpass", cp[0]))) {
            awaitRoutes(a, 1);
            awaitRoutes(b, 1);
            JsonNode info = routeInfo(cp[0]);
            assertTrue(info.path("auth_required").asBoolean(), info.toString());
            ClusterTest.pubSubAndRequestReply(a, b);
            ClusterTest.pubSubAndRequestReply(b, a);
            ClusterTest.queueGroupExactlyOnce(a, b);
        }
    }

    /** {@code --cluster nats://user:pass@host:port} sets the route authorization, {@code --routes} URLs carry credentials. */
    @Test
    void credentialsFromTheCommandLine() throws Exception {
        int[] cp = TestServers.freePorts(3);
        try (TestServer a = TestServers.start(TestServers.Target.WEFT, "server_name: A\n",
                "--cluster", "nats://ruser:rpass@127.0.0.1:" + cp[0], "--cluster_name", "weft-test");
             TestServer b = TestServers.start(TestServers.Target.WEFT, "server_name: B\n",
                     "--cluster", "nats://127.0.0.1:" + cp[1], "--cluster_name", "weft-test",
                     "--routes", url("ruser:rpass", cp[0]));
             TestServer c = TestServers.start(TestServers.Target.WEFT, "server_name: C\n",
                     "--cluster", "nats://127.0.0.1:" + cp[2], "--cluster_name", "weft-test",
                     "--routes", url("ruser:nope", cp[0]))) {
            awaitRoutes(a, 1);
            ClusterTest.pubSubAndRequestReply(b, a);
            awaitLog(c, "Route Error 'Authorization Violation'");
            assertNoLastingRoute(c);
            assertNoTraffic(a, c);
        }
    }

    @Test
    void wrongOrMissingCredentialsNeverFormARoute() throws Exception {
        int[] cp = TestServers.freePorts(3);
        try (TestServer a = node(TestServers.Target.WEFT, "A", cp[0], AUTH);
             TestServer b = node(TestServers.Target.WEFT, "B", cp[1], "", url("ruser:wrong", cp[0]));
             TestServer c = node(TestServers.Target.WEFT, "C", cp[2], "", url(null, cp[0]))) {
            awaitLog(a, "authentication error - User \"ruser\"");
            awaitLog(a, " - authentication error\n");
            awaitLog(b, "Route Error 'Authorization Violation'");
            awaitLog(c, "Route Error 'Authorization Violation'");
            assertNoRoute(a, b);
            assertNoRoute(a, c);
            assertFalse(a.stderr().contains("Route connection accepted"), a.stderr());
        }
    }

    @Test
    void natsServerDialsWeftWithRightAndWrongCredentials() throws Exception {
        int[] cp = TestServers.freePorts(3);
        try (TestServer w = node(TestServers.Target.WEFT, "W", cp[0], AUTH);
             TestServer good = node(TestServers.Target.NATS_NEWEST, "N", cp[1], AUTH, url("ruser:rpass", cp[0]));
             TestServer bad = node(TestServers.Target.NATS_NEWEST, "X", cp[2], "", url("ruser:wrong", cp[0]))) {
            awaitRoutes(w, 1);
            ClusterTest.pubSubAndRequestReply(good, w);
            ClusterTest.pubSubAndRequestReply(w, good);
            awaitLog(w, "authentication error - User \"ruser\"");
            awaitLog(bad, "Route Error 'Authorization Violation'");
            assertNoLastingRoute(bad);
            assertTrue(ClusterDiscoveryTest.http(w, "/routez").toString().contains("\"N\""));
            assertFalse(ClusterDiscoveryTest.http(w, "/routez").toString().contains("\"X\""));
        }
    }

    @Test
    void weftDialsNatsServerWithRightAndWrongCredentials() throws Exception {
        int[] cp = TestServers.freePorts(3);
        try (TestServer n = node(TestServers.Target.NATS_NEWEST, "N", cp[0], AUTH);
             TestServer good = node(TestServers.Target.WEFT, "W", cp[1], AUTH, url("ruser:rpass", cp[0]));
             TestServer bad = node(TestServers.Target.WEFT, "X", cp[2], "", url("ruser:wrong", cp[0]))) {
            awaitRoutes(good, 1);
            ClusterTest.pubSubAndRequestReply(good, n);
            ClusterTest.pubSubAndRequestReply(n, good);
            awaitLog(n, "authentication error - User \"ruser\"");
            awaitLog(bad, "Route Error 'Authorization Violation'");
            assertNoLastingRoute(bad);
            assertNoTraffic(bad, n);
            assertFalse(ClusterDiscoveryTest.http(n, "/routez").toString().contains("\"X\""));
        }
    }

    /**
     * A route learned by gossip is dialled with the cluster block's own credentials when the new
     * peer requires them (as nats-server): B and C know only A, and still connect to each other.
     */
    @Test
    void gossipedRoutesUseTheBlocksCredentials() throws Exception {
        int[] cp = TestServers.freePorts(3);
        try (TestServer a = node(TestServers.Target.WEFT, "A", cp[0], AUTH);
             TestServer b = node(TestServers.Target.WEFT, "B", cp[1], AUTH, url("ruser:rpass", cp[0]));
             TestServer c = node(TestServers.Target.NATS_NEWEST, "C", cp[2], AUTH, url("ruser:rpass", cp[0]))) {
            ClusterDiscoveryTest.awaitPeers(a, 2);
            ClusterDiscoveryTest.awaitPeers(b, 2);
            ClusterDiscoveryTest.awaitPeers(c, 2);
            ClusterTest.pubSubAndRequestReply(b, c);
            ClusterTest.pubSubAndRequestReply(c, b);
            assertFalse(a.stderr().contains("authentication error"), a.stderr());
            assertFalse(b.stderr().contains("authentication error"), b.stderr());
        }
    }

    /**
     * The raw route port, the same on weft and nats-server: INFO says {@code auth_required}; a
     * first op other than CONNECT, and a CONNECT with a wrong password, get
     * {@code -ERR 'Authorization Violation'}; no CONNECT within the timeout gets
     * {@code -ERR 'Authentication Timeout'}.
     */
    @Test
    void rawRoutePortAnswersAsNatsServer() throws Exception {
        for (TestServers.Target t : List.of(TestServers.Target.WEFT, TestServers.Target.NATS_NEWEST)) {
            int cp = TestServers.freePorts(1)[0];
            try (TestServer s = node(t, "S", cp, "  authorization { user: ruser, password: rpass, timeout: 1 }\n")) {
                try (RawClient r = RawClient.open(cp)) {
                    assertTrue(r.awaitText("\r\n", Duration.ofSeconds(5)), t + ": " + r.text());
                    assertTrue(r.text().contains("\"auth_required\":true"), t + ": " + r.text());
                    assertTrue(r.awaitText("-ERR 'Authentication Timeout'", Duration.ofSeconds(10)), t + ": " + r.text() + "\n" + s.stderr());
                    assertTrue(r.awaitClose(Duration.ofSeconds(5)), t + " kept the route open");
                }
                try (RawClient r = RawClient.open(cp)) {
                    r.awaitText("\r\n", Duration.ofSeconds(5));
                    r.send("PING\r\n");
                    assertTrue(r.awaitText("-ERR 'Authorization Violation'", Duration.ofSeconds(5)), t + ": " + r.text());
                    assertTrue(r.awaitClose(Duration.ofSeconds(5)), t + " kept the route open");
                }
                try (RawClient r = RawClient.open(cp)) {
                    r.awaitText("\r\n", Duration.ofSeconds(5));
                    r.send("CONNECT {\"echo\":true,\"verbose\":false,\"pedantic\":false,\"user\":\"ruser\",\"pass\":\"bad\","
                            + "\"tls_required\":false,\"headers\":true,\"name\":\"NRAW\",\"cluster\":\"weft-test\"}\r\n");
                    assertTrue(r.awaitText("-ERR 'Authorization Violation'", Duration.ofSeconds(5)), t + ": " + r.text());
                    assertTrue(r.awaitClose(Duration.ofSeconds(5)), t + " kept the route open");
                }
                awaitLog(s, "authentication error - User \"ruser\"");
            }
        }
    }

    /**
     * A reload that changes the route password closes the accepted routes whose credentials no
     * longer pass (as nats-server); one that changes the cluster port is refused with
     * nats-server's words and the running configuration stays.
     */
    @Test
    void reloadAppliesNewCredentialsAndRefusesANewPort() throws Exception {
        int[] cp = TestServers.freePorts(3);
        try (TestServer a = node(TestServers.Target.WEFT, "A", cp[0], AUTH);
             TestServer b = node(TestServers.Target.WEFT, "B", cp[1], "", url("ruser:rpass", cp[0]))) {
            awaitRoutes(a, 1);
            ClusterTest.pubSubAndRequestReply(b, a);
            String base = "server_name: A\ncluster {\n  name: weft-test\n  listen: \"127.0.0.1:%d\"\n"
                    + "  authorization { user: ruser, password: %s }\n}\n";
            a.rewriteConfig(base.formatted(cp[2], "rpass"));
            a.signal("HUP");
            awaitLog(a, "Failed to reload server configuration: config reload not supported for cluster port: old="
                    + cp[0] + ", new=" + cp[2]);
            ClusterTest.pubSubAndRequestReply(b, a); // the route is still up

            a.rewriteConfig(base.formatted(cp[0], "changed"));
            a.signal("HUP");
            awaitLog(a, "authentication error - User \"ruser\"");
            awaitLog(b, "Route Error 'Authorization Violation'");
            long deadline = System.nanoTime() + UP.toNanos();
            while (numRoutes(a) > 0 && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertNoRoute(a, b);
        }
    }

    /** The first line the route port sends (INFO), as JSON. */
    static JsonNode routeInfo(int clusterPort) throws Exception {
        try (RawClient r = RawClient.open(clusterPort)) {
            assertTrue(r.awaitText("\r\n", Duration.ofSeconds(5)), r.text());
            String line = r.text().substring(0, r.text().indexOf("\r\n"));
            return JSON.readTree(line.substring(line.indexOf('{')));
        }
    }

    /** What a route user cannot be is refused in nats-server 2.15.1's words (compared with its {@code -t}). */
    @Test
    void configErrorsAreNatsServers() throws Exception {
        List<String> differ = new ArrayList<>();
        for (String conf : List.of(
                "cluster {\n  port: 21050\n  authorization { token: abc }\n}\n",
                "cluster {\n  port: 21050\n  authorization { users: [ {user: a, password: b} ] }\n}\n",
                "cluster {\n  name: \"a b\"\n}\n")) {
            String ours = AccountLinksTest.problems(AccountLinksTest.weftCheck(conf));
            String theirs = AccountLinksTest.problems(AccountLinksTest.natsCheck(conf));
            if (theirs.isEmpty() || !ours.equals(theirs)) {
                differ.add(conf + "\n  weft: " + ours + "\n  nats: " + theirs);
            }
        }
        assertEquals(List.of(), differ, String.join("\n", differ));
        java.nio.file.Path f = java.nio.file.Files.createTempFile("weft-cluster", ".conf");
        try {
            java.nio.file.Files.writeString(f, "server_name: s\n");
            TestServers.Result r = TestServers.runWeft(Duration.ofSeconds(60), "serve", "-c", f.toString(),
                    "--cluster", "nats://u@127.0.0.1:21051", "-t");
            assertEquals(1, r.exitCode(), r.output());
            assertTrue(r.output().contains("expected cluster password to be set"), r.output());
        } finally {
            java.nio.file.Files.deleteIfExists(f);
        }
    }
}
