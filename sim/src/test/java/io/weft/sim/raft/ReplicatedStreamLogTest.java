package io.weft.sim.raft;

import io.weft.engine.jetstream.StreamOp;
import io.weft.engine.jetstream.StreamReplica;
import io.weft.engine.jetstream.cluster.ReplicatedStreamLog;
import io.weft.raft.ConfState;
import io.weft.sim.SimClock;
import io.weft.sim.world.SimResult;
import io.weft.sim.world.SimWorld;
import io.weft.store.StoredMessage;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@code StreamLog} side of {@link ReplicatedStreamLog} on three simulated replicas without
 * faults: a batch of appends decided through the leader's replica view commits once, every other op
 * kind (delete, purge, skip) outside a batch is applied on every replica, a follower refuses to
 * append, and every replica ends with the same messages at the same sequences.
 */
class ReplicatedStreamLogTest {

    @Test
    void everyOpKindIsReplicatedThroughTheLog() {
        SimWorld world = new SimWorld(11);
        world.workloadLimit(Duration.ofSeconds(5));
        ConfState initial = new ConfState(List.of(1L, 2L, 3L), List.of(), List.of());
        RaftChecker checker = new RaftChecker(initial, world::fail, world.scheduler()::note);
        JsStreamGroup.Group group = JsStreamGroup.build(world, 11, 3, initial, checker, ReplicatedStreamLog.Options.defaults());
        List<List<String>> finals = new ArrayList<>();
        List<String> refused = new ArrayList<>();
        SimResult r = world.run("replicated-stream-log", w -> {
            for (RaftHost h : group.hosts) h.start();
            try {
                SimClock clock = new SimClock(w.scheduler(), "test/");
                ReplicatedStreamLog leader = null;
                while (leader == null) {
                    clock.sleep(Duration.ofMillis(5));
                    for (ReplicatedStreamLog l : group.logs) if (l.ready()) leader = l;
                }
                leader.begin();
                for (int i = 1; i <= 4; i++) {
                    StreamOp.Append op;
                    leader.lock().lock();
                    try {
                        long now = clock.currentTimeMillis() * 1_000_000L;
                        op = ((StreamReplica.Accepted) leader.replica().decide("queue", new byte[0],
                                ("m" + i).getBytes(StandardCharsets.UTF_8), now)).op();
                    } finally {
                        leader.lock().unlock();
                    }
                    leader.append(op);
                }
                leader.commit();
                leader.append(new StreamOp.Delete(2, false));
                leader.append(new StreamOp.Purge(null, 0, 2)); // keeps 3 and 4
                capture(group, checker, clock, finals);
                leader.append(new StreamOp.SkipTo(10));
                for (ReplicatedStreamLog l : group.logs) {
                    if (l == leader) continue;
                    try {
                        l.append(new StreamOp.Delete(4, false));
                    } catch (IOException e) {
                        refused.add(e.getMessage());
                    }
                }
                capture(group, checker, clock, finals);
            } finally {
                for (RaftHost h : group.hosts) h.shutdown();
            }
        });
        assertTrue(r.passed(), r.failures().toString());
        assertEquals(List.of("not the stream's leader", "not the stream's leader"), refused);
        assertEquals(6, finals.size());
        for (List<String> f : finals.subList(0, 3)) assertEquals(List.of("3=m3", "4=m4", "next 5"), f, "2 deleted, then 1 purged");
        for (List<String> f : finals.subList(3, 6)) assertEquals(List.of("next 10"), f, "skipTo(10) removes everything below it");
    }

    /** Once every replica applied the highest committed index: each one's messages and next sequence. */
    private static void capture(JsStreamGroup.Group group, RaftChecker checker, SimClock clock, List<List<String>> into)
            throws Exception {
        long top = checker.highestCommitted();
        for (RaftHost h : group.hosts) while (checker.lastApplied(h.id()) < top) clock.sleep(Duration.ofMillis(1));
        for (ReplicatedStreamLog l : group.logs) {
            List<String> out = new ArrayList<>();
            for (StoredMessage m : l.messages()) out.add(m.seq() + "=" + new String(m.data(), StandardCharsets.UTF_8));
            out.add("next " + (l.state().lastSeq() + 1));
            into.add(out);
        }
    }
}
