package io.weft.server.config;

import io.weft.engine.auth.Nkeys;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import io.weft.engine.ServerOptions;
import io.weft.engine.auth.AccountConfig;
import io.weft.engine.auth.AuthConfig;
import io.weft.engine.auth.NkeyUser;
import io.weft.engine.auth.Permissions;
import io.weft.engine.auth.User;
import io.weft.engine.route.Routes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;

/**
 * Maps a parsed nats-server configuration onto {@link ServerOptions}. Values not in the file come
 * from weft's defaults ({@code reference.conf} under {@code weft}, overridable with {@code WEFT_*}
 * environment variables), so the defaults and the file form one layered view.
 *
 * <p>Option names match without regard to case, as in nats-server. Unknown top-level fields are
 * errors ({@code unknown field "x"}), as in nats-server 2.9, unless the key is only used as a
 * {@code $variable}. Fields nats-server knows but weft does not implement yet (cluster, gateway,
 * leafnodes, ...) are accepted and reported in {@link MappedConfig#warnings()}, unless they are
 * security options: those are refused ({@link #REFUSED}), never ignored. All problems found are
 * reported together in one {@link ConfigException}.
 */
public final class OptionsMapper {
    /**
     * Top-level fields nats-server accepts that weft ignores for now (with a warning). None of them
     * is a security option: ignoring one opens no port and admits no client that nats-server would
     * refuse. The security options nested in the listener blocks among them ({@code cluster},
     * {@code gateway}, {@code leafnodes}, {@code websocket}, {@code mqtt}) are refused, see
     * {@link #NESTED_SECURITY}.
     */
    static final Set<String> IGNORED_TOP_LEVEL = Set.of(
            "gateway", "leafnodes", "leaf", "websocket", "ws", "mqtt",
            "syslog", "remote_syslog", "log_size_limit", "trace_verbose", "ports_file_dir", "prof_port",
            "max_traced_msg_len", "connect_error_reports", "reconnect_error_reports", "http_base_path",
            "default_js_domain");
    /**
     * Top-level security options weft does not implement yet. Each one makes the configuration
     * invalid (so {@code weft serve} refuses to start, {@code -t} fails and a reload is refused):
     * running without an option the operator relies on for security would leave the server
     * silently less secure than the file says.
     */
    static final Set<String> REFUSED_TOP_LEVEL = Set.of(
            "allow_non_tls", "ocsp", "ocsp_cache",
            "resolver_pinned_accounts", "resolver_tls");
    /** Keys of the client {@code tls} block that weft does not implement yet. */
    static final Set<String> REFUSED_TLS = Set.of("cert_store", "cert_match", "cert_match_by",
            "cert_match_skip_invalid", "ca_certs_match", "ocsp_peer", "certs", "allow_insecure_cipher_suites",
            "connection_rate_limit", "verify_cert_and_check_known_urls");
    /** Keys of an {@code authorization} block that are security options weft does not implement yet. */
    static final Set<String> REFUSED_AUTHORIZATION = Set.of();
    /** Keys of a user entry that are security options weft does not implement yet. */
    static final Set<String> REFUSED_USER = Set.of("allowed_connection_types", "connection_types");
    /** Keys of an account block that are security options weft does not implement yet. */
    static final Set<String> REFUSED_ACCOUNT = Set.of("nkey", "limits",
            "default_permissions", "users_limit");
    /** Keys of the {@code jetstream} block that are security options (encryption at rest) weft does not implement. */
    static final Set<String> REFUSED_JETSTREAM = Set.of("cipher", "key", "encryption", "prev_key", "prev_encryption_key");
    /**
     * Security keys that make a listener block weft ignores ({@code cluster}, {@code gateway},
     * {@code leafnodes}, {@code websocket}, {@code mqtt}) invalid, at any depth. Weft opens none of
     * these listeners, but a file that secures one states a security intent weft cannot honour, and
     * the block will not stay ignored forever.
     */
    static final Set<String> NESTED_SECURITY = Set.of("tls", "authorization", "no_auth_user", "users", "user",
            "username", "password", "pass", "token", "nkey", "credentials", "permissions", "jwt_cookie",
            "user_cookie", "pass_cookie", "token_cookie", "account", "allowed_connection_types", "compression_tls");
    /** The listener blocks {@link #NESTED_SECURITY} applies to. */
    static final Set<String> LISTENER_BLOCKS = Set.of("cluster", "gateway", "leafnodes", "leaf", "websocket", "ws", "mqtt");
    /** Phrase every refusal ends with, so tools (and the differential tests) can tell a refusal from an error. */
    public static final String REFUSED = "is a security option weft does not implement yet; weft refuses to start rather than ignore it";
    /** Phrase for a cluster option weft does not implement yet: refused, never ignored. */
    public static final String REFUSED_CLUSTER = "is a cluster option weft does not implement yet; weft refuses to start rather than ignore it";
    /** What a refused resolver's error adds: the one weft has. */
    static final String RESOLVERS_SUPPORTED = " (weft supports resolver: MEMORY with resolver_preload and the full "
            + "resolver, resolver { type: full, dir: ... }; the URL and cache resolvers are not implemented yet)";
    private static final Set<String> SILENTLY_IGNORED = Set.of("disable_sublist_cache", "no_sublist_cache");
    private static final Set<String> IGNORED_JETSTREAM = Set.of("max_outstanding_catchup",
            "max_buffered_msgs", "max_buffered_size", "max_ack_pending");
    /** Keys of {@code jetstream { limits { } }} weft does not implement yet (warned about; the {@code batch} block is read). */
    private static final Set<String> IGNORED_JETSTREAM_LIMITS = Set.of("max_ack_pending", "max_ha_assets",
            "max_request_batch", "duplicate_window");
    private static final Set<String> IGNORED_ACCOUNT = Set.of("js");

    private final Config defaults;

    /** A mapper whose defaults are {@code reference.conf} with {@code WEFT_*} overrides from the process environment. */
    public OptionsMapper() {
        this(System::getenv);
    }

    /** A mapper whose defaults are {@code reference.conf} with {@code WEFT_*} overrides looked up with {@code env}. */
    public OptionsMapper(Function<String, String> env) {
        this.defaults = layeredDefaults(env);
    }

    /** The {@code weft} defaults: reference.conf, then {@code WEFT_<KEY>} environment overrides. */
    public static Config layeredDefaults(Function<String, String> env) {
        Config ref = ConfigFactory.parseResources(OptionsMapper.class.getClassLoader(), "reference.conf")
                .resolve().getConfig("weft");
        Config result = ref;
        for (String key : ref.root().keySet()) {
            String override = env.apply("WEFT_" + key.toUpperCase(Locale.ROOT));
            if (override != null) {
                result = result.withValue(key, ConfigValueFactory.fromAnyRef(override, "environment WEFT_" + key.toUpperCase(Locale.ROOT)));
            }
        }
        return result;
    }

    private Duration lameDuckMinimum() {
        try {
            return defaults.getDuration("lame_duck_minimum");
        } catch (com.typesafe.config.ConfigException e) {
            return Duration.ofSeconds(30);
        }
    }

    /** Options holding only the layered defaults (no config file). */
    public ServerOptions defaultOptions() {
        List<String> problems = new ArrayList<>();
        ServerOptions o = fromDefaults(problems);
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        return o;
    }

    private ServerOptions fromDefaults(List<String> problems) {
        ServerOptions o = new ServerOptions();
        try {
            Config d = defaults;
            o.host = d.getString("host");
            o.port = d.getInt("port");
            o.serverName = d.getString("server_name");
            o.httpHost = d.getString("http_host");
            o.httpPort = d.getInt("http_port");
            o.maxPayload = d.getBytes("max_payload");
            o.maxControlLine = d.getInt("max_control_line");
            o.maxConnections = d.getInt("max_connections");
            o.maxSubscriptions = d.getInt("max_subscriptions");
            o.maxPending = d.getBytes("max_pending");
            o.authTimeout = d.getDuration("auth_timeout");
            o.pingInterval = d.getDuration("ping_interval");
            o.pingMax = d.getInt("ping_max");
            o.writeDeadline = d.getDuration("write_deadline");
            o.noHeaderSupport = d.getBoolean("no_header_support");
            o.noFastProducerStall = d.getBoolean("no_fast_producer_stall");
            o.jetstream = d.getBoolean("jetstream");
            o.storeDir = d.getString("store_dir");
            o.jetstreamMaxMemory = d.getLong("max_memory_store");
            o.jetstreamMaxStore = d.getLong("max_file_store");
            o.jetstreamDomain = d.getString("domain");
            o.debug = d.getBoolean("debug");
            o.trace = d.getBoolean("trace");
            o.logTime = d.getBoolean("logtime");
            o.logFile = d.getString("log_file");
            o.pidFile = d.getString("pid_file");
            o.lameDuckDuration = d.getDuration("lame_duck_duration");
            o.lameDuckGracePeriod = d.getDuration("lame_duck_grace_period");
        } catch (com.typesafe.config.ConfigException e) {
            problems.add("weft defaults: " + e.getMessage());
        }
        return o;
    }

    /** Maps a parsed file onto the layered defaults. Throws ConfigException listing every problem found. */
    public MappedConfig map(ConfigMap top) {
        return new Mapping().run(top);
    }

    /** One mapping pass: collects problems and warnings. */
    private final class Mapping {
        private final List<String> problems = new ArrayList<>();
        private final List<String> warnings = new ArrayList<>();
        /** The subset of {@link #warnings} that nats-server's {@code -t} rejects. */
        private final List<String> strictErrors = new ArrayList<>();
        private Duration syncInterval;
        private ConfigMap.Entry maxPayloadEntry;
        private ConfigMap.Entry noAuthUserEntry;
        /** Users and nkeys with the entry that declared their account, for the cross-check. */
        private final List<ConfigMap.Entry> accountRefs = new ArrayList<>();
        /** JWT operator mode: the operator JWTs read, the trusted keys, the resolver and its preloads. */
        private final List<String> operatorJwts = new ArrayList<>();
        private ConfigMap.Entry operatorEntry;
        private ConfigMap.Entry calloutEntry;
        private final List<String> trustedKeys = new ArrayList<>();
        private ConfigMap.Entry trustedEntry;
        private ConfigMap.Entry resolverEntry;
        private final Map<String, String> preload = new java.util.LinkedHashMap<>();
        private ConfigMap.Entry preloadEntry;
        /** {@code resolver { type: full }}; null for the memory resolver. */
        private io.weft.engine.auth.OperatorMode.Resolver fullResolver;

        MappedConfig run(ConfigMap top) {
            ServerOptions o = fromDefaults(problems);
            AuthConfig auth = new AuthConfig();
            o.auth = auth;
            for (ConfigMap.Entry e : top.entries()) {
                try {
                    topLevel(o, auth, e, top);
                } catch (ConfigException ce) {
                    problems.addAll(ce.problems());
                }
            }
            crossCheck(o, auth);
            operatorMode(o, auth);
            checkLinks(o, auth);
            if (!problems.isEmpty()) {
                throw new ConfigException(problems);
            }
            return new MappedConfig(o, warnings, syncInterval, strictErrors);
        }

