package io.weft.engine.jetstream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.weft.engine.ServerLog;
import io.weft.engine.ServerOptions;
import io.weft.engine.auth.AccountConfig;
import io.weft.engine.cluster.GroupTransports;
import io.weft.engine.jetstream.meta.MetaGroup;
import io.weft.engine.json.GoJson;
import io.weft.engine.server.Account;
import io.weft.net.Disk;
import io.weft.net.Env;
import io.weft.store.Corruption;
import io.weft.store.MessageStore;
import io.weft.store.SubjectBytes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * JetStream on one server: the enabled accounts with their streams, the $JS API, the store
 * directory and recovery. One per node when {@code options.jetstream}; it reaches the server it
 * runs in only through its {@link JetStreamHost}.
 *
 * <p>Layout: {@code <store_dir>/jetstream/<account>/streams/<stream>/meta.json} (config, CRC32C)
 * and {@code .../msgs/} for the stream's message store; consumers keep state under
 * {@code .../obs/<consumer>/}. Memory streams keep nothing on disk.
 */
public final class JetStream {
    private final JetStreamHost host;
    private final Env env;
    private final ServerLog log;
    private final ServerOptions options;
    private final StoreFactory storeFactory;
    private final ConsumerManager consumerManager;
    private final ObjectMapper mapper = new ObjectMapper();
    private final GoJson goJson = new GoJson();
    private final JsApi api;
    /** Atomic batches open on this server, every stream's (nats-server's max_batch_inflight_total). */
    private final java.util.concurrent.atomic.AtomicInteger atomicInflight = new java.util.concurrent.atomic.AtomicInteger();
    private volatile StreamCatalog catalog;
    private final LocalStreamCatalog localCatalog;
    private final String root;
    /** Set by {@link #cluster} before start: the meta group's transports and settings. */
    private GroupTransports groupTransports;
    private MetaGroup.Settings metaSettings;
    private String uniqueTag = "";
    private volatile MetaGroup meta;
    private final ConcurrentSkipListMap<String, JsAccount> accounts = new ConcurrentSkipListMap<>();
    final AtomicLong apiTotal = new AtomicLong();
    final AtomicLong apiErrors = new AtomicLong();
    private volatile boolean running;
    private volatile boolean metaPending;
    private volatile long startedNanos;
    /** As {@code MetaGroup.Settings.of}'s leaderless grace. */
    static final Duration PENDING_GRACE = Duration.ofSeconds(10);
    private volatile GroupLog.Factory groupLogs;

    public JetStream(JetStreamHost host, StoreFactory storeFactory, ConsumerManager consumerManager) {
        this.host = host;
        this.env = host.env();
        this.log = host.log();
        this.options = host.options();
        this.storeFactory = storeFactory;
        this.consumerManager = consumerManager;
        this.root = storeRoot(options);
        this.localCatalog = new LocalStreamCatalog(this, root);
        this.catalog = localCatalog;
        this.api = new JsApi(this);
    }

    /**
     * Makes this JetStream a member of its cluster's meta group (call before {@link #start}):
     * stream decisions are then the meta leader's, over {@code transports}. {@code uniqueTag}: the
     * {@code jetstream { unique_tag }} placement honours (empty: none).
     */
    public void cluster(GroupTransports transports, MetaGroup.Settings settings, String uniqueTag) {
        if (running) {
            throw new IllegalStateException("JetStream is already running");
        }
        this.groupTransports = transports;
        this.metaSettings = settings;
        this.uniqueTag = uniqueTag == null ? "" : uniqueTag;
    }

    /**
     * Makes this JetStream a member of its cluster's meta group once its members are known (call
     * before {@link #start}; then {@link #joinMeta} once, after start): until then every API
     * request is answered 503/10008, as while the meta group has no leader, so nothing is created
     * on this server alone in the meantime.
     */
    public void clusterLater(GroupTransports transports, String uniqueTag) {
        if (running) {
            throw new IllegalStateException("JetStream is already running");
        }
        this.groupTransports = transports;
        this.metaSettings = null;
        this.uniqueTag = uniqueTag == null ? "" : uniqueTag;
        this.metaPending = true;
    }

    /** True when this JetStream is (or waits to become) a member of a meta group. */
    boolean clusterConfigured() {
        return groupTransports != null;
    }

    /** True while {@link #clusterLater} waits for {@link #joinMeta}. */
    public boolean metaPending() {
        return metaPending;
    }

    /**
     * True while waiting for the meta group longer than nats-server's leaderless grace (10 s since
     * start): then requests are answered 10008; before, this server stays silent, as a starting
     * member does, so that a cluster that has a leader answers first.
     */
    boolean metaPendingPastGrace() {
        return metaPending && metaFailure == null && env.clock().nanoTime() - startedNanos > PENDING_GRACE.toNanos();
    }

