package io.weft.server.it;

import static io.weft.server.it.TestJwts.claims;
import static io.weft.server.it.TestJwts.defaultUserLimits;
import static io.weft.server.it.TestJwts.encode;
import static io.weft.server.it.TestJwts.pub;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Message;
import io.nats.client.NKey;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.Subscription;
import io.weft.engine.auth.Jwt;
import io.weft.engine.auth.Nkeys;
import io.weft.engine.auth.XKeys;
import io.weft.net.Entropy;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Auth callout in config mode (ADR-26), differential: the same configuration, once plain and once
 * with {@code xkey}, against weft and nats-server 2.15.1, each with a callout service written here
 * (jnats, responses signed with jnats' {@link NKey}, sealed with weft's xkeys when encrypting).
 * The service admits alice into account A with permissions, sends an error for bob, and answers
 * the other users with responses each wrong in one way; every client must see the same outcome
 * on both servers, and the requests must carry the same claims.
 */
class AuthCalloutTest {
    private static final Duration WAIT = Duration.ofSeconds(3);
    static final SecureRandom RANDOM = new SecureRandom();
    static final Entropy ENTROPY = new Entropy() {
        public long nextLong() {
            return RANDOM.nextLong();
        }

        public int nextInt(int bound) {
            return RANDOM.nextInt(bound);
        }

        public void nextBytes(byte[] bytes) {
            RANDOM.nextBytes(bytes);
        }
    };

    static NKey issuer;
    static NKey stranger;
    static Nkeys.KeyPair serviceXkey;
    static final List<Service> SERVICES = new ArrayList<>();
    static final List<TestServer> SERVERS = new ArrayList<>();
    static Service weftPlain;
    static Service natsPlain;
    static Service weftSealed;
    static Service natsSealed;

    @BeforeAll
    static void setUp() throws Exception {
        issuer = NKey.createAccount(RANDOM);
        stranger = NKey.createAccount(RANDOM);
        serviceXkey = XKeys.create(ENTROPY);
        weftPlain = start(TestServers.Target.WEFT, null);
        natsPlain = start(TestServers.Target.NATS_NEWEST, null);
        weftSealed = start(TestServers.Target.WEFT, serviceXkey.publicKey());
        natsSealed = start(TestServers.Target.NATS_NEWEST, serviceXkey.publicKey());
    }

    static String config(String xkey) {
        return """
                accounts {
                  AUTH: { users: [ { user: auth, password: pwd } ] }
                  A: {}
                  B: { users: [ { user: local, password: localpw } ] }
                }
                authorization {
                  timeout: 2
                  auth_callout {
                    issuer: %s
                    account: AUTH
                    auth_users: [ auth ]
                    %s
                  }
                }
                """.formatted(pub(issuer), xkey == null ? "" : "xkey: " + xkey);
    }

    static Service start(TestServers.Target target, String xkey) throws Exception {
        TestServer server = TestServers.start(target, config(xkey));
        SERVERS.add(server);
        Service s = new Service(server, xkey != null);
        s.config = config(xkey);
        SERVICES.add(s);
        return s;
    }

    @AfterAll
    static void tearDown() {
        for (Service s : SERVICES) {
            s.close();
        }
        for (TestServer s : SERVERS) {
            s.close();
        }
        POOL.shutdownNow();
    }

    /** The callout service: answers each request by the CONNECT's user name. */
    static final class Service implements AutoCloseable {
        final TestServer server;
        final boolean sealed;
        String config;
        final Connection nc;
        final String serverId;
        final Map<String, JsonNode> requests = new ConcurrentHashMap<>();
        final Map<String, String> xkeyHeaders = new ConcurrentHashMap<>();
        final List<String> problems = new java.util.concurrent.CopyOnWriteArrayList<>();

        Service(TestServer server, boolean sealed) throws Exception {
            this(server, sealed, Clients.options(server));
        }

        Service(TestServer server, boolean sealed, Options.Builder base) throws Exception {
            this.server = server;
            this.sealed = sealed;
            this.nc = Nats.connect(base.userInfo("auth", "pwd").build());
            this.serverId = nc.getServerInfo().getServerId();
            Dispatcher d = nc.createDispatcher(this::onRequest);
            d.subscribe("$SYS.REQ.USER.AUTH");
            nc.flush(WAIT);
        }

