package io.weft.engine.monitor;

import io.weft.engine.ServerOptions;
import io.weft.engine.auth.AccountConfig;
import io.weft.engine.jetstream.ApiLevel;
import io.weft.engine.cluster.PeerIds;
import io.weft.engine.jetstream.JetStream;
import io.weft.engine.jetstream.meta.MetaGroup;
import io.weft.engine.json.GoFormat;
import io.weft.engine.node.Node;
import io.weft.engine.protocol.ConnectOptions;
import io.weft.engine.server.Account;
import io.weft.engine.server.ClientConnection;
import io.weft.engine.server.Server;
import io.weft.engine.sublist.SublistStats;
import io.weft.store.Corruption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Builds the monitoring documents (/varz, /connz, /subsz, ...) of one {@link Node}, shaped as
 * nats-server's. Reads only the public views of its server and JetStream; "now" comes from the
 * server's clock.
 */
public final class Monitor {
    private static final String KIND_CLIENT = "Client";
    private static final String TYPE_NATS = "nats";

    private final Node node;
    private final Server server;
    private final SubsStatsSource subsStats;
    private final HostStats host;
    private final Map<String, LongAdder> requests = new ConcurrentHashMap<>();
    private volatile String httpHost;
    private volatile int httpPort;

    /** A monitor reading each account's sublist statistics, without host figures. */
    public Monitor(Node node) {
        this(node, null, HostStats.NONE);
    }

    /**
     * @param subsStats an account's sublist statistics; null reads the account's sublist
     * @param host process memory and CPU for /varz
     */
    public Monitor(Node node, SubsStatsSource subsStats, HostStats host) {
        this.node = node;
        this.server = node.server();
        this.subsStats = subsStats != null ? subsStats : Monitor::sublistStats;
        this.host = host;
        ServerOptions opts = server.options();
        this.httpHost = opts.httpHost;
        this.httpPort = opts.httpPort;
    }

    public Server server() {
        return server;
    }

    /** Tells /varz where the monitoring endpoint is actually bound. */
    public void setHttpAddress(String host, int port) {
        this.httpHost = host;
        this.httpPort = port;
    }

    private volatile int httpsPort;

    /** Tells /varz where the HTTPS monitoring endpoint is actually bound (and that there is no HTTP one). */
    public void setHttpsAddress(String host, int port) {
        this.httpHost = host;
        this.httpPort = 0;
        this.httpsPort = port;
    }

    /** Counts one request to a monitoring path, reported in /varz {@code http_req_stats}. */
    public void countRequest(String path) {
        requests.computeIfAbsent(path, p -> new LongAdder()).increment();
    }

    private long now() {
        return server.env().clock().currentTimeMillis();
    }

    // ---------------------------------------------------------------- /varz

    public Varz varz() {
        ServerOptions opts = server.options();
        long now = now();
        Map<String, Long> reqs = new TreeMap<>();
        requests.forEach((k, v) -> reqs.put(k, v.sum()));
        SublistStats subs = totalStats();
        JetStream jet = node.jetStream();
        Varz.JetStreamVarz js = opts.jetstream
                ? new Varz.JetStreamVarz(jetStreamConfig(opts), jet == null
                        ? new Jsz.Stats(0, 0, 0, 0, 0, 0, new Jsz.Api(ApiLevel.LEVEL, 0, 0))
                        : new Jsz.Stats(jet.used(true), jet.used(false), 0, 0, jet.accounts().size(), 0,
                                new Jsz.Api(ApiLevel.LEVEL, jet.apiTotal(), jet.apiErrors())))
                : Varz.JetStreamVarz.DISABLED;
        return new Varz(
                server.serverId(),
                server.serverName(),
                Server.COMPAT_VERSION,
                Server.PROTO,
                Server.runtimeName(),
                opts.host,
                server.port(),
                !opts.auth.isEmpty(),
                node.routes() == null ? List.of() : node.routes().clientConnectUrls(),
                opts.maxConnections,
                opts.pingInterval.toNanos(),
                opts.pingMax,
                httpHost,
                httpPort,
                "",
                httpsPort,
                authTimeoutSeconds(opts),
                opts.maxControlLine,
                opts.maxPayload,
                opts.maxPending,
                clusterVarz(opts),
                Map.of(),
                Map.of(),
                Map.of(),
                Map.of(),
                js,
                opts.tls != null && opts.tls.timeout() != null ? opts.tls.timeout().toNanos() / 1e9 : 2.0,
                opts.writeDeadline.toNanos(),
                GoFormat.time(server.startMillis()),
                GoFormat.time(now),
                GoFormat.uptime(now - server.startMillis()),
                host.memoryBytes(),
                host.cores(),
                host.maxProcs(),
                host.cpuPercent(),
                server.openClients().size(),
                server.totalConnections(),
                routeCount(false),
                routeCount(true),
                0,
                server.inMsgs(),
                server.inBytes(),
                server.inClientMsgs(),
                server.inClientBytes(),
                server.outMsgs(),
                server.outBytes(),
                server.outClientMsgs(),
                server.outClientBytes(),
                server.slowConsumers(),
                server.staleConnections(),
                server.stallStats().count(),
                subs.numSubscriptions(),
                reqs,
                GoFormat.time(server.configLoadMillis()),
                nz(opts.configDigest),
                nz(opts.effectiveSystemAccount()),
                byKind(server::slowConsumers),
                byKind(server::staleConnections));
    }

