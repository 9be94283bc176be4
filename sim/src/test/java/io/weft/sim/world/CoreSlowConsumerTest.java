package io.weft.sim.world;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class CoreSlowConsumerTest {
    private final CoreSlowConsumer scenario = new CoreSlowConsumer(CoreSlowConsumer.Config.defaults());

    @Test
    void seedsOneToFiftyPass() {
        List<SimResult> rs = ScenarioSupport.seedsPass(scenario, 1, 50);
        for (SimResult r : rs) {
            assertTrue(r.history().stream().anyMatch(e -> e.op().equals("slow") && e.value().startsWith("cut after")),
                    "the slow client must be cut in " + r.line());
        }
    }

    @Test
    void sameSeedSameTrace() {
        ScenarioSupport.sameSeedSameTrace(scenario, 42);
    }

    @Test
    void withoutASmallMaxPendingTheStalledClientIsNotCutAndTheCheckSaysSo() {
        SimResult r = new CoreSlowConsumer(CoreSlowConsumer.Config.defaults().withLimits(64L * 1024 * 1024, java.time.Duration.ofHours(1)))
                .run(1, null);
        assertFalse(r.passed());
        assertTrue(r.failures().toString().contains("slow consumer must be cut"), r.failures().toString());
    }
}
