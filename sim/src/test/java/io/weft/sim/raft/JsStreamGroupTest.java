package io.weft.sim.raft;

import io.weft.sim.world.Scenarios;
import io.weft.sim.world.SimResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code js-stream-group}: a seed range passes (more with {@code -Djsgroup.to=N}), a seed replays to
 * the same trace, the scenario is registered, and the checker fails when the leader acknowledges a
 * publish before a quorum holds it (the test-only switch), on the same seeds.
 */
@Timeout(600)
class JsStreamGroupTest {
    static final long FROM = Long.getLong("jsgroup.from", 1);
    static final long TO = Long.getLong("jsgroup.to", 30);

    @Test
    void seedsPass() {
        JsStreamGroup s = new JsStreamGroup();
        List<String> failed = new ArrayList<>();
        for (long seed = FROM; seed <= TO; seed++) {
            SimResult r = s.run(seed, null);
            if (!r.passed()) failed.add(r.line() + " " + r.failures());
        }
        assertEquals(List.of(), failed);
    }

    @Test
    void sameSeedSameTrace() {
        JsStreamGroup s = new JsStreamGroup();
        for (long seed : new long[] {3, 4}) {
            List<String> a = new ArrayList<>();
            List<String> b = new ArrayList<>();
            SimResult x = s.run(seed, a::add);
            SimResult y = s.run(seed, b::add);
            assertEquals(x.traceHash(), y.traceHash());
            assertEquals(x.history(), y.history());
            assertEquals(a, b);
            assertTrue(x.history().stream().anyMatch(e -> e.op().equals("enqueue") && e.type().name().equals("OK")),
                    "publishes were acknowledged");
        }
        assertNotEquals(s.run(3, null).traceHash(), s.run(5, null).traceHash());
    }

    @Test
    void registered() {
        assertTrue(Scenarios.byName("js-stream-group").isPresent());
    }

    /** Acking before the quorum commit: the same seeds find acknowledged values lost. */
    @Test
    void ackBeforeCommitLosesAcknowledgedWrites() {
        JsStreamGroup bug = new JsStreamGroup(JsStreamGroup.Config.defaults().withAckBeforeCommit(true));
        List<String> lost = new ArrayList<>();
        for (long seed = FROM; seed <= TO; seed++) {
            SimResult r = bug.run(seed, null);
            if (r.failures().stream().anyMatch(f -> f.contains(":lost-count") && !f.contains(":lost-count 0")
                    || f.startsWith("ack: "))) {
                lost.add(r.line());
            }
        }
        System.out.println("ack before commit: " + lost.size() + " of " + (TO - FROM + 1) + " seeds lost acknowledged writes");
        assertTrue(lost.size() >= 3, "ack before commit must lose acknowledged writes on several seeds, lost on " + lost);
    }
}
