package io.weft.sim.check;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.sim.SimScheduler;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.locks.ReentrantLock;
import org.junit.jupiter.api.Test;

/** Producers and consumers on a shared queue under the simulator, judged by {@link QueueChecker}. */
class QueueUnderSimTest {

    interface Queue {
        void put(long v);

        Long take();
    }

    /** Correct: one lock around a FIFO deque. */
    static final class LockedQueue implements Queue {
        private final ReentrantLock lock = new ReentrantLock();
        private final ArrayDeque<Long> items = new ArrayDeque<>();

        @Override
        public void put(long v) {
            lock.lock();
            try {
                items.addLast(v);
            } finally {
                lock.unlock();
            }
        }

        @Override
        public Long take() {
            lock.lock();
            try {
                return items.pollFirst();
            } finally {
                lock.unlock();
            }
        }
    }

    /** Broken: take peeks, lets others run, then removes by index: duplicates and losses. */
    static final class RacyQueue implements Queue {
        private final List<Long> items = new ArrayList<>();

        @Override
        public void put(long v) {
            items.add(v);
        }

        @Override
        public Long take() {
            if (items.isEmpty()) {
                return null;
            }
            Long head = items.get(0);
            Thread.yield();
            if (!items.isEmpty()) {
                items.remove(0);
            }
            return head;
        }
    }

    static QueueChecker.Report run(long seed, Queue q) {
        SimScheduler s = new SimScheduler(seed);
        OpHistory h = new OpHistory();
        SplittableRandom root = new SplittableRandom(seed);
        int producers = 3;
        int consumers = 3;
        int each = 10;
        int[] producing = {producers};
        for (int p = 0; p < producers; p++) {
            int process = p;
            SplittableRandom rnd = root.split();
            s.spawn("producer-" + p, () -> {
                for (int i = 0; i < each; i++) {
                    long v = process * 1000L + i;
                    h.add(new Op(process, Op.Type.INVOKE, "enqueue", v, s.now()));
                    if (rnd.nextBoolean()) {
                        Thread.yield();
                    }
                    q.put(v);
                    if (rnd.nextInt(10) == 0) {
                        h.add(new Op(process, Op.Type.INFO, "enqueue", null, s.now()));
                    } else {
                        h.add(new Op(process, Op.Type.OK, "enqueue", null, s.now()));
                    }
                }
                producing[0]--;
            });
        }
        for (int c = 0; c < consumers; c++) {
            int process = producers + c;
            SplittableRandom rnd = root.split();
            s.spawn("consumer-" + c, () -> {
                while (true) {
                    boolean last = producing[0] == 0;
                    h.add(new Op(process, Op.Type.INVOKE, "dequeue", null, s.now()));
                    Long v = q.take();
                    if (rnd.nextBoolean()) {
                        Thread.yield();
                    }
                    h.add(new Op(process, v == null ? Op.Type.FAIL : Op.Type.OK, "dequeue", v, s.now()));
                    if (v == null && last) {
                        return;
                    }
                    Thread.yield();
                }
            });
        }
        SimScheduler.Outcome o = s.runToCompletion();
        assertTrue(o.ok(), o.toString());
        return QueueChecker.check(h);
    }

    @Test
    void aLockedQueueIsValidForEverySeed() {
        for (long seed = 1; seed <= 100; seed++) {
            QueueChecker.Report r = run(seed, new LockedQueue());
            assertTrue(r.valid(), "seed " + seed + ": " + r.describe());
            assertTrue(r.recovered().size() == r.indeterminate(), "every info enqueue landed: " + r.describe());
        }
    }

    @Test
    void aRacyQueueIsCaught() {
        for (long seed = 1; seed <= 200; seed++) {
            QueueChecker.Report r = run(seed, new RacyQueue());
            if (!r.valid()) {
                System.out.println("racy queue: first failing seed " + seed + "\n" + r.describe());
                assertTrue(!r.duplicated().isEmpty() || !r.lost().isEmpty(), r.describe());
                return;
            }
        }
        throw new AssertionError("the racy queue was not caught within seeds 1..200");
    }
}
