package io.weft.sim.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(20)
class LinearizabilityTest {

    private static final RegisterModel REG = new RegisterModel();

    private static Linearizability.Result reg(OpHistory h) {
        return Linearizability.check(REG, h);
    }

    private static void assertNotLinearizable(Linearizability.Result r, String stuckF) {
        assertEquals(Linearizability.Verdict.NOT_LINEARIZABLE, r.verdict(), r.describe());
        assertNotNull(r.stuck(), r.describe());
        assertEquals(stuckF, r.stuck().f(), r.describe());
    }

    // ------------------------------------------------------------------ known bad

    @Test
    void staleReadIsRejected() {
        OpHistory h = new OpHistory()
                .invoke(0, "write", 1).ok(0, "write", null)
                .invoke(0, "write", 2).ok(0, "write", null)
                .invoke(1, "read", null).ok(1, "read", 1);
        Linearizability.Result r = reg(h);
        assertNotLinearizable(r, "read");
        assertEquals(2, r.linearization().size(), "both writes are a linearizable prefix: " + r.describe());
    }

    @Test
    void lostWriteIsRejected() {
        // write 1 acknowledged, then every later read sees nothing
        OpHistory h = new OpHistory()
                .invoke(0, "write", 1).ok(0, "write", null)
                .invoke(1, "read", null).ok(1, "read", null);
        assertNotLinearizable(reg(h), "read");
    }

    @Test
    void casFromWrongValueIsRejected() {
        OpHistory h = new OpHistory()
                .invoke(0, "write", 1).ok(0, "write", null)
                .invoke(1, "cas", List.of(2, 3)).ok(1, "cas", null);
        assertNotLinearizable(reg(h), "cas");
    }

    @Test
    void concurrentWritesSeenInTwoOrdersAreRejected() {
        // writes 1 and 2 overlap; one reader sees 1 then 2, another 2 then 1, all after both ended
        OpHistory h = new OpHistory()
                .invoke(0, "write", 1).invoke(1, "write", 2)
                .ok(0, "write", null).ok(1, "write", null)
                .invoke(2, "read", null).invoke(3, "read", null)
                .ok(2, "read", 1).ok(3, "read", 2)
                .invoke(2, "read", null).invoke(3, "read", null)
                .ok(2, "read", 2).ok(3, "read", 1);
        assertFalse(reg(h).linearizable(), reg(h).describe());
    }

    @Test
    void readOfAValueNeverWrittenIsRejected() {
        OpHistory h = new OpHistory().invoke(0, "read", null).ok(0, "read", 9);
        assertNotLinearizable(reg(h), "read");
    }

    @Test
    void aFailedWriteDoesNotTakeEffect() {
        OpHistory h = new OpHistory()
                .invoke(0, "write", 1).fail(0, "write", null)
                .invoke(1, "read", null).ok(1, "read", 1);
        assertNotLinearizable(reg(h), "read");
    }

    @Test
    void anInfoWriteCannotTakeEffectBeforeItsInvoke() {
        OpHistory h = new OpHistory()
                .invoke(1, "read", null).ok(1, "read", 5)
                .invoke(0, "write", 5).info(0, "write", null);
        assertFalse(reg(h).linearizable());
    }

    @Test
    void anInfoWriteTakesEffectAtMostOnce() {
        OpHistory h = new OpHistory()
                .invoke(0, "write", 5).info(0, "write", null)
                .invoke(1, "read", null).ok(1, "read", 5)
                .invoke(1, "write", 6).ok(1, "write", null)
                .invoke(1, "read", null).ok(1, "read", 5);
        assertNotLinearizable(reg(h), "read");
    }

    // ------------------------------------------------------------------ known good

