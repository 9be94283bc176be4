package io.weft.engine.jetstream.cluster;

import io.weft.engine.jetstream.GroupLog;
import io.weft.engine.jetstream.JsErrors;
import io.weft.engine.jetstream.StreamConfig;
import io.weft.engine.jetstream.StreamOp;
import io.weft.engine.jetstream.StreamReplica;
import io.weft.net.Env;
import io.weft.raft.ConfState;
import io.weft.raft.Entry;
import io.weft.raft.Role;
import io.weft.raft.Snapshot;
import io.weft.raft.Ready;
import io.weft.raft.driver.DriverConfig;
import io.weft.raft.driver.RaftDriver;
import io.weft.raft.driver.RaftException;
import io.weft.raft.driver.StateMachine;
import io.weft.raft.driver.Transport;
import io.weft.store.StoreState;
import io.weft.store.StoredMessage;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A stream's log backed by a Raft group: one of these per replica, each with its own
 * {@link StreamReplica} (store) and {@link RaftDriver}. The leader alone decides
 * ({@link #publish}: {@code PublishRules} against its applied state plus the appends it proposed and
 * that are not applied yet), proposes the encoded op ({@link StreamOpCodec}) and answers once the
 * entry is applied here, which the driver does only once it is committed: durable (fsynced) on a
 * quorum. Every replica, the leader included, applies the committed ops in log order through the
 * replica's {@code StreamApply}, at the sequence and timestamp the leader put in the op.
 *
 * <p><b>Leader changes.</b> A leader decides nothing until its <em>barrier</em> (an entry it proposes
 * on election, tagged with its term and an epoch of its own) is applied: everything before the
 * barrier, including whatever a deposed leader logged and a quorum kept, is then committed and
 * applied, so the applied state is the whole truth and the pending appends are only its own. Each op
 * carries {@code (term, epoch, n)}: the barrier it follows and its place after it. An op is applied
 * only if its entry's term is the one it was decided in, it follows the last applied barrier, and
 * {@code n} is the next in that chain; otherwise it is skipped, the same way on every replica (the
 * state before it is not the state it was decided against: an earlier op of the chain never made it
 * into the log). A skipped op's publisher hears "not stored". So an op decided by a deposed leader is
 * acknowledged only if it was committed; its duplicate id and expected sequence were checked against
 * the state it is applied on.
 *
 * <p><b>Snapshots.</b> Every {@code snapshotEvery} applied entries (the driver's setting) the
 * replica's image (all its messages, the derived state, the chain position) becomes the Raft
 * snapshot; the log before it is compacted. A lagging or new replica gets it by {@code InstallSnapshot}
 * and restores it ({@link StreamReplica#restore}). At start the replica's store is emptied and rebuilt
 * from the newest snapshot and the log after it: the store is a cache of the Raft state, so it is
 * never fsynced by this class (the Raft log's fsync is the durability).
 *
 * <p><b>Configuration.</b> The meta group's newest configuration of the stream reaches every
 * replica ({@link #configure}); the ready leader logs it as a {@link StreamOp.Config} when its
 * revision is above the one the replica applied or logged, after its barrier too (a leader elected
 * before the op was logged logs it then). Every replica applies it at that log point, so the limits
 * it lowers remove the same messages everywhere; the leader decides with it from the moment it is
 * logged. An op of a revision not above the applied one changes nothing.
 *
 * <p><b>Transport.</b> Raft messages travel through the driver's {@link Transport}: the simulator
 * wires one over its network today; routes will carry it between servers.
 *
 * <p>As the {@link GroupLog} of a {@code Stream} ({@code JetStream.openReplicated}): the stream's
 * publishes go to {@link #publish}; {@link #onReadyChanged} tells it when to subscribe (ready) and
 * unsubscribe; {@link #clusterView} and {@link #stepDown} answer STREAM.INFO's {@code cluster} and
 * STREAM.LEADER.STEPDOWN. As a {@code StreamLog}: {@link #append} proposes an op the caller decided
 * (against this log's view: {@link #replica} under {@link #lock}); an append in a batch is waited
 * for by {@link #commit}, any other op (purge, delete, trim) at once, so the caller hears what it
 * removed; proposed ops cannot be taken back, so {@link #rollback} only forgets the batch.
 */
public final class ReplicatedStreamLog implements GroupLog {

    /**
     * {@code maxPending}: appends in flight before publishes are refused. {@code ackBeforeCommit} is a
     * test-only bug switch: the leader answers as soon as it proposed, before any quorum holds the
     * entry (the simulator shows this loses acknowledged writes). {@code lose} is test-only too: an
     * op it accepts is never proposed, as if the leader crashed before sending it (null: none; a
     * production log never has one).
     */
    public record Options(int maxPending, boolean ackBeforeCommit, java.util.function.Predicate<StreamOp> lose) {
        public Options(int maxPending, boolean ackBeforeCommit) {
            this(maxPending, ackBeforeCommit, null);
        }

        public static Options defaults() {
            return new Options(4096, false);
        }
    }

    private static final byte[] SKIPPED = {0};

    private final ReentrantLock lock = new ReentrantLock();
    private final Env env;
    private final long id;
    private final StreamReplica replica;
    private final Options options;
    private final RaftDriver.Observer observer;
    /** How long a leader waits before it asks again for a barrier that failed (one tick). */
    private final java.time.Duration retryAfter;
    private volatile RaftDriver driver;
    /**
     * Snapshots wait until the entries since the last one number at least the stream's messages
     * ({@link Machine#snapshotDue}): an image holds every message, so taking one every
     * {@code snapshotEvery} entries would cost in proportion to the stream per 10 000 publishes.
     */
    private boolean sizedSnapshots;

    // the leader side (under lock)
    private long leaderTerm;
    private long barrierEpoch;
    private long readyTerm;
    private long readyEpoch;
    private long nextN;
    private long epochs;
    /** Futures of pending appends by sequence, so a duplicate of a pending message waits for it. */
    private final TreeMap<Long, CompletableFuture<Result>> inFlight = new TreeMap<>();

    // the applied chain (under lock; part of the snapshot)
    private long chainTerm;
    private long chainEpoch;
    private long chainN;
    private long appliedIndex;
    private long skipped;

    // a StreamLog batch
    private List<CompletableFuture<Result>> batch;

    /** The meta group's peer group (under lock; null: none heard), and whether a change toward it is in flight. */
    private List<Long> desiredPeers;
    private boolean changingPeers;

    /** The meta group's newest configuration (under lock; null: none heard). */
    private StreamOp.Config desired;
    /** Set by an apply that changed the configuration, cleared when the listener heard it. */
    private volatile boolean configChanged;
    private volatile Runnable configListener;

    // leadership as the stream sees it (group thread)
    private volatile Runnable readyListener;
    private boolean announced;
    private volatile String failure;
    /** When this replica started (monotonic): {@link #leaderless} judges only after {@link #LOST_NANOS}. */
    private final long startedNanos;
    private volatile java.util.function.Consumer<String> failedListener;
    private final io.weft.engine.EventRelay holds = new io.weft.engine.EventRelay();
    /** Wall nanos this replica last became ready to lead (0: not leading). */
    private volatile long leaderSince;
    /** Run when the recovered damage is repaired (set once the stream has logged the damage). */
    private volatile Runnable repairedThen;

    private ReplicatedStreamLog(Env env, long id, StreamReplica replica, Options options, RaftDriver.Observer observer,
                                java.time.Duration retryAfter) {
        this.env = env;
        this.retryAfter = retryAfter;
        this.id = id;
        this.replica = replica;
        this.options = options;
        this.observer = observer;
        this.startedNanos = env.clock().nanoTime();
    }

    /**
     * Starts replica {@code dc.id()} of the stream held by {@code replica}: its store is emptied, then
     * the driver restores the newest snapshot and replays the log after it.
     */
    public static ReplicatedStreamLog start(Env env, DriverConfig dc, StreamReplica replica, Transport transport,
                                            Options options) throws IOException {
        return start(env, dc, replica, transport, options, false);
    }

    /**
     * {@link #start(Env, DriverConfig, StreamReplica, Transport, Options)}; with {@code sizedSnapshots}
     * a snapshot is taken only once the entries since the last one number at least the stream's
     * messages (and {@code dc.snapshotEvery()}), so that its cost per entry stays bounded.
     */
    public static ReplicatedStreamLog start(Env env, DriverConfig dc, StreamReplica replica, Transport transport,
                                            Options options, boolean sizedSnapshots) throws IOException {
        ReplicatedStreamLog log = new ReplicatedStreamLog(env, dc.id(), replica, options, dc.observer(), dc.tick());
        log.sizedSnapshots = sizedSnapshots;
        replica.restore(StreamReplica.Image.empty());
        log.driver = RaftDriver.start(env, dc.withObserver(log.new Watch()), log.new Machine(), transport);
        log.lock.lock();
        try {
            if (log.leaderTerm > 0 && log.barrierEpoch == 0) log.proposeBarrier();
        } finally {
            log.lock.unlock();
        }
        return log;
    }

    /**
     * The factory {@code JetStream.openReplicated} uses: replica {@code self} of {@code peers}, its
     * Raft state in {@code dir}, its messages over {@code transports.open(group, self)}; {@code tune}
     * adjusts the driver's defaults ({@link DriverConfig#of}; tests shorten the timing).
     */
    public static GroupLog.Factory factory(Env env, java.util.function.UnaryOperator<DriverConfig> tune, Options options) {
        return factory(env, tune, options, false);
    }

    /** As above; {@code sizedSnapshots} as in {@link #start(Env, DriverConfig, StreamReplica, Transport, Options, boolean)}. */
    public static GroupLog.Factory factory(Env env, java.util.function.UnaryOperator<DriverConfig> tune, Options options,
                                           boolean sizedSnapshots) {
        return (replica, group, peers, self, transports, dir, seed) -> {
            List<Long> voters = new ArrayList<>(new java.util.TreeSet<>(peers)); // empty: joining a running group
            DriverConfig dc = tune.apply(DriverConfig.of(self, dir, ConfState.of(voters)));
            if (seed != null) {
                seed(env, dir, ConfState.of(voters), seed);
            }
            Transport t = transports.open(group, self);
            try {
                return start(env, dc, replica, t, options, sizedSnapshots);
            } catch (IOException | RuntimeException e) {
                t.close();
                throw e;
            }
        };
    }

    /**
     * Writes {@code image} as the first snapshot (index 1, term 1, membership {@code conf}) of a
     * group whose directory {@code dir} holds no Raft state yet; nothing if it holds any (a
     * restart after the seed was written: the Raft state is the truth from then on). The driver
     * then opens the group as of that snapshot: its replica restores the image, and a member added
     * later receives it by InstallSnapshot (the log before index 2 does not exist).
     */
    static void seed(Env env, String dir, ConfState conf, StreamReplica.Image image) throws IOException {
        try (io.weft.raft.storage.DiskStorage st = io.weft.raft.storage.DiskStorage.open(env.disk(), dir)) {
            boolean fresh = !st.initialState().damage().any() && st.snapshot().isEmpty() && st.lastIndex() == 0
                    && st.hardState().equals(io.weft.raft.HardState.EMPTY);
            if (fresh) {
                st.saveSnapshot(new Snapshot(1, 1, conf, StreamOpCodec.encodeImage(new StreamOpCodec.Image(0, 0, 0, image))));
            }
        }
    }

    /**
     * {@link #factory(Env, java.util.function.UnaryOperator, Options)} with the driver's defaults,
     * except that the leader's writes are pipelined ({@link DriverConfig#withPipelinedLeaderWrites}):
     * the leader sends its appends before its own fsync, which runs on the driver's sync thread
     * while the followers fsync theirs, and counts itself toward the quorum only once that fsync
     * returned; an ack still means fsynced on a quorum, one fsync sooner. Snapshots are sized
     * ({@link #start(Env, DriverConfig, StreamReplica, Transport, Options, boolean)}).
     */
    public static GroupLog.Factory factory(Env env) {
        return factory(env, c -> c.withPipelinedLeaderWrites(true), Options.defaults(), true);
    }

    @Override
    public long id() {
        return id;
    }

    /** The driver (for status and tests). */
    public RaftDriver driver() {
        return driver;
    }

    /** The lock guarding the replica (hold it to read {@link #replica} consistently). */
    @Override
    public ReentrantLock lock() {
        return lock;
    }

    @Override
    public StreamReplica replica() {
        return replica;
    }

    @Override
    public long leader() {
        RaftDriver d = driver;
        return d == null ? 0 : d.softState().leader();
    }

    /**
     * A replica that stopped ({@link #failure}) knows nothing of its group any more and stays silent:
     * its 10008 would race the answer of the group's real leader (seen in the Jepsen harness's
     * snapshot-kill runs, where a replica stops on a changed committed prefix).
     */
    @Override
    public boolean leaderless() {
        return failure == null && leader() == 0 && env.clock().nanoTime() - startedNanos >= LOST_NANOS;
    }

    @Override
    public CompletableFuture<Boolean> confirmLeading() {
        RaftDriver d = driver;
        if (d == null) return CompletableFuture.completedFuture(false);
        return d.read().handle((v, x) -> x == null);
    }

    @Override
    public boolean confirmRead(java.time.Duration timeout) throws InterruptedException {
        RaftDriver d = driver;
        if (d == null) return false;
        CompletableFuture<Long> f = d.read();
        ReentrantLock wait = new ReentrantLock();
        java.util.concurrent.locks.Condition done = wait.newCondition();
        f.whenComplete((v, x) -> {
            wait.lock();
            try {
                done.signalAll();
            } finally {
                wait.unlock();
            }
        });
        long deadline = env.clock().nanoTime() + timeout.toNanos();
        wait.lock();
        try {
            while (!f.isDone()) {
                if (!env.clock().awaitUntil(done, deadline)) break;
            }
        } finally {
            wait.unlock();
        }
        return f.isDone() && !f.isCompletedExceptionally();
    }

    /** True if this replica leads and may decide (its barrier is applied). */
    @Override
    public boolean ready() {
        lock.lock();
        try {
            return isReady();
        } finally {
            lock.unlock();
        }
    }

    private boolean isReady() {
        RaftDriver d = driver;
        return d != null && d.softState().role() == Role.LEADER && readyTerm != 0 && readyTerm == leaderTerm;
    }

    // ------------------------------------------------------------------ publishing (the leader)

    /** Publishes a message to the stream; the future completes once the outcome is known. */
    @Override
    public CompletableFuture<Result> publish(String subject, byte[] headers, byte[] data) {
        return publish(subject, headers, data, false);
    }

    @Override
    public CompletableFuture<Result> publishScheduled(String subject, byte[] headers, byte[] data) {
        return publish(subject, headers, data, true);
    }

    private CompletableFuture<Result> publish(String subject, byte[] headers, byte[] data, boolean scheduled) {
        lock.lock();
        try {
            RaftDriver d = driver;
            if (d == null) return CompletableFuture.completedFuture(new NotLeader(0));
            if (!isReady()) {
                if (d.softState().role() == Role.LEADER && barrierEpoch == 0) proposeBarrier();
                long hint = d.softState().leader();
                return CompletableFuture.completedFuture(new NotLeader(hint == id ? 0 : hint));
            }
            if (replica.pendingCount() >= options.maxPending()) {
                return CompletableFuture.completedFuture(new Rejected(JsErrors.INSUFFICIENT_RESOURCES));
            }
            long now = env.clock().currentTimeMillis() * 1_000_000L;
            return switch (replica.decide(subject, headers, data, now, scheduled)) {
                case StreamReplica.Rejected r -> CompletableFuture.completedFuture(new Rejected(r.error()));
                case StreamReplica.Duplicate dup when !dup.pending() -> CompletableFuture.completedFuture(new Duplicate(dup.seq()));
                case StreamReplica.Duplicate dup -> {
                    CompletableFuture<Result> original = inFlight.get(dup.seq());
                    yield original == null ? CompletableFuture.completedFuture(new Unknown("original not tracked"))
                            : original.thenApply(r -> r instanceof Stored s ? new Duplicate(s.seq()) : r);
                }
                case StreamReplica.Accepted a -> proposeAppend(d, a.op(), a.subjectLastSeq());
                case StreamReplica.AcceptedBatch b -> throw new IllegalStateException("one message decided as a batch");
            };
        } finally {
            lock.unlock();
        }
    }

    /**
     * Publishes the commit of atomic batch {@code id}: decided whole against the applied state plus
     * the pending appends, proposed as one entry (so every replica applies all of it or none), and
     * answered with the batch's last sequence once committed and applied here.
     */
    @Override
    public CompletableFuture<Result> publishBatch(String id, List<StreamReplica.BatchMsg> msgs) {
        lock.lock();
        try {
            RaftDriver d = driver;
            if (d == null) return CompletableFuture.completedFuture(new NotLeader(0));
            if (!isReady()) {
                long hint = d.softState().leader();
                return CompletableFuture.completedFuture(new NotLeader(hint == id() ? 0 : hint));
            }
            if (replica.pendingCount() + msgs.size() > options.maxPending()) {
                return CompletableFuture.completedFuture(new Rejected(JsErrors.INSUFFICIENT_RESOURCES));
            }
            long now = env.clock().currentTimeMillis() * 1_000_000L;
            return switch (replica.decideBatch(id, msgs, now)) {
                case StreamReplica.AcceptedBatch a -> proposeBatch(d, a.op(), a.subjectLastSeqs());
                case StreamReplica.Rejected r -> CompletableFuture.completedFuture(new Rejected(r.error()));
                case StreamReplica.Accepted a -> throw new IllegalStateException("a batch decided as one append");
                case StreamReplica.Duplicate dup -> throw new IllegalStateException("a batch decided as a duplicate");
            };
        } finally {
            lock.unlock();
        }
    }

    /** Proposes a decided batch; each of its sequences is in flight (a duplicate of one of its ids waits for it). */
    private CompletableFuture<Result> proposeBatch(RaftDriver d, StreamOp.Batch op, List<Long> subjectLastSeqs) {
        List<Appended> appended = new ArrayList<>(op.appends().size());
        for (int i = 0; i < op.appends().size(); i++) {
            appended.add(new Appended(op.appends().get(i), subjectLastSeqs.get(i)));
        }
        CompletableFuture<Result> out = propose(d, op)
                .thenApply(r -> r instanceof Stored ? new Stored(op.last().seq(), 0, appended) : r);
        if (options.ackBeforeCommit()) {
            out = CompletableFuture.completedFuture(new Stored(op.last().seq(), 0, appended));
        }
        for (StreamOp.Append a : op.appends()) {
            CompletableFuture<Result> one = out.thenApply(r -> r instanceof Stored ? new Stored(a.seq()) : r);
            inFlight.put(a.seq(), one);
            one.whenComplete((r, x) -> forget(a.seq(), one));
        }
        return out;
    }

    /** Proposes a decided append (caller holds the lock and the replica is ready). */
    private CompletableFuture<Result> proposeAppend(RaftDriver d, StreamOp.Append op, long subjectLastSeq) {
        List<Appended> appended = List.of(new Appended(op, subjectLastSeq));
        CompletableFuture<Result> out = propose(d, op).thenApply(r -> r instanceof Stored ? new Stored(op.seq(), 0, appended) : r);
        if (options.ackBeforeCommit()) {
            // the bug switch: answered before any quorum holds the entry
            out = CompletableFuture.completedFuture(new Stored(op.seq(), 0, appended));
        }
        CompletableFuture<Result> tracked = out;
        inFlight.put(op.seq(), tracked);
        tracked.whenComplete((r, x) -> forget(op.seq(), tracked));
        return tracked;
    }

    private void forget(long seq, CompletableFuture<Result> f) {
        lock.lock();
        try {
            inFlight.remove(seq, f);
        } finally {
            lock.unlock();
        }
    }

    /** Proposes {@code op} as the next link of the ready chain (caller holds the lock). */
    /**
     * Proposes a consumer record op ({@link StreamOp.ConsumerPut}, {@link StreamOp.ConsumerState},
     * {@link StreamOp.ConsumerDelete}) without waiting: the future completes with {@link Stored}
     * once it is committed and applied here, as {@link #append} waits for. {@link NotLeader} when
     * this replica is not the ready leader. For callers that must not block (the simulator's
     * consumer); {@code Stream}'s records go through {@link #append}.
     */
    public CompletableFuture<Result> proposeConsumerOp(StreamOp op) {
        if (!(op instanceof StreamOp.ConsumerPut || op instanceof StreamOp.ConsumerState
                || op instanceof StreamOp.ConsumerDelete)) {
            throw new IllegalArgumentException("not a consumer record op: " + op);
        }
        lock.lock();
        try {
            RaftDriver d = driver;
            if (d == null || !isReady()) return CompletableFuture.completedFuture(new NotLeader(0));
            return propose(d, op);
        } finally {
            lock.unlock();
        }
    }

    private CompletableFuture<Result> propose(RaftDriver d, StreamOp op) {
        long epoch = readyEpoch;
        byte[] bytes = StreamOpCodec.encode(new StreamOpCodec.Entry(readyTerm, epoch, ++nextN, op));
        return d.propose(bytes).handle((res, x) -> {
            if (x == null) {
                if (res.length >= 1 && res[0] == 1) {
                    return new Stored(0, res.length >= 9 ? java.nio.ByteBuffer.wrap(res, 1, 8).getLong() : 0);
                }
                return new NotStored("decided against another state");
            }
            Throwable c = x instanceof CompletionException ? x.getCause() : x;
            if (c instanceof RaftException re && re.kind() == RaftException.Kind.NOT_LEADER) {
                notReady(epoch);
                return new NotStored("not leader");
            }
            notReady(epoch);
            return new Unknown(c.getMessage());
        });
    }

    /** An op of {@code epoch} failed: if that is the chain we decide in, it is broken (decide again after a new barrier). */
    private void notReady(long epoch) {
        lock.lock();
        try {
            if (epoch != readyEpoch) return;
            readyTerm = 0;
            barrierEpoch = 0;
            replica.clearPending();
            retryBarrierLater();
        } finally {
            lock.unlock();
        }
    }

    /** A new leader's first entry (caller holds the lock). */
    private void proposeBarrier() {
        RaftDriver d = driver;
        if (d == null) return;
        long epoch = (id << 32) | (++epochs & 0xFFFFFFFFL);
        barrierEpoch = epoch;
        d.propose(StreamOpCodec.encode(new StreamOpCodec.Entry(leaderTerm, epoch, 0, null))).whenComplete((r, x) -> {
            if (x != null) barrierFailed(epoch);
        });
    }

    /**
     * The barrier was refused (a leader transfer in progress, say) or its outcome is unknown: still
     * leading, this replica would never be ready again, and with no subscription (the stream's
     * leader alone subscribes) no publish would ask for a new barrier. So it asks again a tick later.
     */
    private void barrierFailed(long epoch) {
        lock.lock();
        try {
            if (barrierEpoch != epoch || isReady()) return;
            barrierEpoch = 0;
            retryBarrierLater();
        } finally {
            lock.unlock();
        }
    }

    /** Proposes a new barrier one tick from now if this replica then still leads unready (caller holds the lock). */
    private void retryBarrierLater() {
        if (driver == null) return;
        env.clock().schedule(retryAfter, () -> {
            lock.lock();
            try {
                RaftDriver d = driver;
                if (d != null && d.softState().role() == Role.LEADER && barrierEpoch == 0 && !isReady()) proposeBarrier();
            } finally {
                lock.unlock();
            }
        });
    }

    // ------------------------------------------------------------------ leadership, as the stream sees it

    /** How long a member may stay unheard and still count as current (nats-server's lost-quorum interval). */
    static final long LOST_NANOS = 10_000_000_000L;

    @Override
    public void onReadyChanged(Runnable listener) {
        readyListener = listener;
    }

    /** Tells the listener when {@link #ready} changed since it last heard (group thread, lock not held). */
    private void announce() {
        lock.lock();
        try {
            boolean now = isReady();
            if (now == announced) return;
            announced = now;
            leaderSince = now ? env.clock().currentTimeMillis() * 1_000_000L : 0;
        } finally {
            lock.unlock();
        }
        Runnable l = readyListener;
        if (l != null) l.run();
    }

    @Override
    public CompletableFuture<ClusterView> clusterView() {
        RaftDriver d = driver;
        if (d == null) return CompletableFuture.completedFuture(new ClusterView(id, 0, 0, List.of()));
        long since = leaderSince;
        return d.view().handle((v, x) -> {
            if (x != null) return new ClusterView(id, 0, 0, List.of());
            List<Member> members = new ArrayList<>();
            boolean leads = v.role() == Role.LEADER;
            v.members().forEach((peer, m) -> {
                long active = m.heardNanos() < 0 ? 0 : Math.max(0, v.nowNanos() - m.heardNanos());
                boolean lately = m.heardNanos() >= 0 && active <= LOST_NANOS;
                long lag = leads && m.match() >= 0 ? Math.max(0, v.commit() - m.match()) : 0;
                boolean current = leads ? lag == 0 && lately : peer == v.leader() && lately;
                members.add(new Member(peer, current, active, lag, !lately));
            });
            return new ClusterView(id, v.leader(), leads ? since : 0, members);
        });
    }

    @Override
    public CompletableFuture<String> stepDown() {
        return stepDown(0);
    }

    @Override
    public CompletableFuture<String> stepDown(long preferred) {
        RaftDriver d = driver;
        if (d == null) return CompletableFuture.completedFuture("raft: not leader");
        return d.view().thenCompose(v -> {
            if (v.role() != Role.LEADER) return CompletableFuture.completedFuture("raft: not leader");
            long best = 0;
            long bestMatch = -1;
            for (var e : v.members().entrySet()) {
                RaftDriver.GroupView.Member m = e.getValue();
                boolean lately = m.heardNanos() >= 0 && v.nowNanos() - m.heardNanos() <= LOST_NANOS;
                if (lately && m.match() > bestMatch) {
                    best = e.getKey();
                    bestMatch = m.match();
                }
            }
            if (preferred != 0) {
                if (!v.members().containsKey(preferred)) return CompletableFuture.completedFuture("raft: not a member of the group");
                best = preferred;
            }
            if (best == 0) return CompletableFuture.completedFuture("raft: no replica to hand leadership to");
            return d.transferLeader(best).thenApply(ok -> ok ? null : "raft: leadership transfer refused");
        }).exceptionally(x -> "raft: " + (x instanceof CompletionException && x.getCause() != null
                ? x.getCause().getMessage() : x.getMessage()));
    }

    // ------------------------------------------------------------------ reads

    /** The applied state of this replica. */
    public StoreState state() {
        lock.lock();
        try {
            return replica.state();
        } finally {
            lock.unlock();
        }
    }

    /** The applied message at {@code seq} of this replica, or null. */
    public StoredMessage load(long seq) throws IOException {
        lock.lock();
        try {
            return replica.load(seq);
        } finally {
            lock.unlock();
        }
    }

    /** Every applied message of this replica. */
    public List<StoredMessage> messages() throws IOException {
        lock.lock();
        try {
            return replica.messages();
        } finally {
            lock.unlock();
        }
    }

    /** Committed ops this replica skipped since it started (decided against a state they would not be applied on). */
    public long skippedOps() {
        lock.lock();
        try {
            return skipped;
        } finally {
            lock.unlock();
        }
    }

    /** The Raft index last applied here. */
    public long appliedIndex() {
        lock.lock();
        try {
            return appliedIndex;
        } finally {
            lock.unlock();
        }
    }

    // ------------------------------------------------------------------ every replica: apply, snapshot

    /** An applied op's result: 1, then how many messages its apply removed. */
    private static byte[] applied(long removed) {
        return java.nio.ByteBuffer.allocate(9).put((byte) 1).putLong(removed).array();
    }

    private final class Machine implements StateMachine {
        @Override
        public byte[] apply(Entry entry) {
            lock.lock();
            try {
                appliedIndex = entry.index();
                if (entry.kind() != Entry.Kind.NORMAL) return new byte[0];
                StreamOpCodec.Entry e = StreamOpCodec.decode(entry.data());
                if (e.barrier()) {
                    if (e.term() != entry.term()) return SKIPPED;
                    chainTerm = e.term();
                    chainEpoch = e.epoch();
                    chainN = 0;
                    if (e.term() == leaderTerm && e.epoch() == barrierEpoch) {
                        // everything before this entry is applied: decide from here on
                        readyTerm = e.term();
                        readyEpoch = e.epoch();
                        nextN = 0;
                        replica.clearPending();
                        proposeConfigIfNewer(); // an update the last leader did not log
                        convergePeers(); // a membership change the last leader did not finish
                    }
                    return applied(0);
                }
                if (e.term() != entry.term() || e.term() != chainTerm || e.epoch() != chainEpoch || e.n() != chainN + 1) {
                    skipped++;
                    if (readyTerm != 0 && e.epoch() == readyEpoch) {
                        readyTerm = 0; // our own chain broke: decide again after a new barrier
                        replica.clearPending();
                        barrierEpoch = 0;
                        retryBarrierLater();
                    }
                    return SKIPPED;
                }
                if (!replica.fits(e.op())) {
                    throw new IllegalStateException("stream " + replica.name() + " entry " + entry.index() + " does not fit "
                            + replica.state() + ": " + e.op());
                }
                chainN = e.n();
                long revision = replica.configRevision();
                byte[] out = applied(replica.apply(e.op()).removed());
                if (replica.configRevision() != revision) configChanged = true;
                return out;
            } catch (IOException x) {
                throw new IllegalStateException("stream " + replica.name() + " apply of entry " + entry.index() + ": " + x, x);
            } finally {
                lock.unlock();
            }
        }

        @Override
        public boolean snapshotDue(long entriesSinceSnapshot) {
            if (!sizedSnapshots) {
                return true;
            }
            lock.lock();
            try {
                return entriesSinceSnapshot >= replica.state().msgs();
            } finally {
                lock.unlock();
            }
        }

        @Override
        public byte[] snapshot() {
            lock.lock();
            try {
                return StreamOpCodec.encodeImage(new StreamOpCodec.Image(chainTerm, chainEpoch, chainN, replica.image()));
            } catch (IOException x) {
                throw new IllegalStateException("stream " + replica.name() + " snapshot: " + x, x);
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void restore(Snapshot s) {
            lock.lock();
            try {
                readyTerm = 0;
                barrierEpoch = 0;
                appliedIndex = s.index();
                if (s.data().length == 0) {
                    chainTerm = chainEpoch = chainN = 0;
                    replica.restore(StreamReplica.Image.empty());
                    return;
                }
                StreamOpCodec.Image img = StreamOpCodec.decodeImage(s.data());
                chainTerm = img.term();
                chainEpoch = img.epoch();
                chainN = img.n();
                replica.restore(img.state());
                configChanged = true;
            } catch (IOException x) {
                throw new IllegalStateException("stream " + replica.name() + " restore: " + x, x);
            } finally {
                lock.unlock();
            }
        }
    }

    /** Hears of elections (and passes everything on to the configured observer). */
    private final class Watch implements RaftDriver.Observer {
        @Override
        public void becameLeader(long node, long term) {
            lock.lock();
            try {
                leaderTerm = term;
                readyTerm = 0;
                replica.clearPending();
                barrierEpoch = 0;
                proposeBarrier();
            } finally {
                lock.unlock();
            }
            if (observer != null) observer.becameLeader(node, term);
        }

        @Override
        public void applied(long node, Entry entry) {
            announce();
            tellConfig();
            if (observer != null) observer.applied(node, entry);
        }

        @Override
        public void roleChanged(long node, Ready.SoftState from, Ready.SoftState to) {
            announce();
            if (observer != null) observer.roleChanged(node, from, to);
        }

        @Override
        public void restored(long node, Snapshot snapshot) {
            announce();
            tellConfig();
            if (observer != null) observer.restored(node, snapshot);
        }

        @Override
        public void failed(long node, RuntimeException error) {
            stoppedBy("a broken invariant: " + error);
            if (observer != null) observer.failed(node, error);
        }

        @Override
        public void storageFailed(long node, IOException error) {
            stoppedBy("its storage failed a durable write: " + error.getMessage());
            if (observer != null) observer.storageFailed(node, error);
        }

        @Override
        public void hold(long node, String event) {
            held(event);
            if (observer != null) observer.hold(node, event);
        }

        @Override
        public void repaired(long node) {
            Runnable r = repairedThen;
            if (r != null) r.run();
            if (observer != null) observer.repaired(node);
        }
    }

    // ------------------------------------------------------------------ membership

    @Override
    public void members(List<Long> peers) {
        lock.lock();
        try {
            desiredPeers = List.copyOf(new java.util.TreeSet<>(peers));
            convergePeers();
        } finally {
            lock.unlock();
        }
    }

    /** The ready leader takes the next step toward {@link #desiredPeers}, if any (caller holds the lock). */
    private void convergePeers() {
        RaftDriver d = driver;
        if (d == null || desiredPeers == null || changingPeers || !isReady()) return;
        changingPeers = true;
        d.view().whenComplete((v, x) -> {
            lock.lock();
            try {
                CompletableFuture<?> step = x == null ? nextPeerStep(d, v) : null;
                if (step == null) {
                    changingPeers = false;
                    if (x != null) retryPeersLater();
                    return;
                }
                step.whenComplete((r, y) -> {
                    lock.lock();
                    try {
                        changingPeers = false;
                        // a conf change applied: on to the next; a leadership handover (or a refusal): look again a tick later
                        if (y == null && r instanceof byte[]) convergePeers();
                        else retryPeersLater();
                    } finally {
                        lock.unlock();
                    }
                });
            } finally {
                lock.unlock();
            }
        });
    }

    /**
     * The next membership step from {@code v} (the Raft membership now) toward the desired peers:
     * remove another member not wanted, add a wanted one, promote a wanted learner, or hand over
     * leadership when this replica is not wanted; null when there is nothing to do (caller holds the lock).
     */
    private CompletableFuture<?> nextPeerStep(RaftDriver d, RaftDriver.GroupView v) {
        List<Long> want = desiredPeers;
        if (want == null || v.role() != Role.LEADER || !isReady()) return null;
        ConfState conf = v.conf();
        for (long p : conf.voters()) {
            if (p != id && !want.contains(p)) {
                return d.proposeConfChange(new io.weft.raft.ConfChange(io.weft.raft.ConfChange.Type.REMOVE, p));
            }
        }
        for (long p : conf.learners()) {
            if (!want.contains(p)) {
                return d.proposeConfChange(new io.weft.raft.ConfChange(io.weft.raft.ConfChange.Type.REMOVE, p));
            }
        }
        for (long p : want) {
            if (!conf.voters().contains(p)) {
                return d.proposeConfChange(new io.weft.raft.ConfChange(io.weft.raft.ConfChange.Type.ADD_VOTER, p));
            }
        }
        if (!want.contains(id)) {
            // this replica goes: a wanted member leads next and removes it
            long to = 0;
            long best = -1;
            for (var e : v.members().entrySet()) {
                if (want.contains(e.getKey()) && e.getValue().match() > best) {
                    to = e.getKey();
                    best = e.getValue().match();
                }
            }
            return to == 0 ? null : d.transferLeader(to);
        }
        return null;
    }

    /** Tries the next membership step again one tick from now (caller holds the lock). */
    private void retryPeersLater() {
        if (driver == null) return;
        env.clock().schedule(retryAfter, () -> {
            lock.lock();
            try {
                convergePeers();
            } finally {
                lock.unlock();
            }
        });
    }

    // ------------------------------------------------------------------ configuration

    @Override
    public void configure(long revision, StreamConfig config) {
        lock.lock();
        try {
            if (desired == null || revision > desired.revision()) {
                desired = new StreamOp.Config(revision, config);
            }
            proposeConfigIfNewer();
        } finally {
            lock.unlock();
        }
    }

    /** The ready leader logs the meta group's configuration if it is newer than what it applied or logged (caller holds the lock). */
    private void proposeConfigIfNewer() {
        StreamOp.Config c = desired;
        RaftDriver d = driver;
        if (c == null || d == null || !isReady() || c.revision() <= replica.proposedRevision()) return;
        replica.configProposed(c);
        propose(d, c); // a failure breaks the chain: the next barrier proposes it again
    }

    @Override
    public void onConfigApplied(Runnable listener) {
        configListener = listener;
    }

    /** Runs the configuration listener if an apply changed the configuration (group thread, lock not held). */
    private void tellConfig() {
        if (!configChanged) return;
        configChanged = false;
        Runnable l = configListener;
        if (l != null) l.run();
    }

    @Override
    public Recovery recovery() {
        return new Recovery(driver.recoveryWarnings(), driver.recoveryErrors());
    }

    @Override
    public boolean damaged() {
        return driver.damaged();
    }

    /** The driver stopped on its own: remembered for health, and told once to the listener. */
    private void stoppedBy(String why) {
        failure = why;
        java.util.function.Consumer<String> l = failedListener;
        if (l != null) l.accept(why);
    }

    @Override
    public String failure() {
        return failure;
    }

    @Override
    public void onFailed(java.util.function.Consumer<String> listener) {
        failedListener = listener;
        String f = failure;
        if (f != null) listener.accept(f);
    }

    @Override
    public void onHold(java.util.function.Consumer<String> listener) {
        holds.listen(listener);
    }

    private void held(String event) {
        holds.add(event);
    }

    @Override
    public void onRepaired(Runnable then) {
        repairedThen = then;
        if (!driver.damaged()) {
            repairedThen = null;
        }
    }

    // ------------------------------------------------------------------ the StreamLog seam

    @Override
    public void begin() {
        batch = new ArrayList<>();
    }

    @Override
    public StreamOp.Applied append(StreamOp op) throws IOException {
        if (options.lose() != null && options.lose().test(op)) {
            return new StreamOp.Applied(0, 0); // test-only: the leader "crashed" before proposing it
        }
        CompletableFuture<Result> f;
        lock.lock();
        try {
            RaftDriver d = driver;
            if (d == null || !isReady()) throw new IOException("not the stream's leader");
            f = op instanceof StreamOp.Append a ? proposeAppend(d, a, 0) : propose(d, op);
            if (batch != null && op instanceof StreamOp.Append a) {
                batch.add(f);
                return new StreamOp.Applied(a.seq(), 0);
            }
        } finally {
            lock.unlock();
        }
        // other ops (purge, delete, trim) are waited for, so the caller hears what they removed
        Result r = awaitResult(f);
        long removed = r instanceof Stored st ? st.removed() : 0;
        return new StreamOp.Applied(op instanceof StreamOp.Append a ? a.seq() : 0, removed);
    }

    @Override
    public long appendMarker(String subject, byte[] headers, long ttlNanos, boolean noInterest) throws IOException {
        CompletableFuture<Result> f;
        StreamOp.Append op;
        lock.lock();
        try {
            RaftDriver d = driver;
            if (d == null || !isReady()) throw new IOException("not the stream's leader");
            op = replica.decideMarker(subject, headers, ttlNanos, env.clock().currentTimeMillis() * 1_000_000L, noInterest);
            if (op == null) return 0;
            f = proposeAppend(d, op, 0);
        } finally {
            lock.unlock();
        }
        awaitResult(f);
        return op.seq();
    }

    /** Waits for {@code f} with the lock released (the apply that completes it takes the lock), then takes it back. */
    private Result awaitResult(CompletableFuture<Result> f) throws IOException {
        int holds = lock.getHoldCount();
        for (int i = 0; i < holds; i++) lock.unlock();
        Result r;
        try {
            r = f.join();
        } finally {
            for (int i = 0; i < holds; i++) lock.lock();
        }
        if (!(r instanceof Stored) && !(r instanceof Duplicate)) throw new IOException("not stored: " + r);
        return r;
    }

    @Override
    public void commit() throws IOException {
        List<CompletableFuture<Result>> b = batch;
        batch = null;
        if (b == null) return;
        IOException first = null;
        for (CompletableFuture<Result> f : b) {
            try {
                awaitResult(f);
            } catch (IOException e) {
                if (first == null) first = e;
            }
        }
        if (first != null) throw first;
    }

    @Override
    public void rollback() {
        batch = null; // what was proposed may still be applied: a replicated log cannot take it back
    }

    @Override
    public void sync() {
        // the Raft log is fsynced before an entry counts toward a commit: nothing more to do
    }

    @Override
    public long lastIndex() {
        return appliedIndex();
    }

    /** Stops the replica's driver, then closes (or deletes) its store. */
    @Override
    public void close(boolean delete) throws IOException {
        RaftDriver d = driver;
        driver = null;
        if (d != null) d.stop();
        announce();
        lock.lock();
        try {
            replica.close(delete);
        } finally {
            lock.unlock();
        }
    }

    /** Stops the driver without touching the store (the simulator's crash does the rest). */
    public void stop() {
        RaftDriver d = driver;
        driver = null;
        if (d != null) d.stop();
        announce();
    }
}
