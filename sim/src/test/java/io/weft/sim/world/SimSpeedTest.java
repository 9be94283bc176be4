package io.weft.sim.world;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class SimSpeedTest {
    private final SimSpeed small = new SimSpeed(SimSpeed.Config.defaults().withMessages(10));

    @Test
    void seedsPass() {
        List<SimResult> rs = ScenarioSupport.seedsPass(small, 1, 10);
        for (SimResult r : rs) {
            assertTrue(r.workloadNanos() > 200_000_000L, "the workload is paced: " + r.workloadNanos());
            assertTrue(ScenarioSupport.count(r, "msg") > 20 * 10, "messages must flow: " + r.line());
        }
    }

    @Test
    void sameSeedSameTrace() {
        ScenarioSupport.sameSeedSameTrace(small, 7);
    }
}
