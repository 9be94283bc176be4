package io.weft.server.it;

import static io.weft.server.it.TestJwts.claims;
import static io.weft.server.it.TestJwts.creds;
import static io.weft.server.it.TestJwts.defaultAccountLimits;
import static io.weft.server.it.TestJwts.defaultUserLimits;
import static io.weft.server.it.TestJwts.encode;
import static io.weft.server.it.TestJwts.pub;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.nats.client.Connection;
import io.nats.client.Message;
import io.nats.client.NKey;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.Subscription;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The full NATS-based account resolver ({@code resolver { type: full, dir }}), differential: the
 * same operator, accounts and users (fresh nkeys, JWTs made here) against weft and the newest
 * nats-server. An account JWT pushed with {@code $SYS.REQ.CLAIMS.UPDATE} lets its users in; an
 * update that revokes a user disconnects it; lookups, lists and deletes answer as nats-server
 * answers; the directory keeps the JWTs across a restart; a user whose JWT expires while
 * connected is disconnected.
 */
class JwtResolverTest {
    private static final Duration WAIT = Duration.ofSeconds(5);
    static Path dir;
    static NKey operator;
    static NKey opSigning;
    static NKey app;
    static String sysKey;
    static String sysJwt;
    static String aliceKey;
    static final Map<String, Path> CREDS = new LinkedHashMap<>();
    static final SecureRandom RANDOM = new SecureRandom();

    @BeforeAll
    static void setUp() throws Exception {
        dir = Files.createTempDirectory("weft-resolver-");
        operator = NKey.createOperator(RANDOM);
        opSigning = NKey.createOperator(RANDOM);
        NKey sys = NKey.createAccount(RANDOM);
        app = NKey.createAccount(RANDOM);
        sysKey = pub(sys);
        ObjectNode op = claims(operator, pub(operator), "OP", "operator");
        ((ObjectNode) op.get("nats")).put("system_account", sysKey).putArray("signing_keys").add(pub(opSigning));
        Files.writeString(dir.resolve("op.jwt"), encode(op, operator));
        ObjectNode sc = claims(operator, sysKey, "SYS", "account");
        defaultAccountLimits(sc);
        sysJwt = encode(sc, operator);

        NKey admin = NKey.createUser(RANDOM);
        ObjectNode ad = claims(sys, pub(admin), "admin", "user");
        defaultUserLimits(ad);
        CREDS.put("admin", creds(dir, "admin", encode(ad, sys), admin));
        NKey alice = NKey.createUser(RANDOM);
        aliceKey = pub(alice);
        ObjectNode a = claims(app, aliceKey, "alice", "user");
        defaultUserLimits(a);
        CREDS.put("alice", creds(dir, "alice", encode(a, app), alice));
        NKey bob = NKey.createUser(RANDOM);
        ObjectNode b = claims(app, pub(bob), "bob", "user");
        defaultUserLimits(b);
        CREDS.put("bob", creds(dir, "bob", encode(b, app), bob));
    }

    /** A config with the full resolver keeping its JWTs in {@code jwtDir}. */
    static String conf(Path jwtDir) {
        return "operator: \"" + dir.resolve("op.jwt") + "\"\n"
                + "resolver {\n  type: full\n  dir: \"" + jwtDir + "\"\n  allow_delete: true\n  timeout: \"500ms\"\n}\n"
                + "resolver_preload {\n  " + sysKey + ": \"" + sysJwt + "\"\n}\n";
    }

    /** The APP account's JWT, signed by the operator's signing key, with these revocations. */
    static String appJwt(Map<String, Long> revocations) {
        return appJwt(revocations, -1);
    }

    /** ... and this {@code limits.conn}. */
    static String appJwt(Map<String, Long> revocations, long maxConnections) {
        ObjectNode acc = claims(opSigning, pub(app), "APP", "account");
        defaultAccountLimits(acc).put("conn", maxConnections);
        if (!revocations.isEmpty()) {
            ObjectNode r = ((ObjectNode) acc.get("nats")).putObject("revocations");
            revocations.forEach(r::put);
        }
        return encode(acc, opSigning);
    }

    private static Options.Builder options(TestServer s, String who, Clients.RecordingErrors errors) {
        return Clients.options(s).authHandler(Nats.credentials(CREDS.get(who).toString()))
                .connectionTimeout(Duration.ofSeconds(3)).errorListener(errors);
    }