    private static Varz.ByKind byKind(java.util.function.ToLongFunction<Server.ConnKind> count) {
        return new Varz.ByKind(count.applyAsLong(Server.ConnKind.CLIENT), count.applyAsLong(Server.ConnKind.ROUTE),
                count.applyAsLong(Server.ConnKind.GATEWAY), count.applyAsLong(Server.ConnKind.LEAF));
    }

    private static double authTimeoutSeconds(ServerOptions opts) {
        Double t = opts.auth.timeoutSeconds;
        return t != null ? t : opts.authTimeout.toNanos() / 1e9;
    }

    // ---------------------------------------------------------------- /connz

    /** A connection's figures, read once so that sorting sees consistent values. */
    private record Snap(ClientConnection c, boolean closed, long cid, long start, long last, long stop,
                        long uptime, long idle, long subs, long pending, long inMsgs, long outMsgs,
                        long inBytes, long outBytes, long rtt, String reason) {
    }

    private static Snap snap(ClientConnection c, boolean closed, long now) {
        long start = c.startMillis();
        long last = c.lastActivityMillis();
        long stop = closed ? c.stopMillis() : 0;
        long end = closed ? stop : now;
        return new Snap(c, closed, c.cid(), start, last, stop, end - start, end - last, c.subscriptionCount(),
                c.pendingBytes(), c.inMsgs(), c.outMsgs(), c.inBytes(), c.outBytes(), c.rttNanos(),
                nz(c.closeReason()));
    }

    public Connz connz(ConnzOptions o) {
        long now = now();
        String nowText = GoFormat.time(now);
        if (!o.account().isEmpty() && findAccount(o.account()) == null) {
            // nats-server answers an unknown account with an empty document
            return new Connz("", nowText, 0, 0, 0, o.limit(), null);
        }
        List<Snap> pool = new ArrayList<>();
        Map<Long, Boolean> seen = new LinkedHashMap<>();
        if (o.state() != ConnzOptions.State.OPEN) {
            for (ClientConnection c : server.closedClients()) {
                if (seen.putIfAbsent(c.cid(), Boolean.TRUE) == null) {
                    pool.add(snap(c, true, now));
                }
            }
        }
        if (o.state() != ConnzOptions.State.CLOSED) {
            for (ClientConnection c : server.openClients()) {
                if (seen.putIfAbsent(c.cid(), Boolean.TRUE) == null) {
                    // a connection closing right now is reported as open until it leaves the list
                    pool.add(snap(c, false, now));
                }
            }
        }
        if (!o.account().isEmpty()) {
            pool.removeIf(s -> !o.account().equals(s.c().accountName()));
        }
        if (!o.user().isEmpty()) {
            pool.removeIf(s -> !o.user().equals(s.c().authorizedUser()));
        }
        int total = pool.size();
        List<Snap> selected;
        int limit = o.limit();
        int offset = o.offset();
        if (!o.mqttClient().isEmpty()) {
            selected = List.of();
        } else if (o.cid() > 0) {
            limit = 1;
            selected = pool.stream().filter(s -> s.cid() == o.cid()).limit(1).toList();
        } else {
            pool.sort(comparator(o.sort()));
            int from = Math.min(offset, pool.size());
            int to = (int) Math.min((long) from + limit, pool.size());
            selected = pool.subList(from, to);
        }
        List<Connz.ConnInfo> infos = new ArrayList<>(selected.size());
        for (Snap s : selected) {
            infos.add(connInfo(s, o));
        }
        return new Connz(server.serverId(), nowText, infos.size(), total, offset, limit, infos);
    }

