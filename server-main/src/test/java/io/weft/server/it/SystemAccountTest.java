package io.weft.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nats.client.Connection;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.Subscription;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

/**
 * The system account ({@code system_account}, default {@code $SYS}) against nats-server 2.15.1: a
 * user of it asks {@code $SYS.REQ.SERVER.PING[.<KIND>]} and {@code $SYS.REQ.SERVER.<id>.<KIND>} and
 * hears the connection events of every account; the documents' fields and the events' fields
 * are nats-server's (the values that differ by nature, times, ids, sizes, are not compared); a user
 * of another account reaches none of it.
 */
class SystemAccountTest {
    private static final ObjectMapper M = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final String CONF = "server_name: S1\n"
            + "accounts {\n"
            + "  SYS { users: [ {user: sys, password: s} ] }\n"
            + "  A { users: [ {user: a, password: a} ] }\n"
            + "}\n"
            + "%s: SYS\n";

    /** What nats-server 2.15.1 has that weft does not report (its internal feature switches). */
    private static final List<String> NATS_ONLY = List.of("server.feature_flags");

    private static Connection user(TestServer s, String user, String pass) throws Exception {
        return Nats.connect(Options.builder().server(s.url()).userInfo(user, pass).noReconnect()
                .connectionTimeout(WAIT).build());
    }

    private static JsonNode request(Connection c, String subject, String body) throws Exception {
        Message m = c.request(subject, body.getBytes(StandardCharsets.UTF_8), WAIT);
        assertNotNull(m, subject);
        return M.readTree(m.getData());
    }

