package io.weft.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.raft.Message.Probe;
import io.weft.raft.Message.ProbeResp;
import io.weft.raft.Message.RequestVote;
import io.weft.raft.Message.VoteResp;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * R9, the restart hold. The scenario is the Jepsen harness's snapshot-kill (docs/jepsen.md): n1's
 * data directory is copied while n3 is paused, n1 and n2 commit more writes, n1 is killed and
 * restored from the copy, n3 resumed and n2 killed. n1 and n3 are a majority that never saw the
 * writes: without the hold one of them is elected and the writes are lost (R8 then stops n2);
 * with it neither votes nor campaigns until it knows n2's log, so only n2 can win.
 */
class RestartHoldTest {
    private static final ConfState THREE = new ConfState(List.of(1L, 2L, 3L), List.of(), List.of());
    private static final int HOLD = 15;

    /** Three replicas on MemoryStorage (everything a Ready hands out is durable), with a lossless network. */
    private static final class Cluster {
        final int hold;
        final MemoryStorage[] st = new MemoryStorage[4];
        final RaftNode[] nodes = new RaftNode[4];
        final boolean[] up = new boolean[4];
        final List<String> stopped = new ArrayList<>();
        final List<Message> seen = new ArrayList<>();
        final List<String> events = new ArrayList<>();
        long seed;

        Cluster(int hold, long seed) {
            this.hold = hold;
            this.seed = seed;
            for (int i = 1; i <= 3; i++) {
                st[i] = new MemoryStorage(THREE);
                start(i);
            }
        }

        void start(int i) {
            nodes[i] = new RaftNode(RaftConfig.of(i, new SplittableRandom(seed * 31 + i + 7 * stopped.size() + events.size()))
                    .withRestartHold(hold), st[i]);
            up[i] = true;
            for (String e : nodes[i].takeHoldEvents()) events.add(i + ": " + e);
        }

        void crash(int i) {
            up[i] = false;
            nodes[i] = null;
        }

        /** One tick everywhere, then deliver until quiet (messages to a down replica are lost). */
        void round() {
            for (int i = 1; i <= 3; i++) if (up[i]) nodes[i].tick();
            deliver();
        }

        void deliver() {
            ArrayDeque<Message> q = new ArrayDeque<>();
            do {
                for (int i = 1; i <= 3; i++) {
                    if (!up[i]) continue;
                    for (String e : nodes[i].takeHoldEvents()) events.add(i + ": " + e);
                    while (nodes[i].hasReady()) {
                        Ready rd = nodes[i].ready();
                        st[i].persist(rd);
                        q.addAll(rd.messages());
                        nodes[i].advance(rd);
                    }
                }
                while (!q.isEmpty()) {
                    Message m = q.poll();
                    seen.add(m);
                    int to = (int) m.to();
                    if (!up[to]) continue;
                    try {
                        nodes[to].step(m);
                    } catch (IllegalStateException e) {
                        stopped.add(to + ": " + e.getMessage());
                        crash(to);
                    }
                }
            } while (anyReady());
        }

        boolean anyReady() {
            for (int i = 1; i <= 3; i++) if (up[i] && nodes[i].hasReady()) return true;
            return false;
        }

        int leader() {
            for (int i = 1; i <= 3; i++) if (up[i] && nodes[i].status().role() == Role.LEADER) return i;
            return 0;
        }

        int runUntilLeader(int maxRounds) {
            for (int r = 0; r < maxRounds; r++) {
                round();
                int l = leader();
                if (l != 0) return l;
            }
            return 0;
        }

        /** Propose n writes at the leader and run until they are committed there; returns the last index. */
        long write(int n, String tag) {
            int l = leader();
            assertTrue(l != 0, "no leader");
            long last = 0;
            for (int k = 0; k < n; k++) last = nodes[l].propose((tag + k).getBytes(StandardCharsets.UTF_8));
            assertTrue(last > 0);
            for (int r = 0; r < 20 && nodes[l].status().commit() < last; r++) round();
            assertTrue(nodes[l].status().commit() >= last, "writes committed");
            return last;
        }

        boolean holds(int i, long index, String data) {
            Entry e = st[i].entryAt(index);
            return e != null && new String(e.data(), StandardCharsets.UTF_8).equals(data);
        }
    }

