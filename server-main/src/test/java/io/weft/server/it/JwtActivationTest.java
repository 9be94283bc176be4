package io.weft.server.it;

import static io.weft.server.it.TestJwts.claims;
import static io.weft.server.it.TestJwts.creds;
import static io.weft.server.it.TestJwts.defaultAccountLimits;
import static io.weft.server.it.TestJwts.defaultUserLimits;
import static io.weft.server.it.TestJwts.encode;
import static io.weft.server.it.TestJwts.pub;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.nats.client.Connection;
import io.nats.client.Message;
import io.nats.client.NKey;
import io.nats.client.Nats;
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
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Private exports with activation tokens in JWT operator mode, differential: account EXP exports
 * a stream and a service with {@code token_req}, and importers carry tokens that are good, signed
 * by EXP's signing key, missing, for another account, of the wrong kind, expired, revoked by the
 * export, or running out during the test. Which importers get EXP's messages and answers must be
 * the same, and the expected ones, on weft and nats-server 2.15.1.
 */
class JwtActivationTest {
    private static final Duration WAIT = Duration.ofSeconds(3);
    /** Seconds until the short-lived token runs out. */
    private static final long SHORT = 25;
    static Path dir;
    static TestServer weft;
    static TestServer nats;
    static final Map<String, Path> CREDS = new LinkedHashMap<>();
    static final List<String> IMPORTERS = List.of("good", "bySigningKey", "noToken", "expired", "revoked", "shortLived");
    /** Tokens that fail nats-io/jwt's validation of the importing account's JWT. */
    static final List<String> INVALID = List.of("otherAccount", "wrongKind");
    static final Map<String, String> INVALID_CONF = new LinkedHashMap<>();
    static long start;

    @BeforeAll
    static void setUp() throws Exception {
        SecureRandom random = new SecureRandom();
        dir = Files.createTempDirectory("weft-jwt-act-");
        NKey operator = NKey.createOperator(random);
        NKey sys = NKey.createAccount(random);
        NKey exp = NKey.createAccount(random);
        NKey expSigning = NKey.createAccount(random);
        ObjectNode op = claims(operator, pub(operator), "OP", "operator");
        ((ObjectNode) op.get("nats")).put("system_account", pub(sys));
        Files.writeString(dir.resolve("op.jwt"), encode(op, operator));
        ObjectNode sysClaims = claims(operator, pub(sys), "SYS", "account");
        defaultAccountLimits(sysClaims);

        Map<String, NKey> importers = new LinkedHashMap<>();
        for (String name : IMPORTERS) {
            importers.put(name, NKey.createAccount(random));
        }
        for (String name : INVALID) {
            importers.put(name, NKey.createAccount(random));
        }
        start = System.currentTimeMillis() / 1000;

        ObjectNode expClaims = claims(operator, pub(exp), "EXP", "account");
        defaultAccountLimits(expClaims);
        ObjectNode en = (ObjectNode) expClaims.get("nats");
        en.putArray("signing_keys").add(pub(expSigning));
        ArrayNode exports = en.putArray("exports");
        ObjectNode streamExport = exports.addObject().put("name", "priv").put("subject", "priv.>").put("type", "stream")
                .put("token_req", true);
        streamExport.putObject("revocations").put(pub(importers.get("revoked")), start + 5);
        exports.addObject().put("name", "psvc").put("subject", "psvc").put("type", "service").put("token_req", true);
        user(random, exp, "EXP");

        StringBuilder preload = new StringBuilder();
        for (Map.Entry<String, NKey> e : importers.entrySet()) {
            String name = e.getKey();
            NKey acc = e.getValue();
            String forAccount = name.equals("otherAccount") ? pub(importers.get("good")) : pub(acc);
            NKey signer = name.equals("bySigningKey") ? expSigning : exp;
            String token = switch (name) {
                case "noToken" -> null;
                case "wrongKind" -> activation(signer, exp, forAccount, "priv.>", "service", 0);
                case "expired" -> activation(signer, exp, forAccount, "priv.>", "stream", start - 10);
                case "shortLived" -> activation(signer, exp, forAccount, "priv.>", "stream", start + SHORT);
                default -> activation(signer, exp, forAccount, "priv.>", "stream", 0);
            };
            String serviceToken = name.equals("noToken") ? null
                    : activation(signer, exp, forAccount, "psvc", name.equals("wrongKind") ? "stream" : "service", 0);
            ObjectNode ac = claims(operator, pub(acc), name, "account");
            defaultAccountLimits(ac);
            ArrayNode imports = ((ObjectNode) ac.get("nats")).putArray("imports");
            ObjectNode si = imports.addObject().put("name", "priv").put("subject", "priv.>").put("account", pub(exp))
                    .put("type", "stream");
            if (token != null) {
                si.put("token", token);
            }
            ObjectNode vi = imports.addObject().put("name", "psvc").put("subject", "psvc").put("account", pub(exp))
                    .put("type", "service");
            if (serviceToken != null) {
                vi.put("token", serviceToken);
            }
            String line = "  " + pub(acc) + ": \"" + encode(ac, operator) + "\"\n";
            if (INVALID.contains(name)) {
                INVALID_CONF.put(name, line);
            } else {
                preload.append(line);
            }
            user(random, acc, name);
        }
        String head = "operator: \"" + dir.resolve("op.jwt") + "\"\nresolver: MEMORY\nresolver_preload {\n"
                + "  " + pub(sys) + ": \"" + encode(sysClaims, operator) + "\"\n"
                + "  " + pub(exp) + ": \"" + encode(expClaims, operator) + "\"\n";
        String conf = head + preload + "}\n";
        INVALID_CONF.replaceAll((k, v) -> head + v + "}\n");
        weft = TestServers.start(TestServers.Target.WEFT, conf, "-D");
        nats = TestServers.start(TestServers.Target.NATS_NEWEST, conf, "-D");
    }

