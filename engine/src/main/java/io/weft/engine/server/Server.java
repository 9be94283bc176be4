package io.weft.engine.server;

import io.weft.engine.ServerLog;
import io.weft.engine.ServerOptions;
import io.weft.engine.auth.Authenticator;
import io.weft.engine.auth.AccountConfig;
import io.weft.engine.protocol.ByteSink;
import io.weft.engine.protocol.ProtocolEncoder;
import io.weft.engine.protocol.ServerInfo;
import io.weft.net.Conn;
import io.weft.net.Env;
import io.weft.net.Listener;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The core NATS server: accepts client connections, owns accounts and their subject spaces, and
 * holds the counters monitoring reports. Everything outside memory is reached through the
 * {@link Env}. What runs beside it (JetStream) is a {@link ServerService} the {@code Node} adds.
 */
public final class Server {
    /** The protocol version announced in INFO. */
    public static final int PROTO = 1;
    /**
     * The nats-server version whose behaviour weft implements, announced in INFO (clients gate
     * features on it: nats.js 3.4 batch direct get and priority groups at 2.11): 2.12, whose
     * JetStream API level 2 and core features (message tracing across routes and accounts, the
     * 2.11 INFO fields) are all built. Not 2.14: no fast batch publish, no flow-control acks.
     */
    public static final String COMPAT_VERSION = "2.12.0";
    /**
     * The JetStream API level (ADR-44) weft implements in full and announces: INFO's
     * {@code api_lvl} (left out at 0, as nats-server leaves it out), {@code _nats.level} and the
     * highest {@code Nats-Required-Api-Level} served. Level 1 (2.11: per-message TTL, subject delete
     * markers, pause, priority groups, batch direct get) and level 2 (2.12: counters, atomic batch
     * publish, schedules, {@code persist_mode: async}, {@code prioritized}) are built; level 3 is
     * stream snapshots' {@code window_size} (weft has no snapshot API), level 4 fast batch publish
     * and {@code ack_policy: flow_control}.
     */
    public static final int API_LEVEL = 2;
    public static final String WEFT_VERSION = "0.1.0";
    private static final int CLOSED_KEPT = 10_000;

    private final Env env;
    private final ServerLog log;
    private final String serverId;
    private volatile ServerOptions options;
    private volatile Authenticator authenticator;
    private final Map<String, Account> accounts = new ConcurrentHashMap<>();
    private final ConcurrentSkipListMap<Long, ClientConnection> clients = new ConcurrentSkipListMap<>();
    private final ReentrantLock closedLock = new ReentrantLock();
    private final ArrayDeque<ClientConnection> closedClients = new ArrayDeque<>();
    private final Map<Long, ClientConnection> closing = new ConcurrentHashMap<>();
    private final AtomicLong nextCid = new AtomicLong();
    /** Tokens of {@link Deliveries} batches: unique across every producer of this server. */
    private final AtomicLong batchTokens = new AtomicLong();
    private final AtomicLong totalConnections = new AtomicLong();
    private final AtomicLong inMsgs = new AtomicLong();
    private final AtomicLong inBytes = new AtomicLong();
    private final AtomicLong outMsgs = new AtomicLong();
    private final AtomicLong outBytes = new AtomicLong();
    private final AtomicLong slowConsumers = new AtomicLong();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile Listener listener;
    private volatile boolean running;
    private volatile boolean lameDuck;
    private volatile long startMillis;
    private volatile long configLoadMillis;
    private final List<ServerService> services = new CopyOnWriteArrayList<>();
    private volatile ClusterAdvert clusterAdvert;

    public Server(Env env, ServerOptions options, ServerLog log) {
        this.env = env;
        this.options = options;
        this.log = log;
        this.serverId = newServerId();
        this.authenticator = new Authenticator(options.auth);
        createAccounts(options);
    }

    // ---------------------------------------------------------------- lifecycle

    /** Binds the client port and starts accepting. */
    public void start() throws IOException {
        ServerOptions opts = options;
        startMillis = env.clock().currentTimeMillis();
        configLoadMillis = startMillis;
        listener = env.network().listen(opts.host, opts.port);
        running = true;
        scheduleAccountExpiry(opts.auth.operatorMode);
        log.notice("Listening for client connections on " + hostPort(opts.host, listener.port()));
        env.spawner().spawn("accept", this::acceptLoop);
        env.spawner().spawn("housekeeping", this::housekeepingLoop);
    }

