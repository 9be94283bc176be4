package io.weft.raft.driver;

import io.weft.raft.Bug;
import io.weft.raft.ConfState;
import io.weft.raft.RaftNode;

import java.time.Duration;
import java.util.Set;

/**
 * How a {@link RaftDriver} runs its replica: its id and directory, the membership a fresh replica
 * starts with ({@code bootstrap}, ignored once the directory holds state), the tick length and the
 * election/heartbeat ticks, whether pre-vote and check-quorum are on (both by default), how many applied entries trigger a snapshot (0: never), the bug
 * switches (simulator catalog only; empty in production), an observer (may be null), and whether a
 * leader's writes are pipelined ({@code pipelineLeaderWrites}: the leader sends its appends before
 * its own fsync, which runs on a second thread while the loop keeps stepping replies; it counts
 * itself toward a quorum only once that fsync returns; off by default).
 */
public record DriverConfig(long id, String dir, ConfState bootstrap, Duration tick, int electionTicks,
                           int heartbeatTicks, boolean preVote, boolean checkQuorum, long snapshotEvery, Set<Bug> bugs,
                           RaftDriver.Observer observer, boolean pipelineLeaderWrites,
                           int restartHold) {
    public DriverConfig {
        if (tick.isNegative() || tick.isZero()) throw new IllegalArgumentException("tick must be positive");
        if (snapshotEvery < 0) throw new IllegalArgumentException("snapshotEvery " + snapshotEvery);
        bugs = Set.copyOf(bugs);
        if (restartHold < 0) throw new IllegalArgumentException("restartHold " + restartHold);
    }

    /**
     * Defaults: 100 ms ticks, an election timeout of 10 to 20 ticks (1 to 2 s), a heartbeat every
     * tick, a snapshot every 10 000 entries, the restart hold on ({@link #DEFAULT_RESTART_HOLD}). The driver's loop does not heartbeat while it fsyncs, so
     * the election timeout must outlast the slowest fsync a loaded disk gives: with 10 ms ticks a
     * 500 ms fsync stall on a busy CI disk was enough to depose a healthy leader. nats-server waits
     * 4 to 9 s; Weft's pre-vote and check-quorum let it wait less without flapping.
     */
    /**
     * The restart hold's timeout, in election timeouts (raft README, R9): 15, so 15 to 30 s at the
     * default timing. A replica that restarts while a voter is down and no leader is heard gives no
     * vote that long.
     */
    public static final int DEFAULT_RESTART_HOLD = 15;

    public static DriverConfig of(long id, String dir, ConfState bootstrap) {
        return new DriverConfig(id, dir, bootstrap, Duration.ofMillis(100), 10, 1, true, true, 10_000, Set.of(), null, false, DEFAULT_RESTART_HOLD);
    }

    public DriverConfig withTiming(Duration tick, int electionTicks, int heartbeatTicks) {
        return new DriverConfig(id, dir, bootstrap, tick, electionTicks, heartbeatTicks, preVote, checkQuorum, snapshotEvery, bugs, observer, pipelineLeaderWrites, restartHold);
    }

    public DriverConfig withElectionChecks(boolean pv, boolean cq) {
        return new DriverConfig(id, dir, bootstrap, tick, electionTicks, heartbeatTicks, pv, cq, snapshotEvery, bugs, observer, pipelineLeaderWrites, restartHold);
    }

    public DriverConfig withSnapshotEvery(long n) {
        return new DriverConfig(id, dir, bootstrap, tick, electionTicks, heartbeatTicks, preVote, checkQuorum, n, bugs, observer, pipelineLeaderWrites, restartHold);
    }

    public DriverConfig withBugs(Set<Bug> b) {
        return new DriverConfig(id, dir, bootstrap, tick, electionTicks, heartbeatTicks, preVote, checkQuorum, snapshotEvery, b, observer, pipelineLeaderWrites, restartHold);
    }

    public DriverConfig withObserver(RaftDriver.Observer o) {
        return new DriverConfig(id, dir, bootstrap, tick, electionTicks, heartbeatTicks, preVote, checkQuorum, snapshotEvery, bugs, o, pipelineLeaderWrites, restartHold);
    }

    /** Pipeline a leader's own fsync with replication ({@link RaftNode#advanceUnsynced}). */
    public DriverConfig withPipelinedLeaderWrites(boolean on) {
        return new DriverConfig(id, dir, bootstrap, tick, electionTicks, heartbeatTicks, preVote, checkQuorum, snapshotEvery, bugs, observer, on, restartHold);
    }

    /**
     * The restart hold (raft README, rule R9) with a timeout of {@code elections} election
     * timeouts; 0 (the default) turns it off.
     */
    public DriverConfig withRestartHold(int elections) {
        return new DriverConfig(id, dir, bootstrap, tick, electionTicks, heartbeatTicks, preVote, checkQuorum, snapshotEvery, bugs, observer, pipelineLeaderWrites, elections);
    }
}
