package io.weft.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SubjectBytesTest {
    private static final HexFormat HEX = HexFormat.of();

    private static void assertRoundTrip(byte[] b) {
        String s = SubjectBytes.decode(b);
        byte[] back = SubjectBytes.encode(s);
        assertArrayEquals(b, back, () -> "round trip of " + HEX.formatHex(b));
        assertEquals(b.length, SubjectBytes.encodedLength(s), () -> "length of " + HEX.formatHex(b));
        byte[] into = new byte[b.length + 3];
        assertEquals(b.length + 1, SubjectBytes.encodeInto(s, into, 1));
        for (int i = 0; i < b.length; i++) {
            assertEquals(b[i], into[i + 1]);
        }
    }

    @Test
    void theIssueCaseStaysTwoSubjects() {
        String fe = SubjectBytes.decode(new byte[] {'a', '.', (byte) 0xFE});
        String ff = SubjectBytes.decode(new byte[] {'a', '.', (byte) 0xFF});
        assertNotEquals(fe, ff);
        assertEquals("a.\uDCFF", ff);
        assertNotEquals("a.\uFFFD", ff);
        // a real U+FFFD in the input is a character like any other, distinct from an invalid byte
        assertEquals("a.\uFFFD", SubjectBytes.decode("a.\uFFFD".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void validUtf8DecodesAsTheJdkDoes() {
        Random r = new Random(18);
        for (int t = 0; t < 20_000; t++) {
            StringBuilder sb = new StringBuilder();
            int n = r.nextInt(8);
            for (int i = 0; i < n; i++) {
                int cp;
                do {
                    cp = switch (r.nextInt(4)) {
                        case 0 -> r.nextInt(0x80);
                        case 1 -> 0x80 + r.nextInt(0x800 - 0x80);
                        case 2 -> 0x800 + r.nextInt(0x10000 - 0x800);
                        default -> 0x10000 + r.nextInt(0x110000 - 0x10000);
                    };
                } while (Character.isSurrogate((char) cp) && cp < 0x10000);
                sb.appendCodePoint(cp);
            }
            String s = sb.toString();
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            assertEquals(s, SubjectBytes.decode(b));
            assertArrayEquals(b, SubjectBytes.encode(s));
            assertFalse(SubjectBytes.hasInvalidUtf8(s));
            assertRoundTrip(b);
        }
    }

    @Test
    void everyByteStringUpToTwoBytesRoundTripsAndNoTwoCollide() {
        Map<String, byte[]> seen = new HashMap<>();
        for (int len = 0; len <= 2; len++) {
            int count = 1 << (8 * len);
            for (int v = 0; v < count; v++) {
                byte[] b = new byte[len];
                for (int i = 0; i < len; i++) {
                    b[i] = (byte) (v >> (8 * i));
                }
                assertRoundTrip(b);
                byte[] other = seen.put(SubjectBytes.decode(b), b);
                assertTrue(other == null, () -> HEX.formatHex(b) + " and " + HEX.formatHex(other) + " decode alike");
            }
        }
        assertEquals(1 + 256 + 65536, seen.size());
    }

    @Test
    void randomByteStringsRoundTrip() {
        Random r = new Random(1818);
        // bytes drawn mostly from the interesting ranges: lead bytes, continuations, ASCII
        int[] pool = {0x00, 0x2E, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF,
            0xE0, 0xE1, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF4, 0xF5, 0xFE, 0xFF};
        Map<String, String> seen = new HashMap<>();
        for (int t = 0; t < 200_000; t++) {
            byte[] b = new byte[r.nextInt(9)];
            for (int i = 0; i < b.length; i++) {
                b[i] = (byte) (r.nextInt(4) == 0 ? r.nextInt(256) : pool[r.nextInt(pool.length)]);
            }
            assertRoundTrip(b);
            String hex = HEX.formatHex(b);
            String prev = seen.putIfAbsent(SubjectBytes.decode(b), hex);
            assertTrue(prev == null || prev.equals(hex), () -> prev + " and " + hex + " decode alike");
        }
    }

    @Test
    void malformedSequencesEscapeEachByte() {
        // overlong, encoded surrogate, above U+10FFFF, truncated, stray continuation
        assertEquals("\uDCC0\uDC80", SubjectBytes.decode(HEX.parseHex("c080")));
        assertEquals("\uDCED\uDCA0\uDC80", SubjectBytes.decode(HEX.parseHex("eda080")));
        assertEquals("\uDCF4\uDC90\uDC80\uDC80", SubjectBytes.decode(HEX.parseHex("f4908080")));
        assertEquals("\uDCE2\uDC82a", SubjectBytes.decode(HEX.parseHex("e28261")));
        assertEquals("\uDCBF\u00e9", SubjectBytes.decode(HEX.parseHex("bfc3a9")));
        assertTrue(SubjectBytes.hasInvalidUtf8(SubjectBytes.decode(HEX.parseHex("bf"))));
        // a valid 4-byte char whose low surrogate lies in the escape range stays one char
        String skull = new String(Character.toChars(0x1F480));
        assertEquals('\uDC80', skull.charAt(1));
        assertEquals(skull + "\uDC80", SubjectBytes.decode(HEX.parseHex("f09f928080")));
        assertRoundTrip(HEX.parseHex("f09f928080"));
        assertFalse(SubjectBytes.hasInvalidUtf8(skull));
    }

    @Test
    void lonelySurrogatesThatNoBytesDecodeToBecomeTheReplacementChar() {
        assertArrayEquals(HEX.parseHex("61efbfbd62"), SubjectBytes.encode("a\uD800b"));
        assertArrayEquals(HEX.parseHex("61efbfbd"), SubjectBytes.encode("a\uDC7F"));
        assertEquals(4, SubjectBytes.encodedLength("a\uD800"));
    }

    @Test
    void jsonBytesEscapeLoneSurrogatesOnly() {
        String json = "{\"s\":\"a.\uDCFF.\u00e9." + new String(Character.toChars(0x1F600)) + "\"}";
        String expected = "{\"s\":\"a.\\udcff.\u00e9." + new String(Character.toChars(0x1F600)) + "\"}";
        assertArrayEquals(expected.getBytes(StandardCharsets.UTF_8), SubjectBytes.jsonBytes(json));
        assertArrayEquals("{}".getBytes(StandardCharsets.UTF_8), SubjectBytes.jsonBytes("{}"));
    }
}
