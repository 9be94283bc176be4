package io.weft.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.raft.Message.Heartbeat;
import io.weft.raft.Message.RequestVote;
import io.weft.raft.Message.VoteResp;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * A replica that never campaigns (here one that is not a voter in its own membership: a
 * replacement the leader added as a voter before the replica's log reached that entry) must not
 * hold its leader lease forever once the leader went silent: the voters that need its vote to
 * elect a new leader would otherwise never get it. Within a lease it ignores a pre-vote (check
 * quorum), after an election timeout without the leader it grants one with an up-to-date log,
 * whatever the randomized timeout it drew.
 */
class LeaseOfANonVoterTest {
    private static final ConfState THREE = new ConfState(List.of(1L, 2L, 3L), List.of(), List.of());

    private static List<Message> drain(RaftNode n, MemoryStorage st) {
        List<Message> out = new ArrayList<>();
        while (n.hasReady()) {
            Ready rd = n.ready();
            st.persist(rd);
            out.addAll(rd.messages());
            n.advance(rd);
        }
        return out;
    }

    @Test
    void aNonVoterGrantsAPreVoteOnceItsLeaderWentSilent() {
        for (long seed = 1; seed <= 40; seed++) { // every randomized timeout in [10, 20)
            MemoryStorage st = new MemoryStorage(THREE);
            RaftNode n = new RaftNode(RaftConfig.of(4, new SplittableRandom(seed)).withElection(10, 1, true, true), st);
            n.step(new Heartbeat(1, 4, 1, 0, 0));
            drain(n, st);
            assertEquals(1, n.status().lead());
            n.step(new RequestVote(2, 4, 2, 5, 1, true, false));
            assertTrue(drain(n, st).stream().noneMatch(m -> m instanceof VoteResp v && !v.reject()),
                    "seed " + seed + ": in the lease, a pre-vote is not granted");
            for (int t = 0; t < 25; t++) {
                n.tick();
                drain(n, st);
            }
            assertFalse(n.status().role() == Role.PRE_CANDIDATE || n.status().role() == Role.CANDIDATE,
                    "not a voter: it never campaigns");
            n.step(new RequestVote(2, 4, 2, 5, 1, true, false));
            assertTrue(drain(n, st).stream().anyMatch(m -> m instanceof VoteResp v && v.preVote() && !v.reject()),
                    "seed " + seed + ": the lease ran out, the pre-vote is granted");
        }
    }
}
