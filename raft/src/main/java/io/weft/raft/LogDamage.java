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

    /** One line per finding, for an operator's log ("entries 5..9 are damaged or missing", ...). */
    public List<String> describe() {
        List<String> out = new java.util.ArrayList<>();
        for (long[] r : ranges) {
            out.add((r[0] == r[1] ? "entry " + r[0] + " is" : "entries " + r[0] + ".." + r[1] + " are")
                    + " damaged or missing (they may have been acknowledged): this replica does not lead, and does"
                    + " not acknowledge past them, until its peers have repaired them");
        }
        if (hardStateLost) {
            out.add("the hard state (term and vote) is unreadable: this replica does not vote until it has learned"
                    + " the current term from its peers");
        }
        return out;
    }
}
