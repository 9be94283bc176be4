package io.weft.store;

import java.nio.charset.StandardCharsets;

/**
 * The one mapping between the bytes of a NATS subject (or reply subject, queue name, sid, header
 * value) and the Java {@code String} that stands for it inside weft. NATS subjects are bytes:
 * nats-server matches, routes and stores them byte for byte, valid UTF-8 or not. A plain UTF-8
 * decode would replace every invalid byte by U+FFFD, so {@code a.\xfe} and {@code a.\xff} would
 * become the same subject; this codec cannot confuse two subjects.
 *
 * <p>The mapping is Python's "surrogateescape": valid UTF-8 decodes as usual, and each byte
 * {@code 0x80..0xFF} that is not part of a well-formed UTF-8 sequence becomes the lone low
 * surrogate {@code U+DC80 + (byte - 0x80)}. Well-formed UTF-8 never decodes to a lone surrogate,
 * so {@link #decode} is injective and {@code encode(decode(b))} gives {@code b} back for every byte
 * string {@code b}. A string that did not come from bytes may hold a lone surrogate outside
 * {@code U+DC80..U+DCFF} (a lone high surrogate, say); no byte string decodes to it, and
 * {@link #encode} writes it as U+FFFD, as Go does when it reads such a string from JSON.
 *
 * <p>Subjects in JSON ({@link #jsonBytes}) carry an escaped byte as the JSON escape
 * {@code \\udcff}, which reads back (in weft) as the same byte.
 *
 * <p>The store sits below the engine, so the codec lives here and the engine's protocol, JetStream
 * and monitoring code use it too. Stateless.
 */
public final class SubjectBytes {
    /** The first and last char an invalid byte {@code 0x80..0xFF} decodes to. */
    static final char ESCAPE_FIRST = '\uDC80';
    static final char ESCAPE_LAST = '\uDCFF';
    private static final byte[] REPLACEMENT = {(byte) 0xEF, (byte) 0xBF, (byte) 0xBD};
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private SubjectBytes() {
    }

    public static String decode(byte[] b) {
        return decode(b, 0, b.length);
    }

    /** The string that stands for {@code b[off, off+len)}. */
    public static String decode(byte[] b, int off, int len) {
        // The JDK's decoder (ASCII and valid UTF-8 fast) replaces each malformed sequence by U+FFFD;
        // with no U+FFFD in its result the input was well-formed and the result is ours too.
        String s = new String(b, off, len, StandardCharsets.UTF_8);
        if (s.indexOf('\uFFFD') < 0) {
            return s;
        }
        return decodeEscaping(b, off, len);
    }

    /** The bytes {@code s} stands for. */
    public static byte[] encode(String s) {
        if (!hasSurrogate(s)) {
            return s.getBytes(StandardCharsets.UTF_8);
        }
        byte[] out = new byte[encodedLength(s)];
        int end = encodeInto(s, out, 0);
        assert end == out.length;
        return out;
    }

