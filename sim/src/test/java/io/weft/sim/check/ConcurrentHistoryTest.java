package io.weft.sim.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Random highly concurrent histories with known linearization points: every process is always
 * busy, so about ten operations overlap at any time. Each operation is invoked, takes effect on a
 * sequential register at a random later step, then returns at a random later step (or never:
 * info). Such histories are linearizable by construction and must pass, quickly.
 */
@Timeout(30)
class ConcurrentHistoryTest {

    /** Per process: 0 idle, 1 invoked, 2 applied (result known), waiting to return. */
    static OpHistory generate(long seed, int processes, int totalOps, boolean withInfo) {
        SplittableRandom rnd = new SplittableRandom(seed);
        OpHistory h = new OpHistory();
        int[] phase = new int[processes];
        String[] f = new String[processes];
        Object[] in = new Object[processes];
        Object[] out = new Object[processes];
        boolean[] ok = new boolean[processes];
        Long value = null;
        int invoked = 0;
        while (true) {
            int p = rnd.nextInt(processes);
            if (phase[p] == 0) {
                if (invoked == totalOps) {
                    boolean allIdle = true;
                    for (int x : phase) {
                        allIdle &= x == 0;
                    }
                    if (allIdle) {
                        return h;
                    }
                    continue;
                }
                int kind = rnd.nextInt(3);
                long a = rnd.nextInt(4);
                long b = rnd.nextInt(4);
                f[p] = kind == 0 ? "read" : kind == 1 ? "write" : "cas";
                in[p] = kind == 0 ? null : kind == 1 ? (Object) a : List.of(a, b);
                h.invoke(p, f[p], in[p]);
                invoked++;
                phase[p] = 1;
            } else if (phase[p] == 1) {
                switch (f[p]) {
                    case "read" -> {
                        out[p] = value;
                        ok[p] = true;
                    }
                    case "write" -> {
                        value = (Long) in[p];
                        ok[p] = true;
                    }
                    default -> {
                        List<?> l = (List<?>) in[p];
                        ok[p] = value != null && value.equals(l.get(0));
                        if (ok[p]) {
                            value = (Long) l.get(1);
                        }
                    }
                }
                phase[p] = 2;
            } else {
                if (withInfo && rnd.nextInt(15) == 0) {
                    h.info(p, f[p], null);
                } else if (ok[p]) {
                    h.ok(p, f[p], f[p].equals("read") ? out[p] : null);
                } else {
                    h.fail(p, f[p], null);
                }
                phase[p] = 0;
            }
        }
    }

    @Test
    void linearizableByConstructionAlwaysPasses() {
        for (long seed = 1; seed <= 200; seed++) {
            OpHistory h = generate(seed, 5, 40, seed % 2 == 0);
            Linearizability.Result r = Linearizability.check(new RegisterModel(), h);
            assertTrue(r.linearizable(), "seed " + seed + ": " + r.describe() + "\n" + h.dump());
            // the linearization found is a legal sequential run of every ok operation
            long oks = h.operations().stream().filter(o -> !o.indeterminate()).count();
            assertTrue(r.linearization().size() >= oks);
        }
    }

    @Test
    void threeHundredOpsFromTenBusyProcesses() {
        List<String> timings = new ArrayList<>();
        for (long seed = 1; seed <= 5; seed++) {
            OpHistory h = generate(seed, 10, 300, true);
            long t0 = System.nanoTime();
            Linearizability.Result r = Linearizability.check(new RegisterModel(), h);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(r.linearizable(), "seed " + seed + ": " + r.describe());
            timings.add("seed " + seed + " " + r.steps() + " steps " + ms + " ms");
        }
        System.out.println("10 busy processes, 300 ops: " + timings);
    }

    @Test
    void aLateCorruptedReadInABigHistoryIsCaughtQuickly() {
        lateCorruptedRead(10, 300, false);
    }

    @Test
    void aLateCorruptedReadAmongInfoOpsIsCaught() {
        // info operations make a failing search much larger (see docs/simulation.md): smaller here
        lateCorruptedRead(6, 100, true);
    }

    private static void lateCorruptedRead(int processes, int total, boolean withInfo) {
        List<String> timings = new ArrayList<>();
        for (long seed = 1; seed <= 5; seed++) {
            List<Op> ops = generate(seed, processes, total, withInfo).ops();
            int last = -1;
            for (int i = 0; i < ops.size(); i++) {
                if (ops.get(i).type() == Op.Type.OK && ops.get(i).f().equals("read")) {
                    last = i;
                }
            }
            OpHistory bad = new OpHistory();
            for (int i = 0; i < ops.size(); i++) {
                Op op = ops.get(i);
                bad.add(i == last ? new Op(op.process(), op.type(), op.f(), 99L, op.time()) : op);
            }
            long t0 = System.nanoTime();
            Linearizability.Result r = Linearizability.check(new RegisterModel(), bad);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(Linearizability.Verdict.NOT_LINEARIZABLE, r.verdict(), "seed " + seed);
            timings.add("seed " + seed + " " + r.steps() + " steps " + ms + " ms, prefix " + r.linearization().size());
        }
        System.out.println(processes + " busy processes, " + total + " ops, info " + withInfo
                + ", last read corrupted: " + timings);
    }

    @Test
    void aCorruptedReadIsCaught() {
        // replace the value of one read by one no write ever wrote
        int caught = 0;
        for (long seed = 1; seed <= 50; seed++) {
            OpHistory h = generate(seed, 8, 100, false);
            List<Op> ops = h.ops();
            OpHistory bad = new OpHistory();
            boolean done = false;
            for (Op op : ops) {
                if (!done && op.type() == Op.Type.OK && op.f().equals("read")) {
                    bad.add(new Op(op.process(), op.type(), op.f(), 99L, op.time()));
                    done = true;
                } else {
                    bad.add(op);
                }
            }
            if (done) {
                Linearizability.Result r = Linearizability.check(new RegisterModel(), bad);
                assertEquals(Linearizability.Verdict.NOT_LINEARIZABLE, r.verdict(), "seed " + seed);
                assertEquals(99L, r.stuck().output());
                caught++;
            }
        }
        assertTrue(caught > 40);
    }
}
