package io.weft.engine.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.engine.ServerLog;
import io.weft.engine.ServerOptions;
import io.weft.engine.node.Node;
import io.weft.engine.server.Server;
import io.weft.net.Env;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Monitor against a running server with three open connections and one closed:
 * alice (cid 1, subs foo, bar.*, baz.> in queue q1), bob (cid 2, sub foo, publishes foo and bar.x),
 * carol (cid 3, no name, publishes foo), closer (cid 4, sub zzz, then gone).
 */
class MonitorTest {
    private static Node node;
    private static Server server;
    private static Monitor monitor;
    private static RawClient alice;
    private static RawClient bob;
    private static RawClient carol;

    @BeforeAll
    static void start() throws Exception {
        ServerOptions opts = new ServerOptions();
        opts.host = "127.0.0.1";
        opts.port = 0;
        node = new Node(Env.real(), opts, ServerLog.silent());
        node.start();
        server = node.server();
        monitor = new Monitor(node);
        int port = server.port();
        alice = new RawClient(port, "{\"verbose\":false,\"name\":\"alice\",\"lang\":\"python3\",\"version\":\"1.2.3\"}");
        alice.send("SUB foo 1\r\nSUB bar.* 2\r\nSUB baz.> q1 3\r\n");
        alice.flush();
        bob = new RawClient(port, "{\"verbose\":false,\"name\":\"bob\",\"lang\":\"python3\",\"version\":\"1.2.3\"}");
        bob.send("SUB foo 1\r\n");
        bob.flush();
        carol = new RawClient(port, "{\"verbose\":false,\"lang\":\"go\",\"version\":\"1.2.3\"}");
        carol.flush();
        try (RawClient closer = new RawClient(port, "{\"verbose\":false,\"name\":\"closer\"}")) {
            closer.send("SUB zzz 1\r\n");
            closer.flush();
        }
        bob.pub("foo", "hello");
        bob.pub("bar.x", "hi there");
        bob.flush();
        // last activity is kept in milliseconds, as the monitor reports it; without a pause bob's
        // last read and carol's publish can fall in the same millisecond and tie under sort=last
        Thread.sleep(5);
        carol.pub("foo", "abc");
        carol.flush();
        waitFor(() -> server.closedClients().size() == 1 && server.openClients().size() == 3);
    }

    @AfterAll
    static void stop() throws Exception {
        alice.close();
        bob.close();
        carol.close();
        server.shutdown();
    }

