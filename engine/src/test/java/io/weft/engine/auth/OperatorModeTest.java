package io.weft.engine.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Operator mode decisions on JWTs built here (the integration and differential test is JwtOperatorTest). */
class OperatorModeTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    private static final String HEADER = "{\"typ\":\"JWT\",\"alg\":\"ed25519-nkey\"}";
    private static final long NOW = 1_700_000_000L;
    private static final String NONCE = "abcdefghijklmnop";

    private final Nkeys.KeyPair operator = Nkeys.create(Nkeys.Type.OPERATOR, NkeysTest.seeded(1));
    private final Nkeys.KeyPair account = Nkeys.create(Nkeys.Type.ACCOUNT, NkeysTest.seeded(2));
    private final Nkeys.KeyPair user = Nkeys.create(Nkeys.Type.USER, NkeysTest.seeded(3));

    private static ObjectNode claims(Nkeys.KeyPair issuer, String sub, String type) {
        ObjectNode c = JSON.createObjectNode();
        c.put("iat", NOW - 100).put("iss", issuer.publicKey()).put("sub", sub).put("jti", "X");
        c.putObject("nats").put("type", type).put("version", 2);
        return c;
    }

    private static String sign(String header, String payload, Nkeys.KeyPair signer) {
        String input = B64.encodeToString(header.getBytes(StandardCharsets.UTF_8)) + "."
                + B64.encodeToString(payload.getBytes(StandardCharsets.UTF_8));
        return input + "." + B64.encodeToString(Nkeys.sign(signer.seed(), input.getBytes(StandardCharsets.US_ASCII)));
    }

    private static String sign(ObjectNode claims, Nkeys.KeyPair signer) {
        return sign(HEADER, claims.toString(), signer);
    }

    private ObjectNode accountClaims() {
        ObjectNode a = claims(operator, account.publicKey(), "account");
        ((ObjectNode) a.get("nats")).putObject("limits").put("subs", -1).put("data", -1).put("payload", -1)
                .put("imports", -1).put("exports", -1).put("wildcards", true).put("conn", -1).put("leaf", -1);
        return a;
    }

    private OperatorMode mode(ObjectNode accountClaims) {
        String op = sign(claims(operator, operator.publicKey(), "operator"), operator);
        return OperatorMode.build(List.of(op), List.of(), Map.of(account.publicKey(), sign(accountClaims, operator)), NOW);
    }

    private ObjectNode userClaims() {
        return claims(account, user.publicKey(), "user");
    }

    private Credentials creds(String jwt, Nkeys.KeyPair signer) {
        String sig = Nkeys.encodeSignature(Nkeys.sign(signer.seed(), NONCE.getBytes(StandardCharsets.US_ASCII)));
        return new Credentials(null, null, null, null, sig, jwt);
    }

    private static String detail(AuthResult r) {
        return assertInstanceOf(AuthResult.Denied.class, r).detail();
    }

    @Test
    void validUserIsAllowedIntoItsAccount() {
        AuthResult r = mode(accountClaims()).authenticate(creds(sign(userClaims(), account), user), NONCE, NOW);
        AuthResult.Allowed a = assertInstanceOf(AuthResult.Allowed.class, r);
        assertEquals(account.publicKey(), a.account());
        assertEquals(user.publicKey(), a.user());
    }

    @Test
    void expiryIsCheckedAgainstTheGivenClock() {
        ObjectNode u = userClaims().put("exp", NOW);
        OperatorMode m = mode(accountClaims());
        String jwt = sign(u, account);
        assertInstanceOf(AuthResult.Allowed.class, m.authenticate(creds(jwt, user), NONCE, NOW));
        assertTrue(detail(m.authenticate(creds(jwt, user), NONCE, NOW + 1)).contains("expired"));
    }

    @Test
    void revocationOfAllUsersIssuedBeforeATime() {
        ObjectNode a = accountClaims();
        ((ObjectNode) a.get("nats")).putObject("revocations").put("*", NOW - 100);
        assertEquals("User authentication revoked",
                detail(mode(a).authenticate(creds(sign(userClaims(), account), user), NONCE, NOW)));
        ObjectNode later = userClaims().put("iat", NOW - 99);
        assertInstanceOf(AuthResult.Allowed.class, mode(a).authenticate(creds(sign(later, account), user), NONCE, NOW));
    }

    @Test
    void bearerTokenNeedsNoSignatureUnlessTheAccountDisallowsIt() {
        ObjectNode u = userClaims();
        ((ObjectNode) u.get("nats")).put("bearer_token", true);
        Credentials noSig = new Credentials(null, null, null, null, null, sign(u, account));
        assertInstanceOf(AuthResult.Allowed.class, mode(accountClaims()).authenticate(noSig, NONCE, NOW));
        ObjectNode a = accountClaims();
        ((ObjectNode) a.get("nats").get("limits")).put("disallow_bearer", true);
        assertEquals("Account does not allow bearer tokens", detail(mode(a).authenticate(noSig, NONCE, NOW)));
        Credentials plainNoSig = new Credentials(null, null, null, null, null, sign(userClaims(), account));
        assertEquals("Signature missing", detail(mode(accountClaims()).authenticate(plainNoSig, NONCE, NOW)));
    }

    @Test
    void permissionsComeFromTheUserOrTheAccountDefaults() throws Exception {
        ObjectNode a = accountClaims();
        ((ObjectNode) a.get("nats")).set("default_permissions", JSON.readTree("{\"pub\":{\"deny\":[\"x.>\"]}}"));
        AuthResult.Allowed def = (AuthResult.Allowed) mode(a).authenticate(creds(sign(userClaims(), account), user), NONCE, NOW);
        assertEquals(List.of("x.>"), def.permissions().publish().deny());
        ObjectNode u = userClaims();
        ((ObjectNode) u.get("nats")).set("sub", JSON.readTree("{\"allow\":[\"a.*\"]}"));
        ((ObjectNode) u.get("nats")).set("resp", JSON.readTree("{\"max\":0,\"ttl\":0}"));
        AuthResult.Allowed own = (AuthResult.Allowed) mode(a).authenticate(creds(sign(u, account), user), NONCE, NOW);
        assertEquals(null, own.permissions().publish());
        assertEquals(List.of("a.*"), own.permissions().subscribe().allow());
        assertEquals(1, own.permissions().response().maxMsgs());
        assertEquals(java.time.Duration.ofMinutes(2), own.permissions().response().expires());
    }

    @Test
    void accountLimitsWeftCannotEnforceAreRefusedAtBuild() {
        for (String limit : List.of("leaf")) {
            ObjectNode a = accountClaims();
            ((ObjectNode) a.get("nats").get("limits")).put(limit, 5);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> mode(a));
            assertTrue(e.getMessage().contains("limits." + limit), e.getMessage());
        }
        ObjectNode scoped = accountClaims();
        ((ObjectNode) scoped.get("nats")).putArray("signing_keys").addObject().put("kind", "other_scope")
                .put("key", account.publicKey());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> mode(scoped)).getMessage().contains("scope kind"));
        ObjectNode badTemplate = accountClaims();
        ((ObjectNode) badTemplate.get("nats")).putArray("signing_keys").addObject().put("kind", "user_scope")
                .put("key", account.publicKey()).putObject("template").put("surprise", 1);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> mode(badTemplate)).getMessage().contains("surprise"));
        ObjectNode unknown = accountClaims();
        ((ObjectNode) unknown.get("nats")).put("something_new", 1);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> mode(unknown)).getMessage().contains("something_new"));
    }

    @Test
    void accountConnectionLimitIsKeptAndANewJwtReplacesTheAccount() {
        ObjectNode a = accountClaims();
        ((ObjectNode) a.get("nats").get("limits")).put("conn", 2);
        OperatorMode m = mode(a);
        assertEquals(2, m.maxConnections(account.publicKey()));
        assertEquals(-1, m.maxConnections("ANOTHER"));
        ((ObjectNode) a.get("nats").get("limits")).put("conn", -1);
        java.util.Map<String, String> next = new java.util.LinkedHashMap<>(m.accountJwts());
        next.put(account.publicKey(), sign(a, operator));
        OperatorMode updated = m.withAccounts(next, NOW);
        assertEquals(-1, updated.maxConnections(account.publicKey()));
        assertEquals(2, m.maxConnections(account.publicKey()), "the old one is unchanged");
        ((ObjectNode) a.get("nats").get("limits")).put("leaf", 5);
        next.put(account.publicKey(), sign(a, operator));
        assertThrows(IllegalArgumentException.class, () -> m.withAccounts(next, NOW));
        ((ObjectNode) a.get("nats").get("limits")).put("conn", -2).put("leaf", -1);
        ObjectNode bad = a;
        assertThrows(IllegalArgumentException.class, () -> mode(bad));
    }

    @Test
    void jetstreamLimitsBecomeAccountLimits() {
        ObjectNode a = accountClaims();
        ((ObjectNode) a.get("nats").get("limits")).put("mem_storage", 1024).put("disk_storage", -1).put("streams", 3);
        AccountConfig.JetStreamLimits js = mode(a).accounts().get(account.publicKey()).jetstream();
        assertEquals(new AccountConfig.JetStreamLimits(1024, -1, 3, -1), js);
        assertEquals(null, mode(accountClaims()).accounts().get(account.publicKey()).jetstream());
    }

    @Test
    void accountNotSignedByTheOperatorIsRefused() {
        Nkeys.KeyPair other = Nkeys.create(Nkeys.Type.OPERATOR, NkeysTest.seeded(9));
        String op = sign(claims(operator, operator.publicKey(), "operator"), operator);
        ObjectNode a = claims(other, account.publicKey(), "account");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> OperatorMode.build(List.of(op), List.of(), Map.of(account.publicKey(), sign(a, other)), NOW));
        assertTrue(e.getMessage().contains("not signed by trusted operator"), e.getMessage());
    }

    @Test
    void srcLimitsWhereTheUserMayConnectFrom() {
        ObjectNode u = userClaims();
        ((ObjectNode) u.get("nats")).putArray("src").add("10.0.0.0/8").add("192.168.1.0/24");
        OperatorMode m = mode(accountClaims());
        AuthResult.Denied d = assertInstanceOf(AuthResult.Denied.class,
                m.authenticate(creds(sign(u, account), user), NONCE, NOW, "127.0.0.1"));
        assertEquals("Bad src Ip 127.0.0.1", d.detail());
        assertTrue(d.detailIsError());
        assertInstanceOf(AuthResult.Allowed.class, m.authenticate(creds(sign(u, account), user), NONCE, NOW, "10.1.2.3"));
        assertInstanceOf(AuthResult.Allowed.class, m.authenticate(creds(sign(u, account), user), NONCE, NOW, "192.168.1.77"));
        assertInstanceOf(AuthResult.Denied.class, m.authenticate(creds(sign(u, account), user), NONCE, NOW, "192.168.2.1"));
        assertInstanceOf(AuthResult.Denied.class, m.authenticate(creds(sign(u, account), user), NONCE, NOW, null));
        ObjectNode comma = userClaims();
        ((ObjectNode) comma.get("nats")).put("src", "10.0.0.0/8, 127.0.0.0/8");
        assertInstanceOf(AuthResult.Allowed.class, m.authenticate(creds(sign(comma, account), user), NONCE, NOW, "127.0.0.1"));
        ObjectNode bad = userClaims();
        ((ObjectNode) bad.get("nats")).putArray("src").add("10.0.0.0/33");
        assertTrue(detail(m.authenticate(creds(sign(bad, account), user), NONCE, NOW, "10.0.0.1")).contains("invalid cidr"));
    }

    @Test
    void aDataLimitWeftWouldNotApplyIsRefused() {
        ObjectNode u = userClaims();
        ((ObjectNode) u.get("nats")).put("data", 7);
        assertTrue(detail(mode(accountClaims()).authenticate(creds(sign(u, account), user), NONCE, NOW))
                .contains("user limit data = 7 is not enforced by weft"));
    }

    @Test
    void userAndAccountSubsAndPayloadLimitsTakeTheSmaller() {
        ObjectNode a = accountClaims();
        ((ObjectNode) a.get("nats").get("limits")).put("subs", 10).put("payload", 100);
        ObjectNode u = userClaims();
        ((ObjectNode) u.get("nats")).put("subs", 3).put("payload", -1).put("data", -1);
        AuthResult.Allowed r = assertInstanceOf(AuthResult.Allowed.class,
                mode(a).authenticate(creds(sign(u, account), user), NONCE, NOW));
        assertEquals(3, r.maxSubs());
        assertEquals(100, r.maxPayload());
        AuthResult.Allowed none = assertInstanceOf(AuthResult.Allowed.class,
                mode(accountClaims()).authenticate(creds(sign(userClaims(), account), user), NONCE, NOW));
        assertEquals(0, none.maxSubs(), "absent is 0, as nats-io/jwt decodes it");
        assertEquals(-1, OperatorMode.minLimit(-1, -1));
        assertEquals(4, OperatorMode.minLimit(-1, 4));
    }

    @Test
    void timesLimitWhenTheUserMayConnectAndWhenItIsCut() {
        // NOW is 2023-11-14T22:13:20Z
        ObjectNode u = userClaims();
        ObjectNode n = (ObjectNode) u.get("nats");
        n.putArray("times").addObject().put("start", "22:00:00").put("end", "23:00:00");
        n.put("times_location", "UTC");
        AuthResult.Allowed in = assertInstanceOf(AuthResult.Allowed.class,
                mode(accountClaims()).authenticate(creds(sign(u, account), user), NONCE, NOW));
        assertEquals(NOW + 2800, in.expiresSeconds(), "cut at the end of the range");
        n.put("times_location", "Asia/Tokyo"); // 07:13 there
        AuthResult.Denied out = assertInstanceOf(AuthResult.Denied.class,
                mode(accountClaims()).authenticate(creds(sign(u, account), user), NONCE, NOW));
        assertEquals("Outside connect times", out.detail());
        n.putArray("times").addObject().put("start", "23:00:00").put("end", "08:00:00"); // over midnight
        assertInstanceOf(AuthResult.Allowed.class, mode(accountClaims()).authenticate(creds(sign(u, account), user), NONCE, NOW));
        n.put("times_location", "Mars/Olympus");
        assertTrue(detail(mode(accountClaims()).authenticate(creds(sign(u, account), user), NONCE, NOW)).contains("time zone"));
        n.put("times_location", "UTC");
        n.putArray("times").addObject().put("start", "25:00:00").put("end", "08:00:00");
        assertTrue(detail(mode(accountClaims()).authenticate(creds(sign(u, account), user), NONCE, NOW)).contains("no longer valid"));
    }

    @Test
    void connectionTypesMustAllowAStandardConnection() {
        for (var e : Map.of("[\"STANDARD\"]", true, "[\"standard\",\"MQTT\"]", true, "[\"WEBSOCKET\"]", false,
                "[\"FOO\"]", false, "[\"FOO\",\"STANDARD\"]", true, "[]", true).entrySet()) {
            ObjectNode u = userClaims();
            try {
                ((ObjectNode) u.get("nats")).set("allowed_connection_types", JSON.readTree(e.getKey()));
            } catch (Exception x) {
                throw new AssertionError(x);
            }
            AuthResult r = mode(accountClaims()).authenticate(creds(sign(u, account), user), NONCE, NOW);
            assertEquals(e.getValue(), r instanceof AuthResult.Allowed, e.getKey() + ": " + r);
        }
    }

    private ObjectNode scopedAccount(Nkeys.KeyPair scopedKey, String template) throws Exception {
        ObjectNode a = accountClaims();
        a.put("name", "APP");
        ((ObjectNode) a.get("nats")).putArray("tags").add("region:eu").add("region:us");
        ((ObjectNode) a.get("nats")).putArray("signing_keys").addObject().put("kind", "user_scope")
                .put("key", scopedKey.publicKey()).put("role", "r").set("template", JSON.readTree(template));
        return a;
    }

    private ObjectNode scopedUser(Nkeys.KeyPair scopedKey) {
        ObjectNode u = claims(scopedKey, user.publicKey(), "user");
        u.put("name", "alice");
        ((ObjectNode) u.get("nats")).put("issuer_account", account.publicKey());
        ((ObjectNode) u.get("nats")).putArray("tags").add("team:red").add("team:blue");
        return u;
    }

    @Test
    void scopedSigningKeyGivesItsTemplateWithFunctionsFilledIn() throws Exception {
        Nkeys.KeyPair scoped = Nkeys.create(Nkeys.Type.ACCOUNT, NkeysTest.seeded(11));
        OperatorMode m = mode(scopedAccount(scoped, """
                {"pub":{"allow":["u.{{name()}}.>","k.{{subject()}}","a.{{account-name()}}.{{account-subject()}}",
                 "t.{{tag(team)}}.{{account-tag(region)}}","missing.{{tag(nope)}}"],"deny":["u.{{ NAME() }}.secret"]},
                 "sub":{"allow":["only.{{tag(nope)}}"]},"subs":4,"payload":512}"""));
        AuthResult.Allowed r = assertInstanceOf(AuthResult.Allowed.class,
                m.authenticate(creds(sign(scopedUser(scoped), scoped), user), NONCE, NOW));
        assertEquals(account.publicKey(), r.account());
        assertEquals(List.of("u.alice.>", "k." + user.publicKey(), "a.APP." + account.publicKey(),
                "t.red.eu", "t.red.us", "t.blue.eu", "t.blue.us"), r.permissions().publish().allow());
        assertEquals(List.of("u.alice.secret"), r.permissions().publish().deny());
        assertEquals(List.of(), r.permissions().subscribe().allow(), "emptied allow list");
        assertEquals(List.of(">"), r.permissions().subscribe().deny(), "becomes deny everything");
        assertEquals(4, r.maxSubs());
        assertEquals(512, r.maxPayload());
    }

    @Test
    void scopedUsersMayNotCarryTheirOwnPermissionsOrLimits() throws Exception {
        Nkeys.KeyPair scoped = Nkeys.create(Nkeys.Type.ACCOUNT, NkeysTest.seeded(11));
        OperatorMode m = mode(scopedAccount(scoped, "{\"pub\":{\"allow\":[\"x\"]}}"));
        for (String own : List.of("{\"subs\":-1}", "{\"pub\":{\"allow\":[]}}", "{\"resp\":{}}", "{\"src\":\"\"}",
                "{\"bearer_token\":true}", "{\"allowed_connection_types\":[]}", "{\"times\":[]}")) {
            ObjectNode u = scopedUser(scoped);
            JSON.readTree(own).fields().forEachRemaining(f -> ((ObjectNode) u.get("nats")).set(f.getKey(), f.getValue()));
            assertEquals("User JWT is not valid: scoped users require no permissions or limits set",
                    detail(m.authenticate(creds(sign(u, scoped), user), NONCE, NOW)), own);
        }
        ObjectNode fine = scopedUser(scoped);
        ((ObjectNode) fine.get("nats")).putObject("pub"); // an empty object is nothing set
        assertInstanceOf(AuthResult.Allowed.class, m.authenticate(creds(sign(fine, scoped), user), NONCE, NOW));
        OperatorMode unknownFn = mode(scopedAccount(scoped, "{\"pub\":{\"allow\":[\"x.{{nope()}}\"]}}"));
        assertEquals("User JWT generated invalid permissions",
                detail(unknownFn.authenticate(creds(sign(scopedUser(scoped), scoped), user), NONCE, NOW)));
        OperatorMode badDeny = mode(scopedAccount(scoped, "{\"sub\":{\"deny\":[\"x.{{tag(nope)}}\"]}}"));
        assertEquals("User JWT generated invalid permissions",
                detail(badDeny.authenticate(creds(sign(scopedUser(scoped), scoped), user), NONCE, NOW)));
        OperatorMode bearer = mode(scopedAccount(scoped, "{\"bearer_token\":true}"));
        assertInstanceOf(AuthResult.Allowed.class,
                bearer.authenticate(new Credentials(null, null, null, null, null, sign(scopedUser(scoped), scoped)), NONCE, NOW),
                "the template's bearer_token: no signature needed");
    }

    /** Random templates and users: an expansion never throws, stays under the cap, and yields only valid subjects. */
    @Test
    void templateExpansionPropertiesHoldForRandomInputs() {
        Random rnd = new Random(16);
        String[] pieces = {"a", "b", "*", ">", "{{name()}}", "{{subject()}}", "{{tag(t)}}", "{{account-tag(r)}}",
                "{{Tag(T)}}", "{{tag(none)}}", "{{account-name()}}", "{{x}}", "{{", "}}", " ", "."};
        for (int round = 0; round < 2000; round++) {
            List<String> list = new java.util.ArrayList<>();
            for (int i = rnd.nextInt(4); i >= 0; i--) {
                StringBuilder sb = new StringBuilder();
                for (int j = rnd.nextInt(5); j >= 0; j--) {
                    sb.append(pieces[rnd.nextInt(pieces.length)]);
                    if (rnd.nextBoolean()) {
                        sb.append('.');
                    }
                }
                list.add(sb.toString());
            }
            List<String> tags = new java.util.ArrayList<>();
            for (int i = rnd.nextInt(6); i > 0; i--) {
                tags.add("t:v" + rnd.nextInt(10));
            }
            ScopedTemplate.Context ctx = new ScopedTemplate.Context(rnd.nextBoolean() ? "al ice" : "alice", "UKEY", tags,
                    "APP", "AKEY", List.of("r:eu", "r:us"));
            for (boolean deny : new boolean[] {false, true}) {
                try {
                    List<String> out = ScopedTemplate.expand(list, deny, ctx);
                    assertTrue(out.size() <= ScopedTemplate.MAX_EXPANSIONS, list.toString());
                    boolean hadFunction = list.stream().anyMatch(x -> x.matches(".*\\{\\{[^}]+}}.*"));
                    for (String x : out) {
                        if (hadFunction) {
                            assertTrue(ScopedTemplate.validSubject(x), list + " -> " + x);
                            assertTrue(!x.matches(".*\\{\\{[^}]+}}.*"), list + " -> " + x);
                        }
                    }
                    if (!hadFunction) {
                        assertEquals(list, out, "no functions: the list as it was");
                    }
                } catch (ScopedTemplate.TemplateException e) {
                    assertTrue(e.getMessage().contains("not defined") || e.getMessage().contains("invalid subject")
                            || e.getMessage().contains("exceeds limit"), e.getMessage());
                }
            }
        }
    }

    /** Two accounts: the exporter (account) with a token_req stream export, an importer with the given token. */
    private OperatorMode withImport(String token, long revokedAt) {
        Nkeys.KeyPair importer = Nkeys.create(Nkeys.Type.ACCOUNT, NkeysTest.seeded(21));
        ObjectNode exp = accountClaims();
        ObjectNode x = ((ObjectNode) exp.get("nats")).putArray("exports").addObject().put("subject", "priv.>")
                .put("type", "stream").put("token_req", true);
        if (revokedAt > 0) {
            x.putObject("revocations").put(importer.publicKey(), revokedAt);
        }
        ObjectNode imp = claims(operator, importer.publicKey(), "account");
        ((ObjectNode) imp.get("nats")).putObject("limits").put("subs", -1).put("payload", -1).put("conn", -1).put("leaf", -1)
                .put("imports", -1).put("exports", -1).put("wildcards", true);
        ObjectNode i = ((ObjectNode) imp.get("nats")).putArray("imports").addObject().put("subject", "priv.x")
                .put("account", account.publicKey()).put("type", "stream");
        if (token != null) {
            i.put("token", token);
        }
        String op = sign(claims(operator, operator.publicKey(), "operator"), operator);
        return OperatorMode.build(List.of(op), List.of(), Map.of(account.publicKey(), sign(exp, operator),
                importer.publicKey(), sign(imp, operator)), NOW);
    }

    private String activation(Nkeys.KeyPair signer, String subject, long exp) {
        Nkeys.KeyPair importer = Nkeys.create(Nkeys.Type.ACCOUNT, NkeysTest.seeded(21));
        ObjectNode c = claims(signer, importer.publicKey(), "activation");
        ((ObjectNode) c.get("nats")).put("subject", subject).put("kind", "stream");
        if (exp > 0) {
            c.put("exp", exp);
        }
        return sign(c, signer);
    }

    @Test
    void activationTokensDecideWhetherAnImportIsKept() {
        Nkeys.KeyPair importer = Nkeys.create(Nkeys.Type.ACCOUNT, NkeysTest.seeded(21));
        java.util.function.Function<OperatorMode, Integer> imports = m -> m.accounts().get(importer.publicKey()).imports().size();
        OperatorMode good = withImport(activation(account, "priv.>", 0), 0);
        assertEquals(1, imports.apply(good));
        assertEquals(0, good.activationExpiry());
        OperatorMode expiring = withImport(activation(account, "priv.>", NOW + 60), 0);
        assertEquals(1, imports.apply(expiring));
        assertEquals(NOW + 60, expiring.activationExpiry());
        assertEquals(0, imports.apply(withImport(null, 0)), "no token: left out");
        assertEquals(0, imports.apply(withImport(activation(account, "priv.>", NOW - 1), 0)), "expired");
        assertEquals(0, imports.apply(withImport(activation(account, "priv.>", 0), NOW)), "revoked by the export");
        assertEquals(1, imports.apply(withImport(activation(account, "priv.>", 0), NOW - 200)), "issued after the revocation");
        assertTrue(withImport(null, 0).warnings().get(0).contains("stream import not authorized"));
        // an unknown signer naming the exporter as issuer_account is not one of its signing keys
        Nkeys.KeyPair stranger = Nkeys.create(Nkeys.Type.ACCOUNT, NkeysTest.seeded(22));
        ObjectNode c = claims(stranger, importer.publicKey(), "activation");
        ((ObjectNode) c.get("nats")).put("subject", "priv.>").put("kind", "stream").put("issuer_account", account.publicKey());
        assertEquals(0, imports.apply(withImport(sign(c, stranger), 0)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> withImport(activation(account, "other.>", 0), 0));
        assertTrue(e.getMessage().contains("doesn't match import"), e.getMessage());
    }

    @Test
    void malformedTokensAreRefusedWithoutThrowing() {
        OperatorMode m = mode(accountClaims());
        String u = userClaims().toString();
        List<String> bad = List.of("", "abc", "a.b", "a.b.c.d", "!!!.@@@.###",
                sign("{\"typ\":\"JWT\",\"alg\":\"ed25519\"}", u, account),
                sign("{\"typ\":\"JWS\",\"alg\":\"ed25519-nkey\"}", u, account),
                sign("not json", u, account),
                sign(HEADER, "{\"iss\":", account),
                sign(HEADER, "[1,2]", account),
                sign(HEADER, "{\"iss\":5}", account),
                sign(HEADER, u.replace("\"iat\":" + (NOW - 100), "\"iat\":\"soon\""), account),
                sign(userClaims(), user), // signed by the user itself, not the account
                sign(claims(account, account.publicKey(), "account"), account));
        for (String jwt : bad) {
            assertInstanceOf(AuthResult.Denied.class, m.authenticate(creds(jwt, user), NONCE, NOW), jwt);
        }
    }

    @Test
    void fuzzedTokensNeverThrowAndNeverAuthenticate() {
        OperatorMode m = mode(accountClaims());
        String good = sign(userClaims(), account);
        int signedEnd = good.lastIndexOf('.');
        Random random = new Random(42);
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ {}\"";
        for (int i = 0; i < 3000; i++) {
            StringBuilder sb = new StringBuilder(good);
            int kind = random.nextInt(3);
            if (kind == 0) { // change the signed part: header or payload text
                int at = random.nextInt(signedEnd);
                char c = alphabet.charAt(random.nextInt(alphabet.length()));
                if (c == sb.charAt(at)) {
                    continue;
                }
                sb.setCharAt(at, c);
            } else if (kind == 1) { // truncate
                sb.setLength(random.nextInt(good.length()));
            } else { // insert garbage
                sb.insert(random.nextInt(good.length()), alphabet.charAt(random.nextInt(alphabet.length())));
            }
            String jwt = sb.toString();
            AuthResult r = m.authenticate(creds(jwt, user), NONCE, NOW);
            assertInstanceOf(AuthResult.Denied.class, r, jwt);
        }
        // a good token with a signature flipped, or the nonce signed by another key
        byte[] sig = Base64.getUrlDecoder().decode(good.substring(signedEnd + 1));
        sig[random.nextInt(sig.length)] ^= 1;
        String flipped = good.substring(0, signedEnd + 1) + B64.encodeToString(sig);
        assertInstanceOf(AuthResult.Denied.class, m.authenticate(creds(flipped, user), NONCE, NOW));
        Nkeys.KeyPair other = Nkeys.create(Nkeys.Type.USER, NkeysTest.seeded(7));
        assertEquals("Signature not verified", detail(m.authenticate(creds(good, other), NONCE, NOW)));
    }
}
