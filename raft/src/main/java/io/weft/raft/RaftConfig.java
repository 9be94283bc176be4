package io.weft.raft;

import java.util.EnumSet;
import java.util.Set;
import java.util.random.RandomGenerator;

/**
 * Settings of one replica. Times are in ticks of {@link RaftNode#tick()}: a follower campaigns
 * after a randomised {@code [electionTicks, 2 * electionTicks)} without a leader; a leader sends
 * heartbeats every {@code heartbeatTicks}. {@code random} is the only source of randomness (the
 * election timeout), so a seeded generator makes a run reproducible. {@code applied} is the index
 * the application has already applied at start (0: the snapshot's index). {@code bugs} is for the
 * simulator's bug catalog only and is empty in production. {@code holdElections}: the restart
 * hold's timeout in election timeouts (0: off; see {@link #withRestartHold}).
 */
public record RaftConfig(long id, int electionTicks, int heartbeatTicks, boolean preVote, boolean checkQuorum,
                         int maxInflightMsgs, long maxInflightBytes, long maxSizePerMsg, long applied,
                         RandomGenerator random, Set<Bug> bugs, int holdElections) {
    public RaftConfig {
        if (id <= 0) throw new IllegalArgumentException("replica id must be positive: " + id);
        if (heartbeatTicks <= 0 || electionTicks <= heartbeatTicks)
            throw new IllegalArgumentException("need 0 < heartbeatTicks < electionTicks");
        if (maxInflightMsgs <= 0 || maxInflightBytes <= 0 || maxSizePerMsg <= 0)
            throw new IllegalArgumentException("flow control limits must be positive");
        if (holdElections < 0) throw new IllegalArgumentException("holdElections must be >= 0: " + holdElections);
        if (random == null) throw new IllegalArgumentException("a seeded random source is required");
        bugs = bugs.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(bugs));
    }

    /** Defaults: election 10 ticks, heartbeat 1, pre-vote and check-quorum on, 256 in flight / 8 MiB, 1 MiB messages. */
    public static RaftConfig of(long id, RandomGenerator random) {
        return new RaftConfig(id, 10, 1, true, true, 256, 8L << 20, 1L << 20, 0, random, Set.of(), 0);
    }

    public RaftConfig withBugs(Set<Bug> bugs) {
        return new RaftConfig(id, electionTicks, heartbeatTicks, preVote, checkQuorum, maxInflightMsgs,
                maxInflightBytes, maxSizePerMsg, applied, random, bugs, holdElections);
    }

    public RaftConfig withFlowControl(int maxInflightMsgs, long maxInflightBytes, long maxSizePerMsg) {
        return new RaftConfig(id, electionTicks, heartbeatTicks, preVote, checkQuorum, maxInflightMsgs,
                maxInflightBytes, maxSizePerMsg, applied, random, bugs, holdElections);
    }

    public RaftConfig withElection(int electionTicks, int heartbeatTicks, boolean preVote, boolean checkQuorum) {
        return new RaftConfig(id, electionTicks, heartbeatTicks, preVote, checkQuorum, maxInflightMsgs,
                maxInflightBytes, maxSizePerMsg, applied, random, bugs, holdElections);
    }

    public RaftConfig withApplied(long applied) {
        return new RaftConfig(id, electionTicks, heartbeatTicks, preVote, checkQuorum, maxInflightMsgs,
                maxInflightBytes, maxSizePerMsg, applied, random, bugs, holdElections);
    }

    /**
     * The restart hold (README, rule R9): a replica that restarts on existing storage neither
     * campaigns nor votes until it hears a leader of its term, or has learned every other voter's
     * last log position (then it votes only for, and campaigns only with, a log at least as up to
     * date as the best of them), or {@code holdElections} election timeouts passed. 0 turns the
     * hold off (the default, for now).
     */
    public RaftConfig withRestartHold(int holdElections) {
        return new RaftConfig(id, electionTicks, heartbeatTicks, preVote, checkQuorum, maxInflightMsgs,
                maxInflightBytes, maxSizePerMsg, applied, random, bugs, holdElections);
    }

    /** Ticks of the restart hold's timeout (0: no hold). */
    public int holdTicks() {
        return holdElections * electionTicks;
    }

    boolean has(Bug bug) {
        return bugs.contains(bug);
    }
}
