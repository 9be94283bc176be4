package io.weft.engine.protocol;

import io.weft.store.SubjectBytes;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A growable byte buffer that {@link ProtocolEncoder} writes wire bytes into. Appending ASCII
 * text and decimal numbers does not allocate (except when the buffer grows). Not thread-safe.
 */
public final class ByteSink {
    private static final byte[] DIGITS = "0123456789".getBytes(StandardCharsets.US_ASCII);

    private byte[] buf;
    private int size;

    public ByteSink() {
        this(256);
    }

    public ByteSink(int initialCapacity) {
        buf = new byte[Math.max(16, initialCapacity)];
    }

    public int size() {
        return size;
    }

    /** The backing array; bytes {@code [0, size())} are valid until the next append or clear. */
    public byte[] array() {
        return buf;
    }

    public byte[] toByteArray() {
        return Arrays.copyOf(buf, size);
    }

    /** Takes {@code newSize} bytes of {@link #array()} as written (after a {@link #reserve}d direct write). */
    void setSize(int newSize) {
        if (newSize < size || newSize > buf.length) {
            throw new IllegalArgumentException("size " + newSize + " outside [" + size + ", " + buf.length + "]");
        }
        size = newSize;
    }

    public void clear() {
        size = 0;
    }

    /** Ensures room for {@code n} more bytes. */
    public void reserve(int n) {
        long need = (long) size + n;
        if (need > buf.length) {
            if (need > Integer.MAX_VALUE - 8) {
                throw new IllegalStateException("ByteSink too large");
            }
            long cap = Math.max(need, (long) buf.length * 2);
            buf = Arrays.copyOf(buf, (int) Math.min(cap, Integer.MAX_VALUE - 8));
        }
    }

    public ByteSink append(byte b) {
        reserve(1);
        buf[size++] = b;
        return this;
    }

    public ByteSink append(byte[] b) {
        return append(b, 0, b.length);
    }

    public ByteSink append(byte[] b, int off, int len) {
        reserve(len);
        System.arraycopy(b, off, buf, size, len);
        size += len;
        return this;
    }

    /** Appends the chars of {@code s}, each truncated to its low 8 bits (callers pass ASCII). */
    public ByteSink appendAscii(CharSequence s) {
        int n = s.length();
        reserve(n);
        for (int i = 0; i < n; i++) {
            buf[size++] = (byte) s.charAt(i);
        }
        return this;
    }

    /**
     * Appends {@code s} as UTF-8, a byte that {@link SubjectBytes} escaped as itself, so a subject
     * goes out with the bytes it came in with (ASCII strings take the fast path without allocating).
     */
    public ByteSink appendUtf8(String s) {
        int n = s.length();
        for (int i = 0; i < n; i++) {
            if (s.charAt(i) >= 0x80) {
                reserve(SubjectBytes.encodedLength(s));
                size = SubjectBytes.encodeInto(s, buf, size);
                return this;
            }
        }
        return appendAscii(s);
    }

    /** Appends {@code v} in decimal without allocating. */
    public ByteSink appendDecimal(long v) {
        if (v == Long.MIN_VALUE) {
            return appendAscii("-9223372036854775808");
        }
        if (v < 0) {
            append((byte) '-');
            v = -v;
        }
        int digits = 1;
        for (long t = v; t >= 10; t /= 10) {
            digits++;
        }
        reserve(digits);
        int p = size + digits;
        do {
            buf[--p] = DIGITS[(int) (v % 10)];
            v /= 10;
        } while (v != 0);
        size += digits;
        return this;
    }
}