    private static Comparator<Snap> comparator(ConnzSort sort) {
        Comparator<Snap> byCid = Comparator.comparingLong(Snap::cid);
        Comparator<Snap> primary = switch (sort) {
            case CID -> byCid;
            case START -> Comparator.comparingLong(Snap::start);
            case SUBS -> Comparator.comparingLong(Snap::subs).reversed();
            case PENDING -> Comparator.comparingLong(Snap::pending).reversed();
            case MSGS_TO -> Comparator.comparingLong(Snap::outMsgs).reversed();
            case MSGS_FROM -> Comparator.comparingLong(Snap::inMsgs).reversed();
            case BYTES_TO -> Comparator.comparingLong(Snap::outBytes).reversed();
            case BYTES_FROM -> Comparator.comparingLong(Snap::inBytes).reversed();
            case LAST -> Comparator.comparingLong(Snap::last).reversed();
            // nats-server 2.9.10 orders "idle" by time active (last activity minus start), largest first
            case IDLE -> Comparator.comparingLong((Snap s) -> s.last() - s.start()).reversed();
            // and "uptime" shortest first
            case UPTIME -> Comparator.comparingLong(Snap::uptime);
            case STOP -> Comparator.comparingLong(Snap::stop).reversed();
            case REASON -> Comparator.comparing(Snap::reason);
            case RTT -> Comparator.comparingLong(Snap::rtt).reversed();
        };
        return primary.thenComparing(byCid);
    }

    private Connz.ConnInfo connInfo(Snap s, ConnzOptions o) {
        ClientConnection c = s.c();
        ConnectOptions co = c.connectOptions();
        List<String> subjects = null;
        List<SubDetail> details = null;
        if (o.subs()) {
            subjects = nullIfEmpty(c.subscriptionSubjects());
        }
        if (o.detail()) {
            // nats-server names the account in the details of closed connections only
            details = nullIfEmpty(subDetails(c, s.closed() ? c.accountName() : null));
        }
        String user = null;
        String account = null;
        String nameTag = null;
        if (o.auth()) {
            // as nats-server: the global account is not named, its name tag (the name, without JWTs) is
            user = nz(c.authorizedUser()).isEmpty() ? null : c.authorizedUser();
            account = Account.GLOBAL.equals(c.accountName()) ? null : c.accountName();
            nameTag = c.accountName();
        }
        io.weft.net.TlsServer.Session tls = c.tlsSession();
        return new Connz.ConnInfo(
                s.cid(),
                KIND_CLIENT,
                TYPE_NATS,
                c.ip(),
                c.remotePort(),
                GoFormat.time(s.start()),
                GoFormat.time(s.last()),
                s.closed() ? GoFormat.time(s.stop()) : null,
                s.closed() ? s.reason() : null,
                GoFormat.rtt(s.rtt()),
                GoFormat.uptime(s.uptime()),
                GoFormat.uptime(s.idle()),
                s.pending(),
                s.inMsgs(),
                s.outMsgs(),
                s.inBytes(),
                s.outBytes(),
                c.stalls(),
                s.subs(),
                co == null ? null : co.name(),
                co == null ? null : co.lang(),
                co == null ? null : co.version(),
                tls == null ? null : tls.version(),
                tls == null ? null : tls.cipherSuite(),
                c.tlsFirst(),
                user,
                account,
                subjects,
                details,
                nameTag);
    }

