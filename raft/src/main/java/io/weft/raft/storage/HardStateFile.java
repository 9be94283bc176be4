package io.weft.raft.storage;

import io.weft.net.Disk;
import io.weft.net.DiskFile;
import io.weft.raft.HardState;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * The hard state in two alternating slots of one file, {@code hardstate}: slot {@code c % 2} at
 * offset {@code (c % 2) * 512} holds the value with write counter {@code c}. A write goes to the slot
 * not holding the newest value and is fsynced, so a crash mid-write can tear only that slot and the
 * previous durable value survives in the other; a change of term or vote is written to both slots
 * in turn ({@link #write}). Slot layout (big-endian):
 *
 * <pre>
 *  0 u32 magic 0x52485332 ("RHS2")
 *  4 u64 counter (1, 2, 3, ...)
 * 12 u64 term
 * 20 u64 vote
 * 28 u64 commit
 * 36 u64 vouched: the log's last index when its entries were last fsynced (every entry up to it
 *        may have been acknowledged, so recovery must find it or call it damage)
 * 44 u32 CRC32C of bytes [0, 44)
 * </pre>
 *
 * A slot of the first format ("RHS1": no vouched field, CRC at 36) still reads, with vouched 0.
 */
final class HardStateFile implements AutoCloseable {
    static final String NAME = "hardstate";
    static final int MAGIC = 0x52485332;
    static final int MAGIC_V1 = 0x52485331;
    static final int SLOT = 48;
    private static final int SLOT_V1 = 40;
    static final int STRIDE = 512;

    /** What reading found: the newest valid slot, and how many slots were written but unreadable. */
    record Read(HardState state, long vouched, long counter, boolean lost, int badSlots) {}

    private final DiskFile file;
    private long counter;

    private HardStateFile(DiskFile file, long counter) {
        this.file = file;
        this.counter = counter;
    }

    /** Creates the file holding {@code hs} with counter 1, atomically (a fresh store). */
    static HardStateFile create(Disk disk, String dir, HardState hs) throws IOException {
        byte[] content = new byte[STRIDE + SLOT];
        encode(content, STRIDE, 1, hs, 0);
        Bytes.writeAtomically(disk, dir, NAME, content);
        return new HardStateFile(disk.open(Bytes.path(dir, NAME), false), 1);
    }

    /** Opens an existing file; {@code read.counter()} continues the sequence of writes. */
    static HardStateFile open(Disk disk, String dir, Read read) throws IOException {
        return new HardStateFile(disk.open(Bytes.path(dir, NAME), true), read.counter());
    }

    static Read read(Disk disk, String dir) throws IOException {
        byte[] b = Bytes.readAll(disk, Bytes.path(dir, NAME));
        HardState best = null;
        long bestCounter = 0;
        long bestVouched = 0;
        int bad = 0;
        for (int slot = 0; slot < 2; slot++) {
            int off = slot * STRIDE;
            long c = valid(b, off);
            if (c > 0 && c % 2 == slot) {
                if (c > bestCounter) {
                    bestCounter = c;
                    best = new HardState(Bytes.getLong(b, off + 12), Bytes.getLong(b, off + 20), Bytes.getLong(b, off + 28));
                    bestVouched = Bytes.getInt(b, off) == MAGIC ? Bytes.getLong(b, off + 36) : 0;
                }
            } else if (written(b, off) || b.length < off + SLOT_V1) {
                bad++; // the file is created whole (both slots' room), so a short one lost a slot's bytes
            }
        }
        return best == null ? new Read(HardState.EMPTY, 0, 0, true, bad) : new Read(best, bestVouched, bestCounter, false, bad);
    }

    /**
     * Writes {@code hs} into the other slot and fsyncs it; with {@code both} (the term or the vote
     * changed), then into the second slot too, fsynced again. Durable on return.
     *
     * <p>Why both: a replica acts on a new term or vote (sends the vote) only after it is durable,
     * and a slot that later reads back bad (bit rot, truncation) must not take it back to an older
     * vote in the same term, which could elect two leaders. With the term and vote in both slots,
     * any one readable slot holds the newest of them; a slot torn by a crash mid-write is one whose
     * value was never acted on, and the other holds what was. Commit-only changes (every append)
     * keep one write: an older commit index after a bad slot loses no vote, but it weakens one
     * recovery check (committed entries missing from the log are found only up to the durable
     * commit index, so a log cut at rest above the older value reads as a torn tail); the leader's
     * heartbeats close that gap at run time (RaftNode.handleHeartbeat: a commit past our last
     * index means we lost entries we acknowledged, and we ask for them again).
     */
    void write(HardState hs, long vouched, boolean both) throws IOException {
        writeSlot(hs, vouched);
        if (both) {
            writeSlot(hs, vouched);
        }
    }

    private void writeSlot(HardState hs, long vouched) throws IOException {
        long c = counter + 1;
        byte[] slot = new byte[SLOT];
        encode(slot, 0, c, hs, vouched);
        file.write(ByteBuffer.wrap(slot), (c % 2) * STRIDE);
        file.force();
        counter = c;
    }

    @Override
    public void close() throws IOException {
        file.close();
    }

    private static void encode(byte[] b, int off, long counter, HardState hs, long vouched) {
        Bytes.putInt(b, off, MAGIC);
        Bytes.putLong(b, off + 4, counter);
        Bytes.putLong(b, off + 12, hs.term());
        Bytes.putLong(b, off + 20, hs.vote());
        Bytes.putLong(b, off + 28, hs.commit());
        Bytes.putLong(b, off + 36, vouched);
        Bytes.putInt(b, off + 44, Bytes.crc(b, off, 44));
    }

    /** The slot's counter if it is whole and its CRC matches (either format), else 0. */
    private static long valid(byte[] b, int off) {
        if (b.length < off + SLOT_V1) {
            return 0;
        }
        int magic = Bytes.getInt(b, off);
        int len = magic == MAGIC ? SLOT - 4 : magic == MAGIC_V1 ? SLOT_V1 - 4 : -1;
        if (len < 0 || b.length < off + len + 4) {
            return 0;
        }
        return Bytes.getInt(b, off + len) == Bytes.crc(b, off, len) ? Math.max(0, Bytes.getLong(b, off + 4)) : 0;
    }

    /** Whether anything but zeros lies in the slot (a slot never written is not damage). */
    private static boolean written(byte[] b, int off) {
        for (int i = off; i < Math.min(b.length, off + SLOT); i++) {
            if (b[i] != 0) {
                return true;
            }
        }
        return false;
    }
}
