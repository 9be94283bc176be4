package io.weft.engine.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.engine.ServerLog;
import io.weft.engine.ServerOptions;
import io.weft.engine.auth.AccountConfig;
import io.weft.engine.node.Node;
import io.weft.engine.route.InternalTraffic;
import io.weft.engine.route.RouteConnection;
import io.weft.engine.route.RouteTestAccess;
import io.weft.engine.server.Account;
import io.weft.net.Env;
import io.weft.raft.ConfState;
import io.weft.raft.Entry;
import io.weft.raft.Message;
import io.weft.raft.MessageCodec;
import io.weft.raft.Role;
import io.weft.raft.Snapshot;
import io.weft.raft.driver.DriverConfig;
import io.weft.raft.driver.RaftDriver;
import io.weft.raft.driver.RaftException;
import io.weft.raft.driver.StateMachine;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three in-process weft nodes joined by real routes on loopback, each running a replica of one
 * Raft group ({@link RaftDriver} with an append-only log as its state machine) over
 * {@link RouteGroupTransports}: a leader is elected, proposals commit on all three, a stopped node
 * catches up after its restart (by snapshot: the leader compacts every 16 entries), a reset of
 * every route loses no committed entry; and no client of any account sees or injects the traffic.
 */
class RouteGroupTransportsTest {
    static final String GROUP = "T1";
    static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private final int[] clusterPorts = new int[3];
    private final TestNode[] nodes = new TestNode[3];

    /** An append-only list of strings: what every replica must agree on. */
    static final class Log implements StateMachine {
        private final List<String> values = new ArrayList<>();
        /** The index of the newest snapshot restored (at start or sent by the leader). */
        volatile long restoredIndex;

        @Override
        public synchronized byte[] apply(Entry e) {
            if (e.kind() == Entry.Kind.NORMAL) {
                values.add(new String(e.data(), StandardCharsets.UTF_8));
            }
            return new byte[] {(byte) values.size()};
        }

        @Override
        public synchronized byte[] snapshot() {
            return String.join("\n", values).getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public synchronized void restore(Snapshot s) {
            restoredIndex = Math.max(restoredIndex, s.index());
            values.clear();
            String text = new String(s.data(), StandardCharsets.UTF_8);
            if (!text.isEmpty()) {
                values.addAll(List.of(text.split("\n")));
            }
        }

        synchronized List<String> values() {
            return List.copyOf(values);
        }
    }

    final class TestNode {
        final String name;
        final long id;
        final int index;
        Node node;
        RaftDriver driver;
        Log log;

        TestNode(int index) {
            this.index = index;
            this.name = "nrg-" + (index + 1);
            this.id = PeerIds.of(name);
        }

        ServerOptions options() {
            ServerOptions o = new ServerOptions();
            o.serverName = name;
            o.host = "127.0.0.1";
            o.port = 0;
            o.clusterName = "nrg-test";
            o.clusterHost = "127.0.0.1";
            o.clusterPort = clusterPorts[index];
            List<String> routes = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                if (i != index) {
                    routes.add("127.0.0.1:" + clusterPorts[i]);
                }
            }
            o.routes = routes;
            return o;
        }

        void start() throws IOException {
            node = new Node(Env.real(), options(), ServerLog.silent());
            node.start();
            log = new Log();
            List<Long> voters = new ArrayList<>();
            for (TestNode n : nodes) {
                voters.add(n.id);
            }
            DriverConfig dc = DriverConfig.of(id, dir.resolve(name).toString(), ConfState.of(voters))
                    .withTiming(Duration.ofMillis(50), 10, 1).withSnapshotEvery(16);
            driver = RaftDriver.start(node.env(), dc, log, node.groupTransports().open(GROUP, id));
        }

        void stop() {
            if (driver != null) {
                driver.stop();
                driver = null;
            }
            if (node != null) {
                node.shutdown();
                node = null;
            }
        }

        boolean running() {
            return driver != null;
        }

