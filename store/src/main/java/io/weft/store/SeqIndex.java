package io.weft.store;

import java.util.Arrays;

/**
 * Sequence to message metadata for a store, in parallel arrays over a contiguous sequence window
 * (sequences are appended in order, so a slot is {@code seq - base}). A slot is live when its
 * subject is set. Live counts per chunk of 1024 slots make "how many live from seq" cheap.
 */
final class SeqIndex {
    private static final int CHUNK_BITS = 10;

    private long base = 1;
    private int end;
    private long[] loc = new long[1024];
    private int[] recLen = new int[1024];
    private int[] msgSize = new int[1024];
    private long[] ts = new long[1024];
    private SubjectSeqs[] subj = new SubjectSeqs[1024];
    /** Per-slot objects for a store that keeps its messages in memory; null when unused. */
    private Object[] att;
    private int[] chunkLive = new int[1];
    private int live;
    /** No live slot below this one. */
    private int firstHint;
    private boolean monotonic = true;
    /**
     * While a batch that may be rolled back is open: slots are never dropped or renumbered, so a
     * killed slot can be revived and appended slots cut off again.
     */
    private boolean pinned;

    SeqIndex() {
    }

    /** An index that also keeps one object (the message) per slot. */
    SeqIndex(boolean attachments) {
        att = attachments ? new Object[1024] : null;
    }

    Object attachment(long seq) {
        int s = slot(seq);
        return s < 0 ? null : att[s];
    }

    void attach(long seq, Object o) {
        att[slot(seq)] = o;
    }

    int live() {
        return live;
    }

    /** One past the highest sequence ever indexed. */
    long endSeq() {
        return base + end;
    }

    boolean monotonic() {
        return monotonic;
    }

    /** Adds a message; {@code seq} must be at least {@link #endSeq()} (the slots between are dead). */
    void add(long seq, long location, int rlen, int msize, long timestamp, SubjectSeqs s) {
        if (live == 0 && !pinned) {
            base = seq;
            end = 0;
            firstHint = 0;
            monotonic = true;
            Arrays.fill(chunkLive, 0);
        }
        if (seq < base + end) {
            throw new IllegalStateException("sequence " + seq + " below index end " + (base + end));
        }
        long prevTs = end > 0 ? ts[end - 1] : Long.MIN_VALUE;
        if (timestamp < prevTs) {
            monotonic = false;
        }
        int slot = ensure(seq);
        for (int i = end; i < slot; i++) {
            subj[i] = null;
            if (att != null) {
                att[i] = null;
            }
            ts[i] = end > 0 ? prevTs : timestamp;
        }
        loc[slot] = location;
        recLen[slot] = rlen;
        msgSize[slot] = msize;
        ts[slot] = timestamp;
        subj[slot] = s;
        chunkLive[slot >>> CHUNK_BITS]++;
        end = slot + 1;
        live++;
    }

    /** Makes room for {@code seq}, dropping a long dead prefix first; returns its slot. */
    private int ensure(long seq) {
        int slots = Math.toIntExact(seq - base + 1);
        if (slots <= loc.length) {
            return slots - 1;
        }
        first();
        if (!pinned && firstHint > 0 && firstHint >= loc.length / 4) {
            shift(firstHint);
            slots = Math.toIntExact(seq - base + 1);
        }
        int cap = loc.length;
        while (cap < slots) {
            cap *= 2;
        }
        if (cap != loc.length) {
            grow(cap);
        }
        return slots - 1;
    }

    private void shift(int by) {
        System.arraycopy(loc, by, loc, 0, end - by);
        System.arraycopy(recLen, by, recLen, 0, end - by);
        System.arraycopy(msgSize, by, msgSize, 0, end - by);
        System.arraycopy(ts, by, ts, 0, end - by);
        System.arraycopy(subj, by, subj, 0, end - by);
        Arrays.fill(subj, end - by, end, null);
        if (att != null) {
            System.arraycopy(att, by, att, 0, end - by);
            Arrays.fill(att, end - by, end, null);
        }
        base += by;
        end -= by;
        firstHint -= by;
        rebuildChunks();
    }

    private void grow(int cap) {
        loc = Arrays.copyOf(loc, cap);
        recLen = Arrays.copyOf(recLen, cap);
        msgSize = Arrays.copyOf(msgSize, cap);
        ts = Arrays.copyOf(ts, cap);
        subj = Arrays.copyOf(subj, cap);
        if (att != null) {
            att = Arrays.copyOf(att, cap);
        }
        chunkLive = Arrays.copyOf(chunkLive, (cap >>> CHUNK_BITS) + 1);
    }