    private volatile String metaFailure;

    /**
     * The meta group could not be started on this server ({@code why}, already logged): it stays
     * silent to every API request from now on, since it knows nothing of the cluster (as a
     * nats-server that has no meta group says nothing), rather than answer 10008 to requests the
     * servers that do run the group answer; {@code /healthz} says why.
     */
    public void metaNotStarted(String why) {
        metaFailure = why;
    }

    /** Starts this server's meta group member with {@code settings} (after {@link #clusterLater} and {@link #start}). */
    public void joinMeta(MetaGroup.Settings settings) throws IOException {
        if (!metaPending) {
            throw new IllegalStateException("JetStream is not waiting for its meta group");
        }
        if (!running) {
            return;
        }
        this.metaSettings = settings;
        startMeta();
        metaPending = false;
        if (!running) {
            meta.stop(); // shut down while it started
        }
    }

    /**
     * Where this server's replica of a replicated stream runs: group {@code group} of {@code peers},
     * over the meta group's transports, named by the meta group's member names.
     */
    Replica replicaFor(String group, List<Long> peers, long self) {
        java.util.Map<Long, String> names = new java.util.TreeMap<>();
        for (String n : metaSettings.members()) {
            names.put(io.weft.engine.cluster.PeerIds.of(n), n);
        }
        return new Replica(group, peers, self, groupTransports, metaSettings.cluster(), names::get);
    }

    /** This server's meta group member, or null when JetStream runs alone. */
    public MetaGroup meta() {
        return meta;
    }

    /** True once the meta group decides (a clustered JetStream). */
    boolean clustered() {
        return meta != null;
    }

    /** {@code <store_dir>/jetstream}; nats-server's default store_dir is {@code <tmp>/nats}. */
    public static String storeRoot(ServerOptions o) {
        String base = o.storeDir == null || o.storeDir.isEmpty()
                ? System.getProperty("java.io.tmpdir") + "/nats" : o.storeDir;
        while (base.length() > 1 && base.endsWith("/")) {
            base = base.substring(0, base.length() - 1);
        }
        return base + "/jetstream";
    }

    // ------------------------------------------------------------------ lifecycle

    /** Creates the store directory, enables accounts, recovers streams, and starts the API. */
    public void start() throws IOException {
        log.notice("Starting JetStream");
        log.notice("---------------- JETSTREAM ----------------");
        log.notice("  Max Memory:      " + size(options.jetstreamMaxMemory));
        log.notice("  Max Storage:     " + size(options.jetstreamMaxStore));
        log.notice("  Store Directory: \"" + root + "\"");
        if (!options.jetstreamDomain.isEmpty()) {
            log.notice("  Domain:          " + options.jetstreamDomain);
        }
        Duration si = options.jetstreamSyncInterval;
        log.notice("  Sync:            " + (si == null ? "every publish batch (group commit)"
                : si.isZero() ? "always (every message)" : "every " + si));
        log.notice("-------------------------------------------");
        env.disk().mkdirs(root);
        startedNanos = env.clock().nanoTime();
        addEnabledAccounts();
        running = true;
        for (JsAccount jsa : accounts.values()) {
            recover(jsa);
        }
        if (groupTransports != null && metaSettings != null) {
            startMeta();
        }
        api.start();
    }

    private void startMeta() throws IOException {
        ClusteredStreamCatalog cc = new ClusteredStreamCatalog(this, localCatalog,
                io.weft.engine.cluster.PeerIds.of(metaSettings.serverName()), uniqueTag);
        log.notice("Creating JetStream metadata controller (" + metaSettings.members().size() + " members: "
                + String.join(", ", metaSettings.members()) + ")");
        env.disk().mkdirs(metaSettings.dir());
        MetaGroup m = MetaGroup.start(env, groupTransports, metaSettings, cc);
        m.onEvents(log::notice, log::error);
        reportRecovery("JetStream meta group", new GroupLog.Recovery(m.driver().recoveryWarnings(),
                m.driver().recoveryErrors()), m::onRepaired);
        m.onHold(e -> reportHold("JetStream meta group", e));
        cc.meta(m);
        catalog = cc;
        meta = m;
    }

    /**
     * Logs what a Raft replica's recovery found ({@code what}: whose replica), and once its damage
     * is repaired by its peers, that too.
     */
    private void reportRecovery(String what, GroupLog.Recovery r, java.util.function.Consumer<Runnable> onRepaired) {
        for (String w : r.warnings()) {
            log.warn(what + ": " + w);
        }
        for (String e : r.errors()) {
            log.error(what + ": " + e);
        }
        if (!r.errors().isEmpty()) {
            onRepaired.accept(() -> log.notice(what + ": the damaged Raft state is repaired from the peers"));
        }
    }

