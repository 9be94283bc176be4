package io.weft.sim.world;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class CoreQueueGroupsTest {
    private final CoreQueueGroups scenario = new CoreQueueGroups(CoreQueueGroups.Config.defaults());

    @Test
    void seedsOneToFiftyPass() {
        List<SimResult> rs = ScenarioSupport.seedsPass(scenario, 1, 50);
        long unsubs = rs.stream().mapToLong(r -> ScenarioSupport.count(r, "unsub")).sum();
        assertTrue(unsubs > 50 * 2, "members must leave and rejoin: " + unsubs);
        // deliveries to churning members (sid > 1 means a rejoin) happen in some seeds
        boolean rejoinedGotWork = rs.stream().anyMatch(r -> r.history().stream()
                .anyMatch(e -> e.op().equals("msg") && !e.value().startsWith("1 ") && !e.value().startsWith("w ")));
        assertTrue(rejoinedGotWork, "a member that rejoined must get some work");
    }

    @Test
    void sameSeedSameTrace() {
        ScenarioSupport.sameSeedSameTrace(scenario, 42);
    }

    @Test
    void aMessageLostToAGroupIsCaught() {
        boolean[] dropped = new boolean[1];
        SimClient.DeliveryTap dropOne = (client, d) -> {
            if (!dropped[0] && !d.sid().equals("w")) {
                dropped[0] = true;
                return false;
            }
            return true;
        };
        SimResult r = new CoreQueueGroups(CoreQueueGroups.Config.defaults().withTap(dropOne)).run(9, null);
        assertTrue(dropped[0]);
        assertFalse(r.passed());
        assertTrue(r.failures().toString().contains("0 times"), r.failures().toString());
    }
}
