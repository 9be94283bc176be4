package io.weft.engine.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.mindrot.jbcrypt.BCrypt;

class AuthenticatorTest {
    static final Permissions SANDBOX = new Permissions(
            new Permissions.SubjectPermission(List.of("SANDBOX.*"), null),
            new Permissions.SubjectPermission(List.of("PUBLIC.>", "_INBOX.>"), null), null);
    static final Permissions ADMIN = new Permissions(
            new Permissions.SubjectPermission(List.of(">"), null),
            new Permissions.SubjectPermission(List.of(">"), null), null);

    static AuthResult.Allowed allowed(AuthResult r) {
        return assertInstanceOf(AuthResult.Allowed.class, r);
    }

    static String denied(AuthResult r) {
        return assertInstanceOf(AuthResult.Denied.class, r).reason();
    }

    @Test
    void noAuthConfiguredAllowsEveryoneIntoGlobal() {
        Authenticator auth = new Authenticator(new AuthConfig());
        assertFalse(auth.authRequired());
        assertFalse(auth.nonceRequired());
        assertEquals(Set.of("$G"), auth.accountNames());
        AuthResult.Allowed a = allowed(auth.authenticate(Credentials.NONE, null));
        assertEquals("$G", a.account());
        assertNull(a.permissions());
        // Credentials sent to a server without auth are ignored (checked on nats-server).
        allowed(auth.authenticate(Credentials.userPass("x", "y"), null));
    }

    @Test
    void token() {
        AuthConfig config = new AuthConfig();
        config.token = "s3cr3t";
        Authenticator auth = new Authenticator(config);
        assertTrue(auth.authRequired());
        assertFalse(auth.nonceRequired());
        assertEquals("$G", allowed(auth.authenticate(Credentials.token("s3cr3t"), null)).account());
        assertEquals("authentication error", denied(auth.authenticate(Credentials.token("nope"), null)));
        denied(auth.authenticate(Credentials.userPass("x", "s3cr3t"), null));
        denied(auth.authenticate(Credentials.NONE, null));
    }

    @Test
    void bcryptToken() {
        AuthConfig config = new AuthConfig();
        config.token = BCrypt.hashpw("tok", BCrypt.gensalt(4));
        Authenticator auth = new Authenticator(config);
        allowed(auth.authenticate(Credentials.token("tok"), null));
        denied(auth.authenticate(Credentials.token(config.token), null));
    }

    @Test
    void singleUserGetsDefaultPermissions() {
        AuthConfig config = new AuthConfig();
        config.user = "derek";
        config.password = BCrypt.hashpw("T0pS3cr3t", BCrypt.gensalt(4));
        config.defaultPermissions = SANDBOX;
        Authenticator auth = new Authenticator(config);
        assertTrue(auth.authRequired());
        AuthResult.Allowed a = allowed(auth.authenticate(Credentials.userPass("derek", "T0pS3cr3t"), null));
        assertEquals("derek", a.user());
        assertEquals("$G", a.account());
        assertEquals(SANDBOX, a.permissions());
        assertEquals("authentication error - User \"derek\"", denied(auth.authenticate(Credentials.userPass("derek", "x"), null)));
        denied(auth.authenticate(Credentials.userPass("derek", null), null));
        assertEquals("authentication error - User \"\"", denied(auth.authenticate(Credentials.NONE, null)));
    }

    @Test
    void usersListWithPermissionsAndDefaults() {
        AuthConfig config = new AuthConfig();
        config.defaultPermissions = SANDBOX;
        config.users.add(new User("admin", "pw", ADMIN, null));
        config.users.add(new User("other", "o", null, null));
        Authenticator auth = new Authenticator(config);
        assertEquals(ADMIN, allowed(auth.authenticate(Credentials.userPass("admin", "pw"), null)).permissions());
        assertEquals(SANDBOX, allowed(auth.authenticate(Credentials.userPass("other", "o"), null)).permissions());
        assertEquals("authentication error - User \"zz\"", denied(auth.authenticate(Credentials.userPass("zz", "pw"), null)));
        denied(auth.authenticate(Credentials.userPass("admin", "o"), null));
        denied(auth.authenticate(Credentials.token("pw"), null));
    }

    @Test
    void noAuthUserOnlyForClientsWithoutCredentials() {
        AuthConfig config = new AuthConfig();
        config.defaultPermissions = SANDBOX;
        config.users.add(new User("admin", "pw", ADMIN, null));
        config.users.add(new User("other", "o", null, null));
        config.noAuthUser = "other";
        Authenticator auth = new Authenticator(config);
        assertFalse(auth.authRequired(), "nats-server leaves auth_required out of INFO when no_auth_user is set");
        AuthResult.Allowed a = allowed(auth.authenticate(Credentials.NONE, null));
        assertEquals("other", a.user());
        assertEquals(SANDBOX, a.permissions());
        assertEquals("other", allowed(auth.authenticate(Credentials.userPass("", null), null)).user(), "empty user = none");
        assertEquals("other", allowed(auth.authenticate(null, null)).user());
        // Any credential at all is checked, and fails when wrong.
        denied(auth.authenticate(Credentials.userPass("other", "bad"), null));
        denied(auth.authenticate(Credentials.userPass("zz", "bad"), null));
        denied(auth.authenticate(Credentials.userPass("admin", null), null));
        denied(auth.authenticate(Credentials.token("xyz"), null));
        assertEquals("admin", allowed(auth.authenticate(Credentials.userPass("admin", "pw"), null)).user());
    }

