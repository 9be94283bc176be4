package io.weft.raft;

import java.util.List;

/**
 * The read side of a replica's durable state, as the Raft state machine sees it. The driver owns
 * the write side (append, hard state, snapshot, fsync) and keeps this view in step with what it has
 * made durable. {@code io.weft.raft.storage} holds the on-disk implementation; tests use a memory one.
 * Indexes below {@link #firstIndex()} are compacted into the snapshot.
 */
public interface RaftStorage {
    /** What the replica restarts with: hard state, membership, and any damage recovery found. */
    InitialState initialState();

    /** Entries [lo, hi), at least one if lo < hi, stopping before {@code maxBytes} of data is exceeded. */
    List<Entry> entries(long lo, long hi, long maxBytes);

    /** Term of entry {@code index}; the snapshot's term for its index; throws below that. */
    long term(long index);

    /** Index of the first entry still in the log (snapshot index + 1). */
    long firstIndex();

    /** Index of the last entry in the log (the snapshot's index when the log is empty). */
    long lastIndex();

    Snapshot snapshot();

    record InitialState(HardState hardState, ConfState conf, LogDamage damage) {}
}
