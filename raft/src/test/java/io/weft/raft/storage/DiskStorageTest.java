package io.weft.raft.storage;

import static io.weft.raft.storage.StorageFixtures.DIR;
import static io.weft.raft.storage.StorageFixtures.assertLog;
import static io.weft.raft.storage.StorageFixtures.entries;
import static io.weft.raft.storage.StorageFixtures.entry;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.net.Disk;
import io.weft.net.RealDisk;
import io.weft.raft.ConfState;
import io.weft.raft.Entry;
import io.weft.raft.HardState;
import io.weft.raft.Snapshot;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The write side and reopen, over the real disk and the fake one. */
class DiskStorageTest {
    @TempDir
    Path tmp;

    @Test
    void appendSyncReopenRoundTripOnTheRealDisk() throws IOException {
        roundTrip(new RealDisk(), tmp.resolve("raft").toString());
    }

    @Test
    void appendSyncReopenRoundTripOnTheFakeDisk() throws IOException {
        FakeDisk disk = new FakeDisk();
        roundTrip(disk, DIR);
        disk.crash();
        try (DiskStorage s = DiskStorage.open(disk, DIR, 200)) {
            assertLog(s, expectedRoundTrip());
            assertEquals(new HardState(3, 2, 40), s.initialState().hardState());
        }
    }

    private static List<Entry> expectedRoundTrip() {
        List<Entry> all = new ArrayList<>(entries(1, 20, 1));
        all.add(new Entry(2, 21, Entry.Kind.EMPTY, null));
        all.add(new Entry(2, 22, Entry.Kind.CONF_CHANGE, new byte[] {1, 2, 3}));
        all.addAll(entries(23, 40, 3));
        return all;
    }

    private static void roundTrip(Disk disk, String dir) throws IOException {
        List<Entry> all = expectedRoundTrip();
        try (DiskStorage s = DiskStorage.open(disk, dir, 200)) {
            assertFalse(s.initialState().damage().any(), "a fresh directory has no damage");
            assertEquals(HardState.EMPTY, s.initialState().hardState());
            for (int i = 0; i < all.size(); i += 3) {
                s.append(all.subList(i, Math.min(all.size(), i + 3)));
                s.sync();
            }
            s.setHardState(new HardState(3, 2, 40));
            s.sync();
            assertLog(s, all);
        }
        try (DiskStorage s = DiskStorage.open(disk, dir, 200)) {
            assertLog(s, all);
            assertEquals(new HardState(3, 2, 40), s.initialState().hardState());
            assertFalse(s.initialState().damage().any());
            assertEquals(0, s.recoveryReport().tornTailBytes());
            assertTrue(disk.list(dir).stream().filter(n -> n.endsWith(".log")).count() > 3, "small segments roll over");
            assertEquals(2, s.term(22));
            assertEquals(Entry.Kind.CONF_CHANGE, s.entries(22, 23, 0).getFirst().kind());
        }
    }

    @Test
    void corruptionAndACutTailOnTheRealDisk() throws IOException {
        String dir = tmp.resolve("raft").toString();
        try (DiskStorage s = DiskStorage.open(new RealDisk(), dir)) {
            s.append(entries(1, 10, 1));
            s.sync();
        }
        Path seg = tmp.resolve("raft").resolve(Segment.name(1));
        byte[] b = Files.readAllBytes(seg);
        int rec = StorageFixtures.recordLength(entry(1, 1));
        b[3 * rec + 30] ^= 0x10; // inside entry 4
        Files.write(seg, Arrays.copyOf(b, b.length - 7)); // and entry 10 cut short after its fsync
        try (DiskStorage s = DiskStorage.open(new RealDisk(), dir)) {
            // entry 10 was fsynced (it may have been acknowledged): damage, though its bytes are cut off
            assertEquals(List.of("4-4", "10-10"), StorageFixtures.ranges(s.initialState().damage()));
            assertEquals(10, s.lastIndex());
            assertEquals(StorageFixtures.recordLength(entry(10, 1)) - 7, s.recoveryReport().tornTailBytes());
            s.repair(List.of(entry(4, 1)));
            s.append(entries(10, 11, 2));
            s.sync();
        }
        try (DiskStorage s = DiskStorage.open(new RealDisk(), dir)) {
            assertFalse(s.initialState().damage().any());
            List<Entry> want = new ArrayList<>(entries(1, 9, 1));
            want.addAll(entries(10, 11, 2));
            assertLog(s, want);
        }
    }

