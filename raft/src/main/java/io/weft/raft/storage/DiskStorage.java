package io.weft.raft.storage;

import io.weft.net.Disk;
import io.weft.net.DiskFile;
import io.weft.raft.Entry;
import io.weft.raft.HardState;
import io.weft.raft.LogDamage;
import io.weft.raft.RaftStorage;
import io.weft.raft.Snapshot;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A replica's durable Raft state in one directory of a {@link Disk}: log segments, the hard state
 * and snapshots (format and recovery rules: the module README, "On-disk format").
 *
 * <p>Durability contract. {@link #append} and {@link #setHardState} only stage: they are visible to
 * the readers at once and become durable at the next {@link #sync()}, which writes and fsyncs the
 * staged entries (one write and one fsync of one segment file per sync window, plus the directory
 * when a segment was begun or deleted) and then writes and fsyncs the staged hard state with the
 * log's new last index (the "vouched" index recovery holds the log to). Nothing that
 * depends on staged state may leave the replica before {@code sync()} returns. {@link #saveSnapshot}
 * and {@link #repair} are durable when they return. {@link #compact} needs no fsync: a crash may only
 * bring back segments that the snapshot covers, which recovery deletes again.
 *
 * <p>All entries from {@link #firstIndex()} on are held in memory too (the log is bounded by
 * compaction). One lock guards every call, so a driver and a reader on other threads may share it.
 */
public final class DiskStorage implements RaftStorage, AutoCloseable {
    public static final long DEFAULT_SEGMENT_BYTES = 64L << 20;

    private final ReentrantLock lock = new ReentrantLock();
    private final Disk disk;
    private final String dir;
    private final long segmentBytes;
    private final RecoveryReport report;
    private final HardStateFile hsFile;
    private HardState hardState;
    private HardState stagedHardState;
    private boolean hardStateLost;
    /**
     * The durable hard state's vouched index: the log's last index at its last fsync. An entry is
     * acknowledged only after it is fsynced, so every index up to this one may have been, and
     * recovery reports what the log lacks below it as damage instead of dropping it as a torn tail
     * (a log cut or corrupted at rest after the fsync). Lowered durably before the log is cut
     * below it (a leader's conflicting suffix, a snapshot install), so a crash there is no false alarm.
     */
    private long vouched;
    /** The lowest index the log was cut back to (the last index kept) since the last sync. */
    private long cutTo = Long.MAX_VALUE;
    private Snapshot snapshot;
    /** Entries at or below this index are compacted; {@code compactTerm} is that index's term. */
    private long compactIndex;
    private long compactTerm;
    /** Entry {@code compactIndex + 1 + k} at k; null where damaged. */
    private final ArrayList<Entry> entries;
    /** Offset of each entry's record in its segment; -1 where damaged. */
    private final Bytes.Longs starts;
    private final TreeMap<Long, Segment> segments = new TreeMap<>();
    private DiskFile tailFile;
    /** Staged records for the tail segment, to be written at {@code stagedOffset}. */
    private final Bytes.Buf staged = new Bytes.Buf();
    private long stagedOffset;
    /** Whether the tail file must be cut to {@code stagedOffset} (and fsynced) before the write. */
    private boolean stagedTruncate;
    private final List<String> stagedDeletes = new ArrayList<>();
    private boolean dirDirty;
    /** Set by an I/O error on a durable write: the disk state is unknown until reopened. */
    private IOException failure;

    private DiskStorage(Disk disk, String dir, long segmentBytes, Recovery r) {
        this.disk = disk;
        this.dir = dir;
        this.segmentBytes = segmentBytes;
        this.report = r.report;
        this.hsFile = r.hsFile;
        this.hardState = r.hardState;
        this.hardStateLost = r.hardStateLost;
        this.vouched = r.vouched;
        this.snapshot = r.snapshot;
        this.compactIndex = r.snapshot.index();
        this.compactTerm = r.snapshot.term();
        this.entries = new ArrayList<>(r.scan.entries);
        this.starts = r.scan.starts;
        for (Segment s : r.scan.segments) {
            segments.put(s.first, s);
        }
        Segment t = tail();
        this.stagedOffset = t == null ? 0 : t.diskSize;
    }

    /** Opens (creating if needed) the storage in {@code dir}, with 64 MiB segments. */
    public static DiskStorage open(Disk disk, String dir) throws IOException {
        return open(disk, dir, DEFAULT_SEGMENT_BYTES);
    }

    /**
     * Opens the storage in {@code dir}, recovering what is there: every record is read and checked,
     * a torn tail is cut, damage is reported in {@link #initialState()} and {@link #recoveryReport()}.
     * A new segment is begun once the current one holds {@code segmentBytes} at a sync.
     */
    public static DiskStorage open(Disk disk, String dir, long segmentBytes) throws IOException {
        if (segmentBytes < 1) {
            throw new IllegalArgumentException("segmentBytes " + segmentBytes);
        }
        return new DiskStorage(disk, dir, segmentBytes, Recovery.run(disk, dir));
    }

    // ---------------------------------------------------------------- read side (RaftStorage)

    /** The durable hard state, the snapshot's membership, and the damage not yet repaired. */
    @Override
    public InitialState initialState() {
        lock.lock();
        try {
            return new InitialState(hardState, snapshot.conf(), damageLocked());
        } finally {
            lock.unlock();
        }
    }

    /**
     * Entries [lo, hi), staged ones included; at least one if lo < hi, then stopping before the data
     * would exceed {@code maxBytes} or at the first damaged entry.
     *
     * @throws DamagedEntryException if entry {@code lo} is damaged
     * @throws IllegalArgumentException if [lo, hi) is not within [firstIndex, lastIndex + 1)
     */
    @Override
    public List<Entry> entries(long lo, long hi, long maxBytes) {
        lock.lock();
        try {
            if (lo < compactIndex + 1 || hi > lastLocked() + 1 || lo > hi) {
                throw new IllegalArgumentException("entries [" + lo + ", " + hi + ") outside [" + (compactIndex + 1)
                        + ", " + (lastLocked() + 1) + ")");
            }
            List<Entry> out = new ArrayList<>();
            long bytes = 0;
            for (long i = lo; i < hi; i++) {
                Entry e = entries.get(pos(i));
                if (e == null) {
                    if (out.isEmpty()) {
                        throw new DamagedEntryException(i);
                    }
                    break;
                }
                bytes += e.data().length;
                if (!out.isEmpty() && bytes > maxBytes) {
                    break;
                }
                out.add(e);
            }
            return out;
        } finally {
            lock.unlock();
        }
    }

    /**
     * @throws DamagedEntryException if the entry is damaged
     * @throws IllegalArgumentException below {@code firstIndex() - 1} or above {@code lastIndex()}
     */
    @Override
    public long term(long index) {
        lock.lock();
        try {
            if (index == compactIndex) {
                return compactTerm;
            }
            if (index < compactIndex || index > lastLocked()) {
                throw new IllegalArgumentException("term of " + index + " outside [" + compactIndex + ", " + lastLocked() + "]");
            }
            Entry e = entries.get(pos(index));
            if (e == null) {
                throw new DamagedEntryException(index);
            }
            return e.term();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public long firstIndex() {
        lock.lock();
        try {
            return compactIndex + 1;
        } finally {
            lock.unlock();
        }
    }

    /** The last entry's index, staged ones included (the snapshot's index when the log is empty). */
    @Override
    public long lastIndex() {
        lock.lock();
        try {
            return lastLocked();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Snapshot snapshot() {
        lock.lock();
        try {
            return snapshot;
        } finally {
            lock.unlock();
        }
    }

    /** The damage not yet repaired (ranges shrink as {@link #repair}, {@link #append} or compaction cover them). */
    public LogDamage damage() {
        lock.lock();
        try {
            return damageLocked();
        } finally {
            lock.unlock();
        }
    }

    /** What recovery found when this storage was opened. */
    public RecoveryReport recoveryReport() {
        return report;
    }

    /** The newest hard state given to {@link #setHardState}, durable or staged. */
    public HardState hardState() {
        lock.lock();
        try {
            return stagedHardState != null ? stagedHardState : hardState;
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------- write side

    /**
     * Stages {@code batch} (consecutive indexes, terms not decreasing) to be made durable by the next
     * {@link #sync()}. Entries already compacted are skipped. If the first index is at or below
     * {@link #lastIndex()}, the log from that index on (valid or damaged, staged or durable) is
     * replaced: truncate, then append. Until {@code sync()} a crash may leave the log as it was
     * before the call, or any prefix of the new log that extends past the untouched entries.
     */
    public void append(List<Entry> batch) throws IOException {
        lock.lock();
        try {
            checkUsable();
            List<Entry> es = checkBatch(batch);
            if (es.isEmpty()) {
                return;
            }
            long first = es.getFirst().index();
            if (first <= lastLocked()) {
                truncateFrom(first);
            }
            for (Entry e : es) {
                openTailFor(e.index());
                int off = LogRecords.encode(staged, e);
                entries.add(e);
                starts.add(stagedOffset + off);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Stages the hard state, durable at the next {@link #sync()} (after that sync's entries). */
    public void setHardState(HardState hs) {
        lock.lock();
        try {
            checkUsable();
            stagedHardState = hs;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Makes everything staged durable: deletes of replaced segments (directory fsync), the cut of a
     * replaced suffix (fsync before anything overwrites it), the staged entries (one write, fsync,
     * directory fsync for a new segment), then the hard state (fsync). On an I/O error nothing staged
     * may be taken as durable, and the storage refuses further writes until it is reopened.
     */
    public void sync() throws IOException {
        lock.lock();
        try {
            durably(this::syncLocked);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Writes {@code s} durably (atomic file). If the log holds entry {@code s.index()} with term
     * {@code s.term()} the entries after it stay (and if damage lies at or below the snapshot the
     * log is compacted to it, which clears that damage); otherwise, as when a leader's snapshot is
     * installed, the whole log is discarded and continues at {@code s.index() + 1}. The snapshot
     * before this one is kept as a fallback; older ones are deleted.
     */
    public void saveSnapshot(Snapshot s) throws IOException {
        lock.lock();
        try {
            if (s.index() < snapshot.index()) {
                throw new IllegalArgumentException("snapshot at " + s.index() + " is older than the one at " + snapshot.index());
            }
            durably(() -> saveSnapshotLocked(s));
        } finally {
            lock.unlock();
        }
    }

    /**
     * Installs a snapshot received from the leader: writes it durably and discards the whole log
     * (and all damage), which continues at {@code s.index() + 1}. Durable on return. This is the
     * "replace the log with it" of a Ready's snapshot; {@link #saveSnapshot} is for the
     * application's own snapshots.
     */
    public void installSnapshot(Snapshot s) throws IOException {
        lock.lock();
        try {
            if (s.index() < snapshot.index()) {
                throw new IllegalArgumentException("snapshot at " + s.index() + " is older than the one at " + snapshot.index());
            }
            durably(() -> {
                SnapshotFiles.write(disk, dir, s);
                long previous = snapshot.index();
                snapshot = s;
                deleteSnapshotsBelow(previous);
                resetLog(s);
            });
        } finally {
            lock.unlock();
        }
    }

    private void saveSnapshotLocked(Snapshot s) throws IOException {
        SnapshotFiles.write(disk, dir, s);
        long previous = snapshot.index();
        snapshot = s;
        deleteSnapshotsBelow(previous);
        boolean matches = s.index() >= compactIndex && s.index() <= lastLocked() && knownTerm(s.index()) == s.term();
        if (!matches) {
            resetLog(s);
        } else if (firstDamaged() >= 0 && firstDamaged() <= s.index()) {
            compact(s.index());
        }
    }

    /**
     * Drops the entries up to {@code index} (at most the snapshot's index) and deletes the segments
     * that hold nothing after it. Damage at or below {@code index} is cleared (the snapshot holds it).
     */
    public void compact(long index) throws IOException {
        lock.lock();
        try {
            if (index > snapshot.index() || index > lastLocked()) {
                throw new IllegalArgumentException("compact to " + index + " past the snapshot " + snapshot.index()
                        + " or the last index " + lastLocked());
            }
            if (index <= compactIndex) {
                return;
            }
            checkUsable();
            long term = index == snapshot.index() ? snapshot.term() : term(index);
            int n = (int) (index - compactIndex);
            entries.subList(0, n).clear();
            starts.dropFirst(n);
            compactIndex = index;
            compactTerm = term;
            deleteSegmentsUpTo(index);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Fills damaged entries with {@code fetched} (copies from peers, ascending indexes, each one
     * currently damaged) and clears that damage. Durable on return: staged writes are synced first,
     * then each segment holding a repaired index is rewritten atomically. The terms must fit the
     * entries around them (non-decreasing); a fetched suffix that conflicts with the log goes
     * through {@link #append} instead, which replaces the conflicting entries.
     */
    public void repair(List<Entry> fetched) throws IOException {
        lock.lock();
        try {
            checkUsable();
            checkRepair(fetched);
            for (Entry e : fetched) {
                entries.set(pos(e.index()), e);
            }
            if (!termsOrdered()) {
                for (Entry e : fetched) {
                    entries.set(pos(e.index()), null);
                }
                throw new IllegalArgumentException("repaired terms do not fit the log around them; use append");
            }
            durably(() -> {
                syncLocked();
                for (Segment s : segmentsFor(fetched)) {
                    rewrite(s);
                }
            });
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() throws IOException {
        lock.lock();
        try {
            closeTail();
            hsFile.close();
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------- internals

    private void checkUsable() {
        if (failure != null) {
            throw new IllegalStateException("storage in " + dir + " failed a durable write; reopen it", failure);
        }
    }

    /** Runs a durable write; an I/O error leaves the storage refusing writes until reopened. */
    private void durably(IoAction action) throws IOException {
        checkUsable();
        try {
            action.run();
        } catch (IOException e) {
            failure = e;
            throw e;
        }
    }

    private interface IoAction {
        void run() throws IOException;
    }

    private long lastLocked() {
        return compactIndex + entries.size();
    }

    private int pos(long index) {
        return (int) (index - compactIndex - 1);
    }

    private Segment tail() {
        return segments.isEmpty() ? null : segments.lastEntry().getValue();
    }

    private String path(String name) {
        return Bytes.path(dir, name);
    }

    private long knownTerm(long index) {
        if (index == compactIndex) {
            return compactTerm;
        }
        Entry e = entries.get(pos(index));
        return e == null ? -1 : e.term();
    }

    private LogDamage damageLocked() {
        List<long[]> ranges = new ArrayList<>();
        for (int k = 0; k < entries.size(); k++) {
            if (entries.get(k) != null) {
                continue;
            }
            long i = compactIndex + 1 + k;
            if (!ranges.isEmpty() && ranges.getLast()[1] == i - 1) {
                ranges.getLast()[1] = i;
            } else {
                ranges.add(new long[] {i, i});
            }
        }
        return new LogDamage(ranges, hardStateLost);
    }

    private long firstDamaged() {
        int k = entries.indexOf(null);
        return k < 0 ? -1 : compactIndex + 1 + k;
    }

    private List<Entry> checkBatch(List<Entry> batch) {
        List<Entry> es = new ArrayList<>();
        for (int k = 0; k < batch.size(); k++) {
            Entry e = batch.get(k);
            if (k > 0 && (e.index() != batch.get(k - 1).index() + 1 || e.term() < batch.get(k - 1).term())) {
                throw new IllegalArgumentException("batch not consecutive with non-decreasing terms at " + e);
            }
            if (e.index() > compactIndex) {
                es.add(e);
            }
        }
        if (es.isEmpty()) {
            return es;
        }
        Entry first = es.getFirst();
        if (first.index() > lastLocked() + 1) {
            throw new IllegalArgumentException("entry " + first.index() + " leaves a gap after " + lastLocked());
        }
        long before = knownTerm(first.index() - 1);
        if (before > first.term()) {
            throw new IllegalArgumentException("entry " + first + " has a lower term than its predecessor's " + before);
        }
        return es;
    }

    /** Removes the log from {@code i} on: whole segments are staged for deletion, the rest cut. */
    private void truncateFrom(long i) {
        cutTo = Math.min(cutTo, i - 1);
        long limit = lastLocked() + 1; // entries from here on lived in segments dropped below
        while (!segments.isEmpty() && segments.lastKey() >= i) {
            Segment s = segments.pollLastEntry().getValue();
            limit = s.first;
            if (s.onDisk) {
                stagedDeletes.add(s.name);
            }
            closeTail();
            staged.truncate(0);
            stagedTruncate = false;
            Segment t = tail();
            stagedOffset = t == null ? 0 : t.diskSize;
        }
        if (tail() != null) {
            long cut = stagedOffset + staged.length();
            for (long j = i; j < limit; j++) {
                long st = starts.get(pos(j));
                if (st >= 0) {
                    cut = st;
                    break;
                }
            }
            if (cut >= stagedOffset) {
                staged.truncate((int) (cut - stagedOffset));
            } else {
                staged.truncate(0);
                stagedOffset = cut;
                stagedTruncate = true;
            }
        }
        int keep = pos(i);
        entries.subList(keep, entries.size()).clear();
        starts.truncate(keep);
    }

    /** Begins a new segment at {@code index} if there is none or the tail filled up at the last sync. */
    private void openTailFor(long index) {
        Segment t = tail();
        if (t != null && (staged.length() > 0 || stagedTruncate || t.diskSize < segmentBytes)) {
            return;
        }
        closeTail();
        segments.put(index, new Segment(index, 0, false));
        stagedOffset = 0;
        stagedTruncate = false;
    }

    private void syncLocked() throws IOException {
        if (cutTo < vouched) {
            // the log is about to lose indexes it vouched for: say so first, or a crash before the
            // hard state below would make recovery call the replaced suffix damage. The durable hard
            // state, not the staged one: a staged commit index may cover entries not yet written.
            writeVouched(cutTo);
        }
        cutTo = Long.MAX_VALUE;
        if (!stagedDeletes.isEmpty()) {
            for (String name : stagedDeletes) {
                disk.delete(path(name));
            }
            stagedDeletes.clear();
            disk.syncDir(dir);
        }
        Segment t = tail();
        if (t != null && (staged.length() > 0 || stagedTruncate)) {
            writeStaged(t);
        }
        if (dirDirty) {
            disk.syncDir(dir);
            dirDirty = false;
        }
        if (stagedHardState != null) {
            HardState before = hardState;
            boolean termOrVote = before == null || hardStateLost || before.term() != stagedHardState.term()
                    || before.vote() != stagedHardState.vote();
            hsFile.write(stagedHardState, lastLocked(), termOrVote);
            hardState = stagedHardState;
            stagedHardState = null;
            hardStateLost = false;
            vouched = lastLocked();
        } else if (lastLocked() != vouched) {
            writeVouched(lastLocked());
        }
    }

    /**
     * Writes and fsyncs the durable hard state again with {@code newVouched}. A lost hard state is
     * left lost (writing it would claim term 0 and no vote, and recovery ignores the vouched index
     * of a lost one anyway): such a replica refuses votes until it follows a leader, whose term it
     * then stages.
     */
    private void writeVouched(long newVouched) throws IOException {
        if (hardStateLost) {
            return;
        }
        hsFile.write(hardState, newVouched, false);
        vouched = newVouched;
    }

    private void writeStaged(Segment t) throws IOException {
        if (tailFile == null) {
            tailFile = disk.open(path(t.name), true);
        }
        if (stagedTruncate && t.onDisk) {
            tailFile.truncate(stagedOffset);
            tailFile.force();
        }
        stagedTruncate = false;
        if (staged.length() > 0) {
            tailFile.write(staged.view(), stagedOffset);
        }
        tailFile.force();
        if (!t.onDisk) {
            t.onDisk = true;
            dirDirty = true;
        }
        t.diskSize = stagedOffset + staged.length();
        stagedOffset = t.diskSize;
        staged.truncate(0);
    }

    private void closeTail() {
        if (tailFile != null) {
            try {
                tailFile.close();
            } catch (IOException e) {
                // closing a handle we only read and wrote through: nothing durable depends on it
            }
            tailFile = null;
        }
    }

    private void deleteSegmentsUpTo(long index) throws IOException {
        List<Segment> all = new ArrayList<>(segments.values());
        for (int k = 0; k + 1 < all.size(); k++) {
            if (all.get(k + 1).first - 1 > index) {
                break;
            }
            Segment s = all.get(k);
            segments.remove(s.first);
            if (s.onDisk) {
                disk.delete(path(s.name));
                dirDirty = true;
            }
        }
    }

    private void deleteSnapshotsBelow(long index) throws IOException {
        for (String name : disk.list(dir)) {
            long i = SnapshotFiles.indexOf(name);
            if (i >= 0 && i < index) {
                disk.delete(path(name));
                dirDirty = true;
            }
        }
    }

    /** Discards the whole log for snapshot {@code s} (an install); durable on return. */
    private void resetLog(Snapshot s) throws IOException {
        if (vouched > s.index()) {
            writeVouched(s.index()); // the snapshot file is durable: it holds everything up to s.index()
        }
        cutTo = Long.MAX_VALUE;
        closeTail();
        for (Segment seg : segments.values()) {
            if (seg.onDisk) {
                stagedDeletes.add(seg.name);
            }
        }
        for (String name : stagedDeletes) {
            disk.delete(path(name));
        }
        stagedDeletes.clear();
        disk.syncDir(dir);
        dirDirty = false;
        segments.clear();
        entries.clear();
        starts.truncate(0);
        staged.truncate(0);
        stagedOffset = 0;
        stagedTruncate = false;
        compactIndex = s.index();
        compactTerm = s.term();
    }

    private void checkRepair(List<Entry> fetched) {
        long prev = -1;
        for (Entry e : fetched) {
            if (e.index() <= prev || e.index() <= compactIndex || e.index() > lastLocked() || entries.get(pos(e.index())) != null) {
                throw new IllegalArgumentException("entry " + e + " does not fill a damaged index in ascending order");
            }
            prev = e.index();
        }
    }

    private boolean termsOrdered() {
        long last = compactTerm;
        for (Entry e : entries) {
            if (e != null) {
                if (e.term() < last) {
                    return false;
                }
                last = e.term();
            }
        }
        return true;
    }

    /** The segments that hold the indexes of {@code fetched}, beginning one where none does. */
    private List<Segment> segmentsFor(List<Entry> fetched) {
        List<Segment> out = new ArrayList<>();
        for (Entry e : fetched) {
            var floor = segments.floorEntry(e.index());
            Segment s = floor != null ? floor.getValue() : new Segment(e.index(), 0, false);
            segments.putIfAbsent(s.first, s);
            if (!out.contains(s)) {
                out.add(s);
            }
        }
        return out;
    }

    /** Rewrites segment {@code s} from memory, atomically, dropping its unreadable bytes. */
    private void rewrite(Segment s) throws IOException {
        Long next = segments.higherKey(s.first);
        long hi = next == null ? lastLocked() : next - 1;
        Bytes.Buf b = new Bytes.Buf();
        for (long i = Math.max(s.first, compactIndex + 1); i <= hi; i++) {
            Entry e = entries.get(pos(i));
            starts.set(pos(i), e == null ? -1 : LogRecords.encode(b, e));
        }
        if (s == tail()) {
            closeTail();
        }
        Bytes.writeAtomically(disk, dir, s.name, Arrays.copyOf(b.array(), b.length()));
        s.onDisk = true;
        s.diskSize = b.length();
        if (s == tail()) {
            stagedOffset = s.diskSize;
        }
    }
}
