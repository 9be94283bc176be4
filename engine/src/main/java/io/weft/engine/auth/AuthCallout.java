package io.weft.engine.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Auth callout in config mode (ADR-26, "NATS Authorization Callouts"): a client that is not one
 * of the {@code auth_users} is admitted only by an external service. The server sends an
 * {@code authorization_request} JWT, signed by its own server nkey, on {@value #SUBJECT} in the
 * callout account; the service answers with an {@code authorization_response} JWT whose subject
 * is the one-time user nkey of the request and whose audience is the server's id, holding either
 * a user JWT (signed by the configured {@code issuer}, its audience naming the account to place the
 * client in) or an error. With {@code xkey} the request is sealed to the service's curve key
 * (header {@value #XKEY_HEADER} carries the server's curve key) and the response may be sealed back.
 *
 * <p>This class holds the claims: building the request and judging the response. Sending and
 * waiting is the connection's business. The error texts are nats-server's log lines; the client
 * only ever sees {@code Authorization Violation}.
 */
public final class AuthCallout {
    public static final String SUBJECT = "$SYS.REQ.USER.AUTH";
    public static final String REQUEST_AUDIENCE = "nats-authorization-request";
    public static final String XKEY_HEADER = "Nats-Server-Xkey";

    private static final ObjectMapper MAPPER = new ObjectMapper();

    /**
     * {@code authorization { auth_callout { issuer, account, auth_users, xkey, allowed_accounts } }}.
     *
     * @param account the account requests go to ({@code $G} when not set)
     * @param xkey the service's public curve key, or null: no encryption
     * @param allowedAccounts accounts whose local users are delegated; empty: all
     */
    public record Config(String issuer, String account, List<String> authUsers, String xkey, List<String> allowedAccounts) {
        public Config {
            authUsers = List.copyOf(authUsers);
            allowedAccounts = List.copyOf(allowedAccounts);
        }
    }

    /** The server as the request's {@code server_id} describes it; {@code xkey} null without encryption. */
    public record ServerIdentity(String name, String host, String id, String version, String cluster, String xkey) {
    }

    /** What the request tells of the client ({@code client_info}); a null or empty field is left out. */
    public record ClientInfo(String host, long id, String user, String name, String nonce) {
    }

    /** {@code client_tls}: version and cipher, and the client's certificates (PEM) when it sent any. */
    public record ClientTls(String version, String cipher, List<String> certs, boolean verified) {
    }

    /**
     * What the connection needs to judge the response. {@code operator} is null in config mode;
     * in operator mode {@code config} is the callout account's (its key as issuer and account).
     */
    public record Expectation(Config config, String serverId, String userNkey, String serverXkeySeed,
                              Set<String> accounts, long nowSeconds, OperatorMode operator) {
        public Expectation(Config config, String serverId, String userNkey, String serverXkeySeed,
                           Set<String> accounts, long nowSeconds) {
            this(config, serverId, userNkey, serverXkeySeed, accounts, nowSeconds, null);
        }
    }

    /** The callout settings of an operator-mode account with an {@code authorization} claim, or null. */
    public static Config forAccount(OperatorMode mode, String account) {
        OperatorMode.AccountClaims a = mode == null ? null : mode.accounts().get(account);
        if (a == null || a.externalAuth() == null) {
            return null;
        }
        OperatorMode.ExternalAuth x = a.externalAuth();
        return new Config(account, account, x.authUsers(), x.xkey(), x.allowedAccounts());
    }

    private AuthCallout() {
    }

    /** True when {@code rawUser} (the CONNECT's nkey, else its user name) is one of the auth users. */
    public static boolean isAuthUser(Config config, Credentials c) {
        String raw = rawUser(c);
        return !raw.isEmpty() && config.authUsers().contains(raw);
    }

    /** nats-server's "raw auth user": the nkey, else the user name, else {@code [REDACTED]} for a token. */
    public static String rawUser(Credentials c) {
        if (c == null) {
            return "";
        }
        if (!Credentials.blank(c.nkey())) {
            return c.nkey();
        }
        if (!Credentials.blank(c.user())) {
            return c.user();
        }
        if (!Credentials.blank(c.authToken())) {
            return "[REDACTED]";
        }
        return "";
    }

    /**
     * The request JWT, signed by {@code serverSeed}: subject the issuer, audience
     * {@value #REQUEST_AUDIENCE}, expiring {@code timeoutSeconds} after now (rounded up to whole seconds).
     */
    public static String request(Config config, String serverSeed, ServerIdentity server, String userNkey,
                                 ClientInfo client, Credentials c, String name, String lang, String version,
                                 int protocol, ClientTls tls, long nowSeconds, long expiresSeconds) {
        ObjectNode claims = MAPPER.createObjectNode();
        claims.put("aud", REQUEST_AUDIENCE);
        claims.put("exp", expiresSeconds);
        claims.put("iat", nowSeconds);
        claims.put("sub", config.issuer());
        ObjectNode nats = claims.putObject("nats");
        ObjectNode sid = nats.putObject("server_id");
        sid.put("name", nz(server.name()));
        sid.put("host", nz(server.host()));
        sid.put("id", server.id());
        putIf(sid, "version", server.version());
        putIf(sid, "cluster", server.cluster());
        putIf(sid, "xkey", server.xkey());
        nats.put("user_nkey", userNkey);
        ObjectNode ci = nats.putObject("client_info");
        putIf(ci, "host", client.host());
        if (client.id() != 0) {
            ci.put("id", client.id());
        }
        putIf(ci, "user", client.user());
        putIf(ci, "name", client.name());
        ci.put("kind", "Client");
        ci.put("type", "nats");
        putIf(ci, "nonce", client.nonce());
        ObjectNode co = nats.putObject("connect_opts");
        if (c != null) {
            putIf(co, "jwt", c.jwt());
            putIf(co, "nkey", c.nkey());
            putIf(co, "sig", c.sig());
            putIf(co, "auth_token", c.authToken());
            putIf(co, "user", c.user());
            putIf(co, "pass", c.pass());
        }
        putIf(co, "name", name);
        putIf(co, "lang", lang);
        putIf(co, "version", version);
        co.put("protocol", protocol);
        if (tls != null) {
            ObjectNode t = nats.putObject("client_tls");
            putIf(t, "version", tls.version());
            putIf(t, "cipher", tls.cipher());
            if (!tls.certs().isEmpty()) {
                if (tls.verified()) {
                    ArrayNode chain = t.putArray("verified_chains").addArray();
                    tls.certs().forEach(chain::add);
                } else {
                    ArrayNode certs = t.putArray("certs");
                    tls.certs().forEach(certs::add);
                }
            }
        }
        nats.put("type", "authorization_request");
        nats.put("version", 2);
        return Jwt.encode(claims, serverSeed);
    }

    /**
     * Judges the service's reply payload: the user the client becomes, or the reason it is refused.
     */
    public static AuthResult response(byte[] payload, Expectation e) {
        Config cfg = e.config();
        String account = cfg.account();
        if (payload == null || payload.length == 0) {
            return deny(titleCase("auth callout violation: \"no reason supplied\" on account \"" + account + "\""));
        }
        byte[] msg = payload;
        boolean encrypted = false;
        if (e.serverXkeySeed() != null && !startsWith(msg, "eyJ")) {
            try {
                msg = XKeys.open(msg, cfg.xkey(), e.serverXkeySeed());
                encrypted = true;
            } catch (IllegalArgumentException x) {
                return deny(titleCase("error decrypting auth callout response on account \"" + account + "\": " + x.getMessage()));
            }
        }
        OperatorMode mode = e.operator();
        OperatorMode.AccountClaims calloutAccount = mode == null ? null : mode.accounts().get(account);
        Jwt response;
        try {
            response = Jwt.decode(new String(msg, StandardCharsets.UTF_8));
        } catch (Jwt.JwtException x) {
            return deny(titleCase(x.getMessage()));
        }
        if (!"authorization_response".equals(response.type())) {
            return deny(titleCase("not an authorization request claim"));
        }
        if (response.issuerKind() != 'A') {
            return deny(titleCase("unable to validate expected prefixes - [A]"));
        }
        JsonNode n = response.nats();
        String jwt = n.path("jwt").asText("");
        String error = n.path("error").asText("");
        String issuerAccount = n.path("issuer_account").asText("");
        String audience = response.claims().path("aud").asText("");
        String issue = null;
        if (!Nkeys.isValidPublicUserKey(response.subject())) {
            issue = "Subject must be a user public key";
        } else if (!Nkeys.isValidPublicKey(Nkeys.Type.SERVER, audience)) {
            issue = "Audience must be a server public key";
        } else if (jwt.isEmpty() && error.isEmpty()) {
            issue = "Error or Jwt is required";
        } else if (!jwt.isEmpty() && !error.isEmpty()) {
            issue = "Only Error or Jwt can be set";
        } else if (!issuerAccount.isEmpty() && !Nkeys.isValidPublicKey(Nkeys.Type.ACCOUNT, issuerAccount)) {
            issue = "issuer_account is not an account public key";
        } else {
            issue = response.validAt(e.nowSeconds());
        }
        if (issue != null) {
            return deny(titleCase("authorization response had validation errors: " + issue));
        }
        if (!response.subject().equals(e.userNkey())) {
            return deny("Auth callout violation: auth callout response is not for expected user");
        }
        if (!audience.equals(e.serverId())) {
            return deny("Auth callout violation: auth callout response is not for server");
        }
        if (!error.isEmpty()) {
            return deny(titleCase("auth callout service returned an error: " + error));
        }
        if (mode != null && !encrypted) {
            String pk = issuerAccount.isEmpty() ? response.issuer() : issuerAccount;
            if (!pk.equals(account) && (calloutAccount == null || !calloutAccount.signingKeys().contains(pk))) {
                return deny("Auth callout signing key is unknown");
            }
        }
        Jwt user;
        try {
            user = Jwt.decode(jwt);
        } catch (Jwt.JwtException x) {
            return deny(titleCase(x.getMessage()));
        }
        if (!"user".equals(user.type())) {
            return deny(titleCase("not user claim"));
        }
        String why = !Nkeys.isValidPublicUserKey(user.subject()) ? "subject is not a user public key"
                : user.validAt(e.nowSeconds());
        if (why != null) {
            return deny("Error validating user JWT: " + why);
        }
        if (!user.subject().equals(e.userNkey())) {
            return deny("Expected authorized user of \"" + e.userNkey() + "\" but got \"" + user.subject()
                    + "\" on account \"" + account + "\"");
        }
        JsonNode un = user.nats();
        String unsupported = OperatorMode.unsupportedUserClaim(un);
        if (unsupported != null) {
            // weft does not enforce it: refused rather than admitted with less restriction
            return deny("Authorized user on account \"" + account + "\" refused: " + unsupported);
        }
        String userIssuerAccount = un.path("issuer_account").asText("");
        String placement;
        Permissions defaults = null;
        long maxSubs = -1;
        long maxPayload = -1;
        if (mode == null) {
            if (!userIssuerAccount.isEmpty()) {
                return deny("Error non operator mode account \"" + account + "\": attempted to use issuer_account");
            }
            if (!user.issuer().equals(cfg.issuer())) {
                return deny("Wrong issuer for auth callout response on account \"" + account + "\", expected \""
                        + cfg.issuer() + "\" got \"" + user.issuer() + "\"");
            }
            placement = user.claims().path("aud").asText("");
            if (!e.accounts().contains(placement)) {
                return deny("No valid account \"" + placement + "\" for auth callout response on account \"" + account
                        + "\": account missing");
            }
        } else {
            // operator mode: the user is placed in the account that issued it (itself or through a signing key)
            placement = userIssuerAccount.isEmpty() ? user.issuer() : userIssuerAccount;
            if (!placement.equals(account) && !cfg.allowedAccounts().isEmpty()
                    && new OperatorMode.ExternalAuth(cfg.authUsers(), cfg.allowedAccounts(), null).allows(placement)) {
                // allowed: another account the callout account may place users in
            } else if (!placement.equals(account)) {
                return deny("Account \"" + user.issuer() + "\" not permitted as valid account option for auth callout for account \""
                        + account + "\"");
            }
            OperatorMode.AccountClaims target = mode.accounts().get(placement);
            if (target == null) {
                return deny("No valid account \"" + placement + "\" for auth callout response on account \"" + account
                        + "\": account missing");
            }
            boolean issuerKnown = user.issuer().equals(target.publicKey())
                    ? userIssuerAccount.isEmpty() || userIssuerAccount.equals(target.publicKey())
                    : target.signingKeys().contains(user.issuer());
            if (!issuerKnown) {
                return deny("User JWT issuer \"" + user.issuer() + "\" is not known");
            }
            if (target.scope(user.issuer()) != null) {
                // not done yet for callout users: refused rather than admitted without the scope's template
                return deny("Authorized user on account \"" + account + "\" refused: signed by scoped signing key "
                        + user.issuer() + ", which weft does not support for auth callout responses yet");
            }
            defaults = target.defaultPermissions();
            maxSubs = target.maxSubs();
            maxPayload = target.maxPayload();
        }
        Permissions perms = OperatorMode.permissions(un);
        if (perms == null) {
            perms = defaults;
        }
        if (placement.equals(account)) {
            perms = denyPublish(perms, SUBJECT);
        }
        String name = user.claims().path("name").asText("");
        return new AuthResult.Allowed(placement, name.isEmpty() ? user.subject() : name, perms, user.expires(),
                maxSubs, maxPayload);
    }

    /** {@code perms} with {@code subject} added to the publish deny list (nats-server's mergeDenyPermissions). */
    public static Permissions denyPublish(Permissions perms, String subject) {
        if (perms == null) {
            return new Permissions(new Permissions.SubjectPermission(List.of(), List.of(subject)), null, null);
        }
        Permissions.SubjectPermission pub = perms.publish();
        List<String> allow = pub == null ? List.of() : pub.allow();
        List<String> deny = new ArrayList<>(pub == null ? List.of() : pub.deny());
        if (!deny.contains(subject)) {
            deny.add(subject);
        }
        return new Permissions(new Permissions.SubjectPermission(allow, List.copyOf(deny)), perms.subscribe(), perms.response());
    }

    private static AuthResult deny(String reason) {
        return new AuthResult.Denied(reason);
    }

    static String titleCase(String s) {
        return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }

    private static boolean startsWith(byte[] b, String prefix) {
        if (b.length < prefix.length()) {
            return false;
        }
        for (int i = 0; i < prefix.length(); i++) {
            if (b[i] != prefix.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private static void putIf(ObjectNode o, String field, String value) {
        if (value != null && !value.isEmpty()) {
            o.put(field, value);
        }
    }

    private static String nz(String s) {
        return s == null ? "" : s;
    }
}
