package io.weft.raft;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The log as the state machine sees it: the durable part read through {@link RaftStorage}
 * (indexes below {@code offset}), the unstable part not yet made durable by the driver (from
 * {@code offset}), an unstable snapshot, and the damaged indexes ("holes") recovery reported in
 * the durable part. A stored entry at or after {@code offset} is logically gone: the next Ready's
 * entries replace it. A hole's term is unknown ({@code -1}).
 */
final class RaftLog {
    static final long UNKNOWN = -1;

    private final RaftStorage storage;
    private final List<Entry> unstable = new ArrayList<>();
    private long offset;
    private long inProgress;
    private long first;
    private Snapshot unstableSnapshot;
    private final TreeMap<Long, Long> holes = new TreeMap<>();
    long committed;
    long applying;
    long applied;

    RaftLog(RaftStorage storage, List<long[]> damage) {
        this.storage = storage;
        this.offset = storage.lastIndex() + 1;
        this.inProgress = offset - 1;
        this.first = storage.firstIndex();
        for (long[] r : damage) {
            long lo = Math.max(r[0], storage.firstIndex());
            long hi = Math.min(r[1], storage.lastIndex());
            if (lo <= hi) holes.put(lo, hi);
        }
        long snap = storage.firstIndex() - 1;
        committed = snap;
        applying = snap;
        applied = snap;
    }

    long firstIndex() {
        return unstableSnapshot != null ? unstableSnapshot.index() + 1 : first;
    }

    long lastIndex() {
        return offset - 1 + unstable.size();
    }

    /** Highest index the driver has made durable (everything below the unstable part). */
    long stableIndex() {
        return offset - 1;
    }

    /**
     * The driver wrote the entries up to {@code index} (of term {@code term}) but has not fsynced
     * them yet (a pipelined leader write): they are not handed out again, and stay in memory (and
     * unstable) until {@link #stableTo}.
     */
    void inProgressTo(long index, long term) {
        if (index < offset || term(index) != term) return;
        inProgress = Math.max(inProgress, index);
    }

    /** The last entry handed to the driver (written, maybe not yet fsynced). */
    long lastIndexHanded() {
        return Math.max(inProgress, offset - 1);
    }

    /** Re-reads what the driver may have changed in the storage (its first index, after a compaction). */
    void refreshFromStorage() {
        first = storage.firstIndex();
    }

    long lastTerm() {
        return term(lastIndex());
    }

    long term(long i) {
        if (i >= offset) {
            int k = (int) (i - offset);
            return k < unstable.size() ? unstable.get(k).term() : UNKNOWN;
        }
        if (unstableSnapshot != null) return i == unstableSnapshot.index() ? unstableSnapshot.term() : UNKNOWN;
        if (i < first - 1 || isHole(i)) return UNKNOWN;
        if (i == 0) return 0;
        return storage.term(i);
    }

    boolean matchTerm(long i, long t) {
        long have = term(i);
        return have != UNKNOWN && have == t;
    }

    Snapshot snapshot() {
        return unstableSnapshot != null ? unstableSnapshot : storage.snapshot();
    }

    /** Entries [lo, hi) within {@code maxBytes} (at least one); lo must be at least firstIndex. */
    List<Entry> entries(long lo, long hi, long maxBytes) {
        List<Entry> out = new ArrayList<>();
        long bytes = 0;
        if (lo < offset) {
            long end = Math.min(hi, offset);
            for (Entry e : storage.entries(lo, end, maxBytes)) {
                assert !isHole(e.index()) : "serving a damaged entry " + e.index();
                bytes += e.data().length;
                out.add(e);
            }
            if (out.size() < end - lo || bytes >= maxBytes) return out;
            lo = end;
        }
        for (long i = lo; i < hi && i - offset < unstable.size(); i++) {
            Entry e = unstable.get((int) (i - offset));
            if (!out.isEmpty() && bytes + e.data().length > maxBytes) break;
            bytes += e.data().length;
            out.add(e);
        }
        return out;
    }