    /** The field paths of a document, two levels deep (deeper ones are the monitoring documents' own tests). */
    private static TreeSet<String> paths(JsonNode n, String prefix, int depth) {
        TreeSet<String> out = new TreeSet<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String p = prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey();
            if (NATS_ONLY.contains(p)) {
                continue;
            }
            out.add(p);
            if (depth > 1 && e.getValue().isObject()) {
                out.addAll(paths(e.getValue(), p, depth - 1));
            }
        }
        return out;
    }

    /** One server's answers: each request's field paths, and its checks of values. */
    private static Map<String, Object> observe(TestServers.Target t, String key) throws Exception {
        Map<String, Object> seen = new LinkedHashMap<>();
        try (TestServer s = TestServers.start(t, String.format(CONF, key));
             Connection sys = user(s, "sys", "s")) {
            Subscription events = sys.subscribe("$SYS.ACCOUNT.A.*");
            Subscription conns = sys.subscribe("$SYS.ACCOUNT.A.SERVER.CONNS");
            sys.flush(WAIT);
            JsonNode idz = request(sys, "$SYS.REQ.SERVER.PING.IDZ", "");
            assertEquals("S1", idz.path("name").asText(), idz.toString());
            String id = idz.path("id").asText();
            seen.put("idz", paths(idz, "", 2));

            JsonNode statsz = request(sys, "$SYS.REQ.SERVER.PING", "");
            assertEquals(id, statsz.at("/server/id").asText());
            assertEquals(1, statsz.at("/statsz/connections").asInt(), statsz.toString());
            seen.put("statsz", paths(statsz, "", 2));

            JsonNode varz = request(sys, "$SYS.REQ.SERVER." + id + ".VARZ", "");
            assertEquals(id, varz.at("/data/server_id").asText());
            assertEquals("SYS", varz.at("/data/system_account").asText(), varz.at("/data").toString());
            seen.put("varz.server", paths(varz.path("server"), "server", 1));

            JsonNode connz = request(sys, "$SYS.REQ.SERVER.PING.CONNZ", "{\"subscriptions\":true}");
            List<String> subs = new ArrayList<>();
            connz.at("/data/connections/0/subscriptions_list").forEach(x -> subs.add(x.asText()));
            assertTrue(subs.contains("$SYS.ACCOUNT.A.*"), connz.toString());
            seen.put("connz", paths(connz, "", 2));

            JsonNode healthz = request(sys, "$SYS.REQ.SERVER.PING.HEALTHZ", "");
            seen.put("healthz", healthz.path("data").toString());

            JsonNode bad = request(sys, "$SYS.REQ.SERVER.PING.CONNZ", "{bad");
            seen.put("bad", bad.path("error").toString());

            // a filter naming another server: this one stays silent
            assertThrows(Exception.class, () -> {
                Message m = sys.request("$SYS.REQ.SERVER.PING.VARZ",
                        "{\"server_name\":\"not-this-one\",\"exact_match\":true}".getBytes(StandardCharsets.UTF_8),
                        Duration.ofMillis(500));
                if (m == null) {
                    throw new IllegalStateException("no answer");
                }
            });

            try (Connection a = user(s, "a", "a")) {
                // another account has no responders there: nothing of the system account is visible
                // (jnats cancels the request at the 503 no-responders status: no wait for a timeout)
                Exception e = assertThrows(Exception.class,
                        () -> a.request("$SYS.REQ.SERVER.PING", new byte[0]).get(5, java.util.concurrent.TimeUnit.SECONDS));
                assertTrue(e instanceof java.util.concurrent.CancellationException || e instanceof ExecutionException,
                        String.valueOf(e));
                Message connect = events.nextMessage(WAIT);
                assertNotNull(connect);
                assertEquals("$SYS.ACCOUNT.A.CONNECT", connect.getSubject());
                JsonNode c = M.readTree(connect.getData());
                assertEquals("io.nats.server.advisory.v1.client_connect", c.path("type").asText());
                assertEquals("A", c.at("/client/acc").asText());
                assertEquals("a", c.at("/client/user").asText());
                seen.put("connect", paths(c, "", 2));
            }
            Message disconnect = events.nextMessage(WAIT);
            assertNotNull(disconnect);
            assertEquals("$SYS.ACCOUNT.A.DISCONNECT", disconnect.getSubject());
            JsonNode d = M.readTree(disconnect.getData());
            assertEquals("Client Closed", d.path("reason").asText());
            // the account's counts after each connect and close: 1, then 0
            JsonNode up = M.readTree(conns.nextMessage(WAIT).getData());
            JsonNode down = M.readTree(conns.nextMessage(WAIT).getData());
            assertEquals("io.nats.server.advisory.v1.account_connections", up.path("type").asText());
            assertEquals(List.of(1, 0), List.of(up.path("conns").asInt(), down.path("conns").asInt()), up + " " + down);
            seen.put("conns", paths(up, "", 2));
            TreeSet<String> dp = paths(d, "", 2);
            dp.remove("client.rtt"); // set once a PING has measured it, which timing decides
            seen.put("disconnect", dp);
        }
        return seen;
    }

    @Test
    void onlyTheSystemAccountReachesTheServerServices() throws Exception {
        for (String key : List.of("system_account", "system")) {
            Map<String, Object> nats = observe(TestServers.Target.NATS_NEWEST, key);
            Map<String, Object> weft = observe(TestServers.Target.WEFT, key);
            for (String k : nats.keySet()) {
                assertEquals(nats.get(k), weft.get(k), key + ": " + k);
            }
        }
    }

    /** Without {@code system_account} the system account is {@code $SYS}: no user can log in to it. */
    @Test
    void theDefaultSystemAccountIsNamedInVarz() throws Exception {
        try (TestServer s = TestServers.start(TestServers.Target.WEFT, "")) {
            var http = java.net.http.HttpClient.newHttpClient();
            var resp = http.send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create("http://127.0.0.1:" + s.monitorPort() + "/varz")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            JsonNode varz = M.readTree(resp.body());
            assertEquals("$SYS", varz.path("system_account").asText(), varz.toString());
        }
    }

    @Test
    void aSystemAccountNoAccountDefinesStopsTheStart() throws Exception {
        Path conf = Files.createTempFile("weft-sys-", ".conf");
        Files.writeString(conf, "port: -1\nsystem_account: NOPE\n");
        TestServers.Result r = TestServers.runWeft(Duration.ofSeconds(60), "serve", "-c", conf.toString());
        assertEquals(1, r.exitCode(), r.output());
        // nats-server 2.15.1's words for it
        assertTrue(r.output().contains("error resolving system account: account missing"), r.output());
        assertFalse(r.output().contains("Server is ready"), r.output());
    }
}