    private static List<SubDetail> subDetails(ClientConnection c, String account) {
        List<SubDetail> list = new ArrayList<>();
        for (ClientConnection.SubscriptionView v : c.subscriptions()) {
            list.add(new SubDetail(account, v.subject(), v.queue(), v.sid(), v.delivered(), v.max(), c.cid()));
        }
        return list;
    }

    // ---------------------------------------------------------------- /subsz

    public Subsz subsz(SubszOptions o) {
        SublistStats stats;
        if (!o.account().isEmpty()) {
            Account a = findAccount(o.account());
            stats = a == null ? SublistStats.ZERO : subsStats.stats(a);
        } else {
            stats = totalStats();
        }
        String nowText = GoFormat.time(now());
        if (!o.subs()) {
            return Subsz.of(server.serverId(), nowText, stats, 0, o.offset(), o.limit(), List.of());
        }
        List<SubDetail> all = new ArrayList<>();
        for (ClientConnection c : server.openClients()) {
            String acc = c.accountName();
            if (!o.account().isEmpty() && !o.account().equals(acc)) {
                continue;
            }
            for (ClientConnection.SubscriptionView v : c.subscriptions()) {
                if (!o.test().isEmpty() && !SubjectMatch.matches(v.subject(), o.test())) {
                    continue;
                }
                all.add(new SubDetail(acc, v.subject(), v.queue(), v.sid(), v.delivered(), v.max(), c.cid()));
            }
        }
        // openClients() is in cid order and each client's views in sid order; group by account
        all.sort(Comparator.comparing(SubDetail::account));
        int from = Math.min(Math.max(o.offset(), 0), all.size());
        int to = (int) Math.min((long) from + o.limit(), all.size());
        List<SubDetail> page = List.copyOf(all.subList(from, to));
        return Subsz.of(server.serverId(), nowText, stats, all.size(), o.offset(), o.limit(), page);
    }

    private SublistStats totalStats() {
        SublistStats total = SublistStats.ZERO;
        for (Account a : sortedAccounts()) {
            total = total.plus(subsStats.stats(a));
        }
        return total;
    }

    /** The account sublist's own counters. */
    private static SublistStats sublistStats(Account a) {
        return a.sublist().stats();
    }

    // ---------------------------------------------------------------- /accountz, /accstatz

    /** {@code /accountz}; {@code acc} is "" for the list of names. */
    public Accountz accountz(String acc) throws MonitorException {
        String nowText = GoFormat.time(now());
        if (acc == null || acc.isEmpty()) {
            List<String> names = new ArrayList<>();
            for (Account a : sortedAccounts()) {
                names.add(a.name());
            }
            return new Accountz(server.serverId(), nowText, nz(server.options().effectiveSystemAccount()), names, null);
        }
        Account a = findAccount(acc);
        if (a == null) {
            throw new MonitorException("Account " + acc + " does not exist");
        }
        SublistStats stats = subsStats.stats(a);
        Accountz.AccountInfo info = new Accountz.AccountInfo(a.name(), GoFormat.time(server.configLoadMillis()),
                false, true, jetStreamEnabled(a), 0, a.clientCount(), stats.numSubscriptions(), stats);
        return new Accountz(server.serverId(), nowText, nz(server.options().effectiveSystemAccount()), null, info);
    }

    /** {@code /accstatz}; accounts without connections are listed only when {@code unused}. */
    public Accstatz accstatz(boolean unused) {
        Map<String, long[]> open = new TreeMap<>();
        for (ClientConnection c : server.openClients()) {
            long[] s = open.computeIfAbsent(c.accountName(), k -> new long[5]);
            s[0]++;
            s[1] += c.outMsgs();
            s[2] += c.outBytes();
            s[3] += c.inMsgs();
            s[4] += c.inBytes();
        }
        List<Accstatz.AccountStat> list = new ArrayList<>();
        for (Account a : sortedAccounts()) {
            long[] s = open.getOrDefault(a.name(), new long[5]);
            if (s[0] == 0 && !unused) {
                continue;
            }
            Server.Traffic gone = server.closedTraffic(a.name());
            list.add(new Accstatz.AccountStat(a.name(), a.name(), s[0], 0, s[0], subsStats.stats(a).numSubscriptions(),
                    new Accstatz.Data(s[1] + gone.outMsgs(), s[2] + gone.outBytes()),
                    new Accstatz.Data(s[3] + gone.inMsgs(), s[4] + gone.inBytes()), server.slowConsumers(a.name())));
        }
        return new Accstatz(server.serverId(), GoFormat.time(now()), list);
    }

