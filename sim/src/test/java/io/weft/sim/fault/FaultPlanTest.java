package io.weft.sim.fault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class FaultPlanTest {
    @Test
    void theSeedDecidesThePlan() {
        for (long seed = 1; seed <= 50; seed++) {
            assertEquals(FaultPlan.fromSeed(seed), FaultPlan.fromSeed(seed));
            assertEquals(FaultPlan.fromSeed(seed).toString(), FaultPlan.fromSeed(seed).toString());
        }
    }

    @Test
    void seedsSpreadOverMixesIncludingNone() {
        Set<String> mixes = new HashSet<>();
        EnumSet<FaultPlan.Kind> used = EnumSet.noneOf(FaultPlan.Kind.class);
        int none = 0;
        for (long seed = 1; seed <= 300; seed++) {
            FaultPlan p = FaultPlan.fromSeed(seed);
            mixes.add(p.mix().toString());
            if (p.faults().isEmpty()) {
                none++;
                assertTrue(p.mix().isEmpty());
            }
            for (FaultPlan.Fault f : p.faults()) {
                FaultPlan.Kind k = switch (f) {
                    case FaultPlan.Reset r -> FaultPlan.Kind.RESETS;
                    case FaultPlan.CrashRestart c -> FaultPlan.Kind.CRASH_RESTART;
                    case FaultPlan.Pause q -> FaultPlan.Kind.PAUSE;
                    case FaultPlan.Skew s -> FaultPlan.Kind.SKEW;
                    case FaultPlan.Partition q -> FaultPlan.Kind.PARTITION;
                    case FaultPlan.AtRest a -> a.truncate() ? FaultPlan.Kind.TRUNCATE : FaultPlan.Kind.BIT_FLIP;
                    case FaultPlan.DiskFull d -> FaultPlan.Kind.ENOSPC;
                };
                assertTrue(p.has(k), "a fault outside the seed's mix: " + p);
                used.add(k);
            }
        }
        assertEquals(32, mixes.size(), "every subset of the five kinds is some seed's mix");
        assertEquals(EnumSet.copyOf(FaultPlan.CORE), used);
        assertTrue(none > 2 && none < 25, "about one seed in thirty-two has no faults: " + none);
    }

    /** Disk faults (at rest, a full disk) come only with WITH_DISK, and CORE plans are what fromSeed always gave. */
    @Test
    void diskFaultsOnlyWhenAskedFor() {
        EnumSet<FaultPlan.Kind> used = EnumSet.noneOf(FaultPlan.Kind.class);
        for (long seed = 1; seed <= 300; seed++) {
            assertEquals(FaultPlan.fromSeed(seed), FaultPlan.fromSeed(seed, FaultPlan.CORE));
            for (FaultPlan.Fault f : FaultPlan.fromSeed(seed, FaultPlan.WITH_DISK).faults()) {
                if (f instanceof FaultPlan.AtRest a) {
                    used.add(a.truncate() ? FaultPlan.Kind.TRUNCATE : FaultPlan.Kind.BIT_FLIP);
                    assertTrue(a.down().toNanos() >= 100_000L && a.down().toNanos() <= 30_100_000L, a.toString());
                } else if (f instanceof FaultPlan.DiskFull d) {
                    used.add(FaultPlan.Kind.ENOSPC);
                    assertTrue(d.length().toNanos() >= 100_000L && d.length().toNanos() <= 30_100_000L, d.toString());
                }
            }
        }
        assertEquals(EnumSet.of(FaultPlan.Kind.BIT_FLIP, FaultPlan.Kind.TRUNCATE, FaultPlan.Kind.ENOSPC), used);
    }
}