    /** The bound client port (useful when configured as 0). */
    public int port() {
        Listener l = listener;
        return l == null ? options.port : l.port();
    }

    public boolean isRunning() {
        return running;
    }

    /** Closes the listener and every client. */
    public void shutdown() {
        if (!running) {
            return;
        }
        running = false;
        scheduleAccountExpiry(null);
        log.notice("Initiating Shutdown...");
        Listener l = listener;
        if (l != null) {
            l.close();
        }
        for (ClientConnection c : new ArrayList<>(clients.values())) {
            c.close("Server Shutdown");
        }
        for (ServerService s : services) {
            s.stop();
        }
        log.notice("Server Exiting..");
        stopped.countDown();
    }

    /** Blocks until {@link #shutdown()} has run. */
    public void awaitShutdown() throws InterruptedException {
        stopped.await();
    }

    /**
     * Lame duck mode: stop accepting, tell clients (INFO with {@code ldm: true}) so they move to
     * other servers, wait the grace period, then close the remaining clients spread over the rest
     * of the lame duck duration, and shut down.
     */
    public void enterLameDuckMode() throws InterruptedException {
        if (lameDuck || !running) {
            return;
        }
        lameDuck = true;
        ServerOptions opts = options;
        log.notice("Entering lame duck mode, stop accepting new clients");
        Listener l = listener;
        if (l != null) {
            l.close();
        }
        sendInfoToClients();
        for (ServerService s : services) {
            s.lameDuck();
        }
        Duration grace = opts.lameDuckGracePeriod;
        Duration total = opts.lameDuckDuration;
        env.clock().sleep(grace);
        List<ClientConnection> remaining = new ArrayList<>(clients.values());
        if (!remaining.isEmpty()) {
            long spread = Math.max(0, total.minus(grace).toNanos());
            long step = remaining.size() > 1 ? spread / remaining.size() : 0;
            log.notice("Closing existing clients");
            for (ClientConnection c : remaining) {
                c.close("Server Shutdown");
                if (step > 0) {
                    env.clock().sleep(Duration.ofNanos(Math.min(step, Duration.ofSeconds(1).toNanos())));
                }
            }
        }
        shutdown();
    }

    public boolean isLameDuck() {
        return lameDuck;
    }

    /**
     * Applies a reloaded configuration: authentication, accounts, limits and log settings. Clients
     * whose credentials are no longer valid are disconnected. Listen address changes need a restart.
     */
    public synchronized void reload(ServerOptions next) {
        ServerOptions prev = options;
        if (!prev.host.equals(next.host) || prev.port != next.port) {
            log.warn("Reload: changing the listen address needs a restart; keeping "
                    + hostPort(prev.host, port()));
            next.host = prev.host;
            next.port = prev.port;
        }
        String refusal = clusterReloadRefusal(prev, next);
        if (refusal != null) {
            // the whole reload is refused and the running configuration stays, as nats-server does
            throw new IllegalArgumentException(refusal);
        }
        if (!java.util.Objects.equals(prev.effectiveSystemAccount(), next.effectiveSystemAccount())) {
            // nats-server refuses the whole reload: its system services run in the account they started in
            throw new IllegalArgumentException("config reload not supported for SystemAccount: old="
                    + (prev.effectiveSystemAccount() == null ? "" : prev.effectiveSystemAccount()) + ", new="
                    + next.systemAccount);
        }
        io.weft.engine.auth.OperatorMode prevOp = prev.auth.operatorMode;
        io.weft.engine.auth.OperatorMode nextOp = next.auth.operatorMode;
        if ((prevOp == null) != (nextOp == null)) {
            throw new IllegalArgumentException("config reload does not support moving to or from an account resolver");
        }
        if (prevOp != null && !prevOp.trustedKeys().equals(nextOp.trustedKeys())) {
            throw new IllegalArgumentException("config reload not supported for TrustedOperators: old="
                    + prevOp.trustedKeys() + ", new=" + nextOp.trustedKeys());
        }
        if (prevOp != null && !java.util.Objects.equals(prevOp.resolver(), nextOp.resolver())) {
            // the full resolver's directory and services were set up at start
            throw new IllegalArgumentException("config reload does not support changing the account resolver: old="
                    + describe(prevOp.resolver()) + ", new=" + describe(nextOp.resolver()));
        }
        // built first: a configuration it rejects leaves the running one untouched
        Authenticator nextAuth = new Authenticator(next.auth);
        options = next;
        authenticator = nextAuth;
        createAccounts(next);
        for (ServerService s : services) {
            s.configReloaded();
        }
        configLoadMillis = env.clock().currentTimeMillis();
        for (ClientConnection c : clients.values()) {
            c.applyLimits(next);
            c.reauthorize();
        }
        closeOverLimit(next.maxConnections);
        scheduleAccountExpiry(nextOp);
        log.notice("Reloaded server configuration");
    }

