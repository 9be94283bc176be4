package io.weft.engine.auth;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * Decides whether a CONNECT may proceed and binds it to an account and permissions, with
 * nats-server's rules:
 * <ul>
 * <li>no authentication configured: everyone is allowed into the global account;
 * <li>{@code no_auth_user} applies only to a client that presents no credentials at all (no
 *     user, password, token, nkey or jwt); it binds it to that user's account and permissions;
 * <li>a presented nkey is checked against the nkey users (the nonce signature must verify);
 * <li>a presented user name is checked against the users (plain or bcrypt password);
 * <li>a single token ({@code authorization { token }}) is checked against {@code auth_token};
 * <li>users without permissions get {@code default_permissions}; users of accounts land in their
 *     account, the others in {@value AuthResult#GLOBAL_ACCOUNT}.
 * </ul>
 * Immutable after construction; safe to share between connections.
 */
public final class Authenticator {
    private final boolean open;
    private final String token;
    private final Permissions defaultPermissions;
    private final Map<String, User> users;
    private final Map<String, NkeyUser> nkeys;
    private final String noAuthUser;
    private final Set<String> accountNames;
    private final boolean certificateMapping;
    private final OperatorMode operatorMode;

    /** Builds from the configuration; throws IllegalArgumentException for an inconsistent one. */
    public Authenticator(AuthConfig config) {
        this.open = config.isEmpty();
        this.operatorMode = config.operatorMode;
        this.certificateMapping = config.certificateMapping;
        this.token = config.token;
        this.defaultPermissions = config.defaultPermissions;
        Map<String, User> byName = new LinkedHashMap<>();
        if (config.user != null) {
            byName.put(config.user, new User(config.user, config.password, null, null));
        }
        for (User user : config.users) {
            if (user.username() == null || user.username().isEmpty()) {
                throw new IllegalArgumentException("user without a name");
            }
            if (byName.putIfAbsent(user.username(), user) != null) {
                throw new IllegalArgumentException("duplicate user \"" + user.username() + "\"");
            }
        }
        this.users = Collections.unmodifiableMap(byName);
        Map<String, NkeyUser> byKey = new LinkedHashMap<>();
        for (NkeyUser user : config.nkeys) {
            if (!Nkeys.isValidPublicUserKey(user.nkey())) {
                throw new IllegalArgumentException("not a valid public user nkey: \"" + user.nkey() + "\"");
            }
            if (byKey.putIfAbsent(user.nkey(), user) != null) {
                throw new IllegalArgumentException("duplicate nkey \"" + user.nkey() + "\"");
            }
        }
        this.nkeys = Collections.unmodifiableMap(byKey);
        this.noAuthUser = config.noAuthUser;
        if (noAuthUser != null && !users.containsKey(noAuthUser) && !nkeys.containsKey(noAuthUser)) {
            throw new IllegalArgumentException("no_auth_user: \"" + noAuthUser
                    + "\" not present as user or nkey in authorization block or account configuration");
        }
        Set<String> names = new LinkedHashSet<>();
        names.add(AuthResult.GLOBAL_ACCOUNT);
        names.addAll(config.accounts.keySet());
        users.values().forEach(u -> addAccount(names, u.account()));
        nkeys.values().forEach(u -> addAccount(names, u.account()));
        this.accountNames = Collections.unmodifiableSet(names);
    }

    private static void addAccount(Set<String> names, String account) {
        if (account != null) {
            names.add(account);
        }
    }

    /**
     * The account of the configured user or nkey user of that name ({@value AuthResult#GLOBAL_ACCOUNT}
     * for one without), or null when there is no such user.
     */
    public String accountOfUser(String nameOrNkey) {
        User u = users.get(nameOrNkey);
        if (u != null) {
            return accountOf(u.account());
        }
        NkeyUser n = nkeys.get(nameOrNkey);
        return n == null ? null : accountOf(n.account());
    }

    /** INFO {@code auth_required}: authentication is configured and there is no no_auth_user. */
    public boolean authRequired() {
        return !open && noAuthUser == null;
    }

    /** INFO carries a {@code nonce} when nkey users are configured. */
    public boolean nonceRequired() {
        return !nkeys.isEmpty() || operatorMode != null;
    }

    /** True in JWT operator mode, where clients need a wall clock for {@link #authenticate(Credentials, String, long)}. */
    public boolean operatorMode() {
        return operatorMode != null;
    }

    /** Every account name, {@value AuthResult#GLOBAL_ACCOUNT} first, then configured order. */
    public Set<String> accountNames() {
        return accountNames;
    }

    /** True when clients are the users their TLS certificates name ({@code verify_and_map}). */
    public boolean certificateMapping() {
        return certificateMapping;
    }

    /**
     * {@code verify_and_map}: the user whose name is the first of the certificate's identities
     * (email SANs, then DNS SANs, then the subject DN in RFC 2253 form) that names a user. As in
     * nats-server, a CONNECT that names a user itself is refused.
     */
    public AuthResult authenticateCertificate(Credentials c, java.util.List<String> identities) {
        if (c != null && !Credentials.blank(c.user())) {
            return new AuthResult.Denied("User \"" + c.user() + "\" found in connect proto, but user required from cert");
        }
        for (String id : identities) {
            User user = users.get(id);
            if (user != null) {
                return allowed(user);
            }
        }
        return denied("no user for certificate " + identities);
    }

    /**
     * As {@link #authenticate(Credentials, String)}, with the wall clock ({@code nowMillis}, from
     * Env) that operator mode needs for JWT expiry.
     */
    public AuthResult authenticate(Credentials c, String nonce, long nowMillis) {
        return authenticate(c, nonce, nowMillis, null);
    }

    /** As {@link #authenticate(Credentials, String, long)}; {@code host} is the client's IP address (a user JWT's {@code src}). */
    public AuthResult authenticate(Credentials c, String nonce, long nowMillis, String host) {
        if (operatorMode != null) {
            return operatorMode.authenticate(c, nonce, Math.floorDiv(nowMillis, 1000), host);
        }
        return authenticate(c, nonce);
    }

    /** Checks the credentials of one CONNECT; {@code nonce} is the one sent in INFO (may be null). */
    public AuthResult authenticate(Credentials c, String nonce) {
        if (operatorMode != null) {
            throw new IllegalStateException("operator mode needs the clock: authenticate(c, nonce, nowMillis)");
        }
        if (open) {
            return new AuthResult.Allowed(AuthResult.GLOBAL_ACCOUNT, "", null);
        }
        if (c == null) {
            c = Credentials.NONE;
        }
        if (noAuthUser != null && c.isEmpty()) {
            User user = users.get(noAuthUser);
            return user != null ? allowed(user) : allowed(nkeys.get(noAuthUser));
        }
        if (!Credentials.blank(c.nkey()) && !nkeys.isEmpty()) {
            NkeyUser user = nkeys.get(c.nkey());
            if (user == null || !Nkeys.verifyNonceSignature(c.nkey(), nonce, c.sig())) {
                return denied("Nkey \"" + c.nkey() + "\"");
            }
            return allowed(user);
        }
        if (!Credentials.blank(c.user()) && !users.isEmpty()) {
            User user = users.get(c.user());
            if (user == null || !PasswordCheck.matches(user.password(), c.pass())) {
                return denied("User \"" + c.user() + "\"");
            }
            return allowed(user);
        }
        if (token != null) {
            if (PasswordCheck.matches(token, c.authToken())) {
                return new AuthResult.Allowed(AuthResult.GLOBAL_ACCOUNT, "", defaultPermissions);
            }
            return new AuthResult.Denied("authentication error");
        }
        if (!Credentials.blank(c.nkey())) {
            return denied("Nkey \"" + c.nkey() + "\"");
        }
        return denied("User \"" + (c.user() == null ? "" : c.user()) + "\"");
    }

    private AuthResult allowed(User user) {
        return new AuthResult.Allowed(accountOf(user.account()), user.username(),
                user.permissions() != null ? user.permissions() : defaultPermissions);
    }

    private AuthResult allowed(NkeyUser user) {
        return new AuthResult.Allowed(accountOf(user.account()), user.nkey(),
                user.permissions() != null ? user.permissions() : defaultPermissions);
    }

    private static String accountOf(String account) {
        return account == null ? AuthResult.GLOBAL_ACCOUNT : account;
    }

    private static AuthResult denied(String who) {
        return new AuthResult.Denied("authentication error - " + who);
    }
}
