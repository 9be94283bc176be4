package io.weft.raft;

import io.weft.raft.Message.AppendResp;
import io.weft.raft.Message.VoteResp;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Pipelined leader writes ({@link RaftNode#advanceUnsynced}, {@link RaftNode#synced}): a leader may
 * send its appends before its own fsync but counts itself toward a quorum only once synced, and
 * applies only what is durable here; {@link Bug#LEADER_SELF_ACK_BEFORE_PERSIST} counts it at once.
 */
class PipelinedWritesTest {
    private static final ConfState THREE = new ConfState(List.of(1L, 2L, 3L), List.of(), List.of());

    private static RaftNode leader(MemoryStorage st, Set<Bug> bugs) {
        RaftNode n = new RaftNode(RaftConfig.of(1, new SplittableRandom(1)).withElection(10, 1, false, false).withBugs(bugs), st);
        n.campaign();
        Ready rd = n.ready();
        assertFalse(n.pipelinable(rd), "a candidate's vote request waits for its durable vote");
        assertThrows(IllegalStateException.class, () -> n.advanceUnsynced(rd));
        st.persist(rd);
        n.advance(rd);
        n.step(new VoteResp(2, 1, n.status().term(), false, false));
        assertEquals(Role.LEADER, n.status().role());
        return n;
    }

    @Test
    void leaderCountsItselfOnlyOnceItsWriteIsSynced() {
        MemoryStorage st = new MemoryStorage(THREE);
        RaftNode n = leader(st, Set.of());
        long term = n.status().term();
        Ready rd = n.ready();
        assertTrue(n.pipelinable(rd));
        long idx = rd.entries().getLast().index();
        assertFalse(rd.messages().isEmpty(), "the leader's messages go out before its fsync");
        st.persist(rd);
        n.advanceUnsynced(rd);
        long before = n.status().commit();
        // one follower has it durably: with the leader's copy not yet durable that is not a quorum of 3
        n.step(new AppendResp(2, 1, term, idx, false, 0, false));
        assertEquals(before, n.status().commit());
        n.synced(idx, term);
        assertEquals(idx, n.status().commit());
        Ready next = n.ready();
        assertEquals(idx, next.committedEntries().getLast().index());
    }

    @Test
    void committedEntriesWaitForTheLocalFsyncBeforeTheyApply() {
        MemoryStorage st = new MemoryStorage(THREE);
        RaftNode n = leader(st, Set.of());
        long term = n.status().term();
        Ready rd = n.ready();
        long idx = rd.entries().getLast().index();
        st.persist(rd);
        n.advanceUnsynced(rd);
        // both followers acknowledge: committed without the leader, but not applied here before its fsync
        n.step(new AppendResp(2, 1, term, idx, false, 0, false));
        n.step(new AppendResp(3, 1, term, idx, false, 0, false));
        assertEquals(idx, n.status().commit());
        Ready mid = n.ready();
        assertTrue(mid.committedEntries().isEmpty());
        assertTrue(mid.entries().isEmpty(), "entries handed out once are not handed out again");
        n.advanceUnsynced(mid);
        n.synced(idx, term);
        assertEquals(idx, n.ready().committedEntries().getLast().index());
    }

    @Test
    void theBrokenVariantCountsItselfBeforeItsFsync() {
        MemoryStorage st = new MemoryStorage(THREE);
        RaftNode n = leader(st, Set.of(Bug.LEADER_SELF_ACK_BEFORE_PERSIST));
        long term = n.status().term();
        Ready rd = n.ready();
        long idx = rd.entries().getLast().index();
        st.persist(rd);
        n.advanceUnsynced(rd);
        n.step(new AppendResp(2, 1, term, idx, false, 0, false));
        assertEquals(idx, n.status().commit());
    }
}