    /** Counts account-claims updates, so a CONNECT checked against older claims checks again. */
    final AtomicLong claimsGeneration = new AtomicLong();

    /** Accounts whose JWT's timer fired: refused from then on, as nats-server marks them expired. */
    private final java.util.Set<String> expiredAccounts = ConcurrentHashMap.newKeySet();

    /** True once the account's JWT expiry timer fired (until new claims for it arrive). */
    boolean isAccountExpired(String account) {
        return expiredAccounts.contains(account);
    }

    /** Account public key -> the timer that expires it (operator mode, account JWTs with an {@code exp}). */
    private final Map<String, io.weft.net.Clock.Cancellable> accountExpiry = new ConcurrentHashMap<>();

    /**
     * Sets a timer for each account JWT with an {@code exp} (the old ones are called off): when it
     * passes, the account's clients get {@code -ERR 'Account Authentication Expired'} and are
     * closed, as nats-server's account expiration timer does; new ones are refused by the JWT check.
     */
    private synchronized void scheduleAccountExpiry(io.weft.engine.auth.OperatorMode mode) {
        accountExpiry.values().forEach(io.weft.net.Clock.Cancellable::cancel);
        accountExpiry.clear();
        expiredAccounts.clear(); // a new JWT for an expired account lets it in again
        if (mode == null || !running) {
            return;
        }
        long now = env.clock().currentTimeMillis();
        if (log.isDebug()) {
            mode.warnings().forEach(w -> log.debug(w));
        }
        long activationExp = mode.activationExpiry();
        if (activationExp > 0) {
            // an activation token runs out: built again, its import is left out (nats-server's activationExpired)
            accountExpiry.put("activation", env.clock().schedule(Duration.ofMillis(Math.max(0, activationExp * 1000 - now + 1)),
                    () -> {
                        io.weft.engine.auth.OperatorMode current = options.auth.operatorMode;
                        if (current != mode) {
                            return;
                        }
                        try {
                            updateOperatorMode(mode.withAccounts(mode.accountJwts(),
                                    Math.floorDiv(env.clock().currentTimeMillis(), 1000)));
                        } catch (IllegalArgumentException e) {
                            log.error("Activation expiry: " + e.getMessage());
                        }
                    }));
        }
        for (io.weft.engine.auth.OperatorMode.AccountClaims a : mode.accounts().values()) {
            long exp = a.jwt().expires();
            if (exp <= 0) {
                continue;
            }
            String key = a.publicKey();
            Duration delay = Duration.ofMillis(Math.max(0, exp * 1000 - now));
            accountExpiry.put(key, env.clock().schedule(delay, () -> {
                expiredAccounts.add(key);
                for (ClientConnection c : clients.values()) {
                    if (c.accountName().equals(key) && c.connectOptions() != null) {
                        c.accountExpired();
                    }
                }
            }));
        }
    }

    private static String describe(io.weft.engine.auth.OperatorMode.Resolver r) {
        return r == null ? "MEMORY" : "full " + r;
    }

