package io.weft.sim.disk;

import io.weft.net.Disk;
import io.weft.net.DiskFile;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.locks.ReentrantLock;

/**
 * An in-memory disk with the durability rules of a real one, for one simulated node.
 *
 * <p>A file's bytes become durable only at {@link DiskFile#force()}; a directory entry (create,
 * rename, delete) only at {@link #syncDir} of its directory. {@link #crash()} throws away
 * everything not yet durable and, chosen by the seed, may tear a file's last unsynced write (a
 * random prefix of it reaches the platter). Faults at rest: {@link #flipBit}, {@link #truncate};
 * faults in use: {@link #failNextWritesWithEnospc} and a period of {@link #full} disk.
 * Directories themselves are durable as soon as made.
 *
 * <p>File handles opened before a crash are dead afterwards: every call on them fails.
 */
public final class SimDisk implements Disk {
    /** One file's contents: what a reader sees now, and what survives a crash. */
    private static final class Inode {
        byte[] data = new byte[0];
        int size;
        byte[] durable = new byte[0];
        /** The last write since the last force, as position and bytes (a crash may tear it). */
        long lastPos = -1;
        byte[] lastWrite;

        void write(long pos, byte[] bytes) {
            int end = Math.toIntExact(pos + bytes.length);
            if (end > data.length) {
                data = Arrays.copyOf(data, Math.max(end, data.length * 2));
            }
            if (pos > size) {
                Arrays.fill(data, size, (int) pos, (byte) 0);
            }
            System.arraycopy(bytes, 0, data, (int) pos, bytes.length);
            size = Math.max(size, end);
            lastPos = pos;
            lastWrite = bytes;
        }

        void truncate(long newSize) {
            if (newSize < size) {
                size = (int) newSize;
            }
        }

        void force() {
            durable = Arrays.copyOf(data, size);
            lastWrite = null;
            lastPos = -1;
        }
    }

    private final ReentrantLock lock = new ReentrantLock();
    private final SplittableRandom random;
    /** The namespace as processes see it. */
    private final TreeMap<String, Inode> live = new TreeMap<>();
    /** The namespace that survives a crash. */
    private final TreeMap<String, Inode> durable = new TreeMap<>();
    private final TreeSet<String> dirs = new TreeSet<>();
    private int generation;
    private int enospc;
    private boolean full;
    private long crashes;

    public SimDisk(long seed) {
        this.random = new SplittableRandom(seed);
        dirs.add("");
    }

    // ---------------------------------------------------------------- faults

    /**
     * The machine loses power: unsynced bytes and directory entries are gone, open handles die, and
     * for each file with an unsynced write the seed decides whether a prefix of that last write
     * survives (a torn write). Returns a description of what was torn, for the trace.
     */
    public List<String> crash() {
        lock.lock();
        try {
            List<String> torn = new ArrayList<>();
            generation++;
            crashes++;
            for (var e : live.entrySet()) {
                Inode n = e.getValue();
                if (n.lastWrite != null && n.lastWrite.length > 0 && random.nextInt(2) == 0) {
                    int keep = random.nextInt(n.lastWrite.length + 1);
                    byte[] d = n.durable;
                    long end = n.lastPos + keep;
                    if (keep > 0) {
                        if (end > d.length) {
                            d = Arrays.copyOf(d, (int) end);
                        }
                        System.arraycopy(n.lastWrite, 0, d, (int) n.lastPos, keep);
                        n.durable = d;
                    }
                    torn.add(e.getKey() + "@" + n.lastPos + "+" + keep + "/" + n.lastWrite.length);
                }
            }
            live.clear();
            live.putAll(durable);
            for (Inode n : live.values()) {
                n.data = Arrays.copyOf(n.durable, n.durable.length);
                n.size = n.durable.length;
                n.lastWrite = null;
                n.lastPos = -1;
            }
            return torn;
        } finally {
            lock.unlock();
        }
    }

