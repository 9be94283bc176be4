package io.weft.store;

import java.util.zip.CRC32C;

/**
 * The on-disk record of the file store. Big-endian, one layout for every type:
 *
 * <pre>
 *  0  u16 magic 0x5746 ("WF")
 *  2  u8  type   1 MSG, 2 DEL, 3 ERASED, 4 FLOOR, 5 BASE, 6 END, 7 SYNC
 *  3  u8  flags  bit 0: data is an S2 block
 *  4  u32 total length of the record, CRC included
 *  8  u64 seq    (MSG/DEL/ERASED: the message; FLOOR: first sequence kept; BASE: next sequence;
 *                END: last sequence when the segment was closed; SYNC: last sequence at a sync)
 * 16  u64 timestamp, wall-clock nanoseconds (DEL/ERASED: the message's; FLOOR/BASE: the last message's)
 * 24  u16 subject length
 * 26  u32 header length
 * 30  u32 data length (as stored)
 * 34  subject, headers, data
 *  .  u32 CRC32C of every byte before it
 * </pre>
 */
final class Records {
    static final int MAGIC = 0x5746;
    static final byte MSG = 1;
    static final byte DEL = 2;
    static final byte ERASED = 3;
    static final byte FLOOR = 4;
    static final byte BASE = 5;
    static final byte END = 6;
    static final byte SYNC = 7;
    static final int FLAG_S2 = 1;
    static final int HEADER = 34;
    static final int OVERHEAD = HEADER + 4;
    static final int MAX_RECORD = 1 << 30;

    /** Negative results of {@link #check}. */
    static final int INCOMPLETE = -1;
    static final int BAD_MAGIC = -2;
    static final int BAD_LENGTH = -3;
    static final int BAD_CRC = -4;

    private Records() {
    }

    static int length(int subjectLen, int headerLen, int dataLen) {
        return OVERHEAD + subjectLen + headerLen + dataLen;
    }

    /** Encodes a record at {@code off}; {@code buf} must have room for {@link #length}. Returns its length. */
    static int encode(byte[] buf, int off, byte type, int flags, long seq, long ts, byte[] subject, byte[] headers,
                      byte[] data) {
        int sl = subject == null ? 0 : subject.length;
        int hl = headers == null ? 0 : headers.length;
        int dl = data == null ? 0 : data.length;
        int len = length(sl, hl, dl);
        putShort(buf, off, MAGIC);
        buf[off + 2] = type;
        buf[off + 3] = (byte) flags;
        putInt(buf, off + 4, len);
        putLong(buf, off + 8, seq);
        putLong(buf, off + 16, ts);
        putShort(buf, off + 24, sl);
        putInt(buf, off + 26, hl);
        putInt(buf, off + 30, dl);
        int p = off + HEADER;
        if (sl > 0) {
            System.arraycopy(subject, 0, buf, p, sl);
            p += sl;
        }
        if (hl > 0) {
            System.arraycopy(headers, 0, buf, p, hl);
            p += hl;
        }
        if (dl > 0) {
            System.arraycopy(data, 0, buf, p, dl);
            p += dl;
        }
        putInt(buf, p, crc(buf, off, len - 4));
        return len;
    }

    /**
     * An erased message: same length and sequence as the record it replaces, no subject or headers,
     * zeros for data, a valid CRC. Overwrites the original in place. The timestamp stays, so the
     * stream's last-message time survives the erase of its last message.
     */
    static byte[] erased(long seq, long ts, int len) {
        byte[] b = new byte[len];
        putShort(b, 0, MAGIC);
        b[2] = ERASED;
        putInt(b, 4, len);
        putLong(b, 8, seq);
        putLong(b, 16, ts);
        putInt(b, 30, len - OVERHEAD);
        putInt(b, len - 4, crc(b, 0, len - 4));
        return b;
    }

    /** The length of a whole valid record at {@code off} (ending by {@code end}), or a negative reason. */
    static int check(byte[] b, int off, int end) {
        if (end - off < OVERHEAD) {
            return INCOMPLETE;
        }
        if (getShort(b, off) != MAGIC) {
            return BAD_MAGIC;
        }
        int type = b[off + 2];
        if (type < MSG || type > SYNC) {
            return BAD_MAGIC;
        }
        long len = getInt(b, off + 4) & 0xffffffffL;
        long parts = OVERHEAD + (long) getShort(b, off + 24) + (getInt(b, off + 26) & 0xffffffffL)
                + (getInt(b, off + 30) & 0xffffffffL);
        if (len < OVERHEAD || len > MAX_RECORD || len != parts) {
            return BAD_LENGTH;
        }
        if (off + len > end) {
            return INCOMPLETE;
        }
        int l = (int) len;
        if (crc(b, off, l - 4) != getInt(b, off + l - 4)) {
            return BAD_CRC;
        }
        return l;
    }

    static String reason(int code) {
        return switch (code) {
            case INCOMPLETE -> "record runs past the end of the file";
            case BAD_MAGIC -> "bad record magic or type";
            case BAD_LENGTH -> "impossible record length";
            case BAD_CRC -> "CRC32C mismatch";
            default -> "unknown damage";
        };
    }

    static byte type(byte[] b, int off) {
        return b[off + 2];
    }

    static int flags(byte[] b, int off) {
        return b[off + 3] & 0xff;
    }

    static long seq(byte[] b, int off) {
        return getLong(b, off + 8);
    }

    static long timestamp(byte[] b, int off) {
        return getLong(b, off + 16);
    }

    static int subjectLength(byte[] b, int off) {
        return getShort(b, off + 24);
    }

    static int headerLength(byte[] b, int off) {
        return getInt(b, off + 26);
    }

    static int dataLength(byte[] b, int off) {
        return getInt(b, off + 30);
    }

    static String subject(byte[] b, int off) {
        return SubjectBytes.decode(b, off + HEADER, subjectLength(b, off));
    }

    static int crc(byte[] b, int off, int len) {
        CRC32C c = new CRC32C();
        c.update(b, off, len);
        return (int) c.getValue();
    }

    static void putShort(byte[] b, int o, int v) {
        b[o] = (byte) (v >>> 8);
        b[o + 1] = (byte) v;
    }

    static void putInt(byte[] b, int o, int v) {
        b[o] = (byte) (v >>> 24);
        b[o + 1] = (byte) (v >>> 16);
        b[o + 2] = (byte) (v >>> 8);
        b[o + 3] = (byte) v;
    }

    static void putLong(byte[] b, int o, long v) {
        putInt(b, o, (int) (v >>> 32));
        putInt(b, o + 4, (int) v);
    }

    static int getShort(byte[] b, int o) {
        return (b[o] & 0xff) << 8 | (b[o + 1] & 0xff);
    }

    static int getInt(byte[] b, int o) {
        return (b[o] & 0xff) << 24 | (b[o + 1] & 0xff) << 16 | (b[o + 2] & 0xff) << 8 | (b[o + 3] & 0xff);
    }

    static long getLong(byte[] b, int o) {
        return (long) getInt(b, o) << 32 | (getInt(b, o + 4) & 0xffffffffL);
    }
}
