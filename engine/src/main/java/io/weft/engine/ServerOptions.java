package io.weft.engine;

import io.weft.engine.auth.AuthConfig;
import java.time.Duration;

/**
 * Everything the server is configured with, after flags and the config file are merged. Defaults
 * are nats-server's. Mutable while being built; the server treats the instance it is given as read
 * only (a reload builds a new one).
 */
public final class ServerOptions {
    public static final long MAX_PAYLOAD_LIMIT = 64L * 1024 * 1024;

    public String serverName = "";
    public String host = "0.0.0.0";
    public int port = 4222;
    /** Client advertise address, or null. */
    public String clientAdvertise;

    public String httpHost = "0.0.0.0";
    /** Monitoring port; 0 disables monitoring, -1 picks a free port. */
    public int httpPort = 0;
    /** HTTPS monitoring port (with the {@code tls} block's certificate); 0 for none, -1 picks a free port. */
    public int httpsPort = 0;

    public long maxPayload = 1024 * 1024;
    public int maxControlLine = 4096;
    public int maxConnections = 64 * 1024;
    /** 0 means unlimited. */
    public int maxSubscriptions = 0;
    public Duration authTimeout = Duration.ofSeconds(2);
    public Duration pingInterval = Duration.ofMinutes(2);
    public int pingMax = 2;
    public Duration writeDeadline = Duration.ofSeconds(10);
    public long maxPending = 64L * 1024 * 1024;
    public boolean noHeaderSupport = false;
    /**
     * {@code no_fast_producer_stall}: a client publishing to a subscriber that is past its stall
     * threshold is not slowed down; that subscriber misses the message instead (nats-server 2.11+).
     */
    public boolean noFastProducerStall = false;

    /** {@code cluster { name }}: empty = none configured (a dynamic name is made up at start). */
    public String clusterName = "";
    /** {@code cluster { host }}: the route listener's address. */
    public String clusterHost = "0.0.0.0";
    /** {@code cluster { port }}: the route listener's port; -1 = no cluster (0 = any free port). */
    public int clusterPort = -1;
    /** {@code cluster { routes }}: explicit routes, as {@code host:port} pairs, dialled and re-dialled forever. */
    public java.util.List<String> routes = java.util.List.of();
    /** {@code cluster { advertise }} / {@code --cluster_advertise}: the route URL (host[:port]) peers are told to dial; null = the listen address. */
    public String clusterAdvertise;
    /** {@code cluster { no_advertise }}: neither client INFO nor route INFO carries client URLs ({@code connect_urls}). */
    public boolean clusterNoAdvertise = false;
    /** {@code cluster { connect_retries }}: accepted; explicit routes are re-dialled forever (see the user guide). */
    public int clusterConnectRetries = 0;
    /**
     * {@code cluster { authorization { user, password } }} (or {@code --cluster nats://u:p@host:port}):
     * the credentials a peer's route CONNECT must carry; null = routes need none. The password may
     * be a bcrypt hash, as for clients. Gossiped (implicit) routes are dialled with these, as
     * nats-server does.
     */
    public String clusterUser;
    public String clusterPassword;
    /** {@code cluster { authorization { timeout } }}: how long an accepted route may take to send its CONNECT. */
    public Duration clusterAuthTimeout = Duration.ofSeconds(2);
    /** The user and password of a route URL ({@code nats-route://user:pass@host:port}). */
    public record RouteCredentials(String user, String password) {
    }
    /** Credentials of the explicit routes whose URL carries them, by {@code host:port} (as in {@link #routes}). */
    public java.util.Map<String, RouteCredentials> routeCredentials = java.util.Map.of();
    /**
     * {@code cluster { tls {} }}: every route, accepted or dialled, is TLS from its first byte (as
     * nats-server, before INFO); null = plain routes. Real network only.
     */
    public io.weft.net.TlsServer clusterTls;
    /** {@code cluster { tls { insecure } }}: routes this server dials do not verify the peer's certificate. */
    public boolean clusterTlsInsecure = false;
    /** {@code cluster { tls { verify_and_map } }}: a peer's certificate must name {@link #clusterUser} (instead of a password). */
    public boolean clusterTlsMap = false;

    /**
     * {@code /varz config_digest}: "sha256:" and the hex digest nats-server computes over its parsed
     * configuration file, "" without one (set by whoever parses the file).
     */
    public String configDigest = "";

    /** The system account's name when {@code system_account} does not name one (nats-server's). */
    public static final String DEFAULT_SYSTEM_ACCOUNT = "$SYS";
    /** {@code system_account}: the account of the server's own services and events ("" = {@code $SYS}). */
    public String systemAccount = "";
    /** {@code no_system_account}: no system account, so no $SYS services or events. */
    public boolean noSystemAccount = false;

    /** The system account's name, or null when there is none ({@code no_system_account}). */
    public String effectiveSystemAccount() {
        return noSystemAccount ? null : systemAccount == null || systemAccount.isEmpty()
                ? DEFAULT_SYSTEM_ACCOUNT : systemAccount;
    }