    /** snapshot-kill: returns the cluster after n2 (holding the acknowledged writes) went down. */
    private static Cluster snapshotKill(int hold, long seed, long[] acked) {
        Cluster c = new Cluster(hold, seed);
        assertTrue(c.runUntilLeader(200) != 0);
        // make n1 the leader, so the rolled back node is the one that led
        while (c.leader() != 1) {
            int l = c.leader();
            c.nodes[l].transferLeader(1);
            for (int r = 0; r < 30 && c.leader() != 1; r++) c.round();
        }
        c.write(3, "before");
        for (int r = 0; r < 5; r++) c.round(); // every replica has the first writes
        c.crash(3);                             // n3 paused (its state stays as it was)
        MemoryStorage copy = c.st[1].copy();    // n1's data directory copied
        acked[0] = c.write(5, "acked");         // committed by n1 + n2 (acknowledged)
        c.crash(1);
        c.st[1] = copy;                         // n1 restored from the copy and restarted
        c.start(1);
        c.start(3);                             // n3 resumed (a restart from its own, stale, state)
        c.crash(2);                             // n2 killed
        return c;
    }

    @Test
    void withoutTheHoldTheStaleMajorityElectsALeaderAndLosesTheWrites() {
        long[] acked = new long[1];
        Cluster c = snapshotKill(0, 1, acked);
        int l = c.runUntilLeader(100);
        assertTrue(l == 1 || l == 3, "a stale replica leads: " + l);
        for (int r = 0; r < 10; r++) c.round();
        c.start(2);
        for (int r = 0; r < 50; r++) c.round();
        boolean lost = !c.holds(1, acked[0], "acked4") || !c.holds(3, acked[0], "acked4");
        assertTrue(lost || !c.stopped.isEmpty(), "the unsafe variant loses the writes or trips R8");
        assertFalse(c.stopped.isEmpty(), "n2 has a committed prefix that changed (R8): " + c.stopped);
    }

    @Test
    void withTheHoldNoStaleReplicaIsElectedAndTheWritesSurvive() {
        for (long seed = 1; seed <= 20; seed++) {
            long[] acked = new long[1];
            Cluster c = snapshotKill(HOLD, seed, acked);
            assertTrue(c.nodes[1].restartHeld() && c.nodes[3].restartHeld(), "both restarted replicas are held");
            // n2 stays down for well under the hold's timeout (15 election timeouts = 150 ticks)
            for (int r = 0; r < 100; r++) {
                c.round();
                assertEquals(0, c.leader(), "seed " + seed + ": a stale replica must not be elected while n2 is down");
            }
            assertTrue(c.seen.stream().anyMatch(m -> m instanceof Probe && m.to() == 2), "the held replicas probe n2");
            c.start(2); // n2 restarts: held too, but answers probes; it is the only one the others may elect
            int l = c.runUntilLeader(100);
            assertEquals(2, l, "seed " + seed + ": only the replica with the acknowledged writes can win");
            c.write(1, "after");
            for (int r = 0; r < 20; r++) c.round();
            for (int i = 1; i <= 3; i++) {
                assertTrue(c.holds(i, acked[0], "acked4"), "seed " + seed + ": n" + i + " has the acknowledged write");
            }
            assertTrue(c.stopped.isEmpty(), "seed " + seed + ": " + c.stopped);
            assertTrue(c.events.stream().anyMatch(e -> e.startsWith("1: held after restart")), c.events.toString());
        }
    }

    @Test
    void aWholeClusterRestartElectsTheMostUpToDateReplica() {
        for (long seed = 1; seed <= 20; seed++) {
            Cluster c = new Cluster(HOLD, seed);
            assertTrue(c.runUntilLeader(200) != 0);
            c.write(2, "a");
            for (int r = 0; r < 5; r++) c.round();
            int l = c.leader();
            int behind = l % 3 + 1;
            c.crash(behind);
            long last = c.write(3, "b"); // the leader and one follower have 3 more entries
            for (int i = 1; i <= 3; i++) c.crash(i);
            for (int i = 1; i <= 3; i++) c.start(i);
            for (int i = 1; i <= 3; i++) assertTrue(c.nodes[i].restartHeld(), "seed " + seed + ": n" + i + " is held");
            int nl = c.runUntilLeader(2 * 10 * 3);
            assertTrue(nl != 0, "seed " + seed + ": every held replica answers probes, so a leader is elected well before the timeout");
            assertTrue(nl != behind, "seed " + seed + ": the replica that missed the writes cannot win");
            for (int r = 0; r < 20; r++) c.round();
            for (int i = 1; i <= 3; i++) assertTrue(c.holds(i, last, "b2"), "seed " + seed + ": n" + i);
        }
    }

