package io.weft.raft.storage;

import static io.weft.raft.storage.StorageFixtures.DIR;
import static io.weft.raft.storage.StorageFixtures.entry;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.raft.Entry;
import io.weft.raft.HardState;
import io.weft.raft.LogDamage;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Seeded faults at rest (bit flips, cuts, deleted segments) on a fully fsynced log whose durable
 * commit index lags a batch behind, as a follower's does (its commit reaches it with the next
 * append): recovery must never serve a wrong entry, never shorten the log silently (every index
 * that was fsynced, so may have been acknowledged, is either read back intact or reported damaged),
 * confine the damage to the segments hit, and after a repair from a peer's copy give the whole log
 * back.
 */
class DiskStorageCorruptionPropertyTest {
    private static final int SEEDS = 300;

    @Test
    void faultsAtRestAreReportedNeverServedAndRepairable() throws IOException {
        for (long seed = 1; seed <= SEEDS; seed++) {
            run(seed);
        }
    }

    private static void run(long seed) throws IOException {
        Random rnd = new Random(seed);
        FakeDisk disk = new FakeDisk();
        long segBytes = 100 + rnd.nextInt(300);
        int n = 5 + rnd.nextInt(40);
        List<Entry> log = new ArrayList<>();
        try (DiskStorage s = DiskStorage.open(disk, DIR, segBytes)) {
            for (int i = 1; i <= n; ) {
                int batch = 1 + rnd.nextInt(4);
                List<Entry> es = new ArrayList<>();
                for (int k = 0; k < batch && i <= n; k++, i++) {
                    es.add(entry(i, 1 + i / 10));
                }
                log.addAll(es);
                s.append(es);
                s.setHardState(new HardState(1 + n / 10, 1, log.size() - es.size()));
                s.sync();
            }
        }
        List<long[]> hit = new ArrayList<>();
        for (int f = 0; f < 1 + rnd.nextInt(2); f++) {
            hit.add(fault(disk, rnd, n));
        }
        String what = "seed " + seed;
        try (DiskStorage s = DiskStorage.open(disk, DIR, segBytes)) {
            LogDamage d = s.initialState().damage();
            assertFalse(d.hardStateLost(), what);
            assertEquals(n, s.lastIndex(), what + ": the committed log is never shortened");
            List<Entry> missing = new ArrayList<>();
            for (int i = 1; i <= n; i++) {
                boolean damaged = inRanges(d.ranges(), i);
                if (damaged) {
                    assertTrue(inRanges(hit, i), what + ": damage at " + i + " outside the segments hit");
                    missing.add(log.get(i - 1));
                } else {
                    assertEquals(log.get(i - 1), s.entries(i, i + 1, 0).getFirst(), what + ": entry " + i);
                }
            }
            s.repair(missing);
            assertFalse(s.damage().any(), what);
        }
        try (DiskStorage s = DiskStorage.open(disk, DIR, segBytes)) {
            assertFalse(s.initialState().damage().any(), what);
            assertEquals(log, s.entries(1, n + 1, Long.MAX_VALUE), what);
        }
    }

    /** One fault in a random segment; returns that segment's index range. */
    private static long[] fault(FakeDisk disk, Random rnd, int n) throws IOException {
        List<String> names = disk.list(DIR).stream().filter(x -> x.endsWith(".log")).toList();
        if (names.isEmpty()) {
            return new long[] {0, -1};
        }
        int k = rnd.nextInt(names.size());
        String path = DIR + "/" + names.get(k);
        long first = Segment.firstOf(names.get(k));
        long last = k + 1 < names.size() ? Segment.firstOf(names.get(k + 1)) - 1 : n;
        int size = disk.content(path).length;
        switch (rnd.nextInt(3)) {
            case 0 -> {
                if (size > 0) {
                    disk.flipBit(path, rnd.nextInt(size), rnd.nextInt(8));
                }
            }
            case 1 -> disk.cut(path, rnd.nextInt(size + 1));
            default -> disk.remove(path);
        }
        return new long[] {first, last};
    }

    private static boolean inRanges(List<long[]> ranges, long i) {
        for (long[] r : ranges) {
            if (i >= r[0] && i <= r[1]) {
                return true;
            }
        }
        return false;
    }
}
