package io.weft.server.it;

import static io.weft.server.it.ClusterTest.awaitRoutes;
import static io.weft.server.it.ClusterTest.node;

import org.junit.jupiter.api.Test;

/**
 * A mixed cluster: nats-server 2.15.1 ({@link TestServers#newestNatsServer()}) and weft joined by
 * a route, each side dialling once. Pub/sub (with and without headers), request/reply and a queue
 * group spread over both cross the route both ways, with the same assertions as the weft-only
 * {@link ClusterTest}.
 */
class ClusterInteropTest {
    @Test
    void weftDialsNatsServer() throws Exception {
        int[] cp = TestServers.freePorts(2);
        try (TestServer nats = node(TestServers.Target.NATS_NEWEST, "N", cp[0]);
             TestServer weft = node(TestServers.Target.WEFT, "W", cp[1], cp[0])) {
            awaitRoutes(nats, 1);
            awaitRoutes(weft, 1);
            ClusterTest.pubSubAndRequestReply(nats, weft);
            ClusterTest.pubSubAndRequestReply(weft, nats);
            ClusterTest.queueGroupExactlyOnce(nats, weft);
        }
    }

    @Test
    void natsServerDialsWeft() throws Exception {
        int[] cp = TestServers.freePorts(2);
        try (TestServer weft = node(TestServers.Target.WEFT, "W", cp[0]);
             TestServer nats = node(TestServers.Target.NATS_NEWEST, "N", cp[1], cp[0])) {
            awaitRoutes(weft, 1);
            awaitRoutes(nats, 1);
            ClusterTest.pubSubAndRequestReply(weft, nats);
            ClusterTest.pubSubAndRequestReply(nats, weft);
            ClusterTest.queueGroupExactlyOnce(weft, nats);
        }
    }

    /**
     * Two nats-server and one weft that knows only the first: nats-server's gossip makes weft dial
     * the second, and traffic crosses every pair both ways, a queue group spread over all three.
     */
    @Test
    void twoNatsServersAndOneWeft() throws Exception {
        int[] cp = TestServers.freePorts(3);
        try (TestServer n1 = ClusterDiscoveryTest.node(TestServers.Target.NATS_NEWEST, "N1", cp[0], "");
             TestServer n2 = ClusterDiscoveryTest.node(TestServers.Target.NATS_NEWEST, "N2", cp[1], "", cp[0]);
             TestServer w = ClusterDiscoveryTest.node(TestServers.Target.WEFT, "W", cp[2], "", cp[0])) {
            ClusterDiscoveryTest.awaitPeers(w, 2);
            ClusterDiscoveryTest.awaitPeers(n1, 2);
            ClusterDiscoveryTest.awaitPeers(n2, 2);
            acrossAllPairs(n1, n2, w);
        }
    }

    /**
     * One nats-server that knows only the first of two weft nodes: weft's gossip makes it dial the
     * second, and traffic crosses every pair both ways.
     */
    @Test
    void oneNatsServerAndTwoWeft() throws Exception {
        int[] cp = TestServers.freePorts(3);
        try (TestServer w1 = ClusterDiscoveryTest.node(TestServers.Target.WEFT, "W1", cp[0], "");
             TestServer w2 = ClusterDiscoveryTest.node(TestServers.Target.WEFT, "W2", cp[1], "", cp[0]);
             TestServer n = ClusterDiscoveryTest.node(TestServers.Target.NATS_NEWEST, "N", cp[2], "", cp[0])) {
            ClusterDiscoveryTest.awaitPeers(n, 2);
            ClusterDiscoveryTest.awaitPeers(w1, 2);
            ClusterDiscoveryTest.awaitPeers(w2, 2);
            acrossAllPairs(w1, w2, n);
        }
    }

    private static void acrossAllPairs(TestServer a, TestServer b, TestServer c) throws Exception {
        TestServer[] all = {a, b, c};
        for (TestServer x : all) {
            for (TestServer y : all) {
                if (x != y) {
                    ClusterTest.pubSubAndRequestReply(x, y);
                }
            }
        }
        ClusterTest.queueGroupExactlyOnce(a, c);
        ClusterTest.queueGroupExactlyOnce(c, b);
        ClusterTest.queueGroupExactlyOnce(b, a);
    }
}
