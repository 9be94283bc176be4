package io.weft.sim.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.sim.check.SimRegisterWorkload.AtomicRegister;
import io.weft.sim.check.SimRegisterWorkload.RacyCasRegister;
import io.weft.sim.check.SimRegisterWorkload.Register;
import io.weft.sim.check.SimRegisterWorkload.Run;
import io.weft.sim.check.SimRegisterWorkload.StaleCacheRegister;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Histories produced by client processes under the simulator: a correct register always passes,
 * broken ones are caught within a bounded number of seeds.
 */
@Timeout(30)
class RegisterUnderSimTest {

    private static final RegisterModel MODEL = new RegisterModel();

    @Test
    void aCorrectRegisterAlwaysPasses() {
        for (long seed = 1; seed <= 100; seed++) {
            Run run = SimRegisterWorkload.run(seed, new Register[] {new AtomicRegister()}, 6, 15);
            Linearizability.Result r = Linearizability.check(MODEL, run.history());
            assertTrue(r.linearizable(), "seed " + seed + ": " + r.describe() + "\n" + run.history().dump());
        }
    }

    @Test
    void aFewHundredOpsFromTenProcessesCheckQuickly() {
        for (long seed = 1; seed <= 5; seed++) {
            Run run = SimRegisterWorkload.run(seed, new Register[] {new AtomicRegister()}, 10, 30);
            long t0 = System.nanoTime();
            Linearizability.Result r = Linearizability.check(MODEL, run.history());
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(r.linearizable(), "seed " + seed + ": " + r.describe());
            System.out.println("register seed " + seed + ": " + run.history().size() + " events, "
                    + r.steps() + " steps, " + ms + " ms");
        }
    }

    @Test
    void keyedRegistersPartitionByKey() {
        for (long seed = 1; seed <= 20; seed++) {
            Register[] regs = {new AtomicRegister(), new AtomicRegister(), new AtomicRegister(), new AtomicRegister()};
            Run run = SimRegisterWorkload.run(seed, regs, 10, 40);
            Linearizability.Result r = Linearizability.check(new KeyedModel<>(MODEL), run.history());
            assertTrue(r.linearizable(), "seed " + seed + ": " + r.describe());
        }
        // one broken key among correct ones is found, and the report names its key
        Linearizability.Result bad = null;
        for (long seed = 1; seed <= 200 && bad == null; seed++) {
            Register[] regs = {new AtomicRegister(), new RacyCasRegister(), new AtomicRegister()};
            Run run = SimRegisterWorkload.run(seed, regs, 10, 30);
            Linearizability.Result r = Linearizability.check(new KeyedModel<>(MODEL), run.history());
            if (!r.linearizable()) {
                bad = r;
            }
        }
        assertTrue(bad != null, "the racy key was never caught");
        assertEquals(1L, KeyedModel.keyOf(bad.stuck()), bad.describe());
    }

    @Test
    void sameSeedSameHistory() {
        Run a = SimRegisterWorkload.run(17, new Register[] {new AtomicRegister()}, 10, 20);
        Run b = SimRegisterWorkload.run(17, new Register[] {new AtomicRegister()}, 10, 20);
        assertEquals(a.history().dump(), b.history().dump());
        assertEquals(a.traceHash(), b.traceHash());
        Run c = SimRegisterWorkload.run(18, new Register[] {new AtomicRegister()}, 10, 20);
        assertFalse(a.history().dump().equals(c.history().dump()));
    }

    @Test
    void aRacyCasIsCaught() {
        long seed = firstFailingSeed("racy cas", RacyCasRegister::new);
        assertTrue(seed <= 200);
    }

    @Test
    void aStaleReadCacheIsCaught() {
        long seed = firstFailingSeed("stale cache", StaleCacheRegister::new);
        assertTrue(seed <= 200);
    }

    private static long firstFailingSeed(String what, Supplier<Register> broken) {
        for (long seed = 1; seed <= 200; seed++) {
            Run run = SimRegisterWorkload.run(seed, new Register[] {broken.get()}, 6, 15);
            Linearizability.Result r = Linearizability.check(MODEL, run.history());
            assertTrue(r.verdict() != Linearizability.Verdict.UNKNOWN, "seed " + seed + " ran out of budget");
            if (!r.linearizable()) {
                System.out.println(what + ": first failing seed " + seed + "\n" + r.describe());
                return seed;
            }
        }
        throw new AssertionError(what + " was not caught within seeds 1..200");
    }
}