    /** The number of bytes {@link #encode} gives for {@code s}. */
    public static int encodedLength(String s) {
        int n = s.length();
        int bytes = n;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                continue;
            }
            if (c < 0x800) {
                bytes += 1;
            } else if (isPair(s, i)) {
                bytes += 2; // two chars, four bytes
                i++;
            } else if (isEscape(c)) {
                // one char, one byte
            } else {
                bytes += 2; // three bytes (a BMP char, or U+FFFD for a lone surrogate)
            }
        }
        return bytes;
    }

    /**
     * Writes the bytes of {@code s} into {@code dst} from {@code p}, which must have room for
     * {@link #encodedLength}; returns the position after them.
     */
    public static int encodeInto(String s, byte[] dst, int p) {
        int n = s.length();
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                dst[p++] = (byte) c;
            } else if (c < 0x800) {
                dst[p++] = (byte) (0xC0 | (c >> 6));
                dst[p++] = (byte) (0x80 | (c & 0x3F));
            } else if (isPair(s, i)) {
                int cp = Character.toCodePoint(c, s.charAt(++i));
                dst[p++] = (byte) (0xF0 | (cp >> 18));
                dst[p++] = (byte) (0x80 | ((cp >> 12) & 0x3F));
                dst[p++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
                dst[p++] = (byte) (0x80 | (cp & 0x3F));
            } else if (isEscape(c)) {
                dst[p++] = (byte) (c - ESCAPE_FIRST + 0x80);
            } else if (Character.isSurrogate(c)) {
                System.arraycopy(REPLACEMENT, 0, dst, p, 3);
                p += 3;
            } else {
                dst[p++] = (byte) (0xE0 | (c >> 12));
                dst[p++] = (byte) (0x80 | ((c >> 6) & 0x3F));
                dst[p++] = (byte) (0x80 | (c & 0x3F));
            }
        }
        return p;
    }

    /** True when {@code s} stands for bytes that are not well-formed UTF-8 (it holds an escaped byte). */
    public static boolean hasInvalidUtf8(String s) {
        int n = s.length();
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (isPair(s, i)) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The UTF-8 bytes of a JSON text whose string values may hold escaped bytes: each lone
     * surrogate is written as the JSON escape {@code \\udcff} (lowercase hex, as Go writes escapes),
     * which reads back as the same char, so the text is valid UTF-8 and loses nothing. A lone
     * surrogate can only be inside a JSON string (the syntax is ASCII), where an escape means the
     * same as the char. Go's decoder reads such an escape as U+FFFD, as nats-server writes an
     * invalid byte.
     */
    public static byte[] jsonBytes(String json) {
        if (!hasSurrogate(json)) {
            return json.getBytes(StandardCharsets.UTF_8);
        }
        StringBuilder sb = new StringBuilder(json.length() + 16);
        int n = json.length();
        for (int i = 0; i < n; i++) {
            char c = json.charAt(i);
            if (isPair(json, i)) {
                sb.append(c).append(json.charAt(++i));
            } else if (Character.isSurrogate(c)) {
                sb.append("\\u").append(HEX[c >> 12]).append(HEX[(c >> 8) & 0xF])
                        .append(HEX[(c >> 4) & 0xF]).append(HEX[c & 0xF]);
            } else {
                sb.append(c);
            }
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static boolean hasSurrogate(String s) {
        int n = s.length();
        for (int i = 0; i < n; i++) {
            if (Character.isSurrogate(s.charAt(i))) {
                return true;
            }
        }
        return false;
    }

    private static boolean isEscape(char c) {
        return c >= ESCAPE_FIRST && c <= ESCAPE_LAST;
    }

    private static boolean isPair(String s, int i) {
        return Character.isHighSurrogate(s.charAt(i)) && i + 1 < s.length()
                && Character.isLowSurrogate(s.charAt(i + 1));
    }

    /** The slow path: well-formed sequences decode, every other byte at or above 0x80 is escaped. */
    private static String decodeEscaping(byte[] b, int off, int len) {
        StringBuilder sb = new StringBuilder(len);
        int end = off + len;
        int i = off;
        while (i < end) {
            int b0 = b[i] & 0xFF;
            if (b0 < 0x80) {
                sb.append((char) b0);
                i++;
                continue;
            }
            int n = sequenceLength(b, i, end);
            if (n == 0) {
                sb.append((char) (ESCAPE_FIRST + b0 - 0x80));
                i++;
                continue;
            }
            int cp = b0 & (0xFF >> (n + 1));
            for (int k = 1; k < n; k++) {
                cp = (cp << 6) | (b[i + k] & 0x3F);
            }
            sb.appendCodePoint(cp);
            i += n;
        }
        return sb.toString();
    }

    /**
     * The length of the well-formed UTF-8 sequence (Unicode table 3-7: no overlong forms, no
     * surrogates, nothing above U+10FFFF) that starts at {@code b[i] >= 0x80}, or 0.
     */
    private static int sequenceLength(byte[] b, int i, int end) {
        int b0 = b[i] & 0xFF;
        int n;
        int lo = 0x80;
        int hi = 0xBF;
        if (b0 >= 0xC2 && b0 <= 0xDF) {
            n = 2;
        } else if (b0 >= 0xE0 && b0 <= 0xEF) {
            n = 3;
            if (b0 == 0xE0) {
                lo = 0xA0;
            } else if (b0 == 0xED) {
                hi = 0x9F;
            }
        } else if (b0 >= 0xF0 && b0 <= 0xF4) {
            n = 4;
            if (b0 == 0xF0) {
                lo = 0x90;
            } else if (b0 == 0xF4) {
                hi = 0x8F;
            }
        } else {
            return 0;
        }
        if (i + n > end) {
            return 0;
        }
        int b1 = b[i + 1] & 0xFF;
        if (b1 < lo || b1 > hi) {
            return 0;
        }
        for (int k = 2; k < n; k++) {
            int bk = b[i + k] & 0xFF;
            if (bk < 0x80 || bk > 0xBF) {
                return 0;
            }
        }
        return n;
    }
}