    private boolean jetStreamEnabled(Account a) {
        ServerOptions opts = server.options();
        if (!opts.jetstream) {
            return false;
        }
        JetStream js = node.jetStream();
        if (js != null) {
            return js.account(a.name()) != null;
        }
        AccountConfig ac = opts.auth.accounts.get(a.name());
        return ac == null ? Account.GLOBAL.equals(a.name()) : ac.jetstream();
    }

    private Account findAccount(String name) {
        for (Account a : server.accounts()) {
            if (a.name().equals(name)) {
                return a;
            }
        }
        return null;
    }

    private List<Account> sortedAccounts() {
        List<Account> list = new ArrayList<>(server.accounts());
        list.sort(Comparator.comparing(Account::name));
        return list;
    }

    // ---------------------------------------------------------------- the rest

    public Routez routez() {
        return routez(false);
    }

    /** {@code /routez}; {@code subs} adds each route's {@code subscriptions_list} (the peer's interest). */
    public Routez routez(boolean subs) {
        return routez(subs, false);
    }

    /**
     * {@code /routez}; {@code subs} adds each route's {@code subscriptions_list} (the peer's
     * interest), {@code detail} its {@code subscriptions_list_detail} instead (sid {@code R
     * <account> <subject> [<queue>]}, the route's rid as cid, as nats-server 2.15.1 shows them).
     */
    public Routez routez(boolean subs, boolean detail) {
        long now = now();
        List<Routez.RouteInfo> list = new ArrayList<>();
        io.weft.engine.route.Routes routes = node.routes();
        if (routes != null) {
            for (io.weft.engine.route.RouteConnection rc : routes.snapshot()) {
                List<String> subjects = subs && !detail ? rc.remoteSubjects() : List.of();
                List<SubDetail> details = new ArrayList<>();
                if (detail) {
                    for (String[] i : rc.remoteInterest()) {
                        String sid = "R " + i[0] + " " + i[1] + (i[2] == null ? "" : " " + i[2]);
                        details.add(new SubDetail(null, i[1], i[2], sid, 0, 0, rc.rid()));
                    }
                }
                list.add(new Routez.RouteInfo(rc.rid(), rc.remoteId(), rc.remoteName(), rc.solicited(), rc.configured(),
                        rc.remoteHost(), rc.remotePort(), GoFormat.time(rc.startMillis()),
                        GoFormat.time(rc.lastActivityMillis()), GoFormat.rtt(rc.rttNanos()),
                        GoFormat.uptime(now - rc.startMillis()), GoFormat.uptime(now - rc.lastActivityMillis()),
                        rc.pendingBytes(), rc.inMsgs(), rc.outMsgs(), rc.inBytes(), rc.outBytes(),
                        rc.remoteSubscriptionCount(), subjects, details, "off"));
            }
        }
        return new Routez(server.serverId(), server.serverName(), GoFormat.time(now), list.size(), list);
    }

    /** Route connections, or (remotes) the distinct servers they reach. */
    private long routeCount(boolean remotes) {
        io.weft.engine.route.Routes routes = node.routes();
        if (routes == null) {
            return 0;
        }
        List<io.weft.engine.route.RouteConnection> l = routes.snapshot();
        return remotes ? l.stream().map(io.weft.engine.route.RouteConnection::remoteId).distinct().count() : l.size();
    }

