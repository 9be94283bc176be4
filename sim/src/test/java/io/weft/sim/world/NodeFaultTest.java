package io.weft.sim.world;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.engine.ServerOptions;
import io.weft.net.DiskFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class NodeFaultTest {

    @Test
    void aCrashedNodeLosesItsThreadsConnectionsAndUnsyncedDiskAndRestartsOnTheSamePort() {
        SimWorld w = new SimWorld(21);
        ServerOptions opts = new ServerOptions();
        opts.port = 4222;
        SimNode node = w.addNode("n1", opts);
        SimClient a = w.addClient(SimClient.DeliveryTap.all());
        SimClient b = w.addClient(SimClient.DeliveryTap.all());
        SimResult r = w.run("crash", world -> {
            node.start();
            try (DiskFile f = node.disk().open("unsynced", true)) {
                f.write(ByteBuffer.wrap(new byte[] {1, 2, 3}), 0);
            }
            a.connect(world.network().host("a"), "n1", 4222);
            a.sub("x", "1");
            a.flush();
            assertTrue(world.scheduler().liveThreads().stream().anyMatch(t -> t.startsWith("n1/")));

            node.crash();
            assertTrue(node.down());
            assertFalse(world.scheduler().liveThreads().stream().anyMatch(t -> t.startsWith("n1/")),
                    world.scheduler().liveThreads().toString());
            assertFalse(node.disk().exists("unsynced"));
            node.clock().sleep(Duration.ofMillis(1));
            assertTrue(a.ended(), "the client sees its connection reset");
            assertThrows(IOException.class, () -> b.connect(world.network().host("b"), "n1", 4222),
                    "nobody listens while the node is down");

            node.restart();
            assertEquals(4222, node.port());
            a.reconnect(world.network().host("a"), "n1", 4222);
            a.flush();
            assertEquals(2, a.session());
            b.connect(world.network().host("b"), "n1", 4222);
            b.pub("x", "after");
            b.flush();
            a.flush();
            assertEquals(List.of("after"), a.deliveries().stream().map(SimClient.Delivery::payload).toList());
            assertEquals(List.of(2), a.deliverySessions());
            assertEquals(2, node.server().openClients().size());
        });
        assertTrue(r.passed(), r.failures().toString());
    }

    @Test
    void aPausedNodeAnswersOnlyAfterItResumes() {
        SimWorld w = new SimWorld(22);
        SimNode node = w.addNode("n1", new ServerOptions());
        SimClient a = w.addClient(SimClient.DeliveryTap.all());
        long[] flushTook = new long[2];
        SimResult r = w.run("pause", world -> {
            node.start();
            a.connect(world.network().host("a"), "n1", node.port());
            long t0 = world.scheduler().now();
            a.flush();
            flushTook[0] = world.scheduler().now() - t0;
            node.pause();
            world.scheduler().spawn("resumer", () -> {
                try {
                    node.clock().sleep(Duration.ofMillis(40));
                    node.resume();
                } catch (InterruptedException e) {
                    world.fail("resumer interrupted");
                }
            });
            long t1 = world.scheduler().now();
            a.flush();
            flushTook[1] = world.scheduler().now() - t1;
        });
        assertTrue(r.passed(), r.failures().toString());
        assertTrue(flushTook[0] < Duration.ofMillis(2).toNanos(), "" + flushTook[0]);
        assertTrue(flushTook[1] >= Duration.ofMillis(40).toNanos(), "" + flushTook[1]);
    }

    /**
     * The node's reader waits on a pipe for bytes still in flight while the client's writer waits on
     * the same pipe for buffer space (in either order); the crash abandons the reader, and the
     * writer must still wake up to see the reset. Crash moments are swept across the transfer.
     */
    @Test
    void aWriterBlockedOnAFullPipeSeesTheResetWhenTheNodeCrashes() {
        int reset = 0;
        for (long delay = 0; delay <= 1_500_000; delay += 50_000) {
            SimWorld w = new SimWorld(24 + delay);
            SimNode node = w.addNode("n1", new ServerOptions());
            SimClient a = w.addClient(SimClient.DeliveryTap.all());
            String[] outcome = new String[1];
            long crashAfter = delay;
            SimResult r = w.run("full-pipe", world -> {
                node.start();
                a.connect(world.network().host("a"), "n1", node.port());
                a.flush();
                world.scheduler().spawn("nemesis", () -> {
                    try {
                        node.clock().sleep(Duration.ofNanos(crashAfter));
                        node.crash();
                    } catch (InterruptedException e) {
                        world.fail("nemesis interrupted");
                    }
                });
                try {
                    a.pub("big", "x".repeat(100_000));
                    a.pub("big", "y".repeat(100_000));
                    a.pub("big", "z".repeat(200_000)); // waits for space while the others are in flight
                    a.pub("big", "w".repeat(200_000));
                    outcome[0] = "went through";
                } catch (IOException e) {
                    outcome[0] = e.getMessage();
                }
            });
            assertTrue(r.passed(), "crash after " + delay + "ns: " + r.failures());
            assertTrue(outcome[0].equals("went through") || outcome[0].equals("Connection reset"), outcome[0]);
            reset += outcome[0].equals("Connection reset") ? 1 : 0;
        }
        assertTrue(reset > 5, "the crash must hit writes in progress: " + reset);
    }

    /**
     * A bare pipe: the node's reader drains a small first write and waits for the next one, still
     * in flight, while the peer's writer waits for room; the node crashes. The writer must see the
     * reset, whichever of the two waited first.
     */
    @Test
    void aPeerWaitingOnTheSamePipeAsAnAbandonedReaderIsNotStranded() {
        int reset = 0;
        for (long seed = 1; seed <= 20; seed++) {
            for (long delay = 0; delay <= 1_000_000; delay += 100_000) {
                SimWorld w = new SimWorld(seed);
                SimNode node = w.addNode("n1", new ServerOptions());
                String[] outcome = new String[1];
                long crashAfter = delay;
                SimResult r = w.run("pipe", world -> {
                    var listener = world.network().host("n1").listen("n1", 7000);
                    world.scheduler().spawn("n1/reader", "n1", () -> {
                        try {
                            var conn = listener.accept();
                            byte[] buf = new byte[16 * 1024];
                            while (conn.read(buf, 0, buf.length) >= 0) {
                                // drain
                            }
                        } catch (IOException e) {
                            // reset
                        }
                    });
                    var conn = world.network().host("c").connect("n1", 7000);
                    world.scheduler().spawn("nemesis", () -> {
                        try {
                            node.clock().sleep(Duration.ofNanos(crashAfter));
                            node.crash();
                        } catch (InterruptedException e) {
                            world.fail("nemesis interrupted");
                        }
                    });
                    try {
                        for (int size : new int[] {10_000, 240_000, 100_000, 200_000}) {
                            conn.write(new ByteBuffer[] {ByteBuffer.wrap(new byte[size])});
                        }
                        outcome[0] = "went through";
                    } catch (IOException e) {
                        outcome[0] = e.getMessage();
                    }
                    conn.close();
                });
                assertTrue(r.passed(), "seed " + seed + " crash after " + delay + "ns: " + r.failures());
                reset += "Connection reset".equals(outcome[0]) ? 1 : 0;
            }
        }
        assertTrue(reset > 20, "the crash must hit writes in progress: " + reset);
    }

    @Test
    void clockSkewAndJumpsArePerNode() {
        SimWorld w = new SimWorld(23);
        SimNode n1 = w.addNode("n1", new ServerOptions());
        SimNode n2 = w.addNode("n2", new ServerOptions());
        n1.clock().skewWallClock(-5_000);
        n1.clock().offsetMonotonic(3_000_000_000L);
        assertEquals(n2.clock().currentTimeMillis() - 5_000, n1.clock().currentTimeMillis());
        assertEquals(n2.clock().nanoTime() + 3_000_000_000L, n1.clock().nanoTime());
    }
}
