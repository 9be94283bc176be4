package io.weft.sim.fault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** {@link ClusterFaultPlan}: a value of its seed, a swarm mix, damage at rest only on the minority of victims. */
class ClusterFaultPlanTest {
    private static final List<ClusterFaultPlan.Kind> ALL = List.of(ClusterFaultPlan.Kind.values());

    @Test
    void aSeedAlwaysGivesTheSamePlanAndSeedsDiffer() {
        assertEquals(ClusterFaultPlan.fromSeed(7, 3, ALL, 6, 1), ClusterFaultPlan.fromSeed(7, 3, ALL, 6, 1));
        assertEquals(ClusterFaultPlan.fromSeed(7, 3, ALL, 6, 1).toString(), ClusterFaultPlan.fromSeed(7, 3, ALL, 6, 1).toString());
        assertNotEquals(ClusterFaultPlan.fromSeed(7, 3, ALL, 6, 1), ClusterFaultPlan.fromSeed(8, 3, ALL, 6, 1));
    }

    @Test
    void everyKindAppearsAcrossSeedsAndPlansStayInBounds() {
        Set<ClusterFaultPlan.Kind> seen = EnumSet.noneOf(ClusterFaultPlan.Kind.class);
        int empty = 0;
        for (long seed = 1; seed <= 300; seed++) {
            int nodes = seed % 2 == 0 ? 5 : 3;
            int damaged = nodes == 5 ? 2 : 1;
            ClusterFaultPlan p = ClusterFaultPlan.fromSeed(seed, nodes, ALL, 6, damaged);
            seen.addAll(p.mix());
            if (p.faults().isEmpty()) {
                empty++;
                assertTrue(p.mix().isEmpty(), "only an empty mix gives no faults");
                continue;
            }
            assertTrue(p.faults().size() <= 6);
            assertEquals(damaged, p.victims().size());
            assertTrue(p.victims().stream().allMatch(v -> v >= 0 && v < nodes));
            for (ClusterFaultPlan.Fault f : p.faults()) {
                assertTrue(f.gap().toMillis() < 500);
                switch (f) {
                    case ClusterFaultPlan.Split s -> assertTrue(s.minority() >= 1 && s.minority() <= (nodes - 1) / 2, s.toString());
                    case ClusterFaultPlan.Crash c -> assertTrue(c.node() < nodes);
                    case ClusterFaultPlan.Pause x -> assertTrue(x.node() < nodes);
                    default -> { }
                }
            }
        }
        assertEquals(EnumSet.allOf(ClusterFaultPlan.Kind.class), seen);
        assertTrue(empty < 10, "about one seed in 256 draws no kind: " + empty);
    }

    @Test
    void noVictimsMeansNoDamageAtRest() {
        for (long seed = 1; seed <= 200; seed++) {
            for (ClusterFaultPlan.Fault f : ClusterFaultPlan.fromSeed(seed, 3, List.of(ClusterFaultPlan.Kind.DISK), 6, 0).faults()) {
                assertTrue(f instanceof ClusterFaultPlan.Crash, f.toString());
            }
        }
    }
}
