package io.weft.engine.jetstream.meta;

import java.util.List;

/**
 * One stream as the meta group assigns it: its account and name, its configuration as the meta
 * leader accepted it ({@code config}: compact JSON, the stream side's encoding, opaque here), the
 * subjects it captures (so the meta log itself refuses an overlap two concurrent creates would
 * otherwise both pass), its peer group ({@code peers}: {@link io.weft.engine.cluster.PeerIds}, the
 * first is the preferred leader), the Raft group name and its creation time (nanoseconds since
 * the epoch, chosen once by the meta leader, so every replica reports the same). {@code revision}
 * counts the configuration changes the meta log applied (0 at creation, one more per update that
 * changed the configuration): a replicated stream's replicas apply the configuration of a newer
 * revision at one point of the stream's own log.
 */
public record StreamAssignment(String account, String name, String config, List<String> subjects, List<Long> peers,
                               String group, long createdNanos, long revision) {
    public StreamAssignment {
        subjects = List.copyOf(subjects);
        peers = List.copyOf(peers);
        if (peers.isEmpty()) {
            throw new IllegalArgumentException("a stream assignment needs at least one peer");
        }
    }

    /** A new stream's assignment (revision 0). */
    public StreamAssignment(String account, String name, String config, List<String> subjects, List<Long> peers,
                            String group, long createdNanos) {
        this(account, name, config, subjects, peers, group, createdNanos, 0);
    }

    /**
     * The same assignment with another configuration and subjects, at the next revision (a stream
     * update keeps peers, group and creation).
     */
    public StreamAssignment withConfig(String newConfig, List<String> newSubjects) {
        return new StreamAssignment(account, name, newConfig, newSubjects, peers, group, createdNanos, revision + 1);
    }

    /** The same assignment with another peer group (and configuration), at the next revision. */
    public StreamAssignment withPeers(List<Long> newPeers, String newConfig, List<String> newSubjects) {
        return withPeers(newPeers, newConfig, newSubjects, group);
    }

    /** As above, in Raft group {@code newGroup} (a new group: scaling to or from R1). */
    public StreamAssignment withPeers(List<Long> newPeers, String newConfig, List<String> newSubjects, String newGroup) {
        return new StreamAssignment(account, name, newConfig, newSubjects, newPeers, newGroup, createdNanos, revision + 1);
    }
}
