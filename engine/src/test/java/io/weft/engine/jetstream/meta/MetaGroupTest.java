package io.weft.engine.jetstream.meta;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.engine.cluster.MemTransports;
import io.weft.engine.cluster.PeerIds;
import io.weft.net.Env;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three meta members over in-memory transports (real threads and disk): a leader is elected and
 * alone takes proposals, every member applies them, a cut-off member turns leaderless, leadership
 * moves on request, and a restarted member has its assignments back from its own storage.
 */
class MetaGroupTest {
    static final List<String> NAMES = List.of("m1", "m2", "m3");

    @TempDir
    Path dir;
    final MemTransports net = new MemTransports();
    final Env env = Env.real();
    final List<MetaGroup> members = new ArrayList<>(List.of());

    @AfterEach
    void stop() {
        for (MetaGroup m : members) {
            if (m != null) {
                m.stop();
            }
        }
        net.close();
    }

    MetaGroup start(String name) throws Exception {
        MetaGroup.Settings s = MetaGroup.Settings.of(name, "C", dir.resolve(name).toString(), NAMES, n -> List.of())
                .withTiming(Duration.ofMillis(20), 10, Duration.ofMillis(600), Duration.ofMillis(800))
                .withSnapshotEvery(4); // small, so restarts restore a snapshot and replay the log after it
        return MetaGroup.start(env, net.node(PeerIds.of(name)), s, null);
    }

    void startAll() throws Exception {
        for (String n : NAMES) {
            members.add(start(n));
        }
    }

    static void await(String what, BooleanSupplier ok) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (!ok.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(10);
        }
    }

    MetaGroup leader() throws InterruptedException {
        await("a meta leader", () -> members.stream().filter(m -> m != null && m.isLeader()).count() == 1);
        return members.stream().filter(m -> m != null && m.isLeader()).findFirst().orElseThrow();
    }

    static Assignments.Outcome propose(MetaGroup m, MetaOp op) throws Exception {
        return m.await(m.propose(op), Duration.ofSeconds(5));
    }

    @Test
    void theLeaderAloneTakesProposalsAndEveryMemberApplies() throws Exception {
        startAll();
        MetaGroup leader = leader();
        StreamAssignment sa = AssignmentsTest.stream("A", "S", "s.>", leader.self());
        assertEquals(Assignments.Outcome.APPLIED, propose(leader, new MetaOp.AddStream(sa)));
        assertEquals(Assignments.Outcome.EXISTS, propose(leader,
                new MetaOp.AddStream(AssignmentsTest.stream("A", "S", "other", leader.self()))));
        for (MetaGroup m : members) {
            await(m.serverName() + " applying", () -> sa.equals(m.assignments().stream("A", "S")));
            assertEquals(leader.leaderName(), m.leaderName());
        }
        MetaGroup follower = members.stream().filter(m -> m != leader).findFirst().orElseThrow();
        MetaGroup.NotApplied refused = assertThrows(MetaGroup.NotApplied.class,
                () -> propose(follower, new MetaOp.DeleteStream("A", "S")));
        assertFalse(refused.maybeApplied());
        assertTrue(leader.replicas().stream().noneMatch(MetaGroup.Replica::offline));
        assertEquals(2, leader.replicas().size());
    }

    @Test
    void aCutOffMemberIsLeaderlessAndTheMajorityGoesOn() throws Exception {
        startAll();
        MetaGroup old = leader();
        net.isolate(old.self(), true);
        await("the old leader to step down", () -> old.leader() == 0);
        await("leaderless after the grace period", old::leaderless);
        MetaGroup next = leader();
        assertTrue(next != old);
        assertEquals(Assignments.Outcome.APPLIED,
                propose(next, new MetaOp.AddStream(AssignmentsTest.stream("A", "T", "t", next.self()))));
        await("the isolated member to count as offline",
                () -> next.replicas().stream().anyMatch(r -> r.peer() == old.self() && r.offline()));
        assertNull(old.assignments().stream("A", "T"), "nothing reaches the cut-off member");
        net.isolate(old.self(), false);
        await("the healed member to catch up", () -> old.assignments().stream("A", "T") != null);
        assertFalse(old.leaderless());
    }

    @Test
    void leadershipMovesOnRequest() throws Exception {
        startAll();
        MetaGroup leader = leader();
        MetaGroup target = members.stream().filter(m -> m != leader).findFirst().orElseThrow();
        assertNull(leader.transferTo(target.self()));
        await("the target to lead", target::isLeader);
        assertFalse(leader.isLeader());
        assertNotNull(target.transferTo(target.self()), "a leader cannot hand leadership to itself");
    }

    @Test
    void assignmentsSurviveRestarts() throws Exception {
        startAll();
        MetaGroup leader = leader();
        for (int i = 0; i < 5; i++) {
            propose(leader, new MetaOp.AddStream(AssignmentsTest.stream("A", "S" + i, "s" + i, leader.self())));
        }
        int i = members.indexOf(leader) == 0 ? 1 : 0;
        MetaGroup m = members.get(i);
        await("the follower to apply", () -> m.assignments().streams("A").size() == 5);
        m.stop();
        // while it is down the group goes on; back, it restores from its disk and catches up
        propose(leader, new MetaOp.DeleteStream("A", "S2"));
        propose(leader, new MetaOp.AddConsumer(AssignmentsTest.consumer("A", "S1", "C", leader.self())));
        MetaGroup back = start(NAMES.get(i));
        members.set(i, back);
        await("the restarted member to catch up", () -> back.assignments().consumer("A", "S1", "C") != null);
        byte[] state = leader.assignments().snapshot();
        assertTrue(java.util.Arrays.equals(state, back.assignments().snapshot()));

        // the whole group down and up again: every member restores the same assignments from its own disk
        for (MetaGroup g : members) {
            g.stop();
        }
        members.clear();
        startAll();
        MetaGroup next = leader();
        for (MetaGroup g : members) {
            await(g.serverName() + " to restore", () -> java.util.Arrays.equals(state, g.assignments().snapshot()));
        }
        assertEquals(4, next.assignments().streams("A").size());
        assertEquals(Assignments.Outcome.APPLIED, propose(next, new MetaOp.DeleteStream("A", "S0")));
    }
}
