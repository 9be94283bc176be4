package io.weft.raft;

import java.util.List;

/**
 * What a replica needs its driver to do, in this order:
 * <ol>
 * <li>persist {@code snapshot} (if not null: replace the log with it), then {@code entries}
 *     (discarding any stored entry at or after the first one's index), then {@code hardState}
 *     (if not null), and fsync when {@code mustSync}; apply {@code compaction} (if not null: store
 *     the snapshot and drop entries up to its index; no fsync needed before sending);</li>
 * <li>only then send {@code messages};</li>
 * <li>restore {@code snapshot} into the state machine and apply {@code committedEntries} in order
 *     (all of them are already durable locally); serve {@code readStates} once applied;</li>
 * <li>call {@link RaftNode#advance(Ready)}.</li>
 * </ol>
 * {@code softState} is null when leader and role did not change. {@code atomicRewrite}: the
 * snapshot and entries re-write a durable range that holds entries this replica may have
 * acknowledged (a protocol-aware repair, README R6): a crash must leave either the old or the new
 * log, never a prefix of the new one (an ordinary truncation only ever drops unacknowledged
 * entries, so a torn write of it is harmless).
 */
public record Ready(SoftState softState, HardState hardState, List<Entry> entries, Snapshot snapshot,
                    Snapshot compaction, List<Entry> committedEntries, List<Message> messages,
                    List<ReadState> readStates, boolean mustSync, boolean atomicRewrite) {
    public record SoftState(long leader, Role role) {}

    public Ready {
        entries = List.copyOf(entries);
        committedEntries = List.copyOf(committedEntries);
        messages = List.copyOf(messages);
        readStates = List.copyOf(readStates);
    }
}
