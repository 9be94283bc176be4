package io.weft.store;

import io.weft.net.Disk;
import io.weft.net.DiskFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.TreeSet;

/**
 * The log of segment ids the store deleted itself (file {@code dropped}, one 12-byte entry per
 * deletion: the id and a CRC32C, forced before the segment file goes). At open, a segment id
 * below the newest one that is neither present nor in this log was lost behind the store's back,
 * and the sequences it held are reported.
 *
 * <p>A store written before this log existed starts it with an entry "ids below N are not
 * known" (a negative id), so its old deletions are not taken for losses.
 */
final class DroppedSegments {
    static final String FILE = "dropped";
    private static final int ENTRY = 12;

    private final DiskFile file;
    private final TreeSet<Long> ids = new TreeSet<>();
    private long knownFrom = 1;
    private long size;

    private DroppedSegments(DiskFile file) {
        this.file = file;
    }

    /**
     * Opens (creating if needed) the log in {@code dir}; {@code present} are the segment ids on disk.
     * Sets {@code created[0]} when the file is new (the caller syncs the directory).
     */
    static DroppedSegments open(Disk disk, String dir, List<Long> present, boolean[] created) throws IOException {
        String path = dir + "/" + FILE;
        boolean existed = disk.exists(path);
        DroppedSegments d = new DroppedSegments(disk.open(path, true));
        created[0] = !existed;
        if (!existed) {
            d.file.truncate(0);
            if (!present.isEmpty()) {
                d.append(-(present.getLast() + 1)); // deletions of an older store cannot be known
            }
            return d;
        }
        d.read();
        return d;
    }

    private void read() throws IOException {
        long n = file.size();
        byte[] b = new byte[(int) Math.min(n, Integer.MAX_VALUE)];
        ByteBuffer bb = ByteBuffer.wrap(b);
        long pos = 0;
        while (bb.hasRemaining()) {
            int r = file.read(bb, pos);
            if (r < 0) {
                break;
            }
            pos += r;
        }
        int p = 0;
        while (p + ENTRY <= bb.position() && Records.crc(b, p, 8) == Records.getInt(b, p + 8)) {
            long v = Records.getLong(b, p);
            if (v < 0) {
                knownFrom = Math.max(knownFrom, -v);
            } else {
                ids.add(v);
            }
            p += ENTRY;
        }
        size = p;
        if (p < n) {
            // a torn last entry: that deletion never happened (the entry is forced before it)
            file.truncate(p);
            file.force();
        }
    }

    /** True if segment {@code id} is absent because the store deleted it (or that cannot be known). */
    boolean accounted(long id) {
        return id < knownFrom || ids.contains(id);
    }

    /** Records, durably, that segment {@code id} is about to be deleted. */
    void add(long id) throws IOException {
        append(id);
        ids.add(id);
    }

    private void append(long v) throws IOException {
        byte[] e = new byte[ENTRY];
        Records.putLong(e, 0, v);
        Records.putInt(e, 8, Records.crc(e, 0, 8));
        try {
            file.write(ByteBuffer.wrap(e), size);
            file.force();
        } catch (IOException ex) {
            try {
                file.truncate(size);
                file.force(); // a crash must not bring back an entry for a deletion that never happened
            } catch (IOException again) {
                ex.addSuppressed(again);
            }
            throw ex;
        }
        size += ENTRY;
        if (v < 0) {
            knownFrom = -v;
        }
    }

    void close() throws IOException {
        file.close();
    }
}