    private static String outcome(TestServer s, String who) {
        try (Connection c = Nats.connect(options(s, who, new Clients.RecordingErrors()).build())) {
            c.flush(WAIT);
            return "OK";
        } catch (Exception e) {
            String msg = String.valueOf(e.getMessage());
            // the port differs between the two servers
            return msg.contains("Authorization Violation") ? "Authorization Violation" : msg.replace(s.url(), "URL");
        }
    }

    /** The reply's body, or "" when the reply is empty; null when nobody answered. */
    private static String request(Connection c, String subject, String body) throws Exception {
        try {
            Message m = c.request(subject, body.getBytes(StandardCharsets.UTF_8), WAIT);
            return m == null ? null : new String(m.getData(), StandardCharsets.UTF_8);
        } catch (java.util.concurrent.CancellationException e) {
            return null; // no responders
        }
    }

    /** A claims reply without its {@code server} object (which names the answering server). */
    private static String withoutServer(String reply) throws Exception {
        JsonNode n = TestJwts.JSON.readTree(reply);
        assertTrue(n.has("server"), reply);
        ((ObjectNode) n).remove("server");
        return n.toString();
    }

    /** What one server shows for the whole scenario; the two lists must be equal. */
    private static List<String> scenario(TestServer s, Path jwtDir) throws Exception {
        List<String> seen = new ArrayList<>();
        String appKey = pub(app);
        seen.add("alice before update: " + outcome(s, "alice"));
        try (Connection admin = Nats.connect(options(s, "admin", new Clients.RecordingErrors()).build())) {
            String first = appJwt(Map.of());
            seen.add("update: " + withoutServer(request(admin, "$SYS.REQ.CLAIMS.UPDATE", first)));
            seen.add("file: " + Files.readString(jwtDir.resolve(appKey + ".jwt")).equals(first));
            seen.add("lookup: " + first.equals(request(admin, "$SYS.REQ.ACCOUNT." + appKey + ".CLAIMS.LOOKUP", "")));
            String unknown = pub(NKey.createAccount(RANDOM));
            seen.add("lookup unknown: [" + request(admin, "$SYS.REQ.ACCOUNT." + unknown + ".CLAIMS.LOOKUP", "") + "]");
            JsonNode list = TestJwts.JSON.readTree(request(admin, "$SYS.REQ.CLAIMS.LIST", ""));
            TreeSet<String> ids = new TreeSet<>();
            list.path("data").forEach(x -> ids.add(x.asText()));
            seen.add("list: " + ids.equals(new TreeSet<>(List.of(sysKey, appKey))) + " " + list.path("data").size());

            Clients.RecordingErrors aliceErrors = new Clients.RecordingErrors();
            Connection alice = Nats.connect(options(s, "alice", aliceErrors).build());
            Subscription sub = alice.subscribe("x");
            alice.flush(WAIT);
            try (Connection bob = Nats.connect(options(s, "bob", new Clients.RecordingErrors()).build())) {
                bob.publish("x", "hi".getBytes(StandardCharsets.UTF_8));
                bob.flush(WAIT);
                Message m = sub.nextMessage(WAIT);
                seen.add("alice receives from bob: " + (m == null ? null : new String(m.getData(), StandardCharsets.UTF_8)));
                // not the system account: nobody answers there
                seen.add("update from APP: " + request(bob, "$SYS.REQ.CLAIMS.UPDATE", first));
            }
            // revoke alice through the per-account subject
            String revoking = appJwt(Map.of(aliceKey, System.currentTimeMillis() / 1000 + 5));
            seen.add("revoke: " + withoutServer(request(admin, "$SYS.REQ.ACCOUNT." + appKey + ".CLAIMS.UPDATE", revoking)));
            Clients.await(() -> alice.getStatus() == Connection.Status.CLOSED, WAIT);
            seen.add("alice after revocation: " + alice.getStatus());
            Clients.await(() -> !aliceErrors.errors.isEmpty(), Duration.ofSeconds(1));
            seen.add("alice's error: " + aliceErrors.errors);
            alice.close();
            seen.add("alice connects: " + outcome(s, "alice"));
            seen.add("bob connects: " + outcome(s, "bob"));

            // lower limits.conn to 1 with two of bob's connections open: the newer one goes
            Clients.RecordingErrors firstErrors = new Clients.RecordingErrors();
            Clients.RecordingErrors secondErrors = new Clients.RecordingErrors();
            try (Connection older = Nats.connect(options(s, "bob", firstErrors).build());
                 Connection second = Nats.connect(options(s, "bob", secondErrors).build())) {
                older.flush(WAIT);
                second.flush(WAIT);
                String limited = appJwt(Map.of(aliceKey, System.currentTimeMillis() / 1000 + 5), 1);
                seen.add("conn limit 1: " + withoutServer(request(admin, "$SYS.REQ.CLAIMS.UPDATE", limited)));
                Clients.await(() -> second.getStatus() == Connection.Status.CLOSED, WAIT);
                Clients.await(() -> !secondErrors.errors.isEmpty(), Duration.ofSeconds(1));
                older.flush(WAIT);
                seen.add("older: " + older.getStatus() + " " + firstErrors.errors + ", newer: " + second.getStatus()
                        + " " + secondErrors.errors);
                seen.add("a third: " + outcome(s, "bob"));
            }
            Clients.await(() -> outcome(s, "bob").equals("OK"), WAIT);
            seen.add("with none open: " + outcome(s, "bob"));

            // refusals, each in nats-server's words
            seen.add("wrong subject: " + withoutServer(request(admin, "$SYS.REQ.ACCOUNT." + sysKey + ".CLAIMS.UPDATE", first)));
            seen.add("garbage: " + withoutServer(request(admin, "$SYS.REQ.CLAIMS.UPDATE", "not a jwt")));
            ObjectNode user = claims(app, aliceKey, "alice", "user");
            seen.add("user jwt: " + withoutServer(request(admin, "$SYS.REQ.CLAIMS.UPDATE", encode(user, app))));
        }
        s.restart();
        seen.add("after restart alice: " + outcome(s, "alice"));
        seen.add("after restart bob: " + outcome(s, "bob"));
        try (Connection admin = Nats.connect(options(s, "admin", new Clients.RecordingErrors()).build())) {
            seen.add("after restart lookup revokes: "
                    + request(admin, "$SYS.REQ.ACCOUNT." + appKey + ".CLAIMS.LOOKUP", "").equals(
                    Files.readString(jwtDir.resolve(appKey + ".jwt"))));
            // delete: a generic JWT, self-signed by the operator, listing the accounts
            ObjectNode del = claims(operator, pub(operator), "delete", "generic");
            ((ObjectNode) del.get("nats")).putArray("accounts").add(appKey);
            ObjectNode badDel = claims(app, pub(app), "delete", "generic");
            ((ObjectNode) badDel.get("nats")).putArray("accounts").add(appKey);
            seen.add("delete by account: " + withoutServer(request(admin, "$SYS.REQ.CLAIMS.DELETE", encode(badDel, app))));
            ObjectNode sysDel = claims(operator, pub(operator), "delete", "generic");
            ((ObjectNode) sysDel.get("nats")).putArray("accounts").add(sysKey);
            seen.add("delete sys: " + withoutServer(request(admin, "$SYS.REQ.CLAIMS.DELETE", encode(sysDel, operator))));
            Clients.RecordingErrors bobErrors = new Clients.RecordingErrors();
            Connection bob = Nats.connect(options(s, "bob", bobErrors).build());
            bob.flush(WAIT);
            seen.add("delete: " + withoutServer(request(admin, "$SYS.REQ.CLAIMS.DELETE", encode(del, operator))));
            Clients.await(() -> bob.getStatus() == Connection.Status.CLOSED, WAIT);
            Clients.await(() -> !bobErrors.errors.isEmpty(), Duration.ofSeconds(1));
            seen.add("bob after delete: " + bob.getStatus() + " " + bobErrors.errors);
            bob.close();
            seen.add("bob connects after delete: " + outcome(s, "bob"));
            seen.add("file after delete: " + Files.exists(jwtDir.resolve(appKey + ".jwt")) + " "
                    + Files.exists(jwtDir.resolve(appKey + ".jwt.deleted")));
            seen.add("lookup after delete: [" + request(admin, "$SYS.REQ.ACCOUNT." + appKey + ".CLAIMS.LOOKUP", "") + "]");
        }
        return seen;
    }

