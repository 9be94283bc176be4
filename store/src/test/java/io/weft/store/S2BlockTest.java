package io.weft.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class S2BlockTest {
    private static void roundTrip(byte[] src) throws IOException {
        byte[] c = S2Block.compress(src);
        assertEquals(src.length, S2Block.decodedLength(c, 0, c.length));
        assertArrayEquals(src, S2Block.decompress(c));
        assertTrue(c.length <= 32 + src.length + src.length / 6, "worst-case bound");
    }

    @Test
    void roundTripsShapesAndSizes() throws IOException {
        Random rnd = new Random(11);
        for (int n : new int[] {0, 1, 3, 4, 7, 8, 15, 16, 17, 59, 60, 61, 64, 65, 100, 255, 256, 257, 4096, 65535,
            65536, 65537, 70000, 300_000}) {
            byte[] random = new byte[n];
            rnd.nextBytes(random);
            roundTrip(random);
            byte[] zeros = new byte[n];
            roundTrip(zeros);
            byte[] pattern = new byte[n];
            for (int i = 0; i < n; i++) {
                pattern[i] = (byte) "abcabcabdabcabcx".charAt(i % 16);
            }
            roundTrip(pattern);
            byte[] mixed = new byte[n];
            for (int i = 0; i < n; i++) {
                mixed[i] = (byte) (rnd.nextInt(4) == 0 ? rnd.nextInt() : i / 100);
            }
            roundTrip(mixed);
        }
        for (int t = 0; t < 500; t++) {
            byte[] b = new byte[rnd.nextInt(3000)];
            int alphabet = 1 + rnd.nextInt(6);
            for (int i = 0; i < b.length; i++) {
                b[i] = (byte) rnd.nextInt(alphabet);
            }
            roundTrip(b);
        }
    }

    @Test
    void compressesRepetitiveText() throws IOException {
        byte[] text = "the quick brown fox jumps over the lazy dog. ".repeat(200).getBytes(StandardCharsets.UTF_8);
        byte[] c = S2Block.compress(text);
        assertTrue(c.length * 10 < text.length, text.length + " -> " + c.length);
        assertArrayEquals(text, S2Block.decompress(c));
    }

    @Test
    void decodesAHandWrittenSnappyBlock() throws IOException {
        // "abcdabcdabcd": length 12, literal "abcd" (tag 3<<2), copy-1 length 8 offset 4
        byte[] block = {12, 3 << 2, 'a', 'b', 'c', 'd', (byte) (1 | (4 << 2)), 4};
        assertArrayEquals("abcdabcdabcd".getBytes(StandardCharsets.US_ASCII), S2Block.decompress(block));
    }

    @Test
    void rejectsMalformedBlocks() {
        byte[] good = S2Block.compress("hello hello hello hello hello".getBytes(StandardCharsets.US_ASCII));
        assertThrows(IOException.class, () -> S2Block.decompress(Arrays.copyOf(good, good.length - 1)));
        assertThrows(IOException.class, () -> S2Block.decompress(new byte[] {5, 1, 0}));
        assertThrows(IOException.class, () -> S2Block.decompress(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff,
            (byte) 0xff, (byte) 0xff, 0}));
    }
}