    /**
     * A copy of every durable file (path to bytes): what a backup of the disk taken now holds, as
     * far as it survives a crash (the Jepsen harness's snapshot-kill copies a running node's data
     * directory).
     */
    public java.util.SortedMap<String, byte[]> durableImage() {
        lock.lock();
        try {
            TreeMap<String, byte[]> out = new TreeMap<>();
            for (var e : durable.entrySet()) out.put(e.getKey(), Arrays.copyOf(e.getValue().durable, e.getValue().durable.length));
            return out;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Replaces every file by {@code image} (from {@link #durableImage}), durably: a crashed node's
     * data directory restored from an older copy. Open handles die.
     */
    public void restore(java.util.SortedMap<String, byte[]> image) {
        lock.lock();
        try {
            generation++;
            live.clear();
            durable.clear();
            for (var e : image.entrySet()) {
                Inode n = new Inode();
                n.durable = Arrays.copyOf(e.getValue(), e.getValue().length);
                n.data = Arrays.copyOf(e.getValue(), e.getValue().length);
                n.size = n.data.length;
                live.put(e.getKey(), n);
                durable.put(e.getKey(), n);
                for (String d = parent(e.getKey()); !d.isEmpty() && dirs.add(d); d = parent(d)) { }
            }
        } finally {
            lock.unlock();
        }
    }

    /** Flips one bit at rest (both the current and the durable copy), as media corruption would. */
    public void flipBit(String path, long offset) throws IOException {
        lock.lock();
        try {
            Inode n = existing(path);
            if (offset < 0 || offset >= n.size) {
                throw new IOException("offset " + offset + " outside " + path + " (" + n.size + " bytes)");
            }
            int bit = random.nextInt(8);
            n.data[(int) offset] ^= (byte) (1 << bit);
            if (offset < n.durable.length) {
                n.durable[(int) offset] ^= (byte) (1 << bit);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Cuts a file at rest (current and durable copy) to at most {@code size} bytes. */
    public void truncate(String path, long size) throws IOException {
        lock.lock();
        try {
            Inode n = existing(path);
            n.truncate(size);
            if (size < n.durable.length) {
                n.durable = Arrays.copyOf(n.durable, (int) size);
            }
        } finally {
            lock.unlock();
        }
    }

    /** The next {@code n} writes fail with "No space left on device" and write nothing. */
    public void failNextWritesWithEnospc(int n) {
        lock.lock();
        try {
            enospc = n;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Turns a full disk on or off. While full, a write that would make a file longer fails with
     * "No space left on device" after writing, chosen by the seed, nothing or a prefix of its
     * bytes (as a short write(2) does); a write inside a file's current size still succeeds; a
     * {@link DiskFile#force()} fails the same way while the file is longer than its durable copy
     * (the blocks of its new bytes cannot be allocated), and makes nothing durable. Truncations,
     * deletions and directory syncs work, as they free space or need none.
     */
    public void full(boolean on) {
        lock.lock();
        try {
            full = on;
        } finally {
            lock.unlock();
        }
    }

    /** Every file (not directory) and its current size, in path order: what a fault at rest may hit. */
    public java.util.SortedMap<String, Long> files() {
        lock.lock();
        try {
            TreeMap<String, Long> out = new TreeMap<>();
            for (var e : live.entrySet()) {
                out.put(e.getKey(), (long) e.getValue().size);
            }
            return out;
        } finally {
            lock.unlock();
        }
    }

    /** How many times this disk has crashed. */
    public long crashes() {
        lock.lock();
        try {
            return crashes;
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------- Disk

    @Override
    public DiskFile open(String path, boolean create) throws IOException {
        String p = normalize(path);
        lock.lock();
        try {
            Inode n = live.get(p);
            if (n == null) {
                if (!create) {
                    throw new FileNotFoundException(p + " (No such file or directory)");
                }
                if (!dirs.contains(parent(p))) {
                    throw new FileNotFoundException(p + " (No such file or directory)");
                }
                if (dirs.contains(p)) {
                    throw new IOException(p + " (Is a directory)");
                }
                n = new Inode();
                live.put(p, n);
            }
            return new Handle(n, p, generation);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public boolean exists(String path) {
        String p = normalize(path);
        lock.lock();
        try {
            return live.containsKey(p) || dirs.contains(p);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void mkdirs(String path) throws IOException {
        String p = normalize(path);
        lock.lock();
        try {
            if (live.containsKey(p)) {
                throw new IOException(p + " exists and is not a directory");
            }
            for (String d = p; !d.isEmpty(); d = parent(d)) {
                dirs.add(d);
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public List<String> list(String dir) throws IOException {
        String d = normalize(dir);
        lock.lock();
        try {
            if (!dirs.contains(d)) {
                throw new IOException(d + " (No such directory)");
            }
            TreeSet<String> names = new TreeSet<>();
            for (String f : live.keySet()) {
                if (parent(f).equals(d)) {
                    names.add(name(f));
                }
            }
            for (String sub : dirs) {
                if (!sub.isEmpty() && parent(sub).equals(d)) {
                    names.add(name(sub));
                }
            }
            return List.copyOf(names);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void delete(String path) throws IOException {
        String p = normalize(path);
        lock.lock();
        try {
            if (live.remove(p) == null && dirs.contains(p)) {
                for (String f : live.keySet()) {
                    if (f.startsWith(p + "/")) {
                        throw new IOException(p + " (Directory not empty)");
                    }
                }
                dirs.remove(p);
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void rename(String from, String to) throws IOException {
        String f = normalize(from);
        String t = normalize(to);
        lock.lock();
        try {
            Inode n = live.get(f);
            if (n == null) {
                throw new FileNotFoundException(f + " (No such file or directory)");
            }
            if (!dirs.contains(parent(t))) {
                throw new FileNotFoundException(t + " (No such file or directory)");
            }
            live.remove(f);
            live.put(t, n);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void syncDir(String dir) throws IOException {
        String d = normalize(dir);
        lock.lock();
        try {
            if (!dirs.contains(d)) {
                throw new IOException(d + " (No such directory)");
            }
            durable.keySet().removeIf(f -> parent(f).equals(d) && !live.containsKey(f));
            for (var e : live.entrySet()) {
                if (parent(e.getKey()).equals(d)) {
                    durable.put(e.getKey(), e.getValue());
                }
            }
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------- helpers

    private Inode existing(String path) throws IOException {
        Inode n = live.get(normalize(path));
        if (n == null) {
            throw new FileNotFoundException(path + " (No such file or directory)");
        }
        return n;
    }

    private static String normalize(String path) {
        String p = path;
        while (p.startsWith("./")) {
            p = p.substring(2);
        }
        while (p.length() > 1 && p.endsWith("/")) {
            p = p.substring(0, p.length() - 1);
        }
        return p.equals(".") ? "" : p;
    }

    private static String parent(String p) {
        int i = p.lastIndexOf('/');
        return i < 0 ? "" : p.substring(0, i);
    }

    private static String name(String p) {
        return p.substring(p.lastIndexOf('/') + 1);
    }

    /** An open file; dead once the disk crashed after it was opened. */
    private final class Handle implements DiskFile {
        private final Inode inode;
        private final String path;
        private final int openedIn;
        private boolean closed;

        Handle(Inode inode, String path, int openedIn) {
            this.inode = inode;
            this.path = path;
            this.openedIn = openedIn;
        }

        private void check() throws IOException {
            if (closed) {
                throw new IOException(path + ": file closed");
            }
            if (openedIn != generation) {
                throw new IOException(path + ": stale handle (the disk crashed)");
            }
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            lock.lock();
            try {
                check();
                if (position >= inode.size) {
                    return -1;
                }
                int n = (int) Math.min(dst.remaining(), inode.size - position);
                dst.put(inode.data, (int) position, n);
                return n;
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void write(ByteBuffer src, long position) throws IOException {
            lock.lock();
            try {
                check();
                if (enospc > 0) {
                    enospc--;
                    throw new IOException("No space left on device");
                }
                byte[] bytes = new byte[src.remaining()];
                src.get(bytes);
                if (full && position + bytes.length > inode.size) {
                    int room = (int) Math.max(0, Math.min(bytes.length, inode.size - position));
                    int part = room + (random.nextBoolean() ? 0 : random.nextInt(bytes.length - room + 1));
                    if (part > 0) {
                        inode.write(position, Arrays.copyOf(bytes, part));
                    }
                    throw new IOException("No space left on device");
                }
                inode.write(position, bytes);
            } finally {
                lock.unlock();
            }
        }

        @Override
        public long size() throws IOException {
            lock.lock();
            try {
                check();
                return inode.size;
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void truncate(long size) throws IOException {
            lock.lock();
            try {
                check();
                inode.truncate(size);
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void force() throws IOException {
            lock.lock();
            try {
                check();
                if (full && inode.size > inode.durable.length) {
                    throw new IOException("No space left on device");
                }
                inode.force();
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void close() {
            lock.lock();
            try {
                closed = true;
            } finally {
                lock.unlock();
            }
        }
    }
}
