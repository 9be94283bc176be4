package io.weft.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.net.RealDisk;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The file store on the real file system: rolls, compaction (rename over), erase, truncation, reopen. */
class FileStoreRealDiskTest {
    @TempDir
    Path tmp;

    private static byte[] payload(long seq) {
        return ("real-" + seq + "-" + "y".repeat((int) (seq % 40))).getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void roundTripOnTheRealDisk() throws IOException {
        String dir = tmp.resolve("jetstream/$G/streams/R/msgs").toString();
        RealDisk disk = new RealDisk();
        FileStore s = FileStore.open(disk, dir, new FileStoreConfig(4096, true));
        for (long q = 1; q <= 500; q++) {
            assertEquals(q, s.append("r." + (q % 3), null, payload(q), q));
            if (q % 50 == 0) {
                s.sync();
            }
        }
        byte[] secret = "REAL-DISK-SECRET-42".getBytes(StandardCharsets.UTF_8);
        long secretSeq = s.append("secret", null, secret, 501);
        s.sync();
        for (long q = 1; q <= 300; q++) {
            if (q % 5 != 0) {
                s.remove(q, false);
            }
        }
        assertTrue(s.remove(secretSeq, true));
        s.sync();
        for (String f : s.segmentFiles()) {
            assertFalse(FileStoreRecoveryTest.contains(Files.readAllBytes(Path.of(f)), secret), f);
        }
        StoreState st = s.state();
        s.close();
        try (var files = Files.list(Path.of(dir))) {
            assertTrue(files.noneMatch(p -> p.toString().endsWith(".tmp")));
        }
        // a torn tail: half a record appended behind the store's back
        List<String> segs = s.segmentFiles();
        Path last = Path.of(segs.getLast());
        byte[] junk = {0x57, 0x46, 1, 0, 0, 0, 1, 0};
        Files.write(last, junk, java.nio.file.StandardOpenOption.APPEND);
        long sizeBefore = Files.size(last);
        FileStore r = FileStore.open(disk, dir, new FileStoreConfig(4096, true));
        assertEquals(sizeBefore - junk.length, Files.size(last), "torn tail truncated");
        assertEquals(st, r.state());
        assertEquals(List.of(), r.corruptions());
        for (long q = 1; q <= 500; q++) {
            if (q <= 300 && q % 5 != 0) {
                assertNull(r.load(q));
            } else {
                assertArrayEquals(payload(q), r.load(q).data());
            }
        }
        assertNull(r.load(secretSeq));
        assertEquals(502, r.append("after", null, payload(502), 502));
        r.destroy();
        assertFalse(Files.exists(Path.of(dir)));
    }
}
