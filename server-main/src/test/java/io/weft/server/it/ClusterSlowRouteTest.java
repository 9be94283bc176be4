package io.weft.server.it;

import static io.weft.server.it.ClusterTest.UP;
import static io.weft.server.it.ClusterTest.awaitInterest;
import static io.weft.server.it.ClusterTest.connect;
import static io.weft.server.it.ClusterTest.count;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Subscription;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * A route whose peer stops reading: the writing side cuts it at the write deadline (as a client),
 * logs it as nats-server logs a slow consumer, keeps serving its clients meanwhile, and re-dials.
 */
class ClusterSlowRouteTest {
    /** A TCP relay that can stop reading what the dialling side sends. */
    static final class StallingProxy implements AutoCloseable {
        final ServerSocket listener;
        final int target;
        volatile boolean stalled;
        final List<Socket> sockets = new CopyOnWriteArrayList<>();

        StallingProxy(int target) throws IOException {
            this.target = target;
            this.listener = new ServerSocket();
            listener.setReceiveBufferSize(16 * 1024);
            listener.bind(new InetSocketAddress("127.0.0.1", 0));
            Thread.ofPlatform().daemon().start(this::accept);
        }

        int port() {
            return listener.getLocalPort();
        }

        private void accept() {
            while (!listener.isClosed()) {
                try {
                    Socket in = listener.accept();
                    Socket out = new Socket("127.0.0.1", target);
                    sockets.add(in);
                    sockets.add(out);
                    Thread.ofPlatform().daemon().start(() -> pump(in, out, true));
                    Thread.ofPlatform().daemon().start(() -> pump(out, in, false));
                } catch (IOException e) {
                    return;
                }
            }
        }

        private void pump(Socket from, Socket to, boolean canStall) {
            byte[] buf = new byte[4096];
            try (InputStream i = from.getInputStream(); OutputStream o = to.getOutputStream()) {
                while (true) {
                    while (canStall && stalled) {
                        Thread.sleep(20);
                    }
                    int n = i.read(buf);
                    if (n < 0) {
                        break;
                    }
                    o.write(buf, 0, n);
                }
            } catch (IOException | InterruptedException e) {
                // one side went away
            } finally {
                try {
                    from.close();
                    to.close();
                } catch (IOException ignored) {
                    // closing anyway
                }
            }
        }

        @Override
        public void close() throws IOException {
            listener.close();
            for (Socket s : sockets) {
                s.close();
            }
        }
    }

    @Test
    void aRouteThatStopsReadingIsCutAtTheWriteDeadlineAndRedialled() throws Exception {
        int[] cp = TestServers.freePorts(2);
        try (TestServer a = ClusterDiscoveryTest.node(TestServers.Target.WEFT, "A", cp[0], "");
             StallingProxy proxy = new StallingProxy(cp[0]);
             TestServer b = TestServers.start(TestServers.Target.WEFT, "server_name: B\nwrite_deadline: \"1s\"\nmax_pending: 536870912\n"
                     + "cluster {\n  name: weft-test\n  listen: \"127.0.0.1:" + cp[1] + "\"\n"
                     + "  routes: [\"nats-route://127.0.0.1:" + proxy.port() + "\"]\n}\n")) {
            ClusterDiscoveryTest.awaitPeers(a, 1);
            ClusterDiscoveryTest.awaitPeers(b, 1);
            try (Connection onA = connect(a); Connection pub = connect(b); Connection local = connect(b)) {
                Subscription far = onA.subscribe("slow.>");
                onA.flush(Duration.ofSeconds(2));
                awaitInterest(pub, far, "slow.probe");
                Dispatcher svc = local.createDispatcher(m -> local.publish(m.getReplyTo(), "ok".getBytes(StandardCharsets.UTF_8)));
                svc.subscribe("local.svc");
                local.flush(Duration.ofSeconds(2));

                proxy.stalled = true;
                byte[] kb = new byte[1024];
                long deadline = System.nanoTime() + UP.toNanos();
                while (count(b, "Slow Consumer Detected") == 0 && System.nanoTime() < deadline) {
                    for (int i = 0; i < 1000; i++) {
                        pub.publish("slow.data", kb);
                    }
                    // B's clients are served while its route is stuck
                    assertEquals("ok", new String(local.request("local.svc", new byte[0], Duration.ofSeconds(2)).getData(),
                            StandardCharsets.UTF_8));
                }
                // max_pending is far above what a few seconds of this publisher queue: the deadline cuts it
                assertTrue(count(b, "Slow Consumer Detected: WriteDeadline of 1s exceeded") >= 1, b.stderr());
                assertTrue(b.awaitOutput("closed: Slow Consumer (Write Deadline)", UP), b.stderr());

                // the peer reads again: B dials the route anew and traffic flows
                proxy.stalled = false;
                deadline = System.nanoTime() + UP.toNanos();
                while (count(b, "Route connection created") < 2 && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
                assertTrue(count(b, "Route connection created") >= 2, b.stderr());
                while (far.nextMessage(Duration.ofMillis(200)) != null) {
                    // drain what got through before the cut
                }
                awaitInterest(pub, far, "slow.again");
            }
        }
    }

    /**
     * With {@code no_fast_producer_stall} a client's publish to a route past its stall threshold
     * is not queued for it (nats-server drops for any stalled connection a client publishes to):
     * the route's queue stops growing, so it is never cut by max_pending, and the far subscriber
     * misses messages instead. The same load without the option cuts the route (the test above).
     */
    @Test
    void noFastProducerStallDropsForAStalledRouteInsteadOfCuttingIt() throws Exception {
        int[] cp = TestServers.freePorts(2);
        try (TestServer a = ClusterDiscoveryTest.node(TestServers.Target.WEFT, "A", cp[0], "");
             StallingProxy proxy = new StallingProxy(cp[0]);
             TestServer b = TestServers.start(TestServers.Target.WEFT, "server_name: B\nwrite_deadline: \"60s\"\n"
                     + "max_pending: 1048576\nno_fast_producer_stall: true\n"
                     + "cluster {\n  name: weft-test\n  listen: \"127.0.0.1:" + cp[1] + "\"\n"
                     + "  routes: [\"nats-route://127.0.0.1:" + proxy.port() + "\"]\n}\n")) {
            ClusterDiscoveryTest.awaitPeers(a, 1);
            ClusterDiscoveryTest.awaitPeers(b, 1);
            try (Connection onA = connect(a); Connection pub = connect(b)) {
                Subscription far = onA.subscribe("slow.>");
                onA.flush(Duration.ofSeconds(2));
                awaitInterest(pub, far, "slow.probe");
                while (far.nextMessage(Duration.ofMillis(100)) != null) {
                    // the probes
                }
                proxy.stalled = true;
                byte[] kb = new byte[1024];
                int sent = 40_000; // 40 MiB: far past the socket buffers and max_pending
                for (int i = 0; i < sent; i++) {
                    pub.publish("slow.data", kb);
                }
                pub.flush(Duration.ofSeconds(30));
                assertEquals(0, count(b, "Slow Consumer Detected"), b.stderr());
                proxy.stalled = false;
                int got = 0;
                while (far.nextMessage(Duration.ofMillis(500)) != null) {
                    got++;
                }
                assertTrue(got > 0 && got < sent, "the far subscriber got some, not all: " + got);
                assertEquals(1, count(b, "Route connection created"), b.stderr());
                awaitInterest(pub, far, "slow.again");
            }
        }
    }
}
