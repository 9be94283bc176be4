package io.weft.raft;

import java.util.ArrayList;
import java.util.List;

/**
 * A {@link RaftStorage} in memory, with the write side a driver needs (append with truncation,
 * hard state, snapshot install, compaction) and fault hooks for tests and the simulator: damage
 * entries (they read as corrupt until rewritten) and lose the hard state, as recovery of a bad
 * disk would report them. Everything written is "durable": a test models lost unsynced writes by
 * not writing a Ready it drops.
 */
public final class MemoryStorage implements RaftStorage {
    private Snapshot snapshot;
    private final List<Entry> entries = new ArrayList<>();
    private final List<Boolean> damaged = new ArrayList<>();
    private HardState hardState = HardState.EMPTY;
    private boolean hardStateLost;

    /** An empty log whose initial membership is {@code bootstrap}. */
    public MemoryStorage(ConfState bootstrap) {
        this.snapshot = new Snapshot(0, 0, bootstrap, new byte[0]);
    }

    /** A copy, for a test that keeps a disk image across a crash. */
    public MemoryStorage copy() {
        MemoryStorage c = new MemoryStorage(snapshot.conf());
        c.snapshot = snapshot;
        c.entries.addAll(entries);
        c.damaged.addAll(damaged);
        c.hardState = hardState;
        c.hardStateLost = hardStateLost;
        return c;
    }

    @Override
    public InitialState initialState() {
        List<long[]> ranges = new ArrayList<>();
        long start = -1;
        for (int i = 0; i < damaged.size(); i++) {
            long idx = snapshot.index() + 1 + i;
            if (damaged.get(i) && start < 0) start = idx;
            if (!damaged.get(i) && start >= 0) {
                ranges.add(new long[] {start, idx - 1});
                start = -1;
            }
        }
        if (start >= 0) ranges.add(new long[] {start, lastIndex()});
        HardState hs = hardStateLost ? HardState.EMPTY : hardState;
        return new InitialState(hs, snapshot.conf(), new LogDamage(ranges, hardStateLost));
    }

    @Override
    public List<Entry> entries(long lo, long hi, long maxBytes) {
        if (lo < firstIndex() || hi > lastIndex() + 1) {
            throw new IllegalArgumentException("entries [" + lo + "," + hi + ") outside [" + firstIndex() + "," + lastIndex() + "]");
        }
        List<Entry> out = new ArrayList<>();
        long bytes = 0;
        for (long i = lo; i < hi; i++) {
            int k = (int) (i - firstIndex());
            if (damaged.get(k)) throw new IllegalStateException("entry " + i + " is damaged");
            Entry e = entries.get(k);
            if (!out.isEmpty() && bytes + e.data().length > maxBytes) break;
            bytes += e.data().length;
            out.add(e);
        }
        return out;
    }

    @Override
    public long term(long index) {
        if (index == snapshot.index()) return snapshot.term();
        if (index < firstIndex() || index > lastIndex()) throw new IllegalArgumentException("term of " + index);
        int k = (int) (index - firstIndex());
        if (damaged.get(k)) throw new IllegalStateException("entry " + index + " is damaged");
        return entries.get(k).term();
    }

    @Override
    public long firstIndex() {
        return snapshot.index() + 1;
    }

    @Override
    public long lastIndex() {
        return snapshot.index() + entries.size();
    }

    @Override
    public Snapshot snapshot() {
        return snapshot;
    }

    public HardState hardState() {
        return hardState;
    }

    // ---- write side

    /** Store {@code es} (contiguous), discarding every stored entry at or after the first one's index. */
    public void append(List<Entry> es) {
        if (es.isEmpty()) return;
        long first = es.getFirst().index();
        if (first > lastIndex() + 1 || first < firstIndex()) {
            throw new IllegalArgumentException("append at " + first + " to log [" + firstIndex() + "," + lastIndex() + "]");
        }
        int keep = (int) (first - firstIndex());
        while (entries.size() > keep) {
            entries.removeLast();
            damaged.removeLast();
        }
        for (Entry e : es) {
            entries.add(e);
            damaged.add(false);
        }
    }

    public void setHardState(HardState hs) {
        hardState = hs;
        hardStateLost = false;
    }

    /** Replace the whole log by a snapshot received from the leader. */
    public void applySnapshot(Snapshot s) {
        snapshot = s;
        entries.clear();
        damaged.clear();
    }

    /** Store a snapshot the application took and drop the entries it covers. */
    public void compact(Snapshot s) {
        if (s.index() <= snapshot.index()) return;
        if (s.index() > lastIndex()) throw new IllegalArgumentException("compact beyond last index " + s.index());
        int drop = (int) (s.index() - snapshot.index());
        entries.subList(0, drop).clear();
        damaged.subList(0, drop).clear();
        snapshot = s;
    }

    /** Carry out the persistence part of a Ready, in the contract's order. */
    public void persist(Ready rd) {
        if (rd.snapshot() != null) applySnapshot(rd.snapshot());
        append(rd.entries());
        if (rd.hardState() != null) setHardState(rd.hardState());
        if (rd.compaction() != null) compact(rd.compaction());
    }

    // ---- faults

    /** Mark entries [lo, hi] corrupt, as a bit flip at rest that recovery detects by CRC. */
    public void damage(long lo, long hi) {
        for (long i = Math.max(lo, firstIndex()); i <= Math.min(hi, lastIndex()); i++) damaged.set((int) (i - firstIndex()), true);
    }

    /** The hard state file is unreadable. */
    public void loseHardState() {
        hardStateLost = true;
    }

    /** Drop entries after {@code last}, as a torn tail that recovery cuts silently (never acknowledged). */
    public void truncateTail(long last) {
        while (lastIndex() > last && !entries.isEmpty()) {
            entries.removeLast();
            damaged.removeLast();
        }
    }

    /** The stored entry at {@code index}, or null if compacted, absent or damaged (for checkers). */
    public Entry entryAt(long index) {
        if (index < firstIndex() || index > lastIndex()) return null;
        int k = (int) (index - firstIndex());
        return damaged.get(k) ? null : entries.get(k);
    }
}
