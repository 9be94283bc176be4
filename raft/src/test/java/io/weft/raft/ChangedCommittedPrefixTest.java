package io.weft.raft;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.raft.Message.AppendEntries;
import io.weft.raft.Message.AppendResp;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * A follower whose committed entries a leader gives another term stops instead of acknowledging:
 * the case the Jepsen harness's snapshot-kill nemesis made (docs/jepsen.md), where one node was
 * rolled back to an old copy of its data and elected with another stale node while the node
 * holding the committed entries was down. Without the check that node answered with its commit
 * index, the leader took it as a match, and the replicas kept different streams for good.
 */
class ChangedCommittedPrefixTest {
    private static final ConfState THREE = new ConfState(List.of(1L, 2L, 3L), List.of(), List.of());

    /** Node 3 with entries 1..4 of term 1, 1..3 committed (durable). */
    private static RaftNode follower(MemoryStorage st) {
        List<Entry> es = new ArrayList<>();
        for (long i = 1; i <= 4; i++) es.add(new Entry(1, i, Entry.Kind.NORMAL, new byte[] {(byte) i}));
        st.append(es);
        st.setHardState(new HardState(1, 1, 3));
        return new RaftNode(RaftConfig.of(3, new SplittableRandom(1)), st);
    }

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
    void aLeaderWithTheSameCommittedPrefixIsAnsweredAsBefore() {
        MemoryStorage st = new MemoryStorage(THREE);
        RaftNode n = follower(st);
        // a leader of term 2 whose log agrees up to 3 and replaces the uncommitted 4
        assertDoesNotThrow(() -> n.step(new AppendEntries(2, 3, 2, 3, 1,
                List.of(new Entry(2, 4, Entry.Kind.NORMAL, new byte[] {9})), 4, 4)));
        List<Message> out = drain(n, st);
        assertTrue(out.stream().anyMatch(m -> m instanceof AppendResp r && !r.reject() && r.index() == 4), out.toString());
        assertEquals(2, n.termOf(4), "the uncommitted conflicting entry is replaced, as Raft does");
        // below the commit index with the same term: the usual answer at the commit index
        assertDoesNotThrow(() -> n.step(new AppendEntries(2, 3, 2, 1, 1, List.of(), 4, 4)));
    }

    @Test
    void anotherTermAtACommittedPrevIndexStopsTheReplica() {
        MemoryStorage st = new MemoryStorage(THREE);
        RaftNode n = follower(st);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> n.step(new AppendEntries(2, 3, 2, 3, 2, List.of(), 3, 5)));
        assertTrue(e.getMessage().contains("committed entry 3 has term 1 here but term 2"), e.getMessage());
    }

    @Test
    void anotherTermForACommittedEntryStopsTheReplica() {
        MemoryStorage st = new MemoryStorage(THREE);
        RaftNode n = follower(st);
        // prevIndex 1 agrees, but the leader's entry 2 is of term 2: committed entry 2 changed
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> n.step(new AppendEntries(2, 3, 2, 1, 1,
                        List.of(new Entry(2, 2, Entry.Kind.NORMAL, new byte[] {7})), 2, 2)));
        assertTrue(e.getMessage().contains("committed entry 2 has term 1 here but term 2"), e.getMessage());
    }
}
