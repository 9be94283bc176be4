package io.weft.raft;

import java.util.Arrays;

/** Reads what {@link ByteWriter} wrote; any short or malformed input is a {@link CorruptMessageException}. */
final class ByteReader {
    private final byte[] buf;
    private int pos;
    private final int end;

    ByteReader(byte[] buf, int off, int end) {
        this.buf = buf;
        this.pos = off;
        this.end = end;
    }

    int u8() {
        if (pos >= end) throw new CorruptMessageException("message truncated");
        return buf[pos++] & 0xFF;
    }

    long varint() {
        long v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            int b = u8();
            v |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                if (v < 0) throw new CorruptMessageException("varint out of range");
                return v;
            }
        }
        throw new CorruptMessageException("varint too long");
    }

    boolean bool() {
        int b = u8();
        if (b > 1) throw new CorruptMessageException("bad boolean " + b);
        return b == 1;
    }

    byte[] bytes() {
        long n = varint();
        if (n > end - pos) throw new CorruptMessageException("length " + n + " beyond message end");
        byte[] out = Arrays.copyOfRange(buf, pos, pos + (int) n);
        pos += (int) n;
        return out;
    }

    int count(int minBytesEach) {
        long n = varint();
        if (n * minBytesEach > end - pos) throw new CorruptMessageException("count " + n + " beyond message end");
        return (int) n;
    }

    void expectEnd() {
        if (pos != end) throw new CorruptMessageException((end - pos) + " trailing bytes");
    }
}
