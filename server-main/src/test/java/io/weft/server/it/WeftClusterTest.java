package io.weft.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamManagement;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The {@link WeftCluster} fixture itself: three weft processes come up with a full mesh of routes
 * (seen in each one's /routez), carry traffic between nodes, lose a node to kill -9 (the others
 * drop its route), get it back on the same ports with its JetStream store intact, and leave no
 * store directory behind.
 */
class WeftClusterTest {
    @Test
    void threeNodesMeshKillRestartAndClose() throws Exception {
        Path root;
        try (WeftCluster c = WeftCluster.start(3)) {
            root = c.storeDir(0).getParent();
            c.awaitRoutes();
            for (int i = 0; i < 3; i++) {
                Set<String> others = new java.util.HashSet<>(Set.of("W1", "W2", "W3"));
                others.remove(c.name(i));
                assertEquals(others, c.peersOf(i), c.name(i) + "'s routes");
            }
            ClusterTest.pubSubAndRequestReply(c.node(0), c.node(2));
            // JetStream on all three is clustered: the stream is created once the meta group has formed
            ClusteredStreamProcessTest.awaitMetaLeader(c);

            try (Connection nc = ClusterTest.connect(c.node(1))) {
                JetStreamManagement jsm = nc.jetStreamManagement();
                jsm.addStream(StreamConfiguration.builder().name("S").subjects("s.>").storageType(StorageType.File)
                        .build());
                JetStream js = nc.jetStream();
                for (int k = 0; k < 5; k++) {
                    // the meta group places S on any node; its subjects' interest reaches W2 over a route
                    // shortly after the create: until then a publish has no responders
                    long deadline = System.nanoTime() + WeftCluster.UP.toNanos();
                    while (true) {
                        try {
                            js.publish("s." + k, ("m" + k).getBytes(StandardCharsets.UTF_8));
                            break;
                        } catch (java.io.IOException e) {
                            if (!e.getMessage().contains("No Responders") || System.nanoTime() > deadline) {
                                throw e;
                            }
                            Thread.sleep(50);
                        }
                    }
                }
            }
            assertTrue(Files.isDirectory(c.storeDir(1)), "W2 stores in its own directory");

            c.kill(1);
            long deadline = System.nanoTime() + WeftCluster.UP.toNanos();
            while (c.peersOf(0).contains("W2") && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertFalse(c.peersOf(0).contains("W2"), "W1 dropped the route to the killed W2");
            assertEquals(Set.of(), c.peersOf(1), "a killed node lists nothing");

            c.restart(1);
            c.awaitRoutes();
            ClusteredStreamProcessTest.awaitMetaLeader(c);
            try (Connection nc = ClusterTest.connect(c.node(1))) {
                assertEquals(5, nc.jetStreamManagement().getStreamInfo("S").getStreamState().getMsgCount(),
                        "the restarted node kept its store");
            }
            ClusterTest.pubSubAndRequestReply(c.node(1), c.node(2));
        }
        assertFalse(Files.exists(root), "close removed the store directories");
    }
}