        private void problem(Position at, String message) {
            problems.add(at + ": " + message);
        }

        private void topLevel(ServerOptions o, AuthConfig auth, ConfigMap.Entry e, ConfigMap top) {
            String key = e.key().toLowerCase(Locale.ROOT);
            switch (key) {
                case "listen" -> {
                    HostPort hp = hostPort(e, o.host);
                    o.host = hp.host();
                    if (hp.port() != null) {
                        o.port = hp.port();
                    }
                }
                case "host", "net" -> o.host = string(e);
                case "port" -> o.port = port(e);
                case "server_name" -> {
                    // nats-server 2.9 accepts spaces in server_name; so does weft.
                    o.serverName = string(e);
                }
                case "client_advertise" -> o.clientAdvertise = string(e);
                case "http" -> {
                    HostPort hp = hostPort(e, o.httpHost);
                    o.httpHost = hp.host();
                    if (hp.port() != null) {
                        o.httpPort = hp.port();
                    }
                }
                case "http_port", "monitor_port" -> o.httpPort = port(e);
                case "https" -> {
                    HostPort hp = hostPort(e, o.httpHost);
                    o.httpHost = hp.host();
                    if (hp.port() != null) {
                        o.httpsPort = hp.port();
                    }
                }
                case "https_port" -> o.httpsPort = port(e);
                case "http_host" -> o.httpHost = string(e);
                case "max_payload" -> {
                    long v = integer(e);
                    if (v > ServerOptions.MAX_PAYLOAD_LIMIT) {
                        throw err(e.value(), "max_payload (" + v + ") cannot be higher than " + ServerOptions.MAX_PAYLOAD_LIMIT + " (64MB)");
                    }
                    if (v < 0) {
                        throw err(e.value(), "max_payload must not be negative, got " + v);
                    }
                    if (v > 0) {
                        // 0 keeps the default, as in nats-server.
                        o.maxPayload = v;
                    }
                    maxPayloadEntry = e;
                }
                case "max_control_line" -> {
                    int v = nonNegativeInt(e);
                    if (v > 0) {
                        // 0 keeps the default, as in nats-server.
                        o.maxControlLine = v;
                    }
                }
                case "max_connections", "max_conn" -> o.maxConnections = intValue(e);
                case "max_subscriptions", "max_subs" -> o.maxSubscriptions = intValue(e);
                case "max_pending" -> o.maxPending = integer(e);
                case "ping_interval" -> o.pingInterval = duration(e);
                case "ping_max" -> o.pingMax = intValue(e);
                case "write_deadline" -> o.writeDeadline = duration(e);
                case "authorization" -> {
                    authorization(auth, map(e));
                    if (auth.timeoutSeconds != null) {
                        o.authTimeout = Duration.ofNanos(Math.round(auth.timeoutSeconds * 1e9));
                    }
                }
                case "accounts" -> {
                    accountsPosition = e.keyPosition();
                    accounts(auth, e);
                }
                case "mappings" -> mappings(auth, io.weft.engine.server.Account.GLOBAL, e);
                case "no_auth_user" -> {
                    auth.noAuthUser = string(e);
                    noAuthUserEntry = e;
                }
                case "jetstream" -> jetstream(o, e);
                case "server_tags" -> o.serverTags = tags(e);
                case "store_dir", "storedir" -> o.storeDir = string(e);
                case "debug" -> o.debug = bool(e);
                case "trace" -> o.trace = bool(e);
                case "logtime" -> o.logTime = bool(e);
                case "log_file", "logfile" -> o.logFile = string(e);
                case "pid_file", "pidfile" -> o.pidFile = string(e);
                case "lame_duck_duration" -> {
                    Duration d = duration(e);
                    Duration min = lameDuckMinimum();
                    if (d.compareTo(min) < 0) {
                        // nats-server: "invalid lame_duck_duration of 5s, minimum is 30 seconds"
                        String minText = min.toNanos() % 1_000_000_000L == 0
                                ? min.toSeconds() + " seconds" : Durations.format(min);
                        throw err(e.value(), "invalid lame_duck_duration of " + Durations.format(d) + ", minimum is " + minText);
                    }
                    o.lameDuckDuration = d;
                }
                case "lame_duck_grace_period" -> {
                    Duration d = duration(e);
                    if (d.isNegative()) {
                        throw err(e.value(), "invalid lame_duck_grace_period, needs to be positive");
                    }
                    o.lameDuckGracePeriod = d;
                }
                case "no_header_support" -> o.noHeaderSupport = bool(e);
                case "no_fast_producer_stall" -> o.noFastProducerStall = bool(e);
                case "system_account", "system" -> o.systemAccount = string(e);
                case "no_system_account", "no_sys_acc", "no_system" -> o.noSystemAccount = bool(e);
                case "operator", "operators", "roots", "root", "root_operators", "root_operator" -> operators(e);
                case "trusted", "trusted_keys" -> {
                    trustedEntry = e;
                    trustedKeys.addAll(stringOrList(e));
                }
                case "resolver", "account_resolver", "accounts_resolver" -> resolver(e);
                case "resolver_preload" -> resolverPreload(e);
                case "tls" -> tls(o, e);
                case "cluster" -> cluster(o, e);
                default -> {
                    if (SILENTLY_IGNORED.contains(key)) {
                        return;
                    }
                    if (REFUSED_TOP_LEVEL.contains(key)) {
                        refuse(e, e.key());
                        return;
                    }
                    if (IGNORED_TOP_LEVEL.contains(key)) {
                        if (LISTENER_BLOCKS.contains(key)) {
                            refuseNestedSecurity(e.value(), e.key());
                        }
                        warnings.add(e.keyPosition() + ": \"" + e.key() + "\" is not supported yet; ignored");
                        return;
                    }
                    if (!top.isUsedAsVariable(e.key())) {
                        problem(e.keyPosition(), "unknown field \"" + e.key() + "\"");
                    }
                }
            }
        }

        // ---- JWT operator mode ----

        private List<String> stringOrList(ConfigMap.Entry e) {
            List<String> out = new ArrayList<>();
            if (e.value() instanceof ConfigList l) {
                for (ConfigValue v : l.items()) {
                    if (v instanceof ConfigScalar sc && sc.kind() == ConfigScalar.Kind.STRING) {
                        out.add(String.valueOf(sc.value()));
                    } else {
                        problem(v.position(), "error parsing " + e.key() + ": unsupported type " + v.typeName()
                                + " where string is expected");
                    }
                }
            } else {
                out.add(string(e));
            }
            return out;
        }

        /** {@code operator}: operator JWT files, or the JWTs inline (nats-server takes either). */
        private void operators(ConfigMap.Entry e) {
            operatorEntry = e;
            for (String ref : stringOrList(e)) {
                String text;
                java.nio.file.Path file = null;
                try {
                    file = java.nio.file.Path.of(ref);
                } catch (java.nio.file.InvalidPathException ignored) {
                    // not a path: maybe inline
                }
                if (file != null && java.nio.file.Files.isRegularFile(file)) {
                    try {
                        text = java.nio.file.Files.readString(file, java.nio.charset.StandardCharsets.UTF_8);
                    } catch (java.io.IOException ex) {
                        problem(e.value().position(), "error parsing operator JWT: " + ex.getMessage());
                        continue;
                    }
                } else if (ref.startsWith("eyJ")) {
                    text = ref;
                } else {
                    problem(e.value().position(), "error parsing operator JWT: open " + ref + ": no such file or directory");
                    continue;
                }
                operatorJwts.add(unarmor(text));
            }
        }

        /** The JWT in a file: the whole trimmed text, or the line after a {@code -----BEGIN ...-----} line (nsc's armour). */
        private static String unarmor(String text) {
            String[] lines = text.split("\\R");
            for (int i = 0; i < lines.length - 1; i++) {
                if (lines[i].trim().startsWith("-----BEGIN") ) {
                    return lines[i + 1].trim();
                }
            }
            return text.trim();
        }

        /**
         * {@code resolver}: {@code MEMORY} (or {@code MEM}), or the full NATS-based resolver
         * {@code { type: full, dir, allow_delete, hard_delete, limit, interval, timeout }}; the URL
         * and cache resolvers are refused by name. nats-server's checks and words for the block.
         */
        private void resolver(ConfigMap.Entry e) {
            resolverEntry = e;
            if (e.value() instanceof ConfigScalar sc && sc.kind() == ConfigScalar.Kind.STRING) {
                String v = String.valueOf(sc.value()).trim();
                if (v.equalsIgnoreCase("MEM") || v.equalsIgnoreCase("MEMORY")) {
                    return;
                }
                problem(e.keyPosition(), "\"" + e.key() + ": " + v + "\" " + REFUSED + RESOLVERS_SUPPORTED);
                return;
            }
            if (!(e.value() instanceof ConfigMap m)) {
                problem(e.value().position(), "error parsing operator resolver, wrong type " + e.value().typeName());
                return;
            }
            String type = "";
            String dir = "";
            boolean del = false;
            Boolean hardDelete = null;
            long limit = 0;
            boolean ttl = false;
            boolean interval = false;
            for (ConfigMap.Entry f : m.entries()) {
                try {
                    switch (f.key().toLowerCase(Locale.ROOT)) {
                        case "type" -> type = string(f);
                        case "dir" -> dir = string(f);
                        case "allow_delete" -> del = bool(f);
                        case "hard_delete" -> hardDelete = bool(f);
                        case "limit" -> limit = integer(f);
                        case "ttl" -> ttl = !duration(f).isZero();
                        // the sync period and the fetch timeout concern other servers' directories:
                        // a single server (the full resolver is refused with a cluster) has none
                        case "interval" -> interval = !duration(f).isZero();
                        case "timeout" -> duration(f);
                        default -> problem(f.keyPosition(), "\"" + e.key() + "." + f.key() + "\" " + REFUSED);
                    }
                } catch (ConfigException ce) {
                    problems.addAll(ce.problems());
                }
            }
            String upper = type.toUpperCase(Locale.ROOT);
            if (upper.equals("MEM") || upper.equals("MEMORY")) {
                return;
            }
            if (!upper.equals("FULL")) {
                if (upper.equals("CACHE")) {
                    problem(e.keyPosition(), "\"" + e.key() + " { type: " + type + " }\" " + REFUSED + RESOLVERS_SUPPORTED);
                } else {
                    problem(e.keyPosition(), "error parsing account resolver, should be MEM or  URL(\"url\") or a map "
                            + "containing dir and type state=[FULL|CACHE])");
                }
                return;
            }
            if (dir.isEmpty()) {
                problem(e.keyPosition(), "dir has no value and needs to point to a directory");
                return;
            }
            java.nio.file.Path p = java.nio.file.Path.of(dir);
            if (java.nio.file.Files.exists(p) && (!java.nio.file.Files.isDirectory(p) || !java.nio.file.Files.isWritable(p))) {
                problem(e.keyPosition(), "dir needs to point to an accessible directory");
                return;
            }
            if (ttl) {
                problem(e.keyPosition(), "FULL does not accept ttl");
            }
            if (hardDelete != null && !del) {
                problem(e.keyPosition(), "hard_delete has no effect without delete");
            }
            fullResolver = new io.weft.engine.auth.OperatorMode.Resolver(dir, del, del && Boolean.TRUE.equals(hardDelete),
                    limit <= 0 ? Long.MAX_VALUE : limit);
        }

