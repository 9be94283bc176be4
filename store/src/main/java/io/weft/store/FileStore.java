package io.weft.store;

import io.weft.net.Disk;
import io.weft.net.DiskFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A stream store in append-only segment files, reached only through {@link Disk}. See
 * {@code store/README.md} for the record format, the durability contract and recovery.
 *
 * <p>Durability: appends and removals are encoded into an in-memory write buffer (up to 1 MiB)
 * which is written to the OS when it fills, when a segment rolls over, and at {@link #sync()};
 * nothing is durable before {@code sync()} returns. {@code sync()} writes the buffer, forces every
 * file written since the last sync and syncs the directory if files were created, renamed or
 * deleted. A segment is forced when it is closed for a new one, so only the last segment can have a
 * torn tail. {@code remove(seq, true)} forces its delete record, then overwrites the message in
 * place (the overwrite is durable at the next sync).
 *
 * <p>No threads of its own: compaction runs inline, in the call that removed the data.
 */
public final class FileStore implements MessageStore {
    private static final String SUFFIX = ".blk";
    private static final String TMP = ".tmp";
    /** Durable high-water mark, rewritten and forced at the end of every sync. */
    private static final String CHECKPOINT = "checkpoint";
    private static final int CP_MAGIC = 0x57464350; // "WFCP"
    private static final int CP_SLOT = 64;
    private static final int CP_LEN = 48;
    private static final int WRITE_BUFFER = 1 << 20;
    private static final int READ_CHUNK = 64 * 1024;
    /** A wildcard loadNext scans this many sequences before switching to per-subject lookups. */
    /** One segment file. Counters cover records as they are in the file (plus the write buffer if active). */
    private static final class Segment {
        final long id;
        final String path;
        DiskFile file;
        /** Bytes in the file (for the active segment: not counting the write buffer). */
        long size;
        /** Bytes of every record, buffered ones included. */
        long totalBytes;
        long liveBytes;
        int liveCount;
        /** Physical range of message records (live or dead) present in the file. */
        long minSeq = Long.MAX_VALUE;
        long maxSeq;
        /** DEL and FLOOR records, which a later compaction may need to keep, and the range they cover. */
        int metaCount;
        long metaMin = Long.MAX_VALUE;
        long metaMax;
        boolean dirty;
        /** Recovery found damage here: the file is kept as it is, as evidence. */
        boolean damaged;

        Segment(long id, String path, DiskFile file) {
            this.id = id;
            this.path = path;
            this.file = file;
        }

        void sawMeta(byte type, long seq) {
            metaCount++;
            metaMin = Math.min(metaMin, type == Records.FLOOR ? 1 : seq);
            metaMax = Math.max(metaMax, type == Records.FLOOR ? seq - 1 : seq);
        }

        void sawMessage(long seq) {
            minSeq = Math.min(minSeq, seq);
            maxSeq = Math.max(maxSeq, seq);
        }
    }

    private final Disk disk;
    private final String dir;
    private final FileStoreConfig cfg;
    private final ReentrantLock lock = new ReentrantLock();
    private final TreeMap<Long, Segment> segments = new TreeMap<>();
    private final SeqIndex index = new SeqIndex();
    private final LiveMessages live = new LiveMessages(index);
    private final List<Corruption> corruptions = new ArrayList<>();
    /** Sequence ranges known to be corrupt, by first sequence. */
    private final TreeMap<Long, Corruption> corruptBySeq = new TreeMap<>();
    private Segment active;
    private byte[] wbuf = new byte[WRITE_BUFFER];
    private int wlen;
    private boolean dirDirty;
    private DiskFile checkpoint;
    /** The last sequence the newest durable checkpoint holds: {@link #lastSeq} never goes below it. */
    private long cpLastSeq;
    private DroppedSegments dropped;
    private SequenceReservation reservation;
    private long cpGeneration;
    /** Something was forced since the checkpoint was last written. */
    private boolean cpStale;
    /** Records were written since the last SYNC record. */
    private boolean unsynced;
    private long lastSeq;
    private long lastTime;
    private long bytes;
    private boolean closed;
    private Segment cacheSeg;
    private long cacheOff;
    private int cacheLen;
    private final byte[] cache = new byte[READ_CHUNK];
    private java.util.function.Consumer<Corruption> corruptionListener = c -> { };
    /** The open batch, or null. */
    private Batch batch;
    /** A write failed and may have left bytes past {@code active.size}: cut them before the next write. */
    private boolean tailSuspect;

    /** One undo step of an open batch, replayed newest first by {@link #rollback}. */
    private sealed interface Undo {
        /** Message {@code seq} was appended; the index ended at {@code indexEnd} before it. */
        record Appended(long seq, long indexEnd) implements Undo {
        }

        /** Live message {@code seq} (subject {@code subject}) was removed. */
        record Removed(long seq, String subject) implements Undo {
        }
    }

    /** What {@link #rollback} restores: the state at {@link #begin}, and the steps since. */
    private static final class Batch {
        final long lastSeq;
        final long lastTime;
        final long bytes;
        final boolean unsynced;
        final Segment active;
        final long size;
        final int wlen;
        final long totalBytes;
        final long minSeq;
        final long maxSeq;
        final int metaCount;
        final long metaMin;
        final long metaMax;
        final long lastSegmentId;
        final List<Undo> undo = new ArrayList<>();
        /** Segments whose compaction waits for the commit (a rollback may need their records). */
        final List<Segment> maintain = new ArrayList<>();

        Batch(FileStore fs) {
            lastSeq = fs.lastSeq;
            lastTime = fs.lastTime;
            bytes = fs.bytes;
            unsynced = fs.unsynced;
            active = fs.active;
            size = active.size;
            wlen = fs.wlen;
            totalBytes = active.totalBytes;
            minSeq = active.minSeq;
            maxSeq = active.maxSeq;
            metaCount = active.metaCount;
            metaMin = active.metaMin;
            metaMax = active.metaMax;
            lastSegmentId = fs.segments.lastKey();
        }
    }

    private FileStore(Disk disk, String dir, FileStoreConfig cfg) {
        this.disk = disk;
        this.dir = dir;
        this.cfg = cfg;
    }

    /** Opens (creating it if needed) the store in {@code dir}, recovering its indexes from the segment files. */
    @Override
    public long sizeOf(String subject, int headerLength, int dataLength) {
        return StoredMessage.fileRecordSize(subject, headerLength, dataLength);
    }

    public static FileStore open(Disk disk, String dir, FileStoreConfig cfg) throws IOException {
        FileStore fs = new FileStore(disk, dir, cfg == null ? FileStoreConfig.defaults() : cfg);
        fs.recover();
        return fs;
    }

    private String pathOf(long id) {
        return dir + "/" + String.format("%016d", id) + SUFFIX;
    }

    // ------------------------------------------------------------------ recovery

    /** A damaged region found while scanning, resolved to sequences once the scan is complete. */
    private static final class Damage {
        final Segment seg;
        final String where;
        final String reason;
        final long lo;
        long hi = -1;
        /** The sequence the damaged record's header names, when the header looks intact; else 0. */
        long hint;
        /** Reported even when every sequence in the gap was deleted (a lost file, not a lost record). */
        boolean always;

        Damage(Segment seg, String where, String reason, long lo) {
            this.seg = seg;
            this.where = where;
            this.reason = reason;
            this.lo = lo;
        }
    }

    /** The newest valid checkpoint slot: {generation, lastSeq, lastTime, activeId, syncedLen}, or null. */
    private long[] readCheckpoint() throws IOException {
        String path = dir + "/" + CHECKPOINT;
        boolean existed = disk.exists(path);
        checkpoint = disk.open(path, true);
        if (!existed) {
            dirDirty = true;
            return null;
        }
        byte[] b = readFully(checkpoint, (int) Math.min(checkpoint.size(), 2 * CP_SLOT));
        long[] best = null;
        for (int slot = 0; slot + CP_LEN <= b.length; slot += CP_SLOT) {
            if (Records.getInt(b, slot) != CP_MAGIC || Records.crc(b, slot, CP_LEN - 4) != Records.getInt(b, slot + CP_LEN - 4)) {
                continue;
            }
            long[] v = new long[5];
            for (int i = 0; i < 5; i++) {
                v[i] = Records.getLong(b, slot + 4 + 8 * i);
            }
            if (best == null || v[0] > best[0]) {
                best = v;
            }
        }
        if (best != null) {
            cpGeneration = best[0];
            cpLastSeq = best[1];
        }
        return best;
    }

    /** Writes the next checkpoint slot and forces it (after the segments it describes were forced). */
    private void writeCheckpoint(long activeId, long syncedLen) throws IOException {
        // the checkpoint is the synced high-water mark: it only moves forward
        assert lastSeq >= cpLastSeq : "checkpoint would go back from " + cpLastSeq + " to " + lastSeq;
        byte[] b = new byte[CP_LEN];
        cpGeneration++;
        Records.putInt(b, 0, CP_MAGIC);
        long[] v = {cpGeneration, lastSeq, lastTime, activeId, syncedLen};
        for (int i = 0; i < 5; i++) {
            Records.putLong(b, 4 + 8 * i, v[i]);
        }
        Records.putInt(b, CP_LEN - 4, Records.crc(b, 0, CP_LEN - 4));
        try {
            checkpoint.write(ByteBuffer.wrap(b), (cpGeneration & 1) * CP_SLOT);
            checkpoint.force();
        } catch (IOException e) {
            // the slot written may be torn: the next attempt writes it again, never the other
            // (which still holds the last good checkpoint)
            cpGeneration--;
            throw e;
        }
        cpStale = false;
        cpLastSeq = lastSeq;
    }

    private void recover() throws IOException {
        disk.mkdirs(dir);
        boolean cpExisted = disk.exists(dir + "/" + CHECKPOINT);
        List<Long> ids = segmentIds();
        long[] cp = readCheckpoint();
        boolean[] created = new boolean[1];
        dropped = DroppedSegments.open(disk, dir, ids, created);
        dirDirty |= created[0];
        reservation = SequenceReservation.open(disk, dir, created);
        dirDirty |= created[0];
        if (ids.isEmpty() && !cpExisted) {
            // a new store: its checkpoint is durable before any segment exists, so a store with
            // segments and no checkpoint has lost it
            writeCheckpoint(1, 0);
            disk.syncDir(dir);
            dirDirty = false;
        }
        boolean cpLost = cp == null && !ids.isEmpty();
        scan(ids, cp, cpLost);
    }

    /** The segment ids in the directory, ascending (leftover compaction files are deleted). */
    private List<Long> segmentIds() throws IOException {
        List<Long> ids = new ArrayList<>();
        for (String name : disk.list(dir)) {
            if (name.endsWith(TMP)) {
                disk.delete(dir + "/" + name);
            } else if (name.endsWith(SUFFIX)) {
                try {
                    ids.add(Long.parseLong(name.substring(0, name.length() - SUFFIX.length())));
                } catch (NumberFormatException e) {
                    // not ours
                }
            }
        }
        ids.sort(null);
        return ids;
    }

    /** What a recovery scan collects across segments. */
    private static final class Scan {
        final List<Damage> damages = new ArrayList<>();
        /** Damages whose upper end is not known yet (the next good sequence closes them). */
        final List<Damage> open = new ArrayList<>();
        long[] dels = new long[16];
        int ndels;
        long floor;

        void found(Damage d) {
            damages.add(d);
            open.add(d);
        }

        /** Closes every open damage at {@code hi} (exclusive). */
        void close(long hi) {
            for (Damage d : open) {
                d.hi = hi;
            }
            open.clear();
        }

        void deleted(long seq) {
            if (ndels == dels.length) {
                dels = Arrays.copyOf(dels, ndels * 2);
            }
            dels[ndels++] = seq;
        }
    }

    /**
     * Reads every segment, rebuilding the indexes and finding damage (see the README's recovery
     * section); then reconciles with the checkpoint, and resolves what was found.
     */
    private void scan(List<Long> ids, long[] cp, boolean cpLost) throws IOException {
        Scan sc = new Scan();
        for (int k = 0; k < ids.size(); k++) {
            long id = ids.get(k);
            Damage gone = missingBefore(id, k == 0 ? 0 : ids.get(k - 1));
            if (gone != null) {
                sc.found(gone);
            }
            scanSegment(sc, id, k == ids.size() - 1, cp);
        }
        if (cp != null && cp[1] > lastSeq) {
            raiseToCheckpoint(sc, cp);
        }
        if (cpLost) {
            raiseToReservation(sc);
        }
        sc.close(lastSeq + 1);
        resolveDamage(sc.damages, Arrays.copyOf(sc.dels, sc.ndels), sc.floor);
        if (segments.isEmpty()) {
            newSegment(1);
        } else {
            active = segments.lastEntry().getValue();
        }
        if (cpLost) {
            try {
                syncLocked(); // the raised last sequence is durable before anything is appended
            } catch (IOException e) {
                // the next sync writes it (the store stays marked unsynced); a crash before that
                // finds the same damage and the same bound again
            }
        }
        assert lastSeq >= cpLastSeq : "recovered below the checkpoint: " + lastSeq + " < " + cpLastSeq;
    }

    /**
     * Reads one segment record by record: indexes its messages, notes deletes and floors, cuts a
     * torn tail of the last segment, and records damage anywhere before it.
     */
    private void scanSegment(Scan sc, long id, boolean last, long[] cp) throws IOException {
        String path = pathOf(id);
        DiskFile f = disk.open(path, false);
        Segment seg = new Segment(id, path, f);
        segments.put(id, seg);
        long fileSize = f.size();
        if (fileSize > Integer.MAX_VALUE) {
            throw new IOException(path + ": segment too large (" + fileSize + " bytes)");
        }
        byte[] buf = readFully(f, (int) fileSize);
        int n = buf.length;
        int syncedEnd = last ? syncedEnd(buf) : n;
        boolean cpSegment = cp != null && cp[3] == id;
        if (cpSegment) {
            // bytes the last sync forced are never a torn write
            syncedEnd = (int) Math.max(syncedEnd, Math.min(cp[4], n));
        }
        int pos = 0;
        while (pos < n) {
            int len = Records.check(buf, pos, n);
            if (len > 0) {
                seg.totalBytes += len;
                scanRecord(sc, seg, buf, pos, len);
                pos += len;
                continue;
            }
            if (pos >= syncedEnd) {
                // Past the last SYNC record of the last segment nothing was ever synced: this is a
                // write torn by a crash (or bytes lost before it), not damage. Cut it off.
                truncate(seg, pos);
                break;
            }
            int next = findNext(buf, pos + 1, n);
            String where = path + ":" + pos;
            Damage d = new Damage(seg, where, Records.reason(len), lastSeq);
            if (next >= 0 && pos + Records.OVERHEAD <= n && Records.getShort(buf, pos) == Records.MAGIC
                    && (Records.getInt(buf, pos + 4) & 0xffffffffL) == next - pos) {
                d.hint = Records.seq(buf, pos); // one record whose header still fits exactly
            }
            sc.found(d);
            seg.damaged = true;
            int stop = next < 0 ? n : next;
            seg.totalBytes += stop - pos;
            pos = stop;
        }
        seg.size = last ? seg.file.size() : n;
        if (cpSegment && n < cp[4]) {
            Damage d = new Damage(seg, path + ":" + n, "segment truncated: " + n + " of " + cp[4]
                    + " synced bytes left", lastSeq);
            sc.found(d);
            seg.damaged = true;
        }
    }

    /** One good record found by the scan: what it says about the index and the last sequence. */
    private void scanRecord(Scan sc, Segment seg, byte[] buf, int pos, int len) throws IOException {
        byte type = Records.type(buf, pos);
        long seq = Records.seq(buf, pos);
        long ts = Records.timestamp(buf, pos);
        switch (type) {
            case Records.MSG -> {
                sc.close(seq);
                seg.sawMessage(seq);
                if (seq >= index.endSeq() && seq >= sc.floor) {
                    String subject = Records.subject(buf, pos);
                    int dataLen = Records.dataLength(buf, pos);
                    int off = pos + Records.HEADER + Records.subjectLength(buf, pos)
                            + Records.headerLength(buf, pos);
                    if ((Records.flags(buf, pos) & Records.FLAG_S2) != 0) {
                        dataLen = S2Block.decodedLength(buf, off, dataLen);
                    }
                    int msize = (int) StoredMessage.fileRecordSize(subject, Records.headerLength(buf, pos), dataLen);
                    indexMessage(seg, seq, pos, len, msize, ts, subject);
                }
                raiseLast(seq, ts);
            }
            case Records.DEL, Records.ERASED -> {
                if (type == Records.DEL) {
                    seg.sawMeta(type, seq);
                } else {
                    seg.sawMessage(seq);
                }
                sc.deleted(seq);
                if (index.isLive(seq)) {
                    killLive(seq);
                }
                raiseLast(seq, ts); // a deleted or erased message still counts for the sequence
            }
            case Records.FLOOR -> {
                seg.sawMeta(type, seq);
                sc.floor = Math.max(sc.floor, seq);
                killBelow(seq);
                raiseLast(seq - 1, ts);
            }
            case Records.END, Records.SYNC -> {
                sc.close(seq + 1);
                raiseLast(seq, ts);
            }
            default -> {
                sc.close(seq);
                raiseLast(seq - 1, ts);
            }
        }
    }

    private void raiseLast(long seq, long ts) {
        if (seq > lastSeq) {
            lastSeq = seq;
            lastTime = ts;
        }
    }

    /** Synced sequences are missing (the checkpoint says more was synced): report them and never reuse them. */
    private void raiseToCheckpoint(Scan sc, long[] cp) {
        if (sc.open.isEmpty()) {
            Damage d = new Damage(segments.isEmpty() ? null : segments.lastEntry().getValue(),
                    dir + "/" + CHECKPOINT, "sequences up to the synced high-water mark " + cp[1] + " are missing",
                    lastSeq);
            sc.found(d);
        }
        lastSeq = cp[1];
        lastTime = cp[2];
    }

    /**
     * Without the checkpoint a lost tail cannot be told from a short one: report it, and never hand
     * out a sequence below the reserved high-water mark again.
     */
    private void raiseToReservation(Scan sc) {
        long bound = reservation.reserved() - 1;
        Damage d = new Damage(null, dir + "/" + CHECKPOINT, "checkpoint file missing or unreadable: messages "
                + "synced after the last one found may be lost; sequences up to " + Math.max(bound, lastSeq)
                + " are not reused", lastSeq);
        d.always = true;
        sc.found(d);
        if (bound > lastSeq) {
            lastSeq = bound;
        }
        cpStale = true;
        unsynced = true;
    }

    /**
     * A damage for segment ids between {@code prevId} and {@code id} that are neither on disk nor
     * in the log of segments the store deleted itself: files lost behind its back. Null if none.
     */
    private Damage missingBefore(long id, long prevId) {
        long first = 0;
        long count = 0;
        for (long m = prevId + 1; m < id; m++) {
            if (!dropped.accounted(m)) {
                first = first == 0 ? m : first;
                count++;
            }
        }
        if (count == 0) {
            return null;
        }
        Damage d = new Damage(null, pathOf(first), count == 1 ? "segment file missing"
                : count + " segment files missing (" + first + " to " + (id - 1) + ")", lastSeq);
        d.always = true;
        return d;
    }

    private void resolveDamage(List<Damage> damages, long[] dels, long floor) {
        if (damages.isEmpty()) {
            return;
        }
        Arrays.sort(dels);
        for (Damage d : damages) {
            if (d.seg != null) {
                d.seg.damaged = false;
            }
        }
        for (Damage d : damages) {
            if (d.hi - d.lo > 1 << 20) {
                if (d.seg != null) {
                    d.seg.damaged = true;
                }
                Corruption c = new Corruption(d.lo + 1, d.hi - 1, d.where, d.reason);
                corruptions.add(c);
                corruptBySeq.put(c.firstSeq(), c);
                continue;
            }
            long first = 0;
            long lastBad = 0;
            long from = Math.max(d.lo + 1, floor);
            long to = d.hi;
            if (d.hint > d.lo && d.hint < d.hi) {
                // narrow the gap to the record the header names: the rest of the gap may be messages
                // that were deleted and compacted away long ago
                from = Math.max(d.hint, floor);
                to = d.hint + 1;
            }
            for (long s = from; s < to; s++) {
                if (Arrays.binarySearch(dels, s) >= 0 || index.isLive(s)) {
                    continue;
                }
                if (first == 0) {
                    first = s;
                }
                lastBad = s;
            }
            if (first == 0 && d.always && d.hi > d.lo + 1) {
                first = d.lo + 1; // a lost file: say which sequences it held, deleted ones included
                lastBad = d.hi - 1;
            } else if (first == 0 && d.hi > d.lo + 1) {
                continue; // only deleted messages were damaged (an erase torn by a crash, say)
            }
            if (d.seg != null) {
                d.seg.damaged = true;
            }
            Corruption c = new Corruption(first, lastBad, d.where, d.reason);
            corruptions.add(c);
            if (first > 0) {
                corruptBySeq.put(first, c);
            }
        }
    }

    /** The end of the last valid SYNC record in a segment (0 if none). */
    private static int syncedEnd(byte[] buf) {
        int n = buf.length;
        int end = 0;
        int p = 0;
        while (p < n) {
            int len = Records.check(buf, p, n);
            if (len > 0) {
                if (Records.type(buf, p) == Records.SYNC) {
                    end = p + len;
                }
                p += len;
            } else {
                p = findNext(buf, p + 1, n);
                if (p < 0) {
                    break;
                }
            }
        }
        return end;
    }

    private static int findNext(byte[] buf, int from, int n) {
        int hi = (Records.MAGIC >>> 8) & 0xff;
        int lo = Records.MAGIC & 0xff;
        for (int q = from; q + Records.OVERHEAD <= n; q++) {
            if ((buf[q] & 0xff) == hi && (buf[q + 1] & 0xff) == lo && Records.check(buf, q, n) > 0) {
                return q;
            }
        }
        return -1;
    }

    private void truncate(Segment seg, int pos) throws IOException {
        seg.file.truncate(pos);
        seg.file.force();
    }

    private static byte[] readFully(DiskFile f, int size) throws IOException {
        byte[] buf = new byte[size];
        ByteBuffer bb = ByteBuffer.wrap(buf);
        long pos = 0;
        while (bb.hasRemaining()) {
            int r = f.read(bb, pos);
            if (r < 0) {
                return Arrays.copyOf(buf, bb.position());
            }
            pos += r;
        }
        return buf;
    }

    // ------------------------------------------------------------------ index upkeep

    private void indexMessage(Segment seg, long seq, long off, int len, int msize, long ts, String subject) {
        live.add(seq, seg.id << 32 | off, len, msize, ts, subject);
        seg.liveCount++;
        seg.liveBytes += len;
        bytes += msize;
    }

    /** Drops a live sequence from every in-memory structure; returns the segment that held it. */
    private Segment killLive(long seq) {
        if (batch != null) {
            batch.undo.add(new Undo.Removed(seq, index.subject(seq).subject));
        }
        return forget(seq);
    }

    /** As {@link #killLive}, for good: no rollback brings it back (a damaged record, a rolled-back append). */
    private Segment forget(long seq) {
        live.removeSubject(seq);
        long loc = index.location(seq);
        Segment seg = segments.get(loc >>> 32);
        if (seg != null) {
            seg.liveCount--;
            seg.liveBytes -= index.recordLength(seq);
        }
        bytes -= index.messageSize(seq);
        index.kill(seq);
        return seg;
    }

    private void killBelow(long seq) {
        for (long s = index.first(); s >= 0 && s < seq; s = index.nextLive(s + 1)) {
            killLive(s);
        }
    }

    // ------------------------------------------------------------------ writing

    private void newSegment(long nextSeq) throws IOException {
        long id = segments.isEmpty() ? 1 : segments.lastKey() + 1;
        String path = pathOf(id);
        Segment seg = new Segment(id, path, disk.open(path, true));
        seg.file.truncate(0);
        segments.put(id, seg);
        active = seg;
        dirDirty = true;
        writeRecord(Records.BASE, 0, nextSeq, lastTime, null, null, null);
    }

    /** Closes the active segment (written and forced) and starts the next one. */
    private void roll() throws IOException {
        writeRecord(Records.END, 0, lastSeq, lastTime, null, null, null);
        flush();
        active.file.force();
        active.dirty = false;
        Segment old = active;
        newSegment(lastSeq + 1);
        maintain(List.of(old));
    }

    /** Appends a record to the write buffer; returns its offset in the active segment. */
    private long writeRecord(byte type, int flags, long seq, long ts, byte[] subject, byte[] headers, byte[] data)
            throws IOException {
        int len = Records.length(subject == null ? 0 : subject.length, headers == null ? 0 : headers.length,
                data == null ? 0 : data.length);
        if (active.totalBytes > Records.OVERHEAD && active.totalBytes + len > cfg.blockSizeBytes()
                && type != Records.BASE && type != Records.END && type != Records.SYNC) {
            roll();
        }
        if (wlen + len > wbuf.length) {
            flush();
            if (len > wbuf.length) {
                wbuf = new byte[len];
            }
        }
        long off = active.size + wlen;
        if (type != Records.SYNC) {
            unsynced = true;
        }
        Records.encode(wbuf, wlen, type, flags, seq, ts, subject, headers, data);
        wlen += len;
        active.totalBytes += len;
        if (type == Records.DEL || type == Records.FLOOR) {
            active.sawMeta(type, seq);
        }
        return off;
    }

    /**
     * Writes the buffer to the OS (not durable). A failed write (a full disk) may have written part
     * of the buffer: the file is cut back to where it was and the buffer kept, so a later flush
     * writes the same bytes again and the file never holds a record nobody accounted for.
     */
    private void flush() throws IOException {
        if (wlen == 0) {
            return;
        }
        cutSuspectTail();
        try {
            active.file.write(ByteBuffer.wrap(wbuf, 0, wlen), active.size);
        } catch (IOException e) {
            tailSuspect = true;
            cutSuspectTail(e);
            throw e;
        }
        active.size += wlen;
        active.dirty = true;
        wlen = 0;
        if (wbuf.length > WRITE_BUFFER) {
            wbuf = new byte[WRITE_BUFFER];
        }
    }

    /**
     * Cuts bytes a failed write may have left after the active segment's end, and forces the cut:
     * an unforced truncation can be undone by a crash, and the bytes of a refused write come back.
     */
    private void cutSuspectTail() throws IOException {
        if (tailSuspect && active.file.size() > active.size) {
            active.file.truncate(active.size);
            active.file.force();
        }
        tailSuspect = false;
    }

    private void cutSuspectTail(IOException cause) {
        try {
            cutSuspectTail();
        } catch (IOException e) {
            tailSuspect = true;
            cause.addSuppressed(e);
        }
    }

    private void syncLocked() throws IOException {
        reservation.cover(lastSeq); // before any sequence near the mark can become durable
        if (unsynced) {
            cpStale = true;
            // marks the durable end of the active segment: damage before it is corruption, after it a torn write
            writeRecord(Records.SYNC, 0, lastSeq, lastTime, null, null, null);
            unsynced = false;
        }
        flush();
        for (Segment s : segments.values()) {
            if (s.dirty) {
                s.file.force();
                s.dirty = false;
                cpStale = true;
            }
        }
        if (dirDirty) {
            disk.syncDir(dir);
            dirDirty = false;
        }
        if (cpStale) {
            writeCheckpoint(active.id, active.size);
        }
    }

    private void ensureOpen() throws IOException {
        if (closed) {
            throw new IOException("store closed: " + dir);
        }
    }

    @Override
    public long append(String subject, byte[] headers, byte[] data, long timestampNanos) throws IOException {
        return append(-1, subject, headers, data, timestampNanos);
    }

    @Override
    public void appendAt(long seq, String subject, byte[] headers, byte[] data, long timestampNanos) throws IOException {
        if (seq <= 0) {
            throw new IllegalArgumentException("sequence " + seq);
        }
        long got = append(seq, subject, headers, data, timestampNanos);
        assert got == seq;
    }

    /** Appends at {@code want} (which must be the next sequence), or at the next sequence when {@code want < 0}. */
    private long append(long want, String subject, byte[] headers, byte[] data, long timestampNanos) throws IOException {
        byte[] subj = SubjectBytes.encode(subject);
        byte[] hdr = headers == null ? new byte[0] : headers;
        byte[] payload = data == null ? new byte[0] : data;
        if (subj.length > 0xffff) {
            throw new IOException("subject too long: " + subj.length + " bytes");
        }
        int flags = 0;
        byte[] stored = payload;
        if (cfg.compressS2() && payload.length >= 64) {
            byte[] c = S2Block.compress(payload);
            if (c.length < payload.length) {
                stored = c;
                flags = Records.FLAG_S2;
            }
        }
        lock.lock();
        try {
            ensureOpen();
            long seq = lastSeq + 1;
            if (want >= 0 && want != seq) {
                // checked before anything is written: a caller out of step (a follower behind its
                // leader) must not leave a record at a sequence it did not mean
                throw new IllegalStateException("append at " + want + " but the next sequence is " + seq);
            }
            assert index.endSeq() <= seq : "index ends at " + index.endSeq() + " past the next sequence " + seq;
            long off = writeRecord(Records.MSG, flags, seq, timestampNanos, subj, hdr, stored);
            int len = Records.length(subj.length, hdr.length, stored.length);
            if (batch != null) {
                batch.undo.add(new Undo.Appended(seq, index.endSeq()));
            }
            active.sawMessage(seq);
            lastSeq = seq;
            lastTime = timestampNanos;
            indexMessage(active, seq, off, len, (int) StoredMessage.fileRecordSize(subject, hdr.length, payload.length),
                    timestampNanos, subject);
            return seq;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void skipTo(long nextSeq) throws IOException {
        lock.lock();
        try {
            ensureOpen();
            if (nextSeq - 1 > lastSeq) {
                lastSeq = nextSeq - 1;
            }
            List<Segment> touched = purgeBelow(nextSeq);
            writeRecord(Records.FLOOR, 0, nextSeq, lastTime, null, null, null);
            maintain(touched);
        } finally {
            lock.unlock();
        }
    }

    private List<Segment> purgeBelow(long limit) {
        List<Segment> touched = new ArrayList<>();
        for (long s = index.first(); s >= 0 && s < limit; s = index.nextLive(s + 1)) {
            Segment seg = killLive(s);
            if (seg != null && (touched.isEmpty() || touched.getLast() != seg)) {
                touched.add(seg);
            }
        }
        return touched;
    }

    @Override
    public boolean remove(long seq, boolean erase) throws IOException {
        lock.lock();
        try {
            ensureOpen();
            if (!index.isLive(seq)) {
                return false;
            }
            long loc = index.location(seq);
            int len = index.recordLength(seq);
            Segment seg = segments.get(loc >>> 32);
            long off = loc & 0xffffffffL;
            if (erase) {
                if (batch != null) {
                    commitLocked(); // an erase cannot be undone: whatever came before it is committed
                    loc = index.location(seq);
                    seg = segments.get(loc >>> 32);
                    off = loc & 0xffffffffL;
                }
                byte[] blank = Records.erased(seq, index.timestamp(seq), len);
                if (seg == active && off >= active.size) {
                    System.arraycopy(blank, 0, wbuf, (int) (off - active.size), len);
                } else {
                    // the delete record must be durable before the message's bytes disappear; if it
                    // cannot be made durable, it is not written at all (and the message stays)
                    batch = new Batch(this);
                    index.pin();
                    writeRecord(Records.DEL, 0, seq, index.timestamp(seq), null, null, null);
                    commitLocked();
                    loc = index.location(seq); // a roll may have compacted the segment
                    seg = segments.get(loc >>> 32);
                    off = loc & 0xffffffffL;
                    invalidateCache(seg);
                    seg.dirty = true;
                    try {
                        seg.file.write(ByteBuffer.wrap(blank), off);
                    } catch (IOException e) {
                        killLive(seq); // the delete is durable: the message is gone, only its bytes stay
                        throw e;
                    }
                }
            } else {
                writeRecord(Records.DEL, 0, seq, index.timestamp(seq), null, null, null);
            }
            Segment held = killLive(seq);
            maintain(held == null ? List.of() : List.of(held));
            return true;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public long purge(String filter, long upToSeq, long keep) throws IOException {
        lock.lock();
        try {
            ensureOpen();
            if (Subjects.isAll(filter)) {
                long limit = upToSeq > 0 ? upToSeq : lastSeq + 1;
                if (keep > 0) {
                    long keepFrom = index.live() <= keep ? 0 : live.nthFromEnd(keep);
                    limit = Math.min(limit, keepFrom);
                }
                limit = Math.min(limit, lastSeq + 1);
                long first = index.first();
                if (first < 0 || limit <= first) {
                    return 0;
                }
                long before = index.live();
                List<Segment> touched = purgeBelow(limit);
                writeRecord(Records.FLOOR, 0, limit, lastTime, null, null, null);
                maintain(touched);
                return before - index.live();
            }
            List<Long> victims = new ArrayList<>();
            for (SubjectSeqs s : live.matching(filter)) {
                int n = s.count();
                int upTo = n - (int) Math.min(n, Math.max(keep, 0));
                for (int i = 0; i < upTo; i++) {
                    long seq = s.get(i);
                    if (upToSeq > 0 && seq >= upToSeq) {
                        break;
                    }
                    victims.add(seq);
                }
            }
            victims.sort(null);
            List<Segment> touched = new ArrayList<>();
            for (long seq : victims) {
                writeRecord(Records.DEL, 0, seq, index.timestamp(seq), null, null, null);
                Segment seg = killLive(seq);
                if (seg != null && !touched.contains(seg)) {
                    touched.add(seg);
                }
            }
            maintain(touched);
            return victims.size();
        } finally {
            lock.unlock();
        }
    }

    // ------------------------------------------------------------------ compaction

    /** Deletes or compacts segments (never the active one) whose live share has fallen low. */
    private void maintain(List<Segment> touched) throws IOException {
        if (batch != null) {
            // a rollback may revive messages whose records compaction would drop: wait for the commit
            for (Segment seg : touched) {
                if (!batch.maintain.contains(seg)) {
                    batch.maintain.add(seg);
                }
            }
            return;
        }
        try {
            boolean changed = false;
            for (Segment seg : touched) {
                if (seg == active || seg.damaged || segments.get(seg.id) != seg) {
                    continue;
                }
                long dead = seg.totalBytes - seg.liveBytes;
                boolean empty = seg.liveCount == 0;
                if (!empty && (dead * 2 < seg.totalBytes || dead < Math.min(cfg.blockSizeBytes() / 4, 1 << 20))) {
                    continue;
                }
                syncLocked(); // whatever made these records dead, and the active BASE, are durable first
                if (empty && !metasNeeded(seg)) {
                    deleteSegment(seg);
                } else {
                    compact(seg);
                }
                changed = true;
            }
            if (changed) {
                // segments holding only delete records may have outlived the messages they deleted
                for (Segment seg : new ArrayList<>(segments.values())) {
                    if (seg != active && !seg.damaged && seg.liveCount == 0 && !metasNeeded(seg)) {
                        deleteSegment(seg);
                    }
                }
            }
        } catch (IOException e) {
            // Compaction only reclaims space: when it cannot write (a full disk), the segments stay
            // as they are, every record in them still valid, and a later removal tries again.
        }
    }

    /** True if an older segment may still hold a message one of this segment's DEL or FLOOR records covers. */
    private boolean metasNeeded(Segment seg) {
        if (seg.metaCount == 0) {
            return false;
        }
        for (Segment s : segments.headMap(seg.id, false).values()) {
            if (s.damaged || s.minSeq <= seg.metaMax && seg.metaMin <= s.maxSeq) {
                return true;
            }
        }
        return false;
    }

    private void deleteSegment(Segment seg) throws IOException {
        dropped.add(seg.id); // durable first: a segment missing without this entry was lost
        segments.remove(seg.id);
        invalidateCache(seg);
        seg.file.close();
        disk.delete(seg.path);
        disk.syncDir(dir);
    }

    /** True if a segment older than {@code seg} physically holds a message with sequence {@code seq}. */
    private boolean olderHolds(Segment seg, long seq) {
        for (Segment s : segments.headMap(seg.id, false).values()) {
            if (s.damaged || s.minSeq <= seq && seq <= s.maxSeq) {
                return true;
            }
        }
        return false;
    }

    private boolean olderBelow(Segment seg, long floor) {
        for (Segment s : segments.headMap(seg.id, false).values()) {
            if (s.damaged || s.minSeq < floor) {
                return true;
            }
        }
        return false;
    }

    /** Rewrites a segment with only its live messages and the delete records still needed. */
    private void compact(Segment seg) throws IOException {
        byte[] buf = readFully(seg.file, (int) seg.size);
        int n = buf.length;
        byte[] out = new byte[(int) Math.min(n, seg.liveBytes + 4096L + (long) seg.metaCount * Records.OVERHEAD)];
        int o = 0;
        List<long[]> moved = new ArrayList<>();
        int metas = 0;
        long metaMin = Long.MAX_VALUE;
        long metaMax = 0;
        long min = Long.MAX_VALUE;
        long max = 0;
        boolean keepsAnything = false;
        int pos = 0;
        while (pos < n) {
            int len = Records.check(buf, pos, n);
            if (len <= 0) {
                int next = findNext(buf, pos + 1, n);
                if (next < 0) {
                    break;
                }
                pos = next;
                continue;
            }
            byte type = Records.type(buf, pos);
            long seq = Records.seq(buf, pos);
            boolean keep = switch (type) {
                case Records.MSG -> index.isLive(seq) && index.location(seq) == (seg.id << 32 | pos);
                case Records.DEL -> olderHolds(seg, seq);
                case Records.FLOOR -> olderBelow(seg, seq);
                case Records.BASE, Records.END -> true;
                default -> false;
            };
            if (keep) {
                if (o + len > out.length) {
                    out = Arrays.copyOf(out, Math.max(out.length * 2, o + len));
                }
                System.arraycopy(buf, pos, out, o, len);
                if (type == Records.MSG) {
                    moved.add(new long[] {seq, o});
                    min = Math.min(min, seq);
                    max = Math.max(max, seq);
                    keepsAnything = true;
                } else if (type != Records.BASE && type != Records.END) {
                    metas++;
                    metaMin = Math.min(metaMin, type == Records.FLOOR ? 1 : seq);
                    metaMax = Math.max(metaMax, type == Records.FLOOR ? seq - 1 : seq);
                    keepsAnything = true;
                }
                o += len;
            }
            pos += len;
        }
        if (!keepsAnything) {
            deleteSegment(seg);
            return;
        }
        String tmp = seg.path + TMP;
        try (DiskFile f = disk.open(tmp, true)) {
            f.truncate(0);
            f.write(ByteBuffer.wrap(out, 0, o), 0);
            f.force();
        } catch (IOException e) {
            try {
                disk.delete(tmp); // the old segment is untouched; a leftover would be deleted at open anyway
            } catch (IOException again) {
                e.addSuppressed(again);
            }
            throw e;
        }
        invalidateCache(seg);
        seg.file.close();
        disk.rename(tmp, seg.path);
        disk.syncDir(dir);
        seg.file = disk.open(seg.path, false);
        seg.size = o;
        seg.totalBytes = o;
        seg.metaCount = metas;
        seg.metaMin = metaMin;
        seg.metaMax = metaMax;
        seg.minSeq = min;
        seg.maxSeq = max;
        seg.dirty = false;
        for (long[] m : moved) {
            index.setLocation(m[0], seg.id << 32 | m[1]);
        }
    }

    // ------------------------------------------------------------------ reading

    private void invalidateCache(Segment seg) {
        if (cacheSeg == seg) {
            cacheSeg = null;
        }
    }

    /** Where {@link #locate} found a record: an array and the record's offset in it. */
    private byte[] rsrc;
    private int rbase;

    /** Finds a record's bytes in the write buffer, the read cache, or (reading) the file. */
    private void locate(Segment seg, long off, int len) throws IOException {
        if (seg == active && off >= active.size) {
            rsrc = wbuf;
            rbase = (int) (off - active.size);
            return;
        }
        if (cacheSeg == seg && off >= cacheOff && off + len <= cacheOff + cacheLen) {
            rsrc = cache;
            rbase = (int) (off - cacheOff);
            return;
        }
        if (len <= READ_CHUNK / 4) {
            int want = (int) Math.max(0, Math.min(READ_CHUNK, seg.size - off));
            cacheSeg = null;
            cacheLen = readAt(seg.file, cache, want, off);
            cacheSeg = seg;
            cacheOff = off;
            if (cacheLen >= len) {
                rsrc = cache;
                rbase = 0;
                return;
            }
        }
        byte[] rec = new byte[len];
        readAt(seg.file, rec, len, off);
        rsrc = rec;
        rbase = 0;
    }

    private static int readAt(DiskFile f, byte[] dst, int len, long off) throws IOException {
        ByteBuffer bb = ByteBuffer.wrap(dst, 0, len);
        long p = off;
        while (bb.hasRemaining()) {
            int r = f.read(bb, p);
            if (r < 0) {
                break;
            }
            p += r;
        }
        return bb.position();
    }

    /** Reads and verifies a live message; a damaged one is recorded, dropped from the index, and thrown. */
    private StoredMessage read(long seq) throws IOException {
        long loc = index.location(seq);
        int len = index.recordLength(seq);
        Segment seg = segments.get(loc >>> 32);
        long off = loc & 0xffffffffL;
        locate(seg, off, len);
        byte[] rec = rsrc;
        int b = rbase;
        int ok = Records.check(rec, b, b + len);
        String reason = null;
        if (ok != len) {
            reason = ok < 0 ? Records.reason(ok) : "record length changed";
        } else if (Records.type(rec, b) != Records.MSG || Records.seq(rec, b) != seq) {
            reason = "record at index location is not message " + seq;
        }
        if (reason == null) {
            int sl = Records.subjectLength(rec, b);
            int hl = Records.headerLength(rec, b);
            int dl = Records.dataLength(rec, b);
            int p = b + Records.HEADER + sl + hl;
            byte[] data = null;
            try {
                data = (Records.flags(rec, b) & Records.FLAG_S2) != 0 ? S2Block.decompress(rec, p, dl)
                        : Arrays.copyOfRange(rec, p, p + dl);
            } catch (IOException e) {
                reason = e.getMessage();
            }
            if (reason == null) {
                byte[] hdr = Arrays.copyOfRange(rec, b + Records.HEADER + sl, b + Records.HEADER + sl + hl);
                return new StoredMessage(seq, index.subject(seq).subject, hdr, data, Records.timestamp(rec, b));
            }
        }
        Corruption c = new Corruption(seq, seq, seg.path + ":" + off, reason);
        corruptions.add(c);
        corruptBySeq.put(seq, c);
        seg.damaged = true; // keep the file as evidence: no compaction drops the bad record
        forget(seq);
        corruptionListener.accept(c);
        throw new CorruptRecordException(c);
    }

    private Corruption corruptionOf(long seq) {
        Map.Entry<Long, Corruption> e = corruptBySeq.floorEntry(seq);
        return e != null && e.getValue().lastSeq() >= seq ? e.getValue() : null;
    }

    @Override
    public StoredMessage load(long seq) throws IOException {
        lock.lock();
        try {
            ensureOpen();
            if (index.isLive(seq)) {
                return read(seq);
            }
            Corruption c = corruptionOf(seq);
            if (c != null) {
                throw new CorruptRecordException(c);
            }
            return null;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public StoredMessage loadNext(String filter, long fromSeq) throws IOException {
        lock.lock();
        try {
            ensureOpen();
            for (long seq = live.nextMatching(filter, fromSeq); seq >= 0; seq = live.nextMatching(filter, seq + 1)) {
                try {
                    return read(seq);
                } catch (CorruptRecordException e) {
                    // recorded in corruptions() and dropped from the index: never served, skip it
                }
            }
            return null;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public StoredMessage loadLast(String filter) throws IOException {
        lock.lock();
        try {
            ensureOpen();
            while (true) {
                long seq = live.lastMatching(filter);
                if (seq < 0) {
                    return null;
                }
                try {
                    return read(seq);
                } catch (CorruptRecordException e) {
                    // recorded and dropped from the index; the next newest match is the answer
                }
            }
        } finally {
            lock.unlock();
        }
    }

    // ------------------------------------------------------------------ state

    @Override
    public StoreState state() {
        lock.lock();
        try {
            return live.state(bytes, lastSeq, lastTime);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public List<Long> deletedSequences() {
        lock.lock();
        try {
            return live.deletedSequences(lastSeq);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public SubjectState subjectState(String subject) {
        lock.lock();
        try {
            return live.subjectState(subject);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Map<String, SubjectState> subjects(String filter) {
        lock.lock();
        try {
            return live.subjects(filter);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public long numPending(long fromSeq, String filter, boolean lastPerSubject) {
        lock.lock();
        try {
            return live.numPending(fromSeq, filter, lastPerSubject);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public long sequenceAtOrAfter(long timeNanos) {
        lock.lock();
        try {
            return live.sequenceAtOrAfter(timeNanos, lastSeq);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void writeOut() throws IOException {
        lock.lock();
        try {
            ensureOpen();
            flush();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void sync() throws IOException {
        lock.lock();
        try {
            ensureOpen();
            syncLocked();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void onCorruption(java.util.function.Consumer<Corruption> listener) {
        lock.lock();
        try {
            corruptionListener = listener == null ? c -> { } : listener;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void begin() {
        lock.lock();
        try {
            assert batch == null : "batches do not nest";
            if (!closed) {
                batch = new Batch(this);
                index.pin();
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void commit() throws IOException {
        lock.lock();
        try {
            ensureOpen();
            commitLocked();
        } finally {
            lock.unlock();
        }
    }

    private void commitLocked() throws IOException {
        Batch b = batch;
        try {
            syncLocked();
        } catch (IOException e) {
            rollbackLocked(e);
            throw e;
        }
        endBatch();
        if (b != null) {
            maintain(b.maintain);
        }
    }

    @Override
    public void rollback() {
        lock.lock();
        try {
            rollbackLocked(null);
        } finally {
            lock.unlock();
        }
    }

    private void endBatch() {
        batch = null;
        index.unpin();
    }

    /**
     * Undoes the open batch: newest step first, appended messages forgotten and removed ones made
     * live again, then the files cut back to where the batch began (segments it created deleted),
     * and the cut forced, so that no crash can bring back what the batch wrote.
     */
    private void rollbackLocked(IOException cause) {
        Batch b = batch;
        if (b == null) {
            return;
        }
        for (int i = b.undo.size() - 1; i >= 0; i--) {
            switch (b.undo.get(i)) {
                case Undo.Appended a -> {
                    if (index.isLive(a.seq())) {
                        forget(a.seq());
                    }
                    index.truncate(a.indexEnd());
                }
                case Undo.Removed r -> revive(r.seq(), r.subject());
            }
        }
        endBatch();
        cacheSeg = null;
        assert b.lastSeq >= cpLastSeq : "rollback below the synced checkpoint: " + b.lastSeq + " < " + cpLastSeq;
        lastSeq = b.lastSeq;
        lastTime = b.lastTime;
        assert bytes == b.bytes : "bytes " + bytes + " after rollback, " + b.bytes + " before";
        bytes = b.bytes;
        unsynced = b.unsynced;
        try {
            cutBack(b);
        } catch (IOException e) {
            // the files keep records past the batch's start; the next write goes over them (the
            // tail is cut first) and recovery drops anything after the last sync
            tailSuspect = true;
            if (cause != null) {
                cause.addSuppressed(e);
            }
        }
    }

    private void revive(long seq, String subject) {
        live.revive(seq, subject);
        Segment seg = segments.get(index.location(seq) >>> 32);
        if (seg != null) {
            seg.liveCount++;
            seg.liveBytes += index.recordLength(seq);
        }
        bytes += index.messageSize(seq);
    }

    /** Puts the active segment, its write buffer and the segment list back as they were at {@code begin}. */
    private void cutBack(Batch b) throws IOException {
        Segment a = b.active;
        boolean rolled = active != a;
        for (Segment s : new ArrayList<>(segments.tailMap(b.lastSegmentId, false).values())) {
            segments.remove(s.id);
            s.file.close();
            disk.delete(s.path);
            dirDirty = true;
        }
        active = a;
        a.totalBytes = b.totalBytes;
        a.minSeq = b.minSeq;
        a.maxSeq = b.maxSeq;
        a.metaCount = b.metaCount;
        a.metaMin = b.metaMin;
        a.metaMax = b.metaMax;
        if (!rolled && a.size == b.size) {
            wlen = b.wlen; // nothing reached the file: the buffer still begins with what it held then
        } else {
            // the buffer was written out since (its old contents first): the file holds them
            a.size = b.size + b.wlen;
            wlen = 0;
            if (wbuf.length > WRITE_BUFFER) {
                wbuf = new byte[WRITE_BUFFER];
            }
        }
        if (a.file.size() > a.size) {
            a.file.truncate(a.size);
        }
        // always forced: the batch's bytes, written or half written, must not come back after a crash
        a.file.force();
        tailSuspect = false;
        if (dirDirty) {
            disk.syncDir(dir);
            dirDirty = false;
        }
    }

    @Override
    public List<Corruption> corruptions() {
        lock.lock();
        try {
            return List.copyOf(corruptions);
        } finally {
            lock.unlock();
        }
    }

    /** The segment file names, oldest first (for tests and monitoring). */
    public List<String> segmentFiles() {
        lock.lock();
        try {
            List<String> out = new ArrayList<>();
            for (Segment s : segments.values()) {
                out.add(s.path);
            }
            return out;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void destroy() throws IOException {
        lock.lock();
        try {
            for (Segment s : segments.values()) {
                s.file.close();
            }
            checkpoint.close();
            dropped.close();
            reservation.close();
            closed = true;
            wlen = 0;
            TreeSet<String> names = new TreeSet<>(disk.list(dir));
            for (String name : names) {
                disk.delete(dir + "/" + name);
            }
            disk.syncDir(dir);
            disk.delete(dir);
            segments.clear();
        } finally {
            lock.unlock();
        }
    }

    /** Writes and forces everything, then closes the files. */
    @Override
    public void close() throws IOException {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            try {
                syncLocked();
            } finally {
                closed = true;
                for (Segment s : segments.values()) {
                    s.file.close();
                }
                checkpoint.close();
                dropped.close();
                reservation.close();
            }
        } finally {
            lock.unlock();
        }
    }
}
