package io.weft.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.sim.world.CorePubSub;
import io.weft.sim.world.History;
import io.weft.sim.world.SimClient;
import io.weft.sim.world.SimResult;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class CorePubSubTest {
    private final CorePubSub scenario = new CorePubSub(CorePubSub.Config.defaults());

    @Test
    void seedsOneToFiftyPass() {
        long messages = 0;
        for (long seed = 1; seed <= 50; seed++) {
            SimResult r = scenario.run(seed, null);
            assertTrue(r.passed(), r.line() + " " + r.failures());
            messages += r.history().stream().filter(e -> e.op().equals("msg")).count();
        }
        assertTrue(messages > 50 * 20, "the workload must actually deliver messages: " + messages);
    }

    @Test
    void sameSeedSameTraceTwice() {
        List<String> logA = new ArrayList<>();
        List<String> logB = new ArrayList<>();
        SimResult a = scenario.run(42, logA::add);
        SimResult b = scenario.run(42, logB::add);
        assertEquals(a.traceHash(), b.traceHash());
        assertEquals(a.history(), b.history());
        assertEquals(logA, logB);
    }

    @Test
    void twentySeedsGiveTwentyTraces() {
        Set<Long> hashes = new HashSet<>();
        for (long seed = 1; seed <= 20; seed++) {
            hashes.add(scenario.run(seed, null).traceHash());
        }
        assertEquals(20, hashes.size());
    }

    @Test
    void aClientThatDropsOneMessageIsCaught() {
        boolean[] dropped = new boolean[1];
        SimClient.DeliveryTap dropFirst = (client, d) -> {
            if (client == 0 && !dropped[0]) {
                dropped[0] = true;
                return false;
            }
            return true;
        };
        CorePubSub broken = new CorePubSub(CorePubSub.Config.defaults().withTap(dropFirst));
        SimResult r = broken.run(7, null);
        assertTrue(dropped[0], "the tap must have seen a message");
        assertFalse(r.passed());
        assertTrue(r.failures().toString().contains("client 0") && r.failures().toString().contains("never got"),
                r.failures().toString());
        assertTrue(r.line().endsWith("result fail"));
    }

    @Test
    void resetScenarioPassesAndReallyCutsTraffic() {
        CorePubSub reset = new CorePubSub(CorePubSub.Config.defaults().withReset());
        int cutMidRun = 0;
        for (long seed = 1; seed <= 30; seed++) {
            SimResult r = reset.run(seed, null);
            assertTrue(r.passed(), r.line() + " " + r.failures());
            assertTrue(r.history().stream().anyMatch(e -> e.op().equals("reset")), "the nemesis must act");
            if (r.history().stream().anyMatch(e -> e.type() == History.Type.FAIL)) {
                cutMidRun++;
            }
        }
        assertTrue(cutMidRun > 0, "some seeds must reset a client while it still had work to do");
    }
}
