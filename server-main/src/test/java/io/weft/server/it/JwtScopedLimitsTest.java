package io.weft.server.it;

import static io.weft.server.it.TestJwts.claims;
import static io.weft.server.it.TestJwts.creds;
import static io.weft.server.it.TestJwts.defaultAccountLimits;
import static io.weft.server.it.TestJwts.defaultUserLimits;
import static io.weft.server.it.TestJwts.encode;
import static io.weft.server.it.TestJwts.pub;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.nats.client.Connection;
import io.nats.client.Message;
import io.nats.client.NKey;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.Subscription;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Scoped signing keys and the limits of user and account JWTs, differential: the same operator,
 * account and user JWTs (made here with fresh nkeys) against weft and nats-server 2.15.1, and what
 * a jnats client observes (connect accepted or refused, permission violations, the subscription
 * and payload limits, messages delivered) must be the same, and the expected one, on both.
 */
class JwtScopedLimitsTest {
    private static final Duration WAIT = Duration.ofSeconds(3);
    static Path dir;
    static TestServer weft;
    static TestServer nats;
    static final Map<String, Path> CREDS = new LinkedHashMap<>();
    static final Map<String, NKey> KEYS = new LinkedHashMap<>();
    static final Map<String, String> JWTS = new LinkedHashMap<>();

    @BeforeAll
    static void setUp() throws Exception {
        SecureRandom random = new SecureRandom();
        dir = Files.createTempDirectory("weft-jwt-scoped-");
        NKey operator = NKey.createOperator(random);
        NKey sys = NKey.createAccount(random);
        NKey app = NKey.createAccount(random);
        NKey lim = NKey.createAccount(random);
        NKey scoped = NKey.createAccount(random);
        NKey wsOnly = NKey.createAccount(random);
        NKey elsewhere = NKey.createAccount(random);

        ObjectNode op = claims(operator, pub(operator), "OP", "operator");
        ((ObjectNode) op.get("nats")).put("system_account", pub(sys));
        Files.writeString(dir.resolve("op.jwt"), encode(op, operator));

        ObjectNode sysClaims = claims(operator, pub(sys), "SYS", "account");
        defaultAccountLimits(sysClaims);

        // APP: three scoped signing keys
        ObjectNode appClaims = claims(operator, pub(app), "APP", "account");
        defaultAccountLimits(appClaims);
        ObjectNode an = (ObjectNode) appClaims.get("nats");
        an.putArray("tags").add("region:eu");
        ArrayNode keys = an.putArray("signing_keys");
        ObjectNode t = keys.addObject().put("kind", "user_scope").put("key", pub(scoped)).put("role", "team")
                .putObject("template");
        t.putObject("pub").putArray("allow").add("u.{{name()}}.>").add("r.{{account-tag(region)}}.{{tag(team)}}")
                .add("_INBOX.>");
        t.putObject("sub").putArray("allow").add("u.{{name()}}.>").add("t.{{tag(team)}}").add("acc.{{account-name()}}")
                .add("_INBOX.>");
        t.put("subs", 3).put("payload", 100);
        keys.addObject().put("kind", "user_scope").put("key", pub(wsOnly)).put("role", "ws")
                .putObject("template").putArray("allowed_connection_types").add("WEBSOCKET");
        keys.addObject().put("kind", "user_scope").put("key", pub(elsewhere)).put("role", "elsewhere")
                .putObject("template").putArray("src").add("10.0.0.0/8");
        String appJwt = encode(appClaims, operator);

        // LIM: account limits on subscriptions and payload
        ObjectNode limClaims = claims(operator, pub(lim), "LIM", "account");
        defaultAccountLimits(limClaims).put("subs", 2).put("payload", 64);
        String limJwt = encode(limClaims, operator);

        scopedUser(random, scoped, app, "alice", "team:red");
        NKey own = NKey.createUser(random);
        ObjectNode ownClaims = claims(scoped, pub(own), "own", "user");
        defaultUserLimits(ownClaims).put("issuer_account", pub(app));
        CREDS.put("scopedWithOwnLimits", creds(dir, "own", encode(ownClaims, scoped), own));
        scopedUser(random, wsOnly, app, "ws", null);
        scopedUser(random, elsewhere, app, "far", null);

        user(random, app, "userLimits", n -> n.put("subs", 2).put("payload", 50));
        user(random, lim, "accountLimits", n -> { });
        user(random, lim, "accountAndUserLimits", n -> n.put("subs", 1).put("payload", 500));
        user(random, app, "dataLimit", n -> n.put("data", 10));
        user(random, app, "noLimitFields", n -> n.remove(List.of("subs", "data", "payload")));
        user(random, app, "srcOutside", n -> n.putArray("src").add("10.0.0.0/8").add("192.168.0.0/16"));
        user(random, app, "srcInside", n -> n.put("src", "10.0.0.0/8,127.0.0.0/8"));
        long now = System.currentTimeMillis() / 1000;
        DateTimeFormatter hms = DateTimeFormatter.ofPattern("HH:mm:ss").withZone(ZoneOffset.UTC);
        user(random, app, "timesInside", n -> {
            n.putArray("times").addObject().put("start", hms.format(Instant.ofEpochSecond(now - 3600)))
                    .put("end", hms.format(Instant.ofEpochSecond(now + 3600)));
            n.put("times_location", "UTC");
        });
        user(random, app, "timesOutside", n -> {
            n.putArray("times").addObject().put("start", hms.format(Instant.ofEpochSecond(now + 3600)))
                    .put("end", hms.format(Instant.ofEpochSecond(now + 7200)));
            n.put("times_location", "UTC");
        });
        user(random, app, "standardAllowed", n -> n.putArray("allowed_connection_types").add("STANDARD").add("WEBSOCKET"));
        user(random, app, "websocketOnly", n -> n.putArray("allowed_connection_types").add("WEBSOCKET"));
        user(random, app, "unknownTypeOnly", n -> n.putArray("allowed_connection_types").add("CARRIER_PIGEON"));
        user(random, app, "lowerCaseStandard", n -> n.putArray("allowed_connection_types").add("standard"));

        // LOW: its subs limit is lowered by a claims update in a test
        lowAccount = NKey.createAccount(random);
        operatorKey = operator;
        user(random, lowAccount, "lowUser", n -> { });
        user(random, sys, "sysUser", n -> { });
        String conf = "operator: \"" + dir.resolve("op.jwt") + "\"\nresolver: MEMORY\nresolver_preload {\n"
                + "  " + pub(sys) + ": \"" + encode(sysClaims, operator) + "\"\n"
                + "  " + pub(lowAccount) + ": \"" + lowJwt(5) + "\"\n"
                + "  " + pub(app) + ": \"" + appJwt + "\"\n"
                + "  " + pub(lim) + ": \"" + limJwt + "\"\n}\n";
        weft = TestServers.start(TestServers.Target.WEFT, conf, "-D");
        nats = TestServers.start(TestServers.Target.NATS_NEWEST, conf, "-D");
    }

