package io.weft.raft.storage;

import io.weft.raft.Entry;

/**
 * One log entry on disk (big-endian; the README's "On-disk format" is the reference):
 *
 * <pre>
 *  0  u32 magic 0x52465431 ("RFT1")
 *  4  u32 data length n
 *  8  u64 term
 * 16  u64 index
 * 24  u8  kind   0 NORMAL, 1 CONF_CHANGE, 2 EMPTY
 * 25  n bytes of data
 * 25+n u32 CRC32C of bytes [0, 25+n)
 * </pre>
 */
final class LogRecords {
    static final int MAGIC = 0x52465431;
    static final int HEADER = 25;
    static final int OVERHEAD = HEADER + 4;
    static final int MAX_DATA = 1 << 30;

    private LogRecords() {
    }

    static int length(Entry e) {
        return OVERHEAD + e.data().length;
    }

    /** Appends the record of {@code e} to {@code out}; returns its offset in {@code out}. */
    static int encode(Bytes.Buf out, Entry e) {
        int n = e.data().length;
        if (n > MAX_DATA) {
            throw new IllegalArgumentException("entry " + e.index() + ": " + n + " bytes of data, limit " + MAX_DATA);
        }
        out.ensure(OVERHEAD + n);
        byte[] b = out.array();
        int off = out.length();
        Bytes.putInt(b, off, MAGIC);
        Bytes.putInt(b, off + 4, n);
        Bytes.putLong(b, off + 8, e.term());
        Bytes.putLong(b, off + 16, e.index());
        b[off + 24] = (byte) e.kind().ordinal();
        System.arraycopy(e.data(), 0, b, off + HEADER, n);
        Bytes.putInt(b, off + HEADER + n, Bytes.crc(b, off, HEADER + n));
        out.advance(OVERHEAD + n);
        return off;
    }

    /** Length of the valid record at {@code off} (whole, CRC right, sane fields), or -1. */
    static int check(byte[] b, int off, int end) {
        if (end - off < OVERHEAD || Bytes.getInt(b, off) != MAGIC) {
            return -1;
        }
        int n = Bytes.getInt(b, off + 4);
        if (n < 0 || n > MAX_DATA || n > end - off - OVERHEAD) {
            return -1;
        }
        if (b[off + 24] < 0 || b[off + 24] >= Entry.Kind.values().length) {
            return -1;
        }
        if (Bytes.getLong(b, off + 8) < 0 || Bytes.getLong(b, off + 16) < 1) {
            return -1;
        }
        return Bytes.getInt(b, off + HEADER + n) == Bytes.crc(b, off, HEADER + n) ? OVERHEAD + n : -1;
    }

    /** Decodes a record {@link #check} accepted. */
    static Entry decode(byte[] b, int off) {
        int n = Bytes.getInt(b, off + 4);
        byte[] data = new byte[n];
        System.arraycopy(b, off + HEADER, data, 0, n);
        return new Entry(Bytes.getLong(b, off + 8), Bytes.getLong(b, off + 16), Entry.Kind.values()[b[off + 24]], data);
    }

    /** The first offset in [from, end) where a valid record starts, or {@code end}. */
    static int resync(byte[] b, int from, int end) {
        for (int p = from; p + OVERHEAD <= end; p++) {
            if (b[p] == 0x52 && check(b, p, end) > 0) {
                return p;
            }
        }
        return end;
    }
}