    /** The {@code cluster} object of /varz: empty without a cluster, as nats-server. */
    private Map<String, Object> clusterVarz(ServerOptions opts) {
        io.weft.engine.route.Routes routes = node.routes();
        if (routes == null) {
            return Map.of();
        }
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("name", routes.clusterName());
        m.put("addr", opts.clusterHost);
        m.put("cluster_port", routes.port() < 0 ? opts.clusterPort : routes.port());
        m.put("auth_timeout", opts.clusterAuthTimeout.toNanos() / 1e9);
        if (!opts.routes.isEmpty()) {
            m.put("urls", opts.routes);
        }
        io.weft.net.TlsServer rt = opts.clusterTls;
        m.put("tls_timeout", rt != null && rt.timeout() != null ? rt.timeout().toNanos() / 1e9 : 2.0);
        if (rt != null) {
            m.put("tls_required", true);
            m.put("tls_verify", true);
        }
        // one route per peer carries every account: what nats-server calls pooling disabled
        m.put("pool_size", -1);
        return m;
    }

    public Gatewayz gatewayz() {
        return new Gatewayz(server.serverId(), GoFormat.time(now()), Map.of(), Map.of());
    }

    public Leafz leafz() {
        return new Leafz(server.serverId(), GoFormat.time(now()), 0, null);
    }

    public Healthz healthz() {
        return healthz(HealthzOptions.DEFAULT);
    }

    /** {@code /healthz} with {@code js-enabled-only} alone (the other options unset). */
    public Healthz healthz(boolean jsEnabledOnly) {
        return healthz(new HealthzOptions(jsEnabledOnly, false, false, "", "", "", false));
    }

    /**
     * {@code /healthz} as nats-server 2.15.1 checks a single server: a consumer without a stream or a
     * stream without an account is a bad request (400); {@code js-server-only} stops after the
     * server itself; with JetStream configured but not running the server is "unavailable";
     * {@code js-enabled-only} stops there; otherwise a stream whose store found damage or lost files
     * makes the server unhealthy. {@code details} lists errors under {@code errors} with status
     * "error" instead of one {@code error} text.
     */
    public Healthz healthz(HealthzOptions o) {
        if (o.account().isEmpty() && !o.stream().isEmpty()) {
            return Healthz.failed(400, "error", o.details(), "BAD_REQUEST",
                    "\"account\" must not be empty when checking stream health");
        }
        if (o.stream().isEmpty() && !o.consumer().isEmpty()) {
            return Healthz.failed(400, "error", o.details(), "BAD_REQUEST",
                    "\"stream\" must not be empty when checking consumer health");
        }
        if (o.jsServerOnly() || !server.options().jetstream) {
            return Healthz.ok(o.details());
        }
        JetStream js = node.jetStream();
        if (js == null) {
            return Healthz.failed(503, "unavailable", o.details(), "JETSTREAM",
                    "JetStream not enabled");
        }
        if (o.jsEnabledOnly()) {
            return Healthz.ok(o.details());
        }
        String meta = js.metaHealthError();
        if (meta != null) {
            return Healthz.failed(503, "unavailable", o.details(), "JETSTREAM", meta);
        }
        if (o.jsMetaOnly() && js.meta() != null) {
            return Healthz.ok(o.details()); // a single server ignores js-meta-only (as nats-server)
        }
        String damage = js.healthError(o.account(), o.stream());
        if (damage != null) {
            return Healthz.failed(503, "unavailable", o.details(), "STREAM", damage);
        }
        JetStream.HealthMiss miss = js.healthFind(o.account(), o.stream(), o.consumer());
        if (miss != null) {
            String type = miss.type();
            return Healthz.failed(miss.httpStatus(), "unavailable", o.details(), new Healthz.Problem(type, o.account(),
                    type.equals("ACCOUNT") ? null : o.stream(), type.equals("CONSUMER") ? o.consumer() : null,
                    miss.error()));
        }
        return Healthz.ok(o.details());
    }

    /** {@code /jsz}: JetStream usage, or the "disabled" document. */
    public Jsz jsz() {
        return jsz(null, false, false, false, false);
    }