        private void resolverPreload(ConfigMap.Entry e) {
            preloadEntry = e;
            if (!(e.value() instanceof ConfigMap m)) {
                problem(e.value().position(), "preload should be a map of account_public_key:account_jwt");
                return;
            }
            for (ConfigMap.Entry f : m.entries()) {
                if (f.value() instanceof ConfigScalar sc && sc.kind() == ConfigScalar.Kind.STRING) {
                    preload.put(f.key(), String.valueOf(sc.value()).trim());
                } else {
                    problem(f.value().position(), "preload map value should be a string JWT");
                }
            }
        }

        /** Checks the operator settings together and turns the preloaded accounts into weft accounts. */
        private void operatorMode(ServerOptions o, AuthConfig auth) {
            boolean anyOperator = operatorEntry != null || trustedEntry != null;
            if (!anyOperator) {
                if (resolverEntry != null || preloadEntry != null) {
                    ConfigMap.Entry at = resolverEntry != null ? resolverEntry : preloadEntry;
                    problem(at.keyPosition(), "\"" + at.key() + "\" needs an operator (operator or trusted_keys)");
                }
                return;
            }
            Position at = (operatorEntry != null ? operatorEntry : trustedEntry).keyPosition();
            if (resolverEntry == null) {
                problem(at, "operators require an account resolver to be configured");
                return;
            }
            if (!auth.accounts.isEmpty()) {
                problem(at, "operators do not allow Accounts to be configured directly");
                return;
            }
            if (!auth.users.isEmpty() || !auth.nkeys.isEmpty() || auth.user != null || auth.token != null) {
                problem(at, "operators do not allow users to be configured directly");
                return;
            }
            if (operatorEntry != null && trustedEntry != null) {
                problem(at, "conflicting options for 'TrustedKeys' and 'TrustedOperators'");
                return;
            }
            if (fullResolver != null && o.clusterPort >= 0) {
                problem(resolverEntry.keyPosition(), "\"resolver { type: full }\" together with \"cluster\" "
                        + REFUSED_CLUSTER + " (account JWTs are not exchanged between servers yet)");
                return;
            }
            Map<String, String> accountJwts = preload;
            if (fullResolver != null) {
                try {
                    accountJwts = io.weft.server.config.JwtDirectoryLoader.merge(fullResolver.dir(), preload);
                } catch (java.io.IOException | IllegalArgumentException ex) {
                    problem(resolverEntry.keyPosition(), "error reading the resolver dir " + fullResolver.dir() + ": "
                            + ex.getMessage());
                    return;
                }
            }
            io.weft.engine.auth.OperatorMode mode;
            try {
                mode = io.weft.engine.auth.OperatorMode.build(operatorJwts, trustedKeys, accountJwts,
                        java.time.Instant.now().getEpochSecond(), fullResolver);
            } catch (IllegalArgumentException ex) {
                problem(at, ex.getMessage());
                return;
            }
            String opSystem = mode.systemAccount();
            if (o.systemAccount == null || o.systemAccount.isEmpty()) {
                if (opSystem != null) {
                    o.systemAccount = opSystem;
                }
            } else if (opSystem != null && !opSystem.equals(o.systemAccount)) {
                problem(at, "system_account in config and operator JWT must be identical");
                return;
            }
            auth.applyOperatorMode(mode);
        }

        // ---- tls ----

        /**
         * The client {@code tls} block: its files are read and checked now, so a bad certificate,
         * a key that is not the certificate's or an unknown cipher stops the start (or the reload).
         */
        private void tls(ServerOptions o, ConfigMap.Entry e) {
            TlsBlock t = tlsBlock(e, "tls");
            if (t != null) {
                o.tls = t.server();
                o.tlsHandshakeFirst = t.handshakeFirst();
                o.auth.certificateMapping = t.verifyAndMap();
            }
        }

        /** A parsed {@code tls {}} block: the loaded certificate and the keys that are not in {@link io.weft.net.TlsServer.Settings}. */
        private record TlsBlock(io.weft.net.TlsServer server, boolean handshakeFirst, boolean verifyAndMap, boolean insecure) {
        }

        /**
         * Reads a {@code tls {}} block (the client one, or {@code cluster.tls} with {@code path}
         * "cluster.tls") and loads its files; null when it has problems (they are recorded).
         */
        private TlsBlock tlsBlock(ConfigMap.Entry e, String path) {
            boolean insecure = false;
            ConfigMap m = map(e);
            String cert = null;
            String key = null;
            String ca = null;
            boolean verify = false;
            Duration timeout = Duration.ofSeconds(2);
            List<String> ciphers = new ArrayList<>();
            List<String> curves = new ArrayList<>();
            String minVersion = null;
            java.util.Set<String> pinned = new java.util.LinkedHashSet<>();
            boolean handshakeFirst = false;
            boolean verifyAndMap = false;
            int before = problems.size();
            for (ConfigMap.Entry f : m.entries()) {
                try {
                    String k = f.key().toLowerCase(Locale.ROOT);
                    switch (k) {
                        case "cert_file" -> cert = string(f);
                        case "key_file" -> key = string(f);
                        case "ca_file" -> ca = string(f);
                        case "verify" -> verify = bool(f);
                        case "verify_and_map" -> {
                            if (bool(f)) {
                                verify = true;
                                verifyAndMap = true;
                            }
                        }
                        case "timeout" -> {
                            double secs = seconds(f);
                            if (secs < 0) {
                                throw err(f.value(), "tls timeout must not be negative");
                            }
                            timeout = Duration.ofNanos(Math.round(secs * 1e9));
                        }
                        case "cipher_suites" -> {
                            for (ConfigValue v : list(f).items()) {
                                ciphers.add(subject(f.key(), v));
                            }
                        }
                        case "curve_preferences" -> {
                            for (ConfigValue v : list(f).items()) {
                                curves.add(subject(f.key(), v));
                            }
                        }
                        case "min_version" -> minVersion = string(f);
                        case "pinned_certs" -> {
                            for (ConfigValue v : list(f).items()) {
                                // as nats-server: the lower-case hex SHA-256 of the certificate's SubjectPublicKeyInfo
                                String pin = subject(f.key(), v).toLowerCase(Locale.ROOT);
                                if (!pin.matches("[a-f0-9]{64}")) {
                                    throw err(v, "error parsing tls config, 'pinned_certs' key " + pin
                                            + " does not look like hex-encoded sha256 of DER encoded SubjectPublicKeyInfo");
                                }
                                pinned.add(pin);
                            }
                        }
                        case "handshake_first", "first", "immediate" -> {
                            if (f.value() instanceof ConfigScalar sc && sc.kind() == ConfigScalar.Kind.BOOLEAN) {
                                handshakeFirst = (Boolean) sc.value();
                            } else {
                                // "auto" or a delay: fall back to INFO-first for clients that do not start TLS
                                refuse(f, path + "." + f.key() + " (other than true/false)");
                            }
                        }
                        // as nats-server: only for outgoing connections (routes), so without effect on the client port
                        case "insecure" -> insecure = bool(f);
                        default -> {
                            if (REFUSED_TLS.contains(k)) {
                                refuse(f, path + "." + f.key());
                            } else {
                                unknownField(m, f);
                            }
                        }
                    }
                } catch (ConfigException ce) {
                    problems.addAll(ce.problems());
                }
            }
            if (cert == null) {
                problem(e.keyPosition(), "missing 'cert_file' in TLS configuration");
            }
            if (key == null) {
                problem(e.keyPosition(), "missing 'key_file' in TLS configuration");
            }
            if (problems.size() > before) {
                return null;
            }
            if (minVersion != null && !minVersion.equals("1.2") && !minVersion.equals("1.3")) {
                problem(e.keyPosition(), "unsupported TLS version: \"" + minVersion + "\" (1.2 or 1.3)");
                return null;
            }
            io.weft.net.TlsServer.Settings settings = new io.weft.net.TlsServer.Settings(java.nio.file.Path.of(cert),
                    java.nio.file.Path.of(key), ca == null ? null : java.nio.file.Path.of(ca), verify, timeout, ciphers,
                    curves, minVersion, pinned);
            try {
                return new TlsBlock(io.weft.net.TlsServer.load(settings), handshakeFirst, verifyAndMap, insecure);
            } catch (java.io.IOException | java.security.GeneralSecurityException | RuntimeException ex) {
                problem(e.keyPosition(), tlsLoadError(ex));
                return null;
            }
        }

        // ---- authorization, users, permissions, accounts ----

        private void authorization(AuthConfig auth, ConfigMap block) {
            for (ConfigMap.Entry e : block.entries()) {
                try {
                    switch (e.key().toLowerCase(Locale.ROOT)) {
                        case "user", "username" -> auth.user = string(e);
                        case "pass", "password" -> auth.password = string(e);
                        case "token" -> auth.token = string(e);
                        case "timeout" -> {
                            double secs = seconds(e);
                            if (secs < 0 || secs > 1e9) {
                                throw err(e.value(), "authorization timeout must be between 0 and 1e9 seconds, got " + secs);
                            }
                            auth.timeoutSeconds = secs;
                        }
                        case "users" -> users(auth, e, null);
                        case "permissions", "permission", "default_permissions", "default_permission" ->
                                auth.defaultPermissions = permissions(e);
                        case "auth_callout", "auth_hook" -> {
                            calloutEntry = e;
                            auth.callout = authCallout(e);
                        }
                        default -> {
                            if (REFUSED_AUTHORIZATION.contains(e.key().toLowerCase(Locale.ROOT))) {
                                refuse(e, "authorization." + e.key());
                            } else {
                                unknownField(block, e);
                            }
                        }
                    }
                } catch (ConfigException ce) {
                    problems.addAll(ce.problems());
                }
            }
            if (auth.token != null && (auth.user != null || !auth.users.isEmpty() || !auth.nkeys.isEmpty())) {
                problem(block.position(), "cannot have a token together with a user or users in the authorization block");
            }
            if (auth.user != null && !auth.users.isEmpty()) {
                problem(block.position(), "cannot have a single user together with a users list in the authorization block");
            }
        }

