package io.weft.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Crashes, torn writes, bit flips and truncation on a {@link FileStore} over {@link MemDisk}. */
class FileStoreRecoveryTest {
    private static final String DIR = "js/streams/S/msgs";
    private final MemDisk disk = new MemDisk();

    private FileStore open(long block) throws IOException {
        return FileStore.open(disk, DIR, new FileStoreConfig(block, false));
    }

    private static byte[] payload(long seq) {
        return ("payload-" + seq + "-" + "x".repeat((int) (seq % 13))).getBytes(StandardCharsets.UTF_8);
    }

    private static void fill(FileStore s, int n) throws IOException {
        for (int i = 0; i < n; i++) {
            long seq = s.state().lastSeq() + 1;
            assertEquals(seq, s.append("orders." + (seq % 5), null, payload(seq), seq * 1000));
        }
    }

    /** Offsets of every record in a file, in order. */
    private List<int[]> records(String path) throws IOException {
        byte[] b = disk.bytes(path);
        List<int[]> out = new ArrayList<>();
        int p = 0;
        while (p < b.length) {
            int len = Records.check(b, p, b.length);
            assertTrue(len > 0, "clean file expected at " + path + ":" + p);
            out.add(new int[] {p, len, Records.type(b, p), (int) Records.seq(b, p)});
            p += len;
        }
        return out;
    }

    private int[] recordOf(String path, long seq) throws IOException {
        for (int[] r : records(path)) {
            if (r[2] == Records.MSG && r[3] == seq) {
                return r;
            }
        }
        throw new AssertionError("no record " + seq + " in " + path);
    }

    private String segmentHolding(FileStore s, long seq) throws IOException {
        for (String path : s.segmentFiles()) {
            for (int[] r : records(path)) {
                if (r[2] == Records.MSG && r[3] == seq) {
                    return path;
                }
            }
        }
        throw new AssertionError("no segment holds " + seq);
    }

    @Test
    void onlySyncedAppendsSurviveACrash() throws IOException {
        FileStore s = open(1 << 20);
        fill(s, 10);
        s.sync();
        fill(s, 5);
        disk.crash(null);
        FileStore r = open(1 << 20);
        assertEquals(10, r.state().lastSeq());
        assertEquals(10, r.state().msgs());
        for (long q = 1; q <= 10; q++) {
            assertArrayEquals(payload(q), r.load(q).data());
        }
        assertEquals(11, r.append("x", null, payload(11), 1));
        assertEquals(List.of(), r.corruptions());
    }

    @Test
    void unsyncedRemovalMayBeLostButSyncedOneIsNot() throws IOException {
        FileStore s = open(1 << 20);
        fill(s, 6);
        s.remove(2, false);
        s.sync();
        s.remove(3, false);
        disk.crash(null);
        FileStore r = open(1 << 20);
        assertNull(r.load(2));
        assertNotNull(r.load(3));
        assertEquals(5, r.state().msgs());
    }

    @Test
    void tornTailIsTruncatedSilently() throws IOException {
        FileStore s = open(1 << 20);
        fill(s, 20);
        s.close();
        String seg = s.segmentFiles().getLast();
        byte[] before = disk.bytes(seg);
        int[] last = recordOf(seg, 20);
        // a write after the last sync that reached the disk half-way: half a record
        var f = disk.open(seg, false);
        f.write(java.nio.ByteBuffer.wrap(before, last[0], last[1] / 2), before.length);
        f.force();
        FileStore r = open(1 << 20);
        assertEquals(20, r.state().lastSeq());
        assertEquals(List.of(), r.corruptions());
        assertEquals(before.length, disk.bytes(seg).length, "the torn bytes are cut off");
        assertEquals(21, r.append("after", null, payload(21), 1));
        r.close();
        FileStore again = open(1 << 20);
        assertEquals("after", again.load(21).subject());
        assertEquals(List.of(), again.corruptions());
    }