    /**
     * {@code /jsz} with details: {@code accounts} lists accounts, {@code streams} also their streams,
     * {@code consumers} also the consumers, {@code config} adds stream configs; {@code acc} keeps one
     * account. As in nats-server, each detail flag implies the ones before it.
     */
    public Jsz jsz(String acc, boolean accounts, boolean streams, boolean consumers, boolean config) {
        ServerOptions opts = server.options();
        String nowText = GoFormat.time(now());
        JetStream js = opts.jetstream ? node.jetStream() : null;
        if (js == null) {
            // nats-server answers the same "disabled" document when JetStream is configured but not running
            return new Jsz(0, 0, 0, 0, 0, 0, new Jsz.Api(0, 0, 0), server.serverId(), nowText, true, Jsz.Config.NONE,
                    0, 0, 0, 0, null, List.of(), 0);
        }
        JetStream.Totals t = js.totals();
        boolean withAccounts = accounts || streams || consumers || (acc != null && !acc.isEmpty());
        List<Jsz.AccountDetail> details = withAccounts
                ? js.accountDetails(acc, streams || consumers, consumers, config).stream().map(Monitor::accountDetail)
                        .toList()
                : List.of();
        int enabled = js.accounts().size();
        return new Jsz(t.memory(), t.storage(), 0, 0, enabled, 0,
                new Jsz.Api(ApiLevel.LEVEL, js.apiTotal(), js.apiErrors()), server.serverId(), nowText, false,
                jetStreamConfig(opts), t.streams(), t.consumers(), t.messages(), t.bytes(), metaCluster(js), details,
                enabled);
    }

    /** {@code /jsz meta_cluster}: this member's view of the meta group, or null when JetStream runs alone. */
    private static Jsz.MetaCluster metaCluster(JetStream js) {
        MetaGroup m = js.meta();
        if (m == null) {
            return null;
        }
        List<Jsz.PeerInfo> replicas = new ArrayList<>();
        long leader = m.leader();
        for (MetaGroup.Replica r : m.replicas()) { // every member but this one, by name (as nats-server)
            replicas.add(new Jsz.PeerInfo(r.name(), r.current(), r.offline(), r.activeNanos(), r.lag(),
                    PeerIds.hex(r.peer())));
        }
        int size = m.voters().size(); // less the servers SERVER.REMOVE took out
        return new Jsz.MetaCluster(m.cluster(), m.leaderName(), leader == 0 ? "" : PeerIds.hex(leader), replicas, size,
                size / 2 + 1, 0, 0, 0);
    }

    private static Jsz.AccountDetail accountDetail(JetStream.AccountReport a) {
        List<Jsz.StreamDetail> streams = new ArrayList<>();
        for (JetStream.StreamReport s : a.streams()) {
            List<Jsz.Corrupt> bad = new ArrayList<>();
            for (Corruption c : s.corruptions()) {
                bad.add(new Jsz.Corrupt(c.firstSeq(), c.lastSeq(), c.where(), c.reason()));
            }
            streams.add(new Jsz.StreamDetail(s.name(), s.created(), new Jsz.Cluster(s.leader()), s.config(), s.state(),
                    s.consumers(), bad));
        }
        return new Jsz.AccountDetail(a.name(), a.name(), a.memory(), a.storage(), 0, 0, 0, 0,
                new Jsz.Api(ApiLevel.LEVEL, a.apiTotal(), a.apiErrors()), streams);
    }

    /**
     * The JetStream {@code config} block: the limits JetStream runs with (weft's server applies
     * nats-server's defaults when they are unset: see Serve), its store directory and sync policy.
     */
    private Jsz.Config jetStreamConfig(ServerOptions opts) {
        JetStream js = node.jetStream();
        ServerOptions in = js != null ? js.options() : opts;
        Duration sync = in.jetstreamSyncInterval;
        boolean always = sync != null && sync.isZero();
        return new Jsz.Config(Math.max(0, in.jetstreamMaxMemory), Math.max(0, in.jetstreamMaxStore),
                js != null ? js.storeDir() : nz(opts.storeDir), sync == null || always ? 0 : sync.toNanos(), always,
                nz(in.jetstreamDomain), true);
    }

    private static <T> List<T> nullIfEmpty(List<T> list) {
        return list == null || list.isEmpty() ? null : list;
    }

    private static String nz(String s) {
        return s == null ? "" : s;
    }
}