        /**
         * {@code auth_callout { issuer, account, auth_users, xkey, allowed_accounts }} with
         * nats-server's aliases and errors; the account defaults to {@code $G}.
         */
        private io.weft.engine.auth.AuthCallout.Config authCallout(ConfigMap.Entry e) {
            if (!(e.value() instanceof ConfigMap block)) {
                throw err(e.value(), "Expected authorization callout to be a map/struct, got " + e.value().typeName());
            }
            String issuer = null;
            String account = null;
            String xkey = null;
            List<String> authUsers = new ArrayList<>();
            List<String> allowed = new ArrayList<>();
            for (ConfigMap.Entry f : block.entries()) {
                switch (f.key().toLowerCase(Locale.ROOT)) {
                    case "issuer" -> {
                        issuer = string(f);
                        if (!Nkeys.isValidPublicKey(Nkeys.Type.ACCOUNT, issuer)) {
                            throw err(f.value(), "Expected callout user to be a valid public account nkey, got \"" + issuer + "\"");
                        }
                    }
                    case "account", "acc" -> account = string(f);
                    case "auth_users", "users" -> {
                        if (!(f.value() instanceof ConfigList l)) {
                            throw err(f.value(), "Expected auth_users field to be an array, got " + f.value().typeName());
                        }
                        for (ConfigValue v : l.items()) {
                            if (!(v instanceof ConfigScalar sc) || sc.kind() != ConfigScalar.Kind.STRING) {
                                throw err(v, "each entry of auth_users must be a user name or nkey string");
                            }
                            authUsers.add((String) sc.value());
                        }
                    }
                    case "xkey", "key" -> {
                        xkey = string(f);
                        if (!io.weft.engine.auth.XKeys.isValidPublicKey(xkey)) {
                            throw err(f.value(), "Expected callout xkey to be a valid public xkey, got \"" + xkey + "\"");
                        }
                    }
                    case "allowed_accounts" -> {
                        if (!(f.value() instanceof ConfigList l)) {
                            throw err(f.value(), "Expected allowed accounts field to be an array, got " + f.value().typeName());
                        }
                        for (ConfigValue v : l.items()) {
                            if (!(v instanceof ConfigScalar sc) || sc.kind() != ConfigScalar.Kind.STRING) {
                                throw err(v, "each entry of allowed_accounts must be an account name");
                            }
                            allowed.add((String) sc.value());
                        }
                    }
                    default -> {
                        if (!block.isUsedAsVariable(f.key())) {
                            problem(f.keyPosition(), "Unknown field \"" + f.key() + "\" parsing authorization callout");
                        }
                    }
                }
            }
            if (issuer == null) {
                throw err(e.value(), "Authorization callouts require an issuer to be specified");
            }
            if (authUsers.isEmpty()) {
                throw err(e.value(), "Authorization callouts require authorized users to be specified");
            }
            return new io.weft.engine.auth.AuthCallout.Config(issuer, account == null ? "$G" : account, authUsers,
                    xkey, allowed);
        }

        /** A security option weft does not implement: the configuration is refused, naming it by its path. */
        private void refuse(ConfigMap.Entry e, String path) {
            problem(e.keyPosition(), "\"" + path + "\" " + REFUSED);
        }

        /** Refuses every {@link #NESTED_SECURITY} key found anywhere under an ignored listener block. */
        private void refuseNestedSecurity(ConfigValue v, String path) {
            if (v instanceof ConfigMap m) {
                for (ConfigMap.Entry f : m.entries()) {
                    String sub = path + "." + f.key();
                    if (NESTED_SECURITY.contains(f.key().toLowerCase(Locale.ROOT))) {
                        refuse(f, sub);
                    } else {
                        refuseNestedSecurity(f.value(), sub);
                    }
                }
            } else if (v instanceof ConfigList l) {
                int i = 0;
                for (ConfigValue item : l.items()) {
                    refuseNestedSecurity(item, path + "[" + i++ + "]");
                }
            }
        }

        private void unknownField(ConfigMap block, ConfigMap.Entry e) {
            if (!block.isUsedAsVariable(e.key())) {
                problem(e.keyPosition(), "unknown field \"" + e.key() + "\"");
            }
        }

        private void users(AuthConfig auth, ConfigMap.Entry e, String account) {
            int index = -1;
            for (ConfigValue item : list(e).items()) {
                index++;
                if (!(item instanceof ConfigMap um)) {
                    problem(item.position(), "each entry of \"users\" must be a map like {user: name, password: secret}, got " + item.typeName());
                    continue;
                }
                String user = null;
                String password = null;
                String nkey = null;
                String userAccount = account;
                Permissions perms = null;
                ConfigMap.Entry accountEntry = null;
                for (ConfigMap.Entry f : um.entries()) {
                    try {
                        switch (f.key().toLowerCase(Locale.ROOT)) {
                            case "user", "username" -> user = string(f);
                            case "pass", "password" -> password = string(f);
                            case "nkey" -> nkey = string(f);
                            case "permissions", "permission" -> perms = permissions(f);
                            case "account" -> {
                                if (account != null) {
                                    throw err(f.value(), "users of account \"" + account + "\" cannot name another account");
                                }
                                userAccount = string(f);
                                accountEntry = f;
                            }
                            default -> {
                                if (REFUSED_USER.contains(f.key().toLowerCase(Locale.ROOT))) {
                                    refuse(f, (account == null ? "authorization." : "accounts." + account + ".") + e.key()
                                            + "[" + index + "]." + f.key());
                                } else {
                                    unknownField(um, f);
                                }
                            }
                        }
                    } catch (ConfigException ce) {
                        problems.addAll(ce.problems());
                    }
                }
                if (accountEntry != null) {
                    accountRefs.add(accountEntry);
                }
                if (nkey != null) {
                    if (user != null || password != null) {
                        problem(um.position(), "a user entry has either nkey or user/password, not both");
                        continue;
                    }
                    if (!Nkeys.isValidPublicUserKey(nkey)) {
                        problem(um.position(), "not a valid public user nkey: \"" + nkey + "\"");
                        continue;
                    }
                    auth.nkeys.add(new NkeyUser(nkey, perms, userAccount));
                } else if (user != null) {
                    for (User existing : auth.users) {
                        if (existing.username().equals(user)) {
                            problem(um.position(), "duplicate user \"" + user + "\"");
                        }
                    }
                    auth.users.add(new User(user, password == null ? "" : password, perms, userAccount));
                } else {
                    problem(um.position(), "a user entry needs \"user\" or \"nkey\"");
                }
            }
        }

        private Permissions permissions(ConfigMap.Entry e) {
            ConfigMap m = map(e);
            Permissions.SubjectPermission pub = null;
            Permissions.SubjectPermission sub = null;
            Permissions.ResponsePermission resp = null;
            for (ConfigMap.Entry f : m.entries()) {
                try {
                    switch (f.key().toLowerCase(Locale.ROOT)) {
                        case "publish", "pub", "import" -> pub = subjectPermission(f);
                        case "subscribe", "sub", "export" -> sub = subjectPermission(f);
                        case "allow_responses", "allow_resp" -> resp = responsePermission(f);
                        default -> unknownField(m, f);
                    }
                } catch (ConfigException ce) {
                    problems.addAll(ce.problems());
                }
            }
            return new Permissions(pub, sub, resp);
        }

        private Permissions.SubjectPermission subjectPermission(ConfigMap.Entry e) {
            ConfigValue v = e.value();
            if (v instanceof ConfigScalar || v instanceof ConfigList) {
                return new Permissions.SubjectPermission(subjects(e.key(), v), List.of());
            }
            ConfigMap m = (ConfigMap) v;
            List<String> allow = List.of();
            List<String> deny = List.of();
            for (ConfigMap.Entry f : m.entries()) {
                switch (f.key().toLowerCase(Locale.ROOT)) {
                    case "allow" -> allow = subjects(f.key(), f.value());
                    case "deny" -> deny = subjects(f.key(), f.value());
                    default -> unknownField(m, f);
                }
            }
            return new Permissions.SubjectPermission(allow, deny);
        }

        private List<String> subjects(String key, ConfigValue v) {
            List<String> out = new ArrayList<>();
            if (v instanceof ConfigList l) {
                for (ConfigValue item : l.items()) {
                    out.add(subject(key, item));
                }
            } else {
                out.add(subject(key, v));
            }
            return List.copyOf(out);
        }

        private String subject(String key, ConfigValue v) {
            if (v instanceof ConfigScalar s && s.kind() == ConfigScalar.Kind.STRING) {
                String subj = (String) s.value();
                if (subj.isBlank()) {
                    throw err(v, "empty subject in \"" + key + "\"");
                }
                return subj;
            }
            throw err(v, "\"" + key + "\" must be a subject or a list of subjects, got " + v.typeName());
        }

        private Permissions.ResponsePermission responsePermission(ConfigMap.Entry e) {
            ConfigValue v = e.value();
            if (v instanceof ConfigScalar s && s.kind() == ConfigScalar.Kind.BOOLEAN) {
                return (Boolean) s.value() ? Permissions.ResponsePermission.DEFAULT : null;
            }
            if (!(v instanceof ConfigMap m)) {
                throw err(v, "\"" + e.key() + "\" must be true, false or a map {max, expires}, got " + v.typeName());
            }
            int max = Permissions.ResponsePermission.DEFAULT.maxMsgs();
            Duration expires = Permissions.ResponsePermission.DEFAULT.expires();
            for (ConfigMap.Entry f : m.entries()) {
                switch (f.key().toLowerCase(Locale.ROOT)) {
                    case "max", "max_msgs", "max_messages", "max_responses" -> max = intValue(f);
                    case "expires", "expiration", "ttl" -> expires = duration(f);
                    default -> unknownField(m, f);
                }
            }
            return new Permissions.ResponsePermission(max, expires);
        }

        /** The account of the cluster's internal (Raft) traffic: no client may be put in it. */
        private static final String RESERVED_ACCOUNT = io.weft.engine.route.InternalTraffic.ACCOUNT;
        private static final String RESERVED_TEXT = "account name \"" + RESERVED_ACCOUNT
                + "\" is reserved for the cluster's internal traffic";

        private void accounts(AuthConfig auth, ConfigMap.Entry e) {
            ConfigValue v = e.value();
            if (v instanceof ConfigList l) {
                for (ConfigValue item : l.items()) {
                    String name = subject("accounts", item);
                    if (name.equals(RESERVED_ACCOUNT)) {
                        problem(item.position(), RESERVED_TEXT);
                        continue;
                    }
                    auth.accounts.put(name, new AccountConfig(name, false));
                }
                return;
            }
            ConfigMap m = map(e);
            for (ConfigMap.Entry acc : m.entries()) {
                String name = acc.key();
                if (name.equals(RESERVED_ACCOUNT)) {
                    problem(acc.keyPosition(), RESERVED_TEXT);
                    continue;
                }
                boolean js = false;
                AccountConfig.JetStreamLimits jsLimits = null;
                if (!(acc.value() instanceof ConfigMap body)) {
                    problem(acc.value().position(), "account \"" + name + "\" must be a block, got " + acc.value().typeName());
                    continue;
                }
                auth.accounts.put(name, new AccountConfig(name, false));
                for (ConfigMap.Entry f : body.entries()) {
                    try {
                        switch (f.key().toLowerCase(Locale.ROOT)) {
                            case "users" -> users(auth, f, name);
                            case "exports" -> exports(auth, name, f);
                            case "imports" -> imports(auth, name, f);
                            case "mappings" -> mappings(auth, name, f);
                            case "msg_trace" -> msgTrace(auth, name, f);
                            case "jetstream" -> {
                                js = jetstreamFlag(f);
                                jsLimits = jetstreamLimits(f);
                            }
                            default -> {
                                if (REFUSED_ACCOUNT.contains(f.key().toLowerCase(Locale.ROOT))) {
                                    refuse(f, "accounts." + name + "." + f.key());
                                } else if (IGNORED_ACCOUNT.contains(f.key().toLowerCase(Locale.ROOT))) {
                                    warnings.add(f.keyPosition() + ": account \"" + f.key() + "\" is not supported yet; ignored");
                                } else {
                                    unknownField(body, f);
                                }
                            }
                        }
                    } catch (ConfigException ce) {
                        problems.addAll(ce.problems());
                    }
                }
                auth.accounts.put(name, new AccountConfig(name, js, jsLimits));
            }
        }

