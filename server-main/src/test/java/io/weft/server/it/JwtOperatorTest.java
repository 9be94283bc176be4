package io.weft.server.it;

import static io.weft.server.it.TestJwts.claims;
import static io.weft.server.it.TestJwts.creds;
import static io.weft.server.it.TestJwts.defaultAccountLimits;
import static io.weft.server.it.TestJwts.defaultUserLimits;
import static io.weft.server.it.TestJwts.encode;
import static io.weft.server.it.TestJwts.pub;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.nats.client.Connection;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.NKey;
import io.nats.client.Options;
import io.nats.client.Subscription;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * JWT operator mode with the memory resolver, differential: the same operator JWT, preloaded
 * account JWTs and {@code .creds} files (all made here with fresh nkeys) against weft and the
 * newest nats-server; jnats connects with {@code Nats.credentials(path)}, and every outcome must be
 * the expected one on both servers.
 */
class JwtOperatorTest {
    private static final Duration WAIT = Duration.ofSeconds(3);
    static Path dir;
    static TestServer weft;
    static TestServer nats;
    static final Map<String, Path> CREDS = new LinkedHashMap<>();
    static String accountKey;
    static String operatorKey;
    static String operatorSigningKey;
    static String preloadBlock;
    static NKey accountPair;
    static NKey opSigningPair;
    static NKey accountSigningPair;
    static String sysLine;
    static String aliceKey;

