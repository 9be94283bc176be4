package io.weft.store;

import java.io.IOException;
import java.util.Arrays;

/**
 * The Snappy block format, which every S2 decoder accepts: a varint of the uncompressed length, then
 * literal runs and back-references. The compressor is a plain greedy matcher over a hash table of
 * 4-byte prefixes, with offsets below 64 KiB; it never emits S2's repeat-offset extension, and the
 * decompressor reads the Snappy subset only (what this class writes).
 */
public final class S2Block {
    private static final int TABLE_BITS = 14;
    private static final int MAX_OFFSET = 65535;

    private S2Block() {
    }

    /** Compresses {@code src} into a Snappy block. */
    public static byte[] compress(byte[] src) {
        int n = src.length;
        byte[] out = new byte[32 + n + n / 6];
        int o = putVarint(out, 0, n);
        if (n < 8) {
            o = literal(out, o, src, 0, n);
            return Arrays.copyOf(out, o);
        }
        int bits = 8;
        while (bits < TABLE_BITS && (1 << bits) < n) {
            bits++;
        }
        int[] table = new int[1 << bits];
        int shift = 32 - bits;
        int lit = 0;
        int i = 0;
        int limit = n - 4;
        while (i <= limit) {
            int v = intLe(src, i);
            int h = (v * 0x1e35a7bd) >>> shift;
            int cand = table[h] - 1;
            table[h] = i + 1;
            if (cand >= 0 && i - cand <= MAX_OFFSET && intLe(src, cand) == v) {
                o = literal(out, o, src, lit, i - lit);
                int len = 4;
                while (i + len < n && src[cand + len] == src[i + len]) {
                    len++;
                }
                o = copy(out, o, i - cand, len);
                i += len;
                lit = i;
            } else {
                i += 1 + ((i - lit) >> 5);
            }
        }
        o = literal(out, o, src, lit, n - lit);
        return Arrays.copyOf(out, o);
    }

    /** The uncompressed length a block declares, read from its preamble. */
    public static int decodedLength(byte[] src, int off, int len) throws IOException {
        long v = 0;
        int shift = 0;
        for (int p = off; p < off + len && shift < 35; p++, shift += 7) {
            int b = src[p] & 0xff;
            v |= (long) (b & 0x7f) << shift;
            if (b < 0x80) {
                if (v > Integer.MAX_VALUE) {
                    break;
                }
                return (int) v;
            }
        }
        throw new IOException("s2: bad length preamble");
    }

    public static byte[] decompress(byte[] src) throws IOException {
        return decompress(src, 0, src.length);
    }

    /** Decompresses the block in {@code src[off, off+len)}. */
    public static byte[] decompress(byte[] src, int off, int len) throws IOException {
        int end = off + len;
        int n = decodedLength(src, off, len);
        int p = off;
        while ((src[p] & 0x80) != 0) {
            p++;
        }
        p++;
        byte[] out = new byte[n];
        int o = 0;
        while (p < end) {
            int tag = src[p++] & 0xff;
            int length;
            int offset;
            switch (tag & 3) {
                case 0 -> {
                    int l = tag >>> 2;
                    if (l >= 60) {
                        int extra = l - 59;
                        if (p + extra > end) {
                            throw new IOException("s2: truncated literal length");
                        }
                        l = 0;
                        for (int k = 0; k < extra; k++) {
                            l |= (src[p + k] & 0xff) << (8 * k);
                        }
                        p += extra;
                    }
                    length = l + 1;
                    if (length <= 0 || p + length > end || o + length > n) {
                        throw new IOException("s2: literal out of bounds");
                    }
                    System.arraycopy(src, p, out, o, length);
                    p += length;
                    o += length;
                    continue;
                }
                case 1 -> {
                    if (p >= end) {
                        throw new IOException("s2: truncated copy");
                    }
                    length = 4 + ((tag >>> 2) & 7);
                    offset = ((tag >>> 5) << 8) | (src[p++] & 0xff);
                }
                case 2 -> {
                    if (p + 2 > end) {
                        throw new IOException("s2: truncated copy");
                    }
                    length = 1 + (tag >>> 2);
                    offset = (src[p] & 0xff) | (src[p + 1] & 0xff) << 8;
                    p += 2;
                }
                default -> {
                    if (p + 4 > end) {
                        throw new IOException("s2: truncated copy");
                    }
                    length = 1 + (tag >>> 2);
                    offset = intLe(src, p);
                    p += 4;
                }
            }
            if (offset <= 0 || offset > o || o + length > n) {
                throw new IOException("s2: copy out of bounds");
            }
            for (int k = 0; k < length; k++) {
                out[o + k] = out[o - offset + k];
            }
            o += length;
        }
        if (o != n) {
            throw new IOException("s2: decoded " + o + " bytes, expected " + n);
        }
        return out;
    }

    private static int literal(byte[] out, int o, byte[] src, int from, int len) {
        if (len == 0) {
            return o;
        }
        int l = len - 1;
        if (l < 60) {
            out[o++] = (byte) (l << 2);
        } else if (l < 1 << 8) {
            out[o++] = (byte) (60 << 2);
            out[o++] = (byte) l;
        } else if (l < 1 << 16) {
            out[o++] = (byte) (61 << 2);
            out[o++] = (byte) l;
            out[o++] = (byte) (l >>> 8);
        } else if (l < 1 << 24) {
            out[o++] = (byte) (62 << 2);
            out[o++] = (byte) l;
            out[o++] = (byte) (l >>> 8);
            out[o++] = (byte) (l >>> 16);
        } else {
            out[o++] = (byte) (63 << 2);
            out[o++] = (byte) l;
            out[o++] = (byte) (l >>> 8);
            out[o++] = (byte) (l >>> 16);
            out[o++] = (byte) (l >>> 24);
        }
        System.arraycopy(src, from, out, o, len);
        return o + len;
    }

    private static int copy(byte[] out, int o, int offset, int len) {
        while (len > 0) {
            if (len >= 4 && len <= 11 && offset < 2048) {
                out[o++] = (byte) (1 | ((len - 4) << 2) | ((offset >>> 8) << 5));
                out[o++] = (byte) offset;
                return o;
            }
            // a copy-2 element carries up to 64 bytes; leave at least 4 for the next element
            int chunk = len > 64 ? (len - 64 >= 4 ? 64 : 60) : len;
            out[o++] = (byte) (2 | ((chunk - 1) << 2));
            out[o++] = (byte) offset;
            out[o++] = (byte) (offset >>> 8);
            len -= chunk;
        }
        return o;
    }

    private static int putVarint(byte[] out, int o, int v) {
        while ((v & ~0x7f) != 0) {
            out[o++] = (byte) ((v & 0x7f) | 0x80);
            v >>>= 7;
        }
        out[o++] = (byte) v;
        return o;
    }

    private static int intLe(byte[] b, int i) {
        return (b[i] & 0xff) | (b[i + 1] & 0xff) << 8 | (b[i + 2] & 0xff) << 16 | (b[i + 3] & 0xff) << 24;
    }
}