    @Test
    void claimsUpdateLookupRevocationRestartAndDeleteAsNatsServer() throws Exception {
        Path natsDir = Files.createDirectories(dir.resolve("jwt-nats"));
        Path weftDir = Files.createDirectories(dir.resolve("jwt-weft"));
        List<String> expected;
        try (TestServer n = TestServers.start(TestServers.Target.NATS_NEWEST, conf(natsDir))) {
            expected = scenario(n, natsDir);
        }
        System.out.println("nats-server:\n  " + String.join("\n  ", expected));
        try (TestServer w = TestServers.start(TestServers.Target.WEFT, conf(weftDir))) {
            List<String> got = scenario(w, weftDir);
            assertEquals(String.join("\n", expected), String.join("\n", got), w.stderr());
        }
        assertTrue(expected.contains("alice after revocation: CLOSED"), expected.toString());
    }

    /**
     * Where weft parts from nats-server on purpose: nats-server answers "jwt updated" to an account
     * JWT signed by an operator it does not trust and stores it (the running account keeps its old
     * claims; after a restart the account is unusable). weft refuses it and keeps the stored one.
     */
    @Test
    void accountJwtFromAnUntrustedOperatorIsRefusedAndNotStored() throws Exception {
        Path weftDir = Files.createDirectories(dir.resolve("jwt-untrusted"));
        String appKey = pub(app);
        try (TestServer w = TestServers.start(TestServers.Target.WEFT, conf(weftDir))) {
            String good = appJwt(Map.of());
            try (Connection admin = Nats.connect(options(w, "admin", new Clients.RecordingErrors()).build())) {
                assertTrue(request(admin, "$SYS.REQ.CLAIMS.UPDATE", good).contains("\"jwt updated\""));
                NKey strangerOp = NKey.createOperator(RANDOM);
                ObjectNode forged = claims(strangerOp, appKey, "APP", "account");
                defaultAccountLimits(forged);
                JsonNode reply = TestJwts.JSON.readTree(request(admin, "$SYS.REQ.CLAIMS.UPDATE", encode(forged, strangerOp)));
                assertEquals(500, reply.path("error").path("code").asInt(), reply.toString());
                assertEquals(appKey, reply.path("error").path("account").asText(), reply.toString());
                assertTrue(reply.path("error").path("description").asText().startsWith(
                        "jwt update resulted in error - account " + appKey + ": Account JWT not signed by trusted operator"),
                        reply.toString());
            }
            assertEquals(good, Files.readString(weftDir.resolve(appKey + ".jwt")));
            w.restart();
            assertEquals("OK", outcome(w, "bob"), w.stderr());
            // a reload keeps what the directory holds; changing the resolver is refused
            w.signal("HUP");
            assertTrue(w.awaitOutput("Reloaded server configuration", WAIT), w.stderr());
            assertEquals("OK", outcome(w, "bob"), w.stderr());
            w.rewriteConfig("operator: \"" + dir.resolve("op.jwt") + "\"\nresolver: MEMORY\nresolver_preload {\n  "
                    + sysKey + ": \"" + sysJwt + "\"\n}\n");
            w.signal("HUP");
            assertTrue(w.awaitOutput("config reload does not support changing the account resolver", WAIT), w.stderr());
            assertEquals("OK", outcome(w, "bob"), w.stderr());
        }
    }

