package io.weft.server.it;

import io.nats.client.AuthHandler;
import io.nats.client.Connection;
import io.nats.client.Message;
import io.nats.client.NKey;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.Subscription;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.mindrot.jbcrypt.BCrypt;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;

import static io.weft.server.it.Clients.WAIT;
import static io.weft.server.it.Clients.await;
import static io.weft.server.it.Clients.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Users, bcrypt passwords, nkeys, no_auth_user, accounts and permissions, all in one server:
 * account A holds alice (plain password, also the no_auth_user), bob (bcrypt), an nkey user and
 * a user with permissions; account B holds carol.
 */
class AuthTest {
    static final String BOB_PASSWORD = "s3cret-bob";
    static TestServer server;
    static NKey nkeyUser;
    static NKey strangerKey;

    @BeforeAll
    static void startServer() throws Exception {
        SecureRandom random = new SecureRandom();
        nkeyUser = NKey.createUser(random);
        strangerKey = NKey.createUser(random);
        String bobHash = BCrypt.hashpw(BOB_PASSWORD, BCrypt.gensalt(4));
        assertTrue(bobHash.startsWith("$2a$"), bobHash);
        String conf = """
                accounts {
                  A {
                    users = [
                      {user: alice, password: "alice-pw"}
                      {user: bob, password: "%s"}
                      {nkey: "%s"}
                      {user: limited, password: "limited-pw", permissions: {
                        publish: {allow: ["ok.>", "_INBOX.>"], deny: ["ok.secret"]}
                        subscribe: {allow: ["ok.>", "_INBOX.>"]}
                      }}
                    ]
                  }
                  B {
                    users = [
                      {user: carol, password: "carol-pw"}
                    ]
                  }
                }
                no_auth_user: alice
                """.formatted(bobHash, new String(nkeyUser.getPublicKey()));
        server = TestServers.start(conf);
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    private static Connection user(String name, String password) throws Exception {
        return Nats.connect(options(server).userInfo(name, password).build());
    }

    private static Connection user(String name, String password, Clients.RecordingErrors errors) throws Exception {
        return Nats.connect(options(server).userInfo(name, password).errorListener(errors).build());
    }

    private static AuthHandler signer(NKey key) {
        return new AuthHandler() {
            @Override
            public byte[] sign(byte[] nonce) {
                try {
                    return key.sign(nonce);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }

            @Override
            public char[] getID() {
                try {
                    return key.getPublicKey();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }

            @Override
            public char[] getJWT() {
                return null;
            }
        };
    }

    /** Asserts that a message published on {@code from} reaches a subscriber on {@code to}. */
    private static void assertRoutes(Connection from, Connection to, String subject) throws Exception {
        Subscription s = to.subscribe(subject);
        to.flush(WAIT);
        from.publish(subject, "hi".getBytes(StandardCharsets.UTF_8));
        from.flush(WAIT);
        Message m = s.nextMessage(WAIT);
        assertNotNull(m, "message on " + subject + " should be delivered");
        s.unsubscribe();
    }

    private static void assertAuthFails(Options.Builder builder) {
        // jnats waits connectionTimeout for the PONG that never comes; keep it short
        Options opts = builder.connectionTimeout(Duration.ofMillis(1000)).errorListener(new Clients.RecordingErrors()).build();
        Exception e = assertThrows(Exception.class, () -> Nats.connect(opts).close());
        assertTrue(String.valueOf(e.getMessage()).contains("Authorization Violation"), e.toString());
    }

    @Test
    void serverAnnouncesAuthRequired() throws Exception {
        try (Connection c = user("alice", "alice-pw")) {
            // nats-server leaves auth_required out of INFO when a no_auth_user lets anyone in
            assertFalse(c.getServerInfo().isAuthRequired());
            assertNotNull(c.getServerInfo().getNonce(), "nkey users configured, so INFO carries a nonce");
        }
    }

    @Test
    void plainPasswordUsersInTheSameAccountTalk() throws Exception {
        try (Connection alice = user("alice", "alice-pw"); Connection limited = user("limited", "limited-pw")) {
            assertRoutes(alice, limited, "ok.plain");
        }
    }

    @Test
    void bcryptPasswordIsAccepted() throws Exception {
        try (Connection bob = user("bob", BOB_PASSWORD); Connection alice = user("alice", "alice-pw")) {
            assertEquals(Connection.Status.CONNECTED, bob.getStatus());
            assertRoutes(bob, alice, "bc.x");
        }
    }

    @Test
    void bcryptUserWithWrongPasswordIsRejected() {
        assertAuthFails(options(server).userInfo("bob", "wrong-" + BOB_PASSWORD));
    }

    @Test
    void badPasswordAndUnknownUserAreRejected() {
        assertAuthFails(options(server).userInfo("alice", "nope"));
        assertAuthFails(options(server).userInfo("mallory", "alice-pw"));
        assertAuthFails(options(server).userInfo("carol", "alice-pw"));
    }

    @Test
    void nkeyUserSignsTheNonce() throws Exception {
        try (Connection nk = Nats.connect(options(server).authHandler(signer(nkeyUser)).build());
             Connection alice = user("alice", "alice-pw")) {
            assertEquals(Connection.Status.CONNECTED, nk.getStatus());
            assertRoutes(nk, alice, "nk.x");
            assertRoutes(alice, nk, "nk.y");
        }
    }

    @Test
    void unknownNkeyIsRejected() {
        assertAuthFails(options(server).authHandler(signer(strangerKey)));
    }

    @Test
    void noAuthUserLandsInAliceAccount() throws Exception {
        try (Connection anon = Nats.connect(options(server).build());
             Connection alice = user("alice", "alice-pw");
             Connection carol = user("carol", "carol-pw")) {
            assertRoutes(anon, alice, "na.x");
            assertRoutes(alice, anon, "na.y");
            Subscription s = anon.subscribe("na.z");
            anon.flush(WAIT);
            carol.publish("na.z", new byte[] {1});
            carol.flush(WAIT);
            assertNull(s.nextMessage(Duration.ofMillis(200)), "account B must not reach the no-auth user in A");
        }
    }

    @Test
    void accountsAreIsolated() throws Exception {
        try (Connection alice = user("alice", "alice-pw");
             Connection bob = user("bob", BOB_PASSWORD);
             Connection carol = user("carol", "carol-pw")) {
            Subscription aliceAll = alice.subscribe("iso.>");
            Subscription carolAll = carol.subscribe("iso.>");
            alice.flush(WAIT);
            carol.flush(WAIT);
            carol.publish("iso.b", "from-B".getBytes(StandardCharsets.UTF_8));
            bob.publish("iso.a", "from-A".getBytes(StandardCharsets.UTF_8));
            carol.flush(WAIT);
            bob.flush(WAIT);
            Message a = aliceAll.nextMessage(WAIT);
            assertNotNull(a);
            assertEquals("iso.a", a.getSubject());
            Message b = carolAll.nextMessage(WAIT);
            assertNotNull(b);
            assertEquals("iso.b", b.getSubject());
            assertNull(aliceAll.nextMessage(Duration.ofMillis(200)));
            assertNull(carolAll.nextMessage(Duration.ofMillis(50)));
            // request/reply does not cross accounts either: A's responder is invisible to B (503 at once)
            alice.subscribe("svc.iso");
            alice.flush(WAIT);
            long start = System.nanoTime();
            assertThrows(java.util.concurrent.CancellationException.class,
                    () -> carol.request("svc.iso", new byte[0]).get(5, java.util.concurrent.TimeUnit.SECONDS));
            assertTrue(System.nanoTime() - start < 3_000_000_000L, "no-responders answer, not a timeout");
        }
    }

    @Test
    void publishPermissionViolationIsReportedAndNotDelivered() throws Exception {
        Clients.RecordingErrors errors = new Clients.RecordingErrors();
        try (Connection limited = user("limited", "limited-pw", errors); Connection alice = user("alice", "alice-pw")) {
            Subscription s = alice.subscribe("nope.x");
            Subscription secret = alice.subscribe("ok.secret");
            alice.flush(WAIT);
            limited.publish("nope.x", new byte[] {1});
            limited.publish("ok.secret", new byte[] {1});
            limited.flush(WAIT);
            assertTrue(await(() -> errors.errors.size() >= 2), "errors: " + errors.errors);
            assertTrue(errors.sawError("Permissions Violation for Publish to \"nope.x\""), errors.errors.toString());
            assertTrue(errors.sawError("Permissions Violation for Publish to \"ok.secret\""), errors.errors.toString());
            assertNull(s.nextMessage(Duration.ofMillis(200)));
            assertNull(secret.nextMessage(Duration.ofMillis(50)));
            // the connection survives and allowed subjects still work
            assertEquals(Connection.Status.CONNECTED, limited.getStatus());
            assertRoutes(limited, alice, "ok.fine");
        }
    }

    @Test
    void subscribePermissionViolationIsReportedAndNothingDelivered() throws Exception {
        Clients.RecordingErrors errors = new Clients.RecordingErrors();
        try (Connection limited = user("limited", "limited-pw", errors); Connection alice = user("alice", "alice-pw")) {
            Subscription s = limited.subscribe("nope.sub");
            limited.flush(WAIT);
            assertTrue(await(() -> errors.sawError("Permissions Violation for Subscription to \"nope.sub\"")),
                    "errors: " + errors.errors);
            alice.publish("nope.sub", new byte[] {1});
            alice.flush(WAIT);
            assertNull(s.nextMessage(Duration.ofMillis(200)));
            assertEquals(Connection.Status.CONNECTED, limited.getStatus());
            assertRoutes(alice, limited, "ok.sub");
        }
    }
}
