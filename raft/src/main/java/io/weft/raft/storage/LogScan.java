package io.weft.raft.storage;

import io.weft.net.Disk;
import io.weft.raft.Entry;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Recovery of the log: reads and validates every record of every segment after the snapshot, and
 * classifies what is wrong (the README's "Recovery rules"). It only reads; the repairs it decides
 * (cut a torn tail, delete segments the snapshot covers or that a snapshot install left stale) are
 * returned for the caller to carry out.
 */
final class LogScan {
    /** Entries from index {@code base + 1} on; null where damaged. */
    final List<Entry> entries = new ArrayList<>();
    /** File offset of each entry's record in its segment; -1 where damaged. */
    final Bytes.Longs starts = new Bytes.Longs();
    final List<Segment> segments = new ArrayList<>();
    final List<long[]> damage = new ArrayList<>();
    final List<String> deletes = new ArrayList<>();
    final List<String> notes = new ArrayList<>();
    /** The torn tail to cut: segment name and the offset to cut at, or null. */
    String tornSegment;
    long tornOffset = -1;
    long tornBytes;

    private final long base;
    private final long baseTerm;
    private long next;
    private boolean stale;

    private LogScan(long base, long baseTerm) {
        this.base = base;
        this.baseTerm = baseTerm;
        this.next = base + 1;
    }

    /**
     * Scans {@code segmentNames} (sorted by first index) of {@code dir}. {@code base}/{@code baseTerm}
     * are the snapshot's index and term; {@code commit} is the durable commit index and
     * {@code vouched} the last index the storage had fsynced (so may have acknowledged), each -1 if
     * the hard state was lost. The log must reach both: what it lacks below them is damage, not a
     * torn tail.
     */
    static LogScan run(Disk disk, String dir, List<String> segmentNames, long base, long baseTerm, long commit,
            long vouched) throws IOException {
        LogScan s = new LogScan(base, baseTerm);
        for (int k = 0; k < segmentNames.size(); k++) {
            String name = segmentNames.get(k);
            long first = Segment.firstOf(name);
            long nextFirst = k + 1 < segmentNames.size() ? Segment.firstOf(segmentNames.get(k + 1)) : Long.MAX_VALUE;
            if (nextFirst - 1 <= base) {
                s.deletes.add(name);
                s.notes.add(name + ": wholly covered by the snapshot at " + base + ", deleted");
                continue;
            }
            byte[] b = Bytes.readAll(disk, Bytes.path(dir, name));
            s.segment(name, first, nextFirst, b, k == segmentNames.size() - 1);
        }
        if (s.stale) {
            s.dropStaleLog();
            // what the old log vouched for is the snapshot's now: the install came from a leader
            vouched = Math.min(vouched, base);
        }
        if (commit > s.next - 1) {
            s.notes.add("durable commit index " + commit + " is past the last readable entry " + (s.next - 1));
            s.missing(commit + 1);
        }
        if (vouched > s.next - 1) {
            s.notes.add("entries up to " + vouched + " were fsynced (and may have been acknowledged) but the log"
                    + " ends at " + (s.next - 1));
            s.missing(vouched + 1);
        }
        return s;
    }

    private void segment(String name, long first, long nextFirst, byte[] b, boolean last) {
        Segment seg = new Segment(first, b.length, true);
        segments.add(seg);
        if (first > next) {
            notes.add(name + ": starts at " + first + " but the log before it ends at " + (next - 1));
            missing(first);
        }
        int pos = 0;
        int badFrom = -1;
        while (pos < b.length) {
            int len = LogRecords.check(b, pos, b.length);
            if (len < 0) {
                badFrom = badFrom < 0 ? pos : badFrom;
                pos = LogRecords.resync(b, pos + 1, b.length);
                continue;
            }
            if (badFrom >= 0) {
                notes.add(name + ": unreadable bytes [" + badFrom + ", " + pos + ") before a valid record");
                badFrom = -1;
            }
            record(name, LogRecords.decode(b, pos), pos, nextFirst);
            pos += len;
        }
        if (badFrom >= 0 && last) {
            tornSegment = name;
            tornOffset = badFrom;
            tornBytes = b.length - badFrom;
            seg.diskSize = badFrom;
            notes.add(name + ": torn tail of " + tornBytes + " bytes at " + badFrom + " dropped");
        } else if (badFrom >= 0) {
            notes.add(name + ": unreadable bytes [" + badFrom + ", " + b.length + ") at the end of a middle segment");
        }
    }

    private void record(String name, Entry e, int offset, long nextFirst) {
        if (e.index() == base && base > 0 && e.term() != baseTerm) {
            stale = true;
        }
        if (e.index() < next) {
            return;
        }
        if (e.index() >= nextFirst) {
            notes.add(name + ": entry " + e.index() + " belongs to the next segment, ignored");
            return;
        }
        if (e.index() > next) {
            notes.add(name + ": entries " + next + ".." + (e.index() - 1) + " missing before entry " + e.index());
            missing(e.index());
        }
        entries.add(e);
        starts.add(offset);
        next = e.index() + 1;
    }

    /** Marks [next, upTo) damaged. */
    private void missing(long upTo) {
        long lo = next;
        long hi = upTo - 1;
        if (!damage.isEmpty() && damage.getLast()[1] == lo - 1) {
            damage.getLast()[1] = hi;
        } else {
            damage.add(new long[] {lo, hi});
        }
        for (long i = lo; i <= hi; i++) {
            entries.add(null);
            starts.add(-1);
        }
        next = upTo;
    }

    /**
     * The log holds an entry at the snapshot's index with another term: a snapshot install whose
     * deletion of the old log did not reach the disk. The old log is not this replica's any more.
     */
    private void dropStaleLog() {
        notes.add("log has entry " + base + " with a term other than the snapshot's " + baseTerm
                + ": left over from before a snapshot install, deleted");
        for (Segment seg : segments) {
            deletes.add(seg.name);
        }
        segments.clear();
        entries.clear();
        starts.truncate(0);
        damage.clear();
        tornSegment = null;
        tornOffset = -1;
        next = base + 1;
    }
}