    @Test
    void tornMultiRecordWritesNeverLoseSyncedData() throws IOException {
        Random rnd = new Random(7);
        for (int round = 0; round < 12; round++) {
            MemDisk d = new MemDisk();
            FileStore s = FileStore.open(d, DIR, new FileStoreConfig(64 * 1024, false));
            int synced = 0;
            for (int step = 0; step < 6; step++) {
                int n = 1 + rnd.nextInt(3000); // more than the write buffer sometimes
                for (int i = 0; i < n; i++) {
                    long seq = s.state().lastSeq() + 1;
                    s.append("t." + (seq % 3), null, payload(seq), seq);
                }
                if (rnd.nextBoolean()) {
                    s.sync();
                    synced = (int) s.state().lastSeq();
                }
            }
            d.crash(rnd);
            FileStore r = FileStore.open(d, DIR, new FileStoreConfig(64 * 1024, false));
            assertEquals(List.of(), r.corruptions(), "round " + round);
            long last = r.state().lastSeq();
            assertTrue(last >= synced, "round " + round + ": synced up to " + synced + ", recovered " + last);
            for (long q = 1; q <= last; q++) {
                StoredMessage m = r.load(q);
                assertNotNull(m, "round " + round + " seq " + q);
                assertArrayEquals(payload(q), m.data());
            }
            long next = r.append("again", null, payload(last + 1), 1);
            assertEquals(last + 1, next);
        }
    }

    @Test
    void bitFlipInTheMiddleIsReportedNeverServedAndTheRestSurvives() throws IOException {
        for (int field : new int[] {0, 5, 9, 26, 31, 40}) { // magic, length, seq, header length, data length, body
            MemDisk d = new MemDisk();
            FileStore s = FileStore.open(d, DIR, new FileStoreConfig(1 << 20, false));
            fill(s, 100);
            s.close();
            String seg = s.segmentFiles().getFirst();
            int[] rec = null;
            byte[] b = d.bytes(seg);
            for (int p = 0; p < b.length; ) {
                int len = Records.check(b, p, b.length);
                if (Records.type(b, p) == Records.MSG && Records.seq(b, p) == 50) {
                    rec = new int[] {p, len};
                }
                p += len;
            }
            assertNotNull(rec);
            d.flipBit(seg, rec[0] + field, 3);
            FileStore r = FileStore.open(d, DIR, new FileStoreConfig(1 << 20, false));
            assertEquals(1, r.corruptions().size(), "field " + field);
            Corruption c = r.corruptions().getFirst();
            assertEquals(50, c.firstSeq(), "field " + field);
            assertEquals(50, c.lastSeq(), "field " + field);
            assertTrue(c.where().startsWith(seg + ":"), c.where());
            CorruptRecordException e = assertThrows(CorruptRecordException.class, () -> r.load(50));
            assertEquals(c, e.corruption());
            assertEquals(49, r.loadNext(null, 49).seq());
            assertEquals(51, r.loadNext(null, 50).seq(), "a corrupt message is skipped, never served");
            assertEquals(99, r.state().msgs());
            assertEquals(100, r.state().lastSeq());
            for (long q = 51; q <= 100; q++) {
                assertArrayEquals(payload(q), r.load(q).data());
            }
            assertEquals(101, r.append("more", null, payload(101), 1));
        }
    }

    @Test
    void bitFlipInTheLastRecordIsCorruptionNotATornWrite() throws IOException {
        FileStore s = open(1 << 20);
        fill(s, 10);
        s.close();
        String seg = s.segmentFiles().getLast();
        int[] rec = recordOf(seg, 10);
        disk.flipBit(seg, rec[0] + 40, 0);
        FileStore r = open(1 << 20);
        assertEquals(1, r.corruptions().size());
        assertEquals(10, r.corruptions().getFirst().firstSeq());
        assertEquals(10, r.state().lastSeq(), "sequence 10 is not reused");
        assertThrows(CorruptRecordException.class, () -> r.load(10));
        assertEquals(11, r.append("x", null, payload(11), 1));
        r.close();
        FileStore again = open(1 << 20);
        assertEquals(1, again.corruptions().size());
        assertEquals(10, again.corruptions().getFirst().firstSeq());
        assertEquals("x", again.load(11).subject());
    }

    @Test
    void aDamagedLastDeleteRecordIsReportedNotMistakenForATornWrite() throws IOException {
        FileStore s = open(1 << 20);
        fill(s, 3);
        s.remove(1, false);
        s.close(); // syncs: a SYNC record now follows the DEL
        String seg = s.segmentFiles().getLast();
        int[] del = null;
        for (int[] r : records(seg)) {
            if (r[2] == Records.DEL) {
                del = r;
            }
        }
        assertNotNull(del);
        disk.flipBit(seg, del[0] + 4, 7); // the length field: the record now runs past the end of the file
        FileStore r = open(1 << 20);
        assertEquals(1, r.corruptions().size(), "a deleted message may come back only with a report");
        assertEquals(3, r.state().lastSeq());
        assertArrayEquals(payload(3), r.load(3).data());
    }

