package io.weft.sim.disk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.store.FileStore;
import io.weft.store.FileStoreConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The file store on the simulator's disk while it is full: a batch refused by ENOSPC (the failed
 * write left a seeded prefix of its bytes, which the store cut) never comes back, neither after
 * space returns nor after a crash that keeps what it can of the last unforced write. An unforced
 * cut can be undone by such a crash (seen in js-crash: a refused KV write served after a restart).
 */
class FileStoreOnFullDiskTest {
    private static byte[] data(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aBatchRefusedOnAFullDiskNeverComesBackAfterACrash() throws IOException {
        for (long seed = 1; seed <= 64; seed++) {
            SimDisk disk = new SimDisk(seed);
            FileStoreConfig cfg = new FileStoreConfig(1 << 20, false);
            FileStore s = FileStore.open(disk, "s", cfg);
            for (int i = 1; i <= 10; i++) {
                s.append("a." + i, null, data("kept-" + i), i * 1000L);
            }
            s.sync();
            s.begin();
            for (int i = 11; i <= 15; i++) {
                s.append("a." + i, null, data("refused-" + i), i * 1000L);
            }
            disk.full(true);
            IOException e = assertThrows(IOException.class, s::commit, "seed " + seed);
            assertTrue(e.getMessage().contains("No space left on device"), e.toString());
            assertEquals(10, s.state().lastSeq(), "seed " + seed);
            disk.full(false);
            for (String t : disk.crash()) {
                // the refused bytes were cut and the cut forced: no unforced segment write is left
                assertTrue(!t.contains(".blk"), "seed " + seed + ": the crash tore " + t);
            }
            FileStore r = FileStore.open(disk, "s", cfg);
            assertEquals(10, r.state().lastSeq(), "seed " + seed + ": a refused message came back");
            assertEquals(10, r.state().msgs(), "seed " + seed);
            assertNull(r.load(11), "seed " + seed);
            assertEquals(11, r.append("a.next", null, data("next"), 16_000L), "seed " + seed);
            r.sync();
            r.close();
        }
    }
}
