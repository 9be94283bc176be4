package io.weft.raft.storage;

import static io.weft.raft.storage.StorageFixtures.DIR;
import static io.weft.raft.storage.StorageFixtures.assertLog;
import static io.weft.raft.storage.StorageFixtures.entries;
import static io.weft.raft.storage.StorageFixtures.entry;
import static io.weft.raft.storage.StorageFixtures.ranges;
import static io.weft.raft.storage.StorageFixtures.recordLength;
import static io.weft.raft.storage.StorageFixtures.segment;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.weft.raft.ConfState;
import io.weft.raft.Entry;
import io.weft.raft.HardState;
import io.weft.raft.Snapshot;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Repairing damage with entries fetched from peers, or replacing it, or covering it by a snapshot. */
class DiskStorageRepairTest {
    private static final long SEG = 3L * recordLength(entry(1, 1));

    private static FakeDisk log(int n, long segmentBytes, boolean commitAll) throws IOException {
        FakeDisk disk = new FakeDisk();
        try (DiskStorage s = DiskStorage.open(disk, DIR, segmentBytes)) {
            for (int i = 1; i <= n; i++) {
                s.append(List.of(entry(i, 1)));
                if (commitAll) {
                    s.setHardState(new HardState(1, 1, i));
                }
                s.sync();
            }
        }
        return disk;
    }

    private static long offsetOf(long index) {
        long off = 0;
        for (long i = 1; i < index; i++) {
            off += recordLength(entry(i, 1));
        }
        return off;
    }

    private static List<String> segmentNames(FakeDisk disk) throws IOException {
        return disk.list(DIR).stream().filter(n -> n.endsWith(".log")).toList();
    }

    @Test
    void repairingACorruptMiddleEntryClearsTheDamageDurably() throws IOException {
        FakeDisk disk = log(10, DiskStorage.DEFAULT_SEGMENT_BYTES, false);
        disk.flipBit(segment(1), offsetOf(5) + 28, 6);
        try (DiskStorage s = DiskStorage.open(disk, DIR)) {
            assertEquals(List.of("5-5"), ranges(s.damage()));
            s.append(entries(11, 11, 1)); // staged entries are synced by the repair
            s.repair(List.of(entry(5, 1)));
            assertFalse(s.damage().any());
            assertLog(s, entries(1, 11, 1));
        }
        disk.crash();
        try (DiskStorage s = DiskStorage.open(disk, DIR)) {
            assertFalse(s.initialState().damage().any());
            assertLog(s, entries(1, 11, 1));
            assertEquals(List.of(), s.recoveryReport().notes(), "the rewrite left no unreadable bytes");
        }
    }

    @Test
    void repairingADeletedMiddleSegmentPieceByPiece() throws IOException {
        FakeDisk disk = log(15, SEG, false);
        List<String> names = segmentNames(disk);
        disk.remove(DIR + "/" + names.get(2)); // entries 7..9
        try (DiskStorage s = DiskStorage.open(disk, DIR, SEG)) {
            assertEquals(List.of("7-9"), ranges(s.damage()));
            s.repair(List.of(entry(8, 1)));
            assertEquals(List.of("7-7", "9-9"), ranges(s.damage()));
        }
        disk.crash();
        try (DiskStorage s = DiskStorage.open(disk, DIR, SEG)) {
            assertEquals(List.of("7-7", "9-9"), ranges(s.initialState().damage()), "the rest of the damage stays known");
            s.repair(List.of(entry(7, 1), entry(9, 1)));
            assertFalse(s.damage().any());
        }
        try (DiskStorage s = DiskStorage.open(disk, DIR, SEG)) {
            assertFalse(s.initialState().damage().any());
            assertLog(s, entries(1, 15, 1));
        }
    }