    public boolean jetstream = false;
    public String storeDir = "";
    public long jetstreamMaxMemory = -1;
    public long jetstreamMaxStore = -1;
    public String jetstreamDomain = "";
    /** {@code server_tags}: this server's tags, which stream placement matches ({@code placement.tags}). */
    public java.util.List<String> serverTags = java.util.List.of();
    /** {@code jetstream { unique_tag }}: a tag prefix whose values a stream's replicas must not share (empty: none). */
    public String jetstreamUniqueTag = "";
    /**
     * {@code jetstream { sync_interval }}: null (the default) syncs each publish batch before its
     * acks are sent; zero ({@code always}) syncs every message; a duration syncs on a timer and acks
     * before the data is durable.
     */
    public Duration jetstreamSyncInterval = null;
    /**
     * {@code jetstream { limits { batch { max_inflight_per_stream, max_inflight_total, max_msgs,
     * timeout } } }}: the atomic batch publish limits; 0 (or a zero timeout) is nats-server's default.
     */
    public int jetstreamBatchInflightPerStream = 0;
    public int jetstreamBatchInflightTotal = 0;
    public int jetstreamBatchMaxMsgs = 0;
    public Duration jetstreamBatchTimeout = Duration.ZERO;

    public boolean debug = false;
    public boolean trace = false;
    public boolean logTime = true;
    public String logFile = "";
    public String pidFile = "";
    public String configFile = "";

    public Duration lameDuckDuration = Duration.ofMinutes(2);
    public Duration lameDuckGracePeriod = Duration.ofSeconds(10);

    public AuthConfig auth = new AuthConfig();

    /**
     * Client TLS ({@code tls {}} or {@code --tls*}), null when off. Real network only: the
     * simulator runs without it. Every client then handshakes before its CONNECT.
     */
    public io.weft.net.TlsServer tls;
    /** {@code tls { handshake_first }}: the TLS handshake comes before INFO instead of after it. */
    public boolean tlsHandshakeFirst = false;

    /** A shallow copy (auth is replaced wholesale on reload, never mutated). */
    public ServerOptions copy() {
        ServerOptions o = new ServerOptions();
        o.serverName = serverName;
        o.host = host;
        o.port = port;
        o.clientAdvertise = clientAdvertise;
        o.httpHost = httpHost;
        o.httpPort = httpPort;
        o.httpsPort = httpsPort;
        o.maxPayload = maxPayload;
        o.maxControlLine = maxControlLine;
        o.maxConnections = maxConnections;
        o.maxSubscriptions = maxSubscriptions;
        o.authTimeout = authTimeout;
        o.pingInterval = pingInterval;
        o.pingMax = pingMax;
        o.writeDeadline = writeDeadline;
        o.maxPending = maxPending;
        o.noHeaderSupport = noHeaderSupport;
        o.noFastProducerStall = noFastProducerStall;
        o.systemAccount = systemAccount;
        o.noSystemAccount = noSystemAccount;
        o.clusterName = clusterName;
        o.clusterHost = clusterHost;
        o.clusterPort = clusterPort;
        o.routes = routes;
        o.clusterNoAdvertise = clusterNoAdvertise;
        o.clusterConnectRetries = clusterConnectRetries;
        o.configDigest = configDigest;
        o.jetstream = jetstream;
        o.storeDir = storeDir;
        o.jetstreamMaxMemory = jetstreamMaxMemory;
        o.jetstreamMaxStore = jetstreamMaxStore;
        o.jetstreamDomain = jetstreamDomain;
        o.serverTags = serverTags;
        o.jetstreamUniqueTag = jetstreamUniqueTag;
        o.jetstreamSyncInterval = jetstreamSyncInterval;
        o.jetstreamBatchInflightPerStream = jetstreamBatchInflightPerStream;
        o.jetstreamBatchInflightTotal = jetstreamBatchInflightTotal;
        o.jetstreamBatchMaxMsgs = jetstreamBatchMaxMsgs;
        o.jetstreamBatchTimeout = jetstreamBatchTimeout;
        o.debug = debug;
        o.trace = trace;
        o.logTime = logTime;
        o.logFile = logFile;
        o.pidFile = pidFile;
        o.configFile = configFile;
        o.tls = tls;
        o.tlsHandshakeFirst = tlsHandshakeFirst;
        o.lameDuckDuration = lameDuckDuration;
        o.lameDuckGracePeriod = lameDuckGracePeriod;
        o.auth = auth;
        o.clusterName = clusterName;
        o.clusterHost = clusterHost;
        o.clusterPort = clusterPort;
        o.routes = routes;
        o.clusterAdvertise = clusterAdvertise;
        o.clusterNoAdvertise = clusterNoAdvertise;
        o.clusterConnectRetries = clusterConnectRetries;
        o.clusterUser = clusterUser;
        o.clusterPassword = clusterPassword;
        o.clusterAuthTimeout = clusterAuthTimeout;
        o.routeCredentials = routeCredentials;
        o.clusterTls = clusterTls;
        o.clusterTlsInsecure = clusterTlsInsecure;
        o.clusterTlsMap = clusterTlsMap;
        return o;
    }
}