    private static void waitFor(BooleanSupplier cond) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not reached");
            }
            Thread.sleep(10);
        }
    }

    private static Connz connz(Map<String, String> query) throws MonitorException {
        return monitor.connz(ConnzOptions.parse(MonitorQuery.of(query)));
    }

    private static List<Long> cids(Connz c) {
        return c.connections().stream().map(Connz.ConnInfo::cid).toList();
    }

    @Test
    void connzListsOpenConnectionsInCidOrder() throws Exception {
        Connz c = connz(Map.of());
        assertEquals(server.serverId(), c.serverId());
        assertEquals(3, c.numConnections());
        assertEquals(3, c.total());
        assertEquals(0, c.offset());
        assertEquals(1024, c.limit());
        assertEquals(List.of(1L, 2L, 3L), cids(c));
        Connz.ConnInfo a = c.connections().get(0);
        assertEquals("Client", a.kind());
        assertEquals("nats", a.type());
        assertEquals("127.0.0.1", a.ip());
        assertEquals("alice", a.name());
        assertEquals("python3", a.lang());
        assertEquals("1.2.3", a.version());
        assertEquals(3, a.subscriptions());
        assertEquals(3, a.outMsgs());
        assertEquals(0, a.inMsgs());
        assertNull(a.stop());
        assertNull(a.reason());
        assertNull(a.subscriptionsList());
        assertNull(a.subscriptionsListDetail());
        Connz.ConnInfo b = c.connections().get(1);
        assertEquals(2, b.inMsgs());
        assertEquals(13, b.inBytes());
        assertEquals(2, b.outMsgs());
        assertNull(c.connections().get(2).name());
        assertEquals("go", c.connections().get(2).lang());
    }

    @Test
    void connzSortsLargestCountersFirst() throws Exception {
        assertEquals(List.of(1L, 2L, 3L), cids(connz(Map.of("sort", "msgs_to"))));
        assertEquals(List.of(2L, 3L, 1L), cids(connz(Map.of("sort", "bytes_from"))));
        assertEquals(List.of(2L, 3L, 1L), cids(connz(Map.of("sort", "msgs_from"))));
        assertEquals(List.of(1L, 2L, 3L), cids(connz(Map.of("sort", "subs"))));
        assertEquals(List.of(1L, 2L, 3L), cids(connz(Map.of("sort", "start"))));
        assertEquals(List.of(1L, 2L, 3L), cids(connz(Map.of("sort", "bytes_to"))));
        // carol spoke last
        assertEquals(3L, cids(connz(Map.of("sort", "last"))).get(0));
        assertEquals(3, connz(Map.of("sort", "rtt")).numConnections());
        // as nats-server 2.9.10: uptime shortest first, "idle" by time active (last - start) longest first
        Connz all = connz(Map.of());
        Comparator<Connz.ConnInfo> byCid = Comparator.comparingLong(Connz.ConnInfo::cid);
        List<Long> uptime = all.connections().stream()
                .sorted(Comparator.comparing((Connz.ConnInfo c) -> Instant.parse(c.start())).reversed().thenComparing(byCid))
                .map(Connz.ConnInfo::cid).toList();
        assertEquals(uptime, cids(connz(Map.of("sort", "uptime"))));
        List<Long> idle = all.connections().stream()
                .sorted(Comparator.comparing((Connz.ConnInfo c) -> Duration.between(Instant.parse(c.start()),
                        Instant.parse(c.lastActivity()))).reversed().thenComparing(byCid))
                .map(Connz.ConnInfo::cid).toList();
        assertEquals(idle, cids(connz(Map.of("sort", "idle"))));
        assertEquals(3, connz(Map.of("sort", "pending")).numConnections());
    }

    @Test
    void connzPagesWithOffsetAndLimit() throws Exception {
        Connz c = connz(Map.of("limit", "1", "offset", "1"));
        assertEquals(List.of(2L), cids(c));
        assertEquals(1, c.numConnections());
        assertEquals(3, c.total());
        assertEquals(1, c.offset());
        assertEquals(1, c.limit());
        Connz past = connz(Map.of("offset", "10"));
        assertEquals(List.of(), past.connections());
        assertEquals(3, past.total());
        assertEquals(10, past.offset());
        assertEquals(1024, connz(Map.of("limit", "0")).limit());
        assertEquals(0, connz(Map.of("offset", "-1")).offset());
        assertEquals(List.of(2L, 3L), cids(connz(Map.of("sort", "bytes_from", "limit", "2"))));
    }

    @Test
    void connzStatesAndCidFilter() throws Exception {
        Connz closed = connz(Map.of("state", "closed"));
        assertEquals(List.of(4L), cids(closed));
        Connz.ConnInfo gone = closed.connections().get(0);
        assertNotNull(gone.stop());
        assertFalse(gone.reason().isEmpty());
        assertEquals("closer", gone.name());
        assertEquals(List.of(1L, 2L, 3L, 4L), cids(connz(Map.of("state", "any"))));
        assertEquals(4, connz(Map.of("state", "ALL")).total());
        assertEquals(List.of(4L), cids(connz(Map.of("state", "closed", "sort", "stop"))));
        assertEquals(List.of(4L), cids(connz(Map.of("state", "closed", "sort", "reason"))));

        Connz one = connz(Map.of("cid", "2"));
        assertEquals(List.of(2L), cids(one));
        assertEquals(1, one.limit());
        assertEquals(3, one.total());
        Connz notOpen = connz(Map.of("cid", "4"));
        assertEquals(0, notOpen.numConnections());
        assertEquals(List.of(4L), cids(connz(Map.of("cid", "4", "state", "any"))));
    }

    @Test
    void connzSubscriptionListsAndDetails() throws Exception {
        Connz subs = connz(Map.of("subs", "1", "limit", "2"));
        assertEquals(List.of("bar.*", "baz.>", "foo"),
                subs.connections().get(0).subscriptionsList().stream().sorted().toList());
        assertEquals(List.of("foo"), subs.connections().get(1).subscriptionsList());
        assertNull(subs.connections().get(0).subscriptionsListDetail());

        Connz detail = connz(Map.of("subs", "detail"));
        List<SubDetail> d = detail.connections().get(0).subscriptionsListDetail();
        assertNull(detail.connections().get(0).subscriptionsList());
        assertEquals(3, d.size());
        SubDetail queue = d.stream().filter(s -> s.subject().equals("baz.>")).findFirst().orElseThrow();
        assertEquals("q1", queue.qgroup());
        assertEquals("3", queue.sid());
        assertEquals(1, queue.cid());
        assertNull(queue.account(), "open connections' details carry no account");
        SubDetail foo = d.stream().filter(s -> s.subject().equals("foo")).findFirst().orElseThrow();
        assertEquals(2, foo.msgs());
        // carol has no subscriptions: the list is left out, not empty
        assertNull(detail.connections().get(2).subscriptionsListDetail());
    }

    @Test
    void connzAuthAndAccountFilters() throws Exception {
        Connz auth = connz(Map.of("auth", "true"));
        assertNull(auth.connections().get(0).authorizedUser(), "no user without authentication");
        assertNull(auth.connections().get(0).account());
        assertEquals(3, connz(Map.of("acc", "$G")).numConnections());
        Connz unknown = connz(Map.of("acc", "NOPE"));
        assertEquals("", unknown.serverId());
        assertNull(unknown.connections());
        assertEquals(0, unknown.total());
        assertEquals(0, connz(Map.of("mqtt_client", "x")).numConnections());
        assertEquals(0, connz(Map.of("user", "alice")).total(), "nobody is authenticated");
    }

    @Test
    void subszStatsAndLists() throws Exception {
        Subsz stats = monitor.subsz(SubszOptions.defaults());
        assertEquals(4, stats.numSubscriptions());
        assertEquals(server.serverId(), stats.serverId(), "2.15.1 prints the envelope without subs too");
        assertEquals(0, stats.total());
        assertEquals(1024, stats.limit());
        assertTrue(stats.subscriptionsList().isEmpty(), "printed without subscriptions_list");

        Subsz all = monitor.subsz(SubszOptions.parse(MonitorQuery.of(Map.of("subs", "1"))));
        assertEquals(server.serverId(), all.serverId());
        assertEquals(4, all.total());
        assertEquals(4, all.subscriptionsList().size());
        assertTrue(all.subscriptionsList().stream().allMatch(s -> s.account().equals("$G")));

        Subsz foo = monitor.subsz(SubszOptions.parse(MonitorQuery.of(Map.of("subs", "1", "test", "foo"))));
        assertEquals(List.of(1L, 2L), foo.subscriptionsList().stream().map(SubDetail::cid).toList());
        Subsz barx = monitor.subsz(SubszOptions.parse(MonitorQuery.of(Map.of("subs", "1", "test", "bar.x"))));
        assertEquals(List.of("bar.*"), barx.subscriptionsList().stream().map(SubDetail::subject).toList());
        Subsz deep = monitor.subsz(SubszOptions.parse(MonitorQuery.of(Map.of("subs", "1", "test", "baz.a.b"))));
        assertEquals("q1", deep.subscriptionsList().get(0).qgroup());

        Subsz page = monitor.subsz(SubszOptions.parse(MonitorQuery.of(Map.of("subs", "1", "offset", "1", "limit", "2"))));
        assertEquals(4, page.total(), "nats-server 2.15.1 reports every match as total");
        assertEquals(2, page.subscriptionsList().size());
        assertEquals(1, page.offset());
        assertEquals(2, page.limit());
        Subsz none = monitor.subsz(SubszOptions.parse(MonitorQuery.of(Map.of("subs", "1", "test", "nomatch"))));
        assertEquals(server.serverId(), none.serverId(), "an empty page keeps the envelope");
        assertEquals(0, none.total());
        assertTrue(none.subscriptionsList().isEmpty(), "and leaves the list out");
    }

    @Test
    void accountzAndAccstatz() throws Exception {
        Accountz list = monitor.accountz("");
        assertEquals(List.of("$G", "$SYS"), list.accounts()); // the system account exists unless no_system_account
        assertEquals("$SYS", list.systemAccount());
        assertNull(list.accountDetail());
        Accountz g = monitor.accountz("$G");
        assertEquals("$G", g.accountDetail().accountName());
        assertEquals(3, g.accountDetail().clientConnections());
        assertEquals(4, g.accountDetail().subscriptions());
        assertFalse(g.accountDetail().jetstreamEnabled());
        MonitorException e = assertThrows(MonitorException.class, () -> monitor.accountz("NOPE"));
        assertEquals("Account NOPE does not exist", e.getMessage());

        Accstatz st = monitor.accstatz(false);
        assertEquals(1, st.accountStatz().size());
        Accstatz.AccountStat s = st.accountStatz().get(0);
        assertEquals(3, s.conns());
        assertEquals(3, s.received().msgs());
        assertEquals(16, s.received().bytes());
        assertEquals(5, s.sent().msgs());
    }

    @Test
    void varzCountsEverything() {
        monitor.countRequest("/varz");
        Varz v = monitor.varz();
        assertEquals(server.serverId(), v.serverId());
        assertEquals(server.port(), v.port());
        assertEquals(3, v.connections());
        assertEquals(4, v.totalConnections());
        assertEquals(3, v.inMsgs());
        assertEquals(16, v.inBytes());
        assertEquals(5, v.outMsgs());
        assertEquals(4, v.subscriptions());
        assertEquals(120_000_000_000L, v.pingInterval());
        assertEquals(2.0, v.authTimeout());
        assertFalse(v.authRequired());
        assertEquals(1L, v.httpReqStats().get("/varz"));
        assertEquals(Varz.JetStreamVarz.DISABLED, v.jetstream());
    }

    @Test
    void fixedShapes() {
        assertTrue(monitor.jsz().disabled());
        assertEquals(0, monitor.routez().numRoutes());
        assertEquals(List.of(), monitor.routez().routes());
        assertNull(monitor.leafz().leafs());
        assertEquals("ok", monitor.healthz().status());
    }
}
