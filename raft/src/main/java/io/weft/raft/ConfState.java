package io.weft.raft;

import java.util.List;

/**
 * The membership as of some log index: voters, learners (receive the log, do not vote), and, while
 * a joint-consensus change is in flight, the outgoing voters (decisions need a quorum of both).
 * Peer ids are positive; lists are sorted and free of duplicates.
 */
public record ConfState(List<Long> voters, List<Long> learners, List<Long> votersOutgoing) {
    public ConfState {
        voters = List.copyOf(voters);
        learners = List.copyOf(learners);
        votersOutgoing = List.copyOf(votersOutgoing);
    }

    public static ConfState of(List<Long> voters) {
        return new ConfState(voters, List.of(), List.of());
    }

    public boolean joint() {
        return !votersOutgoing.isEmpty();
    }
}
