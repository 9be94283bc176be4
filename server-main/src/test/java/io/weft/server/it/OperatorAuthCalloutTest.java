package io.weft.server.it;

import static io.weft.server.it.TestJwts.claims;
import static io.weft.server.it.TestJwts.creds;
import static io.weft.server.it.TestJwts.defaultAccountLimits;
import static io.weft.server.it.TestJwts.defaultUserLimits;
import static io.weft.server.it.TestJwts.encode;
import static io.weft.server.it.TestJwts.pub;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
import io.weft.engine.auth.XKeys;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Auth callout in JWT operator mode, differential against nats-server 2.15.1: the callout
 * account's JWT has an {@code authorization} claim (the service's user as auth user, account A as
 * the one it may place users in); clients connect with a bearer "sentinel" user JWT of the
 * callout account plus a user name and password, and the service (jnats, its own user JWT)
 * answers with user JWTs signed by account A. Once plain, once with an {@code xkey} in the claim
 * (request and responses sealed).
 */
class OperatorAuthCalloutTest {
    private static final Duration WAIT = Duration.ofSeconds(3);
    static final SecureRandom RANDOM = new SecureRandom();
    static NKey calloutAccount;
    static NKey accountA;
    static NKey accountB;
    static Path sentinel;
    static Path serviceCreds;
    static final io.weft.engine.auth.Nkeys.KeyPair serviceXkey = XKeys.create(AuthCalloutTest.ENTROPY);
    static final List<TestServer> SERVERS = new ArrayList<>();
    static final List<Service> SERVICES = new ArrayList<>();
    static final ExecutorService POOL = Executors.newCachedThreadPool();

    @BeforeAll
    static void setUp() throws Exception {
        Path dir = Files.createTempDirectory("weft-callout-op-");
        NKey operator = NKey.createOperator(RANDOM);
        NKey sys = NKey.createAccount(RANDOM);
        calloutAccount = NKey.createAccount(RANDOM);
        accountA = NKey.createAccount(RANDOM);
        accountB = NKey.createAccount(RANDOM);
        NKey serviceUser = NKey.createUser(RANDOM);

        ObjectNode op = claims(operator, pub(operator), "OP", "operator");
        ((ObjectNode) op.get("nats")).put("system_account", pub(sys));
        Files.writeString(dir.resolve("op.jwt"), encode(op, operator));

        ObjectNode sysClaims = claims(operator, pub(sys), "SYS", "account");
        defaultAccountLimits(sysClaims);
        ObjectNode auth = claims(operator, pub(calloutAccount), "AUTH", "account");
        defaultAccountLimits(auth);
        ObjectNode authz = ((ObjectNode) auth.get("nats")).putObject("authorization");
        authz.putArray("auth_users").add(pub(serviceUser));
        authz.putArray("allowed_accounts").add(pub(accountA));
        ObjectNode sealedAuth = auth.deepCopy();
        ((ObjectNode) sealedAuth.get("nats").get("authorization")).put("xkey", serviceXkey.publicKey());
        ObjectNode a = claims(operator, pub(accountA), "A", "account");
        defaultAccountLimits(a);
        ObjectNode b = claims(operator, pub(accountB), "B", "account");
        defaultAccountLimits(b);

        ObjectNode svc = claims(calloutAccount, pub(serviceUser), "service", "user");
        defaultUserLimits(svc);
        serviceCreds = creds(dir, "service", encode(svc, calloutAccount), serviceUser);
        NKey sentinelUser = NKey.createUser(RANDOM);
        ObjectNode sen = claims(calloutAccount, pub(sentinelUser), "sentinel", "user");
        ObjectNode sn = defaultUserLimits(sen);
        sn.put("bearer_token", true);
        sn.putObject("pub").putArray("deny").add(">");
        sn.putObject("sub").putArray("deny").add(">");
        sentinel = creds(dir, "sentinel", encode(sen, calloutAccount), sentinelUser);

        for (ObjectNode callout : List.of(auth, sealedAuth)) {
            String conf = "operator: \"" + dir.resolve("op.jwt") + "\"\nresolver: MEMORY\nresolver_preload {\n"
                    + "  " + pub(sys) + ": \"" + encode(sysClaims, operator) + "\"\n"
                    + "  " + pub(calloutAccount) + ": \"" + encode(callout, operator) + "\"\n"
                    + "  " + pub(accountA) + ": \"" + encode(a, operator) + "\"\n"
                    + "  " + pub(accountB) + ": \"" + encode(b, operator) + "\"\n}\n"
                    + "authorization { timeout: 2 }\n";
            for (TestServers.Target t : List.of(TestServers.Target.WEFT, TestServers.Target.NATS_NEWEST)) {
                TestServer s = TestServers.start(t, conf);
                SERVERS.add(s);
                SERVICES.add(new Service(s, callout == sealedAuth));
            }
        }
    }

    @AfterAll
    static void tearDown() throws Exception {
        for (Service s : SERVICES) {
            s.nc.close();
        }
        for (TestServer s : SERVERS) {
            s.close();
        }
        POOL.shutdownNow();
    }

    static final class Service {
        final TestServer server;
        final Connection nc;
        final String serverId;
        final Map<String, JsonNode> requests = new ConcurrentHashMap<>();
        final List<String> problems = new CopyOnWriteArrayList<>();
        final boolean sealed;

        Service(TestServer server, boolean sealed) throws Exception {
            this.server = server;
            this.sealed = sealed;
            this.nc = Nats.connect(Clients.options(server).authHandler(Nats.credentials(serviceCreds.toString())).build());
            this.serverId = nc.getServerInfo().getServerId();
            Dispatcher d = nc.createDispatcher(this::onRequest);
            d.subscribe("$SYS.REQ.USER.AUTH");
            nc.flush(WAIT);
        }

