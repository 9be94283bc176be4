package io.weft.raft;

import java.util.List;

/**
 * Every message one Raft replica sends another. {@code term} is the sender's term, except in a
 * granted pre-vote response, which carries the term the candidate proposed. {@link MessageCodec}
 * gives each a compact CRC32C-protected binary form.
 */
public sealed interface Message {
    long from();

    long to();

    long term();

    /**
     * Leader to follower: entries after {@code prevIndex} (whose term is {@code prevTerm}), the
     * leader's commit index, and its last index when it sent this (a damaged follower may drop
     * older-term entries the leader's log does not reach: README, recovery rule R5).
     */
    record AppendEntries(long from, long to, long term, long prevIndex, long prevTerm, List<Entry> entries,
                         long commit, long leaderLast) implements Message {
        public AppendEntries {
            entries = List.copyOf(entries);
        }
    }

    /**
     * Follower to leader. Accepted: {@code index} is the follower's match index. Rejected:
     * {@code index} is the prevIndex that did not match and {@code hint} the highest index the
     * follower may match. {@code repair}: the follower has damaged entries from {@code hint + 1};
     * the leader must lower its match for it and resend from there.
     */
    record AppendResp(long from, long to, long term, long index, boolean reject, long hint, boolean repair)
            implements Message {}

    /** Leader to follower: the commit index the follower may take (at most its match), and a read-index round. */
    record Heartbeat(long from, long to, long term, long commit, long readSeq) implements Message {}

    record HeartbeatResp(long from, long to, long term, long readSeq) implements Message {}

    /**
     * Candidate to voter, for a real or a pre-vote (pre-vote: {@code term} is the term the
     * candidate would use; nothing is changed on the voter). {@code transfer}: a campaign started
     * by leader transfer, which voters serve even within a leader lease.
     */
    record RequestVote(long from, long to, long term, long lastIndex, long lastTerm, boolean preVote, boolean transfer)
            implements Message {}

    record VoteResp(long from, long to, long term, boolean preVote, boolean reject) implements Message {}

    record InstallSnapshot(long from, long to, long term, Snapshot snapshot) implements Message {}

    /** Leader to its transfer target: campaign now, ignoring the election timer and leases. */
    record TimeoutNow(long from, long to, long term) implements Message {}

    /** Follower to leader: a read-index request of a client of the follower, {@code ctx} returned as is. */
    record ReadIndexReq(long from, long to, long term, byte[] ctx) implements Message {}

    /** Leader to follower: the read index for {@code ctx} (0 with {@code reject} if the leader could not serve it). */
    record ReadIndexResp(long from, long to, long term, long index, byte[] ctx, boolean reject) implements Message {}

    /**
     * A replica held after a restart (README, rule R9) asks a voter for its last log position.
     * {@code term} is the sender's; the receiver answers and changes nothing of its own state.
     */
    record Probe(long from, long to, long term) implements Message {}

    /** The answer to a {@link Probe}: the sender's term and its last log entry's index and term. */
    record ProbeResp(long from, long to, long term, long lastIndex, long lastTerm) implements Message {}
}
