package io.weft.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.Subscription;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Account exports and imports across a cluster: three servers (all weft, two nats-server 2.15.1
 * and one weft, one nats-server and two weft) with the same accounts; for every ordered pair of
 * servers, a publisher in the exporting account on one and a subscriber in the importing account
 * on the other get each message exactly once on its imported subject (a plain subscriber, and a
 * queue group with a member on each of two servers); a requester in the importing account gets
 * the answer of a responder of the exporting account on another server through a service import
 * (the responder sees the exported subject). Mixed clusters show that weft routes imports as
 * nats-server does: neither a copy lost nor one delivered twice.
 */
@Timeout(300)
class ClusterImportsTest {
    private static final String ACCOUNTS = """
            accounts {
              A: {
                users: [ {user: a, password: a} ]
                exports: [ {stream: "ev.>"}, {service: "svc.>"} ]
              }
              B: {
                users: [ {user: b, password: b} ]
                imports: [
                  {stream: {account: A, subject: "ev.>"}, prefix: "fromA"}
                  {service: {account: A, subject: "svc.>"}, to: "bsvc.>"}
                ]
              }
            }
            """;

    private static TestServer node(TestServers.Target target, String name, int clusterPort, int... routeTo) {
        StringBuilder routes = new StringBuilder();
        for (int p : routeTo) {
            routes.append(routes.isEmpty() ? "" : ", ").append("\"nats-route://127.0.0.1:").append(p).append("\"");
        }
        String conf = "server_name: " + name + "\n"
                + "cluster {\n  name: weft-imports\n  listen: \"127.0.0.1:" + clusterPort + "\"\n"
                + (routeTo.length > 0 ? "  routes: [" + routes + "]\n" : "") + "}\n" + ACCOUNTS;
        return TestServers.start(target, conf);
    }

    private static Connection as(TestServer s, String user) throws Exception {
        return Nats.connect(new Options.Builder().server(s.url()).userInfo(user, user)
                .connectionTimeout(Duration.ofSeconds(5)).ignoreDiscoveredServers().noReconnect().build());
    }

    @Test
    void threeWeftServers() throws Exception {
        run(TestServers.Target.WEFT, TestServers.Target.WEFT, TestServers.Target.WEFT);
    }

    @Test
    void twoNatsServersAndOneWeft() throws Exception {
        run(TestServers.Target.NATS_NEWEST, TestServers.Target.NATS_NEWEST, TestServers.Target.WEFT);
    }

    @Test
    void oneNatsServerAndTwoWeft() throws Exception {
        run(TestServers.Target.WEFT, TestServers.Target.WEFT, TestServers.Target.NATS_NEWEST);
    }

    /** Each server routes to every one started before it (a full mesh, no gossip needed). */
    private static void run(TestServers.Target t1, TestServers.Target t2, TestServers.Target t3) throws Exception {
        int[] cp = TestServers.freePorts(3);
        try (TestServer s1 = node(t1, "S1", cp[0]);
             TestServer s2 = node(t2, "S2", cp[1], cp[0]);
             TestServer s3 = node(t3, "S3", cp[2], cp[0], cp[1])) {
            ClusterDiscoveryTest.awaitPeers(s1, 2);
            ClusterDiscoveryTest.awaitPeers(s2, 2);
            ClusterDiscoveryTest.awaitPeers(s3, 2);
            TestServer[] all = {s1, s2, s3};
            int pair = 0;
            for (TestServer from : all) {
                for (TestServer to : all) {
                    if (from != to) {
                        streamImportOnce(from, to, "p" + pair);
                        serviceImport(from, to, "p" + pair);
                        pair++;
                    }
                }
            }
            queueGroupThroughImport(s1, s2, s3);
            queueGroupThroughImport(s3, s1, s2);
        }
    }

    /**
     * B subscribes on {@code to}, A publishes on {@code from}: after the interest has arrived (a
     * probe got through), 50 messages each arrive once, on {@code fromA.<subject>}.
     */
    private static void streamImportOnce(TestServer from, TestServer to, String tag) throws Exception {
        try (Connection a = as(from, "a"); Connection b = as(to, "b")) {
            Subscription sub = b.subscribe("fromA.ev." + tag + ".>");
            b.flush(Duration.ofSeconds(2));
            awaitProbe(a, sub, "ev." + tag + ".probe");
            for (int i = 0; i < 50; i++) {
                a.publish("ev." + tag + ".m", ("m" + i).getBytes(StandardCharsets.UTF_8));
            }
            a.flush(Duration.ofSeconds(5));
            Map<String, Integer> got = new TreeMap<>();
            Message m = sub.nextMessage(Duration.ofSeconds(5));
            while (m != null) {
                assertEquals("fromA.ev." + tag + ".m", m.getSubject(), from + " -> " + to);
                got.merge(new String(m.getData(), StandardCharsets.UTF_8), 1, Integer::sum);
                m = sub.nextMessage(Duration.ofMillis(500));
            }
            Map<String, Integer> want = new TreeMap<>();
            for (int i = 0; i < 50; i++) {
                want.put("m" + i, 1);
            }
            assertEquals(want, got, "stream import " + from + " -> " + to + ": each message once");
        }
    }