        RouteGroupTransports.Stats stats() {
            return node.groupTransportStats();
        }
    }

    private void startCluster() throws Exception {
        for (int i = 0; i < 3; i++) {
            try (ServerSocket s = new ServerSocket(0)) {
                clusterPorts[i] = s.getLocalPort();
            }
        }
        for (int i = 0; i < 3; i++) {
            nodes[i] = new TestNode(i);
        }
        for (TestNode n : nodes) {
            n.start();
        }
        awaitRoutes();
    }

    /** Every running node has a route to every other running node, each known as weft. */
    private void awaitRoutes() throws InterruptedException {
        await("full mesh of weft routes", () -> {
            int running = 0;
            for (TestNode n : nodes) {
                running += n.running() ? 1 : 0;
            }
            for (TestNode n : nodes) {
                if (!n.running()) {
                    continue;
                }
                long weft = n.node.routes().snapshot().stream().filter(RouteConnection::weftPeer).count();
                if (weft != running - 1) {
                    return false;
                }
            }
            return true;
        });
    }

    @AfterEach
    void stopAll() {
        for (TestNode n : nodes) {
            if (n != null) {
                n.stop();
            }
        }
    }

    static void await(String what, BooleanSupplier cond) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(20);
        }
    }

    private TestNode leader() {
        for (TestNode n : nodes) {
            if (n.running() && n.driver.softState().role() == Role.LEADER) {
                return n;
            }
        }
        return null;
    }

    /** Proposes {@code value} at whichever node leads, until one acknowledges it as committed. */
    private void propose(String value) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            TestNode l = leader();
            if (l == null) {
                Thread.sleep(20);
                continue;
            }
            try {
                l.driver.propose(value.getBytes(StandardCharsets.UTF_8)).get(5, TimeUnit.SECONDS);
                return;
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof RaftException)) {
                    throw e;
                }
                Thread.sleep(20); // not the leader any more, or leadership lost: try again
            } catch (TimeoutException e) {
                // a leader that cannot reach a quorum: try again
            }
        }
        throw new AssertionError("no leader committed " + value);
    }

    /** Every running replica applied the same log, and it holds every acknowledged value. */
    private void awaitAgreement(Set<String> acked) throws InterruptedException {
        await("agreement on " + acked.size() + " values", () -> {
            List<String> first = null;
            for (TestNode n : nodes) {
                if (!n.running()) {
                    continue;
                }
                List<String> v = n.log.values();
                if (first == null) {
                    first = v;
                } else if (!first.equals(v)) {
                    return false;
                }
            }
            return first != null && first.containsAll(acked);
        });
    }

    @Test
    void electsCommitsCatchesUpAndSurvivesRouteResets() throws Exception {
        startCluster();
        await("a leader", () -> leader() != null);
        Set<String> acked = new LinkedHashSet<>();
        for (int i = 0; i < 20; i++) {
            propose("a" + i);
            acked.add("a" + i);
        }
        awaitAgreement(acked);
        for (TestNode n : nodes) {
            assertEquals(new ArrayList<>(acked), n.log.values(), n.name + " applied every value once, in order");
        }

        // a node stops; the other two go on committing; the node comes back and catches up
        TestNode victim = nodes[2];
        long victimApplied = victim.driver.status().applied();
        victim.stop();
        for (int i = 0; i < 40; i++) {
            propose("b" + i);
            acked.add("b" + i);
        }
        awaitAgreement(acked);
        victim.start();
        awaitRoutes();
        awaitAgreement(acked);
        assertTrue(victim.log.values().containsAll(acked), "the restarted node caught up");
        assertTrue(victim.log.restoredIndex > victimApplied, "it caught up from the leader's snapshot (restored "
                + victim.log.restoredIndex + ", had applied " + victimApplied + ")");

        // every route of the leader's node is reset; nothing committed is lost and commits go on
        TestNode l = leader();
        assertNotNull(l);
        RouteTestAccess.resetAll(l.node.routes());
        for (int i = 0; i < 10; i++) {
            propose("c" + i);
            acked.add("c" + i);
        }
        awaitRoutes();
        awaitAgreement(acked);
        for (TestNode n : nodes) {
            RouteGroupTransports.Stats s = n.stats();
            assertTrue(s.sent() > 0 && s.received() > 0, n.name + " carried Raft traffic: " + s);
            assertEquals(0, s.corrupt(), n.name + " saw no corrupt message: " + s);
        }
    }

    /** A bare NATS client: SUB and PUB lines, and whatever MSG lines arrive. */
    static final class Client implements AutoCloseable {
        final Socket socket;
        final OutputStream out;
        final StringBuilder in = new StringBuilder();

        Client(int port) throws IOException {
            socket = new Socket("127.0.0.1", port);
            out = socket.getOutputStream();
            Thread.ofVirtual().start(this::read);
            send("CONNECT {\"verbose\":false,\"pedantic\":false,\"headers\":true}\r\n");
        }

        void send(String s) throws IOException {
            out.write(s.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
        }

        void pub(String subject, byte[] payload) throws IOException {
            send("PUB " + subject + " " + payload.length + "\r\n" + new String(payload, StandardCharsets.ISO_8859_1) + "\r\n");
        }

        private void read() {
            byte[] b = new byte[8192];
            try {
                InputStream is = socket.getInputStream();
                int n;
                while ((n = is.read(b)) > 0) {
                    synchronized (in) {
                        in.append(new String(b, 0, n, StandardCharsets.ISO_8859_1));
                    }
                }
            } catch (IOException e) {
                // closed
            }
        }

        int count(String text) {
            synchronized (in) {
                int c = 0;
                for (int i = in.indexOf(text); i >= 0; i = in.indexOf(text, i + 1)) {
                    c++;
                }
                return c;
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    @Test
    void clientsNeitherSeeNorInjectRaftTraffic() throws Exception {
        startCluster();
        await("a leader", () -> leader() != null);
        TestNode l = leader();
        TestNode follower = nodes[(l.index + 1) % 3];

        // watchers in the client account $G on every node, and in a local account named $NRG
        List<Client> watchers = new ArrayList<>();
        for (TestNode n : nodes) {
            Client c = new Client(n.node.port());
            c.send("SUB $NRG.> 1\r\nSUB > 2\r\nPING\r\n");
            watchers.add(c);
        }
        AtomicInteger inReservedName = new AtomicInteger();
        Account sameName = follower.node.server().account(InternalTraffic.ACCOUNT);
        sameName.subscribe(">", null, (s, r, d, o, h, t) -> inReservedName.incrementAndGet());
        await("PONGs", () -> watchers.stream().allMatch(c -> c.count("PONG") > 0));
        Thread.sleep(300); // let the watchers' interest reach the other nodes

        long receivedBefore = follower.stats().received();
        long termBefore = follower.driver.status().term();
        Set<String> acked = new LinkedHashSet<>();
        for (int i = 0; i < 10; i++) {
            propose("v" + i);
            acked.add("v" + i);
        }
        awaitAgreement(acked);
        assertTrue(follower.stats().received() > receivedBefore, "Raft traffic flowed meanwhile");

        // a client forges a vote request with a huge term, addressed exactly as a real one, in $G,
        // and the same in the local account named $NRG: no replica may ever see it
        Message forged = new Message.RequestVote(l.id, follower.id, termBefore + 1000, 1_000_000, termBefore + 999,
                false, true);
        byte[] payload = MessageCodec.encode(forged);
        String subject = RouteGroupTransports.subject(GROUP, follower.id);
        Client injector = new Client(l.node.port());
        injector.pub(subject, payload);
        injector.send("PING\r\n");
        await("injector's PONG", () -> injector.count("PONG") > 0);
        sameName.publish(subject, null, null, payload);
        l.node.server().account(InternalTraffic.ACCOUNT).publish(subject, null, null, payload);
        Thread.sleep(500);

        for (int i = 0; i < 5; i++) {
            propose("w" + i);
            acked.add("w" + i);
        }
        awaitAgreement(acked);
        for (TestNode n : nodes) {
            assertTrue(n.driver.status().term() < termBefore + 1000, n.name + " never saw the forged term");
        }
        int forgedSeen = 0;
        for (Client c : watchers) {
            // the only messages a $G client may see on $NRG subjects are the injector's own (its account)
            forgedSeen += c.count("MSG $NRG.");
        }
        // the injector's one publication, to two subscriptions per watcher at most, on 3 nodes
        assertTrue(forgedSeen <= 2 * 3, "watchers saw only the client's own $G messages: " + forgedSeen);
        int raftFramesSeen = 0;
        for (Client c : watchers) {
            raftFramesSeen += c.count("MSG $NRG." + GROUP + "." + PeerIds.hex(l.id));
        }
        assertEquals(0, raftFramesSeen, "no client saw a Raft message addressed to the leader");
        assertEquals(1, inReservedName.get(), "a local account named $NRG saw only its own publication");
        for (TestNode n : nodes) {
            assertEquals(0, n.stats().corrupt(), n.name + ": " + n.stats());
        }
        for (Client c : watchers) {
            c.close();
        }
        injector.close();
    }

    @Test
    void aCorruptOrMisaddressedMessageIsDroppedAndCountedAndTheRouteStays() throws Exception {
        startCluster();
        await("a leader", () -> leader() != null);
        TestNode a = nodes[0];
        TestNode b = nodes[1];
        RouteConnection toB = a.node.routes().snapshot().stream().filter(r -> r.remoteName().equals(b.name)).findFirst()
                .orElseThrow();
        long corruptBefore = b.stats().corrupt();
        long noTransportBefore = b.stats().droppedNoTransport();
        byte[] good = MessageCodec.encode(new Message.Heartbeat(a.id, b.id, 1, 0, 0));
        byte[] flipped = good.clone();
        flipped[3] ^= 0x40;
        assertTrue(toB.sendInternal(RouteGroupTransports.subject(GROUP, b.id), flipped));
        assertTrue(toB.sendInternal(RouteGroupTransports.subject(GROUP, b.id), new byte[] {1, 2}));
        assertTrue(toB.sendInternal("$NRG.x", good));
        // a sender that is not the route's peer (a forged from)
        assertTrue(toB.sendInternal(RouteGroupTransports.subject(GROUP, b.id),
                MessageCodec.encode(new Message.Heartbeat(nodes[2].id, b.id, 1, 0, 0))));
        // a group nobody opened here
        assertTrue(toB.sendInternal(RouteGroupTransports.subject("nope", b.id), good));
        await("drops counted", () -> b.stats().corrupt() >= corruptBefore + 4
                && b.stats().droppedNoTransport() >= noTransportBefore + 1);
        assertFalse(toB.isClosed(), "the route stays up");
        Set<String> acked = new LinkedHashSet<>();
        propose("after");
        acked.add("after");
        awaitAgreement(acked);
    }

    @Test
    void theInternalAccountCannotBeConfiguredForClients() {
        ServerOptions o = new ServerOptions();
        o.port = 0;
        o.auth.accounts.put(InternalTraffic.ACCOUNT, new AccountConfig(InternalTraffic.ACCOUNT, false));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Node(Env.real(), o, ServerLog.silent()));
        assertTrue(e.getMessage().contains("reserved"), e.getMessage());
    }

    @Test
    void groupNamesAreOneSubjectToken() {
        RouteGroupTransports t = new RouteGroupTransports(Env.real(), ServerLog.silent());
        for (String bad : List.of("", "a.b", "a*", ">", "a b")) {
            assertThrows(IllegalArgumentException.class, () -> t.open(bad, 1), bad);
        }
        t.open("meta", 1).close();
        t.open("meta", 1); // closed: may be opened again
        assertThrows(IllegalStateException.class, () -> t.open("meta", 1));
    }
}