    /**
     * Applies new account JWTs from the full resolver ({@code $SYS.REQ.CLAIMS.UPDATE}, a delete):
     * the accounts, their limits, exports and imports change as in a reload, and every connected
     * client is checked again with its own CONNECT, as nats-server checks them when an account's
     * claims change: a revoked user gets {@code -ERR 'User Authentication Revoked'}, a user of a
     * deleted account {@code -ERR 'Account Authentication Expired'}, any other refusal
     * {@code -ERR 'Authorization Violation'}, and is closed.
     */
    public synchronized void updateOperatorMode(io.weft.engine.auth.OperatorMode mode) {
        ServerOptions next = options.copy();
        next.auth = options.auth.copy();
        next.auth.applyOperatorMode(mode);
        Authenticator nextAuth = new Authenticator(next.auth);
        options = next;
        authenticator = nextAuth;
        createAccounts(next);
        for (ServerService s : services) {
            s.configReloaded();
        }
        claimsGeneration.incrementAndGet();
        for (ClientConnection c : clients.values()) {
            c.recheckClaims(mode);
        }
        scheduleAccountExpiry(mode);
        // a lowered limits.conn: the oldest clients stay, the newer ones go (nats-server's order)
        Map<String, Integer> seen = new java.util.HashMap<>();
        for (ClientConnection c : clients.values()) {
            String acc = c.accountName();
            long max = mode.maxConnections(acc);
            if (max < 0 || c.isClosedOrEnding() || c.connectOptions() == null) {
                continue;
            }
            int n = seen.merge(acc, 1, Integer::sum);
            if (n > max) {
                c.maxAccountConnectionsExceeded();
            }
        }
    }

    /**
     * What a reload may not change in the cluster block, or null. nats-server refuses a new
     * cluster host or port (its words), and so turning clustering on or off. A new name, routes
     * added or removed, authorization (user, password, timeout) and TLS changes apply (see
     * {@code Routes.reloaded}).
     */
    static String clusterReloadRefusal(ServerOptions prev, ServerOptions next) {
        boolean prevOn = prev.clusterPort >= 0 || !prev.routes.isEmpty();
        boolean nextOn = next.clusterPort >= 0 || !next.routes.isEmpty();
        if (!prevOn && !nextOn) {
            return null;
        }
        if (prevOn != nextOn) {
            // nats-server compares the ports (0 for no cluster) and refuses in the same words
            return "config reload not supported for cluster port: old=" + Math.max(0, prev.clusterPort) + ", new="
                    + Math.max(0, next.clusterPort);
        }
        if (!prev.clusterHost.equals(next.clusterHost)) {
            return "config reload not supported for cluster host: old=" + prev.clusterHost + ", new=" + next.clusterHost;
        }
        if (prev.clusterPort != next.clusterPort) {
            return "config reload not supported for cluster port: old=" + Math.max(0, prev.clusterPort) + ", new="
                    + Math.max(0, next.clusterPort);
        }
        return null;
    }

    /**
     * A reload that lowers max_connections closes the excess, as nats-server does (with
     * {@code -ERR 'maximum connections exceeded'}). nats-server picks them in map order; weft
     * closes the newest, so the choice is deterministic.
     */
    private void closeOverLimit(int maxConnections) {
        int excess = clients.size() - Math.max(0, maxConnections);
        if (excess <= 0) {
            return;
        }
        log.warn("Closing " + excess + " client(s) over the reloaded max_connections of " + maxConnections);
        for (ClientConnection c : new ArrayList<>(clients.descendingMap().values())) {
            if (excess-- <= 0) {
                break;
            }
            c.closeWithError("maximum connections exceeded", "Maximum Connections Exceeded");
        }
    }

    private void acceptLoop() {
        Listener l = listener;
        while (running && !lameDuck) {
            Conn conn;
            try {
                conn = l.accept();
            } catch (IOException e) {
                if (running && !lameDuck) {
                    log.error("Error accepting client connection: " + e.getMessage());
                    continue;
                }
                return;
            }
            accept(conn);
        }
    }

    private void accept(Conn conn) {
        ServerOptions opts = options;
        if (clients.size() >= opts.maxConnections) {
            log.error(conn.remoteHost() + ":" + conn.remotePort() + " - maximum connections exceeded");
            long cid = nextCid.incrementAndGet();
            ClientConnection probe = new ClientConnection(this, conn, cid, null, 0);
            byte[] bytes = (infoFor(probe) + "-ERR 'maximum connections exceeded'\r\n").getBytes(StandardCharsets.UTF_8);
            env.spawner().spawn("reject-" + cid, () -> {
                try {
                    conn.write(new ByteBuffer[] {ByteBuffer.wrap(bytes)});
                } catch (IOException ignored) {
                    // the client learns by the close
                }
                conn.close();
            });
            return;
        }
        long cid = nextCid.incrementAndGet();
        String nonce = authenticator.nonceRequired() ? newNonce() : null;
        ClientConnection c = new ClientConnection(this, conn, cid, nonce, env.entropy().nextLong());
        clients.put(cid, c);
        totalConnections.incrementAndGet();
        c.start();
    }

