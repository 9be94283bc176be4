package io.weft.raft.storage;

import java.util.List;

/**
 * What {@link DiskStorage#open} found and did, beyond the {@link io.weft.raft.LogDamage} it reports to
 * Raft: the bytes of a torn tail it cut (never fsynced, so never acknowledged), how many hard-state
 * slots were written but unreadable (one means the newest write was torn or rotted and the previous
 * value is in use), the indexes of snapshot files that failed their CRC (deleted; an older one is in
 * use), and one human-readable line per finding, for the log.
 */
public record RecoveryReport(long tornTailBytes, int badHardStateSlots, List<Long> badSnapshots, List<String> notes) {
    public RecoveryReport {
        badSnapshots = List.copyOf(badSnapshots);
        notes = List.copyOf(notes);
    }
}
