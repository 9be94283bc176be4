package io.weft.raft.storage;

import static io.weft.raft.storage.StorageFixtures.DIR;
import static io.weft.raft.storage.StorageFixtures.entry;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.raft.Entry;
import io.weft.raft.HardState;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Seeded random runs of appends (some replacing a suffix), hard-state changes and syncs, with
 * crashes at random points of a sync (any fsync may be the one that never happens) and random torn
 * writes. Without faults at rest, recovery must never report damage, and must give back the durable
 * log, or a prefix of it no shorter than the point the interrupted window replaced it from, or the
 * untouched part plus a prefix of what the window staged: never a mix of old and new after that
 * point, never a hole.
 */
class DiskStorageCrashPropertyTest {
    private static final int SEEDS = 300;

    @Test
    void crashesAtAnyPointOfASyncNeverLoseDurableStateNorReportDamage() throws IOException {
        for (long seed = 1; seed <= SEEDS; seed++) {
            run(seed);
        }
    }

    private static void run(long seed) throws IOException {
        Random rnd = new Random(seed);
        FakeDisk disk = new FakeDisk();
        long segBytes = 60 + rnd.nextInt(400);
        List<Entry> durable = new ArrayList<>();
        HardState durableHs = HardState.EMPTY;
        long term = 1;
        for (int round = 0; round < 6; round++) {
            List<Entry> staged;
            HardState stagedHs = durableHs;
            int keepFrom; // entries [0, keepFrom) of the old durable log are untouched by this window
            boolean synced = false;
            try (DiskStorage s = DiskStorage.open(disk, DIR, segBytes)) {
                check(seed, s, durable, durableHs);
                staged = new ArrayList<>(durable);
                keepFrom = staged.size();
                for (int op = 0; op < 1 + rnd.nextInt(12); op++) {
                    long commit = Math.max(durableHs.commit(), stagedHs.commit());
                    if (rnd.nextInt(4) == 0 && staged.size() > commit) {
                        int from = (int) commit + rnd.nextInt(staged.size() - (int) commit); // never below commit
                        term++;
                        replaceFrom(staged, from, 1 + rnd.nextInt(4), term);
                        s.append(staged.subList(from, staged.size()));
                        keepFrom = Math.min(keepFrom, from);
                    } else {
                        int from = staged.size();
                        replaceFrom(staged, from, 1 + rnd.nextInt(5), term);
                        s.append(staged.subList(from, staged.size()));
                    }
                    if (rnd.nextInt(3) == 0) {
                        // commit may cover staged entries too (a leader counts followers' acks while its own write is pending)
                        stagedHs = new HardState(term, rnd.nextInt(4), commit + rnd.nextInt(staged.size() - (int) commit + 1));
                        s.setHardState(stagedHs);
                    }
                    if (rnd.nextInt(4) == 0) {
                        s.sync();
                        durable = new ArrayList<>(staged);
                        durableHs = stagedHs;
                        keepFrom = durable.size();
                    }
                }
                int failAt = rnd.nextInt(5); // 0: the sync completes
                if (failAt > 0) {
                    disk.failForce(failAt);
                }
                try {
                    s.sync();
                    synced = true;
                } catch (IOException expected) {
                    synced = false;
                }
                disk.failForce(0);
            }
            if (synced) {
                durable = new ArrayList<>(staged);
                durableHs = stagedHs;
                disk.crash((path, len) -> rnd.nextInt(len + 1));
                continue;
            }
            disk.crash((path, len) -> rnd.nextInt(len + 1));
            try (DiskStorage s = DiskStorage.open(disk, DIR, segBytes)) {
                List<Entry> got = s.lastIndex() == 0 ? List.of() : s.entries(1, s.lastIndex() + 1, Long.MAX_VALUE);
                assertFalse(s.initialState().damage().any(), "seed " + seed + ": " + s.recoveryReport().notes());
                // the old log, or (once the replaced segments' deletion is durable) cut back toward the replacement point
                boolean old = got.size() >= Math.min(keepFrom, durable.size()) && got.size() <= durable.size()
                        && got.equals(durable.subList(0, got.size()));
                boolean newPrefix = got.size() >= keepFrom && got.size() <= staged.size()
                        && got.equals(staged.subList(0, got.size()));
                assertTrue(old || newPrefix, "seed " + seed + ": recovered " + got + "\n durable " + durable
                        + "\n staged " + staged);
                HardState hs = s.initialState().hardState();
                assertTrue(hs.equals(durableHs) || hs.equals(stagedHs), "seed " + seed + ": hard state " + hs);
                durable = got;
                durableHs = hs;
            }
        }
    }

    /** Replaces {@code list} from position {@code from} with {@code n} fresh entries of {@code term}. */
    private static void replaceFrom(List<Entry> list, int from, int n, long term) {
        list.subList(from, list.size()).clear();
        for (int i = 0; i < n; i++) {
            list.add(entry(from + i + 1, term));
        }
    }

    private static void check(long seed, DiskStorage s, List<Entry> durable, HardState hs) {
        assertFalse(s.initialState().damage().any(), "seed " + seed + ": " + s.recoveryReport().notes());
        assertEquals(durable.size(), s.lastIndex(), "seed " + seed);
        if (!durable.isEmpty()) {
            assertEquals(durable, s.entries(1, durable.size() + 1, Long.MAX_VALUE), "seed " + seed);
        }
        assertEquals(hs, s.initialState().hardState(), "seed " + seed);
    }
}