    @Test
    void theHoldTimesOutWhenAVoterStaysDown() {
        Cluster c = new Cluster(HOLD, 3);
        assertTrue(c.runUntilLeader(200) != 0);
        c.write(2, "a");
        for (int r = 0; r < 5; r++) c.round();
        for (int i = 1; i <= 3; i++) c.crash(i);
        c.start(1);
        c.start(2); // n3 stays down: nobody can learn its position
        int rounds = 0;
        int l = 0;
        while (l == 0 && rounds < 400) {
            c.round();
            rounds++;
            l = c.leader();
        }
        assertTrue(l != 0, "after the timeout the two replicas elect a leader");
        assertTrue(rounds >= HOLD * 10, "not before the hold's timeout (" + HOLD * 10 + " ticks): " + rounds);
        assertTrue(c.events.stream().anyMatch(e -> e.contains("timed out")), c.events.toString());
    }

    @Test
    void aProbeChangesNothingOnTheReceiver() {
        Cluster c = new Cluster(HOLD, 5);
        int l = c.runUntilLeader(200);
        assertTrue(l != 0);
        c.write(1, "x");
        RaftNode leader = c.nodes[l];
        RaftNode.Status before = leader.status();
        int other = l % 3 + 1;
        leader.step(new Probe(other, l, before.term() + 7));
        RaftNode.Status after = leader.status();
        assertEquals(Role.LEADER, after.role());
        assertEquals(before.term(), after.term(), "a probe of a higher term does not bump the term");
        Ready rd = leader.ready();
        ProbeResp resp = rd.messages().stream().filter(m -> m instanceof ProbeResp).map(m -> (ProbeResp) m).findFirst().orElse(null);
        assertNotNull(resp);
        assertEquals(before.lastIndex(), resp.lastIndex());
        assertEquals(leader.termOf(before.lastIndex()), resp.lastTerm());
        assertEquals(before.term(), resp.term());
        c.st[l].persist(rd);
        leader.advance(rd);
        // a follower keeps its leader and term too
        RaftNode f = c.nodes[other];
        RaftNode.Status fb = f.status();
        f.step(new Probe(l, other, fb.term() + 3));
        assertEquals(fb.term(), f.status().term());
        assertEquals(fb.lead(), f.status().lead());
    }

    @Test
    void aHeldReplicaRefusesVotesAndPreVotesButLearnsFromThem() {
        MemoryStorage st = new MemoryStorage(THREE);
        st.append(List.of(new Entry(1, 1, Entry.Kind.EMPTY, new byte[0]), new Entry(1, 2, Entry.Kind.NORMAL, new byte[] {1})));
        st.setHardState(new HardState(1, 1, 2));
        RaftNode n = new RaftNode(RaftConfig.of(3, new SplittableRandom(1)).withRestartHold(HOLD), st);
        assertTrue(n.restartHeld());
        n.step(new RequestVote(1, 3, 2, 2, 1, true, false));
        assertTrue(rejected(n, st), "a pre-vote while held is refused");
        n.campaign();
        assertEquals(Role.FOLLOWER, n.status().role(), "a held replica does not campaign");
        // n2 answers a probe with a longer log: the hold ends with a floor at n2's position
        n.step(new ProbeResp(2, 3, 1, 5, 1));
        assertFalse(n.restartHeld());
        n.step(new RequestVote(1, 3, 2, 2, 1, true, false));
        assertTrue(rejected(n, st), "n1 (2/1) is behind n2's 5/1: refused");
        n.step(new RequestVote(2, 3, 2, 5, 1, true, false));
        assertFalse(rejected(n, st), "n2 reaches the floor: granted");
        n.campaign();
        assertEquals(Role.FOLLOWER, n.status().role(), "its own log (2/1) is below the floor: it does not campaign");
    }

    @Test
    void aBrandNewReplicaIsNotHeld() {
        RaftNode n = new RaftNode(RaftConfig.of(1, new SplittableRandom(1)).withRestartHold(HOLD), new MemoryStorage(THREE));
        assertFalse(n.restartHeld());
        assertTrue(n.takeHoldEvents().isEmpty());
        MemoryStorage st = new MemoryStorage(THREE);
        st.append(List.of(new Entry(1, 1, Entry.Kind.EMPTY, new byte[0])));
        st.setHardState(new HardState(1, 0, 1));
        assertFalse(new RaftNode(RaftConfig.of(1, new SplittableRandom(1)), st).restartHeld(), "off by default");
    }

    private static boolean rejected(RaftNode n, MemoryStorage st) {
        Ready rd = n.ready();
        st.persist(rd);
        n.advance(rd);
        VoteResp r = rd.messages().stream().filter(m -> m instanceof VoteResp).map(m -> (VoteResp) m).reduce((a, b) -> b).orElseThrow();
        return r.reject();
    }
}