    private void rebuildChunks() {
        Arrays.fill(chunkLive, 0);
        for (int i = 0; i < end; i++) {
            if (subj[i] != null) {
                chunkLive[i >>> CHUNK_BITS]++;
            }
        }
    }

    private int slot(long seq) {
        long s = seq - base;
        return s < 0 || s >= end ? -1 : (int) s;
    }

    boolean isLive(long seq) {
        int s = slot(seq);
        return s >= 0 && subj[s] != null;
    }

    long location(long seq) {
        return loc[slot(seq)];
    }

    int recordLength(long seq) {
        return recLen[slot(seq)];
    }

    int messageSize(long seq) {
        return msgSize[slot(seq)];
    }

    long timestamp(long seq) {
        return ts[slot(seq)];
    }

    SubjectSeqs subject(long seq) {
        int s = slot(seq);
        return s < 0 ? null : subj[s];
    }

    void setLocation(long seq, long location) {
        loc[slot(seq)] = location;
    }

    /** Marks a live sequence dead. */
    void kill(long seq) {
        int s = slot(seq);
        subj[s] = null;
        if (att != null) {
            att[s] = null;
        }
        chunkLive[s >>> CHUNK_BITS]--;
        live--;
    }

    /** Keeps every slot where it is until {@link #unpin} (see {@link #pinned}). */
    void pin() {
        pinned = true;
    }

    void unpin() {
        pinned = false;
    }

    /** Makes a killed slot live again (a rolled-back removal); its location and sizes were kept. */
    void revive(long seq, SubjectSeqs s) {
        int slot = slot(seq);
        assert slot >= 0 && subj[slot] == null : "revive of " + seq;
        subj[slot] = s;
        chunkLive[slot >>> CHUNK_BITS]++;
        live++;
        if (slot < firstHint) {
            firstHint = slot;
        }
    }

    /** Forgets every slot from {@code endSeq} on (rolled-back appends; they must be dead already). */
    void truncate(long endSeq) {
        int e = (int) Math.max(0, Math.min(end, endSeq - base));
        for (int i = e; i < end; i++) {
            assert subj[i] == null : "truncate over live " + (base + i);
            if (att != null) {
                att[i] = null;
            }
        }
        end = e;
        if (firstHint > end) {
            firstHint = end;
        }
    }

    /** The first live sequence, or -1. */
    long first() {
        if (live == 0) {
            return -1;
        }
        while (firstHint < end && subj[firstHint] == null) {
            firstHint++;
        }
        return base + firstHint;
    }

    /** The first live sequence {@code >= seq}, or -1. */
    long nextLive(long seq) {
        if (live == 0) {
            return -1;
        }
        long f = first();
        int s = (int) Math.max(0, Math.max(seq, f) - base);
        while (s < end) {
            if ((s & ((1 << CHUNK_BITS) - 1)) == 0 && chunkLive[s >>> CHUNK_BITS] == 0) {
                s += 1 << CHUNK_BITS;
                continue;
            }
            if (subj[s] != null) {
                return base + s;
            }
            s++;
        }
        return -1;
    }

    /** The last live sequence {@code <= seq}, or -1. */
    long prevLive(long seq) {
        if (live == 0) {
            return -1;
        }
        long s = Math.min(seq - base, end - 1L);
        for (; s >= firstHint; s--) {
            if (subj[(int) s] != null) {
                return base + s;
            }
        }
        return -1;
    }

    /** How many live sequences are {@code >= seq}. */
    long liveFrom(long seq) {
        long s = seq - base;
        if (s <= firstHint) {
            return live;
        }
        if (s >= end) {
            return 0;
        }
        int slot = (int) s;
        long n = 0;
        int chunk = slot >>> CHUNK_BITS;
        int chunkEnd = Math.min(end, (chunk + 1) << CHUNK_BITS);
        for (int i = slot; i < chunkEnd; i++) {
            if (subj[i] != null) {
                n++;
            }
        }
        int lastChunk = (end - 1) >>> CHUNK_BITS;
        for (int c = chunk + 1; c <= lastChunk; c++) {
            n += chunkLive[c];
        }
        return n;
    }

    /** The first live sequence whose timestamp is {@code >= t} (timestamps ascending), or -1. */
    long firstAtOrAfterTime(long t) {
        if (live == 0) {
            return -1;
        }
        int lo = firstHint;
        int hi = end;
        if (monotonic) {
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (ts[mid] < t) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            return lo >= end ? -1 : nextLive(base + lo);
        }
        for (int s = firstHint; s < end; s++) {
            if (subj[s] != null && ts[s] >= t) {
                return base + s;
            }
        }
        return -1;
    }
}