        /**
         * An account's {@code msg_trace}: a destination subject, or {@code { dest, sampling }} with
         * sampling a percentage 1..100 (a number or {@code "N%"}; 100 by default). Checked as
         * nats-server 2.15.1 checks it, with its texts.
         */
        private void msgTrace(AuthConfig auth, String account, ConfigMap.Entry f) {
            String dest = null;
            int sampling = 0;
            ConfigValue at = f.value();
            if (f.value() instanceof ConfigScalar sc && sc.kind() == ConfigScalar.Kind.STRING) {
                dest = (String) sc.value();
            } else if (f.value() instanceof ConfigMap m) {
                for (ConfigMap.Entry e : m.entries()) {
                    switch (e.key().toLowerCase(Locale.ROOT)) {
                        case "dest" -> dest = string(e);
                        case "sampling" -> {
                            at = e.value();
                            String raw = e.value() instanceof ConfigScalar s ? String.valueOf(s.value()) : "";
                            String digits = raw.endsWith("%") ? raw.substring(0, raw.length() - 1) : raw;
                            long v;
                            try {
                                v = Long.parseLong(digits.trim());
                            } catch (NumberFormatException ex) {
                                problem(e.keyPosition(), "Invalid trace destination sampling value " + "\"" + raw + "\"");
                                return;
                            }
                            if (v < 1 || v > 100) {
                                problem(e.keyPosition(), "Ttrace destination sampling value " + v
                                        + " is invalid, needs to be [1..100]");
                                return;
                            }
                            sampling = (int) v;
                        }
                        default -> {
                            if (!m.isUsedAsVariable(e.key())) {
                                problem(e.keyPosition(), "Unknown field " + "\"" + e.key() + "\""
                                        + " parsing account message trace map/struct \"msg_trace\"");
                                return;
                            }
                        }
                    }
                }
            } else {
                throw wrongType(f, "a subject or a map");
            }
            if (dest == null || dest.isEmpty()) {
                if (sampling > 0) {
                    problem(f.keyPosition(), "Trace destination sampling ignored since no destination was set");
                }
                return;
            }
            if (!io.weft.store.Subjects.isValidLiteralSubject(dest)) {
                problem(f.value().position(), "Trace destination " + "\"" + dest + "\"" + " is not valid");
                return;
            }
            auth.msgTrace.put(account, new AuthConfig.MsgTraceConfig(dest, sampling == 0 ? 100 : sampling));
        }

        /** The limits of an account's {@code jetstream { max_mem, max_file, max_streams, max_consumers }} block. */
        private AccountConfig.JetStreamLimits jetstreamLimits(ConfigMap.Entry f) {
            if (!(f.value() instanceof ConfigMap m)) {
                return null;
            }
            long mem = -1;
            long file = -1;
            long streams = -1;
            long consumers = -1;
            for (ConfigMap.Entry e : m.entries()) {
                try {
                    switch (e.key().toLowerCase(Locale.ROOT)) {
                        case "max_memory", "max_mem", "mem", "max_memory_store", "max_mem_store" -> mem = integer(e);
                        case "max_file", "max_store", "disk", "max_file_store", "store" -> file = integer(e);
                        case "max_streams", "streams" -> streams = integer(e);
                        case "max_consumers", "consumers" -> consumers = integer(e);
                        default -> warnings.add(e.keyPosition() + ": account jetstream \"" + e.key()
                                + "\" is not supported yet; ignored");
                    }
                } catch (ConfigException ce) {
                    problems.addAll(ce.problems());
                }
            }
            return new AccountConfig.JetStreamLimits(mem, file, (int) Math.min(Integer.MAX_VALUE, streams),
                    (int) Math.min(Integer.MAX_VALUE, consumers));
        }

        /** An account's {@code jetstream}: a bool, enabled/disabled, or a limits block (enabled). */
        private boolean jetstreamFlag(ConfigMap.Entry f) {
            ConfigValue v = f.value();
            if (v instanceof ConfigMap) {
                return true;
            }
            if (v instanceof ConfigScalar s && s.kind() == ConfigScalar.Kind.STRING) {
                return enabledDisabled(s);
            }
            return bool(f);
        }

        private boolean enabledDisabled(ConfigScalar s) {
            switch (((String) s.value()).toLowerCase(Locale.ROOT)) {
                case "enabled", "enable" -> {
                    return true;
                }
                case "disabled", "disable" -> {
                    return false;
                }
                default -> throw err(s, "expected 'enabled' or 'disabled' for string value, got '" + s.value() + "'");
            }
        }

        // ---- cluster ----

        /**
         * {@code cluster { name, listen | host/port, routes [...], advertise, no_advertise, connect_retries }}.
         * Every other key (route authorization and TLS, pool_size, accounts,
         * compression, ...) is refused by name: a cluster that ran without it would not be the one
         * the file describes.
         */
        private void cluster(ServerOptions o, ConfigMap.Entry e) {
            ConfigMap m = map(e);
            o.clusterAuthTimeout = null;
            if (o.clusterPort < 0) {
                o.clusterPort = 6222; // nats-server: a cluster block without a port listens on 6222
            }
            for (ConfigMap.Entry f : m.entries()) {
                try {
                    String k = f.key().toLowerCase(Locale.ROOT);
                    switch (k) {
                        case "name" -> {
                            String n = string(f);
                            if (n.contains(" ")) {
                                throw err(f.value(), "cluster name cannot contain spaces");
                            }
                            o.clusterName = n;
                        }
                        case "host", "net" -> o.clusterHost = string(f);
                        case "port" -> o.clusterPort = Math.max(0, intValue(f)); // -1: a random port, as nats-server
                        case "listen" -> {
                            String[] hp = splitHostPort(f, string(f));
                            if (!hp[0].isEmpty()) {
                                o.clusterHost = hp[0];
                            }
                            o.clusterPort = Integer.parseInt(hp[1]);
                        }
                        case "routes" -> {
                            List<String> urls = new ArrayList<>();
                            java.util.Map<String, ServerOptions.RouteCredentials> creds = new java.util.LinkedHashMap<>();
                            for (ConfigValue v : list(f).items()) {
                                if (!(v instanceof ConfigScalar sc) || sc.kind() != ConfigScalar.Kind.STRING) {
                                    throw err(v, "route URL must be a string");
                                }
                                urls.add(routeUrl(v, (String) sc.value(), creds));
                            }
                            o.routes = List.copyOf(urls);
                            o.routeCredentials = java.util.Map.copyOf(creds);
                        }
                        case "no_advertise" -> o.clusterNoAdvertise = bool(f);
                        case "advertise", "cluster_advertise" -> o.clusterAdvertise = string(f);
                        case "connect_retries" -> o.clusterConnectRetries = intValue(f);
                        case "authorization" -> clusterAuthorization(o, f);
                        case "tls" -> {
                            TlsBlock t = tlsBlock(f, "cluster.tls");
                            if (t != null) {
                                if (t.handshakeFirst()) {
                                    // routes are TLS from the first byte anyway; nats-server reads the key only for clients
                                    warnings.add(f.keyPosition() + ": \"cluster.tls.handshake_first\": routes always start with the TLS handshake");
                                }
                                o.clusterTls = t.server();
                                o.clusterTlsInsecure = t.insecure();
                                o.clusterTlsMap = t.verifyAndMap();
                            }
                        }
                        case "pool_size" -> {
                            // weft keeps one route per peer carrying every account: nats-server's pool_size -1
                            int n = intValue(f);
                            if (n != -1) {
                                throw err(f.value(), "\"cluster.pool_size\" " + n + ": weft keeps one route per peer for"
                                        + " every account (no route pooling); only pool_size: -1, which says that, is accepted");
                            }
                        }
                        case "accounts" -> {
                            if (!list(f).items().isEmpty()) {
                                throw err(f.value(), "\"cluster.accounts\": weft does not give accounts dedicated routes"
                                        + " (every account shares the one route per peer); only an empty list is accepted");
                            }
                        }
                        case "compression" -> {
                            if (!compressionOff(f)) {
                                throw err(f.value(), "\"cluster.compression\": weft does not compress routes;"
                                        + " only off (false, \"off\", \"disabled\") is accepted");
                            }
                        }
                        default -> {
                            if (NESTED_SECURITY.contains(k)) {
                                refuse(f, "cluster." + f.key());
                            } else {
                                problem(f.keyPosition(), "\"cluster." + f.key() + "\" " + REFUSED_CLUSTER);
                            }
                        }
                    }
                } catch (ConfigException ce) {
                    problems.addAll(ce.problems());
                }
            }
            if (o.clusterAuthTimeout == null) {
                // nats-server: the TLS timeout plus a second with TLS, else 2 seconds
                o.clusterAuthTimeout = o.clusterTls != null ? o.clusterTls.timeout().plusSeconds(1) : Duration.ofSeconds(2);
            }
        }

        /**
         * {@code cluster { authorization { user, password, timeout } }}: one user for every route,
         * as nats-server; tokens, user lists and callouts are refused with nats-server's words.
         */
        private void clusterAuthorization(ServerOptions o, ConfigMap.Entry e) {
            ConfigMap m = map(e);
            String user = null;
            String pass = null;
            for (ConfigMap.Entry f : m.entries()) {
                try {
                    String k = f.key().toLowerCase(Locale.ROOT);
                    switch (k) {
                        case "user", "username" -> user = string(f);
                        case "pass", "password" -> pass = string(f);
                        case "timeout" -> {
                            double secs = seconds(f);
                            if (secs < 0 || secs > 1e9) {
                                throw err(f.value(), "authorization timeout must be between 0 and 1e9 seconds, got " + secs);
                            }
                            o.clusterAuthTimeout = Duration.ofNanos(Math.round(secs * 1e9));
                        }
                        // nats-server's words, at the position of the authorization key
                        case "token" -> {
                            problem(e.keyPosition(), "Cluster authorization does not support tokens");
                            return;
                        }
                        case "users" -> {
                            problem(e.keyPosition(), "Cluster authorization does not allow multiple users");
                            return;
                        }
                        case "auth_callout" -> {
                            problem(e.keyPosition(), "Cluster authorization does not support callouts");
                            return;
                        }
                        default -> refuse(f, "cluster.authorization." + f.key());
                    }
                } catch (ConfigException ce) {
                    problems.addAll(ce.problems());
                }
            }
            o.clusterUser = user == null || user.isEmpty() ? null : user;
            o.clusterPassword = o.clusterUser == null ? null : (pass == null ? "" : pass);
        }

