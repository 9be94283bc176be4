package io.weft.raft;

/**
 * Deliberately broken variants of the algorithm, for the simulator's bug catalog only: a
 * scenario switches one on through {@link RaftConfig#bugs()} and must catch it. Production
 * configs leave the set empty. Each constant names the rule it breaks.
 */
public enum Bug {
    /** The vote is granted but left out of the hard state handed to the driver (lost on crash). */
    VOTE_NOT_PERSISTED,
    /**
     * A leader commits an entry of an earlier term by counting replicas (breaks Raft §5.4.2), and, as
     * the leader of the paper's Figure 8, appends no entry of its own term when elected (with that
     * entry every acknowledgement that covers an old-term entry also covers one of the leader's term,
     * and the early count commits nothing the correct rule would not).
     */
    COMMIT_OLD_TERM_BY_COUNTING,
    /** Pre-vote grants ignore the log up-to-date check. */
    PREVOTE_IGNORES_LOG,
    /** Votes ignore the log up-to-date check (§5.4.1). */
    VOTE_IGNORES_LOG,
    /** A restarted replica truncates its log at its first damaged entry and carries on as healthy. */
    TRUNCATE_DAMAGED,
    /** A damaged replica acknowledges (and votes) as if it had no damage. */
    DAMAGED_ACKS_ALL,
    /** A replica whose hard state was lost votes at once, as if it had never voted. */
    LOST_HARDSTATE_VOTES,
    /**
     * A leader counts its own entries toward the quorum before the driver made them durable. Only
     * reachable when the driver pipelines the leader's writes ({@code DriverConfig.withPipelinedLeaderWrites}):
     * a sequential driver fsyncs before it sends, so no reply can come back before the leader's copy is durable.
     */
    LEADER_SELF_ACK_BEFORE_PERSIST,
    /** A follower does not truncate a conflicting suffix: it overwrites only the entries sent. */
    NO_TRUNCATE_ON_CONFLICT,
    /**
     * A follower takes the leader's commit index even beyond the entries it has matched: it commits up
     * to its own last index on an append, and the leader's heartbeats carry its own commit index
     * instead of the follower's match (so a follower still holding a deposed leader's suffix commits it).
     */
    COMMIT_BEYOND_MATCH,
    /** A leader appends a new conf change while the previous one is still uncommitted. */
    CONF_CHANGE_WITHOUT_WAIT,
    /** A leader serves a read index without confirming its leadership with a heartbeat round. */
    READ_INDEX_NO_HEARTBEAT,
    /** A leader that lost contact with a quorum stays leader (check-quorum never steps down). */
    NO_CHECK_QUORUM_STEPDOWN,
    /**
     * A compaction labels its snapshot one index past the one the application gave (that entry is never
     * applied; the log's check that nothing committed is compacted before it is applied stops the replica).
     */
    SNAPSHOT_SKIPS_INDEX,
    /** Driver level: the driver sends a Ready's messages before its entries and hard state are fsynced. */
    SEND_BEFORE_PERSIST
}
