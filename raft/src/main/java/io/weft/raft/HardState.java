package io.weft.raft;

/**
 * What a replica must have on disk before it sends anything that depends on it: its current term,
 * the peer it voted for in that term (0 for none), and the highest index it knows committed.
 */
public record HardState(long term, long vote, long commit) {
    public static final HardState EMPTY = new HardState(0, 0, 0);
}