    /**
     * Logs a change of a Raft replica's restart hold (raft README, R9): [INF], except a hold that
     * timed out ([WRN]: the replica votes again without knowing every peer's log).
     */
    private void reportHold(String what, String event) {
        if (event.contains("timed out") || event.contains("expired")) log.warn(what + ": Raft " + event);
        else log.notice(what + ": Raft " + event);
    }

    /** Enables JetStream in the accounts the (current) configuration enables and that lack it. */
    private void addEnabledAccounts() {
        ServerOptions current = host.options();
        for (Account a : enabledAccounts(current)) {
            if (accounts.containsKey(a.name())) {
                continue;
            }
            AccountConfig ac = current.auth.accounts.get(a.name());
            AccountConfig.JetStreamLimits l = ac == null ? null : ac.jetstreamLimits();
            accounts.put(a.name(), new JsAccount(this, a, l == null ? JsAccount.Limits.UNLIMITED
                    : new JsAccount.Limits(l.maxMemory(), l.maxStore(), l.maxStreams(), l.maxConsumers())));
        }
    }

    /**
     * After a configuration reload: accounts that appeared get the API, and those the new
     * configuration enables get JetStream (with their streams, if any were on disk). Accounts are
     * never disabled by a reload, and their limits stay as they were at enablement.
     */
    public void accountsChanged() {
        if (!running) {
            return;
        }
        java.util.Set<String> before = new java.util.TreeSet<>(accounts.keySet());
        addEnabledAccounts();
        for (JsAccount jsa : accounts.values()) {
            if (!before.contains(jsa.account().name())) {
                recover(jsa);
            }
        }
        api.subscribeAccounts();
    }

    private List<Account> enabledAccounts(ServerOptions options) {
        List<Account> out = new ArrayList<>();
        boolean any = false;
        for (AccountConfig ac : options.auth.accounts.values()) {
            if (ac.jetstream()) {
                out.add(host.account(ac.name()));
                any = true;
            }
        }
        AccountConfig g = options.auth.accounts.get(Account.GLOBAL);
        if (g == null && !any) {
            out.add(host.account(Account.GLOBAL));
        }
        return out;
    }

    /** Stops every stream (data stays on disk) and the API. */
    public void shutdown() {
        if (!running) {
            return;
        }
        running = false;
        api.stop();
        MetaGroup m = meta;
        if (m != null) {
            m.stop();
        }
        for (JsAccount jsa : accounts.values()) {
            for (Stream s : jsa.streams()) {
                s.stop(false);
            }
        }
        log.notice("JetStream shut down");
    }

    private void recover(JsAccount jsa) {
        String streamsDir = catalog.streamsDir(jsa.account().name());
        Disk disk = env.disk();
        if (!disk.exists(streamsDir)) {
            return;
        }
        List<String> names;
        try {
            names = disk.list(streamsDir);
        } catch (IOException e) {
            log.error("JetStream cannot list " + streamsDir + ": " + e.getMessage());
            return;
        }
        for (String n : names) {
            String dir = streamsDir + "/" + n;
            if (!disk.exists(dir + "/" + StreamMeta.FILE)) {
                continue;
            }
            String label = "'" + jsa.account().name() + " > " + n + "'";
            log.notice("  Starting restore for stream " + label);
            long t0 = env.clock().nanoTime();
            try {
                StreamMeta.Contents meta = StreamMeta.read(disk, dir, mapper);
                StreamConfig cfg = meta.config().withDefaults();
                MessageStore store = storeFactory.open(cfg, dir + "/msgs");
                Stream s = new Stream(this, jsa, cfg, meta.createdNanos(), dir, store);
                for (Corruption c : store.corruptions()) {
                    log.error(damageLine(label, c));
                }
                jsa.put(s);
                s.start();
                try {
                    consumerManager.recover(s);
                } catch (IOException | RuntimeException e) {
                    log.error("JetStream stream " + label + ": consumers not recovered: " + e.getMessage());
                }
                log.notice("  Restored " + s.state().msgs() + " messages for stream " + label);
                long ms = (env.clock().nanoTime() - t0) / 1_000_000;
                log.debug("  Restore of stream " + label + " took " + ms + "ms");
            } catch (IOException | RuntimeException e) {
                log.warn("  Error recreating stream " + label + ": " + e.getMessage());
            }
        }
    }