    /** The resolver block's checks, in nats-server's words; what weft lacks is refused by name. */
    @Test
    void resolverBlockIsCheckedAsNatsServerChecksIt() throws Exception {
        String op = "operator: \"" + dir.resolve("op.jwt") + "\"\n";
        String pre = "resolver_preload {\n  " + sysKey + ": \"" + sysJwt + "\"\n}\n";
        Map<String, String> cases = new LinkedHashMap<>();
        cases.put("resolver { type: full, dir: \"" + dir.resolve("a") + "\", ttl: \"1m\" }", "FULL does not accept ttl");
        cases.put("resolver { type: full, dir: \"" + dir.resolve("b") + "\", hard_delete: true }",
                "hard_delete has no effect without delete");
        cases.put("resolver { type: full }", "dir has no value and needs to point to a directory");
        cases.put("resolver { type: full, dir: \"" + dir.resolve("op.jwt") + "\" }", "dir needs to point to an accessible directory");
        cases.put("resolver { type: cache, dir: \"" + dir.resolve("c") + "\" }", "\"resolver { type: cache }\" is a security option");
        cases.put("resolver { type: full, dir: \"" + dir.resolve("d") + "\" }\ncluster { port: -1 }",
                "\"resolver { type: full }\" together with \"cluster\" is a cluster option");
        int i = 0;
        for (Map.Entry<String, String> e : cases.entrySet()) {
            Path conf = dir.resolve("check" + i++ + ".conf");
            Files.writeString(conf, op + e.getKey() + "\n" + pre);
            TestServers.Result r = TestServers.runWeft(Duration.ofSeconds(60), "serve", "-t", "-c", conf.toString());
            assertEquals(1, r.exitCode(), e.getKey() + ": " + r.output());
            assertTrue(r.output().contains(e.getValue()), e.getKey() + ": " + r.output());
        }
        Path good = dir.resolve("good.conf");
        Files.writeString(good, op + "resolver { type: full, dir: \"" + dir.resolve("e") + "\", allow_delete: true, "
                + "hard_delete: true, limit: 10, interval: \"2m\", timeout: \"1s\" }\n" + pre);
        TestServers.Result ok = TestServers.runWeft(Duration.ofSeconds(60), "serve", "-t", "-c", good.toString());
        assertEquals(0, ok.exitCode(), ok.output());
        // no JWT for the system account yet: both start, as nats-server does ("bootstrapping")
        for (TestServers.Target t : new TestServers.Target[] {TestServers.Target.NATS_NEWEST, TestServers.Target.WEFT}) {
            String bare = op + "resolver { type: full, dir: \"" + dir.resolve("bootstrap-" + t) + "\" }\n";
            try (TestServer s = TestServers.start(t, bare)) {
                assertTrue(s.awaitOutput("Using bootstrapping system account", WAIT), t + ": " + s.stderr());
                // its own users get in, and can push its JWT
                try (Connection admin = Nats.connect(options(s, "admin", new Clients.RecordingErrors()).build())) {
                    assertEquals("{\"data\":{\"account\":\"" + sysKey + "\",\"code\":200,\"message\":\"jwt updated\"}}",
                            withoutServer(request(admin, "$SYS.REQ.CLAIMS.UPDATE", sysJwt)), t.toString());
                    admin.flush(WAIT);
                    assertEquals(Connection.Status.CONNECTED, admin.getStatus(), t.toString());
                }
                assertEquals("OK", outcome(s, "admin"), t.toString());
                assertEquals("Authorization Violation", outcome(s, "bob"), t.toString());
            }
        }
    }

