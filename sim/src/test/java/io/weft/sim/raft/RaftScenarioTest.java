package io.weft.sim.raft;

import io.weft.raft.Bug;
import io.weft.sim.world.Scenarios;
import io.weft.sim.world.SimResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The raft scenarios pass a seed range (more with {@code -Draft.to=N}), replay to the same trace,
 * are registered, and fail when the replicas are broken (a bug switch on).
 */
@Timeout(600)
class RaftScenarioTest {
    static final long FROM = Long.getLong("raft.from", 1);
    static final long TO = Long.getLong("raft.to", 20);

    @Test
    void raft3Seeds() {
        runSeeds(new RaftScenario(RaftScenario.Config.of(3)));
    }

    @Test
    void raft5Seeds() {
        runSeeds(new RaftScenario(RaftScenario.Config.of(5)));
    }

    @Test
    void sameSeedSameTraceAndHistory() {
        for (int n : new int[] {3, 5}) {
            RaftScenario s = new RaftScenario(RaftScenario.Config.of(n));
            List<String> logA = new ArrayList<>();
            List<String> logB = new ArrayList<>();
            SimResult a = s.run(7, logA::add);
            SimResult b = s.run(7, logB::add);
            assertEquals(a.traceHash(), b.traceHash());
            assertEquals(a.history(), b.history());
            assertEquals(logA, logB);
            assertNotEquals(a.traceHash(), s.run(8, null).traceHash(), "another seed must give another run");
            assertTrue(a.history().stream().anyMatch(e -> e.op().equals("write") && e.type().name().equals("OK")));
        }
    }

    @Test
    void registeredUnderTheirNames() {
        assertTrue(Scenarios.byName("raft-3").isPresent());
        assertTrue(Scenarios.byName("raft-5").isPresent());
    }

    @Test
    void aReplicaThatOverwritesOnlyTheEntriesSentIsCaught() {
        RaftScenario s = new RaftScenario(RaftScenario.Config.catalog(3).withBugs(Set.of(Bug.NO_TRUNCATE_ON_CONFLICT)));
        boolean caught = false;
        for (long seed = 1; seed <= 60 && !caught; seed++) caught = !s.run(seed, null).passed();
        assertTrue(caught, "NO_TRUNCATE_ON_CONFLICT not caught in 60 seeds of raft-3");
    }

    private static void runSeeds(RaftScenario s) {
        List<String> failed = new ArrayList<>();
        long real = 0;
        for (long seed = FROM; seed <= TO; seed++) {
            SimResult r = s.run(seed, null);
            real += r.realNanos();
            if (!r.passed()) failed.add(r.line() + " " + r.failures());
        }
        System.out.println(s.name() + " seeds " + FROM + ".." + TO + " real ms/seed " + real / 1_000_000 / (TO - FROM + 1)
                + " failed " + failed.size());
        assertEquals(List.of(), failed);
    }
}
