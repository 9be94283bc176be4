package io.weft.raft.driver;

import io.weft.net.Clock;
import io.weft.net.Env;
import io.weft.raft.Bug;
import io.weft.raft.ConfChange;
import io.weft.raft.Entry;
import io.weft.raft.HardState;
import io.weft.raft.LogDamage;
import io.weft.raft.Message;
import io.weft.raft.RaftConfig;
import io.weft.raft.RaftNode;
import io.weft.raft.ReadState;
import io.weft.raft.Ready;
import io.weft.raft.Role;
import io.weft.raft.Snapshot;
import io.weft.raft.storage.DiskStorage;
import io.weft.raft.storage.RecoveryReport;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Runs one {@link RaftNode} on an {@link Env}: one loop thread ticks it from the clock, steps the
 * messages the {@link Transport} received and the clients' requests, and carries out each
 * {@link Ready} in the order of the contract: persist (entries and hard state, then one fsync for
 * the whole Ready: group commit), only then send, then apply, then advance. Clients call
 * {@link #propose}, {@link #proposeConfChange} and {@link #read} from any thread.
 */
public final class RaftDriver {
    /** Sees what the replica does, on the loop thread (the simulator's checkers use it). */
    public interface Observer {
        default void becameLeader(long id, long term) {
        }

        /** Every committed entry this replica applies, conf changes and empty entries included. */
        default void applied(long id, Entry entry) {
        }

        default void restored(long id, Snapshot snapshot) {
        }

        /**
         * The replica's soft state changed (its role, or the leader it knows), after the Ready that
         * changed it is persisted and before its entries are applied.
         */
        default void roleChanged(long id, Ready.SoftState from, Ready.SoftState to) {
        }

        /**
         * The replica stopped on an error other than an I/O failure: a broken invariant of the
         * algorithm (a bug), which a checker must report as such.
         */
        default void failed(long id, RuntimeException error) {
        }

        /**
         * The replica stopped because its storage failed a durable write (a failed fsync: what is on
         * the disk is unknown until the storage is opened again). Not a bug of the algorithm.
         */
        default void storageFailed(long id, IOException error) {
        }

        /**
         * The damage recovery found when the replica opened ({@link #recoveredDamage}) is repaired:
         * the holes are filled from the peers and the hard state is known again (loop thread).
         */
        default void repaired(long id) {
        }

        /**
         * The restart hold (raft README, rule R9) changed: the replica is held after its restart,
         * learned every voter's log position, heard a leader or timed out (a line for the log, loop thread).
         */
        default void hold(long id, String event) {
        }
    }

    private record Pending(long term, CompletableFuture<byte[]> future) {}

    private record ProposeReq(byte[] data, ConfChange cc, CompletableFuture<byte[]> future) {}

    private record ReadReq(CompletableFuture<Long> future) {}

    private record TransferReq(long to, CompletableFuture<Boolean> future) {}

    private record ViewReq(CompletableFuture<GroupView> future) {}

    /**
     * What this replica knows of its group, for monitoring: its role, term and leader, its commit
     * and last index, and for every other member what a leader tracks: the highest index it holds
     * ({@code match}, -1 when this replica does not lead) and the clock's monotonic time it was last
     * heard from ({@code heardNanos}, -1 if never since this replica started).
     */
    public record GroupView(long id, Role role, long term, long leader, long commit, long lastIndex, long nowNanos,
                            java.util.Map<Long, Member> members, io.weft.raft.ConfState conf) {
        public record Member(long match, long heardNanos) {}
    }

    private final Env env;
    private final Clock clock;
    private final DriverConfig dc;
    private final DiskStorage storage;
    private final RaftNode node;
    private final StateMachine sm;
    private final Transport transport;
    private final Observer observer;
    private final boolean sendBeforePersist;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition wake = lock.newCondition();
    private final Condition syncWake = lock.newCondition();
    private final ArrayDeque<Object> inbox = new ArrayDeque<>();
    private boolean running;
    private volatile Thread loopThread;
    private volatile Ready.SoftState soft = new Ready.SoftState(0, Role.FOLLOWER);
    private final LogDamage recoveredDamage;
    private volatile boolean damaged;

    // loop-thread state
    private final TreeMap<Long, Pending> proposals = new TreeMap<>();
    private final TreeMap<Long, CompletableFuture<Long>> readsAsked = new TreeMap<>();
    private final TreeMap<Long, List<CompletableFuture<Long>>> readsWaiting = new TreeMap<>();
    private long readSeq;
    // pipelined leader writes: the sync thread's request and result (guarded by lock)
    private long[] syncAsked;
    private long[] syncDone;
    private IOException syncError;
    private boolean syncBusy;
    // loop-thread state of the pipeline: a sync wanted after the one in flight, a commit-only hard
    // state not yet handed to the storage (written with the next entries: the storage is locked while it syncs)
    private long[] syncNext;
    private HardState deferredHs;
    private long applied;
    private long snapshotIndex;
    /** When each peer was last heard from (monotonic nanos), loop-thread state. */
    private final TreeMap<Long, Long> heard = new TreeMap<>();

    private RaftDriver(Env env, DriverConfig dc, DiskStorage storage, StateMachine sm, Transport transport) {
        this.env = env;
        this.clock = env.clock();
        this.dc = dc;
        this.storage = storage;
        this.sm = sm;
        this.transport = transport;
        this.observer = dc.observer() == null ? new Observer() { } : dc.observer();
        this.sendBeforePersist = dc.bugs().contains(Bug.SEND_BEFORE_PERSIST);
        RaftConfig cfg = RaftConfig.of(dc.id(), new SplittableRandom(env.entropy().nextLong()))
                .withElection(dc.electionTicks(), dc.heartbeatTicks(), dc.preVote(), dc.checkQuorum())
                .withBugs(dc.bugs()).withRestartHold(dc.restartHold());
        this.recoveredDamage = storage.initialState().damage();
        this.damaged = recoveredDamage.any();
        Snapshot snap = storage.snapshot();
        if (!snap.isEmpty()) {
            sm.restore(snap);
            observer.restored(dc.id(), snap);
        }
        this.applied = snap.index();
        this.snapshotIndex = snap.index();
        this.node = new RaftNode(cfg, storage);
    }

    /**
     * Opens (or creates, with {@code dc.bootstrap()} as its first membership) the replica's storage
     * in {@code dc.dir()}, restores the newest snapshot into {@code sm}, starts the transport and the
     * loop thread.
     */
    public static RaftDriver start(Env env, DriverConfig dc, StateMachine sm, Transport transport) throws IOException {
        DiskStorage storage = DiskStorage.open(env.disk(), dc.dir());
        boolean fresh = !storage.initialState().damage().any() && storage.snapshot().isEmpty()
                && storage.lastIndex() == 0 && storage.hardState().equals(HardState.EMPTY)
                && storage.snapshot().conf().voters().isEmpty();
        if (fresh) storage.saveSnapshot(new Snapshot(0, 0, dc.bootstrap(), new byte[0]));
        RaftDriver d = new RaftDriver(env, dc, storage, sm, transport);
        transport.start(d::deliver);
        d.running = true;
        d.loopThread = env.spawner().spawn("raft-" + dc.id(), d::loop);
        if (dc.pipelineLeaderWrites()) env.spawner().spawn("raft-sync-" + dc.id(), d::syncLoop);
        return d;
    }

    public long id() {
        return dc.id();
    }

    /** The leader this replica knows (0: none) and its role, as of its last Ready. */
    public Ready.SoftState softState() {
        return soft;
    }

    /** What recovery found and did when this replica's storage was opened (torn tail cut, bad snapshots, notes). */
    public RecoveryReport recoveryReport() {
        return storage.recoveryReport();
    }

    /** The damage recovery found when this replica's storage was opened (possibly acknowledged entries lost). */
    public LogDamage recoveredDamage() {
        return recoveredDamage;
    }

    /**
     * What recovery cleaned up without loss, one line each for an operator's log: a torn tail
     * never acknowledged, an unreadable newer snapshot or hard-state slot with an older one in use.
     */
    public List<String> recoveryWarnings() {
        List<String> out = new ArrayList<>();
        RecoveryReport r = storage.recoveryReport();
        if (r == null) return out;
        if (r.badHardStateSlots() > 0) {
            out.add("Raft hard state: " + r.badHardStateSlots() + " unreadable slot(s), the previous readable value is in use");
        }
        for (String note : r.notes()) out.add("Raft storage: " + note);
        return out;
    }

    /** The damage recovery found that may hold acknowledged entries, one line each for an operator's log. */
    public List<String> recoveryErrors() {
        List<String> out = new ArrayList<>();
        for (String d : recoveredDamage.describe()) out.add("Raft log is damaged: " + d);
        return out;
    }

    /** True while the replica's own state is damaged and not yet repaired (as of its last loop turn). */
    public boolean damaged() {
        return damaged;
    }

    /** Hands a received message to the loop. */
    public void deliver(Message m) {
        enqueue(m);
    }

    /**
     * Proposes {@code data}; the future completes with the state machine's result once the entry is
     * applied here, or fails with a {@link RaftException}.
     */
    public CompletableFuture<byte[]> propose(byte[] data) {
        CompletableFuture<byte[]> f = new CompletableFuture<>();
        if (!enqueue(new ProposeReq(data, null, f))) stopped(f);
        return f;
    }

    /** Proposes a membership change; completes (with no data) when it is applied here. */
    public CompletableFuture<byte[]> proposeConfChange(ConfChange cc) {
        CompletableFuture<byte[]> f = new CompletableFuture<>();
        if (!enqueue(new ProposeReq(null, cc, f))) stopped(f);
        return f;
    }

    /**
     * A linearizable read by read index: the future completes with the read index once this
     * replica's state machine has applied it; the caller then reads its state machine.
     */
    public CompletableFuture<Long> read() {
        CompletableFuture<Long> f = new CompletableFuture<>();
        if (!enqueue(new ReadReq(f))) stopped(f);
        return f;
    }

    /**
     * Asks this replica, if it leads, to hand leadership to {@code to} (a voter); completes with
     * false when it does not lead or cannot transfer, true once the transfer has started (the
     * target campaigns when its log is current; leadership moves when it wins).
     */
    public CompletableFuture<Boolean> transferLeader(long to) {
        CompletableFuture<Boolean> f = new CompletableFuture<>();
        if (!enqueue(new TransferReq(to, f))) stopped(f);
        return f;
    }

    /** What this replica knows of its group, taken on the loop thread. */
    public CompletableFuture<GroupView> view() {
        CompletableFuture<GroupView> f = new CompletableFuture<>();
        if (!enqueue(new ViewReq(f))) stopped(f);
        return f;
    }

    /** Stops the loop and the transport; pending requests fail with {@link RaftException.Kind#STOPPED}. */
    public void stop() {
        lock.lock();
        try {
            running = false;
            wake.signalAll();
            syncWake.signalAll();
        } finally {
            lock.unlock();
        }
        transport.close();
        Thread t = loopThread;
        if (t != null && t != Thread.currentThread()) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private boolean enqueue(Object o) {
        lock.lock();
        try {
            if (!running) return false;
            inbox.add(o);
            wake.signal();
            return true;
        } finally {
            lock.unlock();
        }
    }

    private static void stopped(CompletableFuture<?> f) {
        f.completeExceptionally(new RaftException(RaftException.Kind.STOPPED, 0, "replica stopped"));
    }

    // ------------------------------------------------------------------ the loop

    private void loop() {
        long tickNanos = dc.tick().toNanos();
        long next = clock.nanoTime() + tickNanos;
        try {
            while (true) {
                List<Object> batch = new ArrayList<>();
                lock.lock();
                try {
                    while (running && inbox.isEmpty() && syncDone == null && syncError == null && clock.nanoTime() < next) {
                        clock.awaitUntil(wake, next);
                    }
                    if (!running) break;
                    batch.addAll(inbox);
                    inbox.clear();
                } finally {
                    lock.unlock();
                }
                takeSyncResult();
                for (Object o : batch) handle(o);
                long now = clock.nanoTime();
                if (now >= next) {
                    node.tick();
                    next = now >= next + tickNanos ? now + tickNanos : next + tickNanos;
                }
                for (String held : node.takeHoldEvents()) observer.hold(dc.id(), held);
                while (node.hasReady()) handleReady(node.ready());
                if (damaged && !node.damaged()) {
                    damaged = false;
                    observer.repaired(dc.id());
                }
            }
        } catch (InterruptedException e) {
            // stopping
        } catch (IOException | RuntimeException e) {
            // the storage refuses writes after a failed fsync: this replica stops, recovery decides on
            // restart; any other error is a broken invariant, reported before stopping
            lock.lock();
            try {
                running = false;
            } finally {
                lock.unlock();
            }
            transport.close();
            // a stopped replica leads nothing and knows no leader: whoever reads its soft state must not
            // take it for the group's leader (its proposals fail from here on)
            Ready.SoftState was = soft;
            soft = new Ready.SoftState(0, Role.FOLLOWER);
            if (e instanceof RuntimeException re) {
                observer.failed(dc.id(), re);
            } else {
                observer.storageFailed(dc.id(), (IOException) e);
            }
            if (was.role() != Role.FOLLOWER || was.leader() != 0) observer.roleChanged(dc.id(), was, soft);
        } finally {
            failAll();
        }
    }

    // ------------------------------------------------------------------ pipelined leader writes

    /** The sync thread: fsyncs what the loop wrote, one request at a time, and hands the result back. */
    private void syncLoop() {
        while (true) {
            long[] asked;
            lock.lock();
            try {
                while (running && syncAsked == null) syncWake.await();
                if (!running) return;
                asked = syncAsked;
                syncAsked = null;
            } catch (InterruptedException e) {
                return;
            } finally {
                lock.unlock();
            }
            IOException error = null;
            try {
                storage.sync();
            } catch (IOException e) {
                error = e;
            } catch (RuntimeException e) {
                // the storage refuses writes after an earlier failed fsync: an I/O failure all the same
                error = new IOException("fsync failed", e);
            }
            lock.lock();
            try {
                if (error != null) syncError = error;
                else syncDone = asked;
                wake.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    /** Asks for an fsync of everything written up to entry {@code index} of {@code term}. */
    private void requestSync(long index, long term) {
        if (syncBusy) {
            syncNext = new long[] {index, term};
            return;
        }
        syncBusy = true;
        lock.lock();
        try {
            syncAsked = new long[] {index, term};
            syncWake.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Reports a finished fsync to the node (and starts the one wanted next); throws a failed one. */
    private void takeSyncResult() throws IOException {
        long[] done;
        lock.lock();
        try {
            if (syncError != null) throw syncError;
            done = syncDone;
            syncDone = null;
        } finally {
            lock.unlock();
        }
        if (done == null) return;
        syncBusy = false;
        node.synced(done[0], done[1]);
        if (syncNext != null) {
            long[] n = syncNext;
            syncNext = null;
            requestSync(n[0], n[1]);
        }
    }

    /** Waits until everything written is durable: the fsync in flight, then any queued after it. */
    private void drainSyncs() throws IOException, InterruptedException {
        while (syncBusy) {
            lock.lock();
            try {
                while (running && syncDone == null && syncError == null) wake.await();
                if (!running) throw new InterruptedException("stopping");
            } finally {
                lock.unlock();
            }
            takeSyncResult();
        }
    }

    private void handle(Object o) {
        switch (o) {
            case Message m -> {
                heard.put(m.from(), clock.nanoTime());
                node.step(m);
            }
            case TransferReq t -> t.future().complete(node.transferLeader(t.to()));
            case ViewReq v -> v.future().complete(view(node.status()));
            case ProposeReq p -> {
                long idx = p.cc() == null ? node.propose(p.data()) : node.proposeConfChange(p.cc());
                if (idx == 0) {
                    p.future().completeExceptionally(new RaftException(RaftException.Kind.NOT_LEADER,
                            node.status().lead(), "not the leader"));
                } else {
                    proposals.put(idx, new Pending(node.termOf(idx), p.future()));
                }
            }
            case ReadReq r -> {
                long seq = ++readSeq;
                if (node.readIndex(ByteBuffer.allocate(8).putLong(seq).array())) {
                    readsAsked.put(seq, r.future());
                } else {
                    r.future().completeExceptionally(new RaftException(RaftException.Kind.NOT_LEADER, 0, "no leader known"));
                }
            }
            default -> throw new IllegalStateException("unknown request " + o);
        }
    }

    private void handleReady(Ready rd) throws IOException, InterruptedException {
        if (rd.softState() != null) softStateChanged(rd.softState(), rd.hardState());
        if (dc.pipelineLeaderWrites()) {
            if (node.pipelinable(rd)) {
                handlePipelined(rd);
                return;
            }
            // anything else (a follower's acknowledgement, a vote, a snapshot) waits for every earlier write's fsync
            drainSyncs();
            if (deferredHs != null && rd.hardState() == null) storage.setHardState(deferredHs);
            deferredHs = null;
        }
        if (sendBeforePersist) send(rd.messages());
        if (rd.snapshot() != null) storage.installSnapshot(rd.snapshot());
        if (!rd.entries().isEmpty()) storage.append(rd.entries());
        if (rd.hardState() != null) storage.setHardState(rd.hardState());
        if (rd.mustSync()) storage.sync();
        if (!sendBeforePersist) send(rd.messages());
        if (rd.snapshot() != null) restore(rd.snapshot());
        for (Entry e : rd.committedEntries()) apply(e);
        for (ReadState rs : rd.readStates()) readReady(rs);
        if (rd.compaction() != null) {
            storage.saveSnapshot(rd.compaction());
            storage.compact(rd.compaction().index());
            snapshotIndex = rd.compaction().index();
        }
        node.advance(rd);
        releaseReads();
        maybeSnapshot();
    }

    /**
     * A leader's Ready under {@code pipelineLeaderWrites}: write (no fsync), send, apply what is
     * committed and durable here, advance, and let the sync thread fsync while the loop goes on.
     */
    private void handlePipelined(Ready rd) throws IOException {
        if (rd.hardState() != null) deferredHs = rd.hardState();
        if (!rd.entries().isEmpty()) {
            storage.append(rd.entries());
            if (deferredHs != null) storage.setHardState(deferredHs);
            deferredHs = null;
        }
        send(rd.messages());
        for (Entry e : rd.committedEntries()) apply(e);
        for (ReadState rs : rd.readStates()) readReady(rs);
        node.advanceUnsynced(rd);
        releaseReads();
        if (!rd.entries().isEmpty()) requestSync(rd.entries().getLast().index(), rd.entries().getLast().term());
        maybeSnapshot();
    }

    /**
     * Compacts the log into a snapshot once {@code snapshotEvery} entries were applied since the
     * last one and the state machine agrees ({@link StateMachine#snapshotDue}).
     */
    private void maybeSnapshot() {
        long since = applied - snapshotIndex;
        if (dc.snapshotEvery() > 0 && since >= dc.snapshotEvery() && sm.snapshotDue(since)) node.compact(applied, sm.snapshot());
    }

    private GroupView view(RaftNode.Status st) {
        java.util.Map<Long, Long> matches = node.matches();
        java.util.Map<Long, GroupView.Member> members = new TreeMap<>();
        for (long v : st.conf().voters()) {
            if (v == dc.id()) continue;
            members.put(v, new GroupView.Member(matches.getOrDefault(v, -1L), heard.getOrDefault(v, -1L)));
        }
        return new GroupView(dc.id(), st.role(), st.term(), st.lead(), st.commit(), st.lastIndex(), clock.nanoTime(), members, st.conf());
    }

    private void send(List<Message> msgs) {
        for (Message m : msgs) transport.send(m);
    }

    private void softStateChanged(Ready.SoftState ss, HardState hs) {
        Ready.SoftState old = soft;
        soft = ss;
        observer.roleChanged(dc.id(), old, ss);
        if (ss.role() == Role.LEADER && old.role() != Role.LEADER) observer.becameLeader(dc.id(), node.status().term());
        if (old.role() == Role.LEADER && ss.role() != Role.LEADER) {
            // reads asked of this leader will never be confirmed; proposals stay: they may still commit
            for (CompletableFuture<Long> f : readsAsked.values()) lost(f);
            readsAsked.clear();
        }
    }

    private void restore(Snapshot s) {
        sm.restore(s);
        observer.restored(dc.id(), s);
        applied = Math.max(applied, s.index());
        snapshotIndex = Math.max(snapshotIndex, s.index());
        while (!proposals.isEmpty() && proposals.firstKey() <= s.index()) lost(proposals.pollFirstEntry().getValue().future());
    }

    private void apply(Entry e) {
        byte[] result = sm.apply(e);
        applied = e.index();
        observer.applied(dc.id(), e);
        while (!proposals.isEmpty() && proposals.firstKey() < e.index()) lost(proposals.pollFirstEntry().getValue().future());
        Pending p = proposals.remove(e.index());
        if (p == null) return;
        if (p.term() == e.term()) p.future().complete(result);
        else lost(p.future());
    }

    private void readReady(ReadState rs) {
        if (rs.ctx().length != 8) return;
        CompletableFuture<Long> f = readsAsked.remove(ByteBuffer.wrap(rs.ctx()).getLong());
        if (f == null) return;
        if (rs.index() <= applied) f.complete(rs.index());
        else readsWaiting.computeIfAbsent(rs.index(), k -> new ArrayList<>()).add(f);
    }

    private void releaseReads() {
        while (!readsWaiting.isEmpty() && readsWaiting.firstKey() <= applied) {
            var w = readsWaiting.pollFirstEntry();
            for (CompletableFuture<Long> f : w.getValue()) f.complete(w.getKey());
        }
    }

    private static void lost(CompletableFuture<?> f) {
        f.completeExceptionally(new RaftException(RaftException.Kind.LEADERSHIP_LOST, 0, "leadership lost; outcome unknown"));
    }

    private void failAll() {
        List<Object> left;
        lock.lock();
        try {
            running = false;
            left = new ArrayList<>(inbox);
            inbox.clear();
        } finally {
            lock.unlock();
        }
        for (Object o : left) {
            if (o instanceof ProposeReq p) stopped(p.future());
            if (o instanceof ReadReq r) stopped(r.future());
            if (o instanceof TransferReq t) stopped(t.future());
            if (o instanceof ViewReq v) stopped(v.future());
        }
        proposals.values().forEach(p -> stopped(p.future()));
        proposals.clear();
        readsAsked.values().forEach(RaftDriver::stopped);
        readsAsked.clear();
        readsWaiting.values().forEach(l -> l.forEach(RaftDriver::stopped));
        readsWaiting.clear();
        try {
            storage.close();
        } catch (IOException e) {
            // nothing more to save
        }
    }

    /** For tests and checkers: the replica's status (call from the loop thread or when it is stopped). */
    public RaftNode.Status status() {
        return node.status();
    }

    /** Term of entry {@code index} in this replica's log (-1 if compacted, damaged or absent). */
    public long termOf(long index) {
        return node.termOf(index);
    }

    long appliedIndex() {
        return applied;
    }

    Env env() {
        return env;
    }
}
