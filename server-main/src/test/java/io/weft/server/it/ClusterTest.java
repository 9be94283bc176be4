package io.weft.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.Subscription;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Core NATS clustering with real processes on free ports: two or three weft servers joined by
 * routes (the {@code --cluster}/{@code --routes} flags and the {@code cluster {}} block), and the
 * real jnats client on different nodes.
 */
class ClusterTest {
    static final Duration UP = Duration.ofSeconds(20);

    /** A server with a cluster listener on {@code clusterPort} and routes to the given cluster ports. */
    static TestServer node(TestServers.Target target, String name, int clusterPort, int... routeTo) {
        StringBuilder routes = new StringBuilder();
        for (int p : routeTo) {
            routes.append(routes.isEmpty() ? "" : ", ").append("\"nats-route://127.0.0.1:").append(p).append("\"");
        }
        String conf = "server_name: " + name + "\n"
                + "cluster {\n  name: weft-test\n  listen: \"127.0.0.1:" + clusterPort + "\"\n"
                + (routeTo.length > 0 ? "  routes: [" + routes + "]\n" : "") + "}\n";
        return TestServers.start(target, conf);
    }

    static int count(TestServer s, String text) {
        String out = s.stderr();
        int n = 0;
        for (int i = out.indexOf(text); i >= 0; i = out.indexOf(text, i + 1)) {
            n++;
        }
        return n;
    }

