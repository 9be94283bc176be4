package io.weft.store;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The in-memory index both stores keep over their live messages: sequence to entry
 * ({@link SeqIndex}) and subject to its ascending sequences ({@link SubjectSeqs}), with the queries
 * {@link MessageStore} answers from them. Not thread-safe: the owning store calls it under its lock.
 */
final class LiveMessages {
    /** A wildcard search scans this many sequences forward before switching to the subject lists. */
    private static final int SCAN_BUDGET = 256;

    final SeqIndex index;
    private final HashMap<String, SubjectSeqs> subjects = new HashMap<>();

    LiveMessages(SeqIndex index) {
        this.index = index;
    }

    /** Indexes a new live message. */
    void add(long seq, long location, int recordLength, int size, long timestampNanos, String subject) {
        SubjectSeqs s = subjects.get(subject);
        if (s == null) {
            s = new SubjectSeqs(subject);
            subjects.put(subject, s);
        }
        s.add(seq);
        index.add(seq, location, recordLength, size, timestampNanos, s);
    }

    /** Makes a removed message live again (a rolled-back removal). */
    void revive(long seq, String subject) {
        SubjectSeqs s = subjects.get(subject);
        if (s == null) {
            s = new SubjectSeqs(subject);
            subjects.put(subject, s);
        }
        s.insert(seq);
        index.revive(seq, s);
    }

    /** Drops a live sequence from the subject lists (the caller kills it in {@link #index} when done with it). */
    void removeSubject(long seq) {
        SubjectSeqs s = index.subject(seq);
        s.remove(seq);
        if (s.count() == 0) {
            subjects.remove(s.subject);
        }
    }

    /** The first live sequence {@code >= fromSeq} matching {@code filter}, or -1. */
    long nextMatching(String filter, long fromSeq) {
        if (Subjects.isAll(filter)) {
            return index.nextLive(fromSeq);
        }
        if (Subjects.isLiteral(filter)) {
            SubjectSeqs s = subjects.get(filter);
            if (s == null) {
                return -1;
            }
            int i = s.ceilingIndex(fromSeq);
            return i < s.count() ? s.get(i) : -1;
        }
        long seq = index.nextLive(fromSeq);
        for (int k = 0; k < SCAN_BUDGET && seq >= 0; k++) {
            if (Subjects.matchesFilter(filter, index.subject(seq).subject)) {
                return seq;
            }
            seq = index.nextLive(seq + 1);
        }
        if (seq < 0) {
            return -1;
        }
        long best = -1;
        for (SubjectSeqs s : matching(filter)) {
            int i = s.ceilingIndex(seq);
            if (i < s.count() && (best < 0 || s.get(i) < best)) {
                best = s.get(i);
            }
        }
        return best;
    }

    /** The highest live sequence matching {@code filter}, or -1. */
    long lastMatching(String filter) {
        if (Subjects.isAll(filter)) {
            return index.prevLive(Long.MAX_VALUE / 2);
        }
        long seq = -1;
        for (SubjectSeqs s : matching(filter)) {
            seq = Math.max(seq, s.last());
        }
        return seq;
    }

    /** The subjects with live messages that match {@code filter}, in no particular order. */
    List<SubjectSeqs> matching(String filter) {
        List<SubjectSeqs> out = new ArrayList<>();
        if (Subjects.isLiteral(filter)) {
            SubjectSeqs s = subjects.get(filter);
            if (s != null) {
                out.add(s);
            }
            return out;
        }
        for (SubjectSeqs s : subjects.values()) {
            if (Subjects.matchesFilter(filter, s.subject)) {
                out.add(s);
            }
        }
        return out;
    }

    /** The sequence of the {@code n}-th newest live message (walking from whichever end is nearer). */
    long nthFromEnd(long n) {
        long fromFront = index.live() - n; // live messages older than the wanted one
        if (fromFront < n) {
            long s = index.first();
            for (long i = 0; i < fromFront && s >= 0; i++) {
                s = index.nextLive(s + 1);
            }
            return Math.max(s, 0);
        }
        long s = index.prevLive(Long.MAX_VALUE / 2);
        for (long i = 1; i < n && s >= 0; i++) {
            s = index.prevLive(s - 1);
        }
        return Math.max(s, 0);
    }

    StoreState state(long bytes, long lastSeq, long lastTime) {
        long first = index.first();
        if (first < 0) {
            return new StoreState(0, 0, lastSeq + 1, 0, lastSeq, lastTime, 0, 0);
        }
        long span = lastSeq - first + 1;
        return new StoreState(index.live(), bytes, first, index.timestamp(first), lastSeq, lastTime,
                subjects.size(), span - index.live());
    }

    List<Long> deletedSequences(long lastSeq) {
        List<Long> out = new ArrayList<>();
        long first = index.first();
        if (first < 0) {
            return out;
        }
        for (long s = first; s <= lastSeq; s++) {
            if (!index.isLive(s)) {
                out.add(s);
            }
        }
        return out;
    }

    SubjectState subjectState(String subject) {
        SubjectSeqs s = subjects.get(subject);
        return s == null ? null : s.state();
    }

    Map<String, SubjectState> subjects(String filter) {
        TreeMap<String, SubjectState> sorted = new TreeMap<>();
        for (SubjectSeqs s : matching(filter)) {
            sorted.put(s.subject, s.state());
        }
        return new LinkedHashMap<>(sorted);
    }

    long numPending(long fromSeq, String filter, boolean lastPerSubject) {
        long n = 0;
        if (lastPerSubject) {
            for (SubjectSeqs s : matching(filter)) {
                if (s.last() >= fromSeq) {
                    n++;
                }
            }
            return n;
        }
        if (Subjects.isAll(filter)) {
            return index.liveFrom(fromSeq);
        }
        for (SubjectSeqs s : matching(filter)) {
            n += s.count() - s.ceilingIndex(fromSeq);
        }
        return n;
    }

    long sequenceAtOrAfter(long timeNanos, long lastSeq) {
        long s = index.firstAtOrAfterTime(timeNanos);
        return s < 0 ? lastSeq + 1 : s;
    }
}
