package io.weft.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.sim.fault.FaultPlan;
import io.weft.sim.world.CoreCrash;
import io.weft.sim.world.History;
import io.weft.sim.world.Scenarios;
import io.weft.sim.world.SimClient;
import io.weft.sim.world.SimResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class CoreCrashTest {
    private final CoreCrash scenario = new CoreCrash(CoreCrash.Config.defaults());

    private static long count(SimResult r, String op) {
        return r.history().stream().filter(e -> e.op().equals(op)).count();
    }

    @Test
    void seedsOneToSixtyPassUnderTheirFaultPlans() {
        int crashed = 0;
        int paused = 0;
        int reset = 0;
        int partitioned = 0;
        int reconnectedClients = 0;
        int hitMidWork = 0;
        for (long seed = 1; seed <= 60; seed++) {
            SimResult r = scenario.run(seed, null);
            assertTrue(r.passed(), r.line() + " " + FaultPlan.fromSeed(seed) + " " + r.failures());
            crashed += count(r, "crash") > 0 ? 1 : 0;
            paused += count(r, "pause") > 0 ? 1 : 0;
            reset += count(r, "reset") > 0 ? 1 : 0;
            partitioned += count(r, "partition") > 0 ? 1 : 0;
            long sessions = r.history().stream()
                    .filter(e -> e.op().equals("connect") && e.type() == History.Type.OK).count();
            reconnectedClients += (int) (sessions - 5);
            if (r.history().stream().anyMatch(e -> e.type() == History.Type.FAIL
                    && (e.op().equals("pub") || e.op().equals("flush")))) {
                hitMidWork++;
            }
            assertTrue(count(r, "msg") > 100, r.line() + " delivered only " + count(r, "msg"));
        }
        assertTrue(crashed > 10 && paused > 10 && reset > 10 && partitioned > 10,
                crashed + " " + paused + " " + reset + " " + partitioned);
        assertTrue(reconnectedClients > 60, "clients must really reconnect: " + reconnectedClients);
        System.out.println("core-crash seeds 1..60: " + hitMidWork + " hit a client mid-publish or mid-flush");
        assertTrue(hitMidWork > 15, "faults must strike while clients work, not only after: " + hitMidWork);
    }

    @Test
    void sameSeedSameTraceTwiceAndThePlanIsInTheTrace() {
        List<String> logA = new ArrayList<>();
        List<String> logB = new ArrayList<>();
        SimResult a = scenario.run(1, logA::add);
        SimResult b = scenario.run(1, logB::add);
        assertEquals(a.traceHash(), b.traceHash());
        assertEquals(a.history(), b.history());
        assertEquals(logA, logB);
        String plan = FaultPlan.fromSeed(1).toString();
        assertTrue(logA.stream().anyMatch(l -> l.endsWith(" " + plan)), plan);
        assertTrue(logA.stream().anyMatch(l -> l.contains("n1 crashed")), "seed 1 crashes the server");
    }

    @Test
    void registeredUnderItsName() {
        assertEquals(CoreCrash.NAME, Scenarios.byName("core-crash").orElseThrow().name());
        var small = Scenarios.byName("core-crash", java.util.Map.of("clients", "2", "messages", "5")).orElseThrow();
        assertTrue(small.description().contains("2 reconnecting clients"), small.description());
        SimResult r = small.run(9, null);
        assertTrue(r.passed(), r.failures().toString());
        assertTrue(r.history().stream().noneMatch(e -> e.process() == 2), "only clients 0 and 1");
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Scenarios.byName("core-crash", java.util.Map.of("subjects", "3")));
    }

    /** Without faults every message must reach every matching subscription: one dropped delivery is caught. */
    @Test
    void aDroppedDeliveryIsCaughtWithoutFaults() {
        boolean[] dropped = new boolean[1];
        // the first delivery to client 0 once the run is well under way (by then its SUBs were
        // acknowledged, so the message is owed whatever the link timings)
        SimClient.DeliveryTap dropFirst = (client, d) -> {
            if (client == 0 && !dropped[0] && d.time() > Duration.ofMillis(40).toNanos()) {
                dropped[0] = true;
                return false;
            }
            return true;
        };
        CoreCrash broken = new CoreCrash(CoreCrash.Config.defaults().withPlans(s -> FaultPlan.none()).withTap(dropFirst));
        SimResult r = broken.run(3, null);
        assertTrue(dropped[0]);
        assertFalse(r.passed());
        assertTrue(r.failures().toString().contains("client 0 session 1") && r.failures().toString().contains("never got"),
                r.failures().toString());
    }

    /** After a crash and restart, messages flushed to a resubscribed, live session are still owed. */
    @Test
    void aDroppedDeliveryAfterACrashAndReconnectIsCaught() {
        FaultPlan crashEarly = new FaultPlan(List.of(FaultPlan.Kind.CRASH_RESTART),
                List.of(new FaultPlan.CrashRestart(Duration.ofMillis(10), Duration.ofMillis(5))));
        boolean[] dropped = new boolean[1];
        SimClient.DeliveryTap dropLate = (client, d) -> {
            if (client == 0 && !dropped[0] && d.time() > Duration.ofMillis(40).toNanos()) {
                dropped[0] = true;
                return false;
            }
            return true;
        };
        CoreCrash honest = new CoreCrash(CoreCrash.Config.defaults().withPlans(s -> crashEarly));
        SimResult ok = honest.run(5, null);
        assertTrue(ok.passed(), ok.failures().toString());
        assertEquals(1, count(ok, "crash"));

        SimResult r = new CoreCrash(CoreCrash.Config.defaults().withPlans(s -> crashEarly).withTap(dropLate)).run(5, null);
        assertTrue(dropped[0]);
        assertFalse(r.passed());
        assertTrue(r.failures().toString().contains("client 0 session 2") && r.failures().toString().contains("never got"),
                r.failures().toString());
    }
}
