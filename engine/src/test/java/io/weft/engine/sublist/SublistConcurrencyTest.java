package io.weft.engine.sublist;

import io.weft.store.Subjects;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Readers match (a bounded number of times, so no run depends on scheduler fairness) while
 * writers insert and remove on overlapping subjects. During the run every
 * result must contain the stable subscriptions and only subscriptions that match; at the end
 * the (cached) results must equal a brute-force scan of what is stored, so a stale cache entry
 * left by a race would fail the test.
 */
class SublistConcurrencyTest {

    private static final String[] SUBJECTS = {"a.b.c", "a.b.d", "a.x.c", "b.b.c", "a.b", "a", "c.d.e.f"};
    private static final String[] PATTERNS = {"a.b.c", "a.*.c", "a.>", ">", "*.b.*", "a.b", "*", "c.*.e.>",
        "a.b.d", "b.>", "*.*"};

    @Test
    @Timeout(60)
    void concurrentMatchInsertRemove() throws Exception {
        Sublist<TestSub> sl = new Sublist<>(8); // small cache: sweeps race with fills too
        List<TestSub> stable = new ArrayList<>();
        for (String p : PATTERNS) {
            TestSub s = TestSub.plain("stable:" + p, p);
            stable.add(s);
            sl.insert(s);
        }
        int writers = 3;
        int readers = 4;
        int opsPerWriter = 2000;
        int matchesPerReader = 20_000;
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        List<List<TestSub>> leftovers = new ArrayList<>();
        CountDownLatch start = new CountDownLatch(1);
        try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<List<TestSub>>> ws = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                int seed = w;
                ws.add(ex.submit(() -> {
                    Random rnd = new Random(seed);
                    List<TestSub> mine = new ArrayList<>();
                    start.await();
                    for (int i = 0; i < opsPerWriter; i++) {
                        if (mine.size() >= 24 || (!mine.isEmpty() && rnd.nextInt(3) == 0)) {
                            TestSub s = mine.remove(rnd.nextInt(mine.size()));
                            if (!sl.remove(s)) {
                                failures.add("remove failed " + s);
                            }
                        } else if (rnd.nextInt(10) == 0 && mine.size() > 4) {
                            List<TestSub> batch = new ArrayList<>(mine.subList(0, 3));
                            mine.subList(0, 3).clear();
                            if (sl.removeBatch(batch) != 3) {
                                failures.add("batch remove failed");
                            }
                        } else {
                            String p = PATTERNS[rnd.nextInt(PATTERNS.length)];
                            TestSub s = rnd.nextBoolean()
                                    ? TestSub.plain("w" + seed + ":" + i, p)
                                    : TestSub.queue("w" + seed + ":" + i, p, "q" + rnd.nextInt(2));
                            sl.insert(s);
                            mine.add(s);
                        }
                        if (i % 8 == 0) {
                            Thread.yield();
                        }
                    }
                    return mine;
                }));
            }
            List<Future<?>> rs = new ArrayList<>();
            for (int r = 0; r < readers; r++) {
                int seed = 100 + r;
                rs.add(ex.submit(() -> {
                    Random rnd = new Random(seed);
                    start.await();
                    int n = 0;
                    while (n < matchesPerReader) {
                        String subj = SUBJECTS[rnd.nextInt(SUBJECTS.length)];
                        SublistResult<TestSub> res = sl.match(subj);
                        Set<TestSub> seen = new HashSet<>(res.plainSubs());
                        for (List<TestSub> g : res.queueGroups()) {
                            assertTrue(!g.isEmpty());
                            seen.addAll(g);
                        }
                        for (TestSub s : seen) {
                            if (!Subjects.matches(s.subject(), subj)) {
                                failures.add(s + " does not match " + subj);
                            }
                        }
                        Set<TestSub> plainSeen = new HashSet<>(res.plainSubs());
                        for (TestSub s : stable) {
                            if (Subjects.matches(s.subject(), subj) && !plainSeen.contains(s)) {
                                failures.add("stable " + s + " missing for " + subj);
                            }
                        }
                        if (++n % 8 == 0) {
                            Thread.yield();
                        }
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<List<TestSub>> f : ws) {
                leftovers.add(f.get(20, TimeUnit.SECONDS));
            }
            for (Future<?> f : rs) {
                f.get(20, TimeUnit.SECONDS);
            }
        }
        assertTrue(failures.isEmpty(), () -> failures.size() + " failures, first: " + failures.peek());

        List<TestSub> stored = new ArrayList<>(stable);
        leftovers.forEach(stored::addAll);
        assertEquals(stored.size(), sl.count());
        assertEquals(new HashSet<>(stored), new HashSet<>(sl.all()));
        for (String subj : SUBJECTS) {
            Set<TestSub> expected = new HashSet<>();
            for (TestSub s : stored) {
                if (Subjects.matches(s.subject(), subj)) {
                    expected.add(s);
                }
            }
            for (int twice = 0; twice < 2; twice++) { // the first may be cached already, the second surely is
                SublistResult<TestSub> res = sl.match(subj);
                Set<TestSub> got = new HashSet<>(res.plainSubs());
                res.queueGroups().forEach(got::addAll);
                assertEquals(expected, got, "subject " + subj);
            }
        }
        // Remove everything: the trie must be pruned back to nothing.
        for (List<TestSub> l : leftovers) {
            assertEquals(l.size(), sl.removeBatch(l));
        }
        for (TestSub s : stable) {
            assertTrue(sl.remove(s));
        }
        assertEquals(0, sl.count());
        assertTrue(sl.isTrieEmpty());
        for (String subj : SUBJECTS) {
            assertTrue(sl.match(subj).isEmpty(), subj);
        }
    }
}