        private void onRequest(Message m) {
            try {
                byte[] data = m.getData();
                String serverXkey = m.getHeaders() == null ? null : m.getHeaders().getFirst("Nats-Server-Xkey");
                if (sealed) {
                    data = XKeys.open(data, serverXkey, serviceXkey.seed());
                }
                Jwt req = Jwt.decode(new String(data, StandardCharsets.US_ASCII)); // checks the server's signature
                JsonNode n = req.nats();
                String user = n.path("connect_opts").path("user").asText("");
                requests.put(user, req.claims());
                if (serverXkey != null) {
                    xkeyHeaders.put(user, serverXkey);
                }
                String userNkey = n.path("user_nkey").asText();
                String pass = n.path("connect_opts").path("pass").asText("");
                byte[] answer = switch (user) {
                    case "alice" -> "alicepw".equals(pass)
                            ? response(userNkey, serverId, userJwt(issuer, userNkey, "A", true, "alice"), null, issuer)
                            : response(userNkey, serverId, null, "bad password", issuer);
                    case "bob" -> response(userNkey, serverId, null, "bob is not welcome", issuer);
                    case "carol" -> response(userNkey, serverId, userJwt(stranger, userNkey, "A", false), null, issuer);
                    case "dave" -> response(userNkey, serverId, userJwt(issuer, userNkey, "NOPE", false), null, issuer);
                    case "erin" -> {
                        String other = pub(NKey.createUser(RANDOM));
                        yield response(other, serverId, userJwt(issuer, other, "A", false), null, issuer);
                    }
                    case "frank" -> new byte[0];
                    case "gina" -> response(userNkey, serverId, userJwt(issuer, userNkey, "AUTH", false), null, issuer);
                    case "hank" -> response(userNkey, pub(NKey.createServer(RANDOM)),
                            userJwt(issuer, userNkey, "A", false), null, issuer);
                    case "local" -> response(userNkey, serverId, userJwt(issuer, userNkey, "B", false, "local"), null, issuer);
                    case "jack" -> {
                        ObjectNode u = claims(issuer, userNkey, "jack", "user");
                        u.put("aud", "A");
                        u.put("exp", System.currentTimeMillis() / 1000 + 2);
                        defaultUserLimits(u);
                        yield response(userNkey, serverId, encode(u, issuer), null, issuer);
                    }
                    default -> null;
                };
                if (answer == null) {
                    return; // no answer: the server's wait runs out
                }
                if (sealed && answer.length > 0 && !"plainReply".equals(n.path("client_info").path("name").asText())) {
                    answer = XKeys.seal(answer, serverXkey, serviceXkey.seed(), ENTROPY);
                }
                nc.publish(m.getReplyTo(), answer);
            } catch (Exception e) {
                problems.add(String.valueOf(e));
            }
        }