        /** {@code compression: false | "off" | "disabled" | {mode: off}}, as nats-server spells "off". */
        private boolean compressionOff(ConfigMap.Entry f) {
            ConfigValue v = f.value();
            if (v instanceof ConfigScalar sc && sc.kind() == ConfigScalar.Kind.BOOLEAN) {
                return !(Boolean) sc.value();
            }
            if (v instanceof ConfigScalar sc && sc.kind() == ConfigScalar.Kind.STRING) {
                String mode = ((String) sc.value()).toLowerCase(Locale.ROOT);
                return mode.equals("off") || mode.equals("disabled") || mode.equals("false");
            }
            if (v instanceof ConfigMap cm) {
                for (ConfigMap.Entry x : cm.entries()) {
                    if (x.key().equalsIgnoreCase("mode")) {
                        return compressionOff(x);
                    }
                }
            }
            return false;
        }

        private String[] splitHostPort(ConfigMap.Entry f, String hp) {
            int colon = hp.lastIndexOf(':');
            if (colon < 0) {
                throw err(f.value(), "could not parse address string \"" + hp + "\"");
            }
            String h = hp.substring(0, colon);
            if (h.startsWith("[") && h.endsWith("]")) {
                h = h.substring(1, h.length() - 1);
            }
            String port = hp.substring(colon + 1);
            try {
                int p = Integer.parseInt(port);
                if (p < 0 || p > 65535) {
                    throw new NumberFormatException();
                }
            } catch (NumberFormatException nfe) {
                throw err(f.value(), "could not parse port \"" + port + "\"");
            }
            return new String[] {h, port};
        }

        /**
         * {@code nats-route://[user:pass@]host:port} (or nats://, or bare host:port) as
         * {@code host:port}; the URL's user and password (percent-decoded, as Go's URL parser does)
         * go into {@code creds}: this server's CONNECT to that route carries them.
         */
        private String routeUrl(ConfigValue at, String url, java.util.Map<String, ServerOptions.RouteCredentials> creds) {
            String rest = url;
            int scheme = rest.indexOf("://");
            if (scheme >= 0) {
                rest = rest.substring(scheme + 3);
            }
            if (rest.endsWith("/")) {
                rest = rest.substring(0, rest.length() - 1);
            }
            ServerOptions.RouteCredentials c = null;
            int at2 = rest.lastIndexOf('@');
            if (at2 >= 0) {
                String info = rest.substring(0, at2);
                rest = rest.substring(at2 + 1);
                int colon = info.indexOf(':');
                try {
                    String user = java.net.URLDecoder.decode(colon < 0 ? info : info.substring(0, colon).replace("+", "%2B"),
                            java.nio.charset.StandardCharsets.UTF_8);
                    String pass = colon < 0 ? "" : java.net.URLDecoder.decode(info.substring(colon + 1).replace("+", "%2B"),
                            java.nio.charset.StandardCharsets.UTF_8);
                    c = new ServerOptions.RouteCredentials(user, pass);
                } catch (IllegalArgumentException ex) {
                    throw err(at, "error parsing route url [\"" + url + "\"]: invalid URL escape");
                }
            }
            int colon = rest.lastIndexOf(':');
            if (colon < 0) {
                throw err(at, "could not parse address string \"" + rest + "\"");
            }
            String h = rest.substring(0, colon);
            if (h.startsWith("[") && h.endsWith("]")) {
                h = h.substring(1, h.length() - 1);
            }
            int p;
            try {
                p = Integer.parseInt(rest.substring(colon + 1));
                if (p < 0 || p > 65535) {
                    throw new NumberFormatException();
                }
            } catch (NumberFormatException nfe) {
                throw err(at, "could not parse port \"" + rest.substring(colon + 1) + "\"");
            }
            String hp = Routes.hostPort(h, p);
            if (c != null) {
                creds.put(hp, c);
            }
            return hp;
        }

        // ---- jetstream ----

        private void jetstream(ServerOptions o, ConfigMap.Entry e) {
            ConfigValue v = e.value();
            if (v instanceof ConfigScalar s && s.kind() == ConfigScalar.Kind.STRING) {
                o.jetstream = enabledDisabled(s);
                return;
            }
            if (!(v instanceof ConfigMap m)) {
                o.jetstream = bool(e);
                return;
            }
            o.jetstream = true;
            for (ConfigMap.Entry f : m.entries()) {
                try {
                    String k = f.key().toLowerCase(Locale.ROOT);
                    switch (k) {
                        case "enabled", "enable" -> o.jetstream = bool(f);
                        case "store_dir", "storedir", "store" -> o.storeDir = string(f);
                        case "max_memory_store", "max_mem_store", "max_mem" -> o.jetstreamMaxMemory = integer(f);
                        case "max_file_store", "max_file" -> o.jetstreamMaxStore = integer(f);
                        case "domain" -> o.jetstreamDomain = string(f);
                        case "unique_tag" -> o.jetstreamUniqueTag = string(f).trim().toLowerCase(Locale.ROOT);
                        case "sync_interval", "sync" -> {
                            syncInterval = syncInterval(f);
                            o.jetstreamSyncInterval = syncInterval;
                        }
                        case "limits" -> jetstreamLimits(o, f);
                        default -> {
                            if (REFUSED_JETSTREAM.contains(k)) {
                                refuse(f, "jetstream." + f.key());
                            } else if (IGNORED_JETSTREAM.contains(k)) {
                                warnings.add(f.keyPosition() + ": jetstream \"" + f.key() + "\" is not supported yet; ignored");
                            } else {
                                unknownField(m, f);
                            }
                        }
                    }
                } catch (ConfigException ce) {
                    problems.addAll(ce.problems());
                }
            }
        }

        /**
         * {@code jetstream { limits { ... } }}: the {@code batch} block (atomic batch publish:
         * {@code max_inflight_per_stream}, {@code max_inflight_total}, {@code max_msgs}, {@code timeout},
         * as nats-server 2.12+ names them) is applied; the other limits are warned about and ignored.
         */
        private void jetstreamLimits(ServerOptions o, ConfigMap.Entry e) {
            ConfigMap m = map(e);
            for (ConfigMap.Entry f : m.entries()) {
                String k = f.key().toLowerCase(Locale.ROOT);
                if (k.equals("batch")) {
                    ConfigMap b = map(f);
                    for (ConfigMap.Entry g : b.entries()) {
                        switch (g.key().toLowerCase(Locale.ROOT)) {
                            case "max_inflight_per_stream" -> o.jetstreamBatchInflightPerStream = intValue(g);
                            case "max_inflight_total" -> o.jetstreamBatchInflightTotal = intValue(g);
                            case "max_msgs" -> o.jetstreamBatchMaxMsgs = intValue(g);
                            case "timeout" -> o.jetstreamBatchTimeout = duration(g);
                            default -> unknownField(b, g);
                        }
                    }
                } else if (IGNORED_JETSTREAM_LIMITS.contains(k)) {
                    warnings.add(f.keyPosition() + ": jetstream limits \"" + f.key() + "\" is not supported yet; ignored");
                } else {
                    unknownField(m, f);
                }
            }
        }

        /** {@code sync_interval}: a duration, or {@code always} (every write fsynced, represented as zero). */
        private Duration syncInterval(ConfigMap.Entry f) {
            if (f.value() instanceof ConfigScalar s && s.kind() == ConfigScalar.Kind.STRING
                    && "always".equalsIgnoreCase((String) s.value())) {
                return Duration.ZERO;
            }
            return duration(f);
        }


        // ---- exports, imports, mappings ----

        /** Where each account's {@code exports}/{@code imports} were declared, for the cross-check's messages. */
        private final java.util.Map<String, Position> linkPositions = new java.util.LinkedHashMap<>();
        private Position accountsPosition;

        private void exports(AuthConfig auth, String account, ConfigMap.Entry f) {
            List<io.weft.engine.auth.Exports.Export> out = new ArrayList<>();
            int index = -1;
            for (ConfigValue item : list(f).items()) {
                index++;
                if (!(item instanceof ConfigMap m)) {
                    problem(item.position(), "Export Items should be maps, got " + item.typeName());
                    continue;
                }
                String stream = null;
                String service = null;
                List<String> accounts = null;
                io.weft.engine.auth.Exports.ResponseType type = null;
                Duration threshold = null;
                ConfigMap.Entry responseEntry = null;
                ConfigMap.Entry traceEntry = null;
                boolean allowTrace = false;
                boolean bad = false;
                for (ConfigMap.Entry x : m.entries()) {
                    try {
                        switch (x.key().toLowerCase(Locale.ROOT)) {
                            case "stream" -> {
                                if (service != null) {
                                    problem(x.keyPosition(), "Detected stream \"" + scalarText(x) + "\" but already saw a service");
                                    bad = true;
                                } else {
                                    stream = string(x);
                                }
                            }
                            case "service" -> {
                                if (stream != null) {
                                    problem(x.keyPosition(), "Detected service \"" + scalarText(x) + "\" but already saw a stream");
                                    bad = true;
                                } else {
                                    service = string(x);
                                }
                            }
                            case "accounts" -> {
                                accounts = new ArrayList<>();
                                for (ConfigValue a : list(x).items()) {
                                    accounts.add(subject("accounts", a));
                                }
                            }
                            case "response", "response_type" -> {
                                responseEntry = x;
                                type = io.weft.engine.auth.Exports.ResponseType.named(string(x));
                                if (type == null) {
                                    problem(x.keyPosition(), "Unknown response type: \"" + string(x) + "\"");
                                    bad = true;
                                }
                            }
                            case "threshold", "response_threshold", "response_max_time", "response_time" -> {
                                responseEntry = x;
                                try {
                                    threshold = Durations.parse(string(x));
                                } catch (RuntimeException ex) {
                                    problem(x.keyPosition(), "Expected response threshold to be a parseable time duration, got \""
                                            + scalarText(x) + "\"");
                                    bad = true;
                                }
                            }
                            case "allow_trace" -> {
                                traceEntry = x;
                                allowTrace = bool(x);
                            }
                            case "latency" -> refuse(x, "accounts." + account + ".exports[" + index + "]." + x.key());
                            default -> {
                                if (!m.isUsedAsVariable(x.key())) {
                                    problem(x.keyPosition(), "unknown field \"" + x.key() + "\"");
                                    bad = true;
                                }
                            }
                        }
                    } catch (ConfigException ce) {
                        problems.addAll(ce.problems());
                        bad = true;
                    }
                }
                if (responseEntry != null && service == null && stream != null) {
                    problem(responseEntry.keyPosition(), "Detected response directive on non-service");
                    bad = true;
                }
                if (traceEntry != null && service == null && stream != null) {
                    problem(traceEntry.keyPosition(), "Detected allow_trace directive on non-service");
                    bad = true;
                }
                if (bad) {
                    continue;
                }
                if (stream == null && service == null) {
                    problem(m.position(), "Expected a stream or a service in the export");
                    continue;
                }
                out.add(new io.weft.engine.auth.Exports.Export(service != null, service != null ? service : stream,
                        accounts == null ? null : List.copyOf(accounts),
                        service != null ? (type == null ? io.weft.engine.auth.Exports.ResponseType.SINGLETON : type) : null,
                        service != null ? (threshold == null ? io.weft.engine.auth.Exports.DEFAULT_THRESHOLD : threshold) : null,
                        allowTrace));
            }
            auth.exports.computeIfAbsent(account, k -> new ArrayList<>()).addAll(out);
        }