    /** Cuts writers stuck past the write deadline, at a tenth of the deadline's resolution. */
    private void housekeepingLoop() {
        while (running) {
            ServerOptions opts = options;
            long deadline = opts.writeDeadline.toNanos();
            long tick = Math.max(Duration.ofMillis(50).toNanos(), Math.min(deadline / 10, Duration.ofSeconds(1).toNanos()));
            try {
                env.clock().sleep(Duration.ofNanos(tick));
            } catch (InterruptedException e) {
                return;
            }
            long now = env.clock().nanoTime();
            for (ClientConnection c : clients.values()) {
                c.checkWriteDeadline(now, deadline);
            }
            // a connection closing after an -ERR gets a short time to flush it, no more
            long closingDeadline = Math.min(deadline, Duration.ofSeconds(2).toNanos());
            for (ClientConnection c : closing.values()) {
                c.checkClosing(now, closingDeadline);
                if (c.isClosed()) {
                    closing.remove(c.cid());
                }
            }
        }
    }

    void watchClosing(ClientConnection c) {
        closing.put(c.cid(), c);
    }

    /** A client's CONNECT was accepted: the services hear of it. */
    void connected(ClientConnection c) {
        for (ServerService s : services) {
            s.clientConnected(c);
        }
    }

    void removed(ClientConnection c) {
        boolean removed = clients.remove(c.cid(), c);
        if (removed) {
            closedLock.lock();
            try {
                closedClients.addLast(c);
                closedTraffic.merge(c.accountName(), new Traffic(c.inMsgs(), c.inBytes(), c.outMsgs(), c.outBytes()),
                        Traffic::plus);
                while (closedClients.size() > CLOSED_KEPT) {
                    closedClients.removeFirst();
                }
            } finally {
                closedLock.unlock();
            }
        }
        closing.remove(c.cid());
        if (removed && c.connectOptions() != null) {
            // after the counts moved to the closed side, so a listener's account figures leave it out
            for (ServerService s : services) {
                s.clientClosed(c);
            }
        }
    }

    /** Messages and bytes a connection (or several) received from and sent to its client. */
    public record Traffic(long inMsgs, long inBytes, long outMsgs, long outBytes) {
        public static final Traffic ZERO = new Traffic(0, 0, 0, 0);

        public Traffic plus(Traffic o) {
            return new Traffic(inMsgs + o.inMsgs, inBytes + o.inBytes, outMsgs + o.outMsgs, outBytes + o.outBytes);
        }
    }

    /** By account name: the traffic of its connections that have closed (guarded by closedLock). */
    private final Map<String, Traffic> closedTraffic = new java.util.HashMap<>();

    /** The traffic of an account's closed connections, for /accstatz (which adds the open ones). */
    public Traffic closedTraffic(String account) {
        closedLock.lock();
        try {
            return closedTraffic.getOrDefault(account, Traffic.ZERO);
        } finally {
            closedLock.unlock();
        }
    }

    // ---------------------------------------------------------------- accounts and auth

    private AccountLinks links;

    /**
     * Creates the configured accounts and (re)installs their mappings and imports: a reload replaces
     * them all (requests waiting for a response across accounts then get none).
     */
    private void createAccounts(ServerOptions opts) {
        accounts.computeIfAbsent(Account.GLOBAL, this::newAccount);
        for (AccountConfig ac : opts.auth.accounts.values()) {
            accounts.computeIfAbsent(ac.name(), this::newAccount);
        }
        String sys = opts.effectiveSystemAccount();
        if (sys != null) {
            accounts.computeIfAbsent(sys, this::newAccount); // $SYS unless system_account names one
        }
        for (Account a : accounts.values()) {
            a.mappings(opts.auth.mappings.get(a.name()), opts.clusterPort >= 0 ? opts.clusterName : "");
            a.msgTrace = opts.auth.msgTrace.get(a.name());
        }
        if (links != null) {
            links.uninstall();
        }
        links = AccountLinks.install(opts.auth, this::account, env.clock(), serverId);
    }

    /** The account of that name, created on first use. */
    public Account account(String name) {
        return accounts.computeIfAbsent(name == null ? Account.GLOBAL : name, this::newAccount);
    }

    /** A client reader's batch: it stalls, bounded, on subscribers that fall behind (see {@link Deliveries}). */
    Deliveries newDeliveries() {
        return Deliveries.forClient(batchTokens, env.clock(), this::countStall, () -> options().noFastProducerStall);
    }