    @Test
    void overlappingOperationsMayTakeEffectInEitherOrder() {
        OpHistory h = new OpHistory()
                .invoke(0, "write", 1)
                .invoke(1, "read", null)
                .invoke(2, "write", 2)
                .ok(1, "read", 2)
                .ok(0, "write", null)
                .ok(2, "write", null)
                .invoke(1, "read", null).ok(1, "read", 1);
        Linearizability.Result r = reg(h);
        assertTrue(r.linearizable(), r.describe());
        // write 2, read 2, write 1, read 1
        assertEquals(List.of("write", "read", "write", "read"), r.linearization().stream().map(Operation::f).toList());
        assertEquals(2L, r.linearization().get(0).input());
    }

    @Test
    void casChainIsAccepted() {
        OpHistory h = new OpHistory()
                .invoke(0, "write", 0).ok(0, "write", null)
                .invoke(1, "cas", List.of(0, 1)).invoke(2, "cas", List.of(1, 2))
                .ok(2, "cas", null).ok(1, "cas", null)
                .invoke(0, "read", null).ok(0, "read", 2)
                .invoke(1, "cas", List.of(1, 3)).fail(1, "cas", null);
        assertTrue(reg(h).linearizable(), reg(h).describe());
    }

    @Test
    void infoOperationsMayTakeEffectLateOrNever() {
        OpHistory late = new OpHistory()
                .invoke(0, "write", 1).info(0, "write", null)
                .invoke(1, "read", null).ok(1, "read", null)
                .invoke(1, "read", null).ok(1, "read", 1)
                .invoke(1, "read", null).ok(1, "read", 1);
        assertTrue(reg(late).linearizable(), reg(late).describe());
        OpHistory never = new OpHistory()
                .invoke(0, "write", 1).info(0, "write", null)
                .invoke(0, "cas", List.of(7, 8))
                .invoke(1, "read", null).ok(1, "read", null);
        assertTrue(reg(never).linearizable(), reg(never).describe());
    }

    @Test
    void anIndeterminateCasExplainsALaterRead() {
        OpHistory h = new OpHistory()
                .invoke(0, "write", 1).ok(0, "write", null)
                .invoke(1, "cas", List.of(1, 2)).info(1, "cas", null)
                .invoke(2, "read", null).ok(2, "read", 2);
        assertTrue(reg(h).linearizable());
    }

    @Test
    void emptyHistoryIsLinearizable() {
        assertTrue(reg(new OpHistory()).linearizable());
    }

    // ------------------------------------------------------------------ append log

    @Test
    void appendLogChecksSequencesAndReads() {
        AppendLogModel log = new AppendLogModel();
        OpHistory good = new OpHistory()
                .invoke(0, "append", "a").invoke(1, "append", "b")
                .ok(1, "append", 1).ok(0, "append", 2)
                .invoke(2, "read", null).ok(2, "read", List.of("b", "a"));
        assertTrue(Linearizability.check(log, good).linearizable());
        OpHistory badSeq = new OpHistory()
                .invoke(0, "append", "a").ok(0, "append", 1)
                .invoke(1, "append", "b").ok(1, "append", 1);
        assertNotLinearizable(Linearizability.check(log, badSeq), "append");
        OpHistory badRead = new OpHistory()
                .invoke(0, "append", "a").ok(0, "append", 1)
                .invoke(0, "append", "b").ok(0, "append", 2)
                .invoke(2, "read", null).ok(2, "read", List.of("b", "a"));
        assertNotLinearizable(Linearizability.check(log, badRead), "read");
        OpHistory infoAppend = new OpHistory()
                .invoke(0, "append", "a").info(0, "append", null)
                .invoke(1, "append", "b").ok(1, "append", 2)
                .invoke(2, "read", null).ok(2, "read", List.of("a", "b"));
        assertTrue(Linearizability.check(log, infoAppend).linearizable());
    }

    // ------------------------------------------------------------------ keyed

