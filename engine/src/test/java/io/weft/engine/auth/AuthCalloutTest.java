package io.weft.engine.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.weft.net.Entropy;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** The request claims weft sends and every way a response can be refused, without a server. */
class AuthCalloutTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final long NOW = 1_800_000_000L;
    final Entropy entropy = NaclBoxTest.entropy(42);
    final Nkeys.KeyPair server = Nkeys.create(Nkeys.Type.SERVER, entropy);
    final Nkeys.KeyPair issuer = Nkeys.create(Nkeys.Type.ACCOUNT, entropy);
    final Nkeys.KeyPair other = Nkeys.create(Nkeys.Type.ACCOUNT, entropy);
    final Nkeys.KeyPair user = Nkeys.createUser(entropy);
    final AuthCallout.Config config = new AuthCallout.Config(issuer.publicKey(), "AUTH", List.of("auth"), null, List.of());
    final Set<String> accounts = Set.of("$G", "AUTH", "A");

    AuthCallout.Expectation expect(AuthCallout.Config c, String xkeySeed) {
        return new AuthCallout.Expectation(c, server.publicKey(), user.publicKey(), xkeySeed, accounts, NOW);
    }

    @Test
    void theRequestIsASignedAuthorizationRequest() {
        String token = AuthCallout.request(config, server.seed(),
                new AuthCallout.ServerIdentity("s1", "0.0.0.0", server.publicKey(), "2.10.0", null, null),
                user.publicKey(), new AuthCallout.ClientInfo("127.0.0.1", 7, "alice", null, null),
                Credentials.userPass("alice", "pw"), null, "java", "2.26.2", 1, null, NOW, NOW + 2);
        Jwt jwt = Jwt.decode(token); // verifies the server's signature
        assertEquals(server.publicKey(), jwt.issuer());
        assertEquals(issuer.publicKey(), jwt.subject());
        assertEquals("authorization_request", jwt.type());
        assertEquals(NOW + 2, jwt.expires());
        JsonNode c = jwt.claims();
        assertEquals("nats-authorization-request", c.path("aud").asText());
        assertEquals(52, c.path("jti").asText().length()); // base32 of 32 bytes, no padding
        JsonNode n = jwt.nats();
        assertEquals(user.publicKey(), n.path("user_nkey").asText());
        assertEquals(server.publicKey(), n.path("server_id").path("id").asText());
        assertTrue(n.path("server_id").path("xkey").isMissingNode());
        assertEquals("alice", n.path("client_info").path("user").asText());
        assertEquals(7, n.path("client_info").path("id").asLong());
        assertEquals("Client", n.path("client_info").path("kind").asText());
        assertEquals("pw", n.path("connect_opts").path("pass").asText());
        assertEquals(1, n.path("connect_opts").path("protocol").asInt());
        assertTrue(n.path("connect_opts").path("auth_token").isMissingNode(), "empty fields are left out");
        assertTrue(n.path("client_tls").isMissingNode());
        assertEquals(2, n.path("version").asInt());
    }

    @Test
    void tlsAndXkeyAppearWhenPresent() {
        String token = AuthCallout.request(config, server.seed(),
                new AuthCallout.ServerIdentity("s1", "h", server.publicKey(), "2.10.0", null, "XKEY"),
                user.publicKey(), new AuthCallout.ClientInfo("h", 1, "alice", "app", "nonce1"),
                new Credentials(null, null, null, "UKEY", "SIG", null), "app", "java", "1", 1,
                new AuthCallout.ClientTls("1.3", "TLS_AES_128_GCM_SHA256", List.of("PEM"), true), NOW, NOW + 2);
        JsonNode n = Jwt.decode(token).nats();
        assertEquals("XKEY", n.path("server_id").path("xkey").asText());
        assertEquals("nonce1", n.path("client_info").path("nonce").asText());
        assertEquals("SIG", n.path("connect_opts").path("sig").asText());
        assertEquals("1.3", n.path("client_tls").path("version").asText());
        assertEquals("PEM", n.path("client_tls").path("verified_chains").path(0).path(0).asText());
    }

    ObjectNode userClaims(String subject, String account) {
        ObjectNode u = JSON.createObjectNode();
        u.put("sub", subject);
        u.put("aud", account);
        u.put("iat", NOW);
        u.put("name", "alice");
        ObjectNode n = u.putObject("nats");
        n.put("type", "user");
        n.put("version", 2);
        n.put("subs", -1).put("data", -1).put("payload", -1);
        n.putObject("pub").putArray("allow").add("a.>");
        return u;
    }

    byte[] response(Consumer<ObjectNode> edit, String userJwt, String error, String signerSeed) {
        ObjectNode r = JSON.createObjectNode();
        r.put("sub", user.publicKey());
        r.put("aud", server.publicKey());
        r.put("iat", NOW);
        ObjectNode n = r.putObject("nats");
        n.put("type", "authorization_response");
        n.put("version", 2);
        if (userJwt != null) {
            n.put("jwt", userJwt);
        }
        if (error != null) {
            n.put("error", error);
        }
        edit.accept(r);
        return Jwt.encode(r, signerSeed).getBytes(StandardCharsets.US_ASCII);
    }

    byte[] ok(Consumer<ObjectNode> editUser) {
        ObjectNode u = userClaims(user.publicKey(), "A");
        editUser.accept(u);
        return response(r -> { }, Jwt.encode(u, issuer.seed()), null, issuer.seed());
    }

    String denied(byte[] payload) {
        return assertInstanceOf(AuthResult.Denied.class, AuthCallout.response(payload, expect(config, null))).reason();
    }

    @Test
    void aGoodResponseAdmitsIntoTheUserJwtsAudienceWithItsPermissions() {
        AuthResult.Allowed a = assertInstanceOf(AuthResult.Allowed.class, AuthCallout.response(ok(u -> { }), expect(config, null)));
        assertEquals("A", a.account());
        assertEquals("alice", a.user());
        assertEquals(List.of("a.>"), a.permissions().publish().allow());
        assertNull(a.permissions().subscribe());
    }

    @Test
    void placedInTheCalloutAccountItMayNotPublishAuthRequests() {
        AuthResult.Allowed a = assertInstanceOf(AuthResult.Allowed.class,
                AuthCallout.response(ok(u -> u.put("aud", "AUTH")), expect(config, null)));
        assertEquals(List.of(AuthCallout.SUBJECT), a.permissions().publish().deny());
        assertEquals(List.of("a.>"), a.permissions().publish().allow());
        Permissions none = AuthCallout.denyPublish(null, AuthCallout.SUBJECT);
        assertEquals(List.of(), none.publish().allow());
        assertNull(none.subscribe());
    }

    @Test
    void everyBrokenResponseIsRefusedWithNatsServersWords() {
        assertEquals("Auth callout violation: \"no reason supplied\" on account \"AUTH\"", denied(new byte[0]));
        assertEquals("Expected 3 chunks", denied("garbage".getBytes(StandardCharsets.US_ASCII)));
        assertEquals("Auth callout service returned an error: nope", denied(response(r -> { }, null, "nope", issuer.seed())));
        assertEquals("Authorization response had validation errors: Error or Jwt is required",
                denied(response(r -> { }, null, null, issuer.seed())));
        assertEquals("Auth callout violation: auth callout response is not for expected user",
                denied(response(r -> r.put("sub", Nkeys.createUser(entropy).publicKey()), "x", null, issuer.seed())));
        assertEquals("Auth callout violation: auth callout response is not for server",
                denied(response(r -> r.put("aud", Nkeys.create(Nkeys.Type.SERVER, entropy).publicKey()), "x", null, issuer.seed())));
        assertEquals("Authorization response had validation errors: Audience must be a server public key",
                denied(response(r -> r.put("aud", "x"), "x", null, issuer.seed())));
        assertEquals("Authorization response had validation errors: claim is expired",
                denied(response(r -> r.put("exp", NOW - 1), "x", null, issuer.seed())));
        assertEquals("Not an authorization request claim",
                denied(response(r -> ((ObjectNode) r.get("nats")).put("type", "user"), "x", null, issuer.seed())));
        assertEquals("Unable to validate expected prefixes - [A]",
                denied(response(r -> { }, "x", null, Nkeys.create(Nkeys.Type.OPERATOR, entropy).seed())));
        assertEquals("Wrong issuer for auth callout response on account \"AUTH\", expected \"" + issuer.publicKey()
                        + "\" got \"" + other.publicKey() + "\"",
                denied(response(r -> { }, Jwt.encode(userClaims(user.publicKey(), "A"), other.seed()), null, issuer.seed())));
        assertEquals("Error validating user JWT: subject is not a user public key", denied(ok(u -> u.put("sub", "UX"))));
        String otherUser = Nkeys.createUser(entropy).publicKey();
        assertEquals("Expected authorized user of \"" + user.publicKey() + "\" but got \"" + otherUser + "\" on account \"AUTH\"",
                denied(ok(u -> u.put("sub", otherUser))));
        assertEquals("Error validating user JWT: claim is expired", denied(ok(u -> u.put("exp", NOW - 5))));
        assertEquals("No valid account \"NOPE\" for auth callout response on account \"AUTH\": account missing",
                denied(ok(u -> u.put("aud", "NOPE"))));
        assertEquals("Error non operator mode account \"AUTH\": attempted to use issuer_account",
                denied(ok(u -> ((ObjectNode) u.get("nats")).put("issuer_account", other.publicKey()))));
        assertTrue(denied(ok(u -> ((ObjectNode) u.get("nats")).put("subs", 10))).contains("not supported by weft"));
        // a user JWT whose signature does not verify
        String good = Jwt.encode(userClaims(user.publicKey(), "A"), issuer.seed());
        String forged = good.substring(0, good.lastIndexOf('.') + 1) + "A" + good.substring(good.lastIndexOf('.') + 2);
        assertFalse(AuthCallout.response(response(r -> { }, forged, null, issuer.seed()), expect(config, null))
                instanceof AuthResult.Allowed);
    }

    @Test
    void sealedResponsesAreOpenedWithTheServersXkey() {
        Nkeys.KeyPair serverX = XKeys.create(entropy);
        Nkeys.KeyPair serviceX = XKeys.create(entropy);
        AuthCallout.Config sealed = new AuthCallout.Config(issuer.publicKey(), "AUTH", List.of("auth"),
                serviceX.publicKey(), List.of());
        byte[] plain = ok(u -> { });
        byte[] box = XKeys.seal(plain, serverX.publicKey(), serviceX.seed(), entropy);
        assertInstanceOf(AuthResult.Allowed.class, AuthCallout.response(box, expect(sealed, serverX.seed())));
        // plain JWTs are still read, as nats-server reads them
        assertInstanceOf(AuthResult.Allowed.class, AuthCallout.response(plain, expect(sealed, serverX.seed())));
        byte[] wrongSender = XKeys.seal(plain, serverX.publicKey(), XKeys.create(entropy).seed(), entropy);
        assertEquals("Error decrypting auth callout response on account \"AUTH\": nkeys: could not decrypt input",
                assertInstanceOf(AuthResult.Denied.class, AuthCallout.response(wrongSender, expect(sealed, serverX.seed()))).reason());
    }

    @Test
    void authUsersAreKnownByNkeyThenUserName() {
        AuthCallout.Config c = new AuthCallout.Config(issuer.publicKey(), "$G", List.of("auth", "UAUTH"), null, List.of());
        assertTrue(AuthCallout.isAuthUser(c, Credentials.userPass("auth", "wrong")));
        assertTrue(AuthCallout.isAuthUser(c, Credentials.nkey("UAUTH", "sig")));
        assertFalse(AuthCallout.isAuthUser(c, Credentials.userPass("alice", "x")));
        assertFalse(AuthCallout.isAuthUser(c, Credentials.NONE));
        assertEquals("[REDACTED]", AuthCallout.rawUser(Credentials.token("t")));
    }

    /**
     * Damaged responses never admit and never throw: every truncation, and random changes of one
     * character anywhere but the very last (whose low bits base64 may ignore), of a good plain
     * response and of its sealed form.
     */
    @Test
    void damagedResponsesNeverAdmit() {
        byte[] good = ok(u -> { });
        assertInstanceOf(AuthResult.Allowed.class, AuthCallout.response(good, expect(config, null)));
        for (int n = 0; n < good.length; n += 3) {
            assertInstanceOf(AuthResult.Denied.class,
                    AuthCallout.response(java.util.Arrays.copyOf(good, n), expect(config, null)), "truncated to " + n);
        }
        java.util.Random r = new java.util.Random(5);
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.{}\"";
        for (int i = 0; i < 2000; i++) {
            byte[] bad = good.clone();
            int at = r.nextInt(bad.length - 1);
            byte c = (byte) alphabet.charAt(r.nextInt(alphabet.length()));
            if (bad[at] == c) {
                continue;
            }
            bad[at] = c;
            assertInstanceOf(AuthResult.Denied.class, AuthCallout.response(bad, expect(config, null)), "changed at " + at);
        }
        Nkeys.KeyPair serverX = XKeys.create(entropy);
        Nkeys.KeyPair serviceX = XKeys.create(entropy);
        AuthCallout.Config sealed = new AuthCallout.Config(issuer.publicKey(), "AUTH", List.of("auth"), serviceX.publicKey(), List.of());
        byte[] box = XKeys.seal(good, serverX.publicKey(), serviceX.seed(), entropy);
        for (int i = 0; i < 500; i++) {
            byte[] bad = box.clone();
            int at = 4 + r.nextInt(bad.length - 4);
            bad[at] ^= (byte) (1 + r.nextInt(255));
            assertInstanceOf(AuthResult.Denied.class, AuthCallout.response(bad, expect(sealed, serverX.seed())), "box changed at " + at);
        }
    }

    // ---------------------------------------------------------------- operator mode

    final Nkeys.KeyPair operator = Nkeys.create(Nkeys.Type.OPERATOR, entropy);
    final Nkeys.KeyPair authAccount = Nkeys.create(Nkeys.Type.ACCOUNT, entropy);
    final Nkeys.KeyPair accountA = Nkeys.create(Nkeys.Type.ACCOUNT, entropy);
    final Nkeys.KeyPair signingA = Nkeys.create(Nkeys.Type.ACCOUNT, entropy);
    final Nkeys.KeyPair accountB = Nkeys.create(Nkeys.Type.ACCOUNT, entropy);
    final Nkeys.KeyPair service = Nkeys.createUser(entropy);

    ObjectNode accountJwtClaims(Nkeys.KeyPair key) {
        ObjectNode a = JSON.createObjectNode();
        a.put("sub", key.publicKey()).put("iat", NOW - 10);
        ObjectNode n = a.putObject("nats");
        n.put("type", "account").put("version", 2);
        n.putObject("limits").put("subs", -1).put("data", -1).put("payload", -1).put("imports", -1)
                .put("exports", -1).put("wildcards", true).put("conn", -1).put("leaf", -1);
        return a;
    }

    OperatorMode operatorMode(Consumer<ObjectNode> editAuthorization) {
        ObjectNode op = JSON.createObjectNode();
        op.put("sub", operator.publicKey()).put("iat", NOW - 10);
        op.putObject("nats").put("type", "operator").put("version", 2);
        ObjectNode auth = accountJwtClaims(authAccount);
        ObjectNode authz = ((ObjectNode) auth.get("nats")).putObject("authorization");
        authz.putArray("auth_users").add(service.publicKey());
        authz.putArray("allowed_accounts").add(accountA.publicKey());
        editAuthorization.accept(authz);
        ObjectNode a = accountJwtClaims(accountA);
        ((ObjectNode) a.get("nats")).putArray("signing_keys").add(signingA.publicKey());
        ((ObjectNode) a.get("nats")).putObject("default_permissions").putObject("sub").putArray("allow").add("d.>");
        return OperatorMode.build(List.of(Jwt.encode(op, operator.seed())), List.of(), java.util.Map.of(
                authAccount.publicKey(), Jwt.encode(auth, operator.seed()),
                accountA.publicKey(), Jwt.encode(a, operator.seed()),
                accountB.publicKey(), Jwt.encode(accountJwtClaims(accountB), operator.seed())), NOW);
    }

    AuthResult operatorResponse(OperatorMode mode, Nkeys.KeyPair userSigner, String issuerAccount, Nkeys.KeyPair responseSigner) {
        ObjectNode u = userClaims(user.publicKey(), "");
        u.remove("aud");
        ((ObjectNode) u.get("nats")).remove("pub");
        if (issuerAccount != null) {
            ((ObjectNode) u.get("nats")).put("issuer_account", issuerAccount);
        }
        byte[] payload = response(r -> { }, Jwt.encode(u, userSigner.seed()), null, responseSigner.seed());
        AuthCallout.Config cfg = AuthCallout.forAccount(mode, authAccount.publicKey());
        return AuthCallout.response(payload, new AuthCallout.Expectation(cfg, server.publicKey(), user.publicKey(), null,
                mode.accounts().keySet(), NOW, mode));
    }

    @Test
    void operatorModeTakesTheCalloutFromTheAccountJwt() {
        OperatorMode mode = operatorMode(a -> { });
        AuthCallout.Config cfg = AuthCallout.forAccount(mode, authAccount.publicKey());
        assertEquals(authAccount.publicKey(), cfg.issuer());
        assertEquals(authAccount.publicKey(), cfg.account());
        assertEquals(List.of(service.publicKey()), cfg.authUsers());
        assertNull(AuthCallout.forAccount(mode, accountA.publicKey()), "no authorization claim, no callout");

        AuthResult.Allowed a = assertInstanceOf(AuthResult.Allowed.class, operatorResponse(mode, accountA, null, authAccount));
        assertEquals(accountA.publicKey(), a.account());
        assertEquals(List.of("d.>"), a.permissions().subscribe().allow(), "the account's default permissions");
        AuthResult.Allowed bySigningKey = assertInstanceOf(AuthResult.Allowed.class,
                operatorResponse(mode, signingA, accountA.publicKey(), authAccount));
        assertEquals(accountA.publicKey(), bySigningKey.account());
        AuthResult.Allowed home = assertInstanceOf(AuthResult.Allowed.class, operatorResponse(mode, authAccount, null, authAccount));
        assertEquals(List.of(AuthCallout.SUBJECT), home.permissions().publish().deny());

        assertEquals("Account \"" + accountB.publicKey() + "\" not permitted as valid account option for auth callout for account \""
                + authAccount.publicKey() + "\"", ((AuthResult.Denied) operatorResponse(mode, accountB, null, authAccount)).reason());
        assertEquals("Auth callout signing key is unknown",
                ((AuthResult.Denied) operatorResponse(mode, accountA, null, accountA)).reason());
        OperatorMode any = operatorMode(x -> x.putArray("allowed_accounts").add("*"));
        assertEquals(accountB.publicKey(), ((AuthResult.Allowed) operatorResponse(any, accountB, null, authAccount)).account());
        // A's signing key claiming to issue for B, which B's JWT does not list
        assertEquals("User JWT issuer \"" + signingA.publicKey() + "\" is not known",
                ((AuthResult.Denied) operatorResponse(any, signingA, accountB.publicKey(), authAccount)).reason());
    }

    @Test
    void badAuthorizationClaimsStopTheAccount() {
        assertTrue(assertThrowsIae(() -> operatorMode(x -> x.putArray("auth_users").add("nope")))
                .contains("AuthUser \"nope\" is not a valid user public key"));
        assertTrue(assertThrowsIae(() -> operatorMode(x -> x.putArray("auth_users")))
                .contains("External authorization cannot have accounts without users specified"));
        assertTrue(assertThrowsIae(() -> operatorMode(x -> x.putArray("allowed_accounts").add("*").add(accountA.publicKey())))
                .contains("is not a valid account public key"));
        assertTrue(assertThrowsIae(() -> operatorMode(x -> x.put("xkey", "XNOPE"))).contains("XKey \"XNOPE\" is not a valid public xkey"));
        assertTrue(assertThrowsIae(() -> operatorMode(x -> x.put("other", 1))).contains("claim \"other\" is not supported"));
    }

    private static String assertThrowsIae(org.junit.jupiter.api.function.Executable e) {
        return org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, e).getMessage();
    }
}
