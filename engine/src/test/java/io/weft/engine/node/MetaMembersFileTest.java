package io.weft.engine.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.net.RealDisk;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The meta group's {@code members} file: what is written reads back; every cut of its tail and
 * every flipped bit is found as damage (the Jepsen truncate nemesis cut it to a prefix that still
 * parsed, and the server then refused to join its group); a file of the format before the
 * checksum still reads.
 */
class MetaMembersFileTest {
    @TempDir
    Path dir;

    private final RealDisk disk = new RealDisk();
    private static final List<String> MEMBERS = List.of("n1", "n2", "n3", "n4", "n5");

    @Test
    void whatIsWrittenReadsBack() throws IOException {
        assertNull(MetaBootstrap.read(disk, dir.toString()), "no file: no members yet");
        MetaBootstrap.write(disk, dir.toString(), MEMBERS);
        assertEquals(MEMBERS, MetaBootstrap.read(disk, dir.toString()));
    }

    @Test
    void everyCutOfTheTailIsDamage() throws IOException {
        MetaBootstrap.write(disk, dir.toString(), MEMBERS);
        Path f = dir.resolve(MetaBootstrap.FILE);
        byte[] whole = Files.readAllBytes(f);
        for (int len = 0; len < whole.length; len++) {
            Files.write(f, java.util.Arrays.copyOf(whole, len));
            int l = len;
            MetaBootstrap.Damaged d = assertThrows(MetaBootstrap.Damaged.class, () -> MetaBootstrap.read(disk, dir.toString()),
                    "cut to " + l + " bytes");
            assertTrue(d.getMessage().contains("is damaged"), d.getMessage());
        }
    }

    @Test
    void everyFlippedBitIsDamage() throws IOException {
        MetaBootstrap.write(disk, dir.toString(), MEMBERS);
        Path f = dir.resolve(MetaBootstrap.FILE);
        byte[] whole = Files.readAllBytes(f);
        for (int bit = 0; bit < whole.length * 8; bit++) {
            byte[] b = whole.clone();
            b[bit / 8] ^= (byte) (1 << (bit % 8));
            Files.write(f, b);
            List<String> read;
            try {
                read = MetaBootstrap.read(disk, dir.toString());
            } catch (MetaBootstrap.Damaged e) {
                continue;
            }
            // no flip may be read as other members (whatever is read must be what was written)
            assertEquals(MEMBERS, read, "bit " + bit + " changed the members unnoticed");
        }
    }

    @Test
    void aFileOfTheFormatBeforeTheChecksumReads() throws IOException {
        Files.write(dir.resolve(MetaBootstrap.FILE), "n1\nn2\nn3\n".getBytes(StandardCharsets.UTF_8));
        assertEquals(List.of("n1", "n2", "n3"), MetaBootstrap.read(disk, dir.toString()));
        Files.write(dir.resolve(MetaBootstrap.FILE), "n1\nn2\nn".getBytes(StandardCharsets.UTF_8));
        assertThrows(MetaBootstrap.Damaged.class, () -> MetaBootstrap.read(disk, dir.toString()), "a cut last line");
    }
}
