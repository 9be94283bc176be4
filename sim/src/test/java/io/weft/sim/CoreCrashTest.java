package io.weft.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.sim.fault.FaultPlan;
import io.weft.sim.world.CoreCrash;
import io.weft.sim.world.SimResult;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class CoreCrashTest {
    private final CoreCrash scenario = new CoreCrash(CoreCrash.Config.defaults());

    @Test
    void explore() {
        for (long seed = 1; seed <= 40; seed++) {
            SimResult r = scenario.run(seed, null);
            long crashes = r.history().stream().filter(e -> e.op().equals("crash")).count();
            long sessions = r.history().stream().filter(e -> e.op().equals("connect") && e.type().name().equals("OK")).count();
            long msgs = r.history().stream().filter(e -> e.op().equals("msg")).count();
            System.out.println(r.line() + " " + FaultPlan.fromSeed(seed) + " crashes=" + crashes + " sessions=" + sessions
                    + " msgs=" + msgs + " real=" + r.realNanos() / 1_000_000 + "ms " + r.failures());
        }
    }
}
