package io.weft.store;

import io.weft.net.Disk;
import io.weft.net.DiskFile;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A small in-memory disk for the store's tests. Bytes written to a file are visible at once but
 * durable only after {@code force()}; names only after {@code syncDir()}. {@link #crash} keeps only
 * what is durable (optionally with a prefix of each file's last unforced write, a torn write) and
 * kills open handles.
 */
final class MemDisk implements Disk {
    private static final class Inode {
        byte[] data = new byte[0];
        byte[] durable = new byte[0];
        long lastPos = -1;
        byte[] lastWrite;
    }

    private final TreeMap<String, Inode> live = new TreeMap<>();
    private final TreeMap<String, Inode> durable = new TreeMap<>();
    private final TreeSet<String> dirs = new TreeSet<>();
    private int generation;
    int forces;
    /**
     * While set, a write to a file whose path contains this text writes the first half of its bytes
     * and fails with "No space left on device" (a full disk); {@code ""} hits every file.
     */
    volatile String noSpace;
    /** While set, a force of a file whose path contains this text fails (and makes nothing durable). */
    volatile String failForce;

    MemDisk() {
        dirs.add("");
    }

    /** Loses everything not durable. With {@code tear}, a random prefix of each last unforced write survives. */
    synchronized void crash(Random tear) {
        generation++;
        live.clear();
        live.putAll(durable);
        for (Inode n : live.values()) {
            byte[] d = n.durable;
            if (tear != null && n.lastWrite != null && tear.nextBoolean()) {
                int keep = tear.nextInt(n.lastWrite.length + 1);
                long end = n.lastPos + keep;
                if (end > d.length) {
                    d = Arrays.copyOf(d, (int) end);
                }
                System.arraycopy(n.lastWrite, 0, d, (int) n.lastPos, keep);
                n.durable = d;
            }
            n.data = n.durable.clone();
            n.lastWrite = null;
            n.lastPos = -1;
        }
    }

    /** Flips bit {@code bit} of the byte at {@code offset}, in the live and durable copy. */
    synchronized void flipBit(String path, long offset, int bit) throws IOException {
        Inode n = existing(path);
        n.data[(int) offset] ^= (byte) (1 << bit);
        if (offset < n.durable.length) {
            n.durable[(int) offset] ^= (byte) (1 << bit);
        }
    }

    /** Cuts a file at rest. */
    synchronized void cut(String path, long size) throws IOException {
        Inode n = existing(path);
        n.data = Arrays.copyOf(n.data, (int) Math.min(size, n.data.length));
        n.durable = Arrays.copyOf(n.durable, (int) Math.min(size, n.durable.length));
    }

    synchronized byte[] bytes(String path) throws IOException {
        return existing(path).data.clone();
    }

    synchronized List<String> files() {
        return new ArrayList<>(live.keySet());
    }

    private Inode existing(String path) throws IOException {
        Inode n = live.get(path);
        if (n == null) {
            throw new FileNotFoundException(path);
        }
        return n;
    }

    private static String parent(String p) {
        int i = p.lastIndexOf('/');
        return i < 0 ? "" : p.substring(0, i);
    }

    @Override
    public synchronized DiskFile open(String path, boolean create) throws IOException {
        Inode n = live.get(path);
        if (n == null) {
            if (!create || !dirs.contains(parent(path))) {
                throw new FileNotFoundException(path);
            }
            n = new Inode();
            live.put(path, n);
        }
        return new Handle(n, path, generation);
    }

    @Override
    public synchronized boolean exists(String path) {
        return live.containsKey(path) || dirs.contains(path);
    }

    @Override
    public synchronized void mkdirs(String path) {
        for (String d = path; !d.isEmpty(); d = parent(d)) {
            dirs.add(d);
        }
    }

    @Override
    public synchronized List<String> list(String dir) throws IOException {
        if (!dirs.contains(dir)) {
            throw new FileNotFoundException(dir);
        }
        List<String> out = new ArrayList<>();
        for (String f : live.keySet()) {
            if (parent(f).equals(dir)) {
                out.add(f.substring(f.lastIndexOf('/') + 1));
            }
        }
        return out;
    }

    @Override
    public synchronized void delete(String path) {
        if (live.remove(path) == null) {
            dirs.remove(path);
        }
    }

    @Override
    public synchronized void rename(String from, String to) throws IOException {
        Inode n = live.remove(from);
        if (n == null) {
            throw new FileNotFoundException(from);
        }
        live.put(to, n);
    }

    @Override
    public synchronized void syncDir(String dir) {
        durable.keySet().removeIf(f -> parent(f).equals(dir));
        for (var e : live.entrySet()) {
            if (parent(e.getKey()).equals(dir)) {
                durable.put(e.getKey(), e.getValue());
            }
        }
    }

    private final class Handle implements DiskFile {
        private final Inode n;
        private final String path;
        private final int gen;

        Handle(Inode n, String path, int gen) {
            this.n = n;
            this.path = path;
            this.gen = gen;
        }

        private void check() throws IOException {
            if (gen != generation) {
                throw new IOException(path + ": stale handle");
            }
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            synchronized (MemDisk.this) {
                check();
                if (position >= n.data.length) {
                    return -1;
                }
                int k = (int) Math.min(dst.remaining(), n.data.length - position);
                dst.put(n.data, (int) position, k);
                return k;
            }
        }

        @Override
        public void write(ByteBuffer src, long position) throws IOException {
            synchronized (MemDisk.this) {
                check();
                byte[] b = new byte[src.remaining()];
                src.get(b);
                String full = noSpace;
                if (full != null && path.contains(full)) {
                    b = Arrays.copyOf(b, b.length / 2); // a partial write, then the error
                    if (b.length == 0) {
                        throw new IOException("No space left on device");
                    }
                }
                int end = (int) position + b.length;
                if (end > n.data.length) {
                    n.data = Arrays.copyOf(n.data, end);
                }
                System.arraycopy(b, 0, n.data, (int) position, b.length);
                n.lastPos = position;
                n.lastWrite = b;
                if (full != null && path.contains(full)) {
                    throw new IOException("No space left on device");
                }
            }
        }

        @Override
        public long size() throws IOException {
            synchronized (MemDisk.this) {
                check();
                return n.data.length;
            }
        }

        @Override
        public void truncate(long size) throws IOException {
            synchronized (MemDisk.this) {
                check();
                if (size < n.data.length) {
                    n.data = Arrays.copyOf(n.data, (int) size);
                }
            }
        }

        @Override
        public void force() throws IOException {
            synchronized (MemDisk.this) {
                check();
                String failing = failForce;
                if (failing != null && path.contains(failing)) {
                    throw new IOException("Input/output error");
                }
                n.durable = n.data.clone();
                n.lastWrite = null;
                n.lastPos = -1;
                forces++;
            }
        }

        @Override
        public void close() {
        }
    }
}