    /** Truncate at {@code from} (keeping entries below it) and append {@code es}, which start at {@code from}. */
    void truncateAndAppend(long from, List<Entry> es) {
        inProgress = Math.min(inProgress, from - 1);
        if (from < offset) {
            offset = from;
            unstable.clear();
            clearHolesFrom(from);
        } else {
            int keep = (int) (from - offset);
            while (unstable.size() > keep) unstable.removeLast();
        }
        unstable.addAll(es);
    }

    void append(Entry e) {
        assert e.index() == lastIndex() + 1;
        unstable.add(e);
    }

    /** Unstable entries not yet handed to the driver. */
    List<Entry> unstableEntries() {
        int handed = (int) Math.max(0, inProgress - offset + 1);
        return List.copyOf(unstable.subList(Math.min(handed, unstable.size()), unstable.size()));
    }

    Snapshot unstableSnapshot() {
        return unstableSnapshot;
    }

    /** The driver made entries up to {@code index} (of term {@code term}) durable. */
    void stableTo(long index, long term) {
        if (index < offset || term(index) != term) return;
        int n = (int) (index - offset + 1);
        unstable.subList(0, n).clear();
        offset = index + 1;
        inProgress = Math.max(inProgress, index);
    }

    void stableSnapshot(Snapshot s) {
        if (unstableSnapshot != null && unstableSnapshot.index() == s.index()) unstableSnapshot = null;
    }

    void restore(Snapshot s) {
        unstableSnapshot = s;
        unstable.clear();
        offset = s.index() + 1;
        inProgress = s.index();
        holes.clear();
        committed = s.index();
    }

    /** Committed entries not yet handed out, durable (fsynced here: below the unstable part) and outside any hole, within {@code maxBytes}. */
    List<Entry> nextCommitted(long maxBytes) {
        if (unstableSnapshot != null) return List.of();
        checkNothingSkipped();
        long hi = Math.min(committed, stableIndex());
        if (!holes.isEmpty()) hi = Math.min(hi, holes.firstKey() - 1);
        if (applying >= hi) return List.of();
        return entries(Math.max(applying + 1, firstIndex()), hi + 1, maxBytes);
    }

    boolean hasNextCommitted() {
        if (unstableSnapshot != null) return false;
        checkNothingSkipped();
        long hi = Math.min(committed, stableIndex());
        if (!holes.isEmpty()) hi = Math.min(hi, holes.firstKey() - 1);
        return applying < hi;
    }

    /**
     * State machine safety, asserted: the next entry to apply is still in the log. Compaction only
     * ever drops applied entries, so a committed entry compacted before it was applied (the
     * application would silently skip it) is a broken invariant, not a state to wait out.
     */
    private void checkNothingSkipped() {
        if (applying < committed && applying + 1 < firstIndex()) {
            throw new IllegalStateException("committed entries " + (applying + 1) + ".." + (firstIndex() - 1)
                    + " were compacted before they were applied (applied " + applying + ", log starts at " + firstIndex() + ")");
        }
    }

    // ---- holes (protocol-aware recovery) ----

    boolean damaged() {
        return !holes.isEmpty();
    }

    boolean isHole(long i) {
        Map.Entry<Long, Long> e = holes.floorEntry(i);
        return e != null && i <= e.getValue();
    }

    long firstHole() {
        return holes.isEmpty() ? 0 : holes.firstKey();
    }

    long lastHole() {
        return holes.isEmpty() ? 0 : holes.lastEntry().getValue();
    }

    void clearHolesFrom(long from) {
        holes.tailMap(from, true).clear();
        Map.Entry<Long, Long> e = holes.lowerEntry(from);
        if (e != null && e.getValue() >= from) holes.put(e.getKey(), from - 1);
    }

    List<long[]> holeRanges() {
        List<long[]> out = new ArrayList<>();
        holes.forEach((lo, hi) -> out.add(new long[] {lo, hi}));
        return out;
    }

    /** Stored entries [lo, hi] outside the unstable part; the range must hold no hole. */
    List<Entry> storedRange(long lo, long hi) {
        List<Entry> out = new ArrayList<>();
        long i = lo;
        while (i <= hi) {
            List<Entry> got = storage.entries(i, hi + 1, Long.MAX_VALUE);
            if (got.isEmpty()) break;
            out.addAll(got);
            i = got.getLast().index() + 1;
        }
        return out;
    }
}
