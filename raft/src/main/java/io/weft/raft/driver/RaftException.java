package io.weft.raft.driver;

/**
 * Why a proposal or a read did not complete. {@link Kind#NOT_LEADER}: the replica refused it, so it
 * certainly never took effect ({@code leaderHint} names the leader it knows, 0 for none). The
 * other kinds leave the outcome unknown: the entry may still commit.
 */
public final class RaftException extends RuntimeException {
    public enum Kind { NOT_LEADER, LEADERSHIP_LOST, STOPPED }

    private final Kind kind;
    private final long leaderHint;

    public RaftException(Kind kind, long leaderHint, String message) {
        super(message);
        this.kind = kind;
        this.leaderHint = leaderHint;
    }

    public Kind kind() {
        return kind;
    }

    public long leaderHint() {
        return leaderHint;
    }

    /** True when the operation may have taken effect (a client must treat it as indeterminate). */
    public boolean maybeApplied() {
        return kind != Kind.NOT_LEADER;
    }
}