    @Test
    void manyAppendsOneSyncIsOneFsyncOfTheLog() throws IOException {
        FakeDisk disk = new FakeDisk();
        try (DiskStorage s = DiskStorage.open(disk, DIR)) {
            s.append(entries(1, 1, 1));
            s.setHardState(new HardState(1, 1, 0));
            s.sync();
            int before = disk.forces;
            for (int i = 2; i <= 101; i++) {
                s.append(List.of(entry(i, 1)));
            }
            s.setHardState(new HardState(1, 1, 50));
            assertEquals(before, disk.forces, "append and setHardState only stage");
            s.sync();
            assertEquals(before + 2, disk.forces, "one fsync of the segment, one of the hard state (commit only)");
            s.setHardState(new HardState(2, 3, 50));
            s.sync();
            assertEquals(before + 4, disk.forces, "a new term and vote: both hard state slots, one fsync each");
        }
    }

    @Test
    void aSyncWindowWritesOneSegmentAndTheNextWindowBeginsANewOneWhenFull() throws IOException {
        FakeDisk disk = new FakeDisk();
        try (DiskStorage s = DiskStorage.open(disk, DIR, 100)) {
            s.append(entries(1, 10, 1)); // about 430 bytes, far past 100
            s.sync();
            assertEquals(List.of(Segment.name(1)), disk.list(DIR).stream().filter(n -> n.endsWith(".log")).toList());
            s.append(entries(11, 12, 1));
            s.sync();
            assertEquals(List.of(Segment.name(1), Segment.name(11)),
                    disk.list(DIR).stream().filter(n -> n.endsWith(".log")).toList());
        }
    }

    @Test
    void stagedStateIsReadableButLostByACrashBeforeSync() throws IOException {
        FakeDisk disk = new FakeDisk();
        try (DiskStorage s = DiskStorage.open(disk, DIR)) {
            s.append(entries(1, 5, 1));
            s.setHardState(new HardState(1, 0, 5));
            s.sync();
            s.append(entries(6, 9, 2));
            s.setHardState(new HardState(2, 3, 9));
            assertEquals(9, s.lastIndex());
            assertEquals(new HardState(2, 3, 9), s.hardState());
            assertEquals(new HardState(1, 0, 5), s.initialState().hardState(), "initial state is the durable one");
        }
        disk.crash();
        try (DiskStorage s = DiskStorage.open(disk, DIR)) {
            assertLog(s, entries(1, 5, 1));
            assertEquals(new HardState(1, 0, 5), s.initialState().hardState());
            assertFalse(s.initialState().damage().any());
        }
    }

    @Test
    void aFailedSyncRefusesFurtherWritesUntilReopened() throws IOException {
        FakeDisk disk = new FakeDisk();
        try (DiskStorage s = DiskStorage.open(disk, DIR)) {
            s.append(entries(1, 3, 1));
            s.sync();
            s.append(entries(4, 5, 1));
            disk.failForce(1);
            assertThrows(IOException.class, s::sync);
            assertThrows(IllegalStateException.class, s::sync, "a failed fsync is not retried");
            assertThrows(IllegalStateException.class, () -> s.append(entries(6, 6, 1)));
            assertThrows(IllegalStateException.class, () -> s.setHardState(new HardState(1, 1, 1)));
            assertEquals(entries(1, 3, 1), s.entries(1, 4, Long.MAX_VALUE), "reads still work");
        }
        try (DiskStorage s = DiskStorage.open(disk, DIR)) {
            assertLog(s, entries(1, 5, 1)); // the bytes were written, the process did not crash
            s.append(entries(6, 6, 1));
            s.sync();
        }
    }