        private void onRequest(Message m) {
            try {
                byte[] data = m.getData();
                String serverXkey = m.getHeaders() == null ? null : m.getHeaders().getFirst("Nats-Server-Xkey");
                if (sealed != (serverXkey != null)) {
                    problems.add("sealed " + sealed + " but header " + serverXkey);
                }
                if (sealed) {
                    data = XKeys.open(data, serverXkey, serviceXkey.seed());
                }
                Jwt req = Jwt.decode(new String(data, StandardCharsets.US_ASCII));
                JsonNode n = req.nats();
                String user = n.path("connect_opts").path("user").asText("");
                requests.put(user, req.claims());
                String nkey = n.path("user_nkey").asText();
                byte[] answer = switch (user) {
                    case "alice" -> AuthCalloutTest.response(nkey, serverId, userJwt(accountA, nkey), null, calloutAccount);
                    case "bob" -> AuthCalloutTest.response(nkey, serverId, null, "bob is not welcome", calloutAccount);
                    // account B is not among the callout account's allowed accounts
                    case "carol" -> AuthCalloutTest.response(nkey, serverId, userJwt(accountB, nkey), null, calloutAccount);
                    // the response is signed by a key the callout account does not know
                    case "dave" -> AuthCalloutTest.response(nkey, serverId, userJwt(accountA, nkey), null, accountA);
                    default -> null;
                };
                if (answer != null && sealed) {
                    answer = XKeys.seal(answer, serverXkey, serviceXkey.seed(), AuthCalloutTest.ENTROPY);
                }
                if (answer != null) {
                    nc.publish(m.getReplyTo(), answer);
                }
            } catch (Exception e) {
                problems.add(String.valueOf(e));
            }
        }
    }

    static String userJwt(NKey account, String userNkey) {
        ObjectNode u = claims(account, userNkey, "callout-user", "user");
        ObjectNode n = defaultUserLimits(u);
        n.putObject("pub").putArray("allow").add("a.>");
        n.putObject("sub").putArray("allow").add("a.>");
        return encode(u, account);
    }

    static Options.Builder options(TestServer s, String user, Clients.RecordingErrors errors) {
        return Clients.options(s).authHandler(Nats.credentials(sentinel.toString())).userInfo(user, "pw")
                .connectionTimeout(Duration.ofSeconds(3)).maxReconnects(0).errorListener(errors);
    }

    static String outcome(TestServer s, String user) {
        try (Connection c = Nats.connect(options(s, user, new Clients.RecordingErrors()).build())) {
            c.flush(WAIT);
            return "OK";
        } catch (Exception e) {
            String msg = String.valueOf(e.getMessage());
            return msg.contains("Authorization Violation") ? "Authorization Violation" : msg;
        }
    }

    static void assertOutcome(String user, String expected) {
        assertOutcome(user, expected, expected);
    }

    /** The outcome on the servers without and with the xkey. */
    static void assertOutcome(String user, String expected, String expectedSealed) {
        List<CompletableFuture<String>> got = new ArrayList<>();
        for (Service s : SERVICES) {
            got.add(CompletableFuture.supplyAsync(() -> outcome(s.server, user), POOL));
        }
        for (int i = 0; i < SERVICES.size(); i++) {
            Service s = SERVICES.get(i);
            assertEquals(s.sealed ? expectedSealed : expected, got.get(i).join(), s.server.target() + (s.sealed ? " with xkey" : "") + ", " + user + "\n" + s.problems + "\n"
                    + s.server.stderr());
        }
    }

    @Test
    void theCalloutAccountsServiceDecidesAsOnNatsServer() {
        assertOutcome("alice", "OK");
        assertOutcome("bob", "Authorization Violation");
        assertOutcome("carol", "Authorization Violation");
        // nats-server checks who signed the response only when it is not encrypted; so does weft
        assertOutcome("dave", "Authorization Violation", "OK");
        assertOutcome("ivan", "Authorization Violation"); // no answer
        for (Service s : SERVICES) {
            assertTrue(s.problems.isEmpty(), s.problems.toString());
            JsonNode r = s.requests.get("alice");
            assertNotNull(r, s.server.target().toString());
            assertEquals(pub(calloutAccount), r.path("sub").asText(), "the request's subject is the callout account");
            assertEquals(s.serverId, r.path("iss").asText());
            assertTrue(r.path("nats").path("connect_opts").path("jwt").asText().startsWith("eyJ"), "the sentinel JWT goes along");
        }
    }

    @Test
    void aliceLandsInAccountAWithTheUserJwtsPermissions() throws Exception {
        for (Service s : SERVICES) {
            Clients.RecordingErrors errors = new Clients.RecordingErrors();
            try (Connection alice = Nats.connect(options(s.server, "alice", errors).build());
                 Connection alice2 = Nats.connect(options(s.server, "alice", new Clients.RecordingErrors()).build())) {
                Subscription sub = alice2.subscribe("a.>");
                Subscription spy = s.nc.subscribe("a.>");
                alice2.flush(WAIT);
                s.nc.flush(WAIT);
                alice.publish("a.x", "hi".getBytes(StandardCharsets.UTF_8));
                alice.publish("b.x", "no".getBytes(StandardCharsets.UTF_8));
                alice.flush(WAIT);
                assertNotNull(sub.nextMessage(WAIT), s.server.target() + ": alice reaches alice in A");
                assertNull(spy.nextMessage(Duration.ofMillis(200)), s.server.target() + ": the callout account does not see A");
                assertTrue(Clients.await(() -> errors.sawError("Permissions Violation for Publish to \"b.x\"")),
                        s.server.target() + ": " + errors.errors);
                spy.unsubscribe();
            }
        }
    }
}