    /**
     * The memory resolver takes updates of its preloaded accounts too, as nats-server does (on the
     * per-account subjects only, kept in memory): a revocation disconnects the user; an account it
     * does not hold is "jwt update skipped".
     */
    @Test
    void memoryResolverTakesUpdatesOfPreloadedAccounts() throws Exception {
        String appKey = pub(app);
        String conf = "operator: \"" + dir.resolve("op.jwt") + "\"\nresolver: MEMORY\nresolver_preload {\n  "
                + sysKey + ": \"" + sysJwt + "\"\n  " + appKey + ": \"" + appJwt(Map.of()) + "\"\n}\n";
        Map<TestServers.Target, List<String>> all = new LinkedHashMap<>();
        NKey other = NKey.createAccount(RANDOM);
        ObjectNode oc = claims(operator, pub(other), "OTHER", "account");
        defaultAccountLimits(oc);
        for (TestServers.Target t : new TestServers.Target[] {TestServers.Target.NATS_NEWEST, TestServers.Target.WEFT}) {
            List<String> seen = new ArrayList<>();
            try (TestServer s = TestServers.start(t, conf);
                 Connection admin = Nats.connect(options(s, "admin", new Clients.RecordingErrors()).build())) {
                Clients.RecordingErrors aliceErrors = new Clients.RecordingErrors();
                Connection alice = Nats.connect(options(s, "alice", aliceErrors).build());
                alice.flush(WAIT);
                String revoking = appJwt(Map.of(aliceKey, System.currentTimeMillis() / 1000 + 5));
                seen.add("general subject: " + request(admin, "$SYS.REQ.CLAIMS.UPDATE", revoking));
                seen.add("empty: " + withoutServer(request(admin, "$SYS.REQ.ACCOUNT." + appKey + ".CLAIMS.UPDATE", "")));
                seen.add("not loaded: " + withoutServer(request(admin, "$SYS.REQ.ACCOUNT." + pub(other) + ".CLAIMS.UPDATE",
                        encode(oc, operator))));
                seen.add("revoke: " + withoutServer(request(admin, "$SYS.REQ.ACCOUNT." + appKey + ".CLAIMS.UPDATE", revoking)));
                Clients.await(() -> alice.getStatus() == Connection.Status.CLOSED, WAIT);
                Clients.await(() -> !aliceErrors.errors.isEmpty(), Duration.ofSeconds(1));
                seen.add("alice: " + alice.getStatus() + " " + aliceErrors.errors);
                alice.close();
                seen.add("alice connects: " + outcome(s, "alice") + ", bob: " + outcome(s, "bob"));
            }
            all.put(t, seen);
        }
        assertEquals(String.join("\n", all.get(TestServers.Target.NATS_NEWEST)), String.join("\n", all.get(TestServers.Target.WEFT)));
    }