    private final java.util.concurrent.atomic.LongAdder stallCount = new java.util.concurrent.atomic.LongAdder();
    private final java.util.concurrent.atomic.LongAdder stallTotalNanos = new java.util.concurrent.atomic.LongAdder();
    private final AtomicLong stallMaxNanos = new AtomicLong();

    private void countStall(long nanos) {
        stallCount.increment();
        stallTotalNanos.add(nanos);
        stallMaxNanos.accumulateAndGet(nanos, Math::max);
    }

    /** Producer stalls so far: how many batches waited, for how long in all, the longest wait. */
    public record StallStats(long count, long totalNanos, long maxNanos) {
    }

    public StallStats stallStats() {
        return new StallStats(stallCount.sum(), stallTotalNanos.sum(), stallMaxNanos.get());
    }

    /** The longest a client's reader waits per batch for subscribers that fall behind. */
    public static java.time.Duration stallBound() {
        return Deliveries.STALL_BOUND;
    }

    private Account newAccount(String name) {
        Account a = new Account(name, env.entropy().nextLong(), batchTokens);
        a.localInterest(localInterest);
        return a;
    }

    private volatile LocalInterest localInterest;

    /**
     * Tells {@code listener} of every client subscription added or removed, in every account,
     * those created later included (the routes; the {@code Node} sets it before {@link #start}).
     */
    public void onLocalInterest(LocalInterest listener) {
        this.localInterest = listener;
        for (Account a : accounts.values()) {
            a.localInterest(listener);
            // what was subscribed before (the imports' response subscriptions, made with the accounts)
            a.announceExisting(listener);
        }
    }

    public Collection<Account> accounts() {
        return accounts.values();
    }

    Authenticator authenticator() {
        return authenticator;
    }

    boolean authRequired() {
        return authenticator.authRequired();
    }

    Duration authTimeout() {
        Double t = options.auth.timeoutSeconds;
        return t != null ? Duration.ofMillis((long) (t * 1000)) : options.authTimeout;
    }

    // ---------------------------------------------------------------- INFO

    /** Adds a service told of reloads and shutdown, in the order added (the {@code Node} does, before {@link #start}). */
    public void addService(ServerService service) {
        services.add(service);
    }

    /** Whether events (message traces) say JetStream is on: as INFO's {@code jetstream}. */
    boolean jetstreamEnabled() {
        return jetstreamServed();
    }

    /** The cluster name events name (null when not clustered). */
    String clusterNameForEvents() {
        ClusterAdvert a = clusterAdvert;
        String n = a == null ? null : a.clusterName();
        return n == null || n.isEmpty() ? null : n;
    }

    private final java.util.concurrent.atomic.AtomicLong eventSeq = new java.util.concurrent.atomic.AtomicLong();

    /** The sequence of the server's own events (message traces). */
    /**
     * Delivers a message that arrived over route {@code rid} from {@code from} in {@code acc}: when
     * its headers ask for a trace (ADR-41), this server traces its own hop of it (ingress from the
     * route, its egresses here, JetStream) and publishes its own trace event, as a nats-server peer
     * does; a trace-only message is then delivered to nobody.
     */
    public int deliverRouted(Account acc, String subject, String reply, List<String> queues, byte[] data, int off,
                             int hdrLen, int totalLen, Deliveries batch, RouteSink from, long rid) {
        MsgTrace trace = MsgTrace.lookFor(this, acc, data, off, hdrLen, totalLen, acc.pick, false);
        if (trace == null) {
            return acc.publishFromRoute(subject, reply, queues, data, off, hdrLen, totalLen, batch);
        }
        trace.routeIngress(rid, from.remoteName(), subject);
        MsgTrace before = MsgTrace.swap(trace);
        try {
            return acc.publishFromRoute(subject, reply, queues, data, off, hdrLen, totalLen, batch);
        } finally {
            MsgTrace.swap(before);
            trace.release();
        }
    }

    long nextEventSeq() {
        return eventSeq.incrementAndGet();
    }

    /** Whether INFO may announce JetStream: a service answers the $JS API. */
    private boolean jetstreamServed() {
        for (ServerService s : services) {
            if (s.servesJetStream()) {
                return true;
            }
        }
        return false;
    }

