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
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.raft.ConfState;
import io.weft.raft.Entry;
import io.weft.raft.HardState;
import io.weft.raft.LogDamage;
import io.weft.raft.Snapshot;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Protocol-aware recovery: torn tails dropped silently, damage reported and kept around. */
class DiskStorageRecoveryTest {
    /** Entries 1..n of term 1 in one segment, each synced. */
    private static FakeDisk oneSegment(int n) throws IOException {
        FakeDisk disk = new FakeDisk();
        try (DiskStorage s = DiskStorage.open(disk, DIR)) {
            for (int i = 1; i <= n; i++) {
                s.append(List.of(entry(i, 1)));
                s.sync();
            }
        }
        return disk;
    }

    /** Entries 1..n of term 1, one sync per entry, in segments of about three entries. */
    private static FakeDisk manySegments(int n) throws IOException {
        FakeDisk disk = new FakeDisk();
        try (DiskStorage s = DiskStorage.open(disk, DIR, 3L * recordLength(entry(1, 1)))) {
            for (int i = 1; i <= n; i++) {
                s.append(List.of(entry(i, 1)));
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

    @Test
    void aTornLastRecordIsDroppedSilentlyAtEveryByteOffset() throws IOException {
        Entry last = entry(6, 1);
        for (int keep = 0; keep < recordLength(last); keep++) {
            FakeDisk disk = oneSegment(5);
            try (DiskStorage s = DiskStorage.open(disk, DIR)) {
                s.append(List.of(last));
                disk.failForce(1);
                assertThrows(IOException.class, s::sync);
            }
            int k = keep;
            disk.crash((path, len) -> path.endsWith(".log") ? k : 0);
            try (DiskStorage s = DiskStorage.open(disk, DIR)) {
                assertLog(s, entries(1, 5, 1));
                assertFalse(s.initialState().damage().any(), "keep " + keep + ": a torn tail is not damage");
                assertEquals(keep, s.recoveryReport().tornTailBytes());
                s.append(List.of(entry(6, 2)));
                s.sync();
            }
            try (DiskStorage s = DiskStorage.open(disk, DIR)) {
                List<Entry> want = new ArrayList<>(entries(1, 5, 1));
                want.add(entry(6, 2));
                assertLog(s, want);
                assertEquals(0, s.recoveryReport().tornTailBytes(), "keep " + keep + ": the cut was made durable");
            }
        }
    }

    @Test
    void aTornBatchKeepsItsWholeRecordsAtEveryByteOffset() throws IOException {
        List<Entry> batch = entries(6, 8, 2);
        int total = batch.stream().mapToInt(StorageFixtures::recordLength).sum();
        for (int keep = 0; keep <= total; keep++) {
            FakeDisk disk = oneSegment(5);
            try (DiskStorage s = DiskStorage.open(disk, DIR)) {
                s.append(batch);
                disk.failForce(1);
                assertThrows(IOException.class, s::sync);
            }
            int k = keep;
            disk.crash((path, len) -> path.endsWith(".log") ? k : 0);
            try (DiskStorage s = DiskStorage.open(disk, DIR)) {
                int whole = 0;
                for (int used = 0; whole < batch.size() && used + recordLength(batch.get(whole)) <= keep; whole++) {
                    used += recordLength(batch.get(whole));
                }
                List<Entry> want = new ArrayList<>(entries(1, 5, 1));
                want.addAll(batch.subList(0, whole));
                assertLog(s, want);
                assertFalse(s.initialState().damage().any());
            }
        }
    }

    @Test
    void aLastSegmentCutAtRestAtEveryOffsetOfAnFsyncedEntryIsDamageThoughNothingIsCommitted() throws IOException {
        // entry 5 was fsynced, so it may have been acknowledged (and counted for a commit elsewhere)
        // though this replica's commit index is 0: the hard state's vouched index makes the cut damage
        for (long cut = offsetOf(4); cut < offsetOf(6); cut++) {
            FakeDisk disk = oneSegment(5);
            disk.cut(segment(1), cut);
            try (DiskStorage s = DiskStorage.open(disk, DIR)) {
                assertEquals(5, s.lastIndex(), "cut at " + cut);
                int readable = cut < offsetOf(5) ? 3 : 4;
                assertEquals(List.of((readable + 1) + "-5"), ranges(s.initialState().damage()), "cut at " + cut);
                assertEquals(entries(1, readable, 1), s.entries(1, readable + 1, Long.MAX_VALUE));
            }
        }
    }

    @Test
    void aSnapshotInstalledOverALongerLogIsNoDamageAfterACrashAtAnyFsync() throws IOException {
        for (int failAt = 0; failAt <= 4; failAt++) {
            FakeDisk disk = oneSegment(10);
            Snapshot snap = new Snapshot(6, 2, ConfState.of(List.of(1L)), new byte[] {7});
            try (DiskStorage s = DiskStorage.open(disk, DIR)) {
                disk.failForce(failAt);
                try {
                    s.installSnapshot(snap);
                } catch (IOException expected) {
                    // a crash at that fsync: whatever reached the disk must recover cleanly
                }
                disk.failForce(0);
            }
            disk.crash();
            try (DiskStorage s = DiskStorage.open(disk, DIR)) {
                assertFalse(s.initialState().damage().any(), "fail at " + failAt + ": " + s.recoveryReport().notes());
                assertTrue(s.lastIndex() == 6 || s.lastIndex() == 10, "fail at " + failAt + ": last " + s.lastIndex());
            }
        }
    }

    @Test
    void aFlippedBitInAMiddleRecordIsDamageAndTheEntriesAfterItStay() throws IOException {
        Entry victim = entry(5, 1);
        for (int b = 0; b < recordLength(victim); b++) {
            FakeDisk disk = oneSegment(10);
            disk.flipBit(segment(1), offsetOf(5) + b, b % 8);
            try (DiskStorage s = DiskStorage.open(disk, DIR)) {
                LogDamage d = s.initialState().damage();
                assertEquals(List.of("5-5"), ranges(d), "byte " + b);
                assertFalse(d.hardStateLost());
                assertEquals(10, s.lastIndex(), "the log is never silently shortened");
                assertEquals(entries(6, 10, 1), s.entries(6, 11, Long.MAX_VALUE));
                assertEquals(entries(1, 4, 1), s.entries(1, 11, Long.MAX_VALUE), "reads stop before the damage");
                assertThrows(DamagedEntryException.class, () -> s.entries(5, 6, 100));
                assertThrows(DamagedEntryException.class, () -> s.term(5));
            }
        }
    }

    @Test
    void damageSurvivesAppendsAndReopens() throws IOException {
        FakeDisk disk = oneSegment(10);
        disk.flipBit(segment(1), offsetOf(3) + 30, 2);
        try (DiskStorage s = DiskStorage.open(disk, DIR)) {
            s.append(entries(11, 12, 2));
            s.sync();
        }
        try (DiskStorage s = DiskStorage.open(disk, DIR)) {
            assertEquals(List.of("3-3"), ranges(s.initialState().damage()));
            assertEquals(12, s.lastIndex());
        }
    }

    @Test
    void aCorruptLastRecordAtOrBelowTheDurableCommitIsDamageNotATornTail() throws IOException {
        FakeDisk disk = new FakeDisk();
        try (DiskStorage s = DiskStorage.open(disk, DIR)) {
            s.append(entries(1, 10, 1));
            s.setHardState(new HardState(1, 1, 10));
            s.sync();
        }
        disk.flipBit(segment(1), offsetOf(10) + 27, 0);
        try (DiskStorage s = DiskStorage.open(disk, DIR)) {
            assertEquals(List.of("10-10"), ranges(s.initialState().damage()));
            assertEquals(10, s.lastIndex());
        }
    }

    @Test
    void aDeletedMiddleSegmentIsDamageOfExactlyItsIndexes() throws IOException {
        FakeDisk disk = manySegments(15);
        List<String> names = disk.list(DIR).stream().filter(n -> n.endsWith(".log")).toList();
        assertTrue(names.size() >= 4, "test needs several segments: " + names);
        long first = Segment.firstOf(names.get(2));
        long next = Segment.firstOf(names.get(3));
        disk.remove(DIR + "/" + names.get(2));
        try (DiskStorage s = DiskStorage.open(disk, DIR)) {
            assertEquals(List.of(first + "-" + (next - 1)), ranges(s.initialState().damage()));
            assertEquals(15, s.lastIndex());
            assertEquals(entries(next, 15, 1), s.entries(next, 16, Long.MAX_VALUE));
        }
    }

    @Test
    void aTruncatedMiddleSegmentIsDamageOfTheIndexesItLost() throws IOException {
        FakeDisk disk = manySegments(15);
        List<String> names = disk.list(DIR).stream().filter(n -> n.endsWith(".log")).toList();
        long first = Segment.firstOf(names.get(1));
        long next = Segment.firstOf(names.get(2));
        long keepBytes = recordLength(entry(first, 1)) + 5; // one whole record and a piece of the next
        disk.cut(DIR + "/" + names.get(1), keepBytes);
        try (DiskStorage s = DiskStorage.open(disk, DIR)) {
            assertEquals(List.of((first + 1) + "-" + (next - 1)), ranges(s.initialState().damage()));
            assertEquals(15, s.lastIndex());
            assertEquals(entry(first, 1), s.entries(first, first + 1, 100).getFirst());
        }
    }

    @Test
    void aMissingFirstSegmentWithoutASnapshotIsDamageOfTheRangeBefore() throws IOException {
        FakeDisk disk = manySegments(10);
        List<String> names = disk.list(DIR).stream().filter(n -> n.endsWith(".log")).toList();
        disk.remove(DIR + "/" + names.getFirst());
        long second = Segment.firstOf(names.get(1));
        try (DiskStorage s = DiskStorage.open(disk, DIR)) {
            assertEquals(List.of("1-" + (second - 1)), ranges(s.initialState().damage()));
            assertEquals(1, s.firstIndex());
            assertEquals(10, s.lastIndex());
        }
    }

    @Test
    void aDeletedLastSegmentBelowTheDurableCommitIsDamage() throws IOException {
        FakeDisk disk = new FakeDisk();
        long segBytes = 3L * recordLength(entry(1, 1));
        try (DiskStorage s = DiskStorage.open(disk, DIR, segBytes)) {
            for (int i = 1; i <= 9; i++) {
                s.append(List.of(entry(i, 1)));
                s.setHardState(new HardState(1, 1, i));
                s.sync();
            }
        }
        List<String> names = disk.list(DIR).stream().filter(n -> n.endsWith(".log")).toList();
        long lastFirst = Segment.firstOf(names.getLast());
        disk.remove(DIR + "/" + names.getLast());
        try (DiskStorage s = DiskStorage.open(disk, DIR, segBytes)) {
            assertEquals(List.of(lastFirst + "-9"), ranges(s.initialState().damage()));
            assertEquals(9, s.lastIndex());
        }
    }

    @Test
    void oneBadHardStateSlotNeverTakesBackTheNewestTermAndVote() throws IOException {
        for (int bad = 0; bad < 2; bad++) {
            FakeDisk disk = oneSegment(3);
            try (DiskStorage s = DiskStorage.open(disk, DIR)) {
                s.setHardState(new HardState(4, 2, 1));
                s.sync();
                s.setHardState(new HardState(5, 3, 1)); // a vote: written to both slots
                s.sync();
                s.setHardState(new HardState(5, 3, 2)); // commit only: one slot
                s.sync();
            }
            // the commit-only write went to one slot, the one with the higher counter; the other holds the vote
            byte[] hsBytes = disk.content(DIR + "/" + HardStateFile.NAME);
            int newest = Bytes.getLong(hsBytes, 4) > Bytes.getLong(hsBytes, HardStateFile.STRIDE + 4) ? 0 : 1;
            disk.flipBit(DIR + "/" + HardStateFile.NAME, bad * HardStateFile.STRIDE + 14, 3);
            try (DiskStorage s = DiskStorage.open(disk, DIR)) {
                HardState hs = s.initialState().hardState();
                assertEquals(5, hs.term(), "slot " + bad + " bad");
                assertEquals(3, hs.vote(), "slot " + bad + " bad: the vote the replica may have sent");
                assertEquals(bad == newest ? 1 : 2, hs.commit(), "slot " + bad + " bad: an older commit is all it loses");
                assertFalse(s.initialState().damage().any());
                assertEquals(1, s.recoveryReport().badHardStateSlots());
                s.setHardState(new HardState(6, 0, 2));
                s.sync();
            }
            try (DiskStorage s = DiskStorage.open(disk, DIR)) {
                assertEquals(new HardState(6, 0, 2), s.initialState().hardState(), "the next write replaced the bad slot");
                assertEquals(0, s.recoveryReport().badHardStateSlots(), "both slots rewritten by the term change");
            }
        }
    }

    @Test
    void aTornHardStateWriteKeepsThePreviousValueAtEveryByteOffset() throws IOException {
        for (int keep = 0; keep < HardStateFile.SLOT; keep++) {
            FakeDisk disk = oneSegment(1);
            try (DiskStorage s = DiskStorage.open(disk, DIR)) {
                s.setHardState(new HardState(7, 1, 1));
                s.sync();
                s.setHardState(new HardState(8, 2, 1));
                disk.failForce(1);
                assertThrows(IOException.class, s::sync);
            }
            int k = keep;
            disk.crash((path, len) -> path.endsWith(HardStateFile.NAME) ? k : 0);
            try (DiskStorage s = DiskStorage.open(disk, DIR)) {
                assertEquals(new HardState(7, 1, 1), s.initialState().hardState(), "keep " + keep);
                assertFalse(s.initialState().damage().any());
            }
        }
    }

    @Test
    void aTornSecondSlotOfAVoteKeepsTheVoteAtEveryByteOffset() throws IOException {
        for (int keep = 0; keep < HardStateFile.SLOT; keep++) {
            FakeDisk disk = oneSegment(1);
            try (DiskStorage s = DiskStorage.open(disk, DIR)) {
                s.setHardState(new HardState(7, 1, 1));
                s.sync();
                s.setHardState(new HardState(8, 2, 1));
                disk.failForce(2); // the first slot of the vote is durable, the second write is torn
                assertThrows(IOException.class, s::sync);
            }
            int k = keep;
            disk.crash((path, len) -> path.endsWith(HardStateFile.NAME) ? k : 0);
            try (DiskStorage s = DiskStorage.open(disk, DIR)) {
                assertEquals(new HardState(8, 2, 1), s.initialState().hardState(), "keep " + keep);
                assertFalse(s.initialState().damage().any());
            }
        }
    }

    @Test
    void bothHardStateSlotsBadIsHardStateLost() throws IOException {
        FakeDisk disk = oneSegment(3);
        try (DiskStorage s = DiskStorage.open(disk, DIR)) {
            s.setHardState(new HardState(4, 2, 3));
            s.sync();
        }
        disk.flipBit(DIR + "/" + HardStateFile.NAME, 20, 1);
        disk.flipBit(DIR + "/" + HardStateFile.NAME, HardStateFile.STRIDE + 20, 1);
        try (DiskStorage s = DiskStorage.open(disk, DIR)) {
            LogDamage d = s.initialState().damage();
            assertTrue(d.hardStateLost());
            assertTrue(d.any());
            assertEquals(List.of(), ranges(d));
            assertEquals(3, s.lastIndex(), "the log is kept");
            s.setHardState(new HardState(9, 0, 3));
            s.sync();
            assertFalse(s.damage().hardStateLost(), "a durable new hard state ends the loss");
        }
        try (DiskStorage s = DiskStorage.open(disk, DIR)) {
            assertEquals(new HardState(9, 0, 3), s.initialState().hardState());
            assertFalse(s.initialState().damage().any());
        }
    }

    @Test
    void aMissingHardStateFileBesideALogIsHardStateLost() throws IOException {
        FakeDisk disk = oneSegment(3);
        disk.remove(DIR + "/" + HardStateFile.NAME);
        try (DiskStorage s = DiskStorage.open(disk, DIR)) {
            assertTrue(s.initialState().damage().hardStateLost());
        }
    }

    @Test
    void aCorruptSnapshotFallsBackToTheOlderOneAndTheGapIsDamage() throws IOException {
        FakeDisk disk = new FakeDisk();
        long segBytes = 3L * recordLength(entry(1, 1));
        try (DiskStorage s = DiskStorage.open(disk, DIR, segBytes)) {
            for (int i = 1; i <= 20; i++) {
                s.append(List.of(entry(i, 1)));
                s.sync();
            }
            s.saveSnapshot(new Snapshot(6, 1, ConfState.of(List.of(1L)), new byte[] {6}));
            s.compact(6);
            s.saveSnapshot(new Snapshot(15, 1, ConfState.of(List.of(1L)), new byte[] {15}));
            s.compact(15);
        }
        long firstKept = Segment.firstOf(disk.list(DIR).stream().filter(n -> n.endsWith(".log")).findFirst().orElseThrow());
        assertTrue(firstKept > 7, "compaction to 15 deleted the segments after 6: first kept " + firstKept);
        disk.flipBit(DIR + "/" + SnapshotFiles.name(15), 30, 4);
        try (DiskStorage s = DiskStorage.open(disk, DIR, segBytes)) {
            assertEquals(6, s.snapshot().index());
            assertEquals(List.of(15L), s.recoveryReport().badSnapshots());
            assertEquals(List.of("7-" + (firstKept - 1)), ranges(s.initialState().damage()));
            assertEquals(20, s.lastIndex());
            assertEquals(7, s.firstIndex());
        }
    }

    @Test
    void noReadableSnapshotWhileTheLogStartsLaterIsDamageOfTheRangeBefore() throws IOException {
        FakeDisk disk = new FakeDisk();
        long segBytes = 3L * recordLength(entry(1, 1));
        try (DiskStorage s = DiskStorage.open(disk, DIR, segBytes)) {
            for (int i = 1; i <= 12; i++) {
                s.append(List.of(entry(i, 1)));
                s.sync();
            }
            s.saveSnapshot(new Snapshot(8, 1, ConfState.of(List.of(1L)), new byte[0]));
            s.compact(8);
        }
        long firstKept = Segment.firstOf(disk.list(DIR).stream().filter(n -> n.endsWith(".log")).findFirst().orElseThrow());
        disk.cut(DIR + "/" + SnapshotFiles.name(8), 10);
        try (DiskStorage s = DiskStorage.open(disk, DIR, segBytes)) {
            assertTrue(s.snapshot().isEmpty());
            assertEquals(List.of("1-" + (firstKept - 1)), ranges(s.initialState().damage()));
        }
    }

    @Test
    void aWindowsHardStateIsDurableOnlyAfterItsEntries() throws IOException {
        for (int failAt = 1; failAt <= 2; failAt++) {
            FakeDisk disk = oneSegment(5);
            try (DiskStorage s = DiskStorage.open(disk, DIR)) {
                s.append(entries(6, 10, 1));
                s.setHardState(new HardState(1, 1, 10));
                disk.failForce(failAt);
                assertThrows(IOException.class, s::sync);
            }
            disk.crash();
            try (DiskStorage s = DiskStorage.open(disk, DIR)) {
                assertFalse(s.initialState().damage().any(), "fsync " + failAt + " failed");
                assertEquals(HardState.EMPTY, s.initialState().hardState(), "fsync " + failAt + " failed");
            }
        }
    }

    @Test
    void aConflictingSuffixNotYetSyncedLeavesTheOldLogAfterACrash() throws IOException {
        FakeDisk disk = oneSegment(10);
        try (DiskStorage s = DiskStorage.open(disk, DIR)) {
            s.append(entries(6, 8, 2));
            assertEquals(8, s.lastIndex());
        }
        disk.crash();
        try (DiskStorage s = DiskStorage.open(disk, DIR)) {
            assertLog(s, entries(1, 10, 1));
            assertFalse(s.initialState().damage().any());
        }
    }

    @Test
    void aCrashInTheMiddleOfSyncingAReplacedSuffixNeverMixesOldAndNew() throws IOException {
        List<Entry> replacement = entries(6, 8, 2);
        int total = replacement.stream().mapToInt(StorageFixtures::recordLength).sum();
        for (int keep = 0; keep <= total; keep++) {
            FakeDisk disk = oneSegment(10);
            try (DiskStorage s = DiskStorage.open(disk, DIR)) {
                s.append(replacement);
                disk.failNextForceOfAWriteTo(".log"); // whatever comes before, the new entries' fsync fails
                assertThrows(IOException.class, s::sync);
            }
            int k = keep;
            disk.crash((path, len) -> path.endsWith(".log") ? k : 0);
            try (DiskStorage s = DiskStorage.open(disk, DIR)) {
                assertFalse(s.initialState().damage().any(), "keep " + keep);
                assertEquals(entries(1, 5, 1), s.entries(1, 6, Long.MAX_VALUE));
                List<Entry> after = s.lastIndex() > 5 ? s.entries(6, s.lastIndex() + 1, Long.MAX_VALUE) : List.of();
                assertTrue(after.size() <= replacement.size(), "keep " + keep + ": old entries after the new ones " + after);
                assertEquals(replacement.subList(0, after.size()), after, "keep " + keep + ": only new entries after 5");
            }
        }
    }
}