    @Test
    void noAuthUserMustExist() {
        AuthConfig config = new AuthConfig();
        config.users.add(new User("a", "a", null, null));
        config.noAuthUser = "ghost";
        assertThrows(IllegalArgumentException.class, () -> new Authenticator(config));
    }

    @Test
    void usersOfAccountsLandInTheirAccount() {
        AuthConfig config = new AuthConfig();
        config.accounts.put("A", new AccountConfig("A", false));
        config.accounts.put("B", new AccountConfig("B", true));
        Permissions pubX = new Permissions(new Permissions.SubjectPermission(List.of("x"), null), null, null);
        config.users.add(new User("ua", "pa", null, "A"));
        config.users.add(new User("ub", "pb", pubX, "B"));
        config.users.add(new User("g", "pg", null, null));
        config.noAuthUser = "ua";
        Authenticator auth = new Authenticator(config);
        assertEquals(List.of("$G", "A", "B"), List.copyOf(auth.accountNames()));
        assertEquals("A", allowed(auth.authenticate(Credentials.NONE, null)).account());
        AuthResult.Allowed b = allowed(auth.authenticate(Credentials.userPass("ub", "pb"), null));
        assertEquals("B", b.account());
        assertEquals(pubX, b.permissions());
        assertEquals("$G", allowed(auth.authenticate(Credentials.userPass("g", "pg"), null)).account());
    }

    @Test
    void duplicateUsersAreAConfigurationError() {
        AuthConfig config = new AuthConfig();
        config.users.add(new User("a", "1", null, "A"));
        config.users.add(new User("a", "2", null, "B"));
        assertThrows(IllegalArgumentException.class, () -> new Authenticator(config));
    }

    @Test
    void nkeyUsersMustSignTheNonce() {
        AuthConfig config = new AuthConfig();
        config.users.add(new User("full", "full", null, null));
        config.nkeys.add(new NkeyUser(NkeysTest.DOC_USER_PUB, ADMIN, "A"));
        Authenticator auth = new Authenticator(config);
        assertTrue(auth.authRequired());
        assertTrue(auth.nonceRequired());
        assertTrue(auth.accountNames().contains("A"));
        String nonce = "abcdefghijklmnop";
        String sig = Nkeys.encodeSignature(Nkeys.sign(NkeysTest.DOC_USER_SEED, nonce.getBytes(StandardCharsets.US_ASCII)));
        AuthResult.Allowed a = allowed(auth.authenticate(Credentials.nkey(NkeysTest.DOC_USER_PUB, sig), nonce));
        assertEquals(NkeysTest.DOC_USER_PUB, a.user());
        assertEquals("A", a.account());
        assertEquals(ADMIN, a.permissions());
        assertEquals("authentication error - Nkey \"" + NkeysTest.DOC_USER_PUB + "\"",
                denied(auth.authenticate(Credentials.nkey(NkeysTest.DOC_USER_PUB, sig), "another nonce")));
        denied(auth.authenticate(Credentials.nkey(NkeysTest.DOC_USER_PUB, null), nonce));
        denied(auth.authenticate(Credentials.nkey(NkeysTest.DOC_USER_PUB, sig), null));
        // A valid signature by a key that is not configured.
        String otherSig = Nkeys.encodeSignature(Nkeys.sign(NkeysTest.NSC_USER_SEED, nonce.getBytes(StandardCharsets.US_ASCII)));
        denied(auth.authenticate(Credentials.nkey(NkeysTest.NSC_USER_PUB, otherSig), nonce));
        // The configured key with someone else's signature.
        denied(auth.authenticate(Credentials.nkey(NkeysTest.DOC_USER_PUB, otherSig), nonce));
        // With nkeys configured, the nkey decides even when user/pass are sent too (as nats-server).
        Credentials both = new Credentials("full", "full", null, NkeysTest.DOC_USER_PUB, sig, null);
        assertEquals(NkeysTest.DOC_USER_PUB, allowed(auth.authenticate(both, nonce)).user());
        // Password users still work beside nkey users.
        assertEquals("full", allowed(auth.authenticate(Credentials.userPass("full", "full"), nonce)).user());
    }

    @Test
    void invalidConfiguredNkeyIsAConfigurationError() {
        AuthConfig config = new AuthConfig();
        config.nkeys.add(new NkeyUser(NkeysTest.NSC_ACCOUNT_PUB, null, null));
        assertThrows(IllegalArgumentException.class, () -> new Authenticator(config));
    }

    @Test
    void nkeyNoAuthUser() {
        AuthConfig config = new AuthConfig();
        config.nkeys.add(new NkeyUser(NkeysTest.DOC_USER_PUB, null, null));
        config.noAuthUser = NkeysTest.DOC_USER_PUB;
        Authenticator auth = new Authenticator(config);
        assertEquals(NkeysTest.DOC_USER_PUB, allowed(auth.authenticate(Credentials.NONE, "n")).user());
    }

    @Test
    void credentialsNeverPrintSecrets() {
        String text = new Credentials("bob", "hunter2", "tok", null, null, "jwt").toString();
        assertTrue(text.contains("bob"));
        assertFalse(text.contains("hunter2"));
        assertFalse(text.contains("tok,"));
    }
}