    /** The runtime as INFO's and /varz's {@code go} field report it. */
    public static String runtimeName() {
        return "weft " + WEFT_VERSION + " java " + Runtime.version().feature();
    }

    /** What client INFO says of the cluster this server is in; the {@code Node} sets it when routes run. */
    public interface ClusterAdvert {
        String clusterName();

        /** The client URLs of this server and its peers ({@code connect_urls}); empty with {@code no_advertise}. */
        List<String> connectUrls();
    }

    public void clusterAdvert(ClusterAdvert advert) {
        this.clusterAdvert = advert;
    }

    /**
     * Sends INFO again to every client that takes async INFO (CONNECT protocol >= 1), as
     * nats-server does when lame duck mode starts or the cluster's {@code connect_urls} change.
     */
    public void sendInfoToClients() {
        for (ClientConnection c : clients.values()) {
            if (c.acceptsAsyncInfo()) {
                c.sendInfo(infoFor(c));
            }
        }
    }

    /** The INFO line (with CRLF) this server sends to the given client. */
    String infoFor(ClientConnection c) {
        return infoLine(info(c));
    }

    /**
     * The INFO nats-server 2.11+ sends right after a protocol-1 client's CONNECT succeeded:
     * {@code connect_info: true} and the client's account in {@code remote_account}.
     */
    String connectInfoFor(ClientConnection c) {
        return infoLine(info(c).withConnectInfo(c.accountName()));
    }

    private static String infoLine(ServerInfo info) {
        ByteSink sink = new ByteSink(256);
        ProtocolEncoder.info(sink, info.toJson());
        return new String(sink.toByteArray(), StandardCharsets.UTF_8);
    }

    private ServerInfo info(ClientConnection c) {
        ServerOptions opts = options;
        ClusterAdvert advert = clusterAdvert;
        ServerInfo info = new ServerInfo(serverId, serverName(), COMPAT_VERSION, PROTO, null, runtimeName(),
                opts.host, port(), !opts.noHeaderSupport, authenticator.authRequired(), c.tls() != null,
                c.tls() != null && c.tls().verify(), false,
                c.maxPayload(opts), jetstreamServed(), null, 0, null, null, advert == null ? null : advert.clusterName(),
                opts.jetstreamDomain.isEmpty() ? null : opts.jetstreamDomain,
                advert == null ? List.of() : advert.connectUrls(), lameDuck, false, null, API_LEVEL,
                serverXkey().publicKey())
                .withClient(c.cid(), c.ip(), c.nonce());
        return info;
    }

    // ---------------------------------------------------------------- counters and views

    /** A message from a client connection (the only kind that calls it). */
    void countIn(long bytes) {
        inMsgs.incrementAndGet();
        inBytes.addAndGet(bytes);
        inClientMsgs.increment();
        inClientBytes.add(bytes);
    }

    /** A message to a client connection. */
    void countOut(long bytes) {
        outMsgs.incrementAndGet();
        outBytes.addAndGet(bytes);
        outClientMsgs.increment();
        outClientBytes.add(bytes);
    }

    void countSlowConsumer(ClientConnection c) {
        slowConsumers.incrementAndGet();
        slowByKind.get(ConnKind.CLIENT).increment();
        slowByAccount.computeIfAbsent(c.accountName(), k -> new java.util.concurrent.atomic.LongAdder()).increment();
    }

    private final Map<String, java.util.concurrent.atomic.LongAdder> slowByAccount = new ConcurrentHashMap<>();

    /** Client connections of that account found to be slow consumers, for /accstatz. */
    public long slowConsumers(String account) {
        java.util.concurrent.atomic.LongAdder a = slowByAccount.get(account);
        return a == null ? 0 : a.sum();
    }

    /** The connection kinds /varz splits slow consumers and stale connections by. */
    public enum ConnKind { CLIENT, ROUTE, GATEWAY, LEAF }

    private final java.util.concurrent.atomic.LongAdder inClientMsgs = new java.util.concurrent.atomic.LongAdder();
    private final java.util.concurrent.atomic.LongAdder inClientBytes = new java.util.concurrent.atomic.LongAdder();
    private final java.util.concurrent.atomic.LongAdder outClientMsgs = new java.util.concurrent.atomic.LongAdder();
    private final java.util.concurrent.atomic.LongAdder outClientBytes = new java.util.concurrent.atomic.LongAdder();
    private final Map<ConnKind, java.util.concurrent.atomic.LongAdder> slowByKind = kindCounters();
    private final Map<ConnKind, java.util.concurrent.atomic.LongAdder> staleByKind = kindCounters();