    static NKey lowAccount;
    static NKey operatorKey;

    private static String lowJwt(int subs) {
        ObjectNode c = claims(operatorKey, pub(lowAccount), "LOW", "account");
        defaultAccountLimits(c).put("subs", subs);
        return encode(c, operatorKey);
    }

    /**
     * A claims update that lowers the account's subs below what a client holds: the client gets
     * {@code maximum subscriptions exceeded} and is closed, on both servers.
     */
    @Test
    void loweredAccountSubsLimitClosesAClientOverIt() throws Exception {
        for (TestServer s : new TestServer[] {nats, weft}) {
            Clients.RecordingErrors errors = new Clients.RecordingErrors();
            try (Connection c = Nats.connect(options(s, "lowUser", errors).build());
                 Connection sysConn = Nats.connect(options(s, "sysUser", new Clients.RecordingErrors()).build())) {
                for (int i = 0; i < 3; i++) {
                    c.subscribe("low." + i);
                }
                c.flush(WAIT);
                Message reply = sysConn.request("$SYS.REQ.ACCOUNT." + pub(lowAccount) + ".CLAIMS.UPDATE",
                        lowJwt(2).getBytes(java.nio.charset.StandardCharsets.UTF_8), WAIT);
                assertTrue(reply != null && new String(reply.getData()).contains("jwt updated"),
                        s.target() + ": " + (reply == null ? null : new String(reply.getData())));
                long deadline = System.nanoTime() + WAIT.toNanos();
                while (c.getStatus() == Connection.Status.CONNECTED && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                assertTrue(c.getStatus() != Connection.Status.CONNECTED, s.target() + ": closed");
                assertTrue(errors.sawError("maximum subscriptions exceeded"), s.target() + ": " + errors.errors);
                sysConn.request("$SYS.REQ.ACCOUNT." + pub(lowAccount) + ".CLAIMS.UPDATE",
                        lowJwt(5).getBytes(java.nio.charset.StandardCharsets.UTF_8), WAIT);
            }
        }
    }

    private static void scopedUser(SecureRandom random, NKey signer, NKey account, String name, String tag) throws Exception {
        NKey u = NKey.createUser(random);
        ObjectNode c = claims(signer, pub(u), name, "user");
        ObjectNode n = (ObjectNode) c.get("nats");
        n.put("issuer_account", pub(account));
        if (tag != null) {
            n.putArray("tags").add(tag);
        }
        CREDS.put(name, creds(dir, name, encode(c, signer), u));
    }

    private static void user(SecureRandom random, NKey account, String name, java.util.function.Consumer<ObjectNode> claimsEdit)
            throws Exception {
        NKey u = NKey.createUser(random);
        ObjectNode c = claims(account, pub(u), name, "user");
        claimsEdit.accept(defaultUserLimits(c));
        String jwt = encode(c, account);
        KEYS.put(name, u);
        JWTS.put(name, jwt);
        CREDS.put(name, creds(dir, name, jwt, u));
    }

    @AfterAll
    static void tearDown() {
        if (weft != null) {
            weft.close();
        }
        if (nats != null) {
            nats.close();
        }
    }

    private static Options.Builder options(TestServer server, String who, Clients.RecordingErrors errors) {
        return Clients.options(server).authHandler(Nats.credentials(CREDS.get(who).toString()))
                .connectionTimeout(Duration.ofSeconds(2)).errorListener(errors);
    }

    /** "OK" or "Authorization Violation" (or the failure text when neither). */
    private static String outcome(TestServer server, String who) {
        try (Connection c = Nats.connect(options(server, who, new Clients.RecordingErrors()).build())) {
            c.flush(WAIT);
            return "OK";
        } catch (Exception e) {
            String msg = String.valueOf(e.getMessage());
            return msg.contains("Authorization Violation") ? "Authorization Violation" : msg;
        }
    }

    private static void assertOutcome(String who, String expected) {
        assertEquals(expected, outcome(nats, who), "nats-server, " + who);
        assertEquals(expected, outcome(weft, who), "weft, " + who + "\n" + weft.stderr());
    }

    /** The errors the server sent (in order) after the steps, waiting until {@code count} came or the time is up. */
    private static List<String> awaitErrors(Clients.RecordingErrors errors, int count) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (errors.errors.size() < count && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        Thread.sleep(200); // anything more that should not be there
        return new ArrayList<>(errors.errors);
    }

    /**
     * What a scoped user observes on one server: the template's subjects (its name, its tags,
     * the account's tag and name) are allowed, others are violations; the template's subs (3)
     * and payload (100) limits apply.
     */
    private static List<String> scopedAliceObserves(TestServer s) throws Exception {
        List<String> seen = new ArrayList<>();
        Clients.RecordingErrors errors = new Clients.RecordingErrors();
        try (Connection c = Nats.connect(options(s, "alice", errors).build())) {
            Subscription mine = c.subscribe("u.alice.>");
            c.subscribe("t.red");
            c.subscribe("t.blue");
            c.subscribe("acc.APP");
            c.flush(WAIT);
            c.publish("u.alice.x", new byte[10]);
            c.publish("u.bob.x", new byte[10]);
            c.publish("r.eu.red", new byte[10]);
            c.publish("r.us.red", new byte[10]);
            c.flush(WAIT);
            seen.add("u.alice.x delivered: " + (mine.nextMessage(WAIT) != null));
            awaitErrors(errors, 3);
            c.subscribe("u.alice.more"); // the fourth subscription: over the template's subs
            c.flush(WAIT);
            awaitErrors(errors, 4);
            seen.add("publish of 101 bytes: " + publishOutcome(c, "u.alice.big", 101));
            seen.addAll(awaitErrors(errors, 4));
        }
        return seen;
    }

    @Test
    void scopedSigningKeyAppliesItsTemplate() throws Exception {
        List<String> fromNats = scopedAliceObserves(nats);
        List<String> fromWeft = scopedAliceObserves(weft);
        assertEquals(List.of("u.alice.x delivered: true",
                "publish of 101 bytes: refused by the client: Message payload size exceed server configuration 101 vs 100",
                "Permissions Violation for Subscription to \"t.blue\"",
                "Permissions Violation for Publish to \"u.bob.x\"",
                "Permissions Violation for Publish to \"r.us.red\"",
                "maximum subscriptions exceeded"), fromNats, "nats-server");
        assertEquals(fromNats, fromWeft, "weft\n" + weft.stderr());
    }

    @Test
    void scopedUserWithItsOwnLimitsIsRefused() throws Exception {
        assertOutcome("scopedWithOwnLimits", "Authorization Violation");
        String line = "User JWT is not valid: scoped users require no permissions or limits set";
        assertTrue(nats.awaitOutput(line, WAIT), nats.stderr());
        assertTrue(weft.awaitOutput(line, WAIT), weft.stderr());
    }

    @Test
    void scopesTemplateConnectionTypesAndSrcApply() {
        assertOutcome("ws", "Authorization Violation");
        assertOutcome("far", "Authorization Violation");
    }

    @Test
    void srcAllowsOnlyItsBlocks() throws Exception {
        assertOutcome("srcOutside", "Authorization Violation");
        assertOutcome("srcInside", "OK");
        assertTrue(nats.awaitOutput("Bad src Ip 127.0.0.1", WAIT), nats.stderr());
        assertTrue(weft.awaitOutput("Bad src Ip 127.0.0.1", WAIT), weft.stderr());
    }

    @Test
    void timesAllowOnlyTheirRanges() throws Exception {
        assertOutcome("timesInside", "OK");
        assertOutcome("timesOutside", "Authorization Violation");
        assertTrue(nats.awaitOutput("Outside connect times", WAIT), nats.stderr());
        assertTrue(weft.awaitOutput("Outside connect times", WAIT), weft.stderr());
    }

    @Test
    void connectionTypesMustIncludeStandard() {
        assertOutcome("standardAllowed", "OK");
        assertOutcome("lowerCaseStandard", "OK");
        assertOutcome("websocketOnly", "Authorization Violation");
        assertOutcome("unknownTypeOnly", "Authorization Violation");
    }

    /** Subscriptions up to the limit, one more (an error, the connection stays), then a payload over the limit. */
    private static List<String> limitsObserved(TestServer s, String who, int subs, int payload) throws Exception {
        List<String> seen = new ArrayList<>();
        Clients.RecordingErrors errors = new Clients.RecordingErrors();
        try (Connection c = Nats.connect(options(s, who, errors).build())) {
            Subscription first = c.subscribe("x.0");
            for (int i = 1; i <= subs; i++) {
                c.subscribe("x." + i);
            }
            c.flush(WAIT);
            seen.addAll(awaitErrors(errors, 1));
            c.publish("x.0", new byte[payload]);
            c.flush(WAIT);
            seen.add("at the limit delivered: " + (first.nextMessage(WAIT) != null));
            seen.add("over it: " + publishOutcome(c, "x.0", payload + 1));
            List<String> all = awaitErrors(errors, 1);
            seen.addAll(all.subList(1, all.size()));
        }
        return seen;
    }

    /**
     * jnats learns the client's max_payload from the INFO that follows the first PONG (the user's
     * and account's limits, the smaller) and refuses a bigger message itself.
     */
    private static String publishOutcome(Connection c, String subject, int size) {
        try {
            c.publish(subject, new byte[size]);
            c.flush(WAIT);
            return "sent, connection " + c.getStatus();
        } catch (IllegalArgumentException e) {
            return "refused by the client: " + e.getMessage();
        } catch (Exception e) {
            return "failed: " + e;
        }
    }

    /**
     * Over the wire: after the first PONG the server sends an INFO with the client's own
     * max_payload, and a message bigger than it gets {@code -ERR 'Maximum Payload Violation'}
     * and the connection closed, from either server.
     */
    @Test
    void payloadLimitOverTheWire() throws Exception {
        for (TestServer s : new TestServer[] {nats, weft}) {
            try (RawClient c = RawClient.open(s.port())) {
                assertTrue(c.awaitText("\r\n", WAIT), s.target() + ": INFO");
                String info = c.text();
                String nonce = TestJwts.JSON.readTree(info.substring(5, info.indexOf("\r\n"))).path("nonce").asText();
                NKey key = KEYS.get("userLimits");
                String sig = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(
                        key.sign(nonce.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
                c.send("CONNECT {\"verbose\":false,\"protocol\":1,\"jwt\":\"" + JWTS.get("userLimits") + "\",\"sig\":\""
                        + sig + "\"}\r\nPING\r\n");
                assertTrue(c.awaitText("\"connect_info\":true", WAIT), s.target() + ": " + c.text());
                c.readFor(Duration.ofMillis(200));
                String after = c.text().substring(c.text().indexOf("PONG\r\n"));
                com.fasterxml.jackson.databind.JsonNode connectInfo = TestJwts.JSON.readTree(
                        after.substring(after.indexOf("INFO ") + 5, after.indexOf("\r\n", after.indexOf("INFO "))));
                assertEquals(50, connectInfo.path("max_payload").asInt(), s.target() + ": " + after);
                c.send("PUB x 50\r\n" + "a".repeat(50) + "\r\nPING\r\n");
                assertTrue(c.awaitCount("PONG\r\n", 2, WAIT), s.target() + ": 50 bytes are fine: " + c.text());
                c.send("PUB x 51\r\n" + "a".repeat(51) + "\r\n");
                assertTrue(c.awaitText("-ERR 'Maximum Payload Violation'", WAIT), s.target() + ": " + c.text());
                assertTrue(c.awaitClose(WAIT), s.target() + ": closed");
            }
        }
    }

    @Test
    void userLimitsOnSubscriptionsAndPayload() throws Exception {
        List<String> expected = List.of("maximum subscriptions exceeded", "at the limit delivered: true",
                "over it: refused by the client: Message payload size exceed server configuration 51 vs 50");
        assertEquals(expected, limitsObserved(nats, "userLimits", 2, 50), "nats-server");
        assertEquals(expected, limitsObserved(weft, "userLimits", 2, 50), "weft\n" + weft.stderr());
    }

    @Test
    void accountLimitsOnSubscriptionsAndPayload() throws Exception {
        List<String> expected = List.of("maximum subscriptions exceeded", "at the limit delivered: true",
                "over it: refused by the client: Message payload size exceed server configuration 65 vs 64");
        assertEquals(expected, limitsObserved(nats, "accountLimits", 2, 64), "nats-server");
        assertEquals(expected, limitsObserved(weft, "accountLimits", 2, 64), "weft\n" + weft.stderr());
        // the smaller of the user's and the account's
        assertEquals(expected, limitsObserved(nats, "accountAndUserLimits", 1, 64), "nats-server");
        assertEquals(expected, limitsObserved(weft, "accountAndUserLimits", 1, 64), "weft\n" + weft.stderr());
    }

    /**
     * A user JWT without {@code subs} (0, as nats-io/jwt decodes it) may hold no subscription:
     * both servers send {@code maximum subscriptions exceeded} right after the connect and close.
     */
    @Test
    void absentSubsLimitMeansNone() throws Exception {
        for (TestServer s : new TestServer[] {nats, weft}) {
            try (RawClient c = RawClient.open(s.port())) {
                assertTrue(c.awaitText("\r\n", WAIT), s.target() + ": INFO");
                String info = c.text();
                String nonce = TestJwts.JSON.readTree(info.substring(5, info.indexOf("\r\n"))).path("nonce").asText();
                String sig = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(
                        KEYS.get("noLimitFields").sign(nonce.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
                c.send("CONNECT {\"verbose\":false,\"protocol\":1,\"jwt\":\"" + JWTS.get("noLimitFields")
                        + "\",\"sig\":\"" + sig + "\"}\r\nPING\r\n");
                assertTrue(c.awaitText("-ERR 'maximum subscriptions exceeded'", WAIT), s.target() + ": " + c.text());
                assertTrue(c.awaitClose(WAIT), s.target() + ": closed " + c.text());
            }
        }
    }

    /**
     * nats-server 2.15.1 enforces no {@code data} limit (a 100-byte message to a user with data 10
     * arrives); weft does not let in a user with a limit it would not apply.
     */
    @Test
    void dataLimitIsRefusedByWeftAndIgnoredByNatsServer() throws Exception {
        try (Connection c = Nats.connect(options(nats, "dataLimit", new Clients.RecordingErrors()).build())) {
            Subscription sub = c.subscribe("d");
            c.flush(WAIT);
            for (int i = 0; i < 3; i++) {
                c.publish("d", new byte[100]);
            }
            for (int i = 0; i < 3; i++) {
                assertTrue(sub.nextMessage(WAIT) != null, "nats-server: message " + i);
            }
        }
        assertEquals("Authorization Violation", outcome(weft, "dataLimit"), weft.stderr());
        assertTrue(weft.stderr().contains("user limit data = 10 is not enforced by weft"), weft.stderr());
    }
}