        private String scalarText(ConfigMap.Entry x) {
            return x.value() instanceof ConfigScalar s ? String.valueOf(s.value()) : x.value().typeName();
        }

        private void imports(AuthConfig auth, String account, ConfigMap.Entry f) {
            List<io.weft.engine.auth.Exports.Import> out = new ArrayList<>();
            int index = -1;
            for (ConfigValue item : list(f).items()) {
                index++;
                if (!(item instanceof ConfigMap m)) {
                    problem(item.position(), "Import Items should be maps, got " + item.typeName());
                    continue;
                }
                Boolean service = null;
                String from = null;
                String subject = null;
                String to = null;
                String prefix = null;
                ConfigMap.Entry importTrace = null;
                boolean importAllowTrace = false;
                boolean bad = false;
                for (ConfigMap.Entry x : m.entries()) {
                    try {
                        switch (x.key().toLowerCase(Locale.ROOT)) {
                            case "stream", "service" -> {
                                boolean isService = x.key().equalsIgnoreCase("service");
                                if (service != null) {
                                    problem(x.keyPosition(), "Detected " + x.key().toLowerCase(Locale.ROOT)
                                            + " but already saw a " + (service ? "service" : "stream"));
                                    bad = true;
                                    continue;
                                }
                                service = isService;
                                ConfigMap body = map(x);
                                for (ConfigMap.Entry y : body.entries()) {
                                    switch (y.key().toLowerCase(Locale.ROOT)) {
                                        case "account" -> from = string(y);
                                        case "subject" -> subject = string(y);
                                        default -> {
                                            if (!body.isUsedAsVariable(y.key())) {
                                                problem(y.keyPosition(), "unknown field \"" + y.key() + "\"");
                                                bad = true;
                                            }
                                        }
                                    }
                                }
                                if (!bad && (from == null || from.isEmpty() || subject == null || subject.isEmpty())) {
                                    problem(x.keyPosition(), "Expect an account name and a subject");
                                    bad = true;
                                }
                            }
                            case "to" -> to = string(x);
                            case "prefix" -> prefix = string(x);
                            case "allow_trace" -> {
                                importTrace = x;
                                importAllowTrace = bool(x);
                            }
                            case "share" -> refuse(x, "accounts." + account + ".imports[" + index + "]." + x.key());
                            default -> {
                                if (!m.isUsedAsVariable(x.key())) {
                                    problem(x.keyPosition(), "unknown field \"" + x.key() + "\"");
                                    bad = true;
                                }
                            }
                        }
                    } catch (ConfigException ce) {
                        problems.addAll(ce.problems());
                        bad = true;
                    }
                }
                if (!bad && importTrace != null && Boolean.TRUE.equals(service)) {
                    problem(importTrace.keyPosition(), "Detected allow_trace directive on a non-stream");
                    bad = true;
                }
                if (bad || service == null) {
                    if (!bad) {
                        problem(m.position(), "Expected a stream or a service in the import");
                    }
                    continue;
                }
                if (prefix != null && to != null) {
                    // nats-server 2.15.1 loads such an import but what it then delivers was not pinned down
                    problem(m.position(), "import of \"" + subject + "\" sets both \"prefix\" and \"to\"; weft refuses "
                            + "the combination rather than guess its meaning (use one of them)");
                    continue;
                }
                String local = to;
                if (prefix != null && !prefix.isEmpty()) {
                    local = prefix + "." + subject;
                }
                out.add(new io.weft.engine.auth.Exports.Import(service, from, subject,
                        local == null || local.isEmpty() ? subject : local, importAllowTrace));
            }
            auth.imports.computeIfAbsent(account, k -> new ArrayList<>()).addAll(out);
        }

        /** A {@code mappings} block (top-level for {@code $G}, or an account's). */
        private void mappings(AuthConfig auth, String account, ConfigMap.Entry f) {
            List<io.weft.engine.mapping.Mapping> out = new ArrayList<>();
            for (ConfigMap.Entry m : map(f).entries()) {
                String src = m.key();
                if (!io.weft.store.Subjects.isValidSubject(src)) {
                    problem(f.keyPosition(), "Subject \"" + src + "\" is not a valid subject");
                    continue;
                }
                List<io.weft.engine.mapping.Mapping.Destination> dests = new ArrayList<>();
                ConfigValue v = m.value();
                List<ConfigValue> items;
                if (v instanceof ConfigScalar s && s.kind() == ConfigScalar.Kind.STRING) {
                    try {
                        dests.add(new io.weft.engine.mapping.Mapping.Destination(
                                io.weft.engine.mapping.SubjectTransform.compile(src, (String) s.value()), 100, null));
                    } catch (io.weft.engine.mapping.MappingException ex) {
                        problem(m.keyPosition(), "Error adding mapping for \"" + src + "\" to \"" + s.value() + "\" : " + ex.getMessage());
                        continue;
                    }
                    items = List.of();
                } else if (v instanceof ConfigList l) {
                    items = l.items();
                } else if (v instanceof ConfigMap one) {
                    items = List.of(one);
                } else {
                    problem(m.keyPosition(), "Expected an entry for the mapping destination");
                    continue;
                }
                boolean bad = false;
                for (ConfigValue item : items) {
                    if (!(item instanceof ConfigMap d)) {
                        problem(item.position(), "Expected an entry for the mapping destination");
                        bad = true;
                        continue;
                    }
                    String dest = "";
                    Integer weight = null;
                    String cluster = null;
                    for (ConfigMap.Entry x : d.entries()) {
                        switch (x.key().toLowerCase(Locale.ROOT)) {
                            case "dest", "destination" -> dest = scalarText(x);
                            case "weight" -> {
                                String w = scalarText(x).trim();
                                if (w.endsWith("%")) {
                                    w = w.substring(0, w.length() - 1).trim();
                                }
                                long n;
                                try {
                                    n = Long.parseLong(w);
                                } catch (NumberFormatException ex) {
                                    n = -1;
                                }
                                if (n < 0 || n > 100) {
                                    problem(x.value().position(), "Invalid weight " + scalarText(x) + " for mapping destination");
                                    bad = true;
                                } else {
                                    weight = (int) n;
                                }
                            }
                            case "cluster" -> cluster = scalarText(x);
                            default -> {
                                problem(x.keyPosition(), "Unknown field \"" + x.key() + "\" for mapping destination");
                                bad = true;
                            }
                        }
                    }
                    if (bad) {
                        continue;
                    }
                    if (weight == null) {
                        problem(d.position(), "Missing weight for mapping destination \"" + dest + "\"");
                        bad = true;
                        continue;
                    }
                    try {
                        dests.add(new io.weft.engine.mapping.Mapping.Destination(
                                io.weft.engine.mapping.SubjectTransform.compile(src, dest), weight, cluster));
                    } catch (io.weft.engine.mapping.MappingException ex) {
                        problem(m.keyPosition(), "Error adding mapping for \"" + src + "\" to \"" + dest + "\" : " + ex.getMessage());
                        bad = true;
                    }
                }
                if (bad) {
                    continue;
                }
                try {
                    out.add(io.weft.engine.mapping.Mapping.of(src, dests));
                } catch (io.weft.engine.mapping.MappingException ex) {
                    problem(m.keyPosition(), "Error adding mapping for \"" + src + "\" : " + ex.getMessage());
                }
            }
            auth.mappings.computeIfAbsent(account, k -> new ArrayList<>()).addAll(out);
        }

        /**
         * What nats-server checks once every account is read: exports name defined accounts, every
         * import names a defined account that exports what it imports to it, its transform compiles,
         * and imports form no cycle. A refused import is dropped, so a cycle is reported once.
         */
        private void checkLinks(ServerOptions o, AuthConfig auth) {
            Position at = accountsPosition;
            if (at == null) {
                return;
            }
            for (java.util.Map.Entry<String, List<io.weft.engine.auth.Exports.Export>> e : auth.exports.entrySet()) {
                for (io.weft.engine.auth.Exports.Export ex : e.getValue()) {
                    if (ex.accounts() == null) {
                        continue;
                    }
                    for (String a : ex.accounts()) {
                        if (!auth.accounts.containsKey(a)) {
                            problem(at, "\"" + a + "\" account not defined for " + (ex.service() ? "service" : "stream") + " export");
                        }
                    }
                }
            }
            java.util.Map<String, List<io.weft.engine.auth.Exports.Import>> kept = new java.util.LinkedHashMap<>();
            java.util.Map<String, List<io.weft.engine.auth.Exports.Import>> accepted = new java.util.LinkedHashMap<>();
            for (java.util.Map.Entry<String, List<io.weft.engine.auth.Exports.Import>> e : auth.imports.entrySet()) {
                kept.put(e.getKey(), new ArrayList<>(e.getValue()));
                accepted.put(e.getKey(), new ArrayList<>());
            }
            for (java.util.Map.Entry<String, List<io.weft.engine.auth.Exports.Import>> e : auth.imports.entrySet()) {
                String importer = e.getKey();
                for (io.weft.engine.auth.Exports.Import imp : e.getValue()) {
                    String kind = imp.service() ? "service" : "stream";
                    String refused = null;
                    if (!auth.accounts.containsKey(imp.account())) {
                        problem(at, "\"" + imp.account() + "\" account not defined for " + kind + " import");
                        kept.get(importer).remove(imp);
                        continue;
                    }
                    if (!exported(auth, imp, importer)) {
                        refused = kind + " import not authorized";
                    } else {
                        try {
                            io.weft.engine.mapping.SubjectTransform t =
                                    io.weft.engine.mapping.SubjectTransform.forImport(imp.subject(), imp.to());
                            if (imp.service()) {
                                t.reverse();
                            }
                        } catch (io.weft.engine.mapping.MappingException ex) {
                            refused = imp.service()
                                    ? "failed to create mapping transform for service import subject from \"" + imp.to()
                                            + "\" to \"" + imp.subject() + "\": " + ex.getMessage()
                                    : "failed to create mapping transform for stream import subject from \"" + imp.subject()
                                            + "\" to \"" + imp.to() + "\": " + ex.getMessage();
                        }
                    }
                    if (refused == null && !importer.equals(imp.account())
                            && cycle(importer, imp.account(), imp.subject(), imp.service(), imp.service() ? kept : accepted,
                                    new java.util.HashSet<>())) {
                        refused = "import forms a cycle";
                    }
                    if (refused != null) {
                        problem(at, "Error adding " + kind + " import \"" + imp.subject() + "\": " + refused);
                        kept.get(importer).remove(imp);
                        continue;
                    }
                    accepted.get(importer).add(imp);
                }
            }
        }