        @Override
        public void close() {
            try {
                nc.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** A user JWT for {@code userNkey} placing it in {@code account}; alice's carries permissions. */
    static String userJwt(NKey signer, String userNkey, String account, boolean permissions) {
        return userJwt(signer, userNkey, account, permissions, "callout-user");
    }

    /** As above, with the {@code name} that becomes the client's user name. */
    static String userJwt(NKey signer, String userNkey, String account, boolean permissions, String name) {
        ObjectNode u = claims(signer, userNkey, name, "user");
        u.put("aud", account);
        ObjectNode n = defaultUserLimits(u);
        if (permissions) {
            n.putObject("pub").putArray("allow").add("a.>").add("_INBOX.>");
            n.putObject("sub").putArray("allow").add("a.>").add("_INBOX.>");
        }
        return encode(u, signer);
    }

    /** An authorization_response JWT with either a user JWT or an error. */
    static byte[] response(String userNkey, String audience, String userJwt, String error, NKey signer) {
        ObjectNode r = claims(signer, userNkey, "", "authorization_response");
        r.remove("name");
        r.put("aud", audience);
        ObjectNode n = (ObjectNode) r.get("nats");
        if (userJwt != null) {
            n.put("jwt", userJwt);
        }
        if (error != null) {
            n.put("error", error);
        }
        return encode(r, signer).getBytes(StandardCharsets.US_ASCII);
    }

    static Options.Builder options(TestServer server, String user, String pass, Clients.RecordingErrors errors) {
        return Clients.options(server).userInfo(user, pass).connectionTimeout(Duration.ofSeconds(3))
                .maxReconnects(0).errorListener(errors);
    }

    /** "OK", "Authorization Violation", or the failure text when neither. */
    static String outcome(TestServer server, String user, String pass) {
        try (Connection c = Nats.connect(options(server, user, pass, new Clients.RecordingErrors()).build())) {
            c.flush(WAIT);
            return "OK";
        } catch (Exception e) {
            String msg = String.valueOf(e.getMessage());
            return msg.contains("Authorization Violation") ? "Authorization Violation" : msg;
        }
    }

    /**
     * The outcome on every server, the servers asked in parallel: jnats reports a refused CONNECT
     * only when its connection timeout ends, on weft and nats-server alike.
     */
    static void assertOutcome(String user, String pass, String expected) {
        List<java.util.concurrent.CompletableFuture<String>> got = new ArrayList<>();
        for (Service s : SERVICES) {
            got.add(java.util.concurrent.CompletableFuture.supplyAsync(() -> outcome(s.server, user, pass), POOL));
        }
        for (int i = 0; i < SERVICES.size(); i++) {
            Service s = SERVICES.get(i);
            assertEquals(expected, got.get(i).join(), s.server.target() + (s.sealed ? " with xkey" : "")
                    + ", " + user + "\n" + s.problems + "\n" + s.server.stderr());
        }
    }

    static final java.util.concurrent.ExecutorService POOL = java.util.concurrent.Executors.newCachedThreadPool();

    @Test
    void theServiceAdmitsAliceAndRefusesTheOthersAsNatsServerDoes() {
        assertOutcome("alice", "alicepw", "OK");
        assertOutcome("alice", "wrong", "Authorization Violation");
        assertOutcome("bob", "x", "Authorization Violation");
        assertOutcome("carol", "x", "Authorization Violation"); // user JWT signed by another account
        assertOutcome("dave", "x", "Authorization Violation"); // placed in an account that does not exist
        assertOutcome("erin", "x", "Authorization Violation"); // response for another user nkey
        assertOutcome("frank", "x", "Authorization Violation"); // empty reply
        assertOutcome("hank", "x", "Authorization Violation"); // response for another server
        assertOutcome("auth", "wrong", "Authorization Violation"); // an auth user with a wrong password: no callout
        assertOutcome("gina", "x", "OK");
        // a local user who is not an auth user goes through the callout too (the service places it in B)
        assertOutcome("local", "localpw", "OK");
        for (Service s : SERVICES) {
            assertTrue(s.problems.isEmpty(), s.problems.toString());
            assertFalse(s.requests.containsKey("auth"), "an auth user never triggers a callout");
        }
    }

    @Test
    void aliceGetsAccountAAndTheUserJwtsPermissions() throws Exception {
        for (Service s : SERVICES) {
            String where = s.server.target() + (s.sealed ? " with xkey" : "");
            Clients.RecordingErrors errors = new Clients.RecordingErrors();
            try (Connection alice = Nats.connect(options(s.server, "alice", "alicepw", errors).build());
                 Connection alice2 = Nats.connect(options(s.server, "alice", "alicepw", new Clients.RecordingErrors()).build());
                 Connection local = Nats.connect(options(s.server, "local", "localpw", new Clients.RecordingErrors()).build())) {
                Subscription sub = alice2.subscribe("a.>");
                Subscription other = local.subscribe("a.>");
                Subscription spy = s.nc.subscribe("a.>");
                alice2.flush(WAIT);
                local.flush(WAIT);
                s.nc.flush(WAIT);
                alice.publish("a.x", "hi".getBytes(StandardCharsets.UTF_8));
                alice.publish("b.x", "no".getBytes(StandardCharsets.UTF_8));
                alice.flush(WAIT);
                Message m = sub.nextMessage(WAIT);
                assertNotNull(m, where + ": alice reaches alice in A");
                assertEquals("a.x", m.getSubject());
                assertNull(other.nextMessage(Duration.ofMillis(200)), where + ": account B does not see A");
                assertNull(spy.nextMessage(Duration.ofMillis(200)), where + ": account AUTH does not see A");
                assertTrue(Clients.await(() -> errors.sawError("Permissions Violation for Publish to \"b.x\"")),
                        where + ": " + errors.errors);
                spy.unsubscribe();
            }
        }
    }

    @Test
    void aUserPlacedInTheCalloutAccountMayNotPublishAuthRequests() throws Exception {
        for (Service s : SERVICES) {
            Clients.RecordingErrors errors = new Clients.RecordingErrors();
            try (Connection gina = Nats.connect(options(s.server, "gina", "x", errors).build())) {
                gina.publish("$SYS.REQ.USER.AUTH", new byte[0]);
                gina.publish("other", new byte[0]);
                gina.flush(WAIT);
                assertTrue(Clients.await(() -> errors.sawError("Permissions Violation for Publish to \"$SYS.REQ.USER.AUTH\"")),
                        s.server.target() + ": " + errors.errors);
                assertFalse(errors.sawError("\"other\""), errors.errors.toString());
            }
            // nor may the auth users themselves
            Clients.RecordingErrors authErrors = new Clients.RecordingErrors();
            try (Connection auth = Nats.connect(options(s.server, "auth", "pwd", authErrors).build())) {
                auth.publish("$SYS.REQ.USER.AUTH", new byte[0]);
                auth.flush(WAIT);
                assertTrue(Clients.await(() -> authErrors.sawError("Permissions Violation for Publish to \"$SYS.REQ.USER.AUTH\"")),
                        s.server.target() + ": " + authErrors.errors);
            }
        }
    }

    @Test
    void noAnswerWithinTheAuthorizationTimeoutIsAnAuthorizationViolation() {
        assertOutcome("ivan", "x", "Authorization Violation");
    }

    @Test
    void aPlainResponseToAnEncryptedRequestIsAccepted() {
        // nats-server opens a response only when it does not start like a JWT ("eyJ")
        for (Service s : List.of(weftSealed, natsSealed)) {
            Options o = options(s.server, "alice", "alicepw", new Clients.RecordingErrors()).connectionName("plainReply").build();
            try (Connection c = Nats.connect(o)) {
                c.flush(WAIT);
            } catch (Exception e) {
                throw new AssertionError(s.server.target() + ": " + e, e);
            }
        }
    }

    @Test
    void requestsCarryTheSameClaimsOnBothServers() throws Exception {
        for (Service s : SERVICES) {
            outcome(s.server, "alice", "alicepw");
        }
        for (Service[] pair : new Service[][] {{weftPlain, natsPlain}, {weftSealed, natsSealed}}) {
            JsonNode w = pair[0].requests.get("alice");
            JsonNode n = pair[1].requests.get("alice");
            assertNotNull(w);
            assertNotNull(n);
            for (String path : List.of("", "/nats", "/nats/server_id", "/nats/client_info", "/nats/connect_opts")) {
                assertEquals(fields(n.at(path)), fields(w.at(path)), "fields of " + path + (pair[0].sealed ? " with xkey" : ""));
            }
            for (Service s : pair) {
                JsonNode r = s.requests.get("alice");
                String where = s.server.target() + (s.sealed ? " with xkey" : "");
                assertEquals(s.serverId, r.path("iss").asText(), where);
                assertEquals(pub(issuer), r.path("sub").asText(), where);
                assertEquals("nats-authorization-request", r.path("aud").asText(), where);
                JsonNode nats = r.path("nats");
                assertEquals("authorization_request", nats.path("type").asText(), where);
                assertEquals(2, nats.path("version").asInt(), where);
                assertEquals(s.serverId, nats.path("server_id").path("id").asText(), where);
                assertTrue(Nkeys.isValidPublicUserKey(nats.path("user_nkey").asText()), where);
                assertEquals("alice", nats.path("client_info").path("user").asText(), where);
                assertEquals("Client", nats.path("client_info").path("kind").asText(), where);
                assertEquals("alicepw", nats.path("connect_opts").path("pass").asText(), where);
                assertTrue(r.path("exp").asLong() > r.path("iat").asLong(), where);
                if (s.sealed) {
                    assertEquals(s.xkeyHeaders.get("alice"), nats.path("server_id").path("xkey").asText(), where);
                    assertTrue(XKeys.isValidPublicKey(s.xkeyHeaders.get("alice")), where);
                } else {
                    assertTrue(nats.path("server_id").path("xkey").isMissingNode(), where);
                    assertFalse(s.xkeyHeaders.containsKey("alice"), where);
                }
            }
        }
    }

    @Test
    void aCalloutUserIsDisconnectedWhenItsUserJwtExpires() throws Exception {
        List<Connection> conns = new ArrayList<>();
        List<Clients.RecordingErrors> errs = new ArrayList<>();
        try {
            for (Service s : SERVICES) {
                Clients.RecordingErrors e = new Clients.RecordingErrors();
                errs.add(e);
                conns.add(Nats.connect(options(s.server, "jack", "x", e).build()));
            }
            for (int i = 0; i < SERVICES.size(); i++) {
                Connection c = conns.get(i);
                Clients.RecordingErrors e = errs.get(i);
                String where = SERVICES.get(i).server.target() + (SERVICES.get(i).sealed ? " with xkey" : "");
                assertTrue(Clients.await(() -> e.sawError("User Authentication Expired"), Duration.ofSeconds(8)), where + ": " + e.errors);
                assertTrue(Clients.await(() -> c.getStatus() != Connection.Status.CONNECTED), where);
            }
        } finally {
            for (Connection c : conns) {
                c.close();
            }
        }
    }

    /**
     * On a reload nats-server closes, without an error, every client whose user name (after the
     * callout: the user JWT's {@code name}) is not a local user of its account, so that it
     * reconnects and is asked about again: alice (no local user "alice") is closed. The local
     * user "local" that the service placed in its own account B is put through authentication
     * again, callout included, and stays. Weft does the same.
     */
    @Test
    void aReloadClosesMovedCalloutUsersAndAsksAboutTheOthersAgain() throws Exception {
        for (Service s : List.of(weftPlain, natsPlain)) {
            try (Connection alice = Nats.connect(options(s.server, "alice", "alicepw", new Clients.RecordingErrors()).build());
                 Connection local = Nats.connect(options(s.server, "local", "localpw", new Clients.RecordingErrors()).build())) {
                alice.flush(WAIT);
                local.flush(WAIT);
                s.requests.remove("local");
                s.server.rewriteConfig(s.config);
                s.server.signal("HUP");
                assertTrue(s.server.awaitOutput("Reloaded", Duration.ofSeconds(8)), s.server.stderr());
                String where = s.server.target().toString();
                assertTrue(Clients.await(() -> alice.getStatus() != Connection.Status.CONNECTED), where + ": alice closed");
                assertTrue(Clients.await(() -> s.requests.containsKey("local")), where + ": the service was asked about local again");
                Thread.sleep(200);
                assertEquals(Connection.Status.CONNECTED, local.getStatus(), where);
                Subscription sub = local.subscribe("x.reload");
                local.publish("x.reload", new byte[0]);
                assertNotNull(sub.nextMessage(WAIT), where + ": local still works");
            }
        }
    }

    /**
     * A TLS client with a verified certificate: the request's {@code client_tls} has the same
     * fields, version and the same leaf certificate (PEM) on both servers.
     */
    @Test
    void tlsClientsAreDescribedInTheRequest() throws Exception {
        TestCerts certs = TestCerts.get();
        String conf = config(null) + TlsTest.tlsBlock(certs.server, certs.server.keyPem(),
                "ca_file: \"" + certs.ca.caPem() + "\", verify: true");
        javax.net.ssl.SSLContext ctx = TestCerts.clientContext(certs.ca, certs.client);
        List<JsonNode> got = new ArrayList<>();
        for (TestServers.Target t : List.of(TestServers.Target.WEFT, TestServers.Target.NATS_NEWEST)) {
            try (TestServer server = TestServers.start(t, conf)) {
                Service s = new Service(server, false, TlsTest.tlsOptions(server, ctx));
                try (Connection alice = Nats.connect(TlsTest.tlsOptions(server, ctx).userInfo("alice", "alicepw").build())) {
                    alice.flush(WAIT);
                } finally {
                    s.close();
                }
                JsonNode tls = s.requests.get("alice").path("nats").path("client_tls");
                assertFalse(tls.isMissingNode(), t + ": " + s.requests.get("alice"));
                got.add(tls);
            }
        }
        JsonNode w = got.get(0);
        JsonNode n = got.get(1);
        assertEquals(fields(n), fields(w));
        assertEquals(n.path("version").asText(), w.path("version").asText());
        // each server picks its own TLS 1.3 suite (Go prefers AES-128, the JDK AES-256); the names are Go's
        assertTrue(w.path("cipher").asText().matches("TLS_(AES_(128|256)_GCM_SHA(256|384)|CHACHA20_POLY1305_SHA256)"),
                w.path("cipher").asText());
        assertEquals(n.path("verified_chains").path(0).path(0).asText(), w.path("verified_chains").path(0).path(0).asText());
        assertTrue(w.path("verified_chains").path(0).path(0).asText().startsWith("-----BEGIN CERTIFICATE-----\n"));
    }

    private static TreeSet<String> fields(JsonNode n) {
        TreeSet<String> out = new TreeSet<>();
        n.fieldNames().forEachRemaining(out::add);
        return out;
    }
}
