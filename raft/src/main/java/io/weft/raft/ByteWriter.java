package io.weft.raft;

import java.util.Arrays;

/** A growable buffer with unsigned LEB128 varints, for the message codec. */
final class ByteWriter {
    private byte[] buf = new byte[64];
    private int len;

    void u8(int b) {
        ensure(1);
        buf[len++] = (byte) b;
    }

    void varint(long v) {
        if (v < 0) throw new IllegalArgumentException("negative varint " + v);
        while ((v & ~0x7FL) != 0) {
            u8((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        u8((int) v);
    }

    void bool(boolean b) {
        u8(b ? 1 : 0);
    }

    void bytes(byte[] b) {
        varint(b.length);
        raw(b);
    }

    void raw(byte[] b) {
        ensure(b.length);
        System.arraycopy(b, 0, buf, len, b.length);
        len += b.length;
    }

    void u32(int v) {
        u8(v >>> 24);
        u8(v >>> 16);
        u8(v >>> 8);
        u8(v);
    }

    int length() {
        return len;
    }

    byte[] array() {
        return buf;
    }

    byte[] toBytes() {
        return Arrays.copyOf(buf, len);
    }

    private void ensure(int n) {
        if (len + n > buf.length) buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + n));
    }
}
