package io.weft.engine.jetstream.meta;

import io.weft.engine.cluster.GroupTransports;
import io.weft.engine.cluster.PeerIds;
import io.weft.net.Env;
import io.weft.raft.ConfState;
import io.weft.raft.Entry;
import io.weft.raft.Message;
import io.weft.raft.Role;
import io.weft.raft.Snapshot;
import io.weft.raft.driver.DriverConfig;
import io.weft.raft.driver.RaftDriver;
import io.weft.raft.driver.RaftException;
import io.weft.raft.driver.StateMachine;
import io.weft.raft.driver.Transport;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * This server's member of the JetStream meta group ({@code _meta_}): a {@link RaftDriver} whose
 * state machine is the cluster's {@link Assignments}, over the transport {@link GroupTransports}
 * opens for the group. Every JetStream server of the cluster is a voter; the members are named by
 * {@code server_name} and their ids are {@link PeerIds} of those names.
 *
 * <p>The leader decides; {@link #propose} hands it an op and completes once the entry is
 * committed (durable on a quorum) and applied here, with the {@link Assignments.Outcome} the log
 * gave it. A new leader serves only once an entry of its own term is applied ({@link #isLeader}):
 * then everything an earlier leader committed is in its assignments. {@link #leaderless} is
 * nats-server's test for answering 10008: no leader known, and the member has run longer than the
 * grace period (a starting cluster elects first).
 *
 * <p>Liveness of the other members is what this member hears on the group's transport: the last
 * message from each ({@code active}), and, on the leader, each follower's acknowledged index
 * ({@code lag} against what is applied here).
 */
public final class MetaGroup {
    public static final String GROUP = "_meta_";

    /**
     * How to run the member: this server's name and cluster, the directory of its Raft state, the
     * names of every member (itself included; the group's first membership, ignored once the
     * directory holds state), the tick and election timeout (in ticks), how long a member may be
     * leaderless before the API says so, and after how long without a message a peer counts as
     * offline. {@code tags}: the {@code server_tags} of a member by name (empty when unknown);
     * {@code snapshotEvery}: applied entries between snapshots of the assignments.
     */
    public record Settings(String serverName, String cluster, String dir, List<String> members, Duration tick,
                           int electionTicks, Duration leaderlessGrace, Duration offlineAfter,
                           java.util.function.Function<String, List<String>> tags, long snapshotEvery) {
        public Settings {
            members = List.copyOf(members);
            if (!members.contains(serverName)) {
                throw new IllegalArgumentException("the members must include this server (" + serverName + ")");
            }
        }

        /** nats-server's pace: 10 s leaderless before 10008 answers; weft's 100 ms ticks, 1-2 s elections. */
        public static Settings of(String serverName, String cluster, String dir, List<String> members,
                                  java.util.function.Function<String, List<String>> tags) {
            return new Settings(serverName, cluster, dir, members, Duration.ofMillis(100), 10, Duration.ofSeconds(10),
                    Duration.ofSeconds(10), tags, 1024);
        }

        public Settings withTiming(Duration t, int election, Duration grace, Duration offline) {
            return new Settings(serverName, cluster, dir, members, t, election, grace, offline, tags, snapshotEvery);
        }

        /** Compacts the meta log into a snapshot every {@code n} applied entries. */
        public Settings withSnapshotEvery(long n) {
            return new Settings(serverName, cluster, dir, members, tick, electionTicks, leaderlessGrace, offlineAfter,
                    tags, n);
        }
    }

    /** One member as /jsz {@code meta_cluster.replicas} shows it. */
    public record Replica(String name, long peer, boolean current, boolean offline, long activeNanos, long lag) {
    }

    /** Why a proposal was not applied. */
    public static final class NotApplied extends Exception {
        private final boolean maybe;

        NotApplied(String why, boolean maybe) {
            super(why);
            this.maybe = maybe;
        }

        /** True when it may still be applied (leadership was lost after proposing). */
        public boolean maybeApplied() {
            return maybe;
        }
    }

    private final Env env;
    private final Settings settings;
    private final long self;
    private final Map<Long, String> names = new TreeMap<>();
    private final Assignments assignments = new Assignments();
    private final Assignments.Listener listener;
    private final Map<Long, Long> lastSeen = new ConcurrentHashMap<>();
    private final Map<Long, Long> matched = new ConcurrentHashMap<>();
    private final long startedNanos;
    private volatile RaftDriver driver;
    private volatile GroupTransports transports;
    private volatile Runnable repairedThen;
    private volatile long leaderTerm;
    private volatile long readyTerm;
    private volatile long appliedIndex;
    private volatile String applyError;
    /** The voters of the meta group as this member applied them (membership changes, snapshots). */
    private volatile java.util.Set<Long> voters;
    private final ReentrantLock changing = new ReentrantLock();

    private MetaGroup(Env env, Settings settings, Assignments.Listener listener) {
        this.env = env;
        this.settings = settings;
        this.self = PeerIds.of(settings.serverName());
        for (String n : settings.members()) {
            names.put(PeerIds.of(n), n);
        }
        this.listener = listener;
        this.startedNanos = env.clock().nanoTime();
        this.voters = java.util.Set.copyOf(names.keySet());
    }

    /** Opens the member's storage under {@code settings.dir()}, restores its assignments and joins the group. */
    public static MetaGroup start(Env env, GroupTransports transports, Settings settings, Assignments.Listener listener)
            throws IOException {
        MetaGroup g = new MetaGroup(env, settings, listener);
        List<Long> voters = new ArrayList<>(g.names.keySet());
        DriverConfig dc = DriverConfig.of(g.self, settings.dir(), ConfState.of(voters))
                .withTiming(settings.tick(), settings.electionTicks(), 1)
                .withSnapshotEvery(settings.snapshotEvery())
                .withObserver(g.new Watch());
        g.transports = transports;
        Transport t = g.new Watching(transports.open(GROUP, g.self));
        g.driver = RaftDriver.start(env, dc, g.new Machine(), t);
        return g;
    }

    public void stop() {
        RaftDriver d = driver;
        if (d != null) {
            d.stop();
        }
    }

    public Assignments assignments() {
        return assignments;
    }

    public long self() {
        return self;
    }

    public String serverName() {
        return settings.serverName();
    }

    public String cluster() {
        return settings.cluster();
    }

    /** The member names by peer id. */
    public Map<Long, String> members() {
        return java.util.Collections.unmodifiableMap(names);
    }

    /** The name of {@code peer}, or nats-server's placeholder for a peer it cannot name. */
    public String nameOf(long peer) {
        String n = names.get(peer);
        return n != null ? n : "Server name unknown at this time (peerID: " + PeerIds.hex(peer) + ")";
    }

    /** True if this member leads and has applied an entry of its term (its assignments are complete). */
    public boolean isLeader() {
        RaftDriver d = driver;
        return d != null && d.softState().role() == Role.LEADER && leaderTerm > 0 && readyTerm == leaderTerm;
    }

    /** The leader this member knows (0: none). */
    public long leader() {
        RaftDriver d = driver;
        return d == null ? 0 : d.softState().leader();
    }

    /** The leader's server name, or "" when none is known. */
    public String leaderName() {
        long l = leader();
        return l == 0 ? "" : nameOf(l);
    }

    /** nats-server's {@code isLeaderless}: no leader known, and the member has run past the grace period. */
    public boolean leaderless() {
        return leader() == 0 && env.clock().nanoTime() - startedNanos > settings.leaderlessGrace().toNanos();
    }

    /** An entry of the meta log that could not be decoded (applied as nothing), or null. */
    public String applyError() {
        return applyError;
    }

    /** The Raft index applied here. */
    public long appliedIndex() {
        return appliedIndex;
    }

    /**
     * Proposes {@code op} to the group (this member must be the leader); completes with the outcome
     * once committed and applied here, or fails with {@link NotApplied}.
     */
    public CompletableFuture<Assignments.Outcome> propose(MetaOp op) {
        RaftDriver d = driver;
        if (d == null || !isLeader()) {
            return CompletableFuture.failedFuture(new NotApplied("not the meta leader", false));
        }
        return d.propose(MetaCodec.encode(op)).handle((res, x) -> {
            if (x != null) {
                Throwable c = x instanceof CompletionException ? x.getCause() : x;
                boolean maybe = !(c instanceof RaftException re) || re.maybeApplied();
                throw new CompletionException(new NotApplied(c.getMessage(), maybe));
            }
            if (res == null || res.length != 1 || res[0] < 0 || res[0] >= Assignments.Outcome.values().length) {
                throw new CompletionException(new NotApplied("meta entry not applied", false));
            }
            return Assignments.Outcome.values()[res[0]];
        });
    }

    /**
     * Waits for {@code f} on the member's clock, at most {@code timeout}; null when it did not
     * complete in time. Thrown failures are unwrapped.
     */
    public <T> T await(CompletableFuture<T> f, Duration timeout) throws NotApplied, InterruptedException {
        ReentrantLock lock = new ReentrantLock();
        Condition done = lock.newCondition();
        f.whenComplete((v, x) -> {
            lock.lock();
            try {
                done.signalAll();
            } finally {
                lock.unlock();
            }
        });
        long deadline = env.clock().nanoTime() + timeout.toNanos();
        lock.lock();
        try {
            while (!f.isDone()) {
                if (!env.clock().awaitUntil(done, deadline)) {
                    break;
                }
            }
        } finally {
            lock.unlock();
        }
        if (!f.isDone()) {
            return null;
        }
        try {
            return f.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof NotApplied na) {
                throw na;
            }
            throw new NotApplied(String.valueOf(e.getCause()), true);
        }
    }

    /**
     * Hands leadership to {@code to} (a member other than this one, which must lead). Returns null
     * when the transfer was started, else nats-server's reason.
     */
    public String transferTo(long to) throws InterruptedException {
        RaftDriver d = driver;
        if (d == null || d.softState().role() != Role.LEADER) {
            return "not the meta leader";
        }
        Boolean ok;
        try {
            ok = await(d.transferLeader(to), Duration.ofSeconds(2));
        } catch (NotApplied e) {
            return e.getMessage();
        }
        return Boolean.TRUE.equals(ok) ? null : "leader transfer to " + nameOf(to) + " refused";
    }

    /**
     * Members other than this one, by name, as this member sees them (for /jsz and placement), as
     * nats-server reports them: a member is offline when it has not been heard for
     * {@code offlineAfter} and no route to its server is up. The leader knows each member's lag
     * (current: online and nothing to catch up); a follower knows only whether it hears the
     * leader (current when heard within an election timeout, lag 0) and says neither of the
     * other followers (not current, lag 0).
     */
    public List<Replica> replicas() {
        long now = env.clock().nanoTime();
        List<Replica> out = new ArrayList<>();
        boolean leading = isLeader();
        long leader = leader();
        GroupTransports t = transports;
        long election = settings.tick().toNanos() * settings.electionTicks();
        for (Map.Entry<Long, String> e : names.entrySet()) {
            long p = e.getKey();
            if (p == self || !voters.contains(p)) {
                continue; // removed members are neither shown nor placed on
            }
            Long seen = lastSeen.get(p);
            long active = seen == null ? 0 : Math.max(0, now - seen);
            boolean heard = seen != null && active <= settings.offlineAfter().toNanos();
            boolean offline = !heard && (t == null || !t.reachable(p));
            long lag = 0;
            boolean current;
            if (leading) {
                Long m = matched.get(p);
                lag = Math.max(0, appliedIndex - (m == null ? 0 : m));
                current = !offline && lag == 0;
            } else {
                current = p == leader && seen != null && active <= election;
            }
            out.add(new Replica(e.getValue(), p, current, offline, active, lag));
        }
        out.sort(Comparator.comparing(Replica::name));
        return out;
    }

    /** Every member as a placement candidate (this one always seen and online). */
    public List<Placement.Candidate> candidates() {
        List<Placement.Candidate> out = new ArrayList<>();
        out.add(new Placement.Candidate(self, settings.serverName(), settings.cluster(),
                settings.tags().apply(settings.serverName()), true, false));
        for (Replica r : replicas()) {
            out.add(new Placement.Candidate(r.peer(), r.name(), settings.cluster(), settings.tags().apply(r.name()),
                    lastSeen.containsKey(r.peer()), r.offline()));
        }
        return out;
    }

    /** The meta group's voters as applied here (every member less those SERVER.REMOVE took out). */
    public java.util.Set<Long> voters() {
        return voters;
    }

    /**
     * Takes {@code peer} out of the meta group by a Raft membership change (this member must lead);
     * true once the change is committed and applied here, false when it was not within
     * {@code timeout} or was refused. One change at a time.
     */
    public boolean removeMember(long peer, Duration timeout) throws InterruptedException {
        RaftDriver d = driver;
        if (d == null || !isLeader()) {
            return false;
        }
        changing.lock();
        try {
            if (!voters.contains(peer)) {
                return true;
            }
            await(d.proposeConfChange(new io.weft.raft.ConfChange(io.weft.raft.ConfChange.Type.REMOVE, peer)), timeout);
            return !voters.contains(peer);
        } catch (NotApplied e) {
            return false;
        } finally {
            changing.unlock();
        }
    }

    /** For tests: the driver. */
    public RaftDriver driver() {
        return driver;
    }

    // ------------------------------------------------------------------ the state machine

    private final class Machine implements StateMachine {
        @Override
        public byte[] apply(Entry entry) {
            appliedIndex = entry.index();
            if (entry.term() == leaderTerm) {
                readyTerm = leaderTerm;
            }
            if (entry.kind() == Entry.Kind.CONF_CHANGE) {
                try {
                    io.weft.raft.ConfChange cc = io.weft.raft.ConfChange.decode(entry.data());
                    java.util.TreeSet<Long> v = new java.util.TreeSet<>(voters);
                    if (cc.type() == io.weft.raft.ConfChange.Type.ADD_VOTER) {
                        v.add(cc.node());
                    } else {
                        v.remove(cc.node());
                    }
                    voters = java.util.Set.copyOf(v);
                } catch (RuntimeException e) {
                    applyError = "entry " + entry.index() + ": " + e.getMessage();
                }
                return new byte[0];
            }
            if (entry.kind() != Entry.Kind.NORMAL) {
                return new byte[0];
            }
            MetaOp op;
            try {
                op = MetaCodec.decode(entry.data());
            } catch (MetaCodec.DecodeException e) {
                // nothing is applied for it, on any member; /healthz reports it
                applyError = "entry " + entry.index() + ": " + e.getMessage();
                return new byte[0];
            }
            return new byte[] {(byte) assignments.apply(op, listener).ordinal()};
        }

        @Override
        public byte[] snapshot() {
            return assignments.snapshot();
        }

        @Override
        public void restore(Snapshot snapshot) {
            assignments.restore(snapshot.data(), listener);
            appliedIndex = snapshot.index();
            if (!snapshot.conf().voters().isEmpty()) {
                voters = java.util.Set.copyOf(snapshot.conf().voters());
            }
        }
    }

    private final class Watch implements RaftDriver.Observer {
        @Override
        public void becameLeader(long id, long term) {
            leaderTerm = term;
            matched.clear();
        }

        @Override
        public void roleChanged(long id, io.weft.raft.Ready.SoftState from, io.weft.raft.Ready.SoftState to) {
            java.util.function.Consumer<String> l = leaderListener;
            if (l == null || from.leader() == to.leader()) return;
            if (to.leader() == 0) {
                l.accept("JetStream cluster no metadata leader");
            } else if (to.leader() == self) {
                l.accept("Self is new JetStream cluster metadata leader");
            } else {
                l.accept("JetStream cluster new metadata leader: " + nameOf(to.leader()) + "/" + settings.cluster());
            }
        }

        @Override
        public void failed(long id, RuntimeException error) {
            failure = "a broken invariant: " + error;
            java.util.function.Consumer<String> l = failureListener;
            if (l != null) l.accept("JetStream meta group stopped on " + failure);
        }

        @Override
        public void storageFailed(long id, IOException error) {
            failure = "its storage failed a durable write: " + error.getMessage();
            java.util.function.Consumer<String> l = failureListener;
            if (l != null) l.accept("JetStream meta group stopped: " + failure);
        }

        @Override
        public void hold(long id, String event) {
            held(event);
        }

        @Override
        public void repaired(long id) {
            Runnable r = repairedThen;
            repairedThen = null;
            if (r != null) r.run();
        }
    }

    private volatile java.util.function.Consumer<String> leaderListener;
    private volatile String failure;

    /** Why this member's driver stopped on its own, or null while it runs. */
    public String failure() {
        return failure;
    }

    private volatile java.util.function.Consumer<String> failureListener;
    private final io.weft.engine.EventRelay holds = new io.weft.engine.EventRelay();

    /** Hands {@code listener} each change of this member's restart hold (raft README, R9), earlier ones first. */
    public void onHold(java.util.function.Consumer<String> listener) {
        holds.listen(listener);
    }

    private void held(String event) {
        holds.add(event);
    }

    /**
     * Sets who hears, as nats-server's notices, that the meta leader this member knows changed
     * ({@code leader}: the line to log), and that this member's driver stopped on an error.
     */
    public void onEvents(java.util.function.Consumer<String> leader, java.util.function.Consumer<String> failure) {
        leaderListener = leader;
        failureListener = failure;
    }

    /** Runs {@code then} once this member's recovered Raft damage is repaired by its peers. */
    public void onRepaired(Runnable then) {
        repairedThen = then;
        RaftDriver d = driver;
        if (d != null && !d.damaged()) {
            repairedThen = null;
        }
    }

    /** The group's transport, noting when each peer was last heard and what it acknowledged. */
    private final class Watching implements Transport {
        private final Transport inner;

        Watching(Transport inner) {
            this.inner = inner;
        }

        @Override
        public void start(Consumer<Message> inbound) throws IOException {
            inner.start(m -> {
                lastSeen.put(m.from(), env.clock().nanoTime());
                if (m instanceof Message.AppendResp r && !r.reject()) {
                    matched.merge(r.from(), r.index(), Math::max);
                }
                inbound.accept(m);
            });
        }

        @Override
        public void send(Message m) {
            inner.send(m);
        }

        @Override
        public void close() {
            inner.close();
        }
    }
}