    @Test
    void bytesAfterTheLastSyncAreATornWriteEvenIfGarbage() throws IOException {
        FileStore s = open(1 << 20);
        fill(s, 5);
        s.close();
        String seg = s.segmentFiles().getLast();
        int size = disk.bytes(seg).length;
        // an unsynced write that reached the disk half-way, followed by a fragment of a record
        var f = disk.open(seg, false);
        byte[] junk = new byte[100];
        junk[0] = 0x57;
        junk[1] = 0x46;
        junk[50] = 0x57;
        f.write(java.nio.ByteBuffer.wrap(junk), size);
        f.force();
        FileStore r = open(1 << 20);
        assertEquals(List.of(), r.corruptions());
        assertEquals(size, disk.bytes(seg).length);
        assertEquals(5, r.state().msgs());
    }

    @Test
    void truncatingTheActiveSegmentAtRestIsReportedAndSequencesAreNotReused() throws IOException {
        FileStore s = open(1 << 20);
        fill(s, 10);
        s.sync();
        fill(s, 2); // unsynced: may go
        s.sync();
        s.close();
        String seg = s.segmentFiles().getLast();
        int[] r8 = recordOf(seg, 8);
        disk.cut(seg, r8[0]); // exactly at a record boundary: the scan alone sees a clean file
        FileStore r = open(1 << 20);
        assertEquals(1, r.corruptions().size(), r.corruptions().toString());
        Corruption c = r.corruptions().getFirst();
        assertEquals(8, c.firstSeq());
        assertEquals(12, c.lastSeq());
        assertTrue(c.reason().contains("truncated"), c.reason());
        assertEquals(12, r.state().lastSeq());
        assertThrows(CorruptRecordException.class, () -> r.load(9));
        assertEquals(13, r.append("after", null, payload(13), 13), "no acknowledged sequence is reused");
        assertArrayEquals(payload(7), r.load(7).data());
    }

    @Test
    void losingEverySegmentFileIsReported() throws IOException {
        FileStore s = open(1 << 20);
        fill(s, 4);
        s.close();
        for (String f : s.segmentFiles()) {
            disk.delete(f);
        }
        FileStore r = open(1 << 20);
        assertEquals(1, r.corruptions().size());
        assertEquals(1, r.corruptions().getFirst().firstSeq());
        assertEquals(4, r.corruptions().getFirst().lastSeq());
        assertEquals(5, r.append("x", null, payload(5), 5));
    }

    @Test
    void aCrashBeforeTheCheckpointIsWrittenIsNoFalseAlarm() throws IOException {
        FileStore s = open(1 << 20);
        fill(s, 5);
        s.sync();
        fill(s, 5);
        disk.crash(new Random(1)); // the unsynced tail may be torn: still no report
        FileStore r = open(1 << 20);
        assertEquals(List.of(), r.corruptions());
        assertTrue(r.state().lastSeq() >= 5);
    }

    @Test
    void damageInAnOlderSegmentAndItsTruncationAreReported() throws IOException {
        FileStore s = open(2048);
        fill(s, 200);
        s.close();
        List<String> segs = s.segmentFiles();
        assertTrue(segs.size() > 4, "several segments: " + segs.size());
        String second = segs.get(1);
        List<int[]> recs = records(second);
        int[] lastMsg = null;
        for (int[] r : recs) {
            if (r[2] == Records.MSG) {
                lastMsg = r;
            }
        }
        disk.cut(second, lastMsg[0] + 3); // lose the segment's last message and a bit
        String third = segs.get(2);
        int[] mid = records(third).get(3);
        disk.flipBit(third, mid[0] + Records.HEADER + 2, 6);
        FileStore r = open(2048);
        List<Corruption> cs = r.corruptions();
        assertEquals(2, cs.size(), cs.toString());
        assertEquals(lastMsg[3], cs.get(0).firstSeq());
        assertEquals(lastMsg[3], cs.get(0).lastSeq());
        assertEquals(mid[3], cs.get(1).firstSeq());
        assertEquals(198, r.state().msgs());
        assertEquals(200, r.state().lastSeq());
        for (long q = 1; q <= 200; q++) {
            if (q == lastMsg[3] || q == mid[3]) {
                long seq = q;
                assertThrows(CorruptRecordException.class, () -> r.load(seq));
            } else {
                assertArrayEquals(payload(q), r.load(q).data());
            }
        }
    }