    /** Waits until {@code s} logged {@code times} route connections (weft's and nats-server's wording). */
    static void awaitRoutes(TestServer s, int times) throws InterruptedException {
        long deadline = System.nanoTime() + UP.toNanos();
        while (System.nanoTime() < deadline) {
            if (count(s, "Route connection created") + count(s, "Route connection accepted") >= times) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError(s + " has no route after " + UP + ":\n" + s.stderr());
    }

    static Connection connect(TestServer s) throws Exception {
        return Nats.connect(new Options.Builder().server(s.url()).connectionTimeout(Duration.ofSeconds(5))
                .ignoreDiscoveredServers().noReconnect().build());
    }

    /**
     * Publishes probes on {@code pub} to {@code subject} until {@code sub} (subscribed there on
     * another node) receives one: interest travels over the route asynchronously.
     */
    static void awaitInterest(Connection pub, Subscription sub, String subject) throws Exception {
        long deadline = System.nanoTime() + UP.toNanos();
        while (System.nanoTime() < deadline) {
            pub.publish(subject, "probe".getBytes(StandardCharsets.UTF_8));
            pub.flush(Duration.ofSeconds(2));
            Message m = sub.nextMessage(Duration.ofMillis(100));
            if (m != null) {
                while (sub.nextMessage(Duration.ofMillis(200)) != null) {
                    // drain the other probes
                }
                return;
            }
        }
        throw new AssertionError("interest in " + subject + " never reached the publisher's node");
    }

    /** Pub/sub (plain and with headers) and request/reply, each way between the two nodes. */
    static void pubSubAndRequestReply(TestServer a, TestServer b) throws Exception {
        try (Connection ca = connect(a); Connection cb = connect(b)) {
            Subscription onB = cb.subscribe("orders.>");
            cb.flush(Duration.ofSeconds(2));
            awaitInterest(ca, onB, "orders.probe");
            ca.publish("orders.new", "reply.here", "one".getBytes(StandardCharsets.UTF_8));
            Headers h = new Headers().add("X-Kind", "test");
            ca.publish(NatsMessage.builder().subject("orders.hdr").headers(h).data("two").build());
            ca.flush(Duration.ofSeconds(2));
            Message m1 = onB.nextMessage(Duration.ofSeconds(5));
            assertNotNull(m1);
            assertEquals("orders.new", m1.getSubject());
            assertEquals("reply.here", m1.getReplyTo());
            assertEquals("one", new String(m1.getData(), StandardCharsets.UTF_8));
            Message m2 = onB.nextMessage(Duration.ofSeconds(5));
            assertNotNull(m2);
            assertEquals("orders.hdr", m2.getSubject());
            assertEquals("test", m2.getHeaders().getFirst("X-Kind"));
            assertEquals("two", new String(m2.getData(), StandardCharsets.UTF_8));

            // a service on A answers a requester on B, and one on B a requester on A
            Dispatcher da = ca.createDispatcher(msg -> ca.publish(msg.getReplyTo(), ("A:" + new String(msg.getData(),
                    StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8)));
            da.subscribe("svc.a");
            Dispatcher db = cb.createDispatcher(msg -> cb.publish(msg.getReplyTo(), ("B:" + new String(msg.getData(),
                    StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8)));
            db.subscribe("svc.b");
            ca.flush(Duration.ofSeconds(2));
            cb.flush(Duration.ofSeconds(2));
            assertEquals("A:ping", request(cb, "svc.a", "ping"));
            assertEquals("B:ping", request(ca, "svc.b", "ping"));
        }
    }

    /** A request, retried while the service's interest is still on its way over the route. */
    static String request(Connection c, String subject, String body) throws Exception {
        long deadline = System.nanoTime() + UP.toNanos();
        Exception last = null;
        while (System.nanoTime() < deadline) {
            try {
                Message r = c.request(subject, body.getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(2));
                if (r != null && !r.isStatusMessage()) {
                    return new String(r.getData(), StandardCharsets.UTF_8);
                }
            } catch (Exception e) {
                last = e; // no responders yet
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no reply to " + subject, last);
    }

    @Test
    void pubSubAndRequestReplyAcrossTwoNodes() throws Exception {
        int[] cp = TestServers.freePorts(2);
        try (TestServer a = node(TestServers.Target.WEFT, "A", cp[0]);
             TestServer b = node(TestServers.Target.WEFT, "B", cp[1], cp[0])) {
            awaitRoutes(a, 1);
            awaitRoutes(b, 1);
            pubSubAndRequestReply(a, b);
        }
    }

    /**
     * Both servers list each other in {@code routes} (the usual full-mesh configuration): of the
     * two connections one is kept, the same on both sides, and nothing is delivered twice.
     */
    @Test
    void bothNodesDialEachOther() throws Exception {
        int[] cp = TestServers.freePorts(2);
        try (TestServer a = node(TestServers.Target.WEFT, "A", cp[0], cp[1]);
             TestServer b = node(TestServers.Target.WEFT, "B", cp[1], cp[0])) {
            awaitRoutes(a, 1);
            awaitRoutes(b, 1);
            pubSubAndRequestReply(a, b);
            queueGroupExactlyOnce(b, a);
        }
    }

    /**
     * A reload that changes the cluster block's listen address is refused with nats-server's words
     * (the whole reload: the running configuration and routes stay). A new name applies; a route
     * added is dialled; one removed is closed and not dialled again, as nats-server.
     */
    @Test
    void reloadOfTheClusterBlock() throws Exception {
        int[] cp = TestServers.freePorts(3);
        try (TestServer a = node(TestServers.Target.WEFT, "A", cp[0]);
             TestServer b = node(TestServers.Target.WEFT, "B", cp[1])) {
            String conf = "server_name: B\ncluster {\n  name: %s\n  listen: \"127.0.0.1:%d\"\n%s}\n";
            String route = "  routes: [\"nats-route://127.0.0.1:" + cp[0] + "\"]\n";
            b.rewriteConfig(conf.formatted("weft-test", cp[1], route));
            b.signal("HUP");
            assertTrue(b.awaitOutput("Reloaded: cluster routes", UP), b.stderr());
            awaitRoutes(a, 1);
            awaitRoutes(b, 1);
            pubSubAndRequestReply(a, b);

            b.rewriteConfig(conf.formatted("weft-test", cp[2], route));
            b.signal("HUP");
            assertTrue(b.awaitOutput("Failed to reload server configuration: config reload not supported for cluster port: old="
                    + cp[1] + ", new=" + cp[2], UP), b.stderr());
            // a new name applies (as nats-server: the route that is up stays)
            b.rewriteConfig(conf.formatted("other", cp[1], route));
            b.signal("HUP");
            assertTrue(b.awaitOutput("Cluster name updated to other", UP), b.stderr());
            assertEquals("other", ClusterDiscoveryTest.http(b, "/varz").path("cluster").path("name").asText());
            pubSubAndRequestReply(a, b);
            b.rewriteConfig(conf.formatted("weft-test", cp[1], route));
            b.signal("HUP");
            assertTrue(b.awaitOutput("Cluster name updated to weft-test", UP), b.stderr());

            b.rewriteConfig(conf.formatted("weft-test", cp[1], ""));
            b.signal("HUP");
            assertTrue(b.awaitOutput("Removed route nats-route://127.0.0.1:" + cp[0], UP), b.stderr());
            long deadline = System.nanoTime() + UP.toNanos();
            while (ClusterAuthTest.numRoutes(a) > 0 && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            Thread.sleep(2500); // longer than the first re-dial backoff
            assertEquals(0, ClusterAuthTest.numRoutes(a), a.stderr());
            assertEquals(0, ClusterAuthTest.numRoutes(b), b.stderr());
            ClusterAuthTest.assertNoTraffic(a, b);
        }
    }

    /** Four members of one queue group, two on each node: every message reaches exactly one of them. */
    static void queueGroupExactlyOnce(TestServer a, TestServer b) throws Exception {
        try (Connection pub = connect(a); Connection qa = connect(a); Connection qb = connect(b)) {
            Map<String, AtomicInteger> seen = new ConcurrentHashMap<>();
            AtomicInteger onA = new AtomicInteger();
            AtomicInteger onB = new AtomicInteger();
            Dispatcher d1 = qa.createDispatcher(m -> {
                seen.computeIfAbsent(new String(m.getData(), StandardCharsets.UTF_8), k -> new AtomicInteger()).incrementAndGet();
                onA.incrementAndGet();
            });
            Dispatcher d2 = qb.createDispatcher(m -> {
                seen.computeIfAbsent(new String(m.getData(), StandardCharsets.UTF_8), k -> new AtomicInteger()).incrementAndGet();
                onB.incrementAndGet();
            });
            d1.subscribe("work", "workers");
            d1.subscribe("work", "workers");
            d2.subscribe("work", "workers");
            d2.subscribe("work", "workers");
            Subscription ready = qb.subscribe("ready.b");
            qa.flush(Duration.ofSeconds(2));
            qb.flush(Duration.ofSeconds(2));
            // B's plain subscription, sent after its queue members, tells us the route carries them
            awaitInterest(pub, ready, "ready.b");
            int n = 400;
            for (int i = 0; i < n; i++) {
                pub.publish("work", ("m" + i).getBytes(StandardCharsets.UTF_8));
            }
            pub.flush(Duration.ofSeconds(5));
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (onA.get() + onB.get() < n && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            Thread.sleep(300); // any duplicate would arrive by now
            assertEquals(n, onA.get() + onB.get(), "each message to exactly one member");
            assertEquals(n, seen.size());
            seen.forEach((k, v) -> assertEquals(1, v.get(), k + " delivered " + v.get() + " times"));
            // uniform over the 4 members: about half on each node; far from 0 either way
            assertTrue(onA.get() > n / 8 && onB.get() > n / 8, "A got " + onA + ", B got " + onB);
        }
    }

    @Test
    void queueGroupExactlyOnceAcrossNodes() throws Exception {
        int[] cp = TestServers.freePorts(2);
        try (TestServer a = node(TestServers.Target.WEFT, "A", cp[0]);
             TestServer b = node(TestServers.Target.WEFT, "B", cp[1], cp[0])) {
            awaitRoutes(a, 1);
            awaitRoutes(b, 1);
            queueGroupExactlyOnce(a, b);
        }
    }

    /**
     * A three-node mesh; the route from C to A is cut by killing A: B and C drop A's interest at
     * once (a request to a service only A had gets "no responders"), C re-dials A, and once A is
     * back its new interest reaches the others again.
     */
    @Test
    void routeKilledAndRestored() throws Exception {
        int[] cp = TestServers.freePorts(3);
        try (TestServer a = node(TestServers.Target.WEFT, "A", cp[0]);
             TestServer b = node(TestServers.Target.WEFT, "B", cp[1], cp[0]);
             TestServer c = node(TestServers.Target.WEFT, "C", cp[2], cp[0], cp[1])) {
            awaitRoutes(a, 2);
            awaitRoutes(b, 2);
            awaitRoutes(c, 2);
            try (Connection ca = connect(a); Connection cc = connect(c)) {
                Dispatcher da = ca.createDispatcher(m -> ca.publish(m.getReplyTo(), "A".getBytes(StandardCharsets.UTF_8)));
                da.subscribe("only.a");
                ca.flush(Duration.ofSeconds(2));
                assertEquals("A", request(cc, "only.a", "x"));
                int before = count(c, "Route connection created");
                a.kill();
                // the interest went with the route: no responders, not a timeout
                long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
                boolean noResponders = false;
                while (!noResponders && System.nanoTime() < deadline) {
                    try {
                        cc.request("only.a", "x".getBytes(StandardCharsets.UTF_8)).get(1, java.util.concurrent.TimeUnit.SECONDS);
                    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.CancellationException e) {
                        noResponders = true; // jnats ends a request answered "503 no responders" this way
                    } catch (java.util.concurrent.TimeoutException e) {
                        // the interest is still there (or the request went to the dead route); try again
                    }
                    if (!noResponders) {
                        Thread.sleep(50);
                    }
                }
                assertTrue(noResponders, "C still routes to the dead A");
            }
            a.restart();
            long deadline = System.nanoTime() + Duration.ofSeconds(40).toNanos();
            while (count(c, "Route connection created") < 2 + 1 && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            try (Connection ca = connect(a); Connection cc = connect(c)) {
                Dispatcher da = ca.createDispatcher(m -> ca.publish(m.getReplyTo(), "A2".getBytes(StandardCharsets.UTF_8)));
                da.subscribe("only.a");
                ca.flush(Duration.ofSeconds(2));
                assertEquals("A2", request(cc, "only.a", "x"));
            }
        }
    }
}