    /** An activation JWT: {@code sub} the importing account, {@code nats.subject}/{@code kind}, signed by {@code signer}. */
    private static String activation(NKey signer, NKey exporter, String importer, String subject, String kind, long exp) {
        ObjectNode c = claims(signer, importer, "act", "activation");
        ObjectNode n = (ObjectNode) c.get("nats");
        n.put("subject", subject).put("kind", kind);
        if (!pub(signer).equals(pub(exporter))) {
            n.put("issuer_account", pub(exporter));
        }
        if (exp != 0) {
            c.put("exp", exp);
        }
        return encode(c, signer);
    }

    private static void user(SecureRandom random, NKey account, String name) throws Exception {
        NKey u = NKey.createUser(random);
        ObjectNode c = claims(account, pub(u), name, "user");
        defaultUserLimits(c);
        CREDS.put(name, creds(dir, name, encode(c, account), u));
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

    private static Connection connect(TestServer s, String who) throws Exception {
        return Nats.connect(Clients.options(s).authHandler(Nats.credentials(CREDS.get(who).toString()))
                .errorListener(new Clients.RecordingErrors()).build());
    }

    /** Importer -> whether its subscriber got EXP's stream message, and whether its request got EXP's answer. */
    private static Map<String, String> observe(TestServer s) throws Exception {
        Map<String, String> seen = new TreeMap<>();
        List<Connection> open = new ArrayList<>();
        try (Connection exporter = connect(s, "EXP")) {
            exporter.createDispatcher(m -> exporter.publish(m.getReplyTo(), "answer".getBytes(StandardCharsets.UTF_8)))
                    .subscribe("psvc");
            exporter.flush(WAIT);
            Map<String, Subscription> subs = new LinkedHashMap<>();
            for (String name : IMPORTERS) {
                Connection c = connect(s, name);
                open.add(c);
                subs.put(name, c.subscribe("priv.x"));
                c.flush(WAIT);
            }
            exporter.publish("priv.x", "hello".getBytes(StandardCharsets.UTF_8));
            exporter.flush(WAIT);
            int i = 0;
            for (String name : IMPORTERS) {
                Message m = subs.get(name).nextMessage(Duration.ofMillis(500));
                String answer;
                try {
                    Message r = open.get(i).request("psvc", new byte[0], Duration.ofSeconds(1));
                    answer = r == null ? "no answer" : new String(r.getData(), StandardCharsets.UTF_8);
                } catch (Exception e) {
                    answer = "no answer";
                }
                seen.put(name, "stream " + (m != null) + ", service " + answer);
                i++;
            }
        } finally {
            for (Connection c : open) {
                c.close();
            }
        }
        return seen;
    }

    /**
     * A token for another account, or of the other kind, fails nats-io/jwt's validation of the
     * importing account's JWT: nats-server starts and refuses that account's users; weft refuses
     * to start, naming the account and the reason (a difference on the safe side).
     */
    @Test
    void tokensThatFailValidationMakeTheAccountUnusable() throws Exception {
        Map<String, String> reasons = Map.of("otherAccount", "activation token doesn't match account it is being included in",
                "wrongKind", "mismatch between token import type service and type of import stream");
        for (String name : INVALID) {
            try (TestServer n = TestServers.start(TestServers.Target.NATS_NEWEST, INVALID_CONF.get(name))) {
                Exception e = org.junit.jupiter.api.Assertions.assertThrows(Exception.class, () -> connect(n, name).close());
                org.junit.jupiter.api.Assertions.assertTrue(String.valueOf(e.getMessage()).contains("Authorization Violation"),
                        name + ": " + e);
            }
            Path conf = dir.resolve(name + ".conf");
            Files.writeString(conf, INVALID_CONF.get(name));
            TestServers.Result r = TestServers.runWeft(Duration.ofSeconds(60), "serve", "-t", "-c", conf.toString());
            assertEquals(1, r.exitCode(), r.output());
            org.junit.jupiter.api.Assertions.assertTrue(r.output().contains(reasons.get(name)), r.output());
        }
    }

    @Test
    void activationTokensDecideWhoImports() throws Exception {
        Map<String, String> expected = new TreeMap<>(Map.of(
                "good", "stream true, service answer",
                "bySigningKey", "stream true, service answer",
                "noToken", "stream false, service no answer",
                "expired", "stream false, service answer",
                "revoked", "stream false, service answer",
                "shortLived", "stream true, service answer"));
        Map<String, String> fromNats = observe(nats);
        Map<String, String> fromWeft = observe(weft);
        assertEquals(expected, fromNats, "nats-server");
        assertEquals(expected, fromWeft, "weft\n" + weft.stderr());
        // once the short-lived token ran out, its stream import is gone on both
        long wait = (start + SHORT + 1) * 1000 - System.currentTimeMillis();
        if (wait > 0) {
            Thread.sleep(wait);
        }
        expected.put("shortLived", "stream false, service answer");
        assertEquals(expected, observe(nats), "nats-server after expiry");
        assertEquals(expected, observe(weft), "weft after expiry\n" + weft.stderr());
    }
}
