package io.weft.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.sim.world.CorePubSub;
import io.weft.sim.world.SimResult;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class CorePubSubTest {
    private final CorePubSub scenario = new CorePubSub(CorePubSub.Config.defaults());

    @Test
    void oneSeedPasses() {
        SimResult r = scenario.run(1, null);
        assertTrue(r.passed(), r.failures().toString());
        assertFalse(r.history().isEmpty());
    }

    @Test
    void sameSeedSameTraceTwice() {
        SimResult a = scenario.run(42, null);
        SimResult b = scenario.run(42, null);
        assertEquals(a.traceHash(), b.traceHash());
        assertEquals(a.history(), b.history());
    }

    @Test
    void twentySeedsGiveTwentyTraces() {
        Set<Long> hashes = new HashSet<>();
        for (long seed = 1; seed <= 20; seed++) {
            hashes.add(scenario.run(seed, null).traceHash());
        }
        assertEquals(20, hashes.size());
    }
}