    @Test
    void corruptionFoundOnReadIsRecordedAndNotServed() throws IOException {
        FileStore s = open(1 << 20);
        fill(s, 6);
        s.sync();
        String seg = s.segmentFiles().getFirst();
        List<int[]> victims = List.of(recordOf(seg, 3), recordOf(seg, 4), recordOf(seg, 6));
        for (int[] rec : victims) {
            disk.flipBit(seg, rec[0] + rec[1] - 6, 1); // while the store is open
        }
        CorruptRecordException e = assertThrows(CorruptRecordException.class, () -> s.load(3));
        assertEquals(3, e.corruption().firstSeq());
        assertEquals(List.of(e.corruption()), s.corruptions());
        assertThrows(CorruptRecordException.class, () -> s.load(3));
        assertEquals(5, s.loadNext(null, 3).seq(), "loadNext records and skips a record found damaged");
        assertEquals(2, s.corruptions().size());
        assertEquals(4, s.corruptions().get(1).firstSeq());
        assertEquals(5, s.loadLast(null).seq(), "loadLast too");
        assertEquals(3, s.corruptions().size());
        assertEquals(3, s.state().msgs());
    }

    @Test
    void compactionShrinksSegmentsAndEmptySegmentsAreDeleted() throws IOException {
        FileStore s = open(4096);
        fill(s, 400);
        s.sync();
        int before = s.segmentFiles().size();
        long bytesBefore = 0;
        for (String f : s.segmentFiles()) {
            bytesBefore += disk.bytes(f).length;
        }
        for (long q = 1; q <= 400; q++) {
            if (q % 4 != 0 && q < 390) {
                assertTrue(s.remove(q, false));
            }
        }
        for (long q = 1; q <= 100; q++) {
            s.remove(q, false);
        }
        s.sync();
        long bytesAfter = 0;
        for (String f : s.segmentFiles()) {
            bytesAfter += disk.bytes(f).length;
        }
        assertTrue(bytesAfter < bytesBefore, bytesBefore + " -> " + bytesAfter);
        int physical = 0;
        for (String f : s.segmentFiles()) {
            for (int[] rec : records(f)) {
                physical += rec[2] == Records.MSG ? 1 : 0;
            }
        }
        assertTrue(physical < 130, "dead messages compacted away: " + physical + " message records left for 100 live");
        StoreState st = s.state();
        List<Long> deleted = s.deletedSequences();
        disk.crash(null);
        FileStore r = open(4096);
        assertEquals(st, r.state());
        assertEquals(deleted, r.deletedSequences());
        assertEquals(List.of(), r.corruptions());
        for (long q = 101; q <= 400; q++) {
            StoredMessage m = r.load(q);
            if (q % 4 == 0 || q >= 390) {
                assertArrayEquals(payload(q), m.data(), "seq " + q);
            } else {
                assertNull(m, "seq " + q);
            }
        }
        r.purge(null, 390, 0);
        r.sync();
        assertTrue(r.segmentFiles().size() <= 2, before + " -> " + r.segmentFiles());
        StoreState st2 = r.state();
        disk.crash(null);
        FileStore r2 = open(4096);
        assertEquals(st2, r2.state());
        assertEquals(390, r2.loadNext(null, 0).seq());
    }

    @Test
    void purgeOfEverythingDeletesSegmentsAndKeepsCountersAcrossRestart() throws IOException {
        FileStore s = open(2048);
        fill(s, 300);
        s.sync();
        assertTrue(s.segmentFiles().size() > 5);
        assertEquals(300, s.purge(null, 0, 0));
        s.sync();
        assertTrue(s.segmentFiles().size() <= 2, s.segmentFiles().toString());
        disk.crash(null);
        FileStore r = open(2048);
        StoreState st = r.state();
        assertEquals(0, st.msgs());
        assertEquals(300, st.lastSeq());
        assertEquals(301, st.firstSeq());
        assertEquals(300 * 1000, st.lastTimeNanos());
        assertEquals(301, r.append("again", null, payload(301), 1));
    }

    @Test
    void workQueueConsumptionKeepsTheDirectorySmall() throws IOException {
        FileStore s = open(4096);
        for (int i = 0; i < 2000; i++) {
            long seq = s.append("jobs", null, payload(i), i);
            s.remove(seq, false);
            if (i % 100 == 0) {
                s.sync();
            }
        }
        s.sync();
        assertTrue(s.segmentFiles().size() <= 3, s.segmentFiles().toString());
        disk.crash(null);
        FileStore r = open(4096);
        assertEquals(2000, r.state().lastSeq());
        assertEquals(0, r.state().msgs());
    }