    @Test
    void keyedModelChecksEachKeyOnItsOwn() {
        KeyedModel<RegisterModel.State> kv = new KeyedModel<>(REG);
        OpHistory good = new OpHistory()
                .invoke(0, "write", new KV("x", 1)).invoke(1, "write", new KV("y", 2))
                .ok(0, "write", null).ok(1, "write", null)
                .invoke(0, "read", new KV("y", null)).ok(0, "read", new KV("y", 2))
                .invoke(1, "read", new KV("x", null)).ok(1, "read", 1);
        assertTrue(Linearizability.check(kv, good).linearizable());
        OpHistory bad = new OpHistory()
                .invoke(0, "write", new KV("x", 1)).ok(0, "write", null)
                .invoke(1, "read", new KV("y", null)).ok(1, "read", 1);
        Linearizability.Result r = Linearizability.check(kv, bad);
        assertNotLinearizable(r, "read");
        assertEquals(new KV("y", null), r.stuck().input(), "the report keeps the key: " + r.describe());
    }

    // ------------------------------------------------------------------ random

    @Test
    void randomSequentialHistoriesAlwaysPass() {
        for (long seed = 1; seed <= 300; seed++) {
            SplittableRandom rnd = new SplittableRandom(seed);
            OpHistory h = new OpHistory();
            Object value = null;
            int n = 1 + rnd.nextInt(60);
            for (int i = 0; i < n; i++) {
                int p = rnd.nextInt(5);
                switch (rnd.nextInt(3)) {
                    case 0 -> {
                        h.invoke(p, "read", null).ok(p, "read", value);
                    }
                    case 1 -> {
                        long v = rnd.nextInt(5);
                        h.invoke(p, "write", v);
                        if (rnd.nextInt(8) == 0) {
                            // indeterminate: may or may not have happened
                            h.info(p, "write", null);
                            if (rnd.nextBoolean()) {
                                value = v;
                            }
                        } else {
                            h.ok(p, "write", null);
                            value = v;
                        }
                    }
                    default -> {
                        long exp = rnd.nextInt(5);
                        long nv = rnd.nextInt(5);
                        h.invoke(p, "cas", List.of(exp, nv));
                        if (value != null && value.equals(exp)) {
                            h.ok(p, "cas", null);
                            value = nv;
                        } else {
                            h.fail(p, "cas", null);
                        }
                    }
                }
            }
            Linearizability.Result r = reg(h);
            assertTrue(r.linearizable(), "seed " + seed + ": " + r.describe() + "\n" + h.dump());
        }
    }

    @Test
    void stepBudgetGivesUnknown() {
        OpHistory h = new OpHistory();
        for (int p = 0; p < 8; p++) {
            h.invoke(p, "write", p);
        }
        for (int p = 0; p < 8; p++) {
            h.ok(p, "write", null);
        }
        h.invoke(0, "read", null).ok(0, "read", 99);
        Linearizability.Result r = Linearizability.check(REG, h.operations(), 10);
        assertEquals(Linearizability.Verdict.UNKNOWN, r.verdict());
        assertEquals(Linearizability.Verdict.NOT_LINEARIZABLE, reg(h).verdict());
    }

    @Test
    void operationsPairInvokesWithCompletions() {
        OpHistory h = new OpHistory()
                .invoke(0, "write", 1)
                .invoke(1, "read", null)
                .ok(1, "read", 1)
                .invoke(0, "write", 2) // process 0 never completed its first write
                .fail(0, "write", null)
                .invoke(2, "cas", List.of(1, 2)).info(2, "cas", null)
                .invoke(3, "read", null);
        List<Operation> ops = h.operations();
        List<String> shown = new ArrayList<>();
        ops.forEach(o -> shown.add(o.toString()));
        assertEquals(List.of(
                "#0 p0 write 1 -> ? [0, inf]",
                "#1 p1 read nil -> 1 [1, 2]",
                "#2 p2 cas [1 2] -> ? [5, inf]",
                "#3 p3 read nil -> ? [7, inf]"), shown);
    }
}
