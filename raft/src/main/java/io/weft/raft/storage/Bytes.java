package io.weft.raft.storage;

import io.weft.net.Disk;
import io.weft.net.DiskFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.zip.CRC32C;

/** Big-endian byte helpers, CRC32C, whole-file reads and atomic small-file writes over {@link Disk}. */
final class Bytes {
    private Bytes() {
    }

    static int crc(byte[] b, int off, int len) {
        CRC32C c = new CRC32C();
        c.update(b, off, len);
        return (int) c.getValue();
    }

    static void putInt(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 24);
        b[off + 1] = (byte) (v >>> 16);
        b[off + 2] = (byte) (v >>> 8);
        b[off + 3] = (byte) v;
    }

    static void putLong(byte[] b, int off, long v) {
        putInt(b, off, (int) (v >>> 32));
        putInt(b, off + 4, (int) v);
    }

    static int getInt(byte[] b, int off) {
        return (b[off] & 0xff) << 24 | (b[off + 1] & 0xff) << 16 | (b[off + 2] & 0xff) << 8 | (b[off + 3] & 0xff);
    }

    static long getLong(byte[] b, int off) {
        return (long) getInt(b, off) << 32 | (getInt(b, off + 4) & 0xffffffffL);
    }

    static String path(String dir, String name) {
        return dir.isEmpty() ? name : dir + "/" + name;
    }

    /** The whole content of a file (what a reader sees now). */
    static byte[] readAll(Disk disk, String path) throws IOException {
        try (DiskFile f = disk.open(path, false)) {
            long size = f.size();
            if (size > Integer.MAX_VALUE - 64) {
                throw new IOException(path + ": " + size + " bytes is too large to read whole");
            }
            byte[] b = new byte[(int) size];
            ByteBuffer bb = ByteBuffer.wrap(b);
            while (bb.hasRemaining() && f.read(bb, bb.position()) >= 0) {
                // read loop: FileChannel may return short reads
            }
            return bb.position() == b.length ? b : Arrays.copyOf(b, bb.position());
        }
    }

    /**
     * Writes {@code content} to {@code dir/name} atomically: a temporary file written and fsynced,
     * renamed over the target, then the directory fsynced. After a crash the name holds either the
     * old content or the new one, never a mix.
     */
    static void writeAtomically(Disk disk, String dir, String name, byte[] content) throws IOException {
        String tmp = path(dir, name + ".tmp");
        disk.delete(tmp);
        try (DiskFile f = disk.open(tmp, true)) {
            f.truncate(0);
            f.write(ByteBuffer.wrap(content), 0);
            f.force();
        }
        disk.rename(tmp, path(dir, name));
        disk.syncDir(dir);
    }

    /** A growable byte array that can be cut back, for the bytes of one sync window. */
    static final class Buf {
        private byte[] b = new byte[256];
        private int len;

        int length() {
            return len;
        }

        byte[] array() {
            return b;
        }

        void ensure(int extra) {
            if (len + extra > b.length) {
                b = Arrays.copyOf(b, Math.max(b.length * 2, len + extra));
            }
        }

        void advance(int n) {
            len += n;
        }

        void truncate(int n) {
            assert n >= 0 && n <= len;
            len = n;
        }

        ByteBuffer view() {
            return ByteBuffer.wrap(b, 0, len);
        }
    }

    /** A growable array of longs. */
    static final class Longs {
        private long[] a = new long[64];
        private int size;

        int size() {
            return size;
        }

        long get(int i) {
            assert i < size;
            return a[i];
        }

        void set(int i, long v) {
            assert i < size;
            a[i] = v;
        }

        void add(long v) {
            if (size == a.length) {
                a = Arrays.copyOf(a, size * 2);
            }
            a[size++] = v;
        }

        void truncate(int n) {
            assert n >= 0 && n <= size;
            size = n;
        }

        void dropFirst(int n) {
            System.arraycopy(a, n, a, 0, size - n);
            size -= n;
        }
    }
}