    @Test
    void secureEraseOverwritesTheBytes() throws IOException {
        FileStore s = open(1 << 20);
        byte[] secret = "TOP-SECRET-0123456789".getBytes(StandardCharsets.UTF_8);
        byte[] kept = "KEEP-ME-9876543210".getBytes(StandardCharsets.UTF_8);
        fill(s, 3);
        long a = s.append("secret", null, secret, 1);
        long b = s.append("kept", null, kept, 2);
        fill(s, 3);
        s.sync();
        String seg = s.segmentFiles().getFirst();
        assertTrue(contains(disk.bytes(seg), secret));
        assertTrue(s.remove(a, true));
        assertTrue(s.remove(b, false));
        assertFalse(contains(disk.bytes(seg), secret), "erased bytes are overwritten at once");
        assertTrue(contains(disk.bytes(seg), kept), "a plain remove leaves the bytes (until compaction)");
        assertFalse(contains(disk.bytes(seg), "secret".getBytes(StandardCharsets.UTF_8)), "subject erased too");
        s.sync();
        disk.crash(null);
        FileStore r = open(1 << 20);
        assertFalse(contains(disk.bytes(seg), secret));
        assertNull(r.load(a));
        assertNull(r.load(b));
        assertEquals(List.of(), r.corruptions());
        assertEquals(6, r.state().msgs());
    }

    @Test
    void eraseOfABufferedMessageNeverReachesTheDisk() throws IOException {
        FileStore s = open(1 << 20);
        byte[] secret = "BUFFERED-SECRET-abcdef".getBytes(StandardCharsets.UTF_8);
        long a = s.append("secret", null, secret, 1);
        fill(s, 2);
        assertTrue(s.remove(a, true));
        s.sync();
        for (String f : disk.files()) {
            assertFalse(contains(disk.bytes(f), secret), f);
        }
        assertEquals(2, s.state().msgs());
        assertEquals(2, s.state().firstSeq());
    }

    @Test
    void aTornEraseOfADeletedMessageIsNotReportedAsCorruption() throws IOException {
        FileStore s = open(1 << 20);
        fill(s, 10);
        s.sync();
        String seg = s.segmentFiles().getFirst();
        int[] rec = recordOf(seg, 4);
        s.remove(4, true);
        // simulate the crash tearing the in-place overwrite: put back half of the original record
        s.close();
        byte[] now = disk.bytes(seg);
        assertEquals(Records.ERASED, Records.type(now, rec[0]));
        disk.flipBit(seg, rec[0] + rec[1] - 8, 2);
        FileStore r = open(1 << 20);
        assertEquals(List.of(), r.corruptions());
        assertNull(r.load(4));
        assertEquals(9, r.state().msgs());
    }

    @Test
    void s2CompressedPayloadsRoundTripAndShrinkTheFiles() throws IOException {
        MemDisk plain = new MemDisk();
        MemDisk packed = new MemDisk();
        FileStore p = FileStore.open(plain, DIR, new FileStoreConfig(1 << 20, false));
        FileStore c = FileStore.open(packed, DIR, new FileStoreConfig(1 << 20, true));
        Random rnd = new Random(3);
        List<byte[]> sent = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            String text = "{\"order\":" + i + ",\"item\":\"widget\",\"qty\":" + rnd.nextInt(100)
                    + ",\"note\":\"" + "lorem ipsum ".repeat(1 + rnd.nextInt(20)) + "\"}";
            byte[] d = i % 10 == 0 ? randomBytes(rnd, 500) : text.getBytes(StandardCharsets.UTF_8);
            sent.add(d);
            p.append("o", null, d, i);
            c.append("o", null, d, i);
        }
        p.close();
        c.close();
        long plainBytes = plain.bytes(p.segmentFiles().getFirst()).length;
        long packedBytes = packed.bytes(c.segmentFiles().getFirst()).length;
        assertTrue(packedBytes * 4 < plainBytes * 3, plainBytes + " vs " + packedBytes);
        FileStore r = FileStore.open(packed, DIR, new FileStoreConfig(1 << 20, true));
        assertEquals(p.state().bytes(), r.state().bytes(), "limits count uncompressed sizes");
        for (int i = 0; i < 200; i++) {
            assertArrayEquals(sent.get(i), r.load(i + 1).data());
        }
        FileStore asPlain = FileStore.open(packed, DIR, new FileStoreConfig(1 << 20, false));
        assertArrayEquals(sent.get(5), asPlain.load(6).data(), "compression is per record, not per open");
    }

    private static byte[] randomBytes(Random rnd, int n) {
        byte[] b = new byte[n];
        rnd.nextBytes(b);
        return b;
    }

    static boolean contains(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }
}
