package io.weft.engine.jetstream;

import io.weft.engine.cluster.GroupTransports;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The log of a stream replicated by a Raft group, as a {@link Stream} on it sees it: one per
 * replica, each over its own {@link StreamReplica} (store and apply step). Implemented in
 * {@code jetstream.cluster} ({@code ReplicatedStreamLog}); this package sees it only through this
 * interface (packages form no cycle), and {@link JetStream#openReplicated} opens one through the
 * {@link Factory} the node installs.
 *
 * <p>The replica's store is written only by applying committed ops. The leader alone decides
 * ({@link #publish}); its future completes once the entry is committed (durable on a quorum) and
 * applied here. Reads take {@link #lock} and read {@link #replica}'s store, which a snapshot
 * restore may replace (so never keep it).
 */
public interface GroupLog extends StreamLog {

    /** The outcome of a publish. */
    sealed interface Result permits Stored, Duplicate, Rejected, NotLeader, NotStored, Unknown {
    }

    /**
     * Committed and applied at {@code seq} ({@code removed}: messages its apply removed, for non-append
     * ops); {@code appended}: the publish's appends as the leader decided them (empty for other ops).
     */
    record Stored(long seq, long removed, List<Appended> appended) implements Result {
        public Stored {
            appended = List.copyOf(appended);
        }

        public Stored(long seq) {
            this(seq, 0);
        }

        public Stored(long seq, long removed) {
            this(seq, removed, List.of());
        }
    }

    /**
     * One append a publish stored, as decided: the op (its stored subject, data such as a counter's
     * value, timestamp) and the sequence of its subject's previous message then (0: none).
     */
    record Appended(StreamOp.Append op, long subjectLastSeq) {
    }

    /** Already stored at {@code seq} (same message id in the duplicate window). */
    record Duplicate(long seq) implements Result {
    }

    /** Refused by the publish rules (nats-server's error). */
    record Rejected(JsApiError error) implements Result {
    }

    /** This replica does not lead (or has not applied its barrier yet); {@code leader} is the leader if known (0 if not). */
    record NotLeader(long leader) implements Result {
    }

    /** Certainly not stored (refused by Raft, or skipped as decided against another state). */
    record NotStored(String why) implements Result {
    }

    /** May or may not be stored (leadership lost before the entry was known committed, or the replica stopped). */
    record Unknown(String why) implements Result {
    }

    /**
     * The group as its leader sees it, for {@code cluster} in STREAM.INFO: the leader's peer id (0:
     * none known), since when (wall nanos; 0 if unknown) and every other member.
     */
    record ClusterView(long self, long leader, long leaderSinceNanos, List<Member> members) {
    }

    /**
     * One other member: {@code current} (holds everything committed and was heard from lately),
     * {@code activeNanos} (since it was last heard from; 0 if never), {@code lag} (committed entries
     * it lacks), {@code offline} (not heard from lately, or never).
     */
    record Member(long peer, boolean current, long activeNanos, long lag, boolean offline) {
    }

    /** Opens replica {@code self} of the group {@code group} of a stream, over {@code replica}. */
    @FunctionalInterface
    interface Factory {
        /**
         * {@code dir}: where the replica keeps its Raft log and snapshots. The store of
         * {@code replica} is emptied and rebuilt from them. Empty {@code peers}: the replica joins a
         * running group (a replacement or a scale-up): a fresh one starts with no membership and
         * waits for the leader's snapshot, which carries it.
         */
        default GroupLog open(StreamReplica replica, String group, List<Long> peers, long self, GroupTransports transports,
                              String dir) throws IOException {
            return open(replica, group, peers, self, transports, dir, null);
        }

        /**
         * As above; {@code seed} (null: none) is the state a <em>new</em> group starts from: when
         * {@code dir} holds no Raft state yet, it is written (durably) as the group's first
         * snapshot, with {@code peers} as its membership, before the replica starts. This is how a
         * single-server stream becomes a replicated one (its store's image seeds the group; new
         * members catch up from that snapshot). Ignored when {@code dir} holds state already.
         */
        GroupLog open(StreamReplica replica, String group, List<Long> peers, long self, GroupTransports transports,
                      String dir, StreamReplica.Image seed) throws IOException;
    }

    /** This replica's peer id. */
    long id();

    /**
     * What opening this replica's Raft storage found, for the operator's log: {@code warnings} for
     * what recovery cleaned up without loss (a torn tail never acknowledged, an unreadable newer
     * snapshot with an older one in use), {@code errors} for damage that may hold acknowledged
     * entries, which the replica has its peers repair.
     */
    record Recovery(List<String> warnings, List<String> errors) {
        public static final Recovery NONE = new Recovery(List.of(), List.of());

        public Recovery {
            warnings = List.copyOf(warnings);
            errors = List.copyOf(errors);
        }
    }

    /** What recovery found when this replica opened. */
    default Recovery recovery() {
        return Recovery.NONE;
    }

    /** True while this replica's own Raft state is damaged and not yet repaired by its peers. */
    default boolean damaged() {
        return false;
    }

    /** Runs {@code then} (once, on the group's thread) when this replica's recovered damage is repaired. */
    default void onRepaired(Runnable then) {
    }

    /**
     * Hands {@code listener} each change of the replica's restart hold (raft README, R9: held after
     * a restart, every voter's log position learned, a leader heard, timed out), earlier ones first.
     */
    default void onHold(java.util.function.Consumer<String> listener) {
    }

    /**
     * Why this replica's Raft driver stopped on its own (a broken invariant, or a failed durable
     * write), or null while it runs: a stopped replica takes no part in its group until the server
     * restarts it.
     */
    default String failure() {
        return null;
    }

    /** Sets who hears (once, with {@link #failure}'s text) that this replica's driver stopped on an error. */
    default void onFailed(java.util.function.Consumer<String> listener) {
    }

    /**
     * The meta group's newest configuration of the stream, of meta revision {@code revision} (every
     * replica hears it when its member applies the assignment). The ready leader logs it as a
     * {@link StreamOp.Config} if it is newer than what the replica applied or logged (and again
     * after each new barrier while it is); every replica applies it at that point of the log.
     */
    default void configure(long revision, StreamConfig config) {
    }

    /**
     * The meta group's peer group of the stream ({@code peers}; every replica hears it when its
     * member applies the assignment). The ready leader carries a difference out by Raft
     * membership changes, one at a time: it removes members not in {@code peers} (other than
     * itself), adds the new ones as voters (each catches up from the leader's snapshot and log),
     * and, when it is itself not in {@code peers}, hands leadership to a member that is (the new
     * leader then removes it). A new leader picks up where the last one stopped.
     */
    default void members(List<Long> peers) {
    }

    /** Sets who hears (on the group's thread, lock not held) that a new configuration was applied here. */
    default void onConfigApplied(Runnable listener) {
    }

    /** Guards {@link #replica}; hold it to read the store. */
    ReentrantLock lock();

    StreamReplica replica();

    /** The leader this replica knows (its peer id; 0 if none). */
    long leader();

    /**
     * True when this replica may tell a client that the group has no leader (503/10008): it knows
     * none and has run long enough to judge, as nats-server's members, which stay silent for their
     * first 10 s (a replica that just started has not heard the leader yet, and its 10008 would
     * race the leader's answer to the same request).
     */
    default boolean leaderless() {
        return leader() == 0;
    }

    /** True if this replica leads and may decide (everything before its term is applied). */
    boolean ready();

    /**
     * Confirms, before this replica answers a read as the group's leader ({@code STREAM.MSG.GET}),
     * that it still leads and has applied everything committed when the read arrived: a Raft read
     * index (the leader's commit index, confirmed by a heartbeat round to a quorum), waited for on
     * the node's clock for at most {@code timeout}. False when it does not lead any more, or no
     * quorum answered in time: a leader deposed while it was paused or cut off then stays silent
     * instead of serving what it held before (a stale read).
     */
    boolean confirmRead(java.time.Duration timeout) throws InterruptedException;

    /**
     * {@link #confirmRead} without waiting: completes true once a read index confirms that this
     * replica still led when it was asked, false when it does not lead or the round failed. A
     * refusal the leader decides before proposing (a wrong {@code Nats-Expected-*}, a full stream)
     * is answered only after it, so a leader deposed without knowing it never answers "no" to a
     * publish the new leader may store: the client's first answer must not be a stale refusal.
     */
    java.util.concurrent.CompletableFuture<Boolean> confirmLeading();

    /** Decides and proposes a published message (the leader); completes once the outcome is known. */
    CompletableFuture<Result> publish(String subject, byte[] headers, byte[] data);

    /**
     * {@link #publish} of the message a message schedule published (ADR-51): the schedule header
     * checks, done when the schedule was stored, are not done again (its {@code Nats-Scheduler}
     * and {@code Nats-Schedule-Next} are the server's own).
     */
    CompletableFuture<Result> publishScheduled(String subject, byte[] headers, byte[] data);

    /**
     * Decides and proposes the commit of atomic batch {@code id} (the leader): all of {@code msgs}
     * as one entry ({@link StreamOp.Batch}); completes once the outcome is known, {@link Stored}
     * with the batch's last sequence.
     */
    CompletableFuture<Result> publishBatch(String id, List<StreamReplica.BatchMsg> msgs);

    /**
     * Decides, proposes and waits for a subject delete marker on {@code subject} (the leader's
     * expiry, with the stream's lock held; released while waiting, as {@link #append} does): see
     * {@link StreamReplica#decideMarker}. Returns the marker's sequence once it is committed and
     * applied here, or 0 when none was decided (an append to the subject is pending); throws when
     * this replica does not lead or the marker was not stored.
     */
    long appendMarker(String subject, byte[] headers, long ttlNanos, boolean noInterest) throws IOException;

    /**
     * Sets who hears that {@link #ready} changed (called on the group's own thread, outside
     * {@link #lock}, in the order the changes happened).
     */
    void onReadyChanged(Runnable listener);

    /** The group as this replica sees it (members' progress only when it leads). */
    CompletableFuture<ClusterView> clusterView();

    /**
     * Hands leadership to the most caught-up member heard from lately; completes with null once the
     * transfer started, or with why not.
     */
    CompletableFuture<String> stepDown();

    /**
     * Hands leadership to member {@code peer} (0: as {@link #stepDown()}); completes with null once
     * the transfer started, or with why not.
     */
    default CompletableFuture<String> stepDown(long peer) {
        return peer == 0 ? stepDown() : CompletableFuture.completedFuture("raft: leadership transfer not supported");
    }
}