    @BeforeAll
    static void setUp() throws Exception {
        SecureRandom random = new SecureRandom();
        dir = Files.createTempDirectory("weft-jwt-");
        NKey operator = NKey.createOperator(random);
        NKey opSigning = NKey.createOperator(random);
        NKey sys = NKey.createAccount(random);
        NKey account = NKey.createAccount(random);
        NKey accountSigning = NKey.createAccount(random);
        NKey stranger = NKey.createAccount(random);
        accountKey = pub(account);
        operatorKey = pub(operator);
        operatorSigningKey = pub(opSigning);
        long now = System.currentTimeMillis() / 1000;

        ObjectNode op = claims(operator, pub(operator), "OP", "operator");
        ((ObjectNode) op.get("nats")).put("system_account", pub(sys)).putArray("signing_keys").add(pub(opSigning));
        Files.writeString(dir.resolve("op.jwt"), encode(op, operator));

        ObjectNode sysClaims = claims(operator, pub(sys), "SYS", "account");
        defaultAccountLimits(sysClaims);
        String sysJwt = encode(sysClaims, operator);

        NKey revoked = NKey.createUser(random);
        accountPair = account;
        opSigningPair = opSigning;
        accountSigningPair = accountSigning;
        String accJwt = accountJwt(Map.of(pub(revoked), now + 5));

        NKey alice = NKey.createUser(random);
        aliceKey = pub(alice);
        ObjectNode a = claims(account, pub(alice), "alice", "user");
        ObjectNode an = defaultUserLimits(a);
        an.putObject("pub").putArray("allow").add("a.>").add("_INBOX.>");
        an.putObject("sub").putArray("allow").add("a.>").add("_INBOX.>");
        String aliceJwt = encode(a, account);
        CREDS.put("alice", creds(dir, "alice", aliceJwt, alice));
        CREDS.put("wrongSeed", creds(dir, "wrongSeed", aliceJwt, NKey.createUser(random)));

        NKey bob = NKey.createUser(random);
        ObjectNode b = claims(accountSigning, pub(bob), "bob", "user");
        defaultUserLimits(b).put("issuer_account", pub(account));
        CREDS.put("signingKeyUser", creds(dir, "bob", encode(b, accountSigning), bob));

        NKey old = NKey.createUser(random);
        ObjectNode o = claims(account, pub(old), "old", "user");
        defaultUserLimits(o);
        o.put("exp", now - 10);
        CREDS.put("expired", creds(dir, "old", encode(o, account), old));

        ObjectNode r = claims(account, pub(revoked), "revoked", "user");
        defaultUserLimits(r);
        CREDS.put("revoked", creds(dir, "revoked", encode(r, account), revoked));

        NKey eve = NKey.createUser(random);
        ObjectNode ev = claims(stranger, pub(eve), "eve", "user");
        defaultUserLimits(ev);
        CREDS.put("unknownAccount", creds(dir, "eve", encode(ev, stranger), eve));

        NKey mallory = NKey.createUser(random);
        ObjectNode m = claims(account, pub(mallory), "mallory", "user");
        defaultUserLimits(m);
        CREDS.put("forged", creds(dir, "mallory", encode(m, NKey.createAccount(random)), mallory));
        // signed by the account's key but claiming a signing key issued it: iss != signer
        ObjectNode f2 = claims(accountSigning, pub(mallory), "mallory2", "user");
        defaultUserLimits(f2).put("issuer_account", pub(stranger));
        CREDS.put("issuerAccountNotPreloaded", creds(dir, "mallory2", encode(f2, accountSigning), mallory));

        sysLine = pub(sys) + ": \"" + sysJwt + "\"";
        preloadBlock = """
                resolver: MEMORY
                resolver_preload {
                  %s: "%s"
                  %s: "%s"
                }
                """.formatted(pub(sys), sysJwt, pub(account), accJwt);
        String conf = "operator: \"" + dir.resolve("op.jwt") + "\"\n" + preloadBlock;
        if (keysOnly) {
            return;
        }
        weft = TestServers.start(TestServers.Target.WEFT, conf);
        nats = TestServers.start(TestServers.Target.NATS_NEWEST, conf);
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

    private static Options.Builder options(TestServer server, Path creds, Clients.RecordingErrors errors) {
        return Clients.options(server).authHandler(Nats.credentials(creds.toString()))
                .connectionTimeout(Duration.ofSeconds(2)).errorListener(errors);
    }

    /** "OK" or "Authorization Violation" (or the failure text when neither). */
    private static String outcome(TestServer server, String who) {
        try (Connection c = Nats.connect(options(server, CREDS.get(who), new Clients.RecordingErrors()).build())) {
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

    /** The APP account's JWT, signed by the operator's signing key, with these revocations. */
    static String accountJwt(Map<String, Long> revocations) {
        ObjectNode acc = claims(opSigningPair, pub(accountPair), "APP", "account");
        defaultAccountLimits(acc);
        ((ObjectNode) acc.get("nats")).putArray("signing_keys").add(pub(accountSigningPair));
        ObjectNode r = ((ObjectNode) acc.get("nats")).putObject("revocations");
        revocations.forEach(r::put);
        return encode(acc, opSigningPair);
    }

    /**
     * A reload with a new account JWT that revokes alice disconnects her and refuses her from
     * then on; a reload that drops the operator is refused as nats-server refuses it.
     */
    @Test
    void reloadedAccountJwtRevokesAConnectedUser() throws Exception {
        String op = "operator: \"" + dir.resolve("op.jwt") + "\"\n";
        try (TestServer w = TestServers.start(TestServers.Target.WEFT, op + preloadBlock)) {
            Connection alice = Nats.connect(options(w, CREDS.get("alice"), new Clients.RecordingErrors()).build());
            alice.flush(WAIT);
            w.rewriteConfig(op + "resolver: MEMORY\nresolver_preload {\n  " + sysLine + "\n  " + accountKey + ": \""
                    + accountJwt(Map.of(aliceKey, System.currentTimeMillis() / 1000 + 5)) + "\"\n}\n");
            w.signal("HUP");
            assertTrue(w.awaitOutput("Reloaded", WAIT), w.stderr());
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (alice.getStatus() == Connection.Status.CONNECTED && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertTrue(alice.getStatus() != Connection.Status.CONNECTED, "revoked alice is disconnected");
            alice.close();
            assertEquals("Authorization Violation", outcome(w, "alice"));
            assertEquals("OK", outcome(w, "signingKeyUser"));
            w.rewriteConfig("system_account: " + sysLine.substring(0, sysLine.indexOf(':')) + "\n");
            w.signal("HUP");
            assertTrue(w.awaitOutput("config reload does not support moving to or from an account resolver", WAIT), w.stderr());
            assertEquals("OK", outcome(w, "signingKeyUser"));
        }
    }

    /**
     * A working operator-mode config for SecurityOptionsTest's examples: {@code OPERATOR} (an
     * operator JWT file), {@code OPERATORS} (a list), {@code TRUSTED}/{@code TRUSTED_KEYS} (keys).
     */
    static synchronized String exampleConf(String kind) {
        try {
            if (preloadBlock == null) {
                setUpKeysOnly();
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        String op = "\"" + dir.resolve("op.jwt") + "\"";
        return switch (kind) {
            case "OPERATOR" -> "operator: " + op + "\n" + preloadBlock;
            case "OPERATORS" -> "operators: [ " + op + " ]\n" + preloadBlock;
            case "OPERATOR_FULL" -> "operator: " + op + "\n" + preloadBlock.replace("resolver: MEMORY",
                    "resolver { type: full, dir: \"" + dir.resolve("jwt-full") + "\" }");
            case "TRUSTED" -> "trusted: [ " + operatorKey + ", " + operatorSigningKey + " ]\n" + preloadBlock;
            case "TRUSTED_KEYS" -> "trusted_keys: [ " + operatorKey + ", " + operatorSigningKey + " ]\n" + preloadBlock;
            default -> throw new IllegalArgumentException(kind);
        };
    }

    /** setUp without the servers. */
    private static void setUpKeysOnly() throws Exception {
        keysOnly = true;
        try {
            setUp();
        } finally {
            keysOnly = false;
        }
    }

    private static boolean keysOnly;

    /** {@code weft serve -t} accepts the operator config and refuses an account limit weft cannot enforce, naming it. */
    @Test
    void configCheckAcceptsOperatorModeAndRefusesUnenforceableLimits() throws Exception {
        Path good = dir.resolve("good.conf");
        Files.writeString(good, exampleConf("OPERATOR"));
        TestServers.Result ok = TestServers.runWeft(Duration.ofSeconds(60), "serve", "-t", "-c", good.toString());
        assertEquals(0, ok.exitCode(), ok.output());
        ObjectNode acc = claims(opSigningPair, pub(accountPair), "APP", "account");
        defaultAccountLimits(acc).put("leaf", 10);
        Path bad = dir.resolve("bad.conf");
        Files.writeString(bad, "operator: \"" + dir.resolve("op.jwt") + "\"\nresolver: MEMORY\nresolver_preload {\n  "
                + accountKey + ": \"" + encode(acc, opSigningPair) + "\"\n}\n");
        TestServers.Result refused = TestServers.runWeft(Duration.ofSeconds(60), "serve", "-t", "-c", bad.toString());
        assertEquals(1, refused.exitCode(), refused.output());
        assertTrue(refused.output().contains("limits.leaf = 10"), refused.output());
    }

    @Test
    void trustedKeysInsteadOfAnOperatorJwt() throws Exception {
        String conf = exampleConf("TRUSTED_KEYS");
        try (TestServer w = TestServers.start(TestServers.Target.WEFT, conf);
             TestServer n = TestServers.start(TestServers.Target.NATS_NEWEST, conf)) {
            assertEquals("OK", outcome(n, "alice"));
            assertEquals("OK", outcome(w, "alice"), w.stderr());
            assertEquals("Authorization Violation", outcome(n, "forged"));
            assertEquals("Authorization Violation", outcome(w, "forged"));
        }
    }

    @Test
    void userOfPreloadedAccountConnects() {
        assertOutcome("alice", "OK");
    }

    @Test
    void userIssuedByAccountSigningKeyConnects() {
        assertOutcome("signingKeyUser", "OK");
    }

    @Test
    void nonceSignedByAnotherKeyIsRefused() {
        assertOutcome("wrongSeed", "Authorization Violation");
    }

    @Test
    void expiredUserJwtIsRefused() {
        assertOutcome("expired", "Authorization Violation");
    }

    @Test
    void revokedUserIsRefused() {
        assertOutcome("revoked", "Authorization Violation");
    }

    @Test
    void userOfAccountNotPreloadedIsRefused() {
        assertOutcome("unknownAccount", "Authorization Violation");
        assertOutcome("issuerAccountNotPreloaded", "Authorization Violation");
    }

    @Test
    void jwtSignedByAStrangerIsRefused() {
        assertOutcome("forged", "Authorization Violation");
    }

    @Test
    void refusalIsLoggedAsNatsServerDoes() throws Exception {
        outcome(nats, "revoked");
        outcome(weft, "revoked");
        // jnats sends the user's nkey next to the JWT, so nats-server names the key
        String line = " - authentication error - Nkey \"U";
        assertTrue(nats.awaitOutput(line, WAIT), nats.stderr());
        assertTrue(weft.awaitOutput(line, WAIT), weft.stderr());
    }

    @Test
    void infoCarriesNonceAndAuthRequired() throws Exception {
        for (TestServer s : new TestServer[] {nats, weft}) {
            try (java.net.Socket socket = new java.net.Socket("127.0.0.1", s.port())) {
                socket.setSoTimeout(3000);
                String info = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(),
                        StandardCharsets.UTF_8)).readLine();
                com.fasterxml.jackson.databind.JsonNode json = TestJwts.JSON.readTree(info.substring("INFO ".length()));
                assertTrue(json.path("nonce").asText().length() > 0, s.target() + ": " + info);
                assertTrue(json.path("auth_required").asBoolean(), s.target() + ": " + info);
            }
        }
    }

    @Test
    void permissionsOfTheUserJwtAreEnforced() throws Exception {
        for (TestServer s : new TestServer[] {nats, weft}) {
            Clients.RecordingErrors errors = new Clients.RecordingErrors();
            try (Connection c = Nats.connect(options(s, CREDS.get("alice"), errors).build());
                 Connection other = Nats.connect(options(s, CREDS.get("signingKeyUser"), new Clients.RecordingErrors()).build())) {
                Subscription sub = c.subscribe("a.x");
                Subscription otherSub = other.subscribe("b.x");
                c.flush(WAIT);
                other.flush(WAIT);
                c.publish("a.x", "in".getBytes(StandardCharsets.UTF_8));
                Message m = sub.nextMessage(WAIT);
                assertNotNull(m, s.target() + ": a.x is allowed");
                c.publish("b.x", "out".getBytes(StandardCharsets.UTF_8));
                c.flush(WAIT);
                assertEquals(null, otherSub.nextMessage(Duration.ofMillis(300)), s.target() + ": b.x is not allowed");
                c.subscribe("b.y");
                c.flush(WAIT);
                long deadline = System.nanoTime() + WAIT.toNanos();
                while (errors.errors.size() < 2 && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                assertTrue(errors.errors.stream().anyMatch(e -> e.contains("Permissions Violation for Publish to \"b.x\"")),
                        s.target() + ": " + errors.errors);
                assertTrue(errors.errors.stream().anyMatch(e -> e.contains("Permissions Violation for Subscription to \"b.y\"")),
                        s.target() + ": " + errors.errors);
                // users of the same account share its subject space
                other.publish("a.x", "from bob".getBytes(StandardCharsets.UTF_8));
                assertNotNull(sub.nextMessage(WAIT), s.target() + ": same account");
            }
        }
    }
}
