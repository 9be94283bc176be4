package io.weft.sim.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The search's pruning (memo, info subsumption, dropped info reads) must not change verdicts:
 * on small random histories, many of them not linearizable, it agrees with a brute force that
 * tries every order of every subset of the info operations.
 */
class BruteForceCrossCheckTest {

    private static final RegisterModel MODEL = new RegisterModel();

    /** Random overlapping ops with random (often wrong) read results, some info, some fail. */
    private static OpHistory randomHistory(SplittableRandom rnd) {
        OpHistory h = new OpHistory();
        int processes = 2 + rnd.nextInt(3);
        int[] phase = new int[processes];
        String[] f = new String[processes];
        int total = 3 + rnd.nextInt(5);
        int infoOdds = 2 + rnd.nextInt(9);
        int invoked = 0;
        for (int guard = 0; guard < 200; guard++) {
            int p = rnd.nextInt(processes);
            if (phase[p] == 0 && invoked < total) {
                int kind = rnd.nextInt(3);
                f[p] = kind == 0 ? "read" : kind == 1 ? "write" : "cas";
                Object in = kind == 0 ? null : kind == 1 ? (Object) (long) rnd.nextInt(3)
                        : List.of((long) rnd.nextInt(3), (long) rnd.nextInt(3));
                h.invoke(p, f[p], in);
                invoked++;
                phase[p] = 1;
            } else if (phase[p] == 1) {
                if (rnd.nextInt(infoOdds) == 0) {
                    h.info(p, f[p], null);
                } else if (rnd.nextInt(4) == 0 && f[p].equals("cas")) {
                    h.fail(p, f[p], null);
                } else {
                    Object out = f[p].equals("read") ? (rnd.nextInt(4) == 0 ? null : (Object) (long) rnd.nextInt(3)) : null;
                    h.ok(p, f[p], out);
                }
                phase[p] = 0;
            }
        }
        return h;
    }

    private static boolean bruteForce(List<Operation> ops) {
        return search(ops, new boolean[ops.size()], MODEL.init());
    }

    private static boolean search(List<Operation> ops, boolean[] done, RegisterModel.State state) {
        boolean allDeterminateDone = true;
        for (int i = 0; i < ops.size(); i++) {
            allDeterminateDone &= done[i] || ops.get(i).indeterminate();
        }
        if (allDeterminateDone) {
            return true;
        }
        for (int i = 0; i < ops.size(); i++) {
            if (done[i]) {
                continue;
            }
            Operation o = ops.get(i);
            // o may go next only if no other pending op returned before o was called
            boolean allowed = true;
            for (int j = 0; j < ops.size(); j++) {
                if (!done[j] && j != i && ops.get(j).ret() < o.call()) {
                    allowed = false;
                }
            }
            if (!allowed) {
                continue;
            }
            Optional<RegisterModel.State> next = MODEL.step(state, o);
            if (next.isPresent()) {
                done[i] = true;
                boolean ok = search(ops, done, next.get());
                done[i] = false;
                if (ok) {
                    return true;
                }
            }
        }
        return false;
    }

    @Test
    void agreesWithBruteForce() {
        int bad = 0;
        int good = 0;
        for (long seed = 1; seed <= 3000; seed++) {
            OpHistory h = randomHistory(new SplittableRandom(seed));
            List<Operation> ops = h.operations();
            boolean expected = bruteForce(ops);
            Linearizability.Result r = Linearizability.check(MODEL, ops);
            assertEquals(expected, r.linearizable(), "seed " + seed + ": " + r.describe() + "\n" + h.dump());
            if (expected) {
                good++;
                assertTrue(isLegal(r.linearization(), ops), "seed " + seed + ": bad witness " + r.linearization());
            } else {
                bad++;
            }
        }
        assertTrue(bad > 300 && good > 300, "both verdicts must be well represented: " + good + " good, " + bad + " bad");
    }

    /** The witness contains every determinate op, respects real time and replays in the model. */
    private static boolean isLegal(List<Operation> order, List<Operation> ops) {
        long determinate = ops.stream().filter(o -> !o.indeterminate()).count();
        if (order.stream().filter(o -> !o.indeterminate()).count() != determinate) {
            return false;
        }
        RegisterModel.State s = MODEL.init();
        List<Operation> placed = new ArrayList<>();
        for (Operation o : order) {
            for (Operation earlier : placed) {
                if (o.ret() < earlier.call()) {
                    return false;
                }
            }
            Optional<RegisterModel.State> next = MODEL.step(s, o);
            if (next.isEmpty()) {
                return false;
            }
            s = next.get();
            placed.add(o);
        }
        return true;
    }
}
