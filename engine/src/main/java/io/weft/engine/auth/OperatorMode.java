package io.weft.engine.auth;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Decentralized (JWT) authentication with a memory resolver, as nats-server's {@code operator} +
 * {@code resolver: MEMORY} + {@code resolver_preload} do it. Built once from the operator JWTs and
 * the preloaded account JWTs; every account claim weft cannot enforce makes {@link #build} throw
 * (the server then refuses to start), so no limit in a JWT is silently ignored.
 *
 * <p>A CONNECT must carry a user JWT issued by a preloaded account (or one of its signing keys,
 * with {@code issuer_account} naming the account) and, unless the JWT is a bearer token, the
 * nonce signed by the user's nkey.
 */
public final class OperatorMode {

    /** A preloaded account JWT, checked. {@code jetstream} null: JetStream disabled for it. */
    public record AccountClaims(String publicKey, String name, Jwt jwt, Set<String> signingKeys,
                                Map<String, Long> revocations, boolean disallowBearer, Permissions defaultPermissions,
                                AccountConfig.JetStreamLimits jetstream, List<Exports.Export> exports,
                                List<Exports.Import> imports, long maxConnections, ExternalAuth externalAuth,
                                Map<String, JsonNode> scopes, List<String> tags, long maxSubs, long maxPayload,
                                List<ExportAuth> exportAuth, List<String> importTokens, AuthConfig.MsgTraceConfig trace) {
        /** The same account with only these imports (those whose activation checks passed). */
        AccountClaims withImports(List<Exports.Import> kept, List<String> keptTokens) {
            return new AccountClaims(publicKey, name, jwt, signingKeys, revocations, disallowBearer, defaultPermissions,
                    jetstream, exports, List.copyOf(kept), maxConnections, externalAuth, scopes, tags, maxSubs, maxPayload,
                    exportAuth, List.copyOf(keptTokens), trace);
        }

        /** The template of a scoped signing key ({@code user_scope}), or null for a plain signing key or none. */
        public JsonNode scope(String signingKey) {
            return scopes.get(signingKey);
        }
    }

    /**
     * An account JWT's {@code authorization} claim (external authorization, ADR-26): users of the
     * account other than {@code authUsers} are decided by the callout service; it may place them
     * in the {@code allowedAccounts} ({@code *}: any); {@code xkey} null: no encryption.
     */
    /**
     * What an export asks of its importers beyond being public: {@code token_req} (an activation
     * token in the import) and the export's {@code revocations} of activations (importing
     * account key or {@code *} -> tokens issued at or before that time are revoked).
     */
    public record ExportAuth(boolean tokenRequired, Map<String, Long> revocations) {
    }

    public record ExternalAuth(List<String> authUsers, List<String> allowedAccounts, String xkey) {
        public boolean allows(String account) {
            return allowedAccounts.size() == 1 && allowedAccounts.get(0).equals("*") || allowedAccounts.contains(account);
        }
    }

    /**
     * True for the system account while the full resolver holds no JWT for it: nats-server then
     * runs a "bootstrapping" system account whose own users may connect (and push its JWT).
     */
    public boolean bootstraps(String account) {
        return resolver != null && account.equals(systemAccount) && !accounts.containsKey(account);
    }

    /** Whether users of this account may be let in: it has a JWT, or it is the bootstrapping system account. */
    public boolean knows(String account) {
        return accounts.containsKey(account) || bootstraps(account);
    }

    /** The account's {@code limits.conn} (-1: no limit), or -1 for an account not known. */
    public long maxConnections(String account) {
        AccountClaims a = accounts.get(account);
        return a == null ? -1 : a.maxConnections();
    }

    private final Set<String> trustedKeys;
    private final Map<String, AccountClaims> accounts;
    private final String systemAccount;
    /** What {@link #build} was given, so {@link #withAccounts} can build the next one the same way. */
    private final List<String> operatorJwts;
    private final List<String> trustedOperatorKeys;
    private final Set<String> operatorSubjects;
    /** The full resolver's settings; null with {@code resolver: MEMORY}. */
    private final Resolver resolver;
    private final List<String> warnings;
    private final long activationExpiry;

    /**
     * {@code resolver { type: full, dir, allow_delete, hard_delete, limit }}: account JWTs live in
     * {@code dir} as {@code <public key>.jwt} and are updated through the system account.
     * {@code limit} is the most account JWTs the directory holds (nats-server refuses more).
     */
    public record Resolver(String dir, boolean allowDelete, boolean hardDelete, long limit) {
    }

    private OperatorMode(Set<String> trustedKeys, Map<String, AccountClaims> accounts, String systemAccount,
                         List<String> operatorJwts, List<String> trustedOperatorKeys, Set<String> operatorSubjects,
                         Resolver resolver, List<String> warnings, long activationExpiry) {
        this.warnings = warnings;
        this.activationExpiry = activationExpiry;
        this.trustedKeys = trustedKeys;
        this.accounts = accounts;
        this.systemAccount = systemAccount;
        this.operatorJwts = operatorJwts;
        this.trustedOperatorKeys = trustedOperatorKeys;
        this.operatorSubjects = operatorSubjects;
        this.resolver = resolver;
    }

    public static OperatorMode build(List<String> operatorJwts, List<String> trustedOperatorKeys,
                                     Map<String, String> preload, long nowSeconds) {
        return build(operatorJwts, trustedOperatorKeys, preload, nowSeconds, null);
    }

    /** The full resolver's settings, or null for the memory resolver. */
    public Resolver resolver() {
        return resolver;
    }

    /**
     * The operator keys that may sign a delete request of the full resolver: the (first)
     * operator's own key unless it is strict, and its signing keys, as nats-server's.
     */
    public Set<String> operatorSubjects() {
        return operatorSubjects;
    }

    /** Account public key -> its JWT as given. */
    public Map<String, String> accountJwts() {
        Map<String, String> out = new LinkedHashMap<>();
        accounts.forEach((k, v) -> out.put(k, v.jwt().token()));
        return out;
    }

    /**
     * The same operators with these account JWTs instead; throws IllegalArgumentException (with
     * the account and claim) when one of them cannot be enforced, leaving this one as it is.
     */
    public OperatorMode withAccounts(Map<String, String> accountJwts, long nowSeconds) {
        return build(operatorJwts, trustedOperatorKeys, accountJwts, nowSeconds, resolver);
    }

    /**
     * Checks the operator JWTs ({@code trustedOperatorKeys} are extra {@code trusted_keys}) and
     * the preloaded account JWTs (public key -> JWT). {@code nowSeconds} is only used for the
     * operator JWTs' expiry, as nats-server checks it at start. {@code resolver} null: the
     * memory resolver.
     */
    public static OperatorMode build(List<String> operatorJwts, List<String> trustedOperatorKeys,
                                     Map<String, String> preload, long nowSeconds, Resolver resolver) {
        Set<String> trusted = new LinkedHashSet<>();
        Set<String> deleters = new LinkedHashSet<>();
        String system = null;
        for (String token : operatorJwts) {
            Jwt op = decode(token, "operator JWT");
            if (!"operator".equals(op.type())) {
                throw new IllegalArgumentException("operator JWT: not an operator JWT (type \"" + op.type() + "\")");
            }
            if (!op.issuer().equals(op.subject()) || op.issuerKind() != 'O') {
                throw new IllegalArgumentException("operator JWT: not self-signed by an operator key");
            }
            String why = op.validAt(nowSeconds);
            if (why != null) {
                throw new IllegalArgumentException("operator JWT: " + why);
            }
            refuseUnknown(op.nats(), "operator JWT", Set.of("type", "version", "signing_keys", "system_account",
                    "account_server_url", "operator_service_urls", "tags", "strict_signing_key_usage", "assert_server_version"));
            if (op.nats().path("strict_signing_key_usage").asBoolean(false)) {
                throw new IllegalArgumentException("operator JWT: strict_signing_key_usage is not supported by weft");
            }
            trusted.add(op.subject());
            boolean first = deleters.isEmpty();
            if (first) {
                deleters.add(op.subject());
            }
            for (JsonNode k : op.nats().path("signing_keys")) {
                trusted.add(k.asText());
                if (first) {
                    deleters.add(k.asText());
                }
            }
            String sys = op.nats().path("system_account").asText("");
            if (!sys.isEmpty()) {
                system = sys;
            }
        }
        for (String k : trustedOperatorKeys) {
            if (k.isEmpty() || k.charAt(0) != 'O') {
                throw new IllegalArgumentException("trusted_keys: \"" + k + "\" is not an operator public key");
            }
            Nkeys.decodePublicKey(Nkeys.Type.OPERATOR, k);
            trusted.add(k);
        }
        if (trusted.isEmpty()) {
            throw new IllegalArgumentException("operator mode needs at least one operator JWT or trusted key");
        }
        Map<String, AccountClaims> accounts = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : preload.entrySet()) {
            accounts.put(e.getKey(), account(e.getKey(), e.getValue(), trusted));
        }
        List<String> warnings = new ArrayList<>();
        long activationExpiry = 0;
        for (AccountClaims a : List.copyOf(accounts.values())) {
            List<Exports.Import> kept = new ArrayList<>();
            List<String> keptTokens = new ArrayList<>();
            for (int i = 0; i < a.imports().size(); i++) {
                Exports.Import im = a.imports().get(i);
                String token = a.importTokens().get(i);
                AccountClaims from = accounts.get(im.account());
                if (from == null) {
                    throw new IllegalArgumentException("account " + a.publicKey() + ": import from account "
                            + im.account() + ", which is not preloaded");
                }
                int x = exportFor(from, im, a.publicKey());
                if (x < 0) {
                    throw new IllegalArgumentException("account " + a.publicKey() + ": imports \"" + im.subject()
                            + "\", which account " + im.account() + " does not export to it");
                }
                ExportAuth auth = from.exportAuth().get(x);
                if (auth.tokenRequired()) {
                    // nats-server leaves out an import whose activation does not check, and keeps the account
                    long exp = activationExpiry(from, auth, a.publicKey(), im, token, nowSeconds);
                    if (exp < 0) {
                        warnings.add("Error adding " + (im.service() ? "service" : "stream") + " import to account ["
                                + a.publicKey() + "]: " + (im.service() ? "service" : "stream") + " import not authorized"
                                + " (subject \"" + im.subject() + "\": the activation token does not check)");
                        continue;
                    }
                    if (exp > 0 && (activationExpiry == 0 || exp < activationExpiry)) {
                        activationExpiry = exp;
                    }
                }
                kept.add(im);
                keptTokens.add(token);
            }
            if (kept.size() != a.imports().size()) {
                accounts.put(a.publicKey(), a.withImports(kept, keptTokens));
            }
        }
        return new OperatorMode(Collections.unmodifiableSet(trusted), Collections.unmodifiableMap(accounts), system,
                List.copyOf(operatorJwts), List.copyOf(trustedOperatorKeys), Collections.unmodifiableSet(deleters),
                resolver, List.copyOf(warnings), activationExpiry);
    }

    /** The index of the export of {@code from} that {@code im} imports (nats-server's order: exact, then subset), or -1. */
    private static int exportFor(AccountClaims from, Exports.Import im, String importer) {
        for (int pass = 0; pass < 2; pass++) {
            for (int x = 0; x < from.exports().size(); x++) {
                Exports.Export e = from.exports().get(x);
                boolean match = pass == 0 ? e.subject().equals(im.subject())
                        : io.weft.store.Subjects.isSubsetMatch(im.subject(), e.subject());
                if (e.service() == im.service() && match && e.allows(importer)) {
                    return x;
                }
            }
        }
        return -1;
    }

    /**
     * Checks an import's activation token as nats-server does: an {@code activation} JWT whose
     * subject is the importing account, issued by the exporting account (or, with
     * {@code issuer_account} naming it, by one of its signing keys), of the import's kind, whose
     * subject contains the import's, valid now and not revoked by the export. Returns -1 when it
     * does not check, else its {@code exp} (0: none).
     */
    static long activationExpiry(AccountClaims exporter, ExportAuth auth, String importer, Exports.Import im,
                                 String token, long nowSeconds) {
        if (token == null || token.isEmpty()) {
            return -1;
        }
        Jwt act;
        try {
            act = Jwt.decode(token);
        } catch (Jwt.JwtException e) {
            return -1;
        }
        if (!"activation".equals(act.type()) || !act.subject().equals(importer)) {
            return -1;
        }
        JsonNode n = act.nats();
        String issuerAccount = n.path("issuer_account").asText("");
        if (!(act.issuer().equals(exporter.publicKey()) || issuerAccount.equals(exporter.publicKey()))) {
            return -1;
        }
        if (!issuerAccount.isEmpty() && !exporter.signingKeys().contains(act.issuer())) {
            return -1;
        }
        String kind = n.path("kind").asText("");
        if (!kind.equals(im.service() ? "service" : "stream")) {
            return -1;
        }
        String subject = n.path("subject").asText("");
        if (subject.isEmpty() || !ScopedTemplate.validSubject(subject)
                || !io.weft.store.Subjects.isSubsetMatch(im.subject(), subject)) {
            return -1;
        }
        if (act.validAt(nowSeconds) != null || (act.expires() != 0 && act.expires() <= nowSeconds)) {
            return -1;
        }
        if (revoked(auth.revocations(), act.subject(), act.issuedAt())) {
            return -1;
        }
        return act.expires();
    }

    /**
     * What nats-io/jwt's validation of an account JWT says of an import's activation token, in
     * its words (the token is checked against the export later): null when there is none or it
     * passes.
     */
    static String invalidToken(Exports.Import im, String token, String importer) {
        if (token == null || token.isEmpty()) {
            return null;
        }
        Jwt act;
        try {
            act = Jwt.decode(token);
        } catch (Jwt.JwtException e) {
            return "import \"" + im.subject() + "\" contains an invalid activation token";
        }
        if (!"activation".equals(act.type())) {
            return "import \"" + im.subject() + "\" contains an invalid activation token";
        }
        JsonNode n = act.nats();
        if (!(act.issuer().equals(im.account()) || n.path("issuer_account").asText("").equals(im.account()))) {
            return "activation token doesn't match account for import \"" + im.subject() + "\"";
        }
        if (!act.subject().equals(importer)) {
            return "activation token doesn't match account it is being included in, \"" + im.subject() + "\"";
        }
        String kind = n.path("kind").asText("");
        String type = im.service() ? "service" : "stream";
        if (!kind.equals(type)) {
            return "mismatch between token import type " + kind + " and type of import " + type;
        }
        String subject = n.path("subject").asText("");
        if (subject.isEmpty() || !io.weft.store.Subjects.isSubsetMatch(im.subject(), subject)) {
            return "activation token import subject \"" + subject + "\" doesn't match import \"" + im.subject() + "\"";
        }
        return null;
    }

    /** Why imports were left out when this was built (nats-server logs them at debug level). */
    public List<String> warnings() {
        return warnings;
    }

    /** The earliest {@code exp} of an activation token in use (Unix seconds), 0 for none: then this must be built again. */
    public long activationExpiry() {
        return activationExpiry;
    }

    /** The operator's {@code system_account}, or null when its JWT names none. */
    public String systemAccount() {
        return systemAccount;
    }

    /** The operator keys accounts may be signed by (operators, their signing keys, {@code trusted_keys}). */
    public Set<String> trustedKeys() {
        return trustedKeys;
    }

    public Map<String, AccountClaims> accounts() {
        return accounts;
    }

    private static Jwt decode(String token, String what) {
        try {
            return Jwt.decode(token);
        } catch (Jwt.JwtException e) {
            throw new IllegalArgumentException(what + ": " + e.getMessage());
        }
    }

    private static AccountClaims account(String key, String token, Set<String> trusted) {
        String what = "account " + key;
        Jwt a = decode(token, what);
        if (!"account".equals(a.type())) {
            throw new IllegalArgumentException(what + ": not an account JWT (type \"" + a.type() + "\")");
        }
        if (!a.subject().equals(key)) {
            throw new IllegalArgumentException(what + ": the JWT's subject is " + a.subject());
        }
        if (!trusted.contains(a.issuer())) {
            throw new IllegalArgumentException(what + ": Account JWT not signed by trusted operator");
        }
        JsonNode n = a.nats();
        refuseUnknown(n, what, Set.of("type", "version", "limits", "signing_keys", "revocations", "exports", "imports",
                "default_permissions", "description", "info_url", "tags", "mappings", "authorization", "trace"));
        if (!n.path("mappings").isMissingNode() && !n.path("mappings").isEmpty()) {
            throw new IllegalArgumentException(what + ": account JWT mappings are not supported by weft yet");
        }
        ExternalAuth external = externalAuth(n.path("authorization"), what);
        AuthConfig.MsgTraceConfig trace = traceClaim(n.path("trace"), what);
        Set<String> signingKeys = new LinkedHashSet<>();
        Map<String, JsonNode> scopes = new LinkedHashMap<>();
        for (JsonNode k : n.path("signing_keys")) {
            if (k.isTextual()) {
                signingKeys.add(k.asText());
                scopes.remove(k.asText());
            } else if (k.isObject()) {
                scopes.put(scopeKey(k, what), scopeTemplate(k, what));
                signingKeys.add(k.path("key").asText());
            } else {
                throw new IllegalArgumentException(what + ": signing key " + k + " is neither a key nor a scope");
            }
        }
        Map<String, Long> revocations = new LinkedHashMap<>();
        n.path("revocations").fields().forEachRemaining(f -> revocations.put(f.getKey(), f.getValue().asLong()));
        JsonNode limits = n.path("limits");
        refuseUnknown(limits, what + " limits", Set.of("subs", "data", "payload", "imports", "exports", "wildcards",
                "disallow_bearer", "conn", "leaf", "mem_storage", "disk_storage", "streams", "consumer",
                "max_ack_pending", "mem_max_stream_bytes", "disk_max_stream_bytes", "max_bytes_required", "tiered_limits"));
        JsonNode data = limits.get("data");
        if (data != null && !data.isNull() && data.asLong(0) != -1) {
            throw new IllegalArgumentException(what + ": limits.data = " + data.asLong()
                    + " is not enforced by weft (nats-server 2.15.1 reads it and never applies it); only -1 (no limit) is accepted");
        }
        long conn = limits.path("conn").asLong(0);
        if (conn < -1) {
            throw new IllegalArgumentException(what + ": limits.conn = " + conn + " is not a valid limit");
        }
        for (String f : List.of("leaf")) {
            if (limits.path(f).asLong(0) != -1) {
                throw new IllegalArgumentException(what + ": limits." + f + " = " + limits.path(f).asLong(0)
                        + ", but weft enforces only -1 (no limit) for account " + f + " limits");
            }
        }
        for (String f : List.of("max_ack_pending", "mem_max_stream_bytes", "disk_max_stream_bytes")) {
            long v = limits.path(f).asLong(0);
            if (v != 0 && v != -1) {
                throw new IllegalArgumentException(what + ": limits." + f + " = " + v + " is not supported by weft yet");
            }
        }
        if (limits.path("max_bytes_required").asBoolean(false)) {
            throw new IllegalArgumentException(what + ": limits.max_bytes_required is not supported by weft yet");
        }
        if (!limits.path("tiered_limits").isMissingNode() && !limits.path("tiered_limits").isEmpty()) {
            throw new IllegalArgumentException(what + ": tiered JetStream limits are not supported by weft yet");
        }
        long mem = limits.path("mem_storage").asLong(0);
        long disk = limits.path("disk_storage").asLong(0);
        AccountConfig.JetStreamLimits js = mem == 0 && disk == 0 ? null
                : new AccountConfig.JetStreamLimits(mem, disk, unlimitedIfZero(limits.path("streams").asLong(0)),
                unlimitedIfZero(limits.path("consumer").asLong(0)));
        List<ExportAuth> exportAuth = new ArrayList<>();
        List<Exports.Export> exports = exports(n.path("exports"), what, limits.path("wildcards").asBoolean(false), exportAuth);
        List<String> importTokens = new ArrayList<>();
        List<Exports.Import> imports = imports(n.path("imports"), what, importTokens);
        for (int i = 0; i < imports.size(); i++) {
            String bad = invalidToken(imports.get(i), importTokens.get(i), key);
            if (bad != null) {
                // nats-io/jwt's validation of the account JWT fails (nats-server starts, and the account is unusable)
                throw new IllegalArgumentException(what + ": " + bad);
            }
        }
        long maxExports = limits.path("exports").asLong(0);
        long maxImports = limits.path("imports").asLong(0);
        if (maxExports >= 0 && exports.size() > maxExports) {
            throw new IllegalArgumentException(what + ": " + exports.size() + " exports, limits.exports is " + maxExports);
        }
        if (maxImports >= 0 && imports.size() > maxImports) {
            throw new IllegalArgumentException(what + ": " + imports.size() + " imports, limits.imports is " + maxImports);
        }
        Permissions defaults = permissions(n.path("default_permissions"));
        return new AccountClaims(key, n.path("name").asText(a.claims().path("name").asText(key)), a,
                Collections.unmodifiableSet(signingKeys), Collections.unmodifiableMap(revocations),
                limits.path("disallow_bearer").asBoolean(false), defaults, js, exports, imports, conn, external,
                Collections.unmodifiableMap(scopes), strings(n.path("tags")), clamp(limits.path("subs").asLong(0)),
                clamp(limits.path("payload").asLong(0)), List.copyOf(exportAuth), List.copyOf(importTokens), trace);
    }

    /** A JWT limit as nats-server keeps it: an int32 (bigger values are clamped), -1 for none. */
    static long clamp(long v) {
        return Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, v));
    }

    /** The key of a {@code user_scope} signing key entry; other kinds are refused, as nats-io/jwt refuses them. */
    private static String scopeKey(JsonNode k, String what) {
        refuseUnknown(k, what + " signing key", Set.of("kind", "key", "role", "template", "description"));
        String kind = k.path("kind").asText("");
        String key = k.path("key").asText("");
        if (!kind.equals("user_scope")) {
            throw new IllegalArgumentException(what + ": signing key " + key + " has an unknown scope kind \"" + kind + "\"");
        }
        if (!Nkeys.isValidPublicKey(Nkeys.Type.ACCOUNT, key)) {
            throw new IllegalArgumentException(what + ": scoped signing key \"" + key + "\" is not an account public key");
        }
        return key;
    }

    /**
     * A scope's template, checked as a user JWT's claims are (nats-io/jwt validates the account
     * JWT, scopes included); a claim weft does not know is refused.
     */
    private static JsonNode scopeTemplate(JsonNode k, String what) {
        JsonNode t = k.path("template");
        if (t.isMissingNode() || t.isNull()) {
            return com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
        }
        String w = what + " scoped signing key " + k.path("key").asText() + " template";
        refuseUnknown(t, w, Set.of("pub", "sub", "resp", "src", "times", "times_location", "subs", "data", "payload",
                "bearer_token", "proxy_required", "allowed_connection_types"));
        String bad = invalidUserLimits(t);
        if (bad != null) {
            throw new IllegalArgumentException(w + ": " + bad);
        }
        return t;
    }

    private static ExternalAuth externalAuth(JsonNode a, String what) {
        if (a.isMissingNode() || a.isNull()) {
            return null;
        }
        refuseUnknown(a, what + " authorization", Set.of("auth_users", "allowed_accounts", "xkey"));
        List<String> users = strings(a.path("auth_users"));
        List<String> allowed = strings(a.path("allowed_accounts"));
        String xkey = a.path("xkey").asText("");
        if (users.isEmpty()) {
            if (!allowed.isEmpty()) {
                throw new IllegalArgumentException(what + ": External authorization cannot have accounts without users specified");
            }
            return null;
        }
        for (String u : users) {
            if (!Nkeys.isValidPublicUserKey(u)) {
                throw new IllegalArgumentException(what + ": AuthUser \"" + u + "\" is not a valid user public key");
            }
        }
        for (String acc : allowed) {
            if (acc.equals("*") ? allowed.size() > 1 : !Nkeys.isValidPublicKey(Nkeys.Type.ACCOUNT, acc)) {
                throw new IllegalArgumentException(what + ": Account \"" + acc + "\" is not a valid account public key");
            }
        }
        if (!xkey.isEmpty() && !XKeys.isValidPublicKey(xkey)) {
            throw new IllegalArgumentException(what + ": XKey \"" + xkey + "\" is not a valid public xkey");
        }
        return new ExternalAuth(users, allowed, xkey.isEmpty() ? null : xkey);
    }

    /**
     * An account JWT's {@code trace} ({@code {"dest": subject, "sampling": 1..100}}, nats-io/jwt 2.7):
     * where a sampled W3C {@code traceparent} sends its trace events, as {@code msg_trace} does in a
     * config file. Sampling 0 (unset) is 100. A destination that is not a literal subject, or a
     * sampling outside 0..100, fails the account as nats-io/jwt's validation does.
     */
    static AuthConfig.MsgTraceConfig traceClaim(JsonNode t, String what) {
        if (t.isMissingNode() || t.isNull() || t.isEmpty()) {
            return null;
        }
        refuseUnknown(t, what + " trace", Set.of("dest", "sampling"));
        String dest = t.path("dest").asText("");
        if (!io.weft.store.Subjects.isValidLiteralSubject(dest)) {
            throw new IllegalArgumentException(what + ": trace destination \"" + dest + "\" is not a valid literal subject");
        }
        int sampling = t.path("sampling").asInt(0);
        if (sampling < 0 || sampling > 100) {
            throw new IllegalArgumentException(what + ": trace sampling " + sampling + " is not in the range [1..100]");
        }
        return new AuthConfig.MsgTraceConfig(dest, sampling == 0 ? 100 : sampling);
    }

    private static int unlimitedIfZero(long v) {
        return v <= 0 ? -1 : (int) Math.min(v, Integer.MAX_VALUE);
    }

    private static List<Exports.Export> exports(JsonNode list, String what, boolean wildcards, List<ExportAuth> auth) {
        List<Exports.Export> out = new ArrayList<>();
        for (JsonNode x : list) {
            refuseUnknown(x, what + " export", Set.of("name", "subject", "type", "token_req", "revocations",
                    "response_type", "response_threshold", "service_latency", "account_token_position", "advertise",
                    "allow_trace", "description", "info_url"));
            String subject = x.path("subject").asText("");
            if ((!x.path("service_latency").isMissingNode() && !x.path("service_latency").isNull())
                    || x.path("account_token_position").asInt(0) != 0) {
                throw new IllegalArgumentException(what + ": export \"" + subject
                        + "\" has latency tracking or an account_token_position, which weft does not support in JWTs yet");
            }
            Map<String, Long> actRevocations = new LinkedHashMap<>();
            x.path("revocations").fields().forEachRemaining(f -> actRevocations.put(f.getKey(), f.getValue().asLong()));
            auth.add(new ExportAuth(x.path("token_req").asBoolean(false), Collections.unmodifiableMap(actRevocations)));
            if (!wildcards && (subject.contains("*") || subject.contains(">"))) {
                throw new IllegalArgumentException(what + ": export \"" + subject + "\" has a wildcard, but limits.wildcards is false");
            }
            boolean service = "service".equals(x.path("type").asText());
            Exports.ResponseType rt = Exports.ResponseType.SINGLETON;
            if (x.hasNonNull("response_type")) {
                rt = Exports.ResponseType.named(x.path("response_type").asText());
                if (rt == null) {
                    throw new IllegalArgumentException(what + ": export \"" + subject + "\" has an unknown response_type");
                }
            }
            long threshold = x.path("response_threshold").asLong(0);
            boolean allowTrace = x.path("allow_trace").asBoolean(false);
            if (allowTrace && !service) {
                throw new IllegalArgumentException(what + ": export \"" + subject + "\": AllowTrace only valid for service export");
            }
            out.add(new Exports.Export(service, subject, null, rt,
                    threshold > 0 ? Duration.ofNanos(threshold) : Exports.DEFAULT_THRESHOLD, allowTrace));
        }
        return List.copyOf(out);
    }

    private static List<Exports.Import> imports(JsonNode list, String what, List<String> tokens) {
        List<Exports.Import> out = new ArrayList<>();
        for (JsonNode x : list) {
            refuseUnknown(x, what + " import", Set.of("name", "subject", "account", "token", "to", "local_subject",
                    "type", "share", "allow_trace"));
            String subject = x.path("subject").asText("");
            tokens.add(x.path("token").asText(""));
            if (!x.path("to").asText("").isEmpty() || x.path("share").asBoolean(false)) {
                throw new IllegalArgumentException(what + ": import \"" + subject
                        + "\" uses \"to\" or \"share\", which weft does not support in JWTs yet");
            }
            String local = x.path("local_subject").asText("");
            if (local.contains("$")) {
                throw new IllegalArgumentException(what + ": import \"" + subject
                        + "\" has a local_subject with wildcard references, which weft does not support in JWTs yet");
            }
            boolean service = "service".equals(x.path("type").asText());
            boolean allowTrace = x.path("allow_trace").asBoolean(false);
            if (allowTrace && service) {
                throw new IllegalArgumentException(what + ": import \"" + subject + "\": AllowTrace only valid for stream import");
            }
            out.add(new Exports.Import(service, x.path("account").asText(""), subject, local.isEmpty() ? subject : local,
                    allowTrace));
        }
        return List.copyOf(out);
    }

    private static void refuseUnknown(JsonNode object, String what, Set<String> known) {
        if (object.isMissingNode() || object.isNull()) {
            return;
        }
        object.fieldNames().forEachRemaining(f -> {
            if (!known.contains(f)) {
                throw new IllegalArgumentException(what + ": claim \"" + f + "\" is not supported by weft");
            }
        });
    }

    /** pub/sub/resp of a user JWT or of an account's default_permissions; null when none is set. */
    static Permissions permissions(JsonNode n) {
        if (n.isMissingNode() || n.isNull()) {
            return null;
        }
        Permissions.SubjectPermission pub = subjectPermission(n.path("pub"));
        Permissions.SubjectPermission sub = subjectPermission(n.path("sub"));
        Permissions.ResponsePermission resp = null;
        JsonNode r = n.path("resp");
        if (r.isObject()) {
            int max = r.path("max").asInt(0);
            long ttl = r.path("ttl").asLong(0);
            resp = new Permissions.ResponsePermission(max == 0 ? 1 : max,
                    ttl == 0 ? Duration.ofMinutes(2) : Duration.ofNanos(ttl));
        }
        if (pub == null && sub == null && resp == null) {
            return null;
        }
        return new Permissions(pub, sub, resp);
    }

    private static Permissions.SubjectPermission subjectPermission(JsonNode p) {
        List<String> allow = strings(p.path("allow"));
        List<String> deny = strings(p.path("deny"));
        return allow.isEmpty() && deny.isEmpty() ? null : new Permissions.SubjectPermission(allow, deny);
    }

    private static List<String> strings(JsonNode list) {
        List<String> out = new ArrayList<>();
        for (JsonNode s : list) {
            out.add(s.asText());
        }
        return List.copyOf(out);
    }

    // ---------------------------------------------------------------- CONNECT

    /** Checks a CONNECT in operator mode; {@code nowSeconds} is the wall clock (from Env). */
    public AuthResult authenticate(Credentials c, String nonce, long nowSeconds) {
        return authenticate(c, nonce, nowSeconds, null);
    }

    /**
     * Checks a CONNECT in operator mode, in nats-server's order; {@code host} is the client's IP
     * address (for the JWT's {@code src}; null: not known, so a JWT with {@code src} is refused).
     */
    public AuthResult authenticate(Credentials c, String nonce, long nowSeconds, String host) {
        if (c == null) {
            c = Credentials.NONE;
        }
        if (Credentials.blank(c.jwt())) {
            return denied(c, "Authentication requires a user JWT");
        }
        Jwt user;
        try {
            user = Jwt.decode(c.jwt());
        } catch (Jwt.JwtException e) {
            return denied(c, "User JWT not valid: " + e.getMessage());
        }
        if (!"user".equals(user.type()) || user.subject().isEmpty() || user.subject().charAt(0) != 'U') {
            return denied(c, "User JWT not valid: not a user JWT");
        }
        JsonNode n = user.nats();
        if (n.path("proxy_required").asBoolean(false)) {
            return denied(c, "proxy connection required"); // weft has no trusted proxies
        }
        String why = user.validAt(nowSeconds);
        if (why == null) {
            why = invalidUserLimits(n);
        }
        if (why != null) {
            return denied(c, "User JWT no longer valid: " + why);
        }
        String issuerAccount = n.path("issuer_account").asText("");
        String accountKey = issuerAccount.isEmpty() ? user.issuer() : issuerAccount;
        AccountClaims account = accounts.get(accountKey);
        if (account == null && bootstraps(accountKey)) {
            // nats-server's bootstrapping system account: no claims yet, users it issued get in
            account = new AccountClaims(accountKey, accountKey, null, Set.of(), Map.of(), false, null, null, List.of(),
                    List.of(), -1, null, Map.of(), List.of(), -1, -1, List.of(), List.of(), null);
        }
        if (account == null) {
            return denied(c, "Account JWT lookup error: account " + accountKey + " not found");
        }
        boolean issuerKnown = user.issuer().equals(account.publicKey())
                ? issuerAccount.isEmpty() || issuerAccount.equals(account.publicKey())
                : account.signingKeys().contains(user.issuer());
        if (!issuerKnown) {
            return denied(c, "User JWT issuer is not known");
        }
        JsonNode scope = account.scope(user.issuer());
        if (scope != null) {
            // a scoped signing key: the user may not set anything itself and gets the template
            if (!ScopedTemplate.hasEmptyPermissions(n)) {
                return denied(c, "User JWT is not valid: scoped users require no permissions or limits set");
            }
            try {
                n = ScopedTemplate.apply(scope, new ScopedTemplate.Context(user.claims().path("name").asText(""),
                        user.subject(), strings(user.nats().path("tags")), account.name(), issuerAccount,
                        account.tags()));
            } catch (ScopedTemplate.TemplateException e) {
                return denied(c, "User JWT generated invalid permissions");
            }
        }
        if (account.jwt() != null && account.jwt().validAt(nowSeconds) != null) {
            return denied(c, "Account JWT has expired");
        }
        boolean bearer = n.path("bearer_token").asBoolean(false);
        if (bearer && account.disallowBearer()) {
            return denied(c, "Account does not allow bearer tokens");
        }
        String types = UserRestrictions.connectionTypeRefusal(n.get("allowed_connection_types"));
        if (types != null) {
            return denied(c, types);
        }
        if (!bearer) {
            if (Credentials.blank(c.sig())) {
                return denied(c, "Signature missing");
            }
            if (Nkeys.decodeSignature(c.sig()) == null) {
                return denied(c, "Signature not valid base64");
            }
            if (!Nkeys.verifyNonceSignature(user.subject(), nonce, c.sig())) {
                return denied(c, "Signature not verified");
            }
        }
        if (revoked(account.revocations(), user.subject(), user.issuedAt())) {
            return denied(c, "User authentication revoked");
        }
        if (!UserRestrictions.srcAllows(UserRestrictions.cidrs(n.get("src")), host)) {
            return deniedLoud(c, "Bad src Ip " + host);
        }
        long expires = user.expires();
        java.util.List<UserRestrictions.TimeRange> ranges = UserRestrictions.times(n.get("times"));
        if (ranges != null && !ranges.isEmpty()) {
            java.time.ZoneId zone = UserRestrictions.zone(n.path("times_location").asText(""));
            long left = zone == null ? -1 : UserRestrictions.secondsLeft(ranges, zone, nowSeconds);
            if (left < 0) {
                return deniedLoud(c, "Outside connect times");
            }
            // nats-server's setExpiration: the sooner of the JWT's exp and the end of the range
            if (left > 0 && (expires == 0 || nowSeconds + left < expires)) {
                expires = nowSeconds + left;
            }
        }
        JsonNode data = n.get("data");
        if (data != null && !data.isNull() && data.asLong(0) != -1) {
            // nats-server 2.15.1 reads this limit and never applies it; weft will not accept a limit it does not apply
            return deniedLoud(c, "user limit data = " + data.asLong() + " is not enforced by weft; the user is refused "
                    + "rather than let in without it");
        }
        Permissions perms = permissions(n);
        if (perms == null) {
            perms = account.defaultPermissions();
        }
        long subs = minLimit(clamp(n.path("subs").asLong(0)), account.maxSubs());
        long payload = minLimit(clamp(n.path("payload").asLong(0)), account.maxPayload());
        return new AuthResult.Allowed(account.publicKey(), user.subject(), perms, expires, subs, payload);
    }

    /** nats-server's minLimit: -1 is no limit, otherwise the smaller. */
    public static long minLimit(long a, long b) {
        if (a == -1) {
            return b;
        }
        if (b == -1) {
            return a;
        }
        return Math.min(a, b);
    }

    /**
     * What nats-io/jwt's validation refuses in a user's (or a scope's) {@code src},
     * {@code times} and {@code times_location}, in its words; null when they are fine.
     */
    static String invalidUserLimits(JsonNode n) {
        for (String cidr : UserRestrictions.cidrs(n.get("src"))) {
            if (!UserRestrictions.validCidr(cidr)) {
                return "invalid cidr \"" + cidr + "\" in user src limits";
            }
        }
        if (UserRestrictions.times(n.get("times")) == null) {
            return "time ranges must have a valid start and end";
        }
        String loc = n.path("times_location").asText("");
        if (!loc.isEmpty() && UserRestrictions.zone(loc) == null) {
            return "could not parse iana time zone by name: unknown time zone " + loc;
        }
        return null;
    }

    /** nats-server's rule: revoked when an entry for the key (or {@code *}) is at or after the JWT's iat. */
    static boolean revoked(Map<String, Long> revocations, String key, long issuedAt) {
        Long t = revocations.get(key);
        if (t != null && t >= issuedAt) {
            return true;
        }
        Long all = revocations.get("*");
        return all != null && all >= issuedAt;
    }

    /**
     * A user claim weft cannot enforce yet (so the user is refused rather than let in with less
     * restriction than its JWT states), or null.
     */
    static String unsupportedUserClaim(JsonNode n) {
        for (String f : List.of("subs", "data", "payload")) {
            JsonNode v = n.get(f);
            if (v != null && v.asLong(0) != -1) {
                return "user limit " + f + " = " + v.asLong() + " is not supported by weft yet";
            }
        }
        for (String f : List.of("src", "times")) {
            JsonNode v = n.get(f);
            if (v != null && !v.isNull() && !v.isEmpty()) {
                return "user claim " + f + " is not supported by weft yet";
            }
        }
        JsonNode types = n.path("allowed_connection_types");
        if (!types.isEmpty()) {
            boolean standard = false;
            for (JsonNode t : types) {
                standard |= "STANDARD".equals(t.asText());
            }
            if (!standard) {
                return "connection type STANDARD not allowed";
            }
        }
        return null;
    }

    /**
     * nats-server's error line names what the CONNECT presented: its nkey, user or token, else
     * {@code JWT User ""} (the user's key is only known to it once the JWT passed every check).
     */
    private static AuthResult denied(Credentials c, String detail) {
        String who;
        if (!Credentials.blank(c.nkey())) {
            who = "Nkey \"" + c.nkey() + "\"";
        } else if (!Credentials.blank(c.user())) {
            who = "User \"" + c.user() + "\"";
        } else if (!Credentials.blank(c.jwt())) {
            who = "JWT User \"\"";
        } else if (!Credentials.blank(c.authToken())) {
            who = "Token \"[REDACTED]\"";
        } else {
            who = "User \"N/A\"";
        }
        return new AuthResult.Denied("authentication error - " + who, detail);
    }

    /**
     * As {@link #denied}, for the refusals nats-server logs at error level (a {@code src} the
     * client is not in, a connect outside the {@code times}) rather than at debug level: the
     * detail goes in front of the usual error line.
     */
    private static AuthResult deniedLoud(Credentials c, String detail) {
        AuthResult.Denied d = (AuthResult.Denied) denied(c, detail);
        return new AuthResult.Denied(d.reason(), detail, true);
    }
}