    @Test
    void repairingAMissingFirstSegmentBeginsANewOne() throws IOException {
        FakeDisk disk = log(9, SEG, false);
        disk.remove(DIR + "/" + segmentNames(disk).getFirst());
        try (DiskStorage s = DiskStorage.open(disk, DIR, SEG)) {
            assertEquals(List.of("1-3"), ranges(s.damage()));
            s.repair(entries(2, 3, 1));
            assertEquals(List.of("1-1"), ranges(s.damage()));
        }
        try (DiskStorage s = DiskStorage.open(disk, DIR, SEG)) {
            assertEquals(List.of("1-1"), ranges(s.initialState().damage()));
            s.repair(List.of(entry(1, 1)));
        }
        try (DiskStorage s = DiskStorage.open(disk, DIR, SEG)) {
            assertFalse(s.initialState().damage().any());
            assertLog(s, entries(1, 9, 1));
        }
    }

    @Test
    void repairingTheDamagedTailThenAppending() throws IOException {
        FakeDisk disk = log(10, DiskStorage.DEFAULT_SEGMENT_BYTES, true);
        disk.flipBit(segment(1), offsetOf(10) + 3, 1);
        try (DiskStorage s = DiskStorage.open(disk, DIR)) {
            assertEquals(List.of("10-10"), ranges(s.damage()));
            s.append(entries(11, 12, 2));
            s.sync();
        }
        try (DiskStorage s = DiskStorage.open(disk, DIR)) {
            assertEquals(List.of("10-10"), ranges(s.initialState().damage()), "damage outlives appends after it");
            s.repair(List.of(entry(10, 1)));
            s.append(entries(13, 13, 2));
            s.sync();
        }
        try (DiskStorage s = DiskStorage.open(disk, DIR)) {
            List<Entry> want = new ArrayList<>(entries(1, 10, 1));
            want.addAll(entries(11, 13, 2));
            assertLog(s, want);
            assertFalse(s.initialState().damage().any());
        }
    }

    @Test
    void repairRejectsIndexesThatAreNotDamagedAndTermsThatDoNotFit() throws IOException {
        FakeDisk disk = log(10, DiskStorage.DEFAULT_SEGMENT_BYTES, false);
        disk.flipBit(segment(1), offsetOf(5) + 10, 0);
        try (DiskStorage s = DiskStorage.open(disk, DIR)) {
            assertThrows(IllegalArgumentException.class, () -> s.repair(List.of(entry(4, 1))));
            assertThrows(IllegalArgumentException.class, () -> s.repair(List.of(entry(5, 2))), "term 2 before term 1");
            assertEquals(List.of("5-5"), ranges(s.damage()));
        }
    }

    @Test
    void appendingTheLeadersSuffixReplacesDamagedAndConflictingEntries() throws IOException {
        FakeDisk disk = log(10, SEG, false);
        disk.remove(DIR + "/" + segmentNames(disk).get(1)); // entries 4..6
        try (DiskStorage s = DiskStorage.open(disk, DIR, SEG)) {
            assertEquals(List.of("4-6"), ranges(s.damage()));
            s.append(entries(5, 8, 2));
            assertEquals(List.of("4-4"), ranges(s.damage()));
            s.sync();
        }
        disk.crash();
        try (DiskStorage s = DiskStorage.open(disk, DIR, SEG)) {
            assertEquals(List.of("4-4"), ranges(s.initialState().damage()));
            assertEquals(entries(5, 8, 2), s.entries(5, 9, Long.MAX_VALUE));
            assertEquals(8, s.lastIndex());
        }
    }

    @Test
    void aSnapshotCoveringTheDamageClearsIt() throws IOException {
        FakeDisk disk = log(10, SEG, false);
        disk.flipBit(segment(4), 7, 2);
        try (DiskStorage s = DiskStorage.open(disk, DIR, SEG)) {
            assertEquals(List.of("4-4"), ranges(s.damage()));
            s.saveSnapshot(new Snapshot(8, 1, ConfState.of(List.of(1L)), new byte[0]));
            assertFalse(s.damage().any());
            assertEquals(9, s.firstIndex());
        }
        try (DiskStorage s = DiskStorage.open(disk, DIR, SEG)) {
            assertFalse(s.initialState().damage().any());
            assertLog(s, entries(9, 10, 1));
        }
    }
}