    /** The log line for damage a stream's store found ({@code label}: {@code 'ACCOUNT > STREAM'}). */
    static String damageLine(String label, Corruption c) {
        String range = "sequences " + c.firstSeq() + ".." + c.lastSeq() + " at " + c.where();
        if (c.reason().contains("missing")) {
            return "JetStream stream " + label + " is damaged, a file is missing (" + range + "): " + c.reason();
        }
        return "JetStream stream " + label + " has a damaged record (" + range + "): " + c.reason();
    }

    // ------------------------------------------------------------------ streams

    /** Which streams each account has, and the decisions that change that. */
    StreamCatalog catalog() {
        return catalog;
    }

    StoreFactory storeFactory() {
        return storeFactory;
    }

    // ------------------------------------------------------------------ replicated streams (the meta group's seam)

    /**
     * Installs how replicated streams open their Raft group's log (the node wires
     * {@code ReplicatedStreamLog.factory}); without one, {@link #openReplicated} refuses.
     */
    public void groupLogs(GroupLog.Factory factory) {
        this.groupLogs = factory;
    }

    /**
     * Where a replica of a stream runs: its group's name (every member uses the same), the members'
     * peer ids ({@code PeerIds.of(server_name)}), this server's id among them, the transports the
     * group's messages travel by, the cluster's name and how peer ids become server names (for
     * {@code cluster} in STREAM.INFO; it may answer null for a peer it does not know).
     */
    public record Replica(String group, List<Long> peers, long self, io.weft.engine.cluster.GroupTransports transports,
                          String clusterName, java.util.function.LongFunction<String> serverNames, boolean join) {
        public Replica {
            peers = List.copyOf(peers);
            if (!peers.contains(self)) {
                throw new IllegalArgumentException("replica " + self + " is not one of the peers " + peers);
            }
        }

        /** A replica of a group created with {@code peers} (every member starts with that membership). */
        public Replica(String group, List<Long> peers, long self, io.weft.engine.cluster.GroupTransports transports,
                       String clusterName, java.util.function.LongFunction<String> serverNames) {
            this(group, peers, self, transports, clusterName, serverNames, false);
        }

        /** The same replica joining a running group (a fresh one waits for the leader's snapshot and membership). */
        public Replica joining() {
            return new Replica(group, peers, self, transports, clusterName, serverNames, true);
        }
    }

    /**
     * Opens this server's replica of stream {@code cfg} of {@code account} (the meta group calls it
     * once the stream is assigned here, at creation and again after every restart): the replica's
     * Raft log and snapshots live under the stream's directory ({@code .../streams/<stream>/raft},
     * the messages in {@code .../msgs}, rebuilt from the log at each open; no {@code meta.json}, so
     * the local recovery never takes it for a single-server stream). The stream then answers its API
     * and its publishes only while this replica leads.
     */
    public Stream openReplicated(String account, StreamConfig cfg, long createdNanos, Replica where)
            throws IOException, JsApiException {
        return openReplicated(account, cfg, createdNanos, where, null);
    }

    /** As above; {@code seed}: the state a new group starts from ({@link GroupLog.Factory#open}, null: empty). */
    Stream openReplicated(String account, StreamConfig cfg, long createdNanos, Replica where, StreamReplica.Image seed)
            throws IOException, JsApiException {
        GroupLog.Factory f = groupLogs;
        if (f == null) {
            throw new IllegalStateException("replicated streams need a cluster (no group log factory installed)");
        }
        JsAccount jsa = accounts.get(account);
        if (jsa == null) {
            throw JsErrors.NOT_ENABLED_FOR_ACCOUNT.exception();
        }
        jsa.reserve(cfg, null);
        try {
            String dir = catalog.streamsDir(account) + "/" + cfg.name();
            Disk disk = env.disk();
            String raft = raftDir(dir, where.group());
            String label = "'" + account + " > " + cfg.name() + "'";
            StreamReplica replica = new StreamReplica(cfg.name(), cfg, () -> {
                String msgs = cfg.memoryStorage() ? null : dir + "/msgs";
                if (msgs != null) {
                    disk.mkdirs(msgs);
                }
                return storeFactory.open(cfg, msgs);
            }, e -> log.error("JetStream stream " + label + " " + e));
            GroupLog gl = f.open(replica, where.group(), where.join() ? List.of() : where.peers(), where.self(),
                    where.transports(), raft, seed);
            reportRecovery("JetStream stream " + label, gl.recovery(), gl::onRepaired);
            gl.onHold(e -> reportHold("JetStream stream " + label, e));
            Stream s = new Stream(this, jsa, cfg, createdNanos, dir, gl,
                    new Stream.Replication(where.group(), where.clusterName(), where.serverNames()));
            jsa.put(s);
            s.start();
            return s;
        } finally {
            jsa.settle(cfg, null);
        }
    }

