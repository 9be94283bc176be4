package io.weft.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Write faults (a full disk, a failing fsync) and files lost at rest, on a {@link FileStore} over
 * {@link MemDisk}: a refused batch leaves nothing behind, in memory or on disk, and the store goes on
 * when space returns; a missing segment or checkpoint is reported and no sequence is reused.
 */
class FileStoreFaultTest {
    private static final String DIR = "js/streams/S/msgs";
    private final MemDisk disk = new MemDisk();

    private FileStore open(long block) throws IOException {
        return FileStore.open(disk, DIR, new FileStoreConfig(block, false));
    }

    private static byte[] payload(long seq, int size) {
        byte[] b = new byte[size];
        byte[] tag = ("m" + seq + "-").getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < size; i++) {
            b[i] = tag[i % tag.length];
        }
        return b;
    }

    private static void fill(FileStore s, int n, int size) throws IOException {
        for (int i = 0; i < n; i++) {
            long seq = s.state().lastSeq() + 1;
            assertEquals(seq, s.append("orders." + (seq % 3), null, payload(seq, size), seq * 1000));
        }
    }

    /** Everything a reader can see: counters, deleted sequences, subjects and every message. */
    private static List<String> view(FileStore s) throws IOException {
        List<String> out = new ArrayList<>();
        out.add(s.state().toString());
        out.add("deleted " + s.deletedSequences());
        out.add("subjects " + s.subjects(null));
        for (StoredMessage m = s.loadNext(null, 0); m != null; m = s.loadNext(null, m.seq() + 1)) {
            out.add(m.seq() + " " + m.subject() + " " + new String(m.data(), StandardCharsets.UTF_8).hashCode()
                    + " " + m.timestampNanos());
        }
        return out;
    }

    /**
     * A refused batch of appends, with or without removals, flushes or rolls in it, leaves the view
     * as it was; with {@code midway} the disk fills half way through the batch's appends.
     */
    private void assertRefusedBatchLeavesNothing(long block, int size, int n, boolean removals, String failOn,
                                                 boolean midway) throws IOException {
        FileStore s = open(block);
        fill(s, 20, size);
        s.remove(3, false);
        s.sync();
        List<String> before = view(s);
        List<String> filesBefore = s.segmentFiles();
        s.begin();
        for (int i = 0; i < n; i++) {
            if (midway && i == n / 2) {
                disk.noSpace = failOn;
            }
            try {
                s.append("orders." + (i % 3), null, payload(21 + i, size), (21 + i) * 1000L);
            } catch (IOException e) {
                assertTrue(midway && e.getMessage().contains("No space left on device"), e.toString());
            }
        }
        if (removals) {
            s.purge("orders.1", 0, 1);
            s.remove(5, false);
            s.purge(null, 8, 0);
        }
        disk.noSpace = failOn;
        IOException e = assertThrows(IOException.class, s::commit);
        assertTrue(e.getMessage().contains("No space left on device"), e.getMessage());
        assertEquals(before, view(s), "a refused batch leaves the store as it was");
        assertEquals(filesBefore, s.segmentFiles());
        assertNull(s.load(21));
        disk.noSpace = null; // space returns: the next batch gets the next sequence
        s.begin();
        assertEquals(21, s.append("after", null, payload(21, 10), 21_000));
        s.commit();
        List<String> after = view(s);
        s.close();
        FileStore r = open(block);
        assertEquals(List.of(), r.corruptions());
        assertEquals(after, view(r), "the refused messages never come back, at a restart either");
        disk.crash(new Random(7));
        FileStore c = open(block);
        assertEquals(after, view(c), "nor after a crash");
    }

    @Test
    void aBatchRefusedAtTheSyncLeavesNothing() throws IOException {
        assertRefusedBatchLeavesNothing(1 << 20, 50, 30, false, "", false);
    }

    @Test
    void aBatchWithRemovalsRefusedAtTheSyncPutsTheRemovedMessagesBack() throws IOException {
        assertRefusedBatchLeavesNothing(1 << 20, 50, 30, true, "", false);
    }

    @Test
    void aBatchWhoseBufferFlushFailedHalfWayLeavesNothing() throws IOException {
        // 300 KB messages: the 1 MiB write buffer is written out inside the batch
        assertRefusedBatchLeavesNothing(64 << 20, 300_000, 8, true, "", false);
    }

    @Test
    void aBatchThatFilledTheDiskHalfWayLeavesNothing() throws IOException {
        assertRefusedBatchLeavesNothing(64 << 20, 300_000, 8, false, "", true);
    }

    @Test
    void aBatchThatRolledSegmentsLeavesNothing() throws IOException {
        assertRefusedBatchLeavesNothing(4096, 300, 40, true, "", false);
    }

    @Test
    void aBatchThatRolledSegmentsAndFilledTheDiskLeavesNothing() throws IOException {
        assertRefusedBatchLeavesNothing(4096, 300, 40, false, "", true);
    }

    @Test
    void aBatchWhoseCheckpointWriteFailedLeavesNothing() throws IOException {
        assertRefusedBatchLeavesNothing(1 << 20, 50, 30, true, "checkpoint", false);
    }

    @Test
    void aFailedFsyncRefusesTheBatchAndACrashCannotBringItBack() throws IOException {
        FileStore s = open(1 << 20);
        fill(s, 10, 40);
        s.sync();
        List<String> before = view(s);
        s.begin();
        fill(s, 5, 40);
        disk.failForce = ".blk";
        assertThrows(IOException.class, s::commit);
        assertEquals(before, view(s));
        disk.failForce = null;
        disk.crash(null);
        FileStore r = open(1 << 20);
        assertEquals(before, view(r));
        assertEquals(List.of(), r.corruptions());
        assertEquals(11, r.append("x", null, payload(11, 3), 11_000));
    }

    @Test
    void appendsOutsideABatchThatFailToReachTheDiskAreRetriedBySync() throws IOException {
        FileStore s = open(1 << 20);
        fill(s, 2, 400_000); // buffered: the next one must write the buffer out first
        disk.noSpace = "";
        IOException e = assertThrows(IOException.class, () -> s.append("big", null, payload(3, 400_000), 3000));
        assertTrue(e.getMessage().contains("No space"), e.getMessage());
        assertEquals(2, s.state().lastSeq(), "a failed append takes no sequence");
        assertNull(s.load(3));
        assertThrows(IOException.class, s::sync);
        disk.noSpace = null;
        s.sync(); // the same bytes again, over the half written by the failed attempt
        assertEquals(3, s.append("big", null, payload(3, 10), 3000));
        s.close();
        FileStore r = open(1 << 20);
        assertEquals(List.of(), r.corruptions());
        assertEquals(3, r.state().msgs());
        assertArrayEquals(payload(2, 400_000), r.load(2).data());
        assertArrayEquals(payload(3, 10), r.load(3).data());
    }

    @Test
    void aDeletedMiddleSegmentIsReportedWithTheSequencesItHeld() throws IOException {
        FileStore s = open(4096);
        fill(s, 100, 200);
        s.close();
        List<String> files = s.segmentFiles();
        assertTrue(files.size() >= 4, files.toString());
        String middle = files.get(2);
        long first = Long.MAX_VALUE;
        long last = 0;
        FileStore probe = open(4096);
        for (StoredMessage m = probe.loadNext(null, 0); m != null; m = probe.loadNext(null, m.seq() + 1)) {
            first = Math.min(first, m.seq());
            last = Math.max(last, m.seq());
        }
        probe.close();
        disk.delete(middle);
        FileStore r = open(4096);
        assertEquals(1, r.corruptions().size(), r.corruptions().toString());
        Corruption c = r.corruptions().getFirst();
        assertTrue(c.reason().contains("missing"), c.reason());
        assertEquals(middle, c.where());
        assertTrue(c.firstSeq() > first && c.lastSeq() < last && c.firstSeq() <= c.lastSeq(), c.toString());
        for (long seq = c.firstSeq(); seq <= c.lastSeq(); seq++) {
            long q = seq;
            assertThrows(CorruptRecordException.class, () -> r.load(q));
        }
        assertEquals(100 - (c.lastSeq() - c.firstSeq() + 1), r.state().msgs());
        assertEquals(101, r.append("x", null, payload(101, 3), 101_000));
        r.close();
        assertEquals(1, open(4096).corruptions().size(), "reported at every open until the file is back");
    }

    @Test
    void segmentsTheStoreDeletedItselfAreNoDamage() throws IOException {
        FileStore s = open(4096);
        fill(s, 100, 200);
        s.purge(null, 60, 0);
        for (long seq = 70; seq < 90; seq++) {
            s.remove(seq, false);
        }
        s.sync();
        List<String> before = view(s);
        s.close();
        FileStore r = open(4096);
        assertEquals(List.of(), r.corruptions());
        assertEquals(before, view(r));
    }

    @Test
    void aDeletedCheckpointAndATruncatedTailAreReportedAndNoSequenceIsReused() throws IOException {
        FileStore s = open(1 << 20);
        fill(s, 10, 30);
        s.sync();
        s.close();
        String seg = s.segmentFiles().getLast();
        disk.delete(DIR + "/checkpoint");
        byte[] b = disk.bytes(seg);
        int cut = 0;
        for (int p = 0; p < b.length; p += Records.check(b, p, b.length)) {
            if (Records.type(b, p) == Records.MSG && Records.seq(b, p) == 8) {
                cut = p;
            }
        }
        disk.cut(seg, cut); // messages 8, 9, 10 are gone, and nothing says how far the file went
        FileStore r = open(1 << 20);
        assertEquals(1, r.corruptions().size(), r.corruptions().toString());
        Corruption c = r.corruptions().getFirst();
        assertTrue(c.reason().contains("checkpoint"), c.reason());
        assertTrue(c.firstSeq() <= 8 && c.lastSeq() >= 10, c.toString());
        long next = r.append("x", null, payload(99, 3), 99_000);
        assertTrue(next > 10, "sequence " + next + " was acknowledged before");
        r.close();
        FileStore again = open(1 << 20);
        assertEquals(List.of(), again.corruptions(), "the checkpoint is back");
        assertEquals(next, again.state().lastSeq(), "the last sequence never goes backwards");
    }

    @Test
    void aNewStoreHasItsCheckpointBeforeItsFirstSegment() throws IOException {
        FileStore s = open(1 << 20);
        fill(s, 3, 10); // never synced
        disk.crash(null);
        FileStore r = open(1 << 20);
        assertEquals(List.of(), r.corruptions(), "a crash before the first sync is no damage");
    }

    @Test
    void damageFoundByAReadIsTold() throws IOException {
        FileStore s = open(1 << 20);
        fill(s, 5, 30);
        s.close();
        FileStore r = open(1 << 20);
        List<Corruption> told = new ArrayList<>();
        r.onCorruption(told::add);
        String seg = r.segmentFiles().getFirst();
        byte[] b = disk.bytes(seg);
        for (int p = 0; p < b.length; p += Records.check(b, p, b.length)) {
            if (Records.type(b, p) == Records.MSG && Records.seq(b, p) == 3) {
                disk.flipBit(seg, p + Records.HEADER + 2, 1);
                break;
            }
        }
        assertThrows(CorruptRecordException.class, () -> r.load(3));
        assertEquals(1, told.size());
        assertEquals(3, told.getFirst().firstSeq());
    }
}
