package io.weft.server.monitor;

import static io.weft.server.monitor.MonitorScenario.find;
import static io.weft.server.monitor.MonitorScenario.paths;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.weft.server.it.TestServer;
import io.weft.server.it.TestServers;
import io.weft.server.it.TestServers.Target;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The same clients and monitoring requests against a weft process and nats-server 2.15.1: the key
 * paths and the values that do not depend on the implementation agree. The keys weft leaves out
 * are listed here and in docs/operator-guide.md: what lives in nats-server's system account (its
 * internal subscriptions are counted in {@code subscriptions} and the sublist figures),
 * {@code feature_flags} (switches of nats-server's own internals), {@code disk_io_wait_stats}
 * (weft has no disk I/O semaphore), {@code jetstream.limits} (weft has none of those limits) and
 * {@code sync_interval} (weft's default syncs each batch before acking instead of every two minutes).
 */
class MonitorDifferentialTest {
    private static final List<String> VARZ_ABSENT = List.of("feature_flags", "disk_io_wait_stats",
            "jetstream.limits", "jetstream.config.sync_interval");

    private static Map<String, MonitorScenario.Answer> natsPlain;
    private static Map<String, MonitorScenario.Answer> weftPlain;
    private static Map<String, MonitorScenario.Answer> natsAuth;
    private static Map<String, MonitorScenario.Answer> weftAuth;
    private static Map<String, MonitorScenario.Answer> natsJs;
    private static Map<String, MonitorScenario.Answer> weftJs;

    @BeforeAll
    static void run() throws Exception {
        natsPlain = plain(Target.NATS_NEWEST);
        weftPlain = plain(Target.WEFT);
        natsAuth = auth(Target.NATS_NEWEST);
        weftAuth = auth(Target.WEFT);
        natsJs = jetstream(Target.NATS_NEWEST);
        weftJs = jetstream(Target.WEFT);
    }

    private static Map<String, MonitorScenario.Answer> plain(Target t) throws Exception {
        int m = CaptureMonitorSamples.freePort();
        try (TestServer s = TestServers.startWithoutConfig(t, "-m", Integer.toString(m));
             MonitorScenario sc = new MonitorScenario()) {
            sc.plainTraffic(s.port());
            MonitorScenario.awaitClosed(m, 2); // the harness's readiness probe and "closer"
            MonitorScenario.awaitSubscriptions(m, "alice", 3);
            return MonitorScenario.fetchAll(m, MonitorScenario.PLAIN);
        }
    }

    private static Map<String, MonitorScenario.Answer> auth(Target t) throws Exception {
        try (TestServer s = TestServers.start(t, MonitorScenario.AUTH_CONFIG);
             MonitorScenario sc = new MonitorScenario()) {
            sc.authTraffic(s.port());
            MonitorScenario.awaitClosed(s.monitorPort(), 2);
            return MonitorScenario.fetchAll(s.monitorPort(), MonitorScenario.AUTH);
        }
    }

    private static Map<String, MonitorScenario.Answer> jetstream(Target t) throws Exception {
        Path store = Files.createTempDirectory("weft-mondiff-" + t);
        int m = CaptureMonitorSamples.freePort();
        try (TestServer s = TestServers.startWithoutConfig(t, "-m", Integer.toString(m), "-js", "-sd", store.toString())) {
            return MonitorScenario.fetchAll(m, MonitorScenario.JETSTREAM);
        }
    }

    private static JsonNode n(Map<String, MonitorScenario.Answer> a, String name) {
        return a.get(name).body();
    }

    @Test
    void varzCountersAgree() {
        JsonNode nats = n(natsPlain, "varz.json");
        JsonNode weft = n(weftPlain, "varz.json");
        assertEquals(paths(nats, VARZ_ABSENT), paths(weft, VARZ_ABSENT));
        for (String k : List.of("connections", "total_connections", "in_msgs", "in_bytes", "in_client_msgs",
                "in_client_bytes", "out_msgs", "out_bytes", "out_client_msgs", "out_client_bytes", "slow_consumers",
                "stale_connections", "stalled_clients", "config_digest", "slow_consumer_stats",
                "stale_connection_stats", "max_payload", "max_pending", "ping_interval", "write_deadline",
                "jetstream", "cluster", "routes")) {
            assertEquals(nats.get(k), weft.get(k), k);
        }
        assertEquals(5, weft.get("in_client_msgs").asInt()); // the traffic did happen
        assertEquals(7, weft.get("out_client_msgs").asInt());
    }

    @Test
    void configDigestOfTheSameFileAgrees() {
        JsonNode nats = n(natsAuth, "varz-auth.json");
        JsonNode weft = n(weftAuth, "varz-auth.json");
        assertEquals(paths(nats, VARZ_ABSENT), paths(weft, VARZ_ABSENT));
        assertTrue(nats.get("config_digest").asText().matches("sha256:[0-9a-f]{64}"), nats.toString());
        assertEquals(nats.get("config_digest"), weft.get("config_digest"));
        assertEquals("", n(weftPlain, "varz.json").get("config_digest").asText());
    }

    @Test
    void connzAgrees() {
        for (String doc : List.of("connz.json", "connz-subs.json", "connz-subs-detail.json")) {
            JsonNode nats = n(natsPlain, doc);
            JsonNode weft = n(weftPlain, doc);
            assertEquals(paths(nats), paths(weft), doc);
            assertEquals(nats.get("num_connections"), weft.get("num_connections"), doc);
            for (String name : List.of("alice", "bob")) {
                JsonNode a = find(nats.get("connections"), "name", name);
                JsonNode b = find(weft.get("connections"), "name", name);
                assertEquals(paths(a), paths(b), doc + " " + name);
                for (String k : List.of("kind", "type", "ip", "pending_bytes", "in_msgs", "out_msgs", "in_bytes",
                        "out_bytes", "subscriptions", "lang", "version")) {
                    assertEquals(a.get(k), b.get(k), doc + " " + name + " " + k);
                }
                // nats-server lists a connection's subscriptions in Go's (random) map order
                assertEquals(sorted(a.get("subscriptions_list")), sorted(b.get("subscriptions_list")), doc);
            }
        }
        JsonNode a = find(n(natsPlain, "connz-closed-detail.json").get("connections"), "name", "closer");
        JsonNode b = find(n(weftPlain, "connz-closed-detail.json").get("connections"), "name", "closer");
        assertEquals(paths(a), paths(b));
        assertEquals(withoutCid(a.get("subscriptions_list_detail").get(0)),
                withoutCid(b.get("subscriptions_list_detail").get(0)));
        assertEquals(withoutIdAndTime(n(natsPlain, "connz-unknown-account.json")),
                withoutIdAndTime(n(weftPlain, "connz-unknown-account.json")));

        JsonNode na = n(natsAuth, "connz-auth.json");
        JsonNode wa = n(weftAuth, "connz-auth.json");
        for (String name : List.of("ca", "cb")) {
            JsonNode x = find(na.get("connections"), "name", name);
            JsonNode y = find(wa.get("connections"), "name", name);
            assertEquals(paths(x), paths(y), name);
            for (String k : List.of("authorized_user", "account", "name_tag", "in_msgs", "out_msgs")) {
                assertEquals(x.get(k), y.get(k), name + " " + k);
            }
        }
    }

    @Test
    void subszAlwaysHasTheEnvelope() {
        JsonNode nats = n(natsPlain, "subsz.json");
        JsonNode weft = n(weftPlain, "subsz.json");
        assertEquals(paths(nats), paths(weft));
        for (String k : List.of("total", "offset", "limit")) {
            assertEquals(nats.get(k), weft.get(k), k);
        }
        JsonNode nt = n(natsPlain, "subsz-test.json");
        JsonNode wt = n(weftPlain, "subsz-test.json");
        assertEquals(paths(nt), paths(wt));
        assertEquals(nt.get("total"), wt.get("total"));
        assertEquals(entries(nt), entries(wt));

        // account B: nats-server also lists the system's service imports, weft has only the client's
        JsonNode nb = n(natsAuth, "subsz-subs.json");
        JsonNode wb = n(weftAuth, "subsz-subs.json");
        assertEquals(paths(nb), paths(wb));
        assertEquals(withoutCid(find(nb.get("subscriptions_list"), "subject", "x.y")),
                withoutCid(find(wb.get("subscriptions_list"), "subject", "x.y")));
    }

    @Test
    void accstatzCountsClosedConnectionsToo() {
        JsonNode nats = find(n(natsPlain, "accstatz.json").get("account_statz"), "acc", "$G");
        JsonNode weft = find(n(weftPlain, "accstatz.json").get("account_statz"), "acc", "$G");
        assertEquals(paths(nats), paths(weft));
        for (String k : List.of("name", "conns", "leafnodes", "total_conns", "sent", "received", "slow_consumers")) {
            assertEquals(nats.get(k), weft.get(k), k);
        }
        for (String acc : List.of("A", "B")) {
            JsonNode x = find(n(natsAuth, "accstatz-unused.json").get("account_statz"), "acc", acc);
            JsonNode y = find(n(weftAuth, "accstatz-unused.json").get("account_statz"), "acc", acc);
            // not "received": nats-server credits what a read brings to the account the connection had
            // when the read began, so a PUB read together with CONNECT counts for $G (timing-dependent)
            for (String k : List.of("conns", "total_conns", "sent")) {
                assertEquals(x.get(k), y.get(k), acc + " " + k);
            }
        }
    }

    @Test
    void jszAndTheVarzJetStreamBlockAgree() {
        assertEquals(withoutIdAndTime(n(natsPlain, "jsz-disabled.json")),
                withoutIdAndTime(n(weftPlain, "jsz-disabled.json")));
        List<String> absent = List.of("limits");
        JsonNode nats = n(natsJs, "jsz-enabled.json");
        JsonNode weft = n(weftJs, "jsz-enabled.json");
        assertEquals(paths(nats, List.of("limits", "config.sync_interval")), paths(weft, absent));
        for (String k : List.of("accounts", "total", "streams", "consumers", "memory", "storage")) {
            assertEquals(nats.get(k), weft.get(k), k);
        }
        // nats-server's defaults for unset limits: 3/4 of the memory and of the disk space available
        assertEquals(nats.at("/config/max_memory"), weft.at("/config/max_memory"));
        long ns = nats.at("/config/max_storage").asLong();
        long ws = weft.at("/config/max_storage").asLong();
        assertTrue(Math.abs(ns - ws) < 512L << 20, ns + " vs " + ws); // the free space moves a little
        assertEquals(nats.at("/config/strict"), weft.at("/config/strict"));
        JsonNode nv = n(natsJs, "varz-jetstream.json").get("jetstream");
        JsonNode wv = n(weftJs, "varz-jetstream.json").get("jetstream");
        assertEquals(paths(nv, List.of("limits", "config.sync_interval")), paths(wv));
        assertEquals(nv.at("/config/max_memory"), wv.at("/config/max_memory"));
        assertEquals(io.weft.engine.server.Server.API_LEVEL, wv.at("/stats/api/level").asInt()); // 2.15.1 is at 5
        assertEquals(2, wv.at("/stats/api/level").asInt());
    }

    @Test
    void healthzAgrees() {
        for (Map<String, MonitorScenario.Answer>[] pair : pairs()) {
            for (String doc : pair[0].keySet()) {
                if (doc.startsWith("healthz")) {
                    MonitorScenario.Answer x = pair[0].get(doc);
                    MonitorScenario.Answer y = pair[1].get(doc);
                    assertEquals(x.status(), y.status(), doc);
                    assertEquals(x.contentType(), y.contentType(), doc);
                    assertEquals(x.text(), y.text(), doc);
                }
            }
        }
    }

    /** The queries of {@link #healthzAssetFiltersAgree}, before and after the assets exist. */
    private static final List<String> HEALTHZ_ASSETS = List.of(
            "/healthz?account=$G", "/healthz?account=$G&details=true", "/healthz?account=NOPE&details=true",
            "/healthz?account=$G&stream=M", "/healthz?account=$G&stream=F", "/healthz?account=$G&stream=F&consumer=FC",
            "/healthz?account=$G&stream=F&consumer=NO", "/healthz?account=$G&stream=F&consumer=NO&details=true",
            "/healthz?account=$G&stream=NO&details=true", "/healthz?account=$G&stream=M&consumer=MC",
            "/healthz?account=NOPE&js-enabled-only=true");

    /**
     * {@code /healthz?account=&stream=&consumer=} as 2.15.1 answers on a single server: an account
     * or stream is found by its store directory (a memory stream has none: "not found", 404), a
     * consumer on its stream; the detailed answer names the asset.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
    void healthzAssetFiltersAgree(boolean withAssets) throws Exception {
        List<List<String>> answers = new ArrayList<>();
        for (Target t : List.of(Target.NATS_NEWEST, Target.WEFT)) {
            Path store = Files.createTempDirectory("weft-healthz-" + t);
            int m = CaptureMonitorSamples.freePort();
            try (TestServer s = TestServers.startWithoutConfig(t, "-m", Integer.toString(m), "-js", "-sd", store.toString())) {
                if (withAssets) {
                    try (io.nats.client.Connection c = io.nats.client.Nats.connect("nats://127.0.0.1:" + s.port())) {
                        var jsm = c.jetStreamManagement();
                        for (String name : List.of("M", "F")) {
                            jsm.addStream(io.nats.client.api.StreamConfiguration.builder().name(name)
                                    .subjects(name.toLowerCase()).storageType(name.equals("M")
                                            ? io.nats.client.api.StorageType.Memory : io.nats.client.api.StorageType.File)
                                    .build());
                            jsm.addOrUpdateConsumer(name, io.nats.client.api.ConsumerConfiguration.builder()
                                    .durable(name + "C").build());
                        }
                    }
                }
                List<String> got = new ArrayList<>();
                for (String q : HEALTHZ_ASSETS) {
                    MonitorScenario.Answer a = MonitorScenario.get(m, q);
                    got.add(q + " -> " + a.status() + " " + a.text().strip());
                }
                answers.add(got);
            }
        }
        assertEquals(String.join("\n", answers.get(0)), String.join("\n", answers.get(1)));
    }

    /** A client that never answers PING is closed as stale; /varz counts it, by kind, on both servers. */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(value = Target.class, names = {"WEFT", "NATS_NEWEST"})
    void aPingTimeoutIsAStaleConnection(Target t) throws Exception {
        try (TestServer s = TestServers.start(t, "ping_interval: \"200ms\"\nping_max: 1\n");
             NatsClient mute = new NatsClient(s.port(), "{\"verbose\":false}")) {
            long deadline = System.nanoTime() + 10_000_000_000L;
            JsonNode varz;
            do {
                Thread.sleep(50);
                varz = MonitorScenario.get(s.monitorPort(), "/varz").body();
            } while (varz.path("stale_connections").asLong() == 0 && System.nanoTime() < deadline);
            assertEquals(1, varz.path("stale_connections").asLong(), t + ": " + varz);
            assertEquals(1, varz.at("/stale_connection_stats/clients").asLong(), t.toString());
            assertEquals(0, varz.at("/stale_connection_stats/routes").asLong(), t.toString());
            // the closed list is filled when the close has finished, shortly after the count
            String closed;
            do {
                closed = MonitorScenario.get(s.monitorPort(), "/connz?state=closed").text();
            } while (!closed.contains("\"Stale Connection\"") && System.nanoTime() < deadline);
            assertTrue(closed.contains("\"reason\": \"Stale Connection\""), t + ": " + closed);
        }
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, MonitorScenario.Answer>[]> pairs() {
        return List.of(new Map[] {natsPlain, weftPlain}, new Map[] {natsJs, weftJs});
    }

    private static JsonNode withoutCid(JsonNode n) {
        ObjectNode o = n.deepCopy();
        o.remove("cid");
        return o;
    }

    private static JsonNode withoutIdAndTime(JsonNode n) {
        ObjectNode o = n.deepCopy();
        o.remove("server_id");
        o.remove("now");
        return o;
    }

    private static TreeSet<String> sorted(JsonNode array) {
        TreeSet<String> out = new TreeSet<>();
        if (array != null) {
            array.forEach(e -> out.add(e.toString()));
        }
        return out;
    }

    private static TreeSet<String> entries(JsonNode subsz) {
        TreeSet<String> out = new TreeSet<>();
        List<JsonNode> list = new ArrayList<>();
        subsz.get("subscriptions_list").forEach(list::add);
        for (JsonNode e : list) {
            out.add(withoutCid(e).toString());
        }
        return out;
    }
}
