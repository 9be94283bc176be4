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
}
