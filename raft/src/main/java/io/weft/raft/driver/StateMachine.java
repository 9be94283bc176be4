package io.weft.raft.driver;

import io.weft.raft.Entry;
import io.weft.raft.Snapshot;

/**
 * The application a {@link RaftDriver} replicates. Called only from the driver's loop thread, in
 * log order: every committed entry exactly once per incarnation of the replica (a restart restores
 * the newest snapshot, then replays the log after it). Entries of kind {@link Entry.Kind#EMPTY} and
 * {@link Entry.Kind#CONF_CHANGE} (which Raft itself acts on) come too, so the application always
 * knows the index it has applied; most ignore them.
 */
public interface StateMachine {
    /** Applies one committed entry; the result completes the proposer's future (on the replica that took it). */
    byte[] apply(Entry entry);

    /**
     * Asked once {@code entriesSinceSnapshot} applied entries reach the driver's {@code snapshotEvery}:
     * whether to take a snapshot now (default yes). A state machine whose snapshot costs in proportion
     * to its size can wait until the log since the last one is about as large, so that snapshots cost
     * a bounded amount per entry however large the state grows.
     */
    default boolean snapshotDue(long entriesSinceSnapshot) {
        return true;
    }

    /** The state after the last applied entry, in the application's encoding (for log compaction). */
    byte[] snapshot();

    /** Replaces the whole state with {@code snapshot} (at start, or when the leader sent one). */
    void restore(Snapshot snapshot);
}
