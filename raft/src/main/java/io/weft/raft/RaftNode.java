package io.weft.raft;

import io.weft.raft.Message.AppendEntries;
import io.weft.raft.Message.AppendResp;
import io.weft.raft.Message.Heartbeat;
import io.weft.raft.Message.HeartbeatResp;
import io.weft.raft.Message.InstallSnapshot;
import io.weft.raft.Message.Probe;
import io.weft.raft.Message.ProbeResp;
import io.weft.raft.Message.ReadIndexReq;
import io.weft.raft.Message.ReadIndexResp;
import io.weft.raft.Message.RequestVote;
import io.weft.raft.Message.TimeoutNow;
import io.weft.raft.Message.VoteResp;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One Raft replica as a pure state machine: no I/O, threads, clock or randomness of its own. The
 * driver feeds it {@link #tick()}s, received {@link Message}s and client calls, and carries out
 * each {@link Ready} (persist, then send, then apply) before calling {@link #advance(Ready)}. See
 * the module README for the contract and the protocol-aware recovery rules (R1..R9: R1-R7 below, R8 in handleAppend, R9 the restart hold).
 * Not thread-safe: one driver thread (or lock) owns it.
 */
public final class RaftNode {
    /**
     * The vote a replica persists while it may not vote (its hard state was lost and it has not
     * yet learned the term from a live leader): a restart in between must not forget that.
     */
    public static final long VOTE_BLOCKED = Long.MAX_VALUE;

    private final RaftConfig cfg;
    private final long id;
    private final RaftLog log;
    private final Membership conf;

    private long term;
    private long vote;
    private long lead;
    private Role role = Role.FOLLOWER;
    private int electionElapsed;
    private int heartbeatElapsed;
    private int randomizedTimeout;

    private final TreeMap<Long, Progress> progress = new TreeMap<>();
    private long selfMatch;
    private final TreeMap<Long, Boolean> votes = new TreeMap<>();
    private boolean pendingBroadcast;
    private long transferee;

    private final ReadOnly readOnly = new ReadOnly();
    private final List<ReadIndexReq> readsAwaitingCommit = new ArrayList<>();
    private List<Message> msgs = new ArrayList<>();
    private List<ReadState> readStates = new ArrayList<>();

    private boolean hardStateLost;
    private boolean learnedTerm;
    private long maxTermSeen;
    private long stableLeader;
    private long stableLeaderTerm;
    private int stableLeaderTicks;
    private final Repair.State repair = new Repair.State();

    // R9, the restart hold: held = no campaign, no (pre-)vote; floor = the best last log position
    // learned from every other voter, which a candidate (or this replica, to campaign) must reach
    private boolean held;
    private boolean holdFloor;
    private long floorTerm;
    private long floorIndex;
    private int holdElapsed;
    private final TreeMap<Long, long[]> positions = new TreeMap<>();
    private final List<String> holdEvents = new ArrayList<>();

    private Snapshot pendingCompaction;
    private boolean atomicRewrite;
    private HardState prevHardState;
    private HardState syncedHardState;
    private Ready.SoftState prevSoftState;
    private Ready outstanding;

    public RaftNode(RaftConfig cfg, RaftStorage storage) {
        this.cfg = cfg;
        this.id = cfg.id();
        RaftStorage.InitialState init = storage.initialState();
        LogDamage damage = init.damage();
        boolean truncate = cfg.has(Bug.TRUNCATE_DAMAGED) && !damage.ranges().isEmpty();
        this.log = new RaftLog(storage, truncate ? List.of() : damage.ranges());
        if (truncate) {
            long first = damage.ranges().stream().mapToLong(r -> r[0]).min().orElseThrow();
            log.truncateAndAppend(Math.max(first, log.firstIndex()), List.of());
        }
        this.conf = new Membership(init.conf(), storage.snapshot().index());
        replayConfChanges();
        HardState hs = init.hardState();
        term = hs.term();
        vote = hs.vote();
        if (damage.hardStateLost() || vote == VOTE_BLOCKED) {
            term = Math.max(term, log.lastTerm());
            vote = 0;
            hardStateLost = !cfg.has(Bug.LOST_HARDSTATE_VOTES);
        }
        log.committed = Math.max(log.committed, Math.min(hs.commit(), log.lastIndex()));
        if (cfg.applied() > 0) {
            long a = Math.max(log.firstIndex() - 1, Math.min(cfg.applied(), log.committed));
            log.applied = a;
            log.applying = a;
        }
        prevHardState = hs;
        syncedHardState = hs;
        becomeFollower(term, 0);
        prevSoftState = softState();
        // R9: a replica that starts on existing storage cannot tell an ordinary restart from a data
        // directory rolled back to an older copy; a brand-new one (empty log, term 0) has nothing to lose
        held = cfg.holdTicks() > 0 && (log.lastIndex() > 0 || term > 0);
        if (held) holdEvents.add("held after restart (last log " + log.lastIndex() + "/" + log.lastTerm() + ", term " + term
                + "): no campaign or vote until a leader is heard, every voter's log position is known, or "
                + cfg.holdTicks() + " ticks pass");
    }

    private void replayConfChanges() {
        long i = log.firstIndex();
        long last = log.stableIndex();
        while (i <= last) {
            if (log.isHole(i)) {
                i++;
                continue;
            }
            long end = i;
            while (end < last && !log.isHole(end + 1) && end - i < 1024) end++;
            for (Entry e : log.storedRange(i, end)) conf.onAppend(e);
            i = end + 1;
        }
    }

    // ------------------------------------------------------------------ public API

    public long id() {
        return id;
    }

    /** Advance logical time by one tick: elections on followers, heartbeats and check-quorum on leaders. */
    public void tick() {
        if (role == Role.LEADER) tickLeader();
        else tickElection();
    }

    /** Start an election now (with pre-vote if configured), as if the election timer had fired. */
    public void campaign() {
        hup(false);
    }

    /** Feed a message received from a peer. Messages to another id are ignored. */
    public void step(Message m) {
        if (m.to() != id) return;
        // R9 probes change nothing here: no term, timer or leader change, whatever the term they carry
        if (m instanceof Probe p) {
            answerProbe(p);
            return;
        }
        if (m instanceof ProbeResp p) {
            if (held) learnPosition(p.from(), p.lastIndex(), p.lastTerm());
            return;
        }
        boolean preVote = (m instanceof RequestVote v && v.preVote()) || (m instanceof VoteResp r && r.preVote());
        if (!preVote) maxTermSeen = Math.max(maxTermSeen, m.term());
        if (!checkTerm(m)) return;
        switch (m) {
            case RequestVote v -> handleVote(v);
            case VoteResp v -> handleVoteResp(v);
            case AppendEntries a -> fromLeader(a.from(), () -> handleAppend(a));
            case Heartbeat h -> fromLeader(h.from(), () -> handleHeartbeat(h));
            case InstallSnapshot s -> fromLeader(s.from(), () -> handleSnapshot(s));
            case AppendResp r -> { if (role == Role.LEADER) handleAppendResp(r); }
            case HeartbeatResp r -> { if (role == Role.LEADER) handleHeartbeatResp(r); }
            case TimeoutNow t -> { if (role != Role.LEADER && t.from() == lead) hup(true); }
            case ReadIndexReq q -> handleReadIndexReq(q);
            case ReadIndexResp q -> { if (!q.reject()) readStates.add(new ReadState(q.index(), q.ctx())); }
            case Probe x -> { }
            case ProbeResp x -> { }
        }
    }

    /** Propose application data. Returns the entry's index, or 0 if this replica cannot take it (not leader, transferring). */
    public long propose(byte[] data) {
        return proposeEntry(Entry.Kind.NORMAL, data);
    }

    /**
     * Propose a single-server membership change. Returns 0 (refused) unless this is the leader,
     * the previous conf change is committed, and an entry of this term is committed.
     */
    public long proposeConfChange(ConfChange cc) {
        if (role != Role.LEADER) return 0;
        boolean waitRule = !cfg.has(Bug.CONF_CHANGE_WITHOUT_WAIT);
        if (waitRule && (conf.lastChangeIndex() > log.committed || log.term(log.committed) != term)) return 0;
        if (cc.applyTo(conf.current()).voters().isEmpty()) return 0;
        return proposeEntry(Entry.Kind.CONF_CHANGE, cc.encode());
    }

    /** Ask the leader to hand leadership to {@code to} (a voter). Returns false if refused. */
    public boolean transferLeader(long to) {
        if (role != Role.LEADER || to == id || !Membership.isVoter(conf.current(), to)) return false;
        Progress pr = progress.get(to);
        if (pr == null) return false;
        transferee = to;
        electionElapsed = 0;
        if (pr.match == log.lastIndex()) send(new TimeoutNow(id, to, term));
        else sendAppend(to, true);
        return true;
    }

    /**
     * Request a linearizable read. A {@link ReadState} with {@code ctx} appears in a later Ready;
     * returns false if no leader is known (retry later).
     */
    public boolean readIndex(byte[] ctx) {
        ReadIndexReq req = new ReadIndexReq(id, id, term, ctx);
        if (role == Role.LEADER) {
            leaderRead(req);
            return true;
        }
        if (lead == 0) return false;
        send(new ReadIndexReq(id, lead, term, ctx));
        return true;
    }

    /**
     * The application has applied entries up to {@code index} and hands a snapshot of its state
     * there: the next Ready carries it as {@code compaction} (store it, drop entries up to it).
     */
    public void compact(long index, byte[] data) {
        if (index > log.applied) throw new IllegalArgumentException("compact at " + index + " beyond applied " + log.applied);
        if (index < log.firstIndex() || pendingCompaction != null || log.isHole(index)) return;
        long at = index;
        if (cfg.has(Bug.SNAPSHOT_SKIPS_INDEX) && index + 1 <= log.stableIndex() && !log.isHole(index + 1)) at = index + 1;
        pendingCompaction = new Snapshot(at, log.term(at), conf.at(at), data);
    }

    /** Drop the sending state for a peer the transport could not reach (it will be probed again). */
    public void reportUnreachable(long peer) {
        Progress pr = progress.get(peer);
        if (role == Role.LEADER && pr != null && pr.state == Progress.State.REPLICATE) pr.becomeProbe();
    }

    public boolean hasReady() {
        flushBroadcast();
        if (outstanding != null) return false;
        return !softState().equals(prevSoftState) || !hardState().equals(prevHardState)
                || !log.unstableEntries().isEmpty() || log.unstableSnapshot() != null || pendingCompaction != null
                || !msgs.isEmpty() || !readStates.isEmpty() || log.hasNextCommitted();
    }

    /** What to persist, send and apply now. Call {@link #advance(Ready)} when done, before the next ready(). */
    public Ready ready() {
        if (outstanding != null) throw new IllegalStateException("ready() again before advance()");
        flushBroadcast();
        Ready.SoftState ss = softState();
        HardState hs = hardState();
        List<Entry> entries = log.unstableEntries();
        Snapshot snap = log.unstableSnapshot();
        List<Entry> committed = log.nextCommitted(cfg.maxSizePerMsg());
        boolean mustSync = !entries.isEmpty() || snap != null
                || hs.term() != prevHardState.term() || hs.vote() != prevHardState.vote();
        Ready rd = new Ready(ss.equals(prevSoftState) ? null : ss, hs.equals(prevHardState) ? null : hs, entries, snap,
                pendingCompaction, committed, msgs, readStates, mustSync, atomicRewrite);
        msgs = new ArrayList<>();
        readStates = new ArrayList<>();
        if (!committed.isEmpty()) log.applying = committed.getLast().index();
        if (snap != null) log.applying = Math.max(log.applying, snap.index());
        prevSoftState = ss;
        prevHardState = hs;
        outstanding = rd;
        return rd;
    }

    /** The driver has carried out {@code rd}: its entries, hard state and snapshot are durable, its entries applied. */
    public void advance(Ready rd) {
        advance(rd, true);
    }

    /**
     * Whether the driver may carry out {@code rd} with {@link #advanceUnsynced}: a leader's Ready
     * with no snapshot, compaction or atomic rewrite whose hard state changes at most the commit
     * index. Its messages (appends, heartbeats, read confirmations) depend on no durable vote or
     * term, so they may go out before the leader's own entries are fsynced (Raft thesis §10.2.1:
     * the leader writes its log in parallel with the followers); the leader counts itself toward a
     * quorum only once {@link #synced} says its entries are durable.
     */
    public boolean pipelinable(Ready rd) {
        HardState hs = rd.hardState();
        boolean termVote = hs == null || (hs.term() == syncedHardState.term() && hs.vote() == syncedHardState.vote());
        return role == Role.LEADER && rd.snapshot() == null && rd.compaction() == null && !rd.atomicRewrite() && termVote;
    }

    /**
     * The driver has written {@code rd}'s entries and hard state (not yet fsynced), sent its
     * messages and applied its committed entries; only for a Ready {@link #pipelinable}. The
     * driver fsyncs later and reports it with {@link #synced}.
     */
    public void advanceUnsynced(Ready rd) {
        if (!pipelinable(rd)) throw new IllegalStateException("advanceUnsynced() of a Ready that needs its fsync first");
        advance(rd, false);
    }

    /** The driver fsynced every entry it was handed up to {@code index} (of term {@code term}). */
    public void synced(long index, long term) {
        log.stableTo(index, term);
        if (role == Role.LEADER) {
            selfMatch = Math.max(selfMatch, log.stableIndex());
            if (maybeCommit()) pendingBroadcast = true;
        }
    }

    private void advance(Ready rd, boolean durable) {
        if (rd != outstanding) throw new IllegalStateException("advance() of a Ready not handed out last");
        outstanding = null;
        if (rd.atomicRewrite()) atomicRewrite = false;
        if (rd.snapshot() != null) {
            log.stableSnapshot(rd.snapshot());
            log.applied = Math.max(log.applied, rd.snapshot().index());
        }
        if (!rd.entries().isEmpty()) {
            Entry last = rd.entries().getLast();
            if (durable) log.stableTo(last.index(), last.term());
            else log.inProgressTo(last.index(), last.term());
        }
        if (durable) {
            // everything the driver was handed before is durable too (it drains its pipelined fsyncs first)
            log.stableTo(log.lastIndexHanded(), log.term(log.lastIndexHanded()));
            log.refreshFromStorage();
            if (rd.hardState() != null) syncedHardState = rd.hardState();
        }
        if (!rd.committedEntries().isEmpty()) log.applied = Math.max(log.applied, rd.committedEntries().getLast().index());
        log.applying = Math.max(log.applying, log.applied);
        if (rd.compaction() != null) {
            conf.compactTo(rd.compaction().index());
            if (pendingCompaction == rd.compaction()) pendingCompaction = null;
        }
        if (role == Role.LEADER) {
            selfMatch = Math.max(selfMatch, log.stableIndex());
            if (maybeCommit()) pendingBroadcast = true;
        }
    }

    public Status status() {
        Map<Long, String> prs = new TreeMap<>();
        progress.forEach((k, v) -> prs.put(k, v.toString()));
        return new Status(id, role, term, vote, lead, log.committed, log.applied, log.firstIndex(), log.lastIndex(),
                conf.current(), log.damaged(), votingBlocked(), transferee, prs);
    }

    /** A snapshot of the replica's state, for tests, monitoring and the simulator's checkers. */
    public record Status(long id, Role role, long term, long vote, long lead, long commit, long applied, long firstIndex,
                         long lastIndex, ConfState conf, boolean damaged, boolean votingBlocked, long transferee,
                         Map<Long, String> progress) {}

    /**
     * The highest log index each other replica is known to hold, by replica id, as this leader
     * tracks it (empty when this replica does not lead).
     */
    public Map<Long, Long> matches() {
        Map<Long, Long> out = new TreeMap<>();
        if (role != Role.LEADER) return out;
        progress.forEach((k, v) -> {
            if (k != id) out.put(k, v.match);
        });
        return out;
    }

    /** Term of the entry at {@code index} as this replica knows it (-1 if compacted, damaged or absent). */
    public long termOf(long index) {
        return log.term(index);
    }

    // ------------------------------------------------------------------ roles

    private Ready.SoftState softState() {
        return new Ready.SoftState(lead, role);
    }

    private HardState hardState() {
        long v = votingBlocked() ? VOTE_BLOCKED : cfg.has(Bug.VOTE_NOT_PERSISTED) ? 0 : vote;
        return new HardState(term, v, log.committed);
    }

    /** R1: a replica with damage, or whose hard state was lost, never campaigns or leads. */
    private boolean promotable() {
        boolean healthy = cfg.has(Bug.DAMAGED_ACKS_ALL) || !log.damaged();
        return healthy && !votingBlocked() && Membership.isVoter(conf.current(), id) && log.unstableSnapshot() == null
                && !held && (!holdFloor || atLeastFloor(log.lastIndex(), log.lastTerm()));
    }

    // ------------------------------------------------------------------ R9: the restart hold

    /**
     * True while this replica is held after a restart (R9): it neither campaigns nor votes until
     * it hears a leader, learns every other voter's last log position, or the hold times out.
     */
    public boolean restartHeld() {
        return held;
    }

    /**
     * What changed in the restart hold since the last call, oldest first (empty if nothing): lines
     * for the driver's log, so an operator can see why a replica does not vote.
     */
    public List<String> takeHoldEvents() {
        if (holdEvents.isEmpty()) return List.of();
        List<String> out = List.copyOf(holdEvents);
        holdEvents.clear();
        return out;
    }

    private void answerProbe(Probe p) {
        long lastTerm = log.lastTerm();
        if (lastTerm == RaftLog.UNKNOWN || p.from() == id) return; // R3: a lost last entry has no position to give
        send(new ProbeResp(id, p.from(), term, log.lastIndex(), lastTerm));
    }

    private void tickHold() {
        if (!held && !holdFloor) return;
        holdElapsed++;
        if (holdElapsed >= cfg.holdTicks()) {
            holdEvents.add(held ? "restart hold timed out after " + holdElapsed + " ticks without a leader or every voter's log position: voting and campaigning again"
                    : "restart hold's log floor " + floorIndex + "/" + floorTerm + " expired after " + holdElapsed + " ticks without a leader");
            endHold();
            return;
        }
        if (held && (holdElapsed - 1) % cfg.electionTicks() == 0) {
            if (!maybeFloor()) {
                for (long v : voterIds(conf.current())) {
                    if (v != id && !positions.containsKey(v)) send(new Probe(id, v, term));
                }
            }
        }
    }

    /** A held replica learned {@code from}'s last log position (a probe answer or a vote request). */
    private void learnPosition(long from, long lastIndex, long lastTerm) {
        if (!held || lastTerm < 0 || !Membership.isVoter(conf.current(), from) || from == id) return;
        long[] had = positions.get(from);
        if (had == null || lastTerm > had[0] || (lastTerm == had[0] && lastIndex > had[1])) {
            positions.put(from, new long[] {lastTerm, lastIndex});
        }
        maybeFloor();
    }

    /** Once every other voter's position is known, the hold turns into a floor at the best of them. */
    private boolean maybeFloor() {
        long bt = 0;
        long bi = 0;
        for (long v : voterIds(conf.current())) {
            if (v == id) continue;
            long[] p = positions.get(v);
            if (p == null) return false;
            if (p[0] > bt || (p[0] == bt && p[1] > bi)) {
                bt = p[0];
                bi = p[1];
            }
        }
        held = false;
        holdFloor = true;
        floorTerm = bt;
        floorIndex = bi;
        holdEvents.add("restart hold: learned every voter's log position; voting only for a log at least at " + bi + "/" + bt
                + (atLeastFloor(log.lastIndex(), log.lastTerm()) ? " (this replica's own log reaches it)" : " (this replica's own log does not: it will not campaign)"));
        return true;
    }

    private boolean atLeastFloor(long lastIndex, long lastTerm) {
        return lastTerm > floorTerm || (lastTerm == floorTerm && lastIndex >= floorIndex);
    }

    private void endHold() {
        held = false;
        holdFloor = false;
        positions.clear();
    }

    /** R2: a replica whose hard state was lost votes only after learning its term from a leader and repairing. */
    /**
     * True while this replica's own durable state is damaged: its log has holes it has not had
     * repaired, or it lost its hard state and has not learned the current term since.
     */
    public boolean damaged() {
        return log.damaged() || votingBlocked();
    }

    private boolean votingBlocked() {
        if (hardStateLost && learnedTerm && !log.damaged()) hardStateLost = false;
        return hardStateLost;
    }

    private void reset(long newTerm) {
        if (newTerm != term) {
            term = newTerm;
            vote = 0;
        }
        lead = 0;
        electionElapsed = 0;
        heartbeatElapsed = 0;
        randomizedTimeout = cfg.electionTicks() + cfg.random().nextInt(cfg.electionTicks());
        votes.clear();
        transferee = 0;
        progress.clear();
        readOnly.clear();
        readsAwaitingCommit.clear();
        pendingBroadcast = false;
    }

    private void becomeFollower(long t, long leader) {
        reset(t);
        role = Role.FOLLOWER;
        lead = leader;
    }

    private void becomeLeader() {
        endHold();
        reset(term);
        role = Role.LEADER;
        lead = id;
        selfMatch = cfg.has(Bug.LEADER_SELF_ACK_BEFORE_PERSIST) ? log.lastIndex() : log.stableIndex();
        updateProgressSet();
        // the empty entry of the new term lets the leader commit (and so serve reads) without waiting
        // for a proposal; the broken Figure-8 variant leaves it out, as the paper's leader of Figure 8
        if (!cfg.has(Bug.COMMIT_OLD_TERM_BY_COUNTING)) appendEntry(Entry.Kind.EMPTY, new byte[0]);
        pendingBroadcast = true;
    }

    private void updateProgressSet() {
        ConfState c = conf.current();
        List<Long> members = new ArrayList<>(c.voters());
        members.addAll(c.learners());
        members.addAll(c.votersOutgoing());
        progress.keySet().removeIf(p -> !members.contains(p));
        for (long p : members) {
            if (p != id && !progress.containsKey(p)) {
                Progress pr = new Progress(log.lastIndex() + 1);
                pr.recentActive = true;
                progress.put(p, pr);
            }
        }
    }

    private void hup(boolean transfer) {
        if (role == Role.LEADER || !promotable()) return;
        campaign(cfg.preVote() && !transfer, transfer);
    }

    private void campaign(boolean pre, boolean transfer) {
        long voteTerm;
        if (pre) {
            role = Role.PRE_CANDIDATE;
            lead = 0;
            votes.clear();
            electionElapsed = 0;
            voteTerm = term + 1;
        } else {
            reset(term + 1);
            role = Role.CANDIDATE;
            vote = id;
            voteTerm = term;
        }
        ConfState c = conf.current();
        votes.put(id, true);
        if (Quorum.tally(c, votes) == Quorum.Result.WON) {
            if (pre) campaign(false, transfer);
            else becomeLeader();
            return;
        }
        for (long v : voterIds(c)) {
            if (v != id) send(new RequestVote(id, v, voteTerm, log.lastIndex(), log.lastTerm(), pre, transfer));
        }
    }

    private static List<Long> voterIds(ConfState c) {
        java.util.TreeSet<Long> ids = new java.util.TreeSet<>(c.voters());
        ids.addAll(c.votersOutgoing());
        return new ArrayList<>(ids);
    }

    private void tickElection() {
        tickHold();
        electionElapsed++;
        if (hardStateLost && lead != 0 && lead == stableLeader && term == stableLeaderTerm) stableLeaderTicks++;
        if (electionElapsed >= randomizedTimeout) {
            if (!promotable()) {
                // a learner, a replica not (yet) in its own membership, a damaged one: it never campaigns,
                // and its leader lease must stay expired once the leader went silent, or it would ignore
                // the (pre-)votes of the voters that need it (a replacement added as a voter before its
                // log reached the entry that says so, whose leader then died: the others need its vote)
                electionElapsed = randomizedTimeout;
                return;
            }
            electionElapsed = 0;
            hup(false);
        }
    }

    private void tickLeader() {
        heartbeatElapsed++;
        electionElapsed++;
        for (Progress pr : progress.values()) {
            if (pr.state == Progress.State.SNAPSHOT && ++pr.snapshotTicks >= cfg.electionTicks()) pr.becomeProbe();
        }
        if (electionElapsed >= cfg.electionTicks()) {
            electionElapsed = 0;
            if (cfg.checkQuorum() && !cfg.has(Bug.NO_CHECK_QUORUM_STEPDOWN) && !quorumActive()) {
                becomeFollower(term, 0);
                return;
            }
            for (Progress pr : progress.values()) pr.recentActive = false;
            transferee = 0;
        }
        if (heartbeatElapsed >= cfg.heartbeatTicks()) {
            heartbeatElapsed = 0;
            broadcastHeartbeat();
        }
    }

    private boolean quorumActive() {
        return Quorum.active(conf.current(), p -> p == id || (progress.containsKey(p) && progress.get(p).recentActive));
    }

    // ------------------------------------------------------------------ message intake

    /** Term rules of every message; false if the message is stale or ignored. */
    private boolean checkTerm(Message m) {
        if (m.term() > term) {
            if (m instanceof RequestVote v) {
                boolean inLease = cfg.checkQuorum() && lead != 0 && electionElapsed < cfg.electionTicks();
                if (inLease && !v.transfer()) return false;
                if (v.preVote()) return true;
            }
            if (m instanceof VoteResp r && r.preVote() && !r.reject()) return true;
            boolean fromLeader = m instanceof AppendEntries || m instanceof Heartbeat || m instanceof InstallSnapshot;
            becomeFollower(m.term(), fromLeader ? m.from() : 0);
            return true;
        }
        if (m.term() < term) {
            if ((cfg.checkQuorum() || cfg.preVote()) && (m instanceof AppendEntries || m instanceof Heartbeat)) {
                send(new AppendResp(id, m.from(), term, 0, false, 0, false));
            } else if (m instanceof RequestVote v && v.preVote()) {
                send(new VoteResp(id, m.from(), term, true, true));
            }
            return false;
        }
        return true;
    }

    private void fromLeader(long from, Runnable handler) {
        if (role == Role.LEADER) return;
        if (role != Role.FOLLOWER) becomeFollower(term, from);
        lead = from;
        electionElapsed = 0;
        if (held || holdFloor) {
            holdEvents.add("restart hold ended: heard leader " + Long.toHexString(from) + " of term " + term);
            endHold();
        }
        if (hardStateLost) learnFromLeader(from);
        handler.run();
    }

    /**
     * R2: after losing its hard state a replica may have voted in any term up to one it cannot
     * know. It takes the leader's term, records the leader as its vote in it (no second vote in
     * that term), and counts it as learned only once the same leader of a term at least as high
     * as any term seen since restart has been heard continuously for a full election timeout
     * (a live leader, not a stale message). See README for the residual risk.
     */
    private void learnFromLeader(long from) {
        if (vote == 0) vote = from;
        if (from != stableLeader || term != stableLeaderTerm || term < maxTermSeen) {
            stableLeader = from;
            stableLeaderTerm = term;
            stableLeaderTicks = 0;
        }
        if (stableLeaderTicks >= cfg.electionTicks() && term >= maxTermSeen) learnedTerm = true;
    }

    private void handleVote(RequestVote m) {
        if (held) learnPosition(m.from(), m.lastIndex(), m.lastTerm());
        // R9: no vote while held; after, only for a log at least as up to date as every voter's best
        boolean holdOk = !held && (!holdFloor || atLeastFloor(m.lastIndex(), m.lastTerm()));
        boolean canVote = vote == m.from() || (vote == 0 && lead == 0) || (m.preVote() && m.term() > term);
        boolean logOk = (m.preVote() && cfg.has(Bug.PREVOTE_IGNORES_LOG))
                || (!m.preVote() && cfg.has(Bug.VOTE_IGNORES_LOG)) || upToDate(m.lastIndex(), m.lastTerm());
        if (canVote && logOk && holdOk && !votingBlocked()) {
            send(new VoteResp(id, m.from(), m.term(), m.preVote(), false));
            if (!m.preVote()) {
                electionElapsed = 0;
                vote = m.from();
            }
        } else {
            send(new VoteResp(id, m.from(), term, m.preVote(), true));
        }
    }

    /** R3: a vote needs our last entry's term; if recovery lost it, we cannot tell and refuse. */
    private boolean upToDate(long lastIndex, long lastTerm) {
        long ours = log.lastTerm();
        if (ours == RaftLog.UNKNOWN) return false;
        return lastTerm > ours || (lastTerm == ours && lastIndex >= log.lastIndex());
    }

    private void handleVoteResp(VoteResp m) {
        boolean expecting = (role == Role.PRE_CANDIDATE && m.preVote()) || (role == Role.CANDIDATE && !m.preVote());
        if (!expecting) return;
        if (m.preVote() && m.term() != term + 1 && !m.reject()) return;
        votes.putIfAbsent(m.from(), !m.reject());
        switch (Quorum.tally(conf.current(), votes)) {
            case WON -> {
                if (role == Role.PRE_CANDIDATE) campaign(false, false);
                else becomeLeader();
            }
            case LOST -> becomeFollower(term, 0);
            case PENDING -> { }
        }
    }

    // ------------------------------------------------------------------ follower side

    private void handleAppend(AppendEntries m) {
        if (log.damaged() && !cfg.has(Bug.DAMAGED_ACKS_ALL)) {
            Repair.dropBeyondLeader(this, m);
            if (log.damaged()) {
                Repair.onAppend(this, m);
                return;
            }
        }
        if (m.prevIndex() <= log.committed) checkCommittedPrefix(m);
        if (m.prevIndex() < log.committed) {
            send(new AppendResp(id, m.from(), term, log.committed, false, 0, false));
            return;
        }
        if (!log.matchTerm(m.prevIndex(), m.prevTerm()) && !(cfg.has(Bug.DAMAGED_ACKS_ALL) && log.isHole(m.prevIndex()))) {
            send(new AppendResp(id, m.from(), term, m.prevIndex(), true, rejectHint(m.prevIndex(), m.prevTerm()), false));
            return;
        }
        long lastNew = m.prevIndex() + m.entries().size();
        appendFromLeader(m.entries());
        commitTo(Math.min(m.commit(), cfg.has(Bug.COMMIT_BEYOND_MATCH) ? log.lastIndex() : lastNew));
        send(new AppendResp(id, m.from(), term, lastNew, false, 0, false));
    }

    /**
     * A leader holds every committed entry with the term it was committed in, so an append that
     * gives one of this replica's committed entries another term (at {@code prevIndex} or among the
     * entries) proves that a committed prefix changed: this replica's durable state, or the
     * leader's, went back (a data directory restored from an older copy). Raft cannot repair that;
     * answering the usual way would leave this replica with a committed prefix that differs from
     * its group's for good. It stops instead, saying why (the driver reports it as failed).
     */
    private void checkCommittedPrefix(AppendEntries m) {
        if (m.prevIndex() > 0) diverged(m, m.prevIndex(), m.prevTerm());
        for (Entry e : m.entries()) {
            if (e.index() > log.committed) break;
            diverged(m, e.index(), e.term());
        }
    }

    private void diverged(AppendEntries m, long index, long theirs) {
        long have = log.term(index);
        if (have == RaftLog.UNKNOWN || have == theirs) return;
        throw new IllegalStateException("committed entry " + index + " has term " + have + " here but term " + theirs
                + " at leader " + Long.toHexString(m.from()) + " (term " + m.term() + "): a committed prefix changed, so"
                + " the durable state of this replica or of the leader went back (restored from an older copy?);"
                + " this replica stops rather than keep a committed log that differs from its group's");
    }

    /** Append the leader's entries after a matching prevIndex: skip what we have, truncate at the first conflict. */
    private void appendFromLeader(List<Entry> entries) {
        for (int k = 0; k < entries.size(); k++) {
            Entry e = entries.get(k);
            if (e.index() <= log.lastIndex()) {
                long have = log.term(e.index());
                if (have == e.term() || cfg.has(Bug.NO_TRUNCATE_ON_CONFLICT)) continue;
                if (have == RaftLog.UNKNOWN && cfg.has(Bug.DAMAGED_ACKS_ALL)) continue;
                assert e.index() > log.committed : "conflict at committed index " + e.index();
            }
            truncateAndAppend(e.index(), entries.subList(k, entries.size()));
            return;
        }
    }

    void truncateAndAppend(long from, List<Entry> es) {
        conf.truncateFrom(from);
        log.truncateAndAppend(from, es);
        for (Entry e : es) conf.onAppend(e);
    }

    /** Highest index at or below prevIndex whose term is at most prevTerm: the leader probes there next. */
    private long rejectHint(long prevIndex, long prevTerm) {
        long i = Math.min(prevIndex - 1, log.lastIndex());
        while (i > log.committed) {
            long t = log.term(i);
            if (t != RaftLog.UNKNOWN && t <= prevTerm) break;
            i--;
        }
        return i;
    }

    void commitTo(long index) {
        if (index > log.committed) log.committed = Math.min(index, log.lastIndex());
    }

    private void handleHeartbeat(Heartbeat m) {
        if (log.damaged() && !cfg.has(Bug.DAMAGED_ACKS_ALL)) Repair.requestRepair(this, m.from());
        else if (m.commit() > log.lastIndex()) {
            // the heartbeat's commit is clamped to the match the leader counts for us, yet our log
            // ends before it: entries we acknowledged were lost at rest and recovery took them for
            // a torn tail. Vouch for what we hold, so the leader lowers our match and sends the
            // rest again now, not only at its next proposal (it may make none for a long time)
            commitTo(log.lastIndex());
            send(new AppendResp(id, m.from(), term, log.lastIndex(), true, log.lastIndex(), true));
        } else commitTo(m.commit());
        send(new HeartbeatResp(id, m.from(), term, m.readSeq()));
    }

    private void handleSnapshot(InstallSnapshot m) {
        Snapshot s = m.snapshot();
        if (log.damaged() && !cfg.has(Bug.DAMAGED_ACKS_ALL)) {
            Repair.onSnapshot(this, m);
            return;
        }
        if (s.index() == 0 && log.lastIndex() == 0 && !Membership.isMember(conf.current(), id) && s.index() == log.snapshot().index()) {
            // a joining replica with an empty log learns the membership the log starts from
            if (!s.conf().equals(conf.current())) restore(s, List.of());
            send(new AppendResp(id, m.from(), term, 0, false, 0, false));
            return;
        }
        if (s.index() <= log.committed) {
            send(new AppendResp(id, m.from(), term, log.committed, false, 0, false));
            return;
        }
        if (log.matchTerm(s.index(), s.term())) {
            commitTo(s.index());
        } else {
            restore(s, List.of());
        }
        send(new AppendResp(id, m.from(), term, s.index(), false, 0, false));
    }

    /** Replace the log by {@code s}, keeping {@code tail} (entries after it, re-written after the snapshot). */
    void restore(Snapshot s, List<Entry> tail) {
        long commit = log.committed;
        log.restore(s);
        conf.restore(s.conf(), s.index());
        if (!tail.isEmpty()) truncateAndAppend(s.index() + 1, tail);
        log.committed = Math.max(log.committed, Math.min(commit, log.lastIndex()));
    }

    // ------------------------------------------------------------------ leader side

    private long proposeEntry(Entry.Kind kind, byte[] data) {
        if (role != Role.LEADER || transferee != 0 || !Membership.isMember(conf.current(), id)) return 0;
        appendEntry(kind, data);
        pendingBroadcast = true;
        return log.lastIndex();
    }

    private void appendEntry(Entry.Kind kind, byte[] data) {
        Entry e = new Entry(term, log.lastIndex() + 1, kind, data);
        log.append(e);
        if (kind == Entry.Kind.CONF_CHANGE) {
            conf.onAppend(e);
            updateProgressSet();
        }
        if (cfg.has(Bug.LEADER_SELF_ACK_BEFORE_PERSIST)) {
            selfMatch = log.lastIndex();
            maybeCommit();
        }
    }

    private void flushBroadcast() {
        if (pendingBroadcast && role == Role.LEADER) {
            pendingBroadcast = false;
            for (long p : progress.keySet()) sendAppend(p, true);
        }
    }

    private void sendAppend(long to, boolean sendIfEmpty) {
        Progress pr = progress.get(to);
        if (pr == null || pr.paused(cfg.maxInflightMsgs(), cfg.maxInflightBytes())) return;
        long prevIndex = pr.next - 1;
        long prevTerm = log.term(prevIndex);
        boolean needsBase = pr.next == 1 && pr.match == 0 && !pr.baseAcked && log.snapshot().index() == 0;
        if (pr.next < log.firstIndex() || prevTerm == RaftLog.UNKNOWN || needsBase) {
            Snapshot s = log.snapshot();
            pr.becomeSnapshot(s.index());
            send(new InstallSnapshot(id, to, term, s));
            return;
        }
        List<Entry> entries = pr.next <= log.lastIndex()
                ? log.entries(pr.next, log.lastIndex() + 1, cfg.maxSizePerMsg()) : List.of();
        if (entries.isEmpty() && !sendIfEmpty) return;
        long bytes = 0;
        for (Entry e : entries) bytes += e.data().length;
        pr.sent(prevIndex + entries.size(), bytes, !entries.isEmpty());
        send(new AppendEntries(id, to, term, prevIndex, prevTerm, entries, log.committed, log.lastIndex()));
    }

    private void broadcastHeartbeat() {
        long seq = readOnly.lastSeq();
        for (Map.Entry<Long, Progress> e : progress.entrySet()) {
            // a follower's log past its match may still hold another leader's entries: it must not learn a
            // commit index beyond what it is known to match (the broken variant sends the leader's own)
            long commit = cfg.has(Bug.COMMIT_BEYOND_MATCH) ? log.committed : Math.min(e.getValue().match, log.committed);
            send(new Heartbeat(id, e.getKey(), term, commit, seq));
        }
    }

    private long matchOf(long p) {
        if (p == id) return selfMatch;
        Progress pr = progress.get(p);
        return pr == null ? 0 : pr.match;
    }

    /** Commit the highest index a quorum has, if it is of this term (Raft §5.4.2); true if commit moved. */
    private boolean maybeCommit() {
        long q = Quorum.committedIndex(conf.current(), this::matchOf);
        if (q == Long.MAX_VALUE || q <= log.committed) return false;
        if (log.term(q) != term && !cfg.has(Bug.COMMIT_OLD_TERM_BY_COUNTING)) return false;
        log.committed = q;
        onCommitAdvanced();
        return true;
    }

    private void onCommitAdvanced() {
        if (log.term(log.committed) == term && !readsAwaitingCommit.isEmpty()) {
            List<ReadIndexReq> waiting = new ArrayList<>(readsAwaitingCommit);
            readsAwaitingCommit.clear();
            waiting.forEach(this::leaderRead);
        }
        ConfState c = conf.current();
        if (!Membership.isVoter(c, id) && conf.lastChangeIndex() <= log.committed) {
            // the leader's own removal is committed: it tells the others, hands off to the most
            // up-to-date voter (which still needs a quorum of votes) and steps down
            for (long p : progress.keySet()) sendAppend(p, true);
            long best = 0;
            for (long v : voterIds(c)) if (best == 0 || matchOf(v) > matchOf(best)) best = v;
            if (best != 0) send(new TimeoutNow(id, best, term));
            flushForStepDown();
        }
    }

    private void flushForStepDown() {
        List<Message> keep = msgs;
        becomeFollower(term, 0);
        msgs = keep;
    }

    private void handleAppendResp(AppendResp m) {
        Progress pr = progress.get(m.from());
        if (pr == null) return;
        pr.recentActive = true;
        if (m.repair()) {
            pr.repair(m.index(), Math.min(m.hint() + 1, log.lastIndex() + 1));
            sendAppend(m.from(), true);
            return;
        }
        if (m.reject()) {
            if (pr.maybeDecrTo(m.index(), m.hint())) {
                if (pr.state == Progress.State.REPLICATE) pr.becomeProbe();
                sendAppend(m.from(), true);
            }
            return;
        }
        if (pr.state == Progress.State.SNAPSHOT && m.index() >= pr.pendingSnapshot) {
            pr.baseAcked = true;
            pr.match = Math.max(pr.match, m.index());
            pr.becomeReplicate();
            if (maybeCommit()) pendingBroadcast = true;
            if (role == Role.LEADER) sendAppend(m.from(), true);
            return;
        }
        boolean wasPaused = pr.paused(cfg.maxInflightMsgs(), cfg.maxInflightBytes());
        if (!pr.maybeUpdate(m.index())) {
            if (pr.state == Progress.State.REPLICATE) pr.freeUpTo(m.index());
            return;
        }
        switch (pr.state) {
            case PROBE -> pr.becomeReplicate();
            case SNAPSHOT -> { if (pr.match >= pr.pendingSnapshot) pr.becomeReplicate(); }
            case REPLICATE -> pr.freeUpTo(m.index());
        }
        if (maybeCommit()) pendingBroadcast = true;
        if (role != Role.LEADER) return;
        if (wasPaused || pr.match < log.lastIndex()) sendAppend(m.from(), false);
        if (m.from() == transferee && pr.match == log.lastIndex()) send(new TimeoutNow(id, m.from(), term));
    }

    private void handleHeartbeatResp(HeartbeatResp m) {
        Progress pr = progress.get(m.from());
        if (pr == null) return;
        pr.recentActive = true;
        pr.probeSent = false;
        if (pr.state == Progress.State.REPLICATE && pr.inflightFull(cfg.maxInflightMsgs(), cfg.maxInflightBytes())) pr.freeFirst();
        if (pr.match < log.lastIndex()) sendAppend(m.from(), true);
        if (m.readSeq() > pr.readAck) {
            pr.readAck = m.readSeq();
            releaseReads();
        }
    }

    private void handleReadIndexReq(ReadIndexReq q) {
        if (role == Role.LEADER) leaderRead(q);
        else if (q.from() != id) send(new ReadIndexResp(id, q.from(), term, 0, q.ctx(), true));
    }

    private void leaderRead(ReadIndexReq q) {
        if (log.term(log.committed) != term) {
            readsAwaitingCommit.add(q);
            return;
        }
        ConfState c = conf.current();
        boolean alone = voterIds(c).equals(List.of(id));
        if (alone || cfg.has(Bug.READ_INDEX_NO_HEARTBEAT)) {
            serveRead(new ReadOnly.Pending(0, log.committed, q.ctx(), q.from()));
            return;
        }
        readOnly.add(log.committed, q.ctx(), q.from());
        broadcastHeartbeat();
    }

    private void releaseReads() {
        long confirmed = Quorum.committedIndex(conf.current(),
                p -> p == id ? readOnly.lastSeq() : (progress.containsKey(p) ? progress.get(p).readAck : 0));
        if (confirmed == Long.MAX_VALUE) return;
        for (ReadOnly.Pending p : readOnly.release(confirmed)) serveRead(p);
    }

    private void serveRead(ReadOnly.Pending p) {
        if (p.from() == id) readStates.add(new ReadState(p.index(), p.ctx()));
        else send(new ReadIndexResp(id, p.from(), term, p.index(), p.ctx(), false));
    }

    // ------------------------------------------------------------------ shared with Repair

    void send(Message m) {
        msgs.add(m);
    }

    long term() {
        return term;
    }

    RaftLog log() {
        return log;
    }

    void markAtomicRewrite() {
        atomicRewrite = true;
    }

    Repair.State repair(long forTerm) {
        if (forTerm != repair.term) repair.reset(forTerm);
        return repair;
    }
}