        private boolean exported(AuthConfig auth, io.weft.engine.auth.Exports.Import imp, String importer) {
            if (importer.equals(imp.account())) {
                return true;
            }
            for (io.weft.engine.auth.Exports.Export ex : auth.exports.getOrDefault(imp.account(), List.of())) {
                if (ex.service() == imp.service() && ex.allows(importer)
                        && io.weft.store.Subjects.isSubsetMatch(imp.subject(), ex.subject())) {
                    return true;
                }
            }
            return false;
        }

        /**
         * True if {@code exporter}'s imports of the same kind lead back to {@code importer} on
         * subjects that overlap {@code subject} (in the exporter's space), directly or through
         * further accounts.
         */
        private boolean cycle(String importer, String exporter, String subject, boolean service,
                              java.util.Map<String, List<io.weft.engine.auth.Exports.Import>> graph,
                              java.util.Set<String> seen) {
            if (!seen.add(exporter + " " + subject)) {
                return false;
            }
            for (io.weft.engine.auth.Exports.Import next : graph.getOrDefault(exporter, List.of())) {
                if (next.service() != service || !io.weft.store.Subjects.overlaps(next.to(), subject)) {
                    continue;
                }
                if (next.account().equals(importer)) {
                    return true;
                }
                if (!next.account().equals(exporter) && cycle(importer, next.account(), next.subject(), service, graph, seen)) {
                    return true;
                }
            }
            return false;
        }

        // ---- cross-references ----

        private void crossCheck(ServerOptions o, AuthConfig auth) {
            for (ConfigMap.Entry ref : accountRefs) {
                String name = String.valueOf(((ConfigScalar) ref.value()).value());
                if (!auth.accounts.containsKey(name)) {
                    problem(ref.value().position(), "account \"" + name + "\" is not defined in the accounts block");
                }
            }
            if (noAuthUserEntry != null) {
                String name = auth.noAuthUser;
                boolean found = auth.users.stream().anyMatch(u -> u.username().equals(name))
                        || auth.nkeys.stream().anyMatch(n -> n.nkey().equals(name));
                if (auth.users.isEmpty() && auth.nkeys.isEmpty()) {
                    problem(noAuthUserEntry.value().position(), "no_auth_user: \"" + name + "\" present, but users are not defined");
                } else if (!found) {
                    problem(noAuthUserEntry.value().position(), "no_auth_user: \"" + name
                            + "\" not present as user in authorization block or account configuration");
                }
            }
            if (calloutEntry != null && auth.callout != null) {
                io.weft.engine.auth.AuthCallout.Config c = auth.callout;
                if (operatorEntry != null || trustedEntry != null) {
                    // operator mode configures callouts in the account JWT's authorization claim
                    problem(calloutEntry.keyPosition(), "\"authorization.auth_callout\" in operator mode " + REFUSED
                            + " (weft has no operator-mode auth callout yet)");
                }
                // nats-server only logs these two and runs a server that refuses every client
                if (!c.account().equals("$G") && !auth.accounts.containsKey(c.account())) {
                    problem(calloutEntry.keyPosition(), "Authorization callout account \"" + c.account() + "\" not valid");
                }
                for (String u : c.authUsers()) {
                    boolean found = auth.users.stream().anyMatch(x -> x.username().equals(u))
                            || auth.nkeys.stream().anyMatch(n -> n.nkey().equals(u)) || u.equals(auth.user);
                    if (!found) {
                        problem(calloutEntry.keyPosition(), "Authorization callout user \"" + u + "\" not valid");
                    }
                }
                for (String a : c.allowedAccounts()) {
                    if (!auth.accounts.containsKey(a)) {
                        problem(calloutEntry.keyPosition(), "auth_callout allowed account \"" + a
                                + "\" not found in configured accounts");
                    }
                }
            }
            if (maxPayloadEntry != null && o.maxPayload > o.maxPending) {
                problem(maxPayloadEntry.value().position(), "max_payload (" + o.maxPayload + ") cannot be higher than max_pending ("
                        + o.maxPending + ")");
            }
        }

        // ---- typed accessors ----

        private ConfigException err(ConfigValue at, String message) {
            return new ConfigException(at.position(), message);
        }

        private ConfigException wrongType(ConfigMap.Entry e, String expected) {
            ConfigValue v = e.value();
            String shown = v instanceof ConfigScalar s ? v.typeName() + " \"" + s.raw() + "\"" : v.typeName();
            return err(v, "\"" + e.key() + "\" must be " + expected + ", got " + shown);
        }

        private ConfigScalar scalar(ConfigMap.Entry e, ConfigScalar.Kind kind, String expected) {
            if (e.value() instanceof ConfigScalar s && s.kind() == kind) {
                return s;
            }
            throw wrongType(e, expected);
        }

        private String string(ConfigMap.Entry e) {
            return (String) scalar(e, ConfigScalar.Kind.STRING, "a string").value();
        }

        private boolean bool(ConfigMap.Entry e) {
            return (Boolean) scalar(e, ConfigScalar.Kind.BOOLEAN, "a boolean (true/false)").value();
        }

        private long integer(ConfigMap.Entry e) {
            return (Long) scalar(e, ConfigScalar.Kind.INTEGER, "an integer").value();
        }

        private int intValue(ConfigMap.Entry e) {
            long v = integer(e);
            if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
                throw err(e.value(), "\"" + e.key() + "\" value " + v + " is out of range");
            }
            return (int) v;
        }

        private int nonNegativeInt(ConfigMap.Entry e) {
            int v = intValue(e);
            if (v < 0) {
                throw err(e.value(), "\"" + e.key() + "\" must not be negative, got " + v);
            }
            return v;
        }

        /** A port: -1 (random) to 65535, as nats-server allows {@code port: -1}. */
        private int port(ConfigMap.Entry e) {
            long v = integer(e);
            if (v < -1 || v > 65535) {
                throw err(e.value(), "\"" + e.key() + "\" " + v + " is not a valid port (-1 for random, 0-65535)");
            }
            return (int) v;
        }

        /** A number of seconds (integer or float). */
        private double seconds(ConfigMap.Entry e) {
            if (e.value() instanceof ConfigScalar s && (s.kind() == ConfigScalar.Kind.INTEGER || s.kind() == ConfigScalar.Kind.FLOAT)) {
                return ((Number) s.value()).doubleValue();
            }
            throw wrongType(e, "a number of seconds");
        }

        /**
         * A duration: a string such as {@code "2m"} or {@code 10s}, or an integer number of seconds
         * (which nats-server also accepts, with a warning). An unquoted {@code 2m} is the integer
         * 2000000 (size suffix) and so means 2000000 seconds, exactly as in nats-server; a warning says so.
         */
        private Duration duration(ConfigMap.Entry e) {
            ConfigValue v = e.value();
            if (v instanceof ConfigScalar s && s.kind() == ConfigScalar.Kind.STRING) {
                try {
                    return Durations.parse((String) s.value());
                } catch (IllegalArgumentException ex) {
                    throw err(v, "\"" + e.key() + "\": " + ex.getMessage());
                }
            }
            if (v instanceof ConfigScalar s && s.kind() == ConfigScalar.Kind.INTEGER) {
                long secs = (Long) s.value();
                String warning = s.raw().chars().allMatch(c -> Character.isDigit(c) || c == '-')
                        ? v.position() + ": \"" + e.key() + "\" should be written as a duration such as \"" + secs
                                + "s\"; read as " + secs + " seconds"
                        : v.position() + ": \"" + e.key() + "\": unquoted " + s.raw() + " is the number " + secs
                                + " (size suffix) and is read as " + secs + " seconds; write \"" + s.raw()
                                + "\" in quotes for a duration";
                warnings.add(warning);
                // nats-server 2.15.1 runs with such a value, but its -t calls the file invalid:
                // "invalid use of field ...: ... should be converted to a duration"
                strictErrors.add(warning);
                try {
                    return Duration.ofSeconds(secs);
                } catch (ArithmeticException ex) {
                    throw err(v, "\"" + e.key() + "\" is out of range");
                }
            }
            throw wrongType(e, "a duration such as \"2m\" or \"10s\", or a number of seconds");
        }

        private ConfigMap map(ConfigMap.Entry e) {
            if (e.value() instanceof ConfigMap m) {
                return m;
            }
            throw wrongType(e, "a block { ... }");
        }

        /** {@code server_tags}: a list of strings (or one string), lower-cased as nats-server keeps them. */
        private List<String> tags(ConfigMap.Entry e) {
            List<String> out = new ArrayList<>();
            if (e.value() instanceof ConfigScalar sc && sc.kind() == ConfigScalar.Kind.STRING) {
                out.add(((String) sc.value()).trim().toLowerCase(Locale.ROOT));
                return List.copyOf(out);
            }
            for (ConfigValue v : list(e).items()) {
                if (!(v instanceof ConfigScalar sc) || sc.kind() != ConfigScalar.Kind.STRING) {
                    throw err(v, "server_tags must be strings");
                }
                out.add(((String) sc.value()).trim().toLowerCase(Locale.ROOT));
            }
            return List.copyOf(out);
        }

        private ConfigList list(ConfigMap.Entry e) {
            if (e.value() instanceof ConfigList l) {
                return l;
            }
            throw wrongType(e, "an array [ ... ]");
        }

        private HostPort hostPort(ConfigMap.Entry e, String defaultHost) {
            ConfigValue v = e.value();
            if (v instanceof ConfigScalar s && s.kind() == ConfigScalar.Kind.INTEGER) {
                return new HostPort(defaultHost, port(e));
            }
            String text = string(e);
            int colon = text.lastIndexOf(':');
            if (colon < 0) {
                return new HostPort(text, null);
            }
            String host = text.substring(0, colon);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            int port;
            try {
                port = Integer.parseInt(text.substring(colon + 1));
            } catch (NumberFormatException ex) {
                throw err(v, "\"" + e.key() + "\": could not parse port in \"" + text + "\"");
            }
            if (port < -1 || port > 65535) {
                throw err(v, "\"" + e.key() + "\": " + port + " is not a valid port");
            }
            return new HostPort(host.isEmpty() ? defaultHost : host, port);
        }
    }

    private record HostPort(String host, Integer port) {
    }

    /** A TLS file problem worded as nats-server words it. */
    public static String tlsLoadError(Exception ex) {
        if (ex instanceof java.nio.file.NoSuchFileException nf) {
            return "error parsing X509 certificate/key pair: open " + nf.getFile() + ": no such file or directory";
        }
        return "error parsing X509 certificate/key pair: " + ex.getMessage();
    }

    /** Convenience: parse a file and map it (with process-environment variables and defaults). */
    public static MappedConfig load(java.nio.file.Path file) {
        return new OptionsMapper().map(new ConfigParser().parseFile(file));
    }

}
