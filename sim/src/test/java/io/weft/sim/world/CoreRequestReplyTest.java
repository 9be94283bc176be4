package io.weft.sim.world;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class CoreRequestReplyTest {
    private final CoreRequestReply scenario = new CoreRequestReply(CoreRequestReply.Config.defaults());

    @Test
    void seedsOneToFiftyPass() {
        List<SimResult> rs = ScenarioSupport.seedsPass(scenario, 1, 50);
        long noResponders = rs.stream().mapToLong(r -> r.history().stream()
                .filter(e -> e.op().equals("hmsg") && e.value().contains("NATS/1.0 503")).count()).sum();
        long replies = rs.stream().mapToLong(r -> ScenarioSupport.count(r, "msg")).sum();
        assertTrue(noResponders > 50, "requests to svc.none must get 503s: " + noResponders);
        assertTrue(replies > 50 * 10, "requests must be answered: " + replies);
    }

    @Test
    void sameSeedSameTrace() {
        ScenarioSupport.sameSeedSameTrace(scenario, 42);
    }

    @Test
    void aLostReplyIsCaught() {
        boolean[] dropped = new boolean[1];
        SimClient.DeliveryTap dropOneReply = (client, d) -> {
            if (!dropped[0] && d.subject().startsWith("_INBOX.") && d.payload().startsWith("r")) {
                dropped[0] = true;
                return false;
            }
            return true;
        };
        SimResult r = new CoreRequestReply(CoreRequestReply.Config.defaults().withTap(dropOneReply)).run(3, null);
        assertTrue(dropped[0]);
        assertFalse(r.passed());
        assertTrue(r.failures().toString().contains("got no answer"), r.failures().toString());
    }

    @Test
    void aLost503IsCaught() {
        boolean[] dropped = new boolean[1];
        SimClient.DeliveryTap drop503 = (client, d) -> {
            if (!dropped[0] && d.subject().startsWith("_INBOX.") && d.payload().isEmpty()) {
                dropped[0] = true;
                return false;
            }
            return true;
        };
        SimResult r = new CoreRequestReply(CoreRequestReply.Config.defaults().withTap(drop503)).run(5, null);
        assertTrue(dropped[0]);
        assertFalse(r.passed());
    }
}