    @Test
    void entriesStopAtMaxBytesButReturnAtLeastOne() throws IOException {
        try (DiskStorage s = DiskStorage.open(new FakeDisk(), DIR)) {
            s.append(entries(1, 10, 1));
            int one = entry(1, 1).data().length;
            assertEquals(1, s.entries(1, 11, 0).size());
            assertEquals(3, s.entries(1, 11, 3L * one).size());
            assertEquals(10, s.entries(1, 11, Long.MAX_VALUE).size());
            assertEquals(List.of(), s.entries(4, 4, 10));
            assertThrows(IllegalArgumentException.class, () -> s.entries(0, 3, 10));
            assertThrows(IllegalArgumentException.class, () -> s.entries(5, 12, 10));
        }
    }

    @Test
    void appendRejectsGapsAndFallingTerms() throws IOException {
        try (DiskStorage s = DiskStorage.open(new FakeDisk(), DIR)) {
            s.append(entries(1, 3, 2));
            assertThrows(IllegalArgumentException.class, () -> s.append(entries(5, 6, 2)), "gap after 3");
            assertThrows(IllegalArgumentException.class, () -> s.append(List.of(entry(4, 2), entry(6, 2))));
            assertThrows(IllegalArgumentException.class, () -> s.append(List.of(entry(4, 2), entry(5, 1))));
            assertThrows(IllegalArgumentException.class, () -> s.append(List.of(entry(4, 1))), "below the term of 3");
            assertLog(s, entries(1, 3, 2));
        }
    }

    @Test
    void conflictingSuffixIsReplacedDurablyAcrossSegments() throws IOException {
        FakeDisk disk = new FakeDisk();
        try (DiskStorage s = DiskStorage.open(disk, DIR, 100)) {
            for (int i = 1; i <= 12; i++) {
                s.append(List.of(entry(i, 1)));
                s.sync();
            }
            s.append(entries(4, 6, 2));
            s.sync();
            List<Entry> want = new ArrayList<>(entries(1, 3, 1));
            want.addAll(entries(4, 6, 2));
            assertLog(s, want);
        }
        disk.crash();
        try (DiskStorage s = DiskStorage.open(disk, DIR, 100)) {
            List<Entry> want = new ArrayList<>(entries(1, 3, 1));
            want.addAll(entries(4, 6, 2));
            assertLog(s, want);
            assertFalse(s.initialState().damage().any());
        }
    }

    @Test
    void snapshotCompactionAndReopen() throws IOException {
        FakeDisk disk = new FakeDisk();
        ConfState conf = new ConfState(List.of(1L, 2L, 3L), List.of(4L), List.of());
        byte[] state = "state at 20".getBytes(StandardCharsets.UTF_8);
        try (DiskStorage s = DiskStorage.open(disk, DIR, 100)) {
            for (int i = 1; i <= 30; i++) {
                s.append(List.of(entry(i, i <= 15 ? 1 : 2)));
                s.sync();
            }
            long segmentsBefore = segments(disk);
            s.saveSnapshot(new Snapshot(20, 2, conf, state));
            assertEquals(1, s.firstIndex(), "saving a snapshot alone compacts nothing");
            s.compact(20);
            assertEquals(21, s.firstIndex());
            assertEquals(2, s.term(20));
            assertThrows(IllegalArgumentException.class, () -> s.term(19));
            assertThrows(IllegalArgumentException.class, () -> s.compact(25), "past the snapshot");
            assertTrue(segments(disk) < segmentsBefore, "segments holding only compacted entries are deleted");
        }
        disk.crash();
        try (DiskStorage s = DiskStorage.open(disk, DIR, 100)) {
            assertEquals(21, s.firstIndex());
            assertEquals(30, s.lastIndex());
            assertEquals(2, s.term(20));
            assertEquals(entries(21, 30, 2), s.entries(21, 31, Long.MAX_VALUE));
            assertEquals(conf, s.initialState().conf());
            assertArrayEquals(state, s.snapshot().data());
            assertFalse(s.initialState().damage().any());
            s.append(entries(31, 32, 3));
            s.sync();
        }
        try (DiskStorage s = DiskStorage.open(disk, DIR, 100)) {
            assertEquals(32, s.lastIndex());
        }
    }

