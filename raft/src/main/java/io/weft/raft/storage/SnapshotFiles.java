package io.weft.raft.storage;

import io.weft.net.Disk;
import io.weft.raft.ConfState;
import io.weft.raft.Snapshot;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Snapshot files {@code snapshot-<index, 20 digits>}, each written atomically (temporary file,
 * fsync, rename, directory fsync). Layout (big-endian):
 *
 * <pre>
 *  0 u32 magic 0x52534e31 ("RSN1")
 *  4 u64 index
 * 12 u64 term
 * 20 u32 voter count v,    v x u64
 *  . u32 learner count l,  l x u64
 *  . u32 outgoing count o, o x u64
 *  . u32 data length n,    n bytes
 *  . u32 CRC32C of every byte before it
 * </pre>
 */
final class SnapshotFiles {
    static final String PREFIX = "snapshot-";
    static final int MAGIC = 0x52534e31;

    private SnapshotFiles() {
    }

    static String name(long index) {
        return PREFIX + String.format("%020d", index);
    }

    /** The index in a snapshot file name, or -1 if the name is not one. */
    static long indexOf(String name) {
        if (!name.startsWith(PREFIX) || name.length() != PREFIX.length() + 20) {
            return -1;
        }
        try {
            return Long.parseLong(name.substring(PREFIX.length()));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    static void write(Disk disk, String dir, Snapshot s) throws IOException {
        Bytes.writeAtomically(disk, dir, name(s.index()), encode(s));
    }

    static byte[] encode(Snapshot s) {
        ConfState c = s.conf();
        int n = 4 + 8 + 8 + 12 + 8 * (c.voters().size() + c.learners().size() + c.votersOutgoing().size())
                + 4 + s.data().length + 4;
        byte[] b = new byte[n];
        Bytes.putInt(b, 0, MAGIC);
        Bytes.putLong(b, 4, s.index());
        Bytes.putLong(b, 12, s.term());
        int p = 20;
        for (List<Long> ids : List.of(c.voters(), c.learners(), c.votersOutgoing())) {
            Bytes.putInt(b, p, ids.size());
            p += 4;
            for (long id : ids) {
                Bytes.putLong(b, p, id);
                p += 8;
            }
        }
        Bytes.putInt(b, p, s.data().length);
        System.arraycopy(s.data(), 0, b, p + 4, s.data().length);
        p += 4 + s.data().length;
        Bytes.putInt(b, p, Bytes.crc(b, 0, p));
        return b;
    }

    /** The snapshot in {@code b}, or null if it is cut short, its CRC is wrong or a field is insane. */
    static Snapshot decode(byte[] b, long expectedIndex) {
        if (b.length < 36 || Bytes.getInt(b, 0) != MAGIC
                || Bytes.getInt(b, b.length - 4) != Bytes.crc(b, 0, b.length - 4)) {
            return null;
        }
        long index = Bytes.getLong(b, 4);
        long term = Bytes.getLong(b, 12);
        int p = 20;
        List<List<Long>> lists = new ArrayList<>();
        for (int k = 0; k < 3; k++) {
            int count = Bytes.getInt(b, p);
            p += 4;
            if (count < 0 || count > (b.length - p) / 8) {
                return null;
            }
            List<Long> ids = new ArrayList<>(count);
            for (int i = 0; i < count; i++, p += 8) {
                ids.add(Bytes.getLong(b, p));
            }
            lists.add(ids);
        }
        int n = Bytes.getInt(b, p);
        if (index != expectedIndex || term < 0 || n < 0 || p + 4 + n + 4 != b.length) {
            return null;
        }
        byte[] data = new byte[n];
        System.arraycopy(b, p + 4, data, 0, n);
        return new Snapshot(index, term, new ConfState(lists.get(0), lists.get(1), lists.get(2)), data);
    }
}