    /** The users of an account whose JWT expires are told so and disconnected. */
    @Test
    void usersAreDisconnectedWhenTheirAccountJwtExpires() throws Exception {
        for (TestServers.Target t : new TestServers.Target[] {TestServers.Target.NATS_NEWEST, TestServers.Target.WEFT}) {
            ObjectNode acc = claims(opSigning, pub(app), "APP", "account");
            defaultAccountLimits(acc);
            // long enough for a loaded machine to start the server and connect before it expires
            acc.put("exp", System.currentTimeMillis() / 1000 + 10);
            String preload = "operator: \"" + dir.resolve("op.jwt") + "\"\nresolver: MEMORY\nresolver_preload {\n  "
                    + sysKey + ": \"" + sysJwt + "\"\n  " + pub(app) + ": \"" + encode(acc, opSigning) + "\"\n}\n";
            try (TestServer s = TestServers.start(t, preload)) {
                Clients.RecordingErrors errors = new Clients.RecordingErrors();
                Connection conn = Nats.connect(options(s, "bob", errors).build());
                conn.flush(WAIT);
                assertTrue(Clients.await(() -> conn.getStatus() == Connection.Status.CLOSED, Duration.ofSeconds(16)),
                        t + ": bob is disconnected when APP's JWT expires\n" + s.stderr());
                Clients.await(() -> !errors.errors.isEmpty(), Duration.ofSeconds(1));
                assertEquals(List.of("Account Authentication Expired"), errors.errors, t.toString());
                conn.close();
                assertEquals("Authorization Violation", outcome(s, "bob"), t.toString());
            }
        }
    }

    /** A user whose JWT expires while it is connected is told so and disconnected. */
    @Test
    void userIsDisconnectedWhenItsJwtExpires() throws Exception {
        String preload = "operator: \"" + dir.resolve("op.jwt") + "\"\nresolver: MEMORY\nresolver_preload {\n  "
                + sysKey + ": \"" + sysJwt + "\"\n  " + pub(app) + ": \"" + appJwt(Map.of()) + "\"\n}\n";
        for (TestServers.Target t : new TestServers.Target[] {TestServers.Target.NATS_NEWEST, TestServers.Target.WEFT}) {
            try (TestServer s = TestServers.start(t, preload)) {
                NKey carol = NKey.createUser(RANDOM);
                ObjectNode c = claims(app, pub(carol), "carol", "user");
                defaultUserLimits(c);
                c.put("exp", System.currentTimeMillis() / 1000 + 5); // room for a loaded machine to connect first
                CREDS.put("carol", creds(dir, "carol", encode(c, app), carol));
                Clients.RecordingErrors errors = new Clients.RecordingErrors();
                Connection conn = Nats.connect(options(s, "carol", errors).build());
                conn.flush(WAIT);
                assertEquals(Connection.Status.CONNECTED, conn.getStatus(), t + ": carol connects before her JWT expires");
                assertTrue(Clients.await(() -> conn.getStatus() != Connection.Status.CONNECTED, Duration.ofSeconds(10)),
                        t + ": carol is disconnected when her JWT expires\n" + s.stderr());
                Clients.await(() -> !errors.errors.isEmpty(), Duration.ofSeconds(1));
                assertTrue(errors.errors.stream().anyMatch(e -> e.contains("User Authentication Expired")),
                        t + ": " + errors.errors);
                conn.close();
                assertFalse("OK".equals(outcome(s, "carol")), t + ": an expired JWT does not connect again");
            }
        }
    }
}