    private static Map<ConnKind, java.util.concurrent.atomic.LongAdder> kindCounters() {
        Map<ConnKind, java.util.concurrent.atomic.LongAdder> m = new java.util.EnumMap<>(ConnKind.class);
        for (ConnKind k : ConnKind.values()) {
            m.put(k, new java.util.concurrent.atomic.LongAdder());
        }
        return m;
    }

    /** A connection of that kind closed for missing too many PONGs ("Stale Connection"). */
    public void countStale(ConnKind kind) {
        staleByKind.get(kind).increment();
    }

    /** A connection of that kind found to be a slow consumer (slow_consumers counts every kind). */
    public void countSlowConsumer(ConnKind kind) {
        slowConsumers.incrementAndGet();
        slowByKind.get(kind).increment();
    }

    public long inClientMsgs() { return inClientMsgs.sum(); }
    public long inClientBytes() { return inClientBytes.sum(); }
    public long outClientMsgs() { return outClientMsgs.sum(); }
    public long outClientBytes() { return outClientBytes.sum(); }
    public long slowConsumers(ConnKind kind) { return slowByKind.get(kind).sum(); }
    public long staleConnections(ConnKind kind) { return staleByKind.get(kind).sum(); }

    /** Stale connections of every kind. */
    public long staleConnections() {
        long n = 0;
        for (java.util.concurrent.atomic.LongAdder a : staleByKind.values()) {
            n += a.sum();
        }
        return n;
    }

    public Env env() {
        return env;
    }

    public ServerLog log() {
        return log;
    }

    public ServerOptions options() {
        return options;
    }

    public String serverId() {
        return serverId;
    }

    public String serverName() {
        String n = options.serverName;
        return n == null || n.isEmpty() ? serverId : n;
    }

    public long startMillis() { return startMillis; }
    public long configLoadMillis() { return configLoadMillis; }
    public long totalConnections() { return totalConnections.get(); }
    public long inMsgs() { return inMsgs.get(); }
    public long inBytes() { return inBytes.get(); }
    public long outMsgs() { return outMsgs.get(); }
    public long outBytes() { return outBytes.get(); }
    public long slowConsumers() { return slowConsumers.get(); }

    /** Open connections in cid order. */
    public List<ClientConnection> openClients() {
        return new ArrayList<>(clients.values());
    }

    /** Recently closed connections, oldest first (at most 10,000 kept). */
    public List<ClientConnection> closedClients() {
        closedLock.lock();
        try {
            return new ArrayList<>(closedClients);
        } finally {
            closedLock.unlock();
        }
    }

    /**
     * A server nkey, as nats-server's id is: the public key ({@code N...}) is the id, the seed
     * signs the auth callout requests. Draws 55 bytes, as the id always did, so the simulator's
     * entropy stream is unchanged; the seed is the first 32.
     */
    private String newServerId() {
        byte[] bytes = new byte[55];
        env.entropy().nextBytes(bytes);
        byte[] seed = java.util.Arrays.copyOf(bytes, 32);
        serverSeed = io.weft.engine.auth.Nkeys.encodeSeed(io.weft.engine.auth.Nkeys.Type.SERVER, seed);
        return io.weft.engine.auth.Nkeys.publicKeyFromSeed(serverSeed);
    }

    /** The seed of the server's nkey ({@link #serverId()} is its public key). */
    private String serverSeed;
    /** The server's curve key pair for encrypted auth callouts, made on first use. */
    private volatile io.weft.engine.auth.Nkeys.KeyPair serverXkey;
    private final Object xkeyLock = new Object();

    String serverSeed() {
        return serverSeed;
    }

    /** The server's curve (xkey) pair, made from the entropy seam when first needed. */
    io.weft.engine.auth.Nkeys.KeyPair serverXkey() {
        io.weft.engine.auth.Nkeys.KeyPair k = serverXkey;
        if (k == null) {
            synchronized (xkeyLock) {
                k = serverXkey;
                if (k == null) {
                    k = io.weft.engine.auth.XKeys.create(env.entropy());
                    serverXkey = k;
                }
            }
        }
        return k;
    }

    private String newNonce() {
        byte[] bytes = new byte[11];
        env.entropy().nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    static String hostPort(String host, int port) {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
}
