package io.weft.store;

import io.weft.net.Disk;
import io.weft.net.DiskFile;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A sequence high-water mark kept apart from the checkpoint (file {@code reserved}): no sequence at
 * or above {@link #reserved()} was ever made durable. It is moved {@link #STEP} ahead, and forced,
 * before a sync could make a sequence near it durable, so it costs one small write per
 * {@code STEP / 2} sequences. When the checkpoint is lost too, recovery still knows a bound on every
 * sequence ever acknowledged and never hands one out again.
 *
 * <p>Two 32-byte slots written alternately, each magic {@code WFRS}, generation, value, CRC32C; the
 * valid slot with the highest generation wins.
 */
final class SequenceReservation {
    static final String FILE = "reserved";
    static final long STEP = 1 << 16;
    private static final int MAGIC = 0x57465253; // "WFRS"
    private static final int SLOT = 32;
    private static final int LEN = 24;

    private final DiskFile file;
    private long generation;
    private long reserved;

    private SequenceReservation(DiskFile file) {
        this.file = file;
    }

    /** Opens (creating if needed) the reservation in {@code dir}; sets {@code created[0]} when the file is new. */
    static SequenceReservation open(Disk disk, String dir, boolean[] created) throws IOException {
        String path = dir + "/" + FILE;
        created[0] = !disk.exists(path);
        SequenceReservation r = new SequenceReservation(disk.open(path, true));
        byte[] b = new byte[2 * SLOT];
        ByteBuffer bb = ByteBuffer.wrap(b);
        long pos = 0;
        while (bb.hasRemaining()) {
            int n = r.file.read(bb, pos);
            if (n < 0) {
                break;
            }
            pos += n;
        }
        for (int s = 0; s + LEN <= bb.position(); s += SLOT) {
            if (Records.getInt(b, s) == MAGIC && Records.crc(b, s, LEN - 4) == Records.getInt(b, s + LEN - 4)
                    && Records.getLong(b, s + 4) > r.generation) {
                r.generation = Records.getLong(b, s + 4);
                r.reserved = Records.getLong(b, s + 12);
            }
        }
        return r;
    }

    /** No sequence at or above this was ever durable; 0 when unknown (no valid slot). */
    long reserved() {
        return reserved;
    }

    /** Before sequences up to {@code lastSeq} may become durable: moves the mark ahead if they come near it. */
    void cover(long lastSeq) throws IOException {
        if (lastSeq < reserved - STEP / 2) {
            return;
        }
        long value = lastSeq + STEP;
        byte[] b = new byte[LEN];
        Records.putInt(b, 0, MAGIC);
        Records.putLong(b, 4, generation + 1);
        Records.putLong(b, 12, value);
        Records.putInt(b, LEN - 4, Records.crc(b, 0, LEN - 4));
        file.write(ByteBuffer.wrap(b), ((generation + 1) & 1) * SLOT);
        file.force();
        generation++;
        reserved = value;
    }

    void close() throws IOException {
        file.close();
    }
}
