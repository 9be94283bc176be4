package io.weft.raft;

import java.util.List;

/**
 * What recovery found wrong with a replica's own durable state, for protocol-aware recovery.
 * A torn tail (the last write cut short by a crash, never fsynced, so never acknowledged) is not
 * damage: recovery drops it silently. Damage is what may have been acknowledged: a corrupt or
 * missing entry with valid entries after it ({@code ranges}, inclusive index pairs), or a hard
 * state that could not be read ({@code hardStateLost}: the replica no longer knows its term and
 * vote). A replica with damage must not lead, and must not count toward a quorum for an index it
 * cannot vouch for, until it has repaired the ranges from its peers.
 */
public record LogDamage(List<long[]> ranges, boolean hardStateLost) {
    public static final LogDamage NONE = new LogDamage(List.of(), false);

    public LogDamage {
        ranges = List.copyOf(ranges);
    }

    public boolean any() {
        return hardStateLost || !ranges.isEmpty();
    }
}
