package io.weft.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The sequence index against a TreeMap through growth, dead-prefix shifts and chunk counts. */
class SeqIndexTest {
    @Test
    void agreesWithATreeMapThroughGrowthAndShifts() {
        Random rnd = new Random(9);
        for (int round = 0; round < 4; round++) {
            SeqIndex idx = new SeqIndex(round % 2 == 0);
            TreeMap<Long, Long> model = new TreeMap<>(); // seq -> timestamp
            SubjectSeqs subj = new SubjectSeqs("s");
            long next = 1 + rnd.nextInt(5);
            long ts = 0;
            for (int step = 0; step < 12000; step++) {
                int op = rnd.nextInt(10);
                if (op < 6 || model.isEmpty()) {
                    if (model.isEmpty() && rnd.nextInt(50) == 0) {
                        next += rnd.nextInt(5000); // a skip while empty
                    }
                    ts += rnd.nextInt(3);
                    idx.add(next, next * 7, 1, 1, ts, subj);
                    if (round % 2 == 0) {
                        idx.attach(next, next);
                    }
                    model.put(next, ts);
                    next++;
                } else if (op < 9) {
                    // mostly from the front, as limits and acks remove
                    long victim = rnd.nextInt(4) == 0 ? randomKey(model, rnd) : model.firstKey();
                    idx.kill(victim);
                    model.remove(victim);
                } else if (rnd.nextInt(60) == 0) {
                    check(idx, model, rnd, next, round % 2 == 0);
                }
            }
            check(idx, model, rnd, next, round % 2 == 0);
        }
    }

    private static long randomKey(TreeMap<Long, Long> m, Random rnd) {
        long span = m.lastKey() - m.firstKey() + 1;
        return m.ceilingKey(m.firstKey() + (long) (rnd.nextDouble() * span));
    }

    private static void check(SeqIndex idx, TreeMap<Long, Long> model, Random rnd, long next, boolean att) {
        assertEquals(model.size(), idx.live());
        assertEquals(model.isEmpty() ? -1 : model.firstKey(), idx.first());
        for (int k = 0; k < 20; k++) {
            long q = model.isEmpty() ? rnd.nextInt(10) : model.firstKey() - 3 + rnd.nextInt((int) (next - model.firstKey() + 6));
            Long ceil = model.ceilingKey(q);
            Long floor = model.floorKey(q);
            assertEquals(ceil == null ? -1 : ceil, idx.nextLive(q), "nextLive " + q);
            assertEquals(floor == null ? -1 : floor, idx.prevLive(q), "prevLive " + q);
            assertEquals(model.tailMap(q, true).size(), idx.liveFrom(q), "liveFrom " + q);
            assertEquals(model.containsKey(q), idx.isLive(q));
            if (model.containsKey(q)) {
                assertEquals(q * 7, idx.location(q));
                assertEquals(model.get(q), idx.timestamp(q));
                if (att) {
                    assertEquals(q, idx.attachment(q));
                }
            }
            long t = rnd.nextInt((int) Math.max(1, model.isEmpty() ? 1 : model.lastEntry().getValue() + 2));
            long want = -1;
            for (var e : model.entrySet()) {
                if (e.getValue() >= t) {
                    want = e.getKey();
                    break;
                }
            }
            assertEquals(want, idx.firstAtOrAfterTime(t), "time " + t);
        }
    }
}