    /**
     * Closes this server's replica of {@code stream} (the meta group: the stream was moved away or
     * deleted, or the server shuts down); with {@code delete}, its store and Raft state go too.
     * False if this server had no replica of it.
     */
    public boolean closeReplica(String account, String stream, boolean delete) throws IOException {
        JsAccount jsa = accounts.get(account);
        Stream s = jsa == null ? null : jsa.stream(stream);
        if (s == null || !s.replicated()) {
            return false;
        }
        jsa.remove(s);
        try {
            s.stop(delete);
        } finally {
            jsa.release(s);
        }
        if (delete && s.dir() != null) {
            dropRaftState(s.dir(), s.replication().group());
            if (!holdsOtherState(s.dir())) {
                deleteTree(s.dir());
            }
        }
        return true;
    }

    /** The marker beside {@code raft/} naming the Raft group whose state it holds. */
    private static final String RAFT_GROUP_MARKER = "raft.group";

    /**
     * Where the Raft state of group {@code group} of the stream in {@code dir} lives. A stream's
     * first group uses {@code raft/} (its name in {@code raft.group} beside it; a {@code raft/}
     * without the marker, from before groups could change, belongs to the first group that opens
     * it); a stream that changes group (scaling to or from R1 starts a new one) while
     * {@code raft/} holds another group's state puts the new one in {@code raft-<group>/}. So a
     * replica of an old group, reopened while the meta log replays, never reads or deletes the
     * current group's state.
     */
    String raftDir(String dir, String group) throws IOException {
        Disk disk = env.disk();
        String plain = dir + "/raft";
        String marker = dir + "/" + RAFT_GROUP_MARKER;
        String other = dir + "/raft-" + group;
        if (disk.exists(other)) {
            return other;
        }
        if (disk.exists(plain)) {
            String owner = disk.exists(marker) ? readSmall(marker) : null;
            if (owner != null && !owner.equals(group)) {
                disk.mkdirs(other);
                return other;
            }
            if (owner == null) {
                writeSmall(dir, RAFT_GROUP_MARKER, group);
            }
            return plain;
        }
        disk.mkdirs(plain);
        writeSmall(dir, RAFT_GROUP_MARKER, group);
        return plain;
    }

    /** Deletes the Raft state of {@code group} of the stream in {@code dir} (and its marker). */
    void dropRaftState(String dir, String group) throws IOException {
        Disk disk = env.disk();
        String marker = dir + "/" + RAFT_GROUP_MARKER;
        if (disk.exists(dir + "/raft-" + group)) {
            deleteTree(dir + "/raft-" + group);
            return;
        }
        if (disk.exists(dir + "/raft") && (!disk.exists(marker) || group.equals(readSmall(marker)))) {
            deleteTree(dir + "/raft");
            disk.delete(marker);
        }
    }

    /** True if the stream directory still holds a single-server stream or another group's Raft state. */
    private boolean holdsOtherState(String dir) throws IOException {
        Disk disk = env.disk();
        if (!disk.exists(dir)) {
            return false;
        }
        for (String n : disk.list(dir)) {
            if (n.equals(StreamMeta.FILE) || n.equals("raft") || n.startsWith("raft-")) {
                return true;
            }
        }
        return false;
    }

    private String readSmall(String path) throws IOException {
        try (io.weft.net.DiskFile f = env.disk().open(path, false)) {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate((int) Math.min(f.size(), 4096));
            long pos = 0;
            while (b.hasRemaining()) {
                int r = f.read(b, pos);
                if (r < 0) {
                    break;
                }
                pos += r;
            }
            return new String(b.array(), 0, b.position(), StandardCharsets.UTF_8).trim();
        }
    }

