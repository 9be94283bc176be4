package io.weft.sim.world;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

/** Shared checks for scenario tests: a seed range passes; a seed replays to the same trace. */
final class ScenarioSupport {
    private ScenarioSupport() {
    }

    static List<SimResult> seedsPass(Scenario s, long from, long to) {
        List<SimResult> out = new ArrayList<>();
        for (long seed = from; seed <= to; seed++) {
            SimResult r = s.run(seed, null);
            assertTrue(r.passed(), s.name() + " " + r.line() + " " + r.failures());
            out.add(r);
        }
        return out;
    }

    static void sameSeedSameTrace(Scenario s, long seed) {
        List<String> logA = new ArrayList<>();
        List<String> logB = new ArrayList<>();
        SimResult a = s.run(seed, logA::add);
        SimResult b = s.run(seed, logB::add);
        assertEquals(a.traceHash(), b.traceHash());
        assertEquals(a.history(), b.history());
        assertEquals(logA, logB);
        assertTrue(s.run(seed + 1, null).traceHash() != a.traceHash(), "another seed must give another run");
    }

    static long count(SimResult r, String op) {
        return r.history().stream().filter(e -> e.op().equals(op)).count();
    }
}