    @Test
    void installingASnapshotThatTheLogDoesNotHoldDiscardsTheLog() throws IOException {
        FakeDisk disk = new FakeDisk();
        Snapshot installed = new Snapshot(50, 4, ConfState.of(List.of(1L, 2L, 3L)), new byte[] {9});
        try (DiskStorage s = DiskStorage.open(disk, DIR, 100)) {
            for (int i = 1; i <= 10; i++) {
                s.append(List.of(entry(i, 1)));
                s.sync();
            }
            s.saveSnapshot(installed);
            assertEquals(51, s.firstIndex());
            assertEquals(50, s.lastIndex());
            assertEquals(4, s.term(50));
            assertEquals(0, segments(disk));
            s.append(entries(51, 53, 4));
            s.sync();
        }
        disk.crash();
        try (DiskStorage s = DiskStorage.open(disk, DIR, 100)) {
            assertEquals(51, s.firstIndex());
            assertLog(s, entries(51, 53, 4));
            assertEquals(installed.index(), s.snapshot().index());
            assertFalse(s.initialState().damage().any());
        }
    }

    @Test
    void installSnapshotDiscardsTheLogEvenWhenItHoldsTheSnapshotsIndex() throws IOException {
        FakeDisk disk = new FakeDisk();
        try (DiskStorage s = DiskStorage.open(disk, DIR, 100)) {
            s.append(entries(1, 10, 1));
            s.sync();
            s.installSnapshot(new Snapshot(5, 1, ConfState.of(List.of(1L, 2L)), new byte[] {5}));
            assertEquals(6, s.firstIndex());
            assertEquals(5, s.lastIndex());
            s.append(entries(6, 7, 2));
            s.sync();
        }
        disk.crash();
        try (DiskStorage s = DiskStorage.open(disk, DIR, 100)) {
            assertEquals(5, s.snapshot().index());
            assertLog(s, entries(6, 7, 2));
            assertEquals(ConfState.of(List.of(1L, 2L)), s.initialState().conf());
        }
    }

    @Test
    void aBootstrapSnapshotAtIndexZeroCarriesTheFirstMembership() throws IOException {
        FakeDisk disk = new FakeDisk();
        ConfState conf = ConfState.of(List.of(1L, 2L, 3L));
        try (DiskStorage s = DiskStorage.open(disk, DIR)) {
            s.saveSnapshot(new Snapshot(0, 0, conf, new byte[0]));
            s.append(entries(1, 2, 1));
            s.sync();
        }
        disk.crash();
        try (DiskStorage s = DiskStorage.open(disk, DIR)) {
            assertEquals(conf, s.initialState().conf());
            assertEquals(1, s.firstIndex());
            assertLog(s, entries(1, 2, 1));
        }
    }

    @Test
    void aSnapshotInstallWhoseLogDeletionDidNotReachTheDiskIgnoresTheStaleLog() throws IOException {
        FakeDisk disk = new FakeDisk();
        try (DiskStorage s = DiskStorage.open(disk, DIR)) {
            s.append(entries(1, 10, 1));
            s.sync();
            disk.failSyncDir(2); // the first syncDir makes the snapshot's name durable, the second would drop the log
            assertThrows(IOException.class, () -> s.saveSnapshot(new Snapshot(5, 3, ConfState.of(List.of(1L)), new byte[0])));
        }
        disk.crash();
        try (DiskStorage s = DiskStorage.open(disk, DIR)) {
            assertEquals(5, s.snapshot().index());
            assertEquals(6, s.firstIndex());
            assertEquals(5, s.lastIndex(), "the old log's entries 6..10 are not this snapshot's log");
            assertEquals(3, s.term(5));
            assertFalse(s.initialState().damage().any());
        }
    }

    private static long segments(FakeDisk disk) throws IOException {
        return disk.list(DIR).stream().filter(n -> n.endsWith(".log")).count();
    }
}