    private void writeSmall(String dir, String name, String text) throws IOException {
        Disk disk = env.disk();
        disk.mkdirs(dir);
        String tmp = dir + "/" + name + ".tmp";
        disk.delete(tmp);
        try (io.weft.net.DiskFile f = disk.open(tmp, true)) {
            f.truncate(0);
            f.write(java.nio.ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)), 0);
            f.force();
        }
        disk.rename(tmp, dir + "/" + name);
        disk.syncDir(dir);
    }

    /**
     * Scaling up from R1: this server's single-server stream {@code local} becomes the replica
     * {@code where} (a group of this server alone, at configuration {@code cfg} of meta revision
     * {@code revision}). The stream stops, its messages, derived state and durable consumers
     * become the group's first snapshot ({@link Stream#handOver}), written durably before anything
     * of the single-server stream is removed; the replica opens from it and leads at once (it is
     * the only voter), and its leader then adds the other members, which catch up from that
     * snapshot. Last, the single-server files go ({@code meta.json}, the consumers' files): a
     * restart in between finds the Raft state, which wins.
     */
    Stream replicate(JsAccount jsa, Stream local, StreamConfig cfg, long revision, Replica where)
            throws IOException, JsApiException {
        String account = jsa.account().name();
        jsa.remove(local);
        StreamReplica.Image img;
        try {
            img = local.handOver(() -> {
                try {
                    return consumerManager.records(local);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }, revision, cfg);
        } finally {
            jsa.release(local);
        }
        Stream s = openReplicated(account, cfg, local.createdNanos(), where, img);
        String dir = local.dir();
        if (local.replicated() && dir != null) {
            dropRaftState(dir, local.replication().group()); // a replica of an older group handed its state over
        }
        if (dir != null) {
            env.disk().delete(dir + "/" + StreamMeta.FILE);
            deleteTree(dir + "/obs");
            env.disk().syncDir(dir);
        }
        log.notice("JetStream stream '" + account + " > " + cfg.name() + "' is replicated now: " + img.messages().size()
                + " messages and " + img.consumers().size() + " consumers seed its group");
        return s;
    }

    /**
     * Scaling down to R1: this server's replica {@code rep}, the one kept (it leads, alone in its
     * group), becomes a single-server stream at configuration {@code cfg}. The replica stops and
     * hands over its applied state ({@link Stream#handOver}); the store is rebuilt from it and
     * synced, the consumer records become consumer files, then {@code meta.json} is written, and
     * only then does the Raft state go. The stream then starts as after a restart.
     */
    Stream unreplicate(JsAccount jsa, Stream rep, StreamConfig cfg) throws IOException, JsApiException {
        String account = jsa.account().name();
        String label = "'" + account + " > " + cfg.name() + "'";
        jsa.remove(rep);
        StreamReplica.Image img;
        try {
            img = rep.handOver(List::of, 0, cfg);
        } finally {
            jsa.release(rep);
        }
        String replicaDir = rep.dir();
        String dir = cfg.memoryStorage() ? null : replicaDir; // a single-server memory stream keeps nothing on disk
        String msgs = dir == null ? null : dir + "/msgs";
        StreamReplica fill = new StreamReplica(cfg.name(), cfg, () -> {
            if (msgs != null) {
                env.disk().mkdirs(msgs);
            }
            return storeFactory.open(cfg, msgs);
        }, e -> log.error("JetStream stream " + label + " " + e));
        fill.restore(new StreamReplica.Image(img.firstSeq(), img.lastSeq(), img.lastMsgId(), img.lastTimestamp(), img.ids(),
                img.messages(), List.of(), 0, cfg));
        fill.sync();
        Stream s = new Stream(this, jsa, cfg, rep.createdNanos(), dir, fill.store());
        if (dir != null) {
            consumerManager.writeFiles(s, img.consumers());
            StreamMeta.write(env.disk(), dir, cfg, rep.createdNanos(), mapper);
            env.disk().syncDir(dir);
            dropRaftState(dir, rep.replication().group());
        } else if (replicaDir != null) {
            deleteTree(replicaDir);
        }
        jsa.put(s);
        s.start();
        try {
            consumerManager.recover(s);
        } catch (IOException | RuntimeException e) {
            log.error("JetStream stream " + label + ": consumers not recovered: " + e.getMessage());
        }
        log.notice("JetStream stream " + label + " is a single-server stream now: " + img.messages().size()
                + " messages and " + img.consumers().size() + " consumers kept");
        return s;
    }

    private void deleteTree(String path) throws IOException {
        Disk disk = env.disk();
        if (!disk.exists(path)) {
            return;
        }
        List<String> children;
        try {
            children = disk.list(path);
        } catch (IOException e) {
            children = List.of(); // a file
        }
        for (String c : children) {
            deleteTree(path + "/" + c);
        }
        disk.delete(path);
    }

    // ------------------------------------------------------------------ views

    public JsAccount account(String name) {
        return accounts.get(name);
    }

    public Collection<JsAccount> accounts() {
        return accounts.values();
    }

    public boolean isRunning() {
        return running;
    }

    public JetStreamHost host() {
        return host;
    }

    /** The atomic batch limits of the server's options now (a reload applies to the next batch message). */
    AtomicBatches.Limits batchLimits() {
        return AtomicBatches.Limits.of(host.options());
    }

    /** The server-wide count of open atomic batches. */
    java.util.concurrent.atomic.AtomicInteger atomicInflight() {
        return atomicInflight;
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

    public String storeDir() {
        return root;
    }

    public String domain() {
        return options.jetstreamDomain == null ? "" : options.jetstreamDomain;
    }

    /** {@code jetstream { sync_interval }}: null = sync each batch before acking, zero = every message. */
    public Duration syncInterval() {
        return options.jetstreamSyncInterval;
    }

    long maxMemory() {
        return options.jetstreamMaxMemory;
    }

    long maxStore() {
        return options.jetstreamMaxStore;
    }

    /** Bytes in memory streams (memory true) or file streams, over all accounts. */
    public long used(boolean memory) {
        long n = 0;
        for (JsAccount a : accounts.values()) {
            n += a.used(memory);
        }
        return n;
    }

    public long apiTotal() {
        return apiTotal.get();
    }

    public long apiErrors() {
        return apiErrors.get();
    }

    public ConsumerManager consumerManager() {
        return consumerManager;
    }

    JsApi api() {
        return api;
    }

    ObjectMapper mapper() {
        return mapper;
    }

    JsonNode readJson(byte[] body) throws JsApiException {
        try {
            // decoded as subjects are, so a subject in the JSON is the same String as on the wire
            JsonNode n = mapper.readTree(SubjectBytes.decode(body));
            if (n == null || n.isMissingNode()) {
                throw JsErrors.INVALID_JSON.exception();
            }
            return n;
        } catch (IOException e) {
            throw JsErrors.INVALID_JSON.exception();
        }
    }

    /** Compact JSON with Go's escaping. */
    byte[] json(Object node) {
        return goJson.compactBytes(node);
    }

    static String size(long bytes) {
        if (bytes < 0) {
            return "unlimited";
        }
        String[] units = {"B", "KB", "MB", "GB", "TB"};
        double v = bytes;
        int u = 0;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return u == 0 ? bytes + " B" : String.format("%.2f %s", v, units[u]);
    }

    // ------------------------------------------------------------------ monitoring

    /** Server-wide usage for /jsz and /varz. */
    public record Totals(long memory, long storage, long streams, long consumers, long messages, long bytes) {
    }

    public Totals totals() {
        long mem = 0;
        long sto = 0;
        long streams = 0;
        long consumers = 0;
        long msgs = 0;
        for (JsAccount a : accounts.values()) {
            for (Stream s : a.streams()) {
                io.weft.store.StoreState st = s.state();
                if (s.config().memoryStorage()) {
                    mem += st.bytes();
                } else {
                    sto += st.bytes();
                }
                streams++;
                consumers += s.consumers().size();
                msgs += st.msgs();
            }
        }
        return new Totals(mem, sto, streams, consumers, msgs, mem + sto);
    }

    /**
     * What makes /healthz report JetStream unhealthy, or null: the first stream (by account, then
     * name) that cannot store (its last batch failed to write, and none since succeeded), or whose
     * store found damaged records or lost files, at start-up or by a read since.
     */
    public String healthError() {
        String metaError = metaHealthError();
        return metaError != null ? metaError : healthError("", "");
    }

    /**
     * What {@code /healthz} names as unhealthy among the streams of {@code account} (every account
     * when empty), only {@code stream} when it is set; null when nothing.
     */
    public String healthError(String account, String stream) {
        for (JsAccount a : accounts.values()) {
            if (!account.isEmpty() && !a.account().name().equals(account)) {
                continue;
            }
            for (Stream s : a.streams()) {
                if (!stream.isEmpty() && !s.name().equals(stream)) {
                    continue;
                }
                String failing = s.writeError();
                if (failing != null) {
                    return "JetStream stream '" + a.account().name() + " > " + s.name() + "' write error: " + failing;
                }
                GroupLog gl = s.group();
                if (gl != null && gl.failure() != null) {
                    return "JetStream stream '" + a.account().name() + " > " + s.name() + "' is not current: its Raft"
                            + " replica stopped, " + gl.failure();
                }
                if (gl != null && gl.damaged()) {
                    return "JetStream stream '" + a.account().name() + " > " + s.name() + "' is not current: its Raft"
                            + " log is damaged and being repaired from its peers";
                }
                List<Corruption> bad = s.store().corruptions();
                if (!bad.isEmpty()) {
                    Corruption c = bad.getFirst();
                    return "JetStream stream '" + a.account().name() + " > " + s.name() + "' is damaged: "
                            + bad.size() + " damaged or missing part" + (bad.size() == 1 ? "" : "s") + ", first "
                            + "sequences " + c.firstSeq() + ".." + c.lastSeq() + " at " + c.where() + ": " + c.reason();
                }
            }
        }
        return null;
    }

    /** A {@code /healthz} filter that found nothing: which kind of asset, and nats-server's text. */
    public record HealthMiss(String type, int httpStatus, String error) {
    }

    /**
     * Looks up what {@code /healthz?account=&stream=&consumer=} names, as nats-server 2.15.1 does on
     * a single server: an account or stream exists for it when the store directory holds it (so a
     * memory stream, which has no directory, is "not found", as there), a consumer when the stream
     * has it. A stream directory whose stream did not load "could not be recovered". Null when
     * everything named was found (or nothing was named).
     */
    public HealthMiss healthFind(String account, String stream, String consumer) {
        if (account.isEmpty()) {
            return null;
        }
        Disk disk = env.disk();
        if (!listed(disk, root, account)) {
            return new HealthMiss("ACCOUNT", 404, "JetStream account \"" + account + "\" not found");
        }
        if (stream.isEmpty()) {
            return null;
        }
        if (!listed(disk, root + "/" + account + "/streams", stream)) {
            return new HealthMiss("STREAM", 404, "JetStream stream \"" + stream + "\" not found on account \"" + account + "\"");
        }
        JsAccount jsa = accounts.get(account);
        Stream s = jsa == null ? null : jsa.stream(stream);
        if (s == null) {
            return new HealthMiss("STREAM", 503, "JetStream stream '" + account + " > " + stream + "' could not be recovered");
        }
        if (!consumer.isEmpty() && s.consumer(consumer) == null) {
            return new HealthMiss("CONSUMER", 404, "JetStream consumer \"" + consumer + "\" not found for stream \""
                    + stream + "\" on account \"" + account + "\"");
        }
        return null;
    }

    /**
     * What makes /healthz (also with {@code js-meta-only}) fail on a clustered server, in
     * nats-server's words, or null: an undecodable meta entry, or no meta leader known.
     */
    public String metaHealthError() {
        MetaGroup m = meta;
        if (m == null) {
            if (metaFailure != null) {
                return "JetStream meta group not started: " + metaFailure;
            }
            return metaPending ? "JetStream has not established contact with a meta leader" : null;
        }
        if (m.failure() != null) {
            return "JetStream meta group stopped on this server: " + m.failure();
        }
        if (m.applyError() != null) {
            return "JetStream meta layer apply error: " + m.applyError();
        }
        if (m.driver() != null && m.driver().damaged()) {
            return "JetStream is not current with the meta leader: its Raft log is damaged and being repaired from its peers";
        }
        if (m.leader() == 0) {
            return "JetStream has not established contact with a meta leader";
        }
        return null;
    }

    private static boolean listed(Disk disk, String dir, String name) {
        try {
            return disk.exists(dir) && disk.list(dir).contains(name);
        } catch (IOException e) {
            return false;
        }
    }

    /** One account as /jsz details it: usage, API counters, and its streams when asked. */
    public record AccountReport(String name, long memory, long storage, long apiTotal, long apiErrors,
                                List<StreamReport> streams) {
    }

    /**
     * One stream as /jsz details it: {@code config} only when asked (else null), {@code consumers}
     * (each with {@code stream_name}, {@code name}, {@code num_ack_pending}) only when asked, and
     * the damage its store found.
     */
    public record StreamReport(String name, String created, String leader, JsonNode config, JsonNode state,
                               List<JsonNode> consumers, List<Corruption> corruptions) {
    }

    /** /jsz account details (optionally one account), with streams, consumers and configs on request. */
    public List<AccountReport> accountDetails(String only, boolean streams, boolean consumers, boolean config) {
        List<AccountReport> out = new ArrayList<>();
        for (JsAccount a : accounts.values()) {
            String name = a.account().name();
            if (only != null && !only.isEmpty() && !only.equals(name)) {
                continue;
            }
            List<StreamReport> sd = new ArrayList<>();
            if (streams) {
                for (Stream s : a.streams()) {
                    List<JsonNode> cd = new ArrayList<>();
                    if (consumers) {
                        for (StreamConsumer c : s.consumers()) {
                            var o = mapper.createObjectNode();
                            o.put("stream_name", s.name());
                            o.put("name", c.name());
                            o.put("num_ack_pending", c.numAckPending());
                            cd.add(o);
                        }
                    }
                    sd.add(new StreamReport(s.name(), JsTime.format(s.createdNanos()), s.leaderName(host.serverName()),
                            config ? s.config().toJson() : null, s.stateJson(false, null), cd,
                            List.copyOf(s.store().corruptions())));
                }
            }
            out.add(new AccountReport(name, a.used(true), a.used(false), a.apiTotal(), a.apiErrors(), sd));
        }
        return out;
    }
}