    /** A responder in A on {@code from} answers a requester in B on {@code to} through the service import. */
    private static void serviceImport(TestServer from, TestServer to, String tag) throws Exception {
        try (Connection a = as(from, "a"); Connection b = as(to, "b")) {
            List<String> seen = java.util.Collections.synchronizedList(new ArrayList<>());
            Dispatcher d = a.createDispatcher(msg -> {
                seen.add(msg.getSubject());
                a.publish(msg.getReplyTo(), ("re:" + new String(msg.getData(), StandardCharsets.UTF_8))
                        .getBytes(StandardCharsets.UTF_8));
            });
            d.subscribe("svc." + tag);
            a.flush(Duration.ofSeconds(2));
            assertEquals("re:ping", ClusterTest.request(b, "bsvc." + tag, "ping"), from + " -> " + to);
            assertTrue(seen.contains("svc." + tag), "the responder sees the exported subject: " + seen);
            // once the interest is there, every request is answered, once
            for (int i = 0; i < 10; i++) {
                Message r = b.request("bsvc." + tag, ("q" + i).getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(5));
                assertNotNull(r, "request " + i + " " + from + " -> " + to);
                assertEquals("re:q" + i, new String(r.getData(), StandardCharsets.UTF_8));
            }
        }
    }

    /**
     * B's queue group {@code g} has a member on {@code m1} and one on {@code m2}; A publishes 200
     * messages on {@code pub}: each reaches exactly one member, cluster-wide.
     */
    private static void queueGroupThroughImport(TestServer pub, TestServer m1, TestServer m2) throws Exception {
        try (Connection a = as(pub, "a"); Connection b1 = as(m1, "b"); Connection b2 = as(m2, "b")) {
            Map<String, Integer> got = new ConcurrentHashMap<>();
            AtomicInteger[] probes = {new AtomicInteger(), new AtomicInteger()};
            List<Connection> members = List.of(b1, b2);
            for (int k = 0; k < 2; k++) {
                Connection b = members.get(k);
                AtomicInteger mine = probes[k];
                Dispatcher d = b.createDispatcher(msg -> {
                    String body = new String(msg.getData(), StandardCharsets.UTF_8);
                    if (body.startsWith("probe")) {
                        mine.incrementAndGet();
                    } else {
                        got.merge(body, 1, Integer::sum);
                    }
                });
                d.subscribe("fromA.ev.q.>", "g");
                b.flush(Duration.ofSeconds(2));
            }
            // both members' interest must have arrived: probes until each member took some
            long deadline = System.nanoTime() + WeftCluster.UP.toNanos();
            while ((probes[0].get() == 0 || probes[1].get() == 0) && System.nanoTime() < deadline) {
                a.publish("ev.q.x", "probe".getBytes(StandardCharsets.UTF_8));
                a.flush(Duration.ofSeconds(2));
                Thread.sleep(20);
            }
            assertTrue(probes[0].get() > 0 && probes[1].get() > 0, "a queue member never got a probe: "
                    + probes[0] + ", " + probes[1]);
            for (int i = 0; i < 200; i++) {
                a.publish("ev.q.x", ("n" + i).getBytes(StandardCharsets.UTF_8));
            }
            a.flush(Duration.ofSeconds(5));
            long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (got.size() < 200 && System.nanoTime() < until) {
                Thread.sleep(20);
            }
            Thread.sleep(500); // a duplicate would come about now
            assertEquals(200, got.size(), "every message reached a member: " + pub + " -> " + m1 + ", " + m2);
            assertTrue(got.values().stream().allMatch(n -> n == 1), "no message reached two members: " + got);
        }
    }

    /** Probes on {@code subject} until {@code sub} receives one (interest travels over routes), then drains probes. */
    private static void awaitProbe(Connection pub, Subscription sub, String subject) throws Exception {
        long deadline = System.nanoTime() + WeftCluster.UP.toNanos();
        while (System.nanoTime() < deadline) {
            pub.publish(subject, "probe".getBytes(StandardCharsets.UTF_8));
            pub.flush(Duration.ofSeconds(2));
            Message m = sub.nextMessage(Duration.ofMillis(100));
            if (m != null) {
                while (sub.nextMessage(Duration.ofMillis(300)) != null) {
                    // drain the other probes
                }
                return;
            }
        }
        throw new AssertionError("interest in " + subject + " never reached the publisher's node");
    }
}
