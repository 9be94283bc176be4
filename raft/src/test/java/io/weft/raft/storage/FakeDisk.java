package io.weft.raft.storage;

import io.weft.net.Disk;
import io.weft.net.DiskFile;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.ToIntBiFunction;

/**
 * An in-memory disk for the storage tests, with the durability rules of the simulator's SimDisk
 * (module sim, which raft cannot depend on): a file's bytes are durable only at {@code force()}, a
 * name only at {@code syncDir()} of its directory; a crash keeps only what is durable, plus, as the
 * test decides, a prefix of each file's last unforced write (a torn write). Faults at rest: bit flips
 * and truncation. Counts fsyncs, and can fail the n-th next one (a crash in the middle of a sync).
 */
final class FakeDisk implements Disk {
    private static final class Inode {
        byte[] data = new byte[0];
        byte[] durable = new byte[0];
        long lastPos = -1;
        byte[] lastWrite;
    }

    private final TreeMap<String, Inode> live = new TreeMap<>();
    private final TreeMap<String, Inode> durable = new TreeMap<>();
    private final TreeSet<String> dirs = new TreeSet<>(List.of(""));
    private int generation;
    private int failForceIn;
    private int failSyncDirIn;
    private boolean failForceOfWrite;
    private String failForceOfWriteTo = "";
    int forces;
    int dirSyncs;

    /** Power loss, no torn writes: only durable bytes and names survive. */
    void crash() {
        crash((path, len) -> 0);
    }

    /**
     * Power loss: {@code keep.applyAsInt(path, lastWriteLength)} bytes of each file's last unforced
     * write reach the disk (0: none). Open handles die.
     */
    void crash(ToIntBiFunction<String, Integer> keep) {
        generation++;
        for (var e : durable.entrySet()) {
            Inode n = e.getValue();
            if (n.lastWrite != null) {
                int k = Math.min(n.lastWrite.length, keep.applyAsInt(e.getKey(), n.lastWrite.length));
                if (k > 0) {
                    long end = n.lastPos + k;
                    byte[] d = end > n.durable.length ? Arrays.copyOf(n.durable, (int) end) : n.durable;
                    System.arraycopy(n.lastWrite, 0, d, (int) n.lastPos, k);
                    n.durable = d;
                }
            }
        }
        live.clear();
        live.putAll(durable);
        for (Inode n : live.values()) {
            n.data = n.durable.clone();
            n.lastWrite = null;
            n.lastPos = -1;
        }
    }

    /** Flips bit {@code bit} of byte {@code offset}, at rest (current and durable copy). */
    void flipBit(String path, long offset, int bit) throws IOException {
        Inode n = inode(path);
        n.data[(int) offset] ^= (byte) (1 << bit);
        if (offset < n.durable.length) {
            n.durable[(int) offset] ^= (byte) (1 << bit);
        }
    }

    /** Cuts a file at rest to {@code size} bytes. */
    void cut(String path, long size) throws IOException {
        Inode n = inode(path);
        n.data = Arrays.copyOf(n.data, (int) Math.min(size, n.data.length));
        n.durable = Arrays.copyOf(n.durable, (int) Math.min(size, n.durable.length));
    }

    /** Removes a file at rest, as if deleted while the node was down. */
    void remove(String path) {
        live.remove(path);
        durable.remove(path);
    }

    byte[] content(String path) throws IOException {
        return inode(path).data.clone();
    }

    /** The {@code n}-th next force (1 = the next one) throws instead of making anything durable. */
    void failForce(int n) {
        failForceIn = n;
    }

    /** The next force of a file with an unforced write throws instead of making anything durable. */
    void failNextForceOfAWrite() {
        failForceOfWrite = true;
        failForceOfWriteTo = "";
    }

    /** As {@link #failNextForceOfAWrite()}, for a file whose path ends with {@code suffix} only. */
    void failNextForceOfAWriteTo(String suffix) {
        failForceOfWrite = true;
        failForceOfWriteTo = suffix;
    }

    /** The {@code n}-th next syncDir (1 = the next one) throws instead of making anything durable. */
    void failSyncDir(int n) {
        failSyncDirIn = n;
    }

    private Inode inode(String path) throws IOException {
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
    public DiskFile open(String path, boolean create) throws IOException {
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
    public boolean exists(String path) {
        return live.containsKey(path) || dirs.contains(path);
    }

    @Override
    public void mkdirs(String path) {
        for (String d = path; !d.isEmpty(); d = parent(d)) {
            dirs.add(d);
        }
    }

    @Override
    public List<String> list(String dir) throws IOException {
        if (!dirs.contains(dir)) {
            throw new IOException(dir + " (No such directory)");
        }
        TreeSet<String> names = new TreeSet<>();
        for (String f : live.keySet()) {
            if (parent(f).equals(dir)) {
                names.add(f.substring(f.lastIndexOf('/') + 1));
            }
        }
        return List.copyOf(names);
    }

    @Override
    public void delete(String path) {
        live.remove(path);
    }

    @Override
    public void rename(String from, String to) throws IOException {
        Inode n = inode(from);
        live.remove(from);
        live.put(to, n);
    }

    @Override
    public void syncDir(String dir) throws IOException {
        dirSyncs++;
        if (failSyncDirIn > 0 && --failSyncDirIn == 0) {
            throw new IOException("injected syncDir failure");
        }
        durable.keySet().removeIf(f -> parent(f).equals(dir) && !live.containsKey(f));
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
                throw new IOException(path + ": stale handle (the disk crashed)");
            }
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            check();
            if (position >= n.data.length) {
                return -1;
            }
            int k = (int) Math.min(dst.remaining(), n.data.length - position);
            dst.put(n.data, (int) position, k);
            return k;
        }

        @Override
        public void write(ByteBuffer src, long position) throws IOException {
            check();
            byte[] b = new byte[src.remaining()];
            src.get(b);
            long end = position + b.length;
            if (end > n.data.length) {
                n.data = Arrays.copyOf(n.data, (int) end);
            }
            System.arraycopy(b, 0, n.data, (int) position, b.length);
            n.lastPos = position;
            n.lastWrite = b;
        }

        @Override
        public long size() throws IOException {
            check();
            return n.data.length;
        }

        @Override
        public void truncate(long size) throws IOException {
            check();
            if (size < n.data.length) {
                n.data = Arrays.copyOf(n.data, (int) size);
            }
        }

        @Override
        public void force() throws IOException {
            check();
            forces++;
            if (failForceIn > 0 && --failForceIn == 0) {
                throw new IOException("injected fsync failure");
            }
            if (failForceOfWrite && n.lastWrite != null && path.endsWith(failForceOfWriteTo)) {
                failForceOfWrite = false;
                throw new IOException("injected fsync failure after a write");
            }
            n.durable = n.data.clone();
            n.lastWrite = null;
            n.lastPos = -1;
        }

        @Override
        public void close() {
        }
    }
}
