package io.weft.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.nats.client.Connection;
import io.nats.client.Message;
import io.nats.client.Subscription;
import io.weft.engine.ServerLog;
import io.weft.engine.ServerOptions;
import io.weft.engine.cluster.PeerIds;
import io.weft.engine.node.Node;
import io.weft.engine.route.RouteConnection;
import io.weft.net.Env;
import io.weft.raft.ConfState;
import io.weft.raft.Entry;
import io.weft.raft.Role;
import io.weft.raft.Snapshot;
import io.weft.raft.driver.DriverConfig;
import io.weft.raft.driver.RaftDriver;
import io.weft.raft.driver.RaftException;
import io.weft.raft.driver.StateMachine;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Three weft nodes (in this JVM, on real routes) run a Raft group over their routes while a
 * nats-server 2.15.1 process is part of the same full mesh: the group elects and commits, and
 * nats-server never hears of the internal traffic: none of its routes to weft carries interest in
 * the {@code $NRG} account, none of its clients (subscribed to {@code >}) sees a {@code $NRG}
 * message, no route to it is closed, and weft does not take it for a weft peer: messages the
 * leader addresses to it (its name is made a voter) are dropped.
 */
class RaftRouteInteropTest {
    static final Duration WAIT = Duration.ofSeconds(30);

    /** The number of normal entries applied. */
    static final class Count implements StateMachine {
        final AtomicLong n = new AtomicLong();

        @Override
        public byte[] apply(Entry e) {
            if (e.kind() == Entry.Kind.NORMAL) {
                n.incrementAndGet();
            }
            return new byte[0];
        }

        @Override
        public byte[] snapshot() {
            return Long.toString(n.get()).getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public void restore(Snapshot s) {
            n.set(s.data().length == 0 ? 0 : Long.parseLong(new String(s.data(), StandardCharsets.UTF_8)));
        }
    }

    @Test
    void aRaftGroupOverRoutesLeavesANatsServerPeerAlone() throws Exception {
        int[] cp = TestServers.freePorts(4);
        Path dir = Files.createTempDirectory("weft-nrg-interop-");
        List<Node> nodes = new ArrayList<>();
        List<RaftDriver> drivers = new ArrayList<>();
        List<Count> counts = new ArrayList<>();
        List<Long> voters = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            voters.add(PeerIds.of("W" + i));
        }
        // nats-server's name is a voter too: the leader keeps addressing it, and the transport must drop
        // every such message rather than send it to a server that is not weft (three of four still commit)
        List<Long> group = new ArrayList<>(voters);
        group.add(PeerIds.of("N"));
        try (TestServer nats = ClusterTest.node(TestServers.Target.NATS_NEWEST, "N", cp[3], cp[0])) {
            for (int i = 0; i < 3; i++) {
                ServerOptions o = new ServerOptions();
                o.serverName = "W" + i;
                o.host = "127.0.0.1";
                o.port = 0;
                o.clusterName = "weft-test";
                o.clusterHost = "127.0.0.1";
                o.clusterPort = cp[i];
                List<String> routes = new ArrayList<>();
                for (int j = 0; j < 3; j++) {
                    if (j != i) {
                        routes.add("127.0.0.1:" + cp[j]);
                    }
                }
                o.routes = routes;
                Node n = new Node(Env.real(), o, ServerLog.silent());
                n.start();
                nodes.add(n);
                Count c = new Count();
                counts.add(c);
                DriverConfig dc = DriverConfig.of(voters.get(i), dir.resolve("W" + i).toString(), ConfState.of(group))
                        .withTiming(Duration.ofMillis(50), 10, 1);
                drivers.add(RaftDriver.start(n.env(), dc, c, n.groupTransports().open("interop", voters.get(i))));
            }
            JsonNode z = ClusterDiscoveryTest.awaitPeers(nats, 3);
            Map<String, Long> rids = new HashMap<>();
            for (JsonNode r : z.path("routes")) {
                rids.put(r.path("remote_name").asText(), r.path("rid").asLong());
            }
            for (Node n : nodes) {
                awaitTrue("weft routes to all", () -> n.routes().snapshot().size() == 3);
                for (RouteConnection rc : n.routes().snapshot()) {
                    assertEquals(!rc.remoteName().equals("N"), rc.weftPeer(), rc.remoteName() + " taken for weft or not");
                }
            }
            try (Connection watcher = ClusterTest.connect(nats)) {
                Subscription all = watcher.subscribe(">");
                watcher.flush(Duration.ofSeconds(2));
                for (int k = 0; k < 30; k++) {
                    propose(drivers, ("v" + k).getBytes(StandardCharsets.UTF_8));
                }
                awaitTrue("all three applied the same 30 or more", () -> counts.stream().allMatch(c -> c.n.get() >= 30
                        && c.n.get() == counts.get(0).n.get()));
                Message m;
                while ((m = all.nextMessage(Duration.ofMillis(200))) != null) {
                    assertFalse(m.getSubject().startsWith("$NRG"), "nats-server's client saw " + m.getSubject());
                }
            }
            JsonNode detail = ClusterDiscoveryTest.http(nats, "/routez?subs=detail");
            for (JsonNode r : detail.path("routes")) {
                assertEquals(rids.get(r.path("remote_name").asText()), r.path("rid").asLong(), "route kept: " + r);
                for (JsonNode s : r.path("subscriptions_list_detail")) {
                    assertFalse(s.path("account").asText().equals("$NRG") || s.path("subject").asText().startsWith("$NRG"),
                            "nats-server got interest " + s);
                }
            }
            assertEquals(3, detail.path("routes").size(), detail.toString());
            assertFalse(nats.stderr().contains("$NRG"), nats.stderr());
            long toNats = 0;
            for (Node n : nodes) {
                toNats += n.groupTransportStats().droppedNoRoute();
            }
            assertTrue(toNats > 0, "messages to nats-server's peer id were dropped");
            for (Node n : nodes) {
                assertTrue(n.groupTransportStats().sent() > 0, n.groupTransportStats().toString());
                assertEquals(0, n.groupTransportStats().corrupt());
            }
        } finally {
            drivers.forEach(RaftDriver::stop);
            nodes.forEach(Node::shutdown);
        }
    }

    private static void propose(List<RaftDriver> drivers, byte[] data) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            for (RaftDriver d : drivers) {
                if (d.softState().role() != Role.LEADER) {
                    continue;
                }
                try {
                    d.propose(data).get(5, TimeUnit.SECONDS);
                    return;
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof RaftException)) {
                        throw e;
                    }
                } catch (TimeoutException e) {
                    // try again
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("nothing committed");
    }

    private static void awaitTrue(String what, java.util.function.BooleanSupplier cond) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out: " + what);
            }
            Thread.sleep(20);
        }
    }
}
