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

    /** The state after the last applied entry, in the application's encoding (for log compaction). */
    byte[] snapshot();

    /** Replaces the whole state with {@code snapshot} (at start, or when the leader sent one). */
    void restore(Snapshot snapshot);
}
