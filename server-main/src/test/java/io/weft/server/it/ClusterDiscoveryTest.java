package io.weft.server.it;

import static io.weft.server.it.ClusterTest.UP;
import static io.weft.server.it.ClusterTest.awaitInterest;
import static io.weft.server.it.ClusterTest.connect;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nats.client.Connection;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.Subscription;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Auto-discovery and monitoring of a weft cluster with real processes: gossip completes the mesh,
 * clients learn the cluster's URLs ({@code connect_urls}, updated by async INFO) and fail over with
 * them, {@code no_advertise} keeps them out, and /routez and /varz have nats-server 2.15.1's shape.
 */
class ClusterDiscoveryTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static TestServer node(TestServers.Target target, String name, int clusterPort, String extra, int... routeTo) {
        StringBuilder routes = new StringBuilder();
        for (int p : routeTo) {
            routes.append(routes.isEmpty() ? "" : ", ").append("\"nats-route://127.0.0.1:").append(p).append("\"");
        }
        String conf = "server_name: " + name + "\n"
                + "cluster {\n  name: weft-test\n  listen: \"127.0.0.1:" + clusterPort + "\"\n"
                + (routeTo.length > 0 ? "  routes: [" + routes + "]\n" : "") + extra + "}\n";
        return TestServers.start(target, conf);
    }

    static JsonNode http(TestServer s, String path) throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + s.monitorPort() + path)).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body());
    }

    /** Waits until /routez of {@code s} lists routes to {@code n} distinct servers. */
    static JsonNode awaitPeers(TestServer s, int n) throws Exception {
        long deadline = System.nanoTime() + UP.toNanos();
        JsonNode z = null;
        while (System.nanoTime() < deadline) {
            z = http(s, "/routez");
            Set<String> ids = new HashSet<>();
            for (JsonNode r : z.path("routes")) {
                ids.add(r.path("remote_id").asText());
            }
            if (ids.size() >= n) {
                return z;
            }
            Thread.sleep(50);
        }
        throw new AssertionError(s + " does not reach " + n + " peers: " + z + "\n" + s.stderr());
    }

    static List<String> connectUrls(String infoLine) throws Exception {
        int brace = infoLine.indexOf('{');
        JsonNode info = JSON.readTree(infoLine.substring(brace, infoLine.lastIndexOf('}') + 1));
        List<String> urls = new ArrayList<>();
        for (JsonNode u : info.path("connect_urls")) {
            urls.add(u.asText());
        }
        return urls;
    }

    /** The client INFO {@code s} sends first. */
    static String firstInfo(TestServer s) throws Exception {
        try (RawClient c = RawClient.open(s.port())) {
            assertTrue(c.awaitText("\r\n", Duration.ofSeconds(5)));
            return c.text().substring(0, c.text().indexOf("\r\n"));
        }
    }

    /**
     * B and C are configured with a route to A only; A tells each of the other (gossip), they dial
     * each other (an implicit route), and a message published on B reaches a subscriber on C
     * directly (routes are one hop). Clients get every node's URL, and a client connected before C
     * joined hears of it by async INFO.
     */
    @Test
    void gossipCompletesTheMeshAndClientsLearnTheUrls() throws Exception {
        int[] cp = TestServers.freePorts(3);
        try (TestServer a = node(TestServers.Target.WEFT, "A", cp[0], "");
             TestServer b = node(TestServers.Target.WEFT, "B", cp[1], "", cp[0])) {
            awaitPeers(a, 1);
            awaitPeers(b, 1);
            try (RawClient early = RawClient.connected(a.port(), "{\"protocol\":1,\"verbose\":false}")) {
                List<String> before = connectUrls(early.text());
                assertEquals(List.of("127.0.0.1:" + a.port(), "127.0.0.1:" + b.port()), before);
                try (TestServer c = node(TestServers.Target.WEFT, "C", cp[2], "", cp[0])) {
                    JsonNode zc = awaitPeers(c, 2);
                    awaitPeers(b, 2);
                    awaitPeers(a, 2);
                    for (JsonNode r : zc.path("routes")) {
                        boolean toA = r.path("remote_name").asText().equals("A");
                        // C's route to A is in its configuration; the one with B came from gossip
                        assertEquals(toA, r.path("is_configured").asBoolean(), r.toString());
                    }
                    // the early client hears of C by an async INFO
                    assertTrue(early.awaitText("127.0.0.1:" + c.port(), UP), early.text());
                    List<String> onC = connectUrls(firstInfo(c));
                    assertEquals("127.0.0.1:" + c.port(), onC.get(0), onC.toString());
                    assertEquals(Set.of("127.0.0.1:" + a.port(), "127.0.0.1:" + b.port(), "127.0.0.1:" + c.port()),
                            new HashSet<>(onC));
                    try (Connection cb = connect(b); Connection cc = connect(c)) {
                        Subscription sub = cc.subscribe("mesh.>");
                        cc.flush(Duration.ofSeconds(2));
                        awaitInterest(cb, sub, "mesh.probe");
                        cb.publish("mesh.one", "hello".getBytes(StandardCharsets.UTF_8));
                        Message m = sub.nextMessage(Duration.ofSeconds(5));
                        assertNotNull(m);
                        assertEquals("mesh.one", m.getSubject());
                        assertNull(sub.nextMessage(Duration.ofMillis(300)), "delivered twice");
                    }
                }
                // C went away: the early client is told again, without C
                long deadline = System.nanoTime() + UP.toNanos();
                List<String> last = null;
                while (System.nanoTime() < deadline && !before.equals(last)) {
                    early.readFor(Duration.ofMillis(100));
                    String t = early.text();
                    String tail = t.substring(t.lastIndexOf("INFO "));
                    last = tail.contains("\r\n") ? connectUrls(tail.substring(0, tail.indexOf("\r\n"))) : null;
                }
                assertEquals(before, last, early.text());
            }
        }
    }

    private static void assertNull(Object o, String message) {
        assertTrue(o == null, message);
    }

    /**
     * A jnats client given only A's URL learns B and C from INFO; when A dies it reconnects to one of
     * them and keeps publishing to a subscriber on another node.
     */
    @Test
    void clientFailsOverWithDiscoveredUrls() throws Exception {
        int[] cp = TestServers.freePorts(3);
        try (TestServer a = node(TestServers.Target.WEFT, "A", cp[0], "");
             TestServer b = node(TestServers.Target.WEFT, "B", cp[1], "", cp[0]);
             TestServer c = node(TestServers.Target.WEFT, "C", cp[2], "", cp[0])) {
            awaitPeers(a, 2);
            awaitPeers(b, 2);
            awaitPeers(c, 2);
            Options opts = new Options.Builder().server(a.url()).connectionTimeout(Duration.ofSeconds(5))
                    .reconnectWait(Duration.ofMillis(100)).maxReconnects(-1).build();
            try (Connection client = Nats.connect(opts); Connection onB = connect(b)) {
                long deadline = System.nanoTime() + UP.toNanos();
                while (client.getServers().size() < 3 && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
                assertEquals(3, client.getServers().size(), client.getServers().toString());
                Subscription sub = onB.subscribe("failover");
                onB.flush(Duration.ofSeconds(2));
                awaitInterest(client, sub, "failover");
                a.kill();
                deadline = System.nanoTime() + UP.toNanos();
                while (System.nanoTime() < deadline
                        && (client.getStatus() != Connection.Status.CONNECTED || client.getConnectedUrl().contains(":" + a.port()))) {
                    Thread.sleep(50);
                }
                assertEquals(Connection.Status.CONNECTED, client.getStatus());
                assertFalse(client.getConnectedUrl().contains(":" + a.port()), client.getConnectedUrl());
                awaitInterest(client, sub, "failover");
            }
        }
    }

    /** {@code no_advertise}: that server's clients get no connect_urls, and its peers do not advertise it. */
    @Test
    void noAdvertiseKeepsUrlsFromClients() throws Exception {
        int[] cp = TestServers.freePorts(2);
        try (TestServer a = node(TestServers.Target.WEFT, "A", cp[0], "");
             TestServer b = node(TestServers.Target.WEFT, "B", cp[1], "  no_advertise: true\n", cp[0])) {
            awaitPeers(a, 1);
            awaitPeers(b, 1);
            assertEquals(List.of(), connectUrls(firstInfo(b)));
            assertEquals(List.of("127.0.0.1:" + a.port()), connectUrls(firstInfo(a)));
        }
    }

    /** The keys of a JSON object, in order. */
    static List<String> keys(JsonNode n) {
        List<String> l = new ArrayList<>();
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            l.add(it.next());
        }
        return l;
    }

    /**
     * /routez?subs=1 and the cluster part of /varz of a two-node weft cluster have the field names,
     * in the same order, as those of two nats-server 2.15.1 with pooling disabled (pool_size -1,
     * weft's one route per peer); the figures are weft's own.
     */
    @Test
    void routezAndVarzHaveNatsServerShape() throws Exception {
        List<List<String>> shapes = new ArrayList<>();
        for (TestServers.Target t : List.of(TestServers.Target.NATS_NEWEST, TestServers.Target.WEFT)) {
            int[] cp = TestServers.freePorts(2);
            String extra = t.isNats() ? "  pool_size: -1\n" : "";
            try (TestServer x = node(t, "X", cp[0], extra);
                 TestServer y = node(t, "Y", cp[1], extra, cp[0])) {
                awaitPeers(x, 1);
                awaitPeers(y, 1);
                JsonNode z;
                JsonNode zd;
                try (Connection onY = connect(y); Connection onX = connect(x)) {
                    Subscription sub = onY.subscribe("shape.test");
                    onY.flush(Duration.ofSeconds(2));
                    awaitInterest(onX, sub, "shape.test");
                    z = http(x, "/routez?subs=1");
                    zd = http(x, "/routez?subs=detail");
                }
                JsonNode route = z.path("routes").get(0);
                assertEquals(1, z.path("num_routes").asInt(), z.toString());
                assertEquals("Y", route.path("remote_name").asText());
                assertFalse(route.path("did_solicit").asBoolean());
                boolean listed = false;
                for (JsonNode s : route.path("subscriptions_list")) {
                    listed |= s.asText().equals("shape.test");
                }
                assertTrue(listed, route.toString());
                assertTrue(route.path("in_msgs").asLong() >= 0 && route.path("out_msgs").asLong() >= 1, route.toString());
                JsonNode zy = http(y, "/routez");
                assertTrue(zy.path("routes").get(0).path("did_solicit").asBoolean());
                assertTrue(zy.path("routes").get(0).path("is_configured").asBoolean());
                assertFalse(zy.path("routes").get(0).has("subscriptions_list"), zy.toString());
                JsonNode v = http(y, "/varz");
                assertEquals("weft-test", v.path("cluster").path("name").asText());
                assertEquals(cp[1], v.path("cluster").path("cluster_port").asInt());
                assertEquals("127.0.0.1:" + cp[0], v.path("cluster").path("urls").get(0).asText());
                assertEquals(1, v.path("routes").asInt());
                assertEquals(1, v.path("remotes").asInt());
                shapes.add(keys(z));
                shapes.add(keys(route));
                shapes.add(keys(v.path("cluster")));
                JsonNode detailRoute = zd.path("routes").get(0);
                JsonNode detail = null;
                for (JsonNode d : detailRoute.path("subscriptions_list_detail")) {
                    if (d.path("subject").asText().equals("shape.test")) {
                        detail = d;
                    }
                }
                assertNotNull(detail, detailRoute.toString());
                assertEquals("R $G shape.test", detail.path("sid").asText());
                shapes.add(keys(detailRoute));
                shapes.add(keys(detail));
            }
        }
        assertEquals(shapes.get(0), shapes.get(5), "routez keys");
        assertEquals(shapes.get(1), shapes.get(6), "route keys");
        assertEquals(shapes.get(2), shapes.get(7), "varz cluster keys");
        assertEquals(shapes.get(3), shapes.get(8), "route keys with subs=detail");
        assertEquals(shapes.get(4), shapes.get(9), "subscription detail keys");
    }

    /** The connect_urls of the last INFO {@code c} received. */
    static List<String> lastUrls(RawClient c) throws Exception {
        String t = c.text();
        String tail = t.substring(t.lastIndexOf("INFO "));
        return connectUrls(tail.substring(0, tail.indexOf("\r\n")));
    }

    /**
     * Lame duck mode of a weft node in a cluster with nats-server 2.15.1 and another weft: its
     * clients get INFO with {@code ldm}, its peers stop advertising its URL (their clients get an
     * async INFO without it), and its routes stay up until it exits.
     */
    @Test
    void lameDuckNodeLeavesThePeersConnectUrls() throws Exception {
        int[] cp = TestServers.freePorts(3);
        String ldm = "lame_duck_duration: \"30s\"\nlame_duck_grace_period: \"2s\"\n";
        try (TestServer w1 = TestServers.start(TestServers.Target.WEFT, ldm + "server_name: W1\n"
                     + "cluster {\n  name: weft-test\n  listen: \"127.0.0.1:" + cp[0] + "\"\n}\n");
             TestServer w2 = node(TestServers.Target.WEFT, "W2", cp[1], "", cp[0]);
             TestServer n = node(TestServers.Target.NATS_NEWEST, "N", cp[2], "", cp[0])) {
            awaitPeers(w1, 2);
            awaitPeers(w2, 2);
            awaitPeers(n, 2);
            String gone = "127.0.0.1:" + w1.port();
            try (RawClient onW1 = RawClient.connected(w1.port(), "{\"protocol\":1,\"verbose\":false}");
                 RawClient onW2 = RawClient.connected(w2.port(), "{\"protocol\":1,\"verbose\":false}");
                 RawClient onN = RawClient.connected(n.port(), "{\"protocol\":1,\"verbose\":false}")) {
                assertTrue(connectUrls(onW2.text()).contains(gone), onW2.text());
                assertTrue(connectUrls(onN.text()).contains(gone), onN.text());
                w1.signal("USR2");
                assertTrue(onW1.awaitText("\"ldm\":true", UP), onW1.text());
                for (RawClient c : List.of(onW2, onN)) {
                    long deadline = System.nanoTime() + UP.toNanos();
                    while (System.nanoTime() < deadline && lastUrls(c).contains(gone)) {
                        c.readFor(Duration.ofMillis(100));
                    }
                    assertFalse(lastUrls(c).contains(gone), c.text());
                    assertTrue(lastUrls(c).size() >= 1, c.text());
                }
                // the routes are still up during the grace period
                assertEquals(2, http(w1, "/routez").path("num_routes").asInt());
            }
        }
    }

    /** A nats-server 2.15.1 peer entering lame duck mode: weft stops advertising its URL to its clients. */
    @Test
    void lameDuckNatsServerPeerIsNoLongerAdvertised() throws Exception {
        int[] cp = TestServers.freePorts(2);
        try (TestServer n = TestServers.start(TestServers.Target.NATS_NEWEST, "lame_duck_duration: \"30s\"\n"
                     + "server_name: N\ncluster {\n  name: weft-test\n  listen: \"127.0.0.1:" + cp[0] + "\"\n}\n");
             TestServer w = node(TestServers.Target.WEFT, "W", cp[1], "", cp[0])) {
            awaitPeers(w, 1);
            // nats-server listening on 0.0.0.0 advertises its interfaces' addresses: match by port
            String gone = ":" + n.port();
            try (RawClient onW = RawClient.connected(w.port(), "{\"protocol\":1,\"verbose\":false}")) {
                assertTrue(connectUrls(onW.text()).stream().anyMatch(u -> u.endsWith(gone)), onW.text());
                n.signal("USR2");
                long deadline = System.nanoTime() + UP.toNanos();
                while (System.nanoTime() < deadline && lastUrls(onW).stream().anyMatch(u -> u.endsWith(gone))) {
                    onW.readFor(Duration.ofMillis(100));
                }
                assertEquals(List.of("127.0.0.1:" + w.port()), lastUrls(onW), onW.text());
            }
        }
    }
}
