package io.weft.store;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A stream store in memory: never durable, lost on restart. Same indexes as {@link FileStore}
 * (messages by sequence in arrays, per-subject sequence lists), so lookups, {@code numPending} and
 * wildcard {@code loadNext} do not scan the whole stream.
 */
public final class MemoryStore implements MessageStore {
    private static final int SCAN_BUDGET = 256;

    private final ReentrantLock lock = new ReentrantLock();
    private final SeqIndex index = new SeqIndex(true);
    private final HashMap<String, SubjectSeqs> subjects = new HashMap<>();
    private long lastSeq;
    private long lastTime;
    private long bytes;

    @Override
    public long append(String subject, byte[] headers, byte[] data, long timestampNanos) {
        lock.lock();
        try {
            long seq = ++lastSeq;
            StoredMessage m = new StoredMessage(seq, subject, headers, data, timestampNanos);
            SubjectSeqs s = subjects.get(subject);
            if (s == null) {
                s = new SubjectSeqs(subject);
                subjects.put(subject, s);
            }
            s.add(seq);
            long size = m.size();
            index.add(seq, 0, 0, (int) Math.min(size, Integer.MAX_VALUE), timestampNanos, s);
            index.attach(seq, m);
            bytes += size;
            lastTime = timestampNanos;
            return seq;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void skipTo(long nextSeq) {
        lock.lock();
        try {
            if (nextSeq - 1 > lastSeq) {
                lastSeq = nextSeq - 1;
            }
            removeBelow(nextSeq);
        } finally {
            lock.unlock();
        }
    }

    private long removeBelow(long limit) {
        long n = 0;
        for (long s = index.first(); s >= 0 && s < limit; s = index.nextLive(s + 1)) {
            removeLocked(s);
            n++;
        }
        return n;
    }

    private StoredMessage get(long seq) {
        return (StoredMessage) index.attachment(seq);
    }

    @Override
    public StoredMessage load(long seq) {
        lock.lock();
        try {
            return index.isLive(seq) ? get(seq) : null;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public StoredMessage loadNext(String filter, long fromSeq) {
        lock.lock();
        try {
            long seq = nextMatching(filter, fromSeq);
            return seq < 0 ? null : get(seq);
        } finally {
            lock.unlock();
        }
    }

    private long nextMatching(String filter, long fromSeq) {
        if (SubjectFilter.isAll(filter)) {
            return index.nextLive(fromSeq);
        }
        if (SubjectFilter.isLiteral(filter)) {
            SubjectSeqs s = subjects.get(filter);
            if (s == null) {
                return -1;
            }
            int i = s.ceilingIndex(fromSeq);
            return i < s.count() ? s.get(i) : -1;
        }
        long seq = index.nextLive(fromSeq);
        for (int k = 0; k < SCAN_BUDGET && seq >= 0; k++) {
            if (SubjectFilter.matches(filter, index.subject(seq).subject)) {
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

    private List<SubjectSeqs> matching(String filter) {
        List<SubjectSeqs> out = new ArrayList<>();
        if (SubjectFilter.isLiteral(filter)) {
            SubjectSeqs s = subjects.get(filter);
            if (s != null) {
                out.add(s);
            }
            return out;
        }
        for (SubjectSeqs s : subjects.values()) {
            if (SubjectFilter.matches(filter, s.subject)) {
                out.add(s);
            }
        }
        return out;
    }

    @Override
    public StoredMessage loadLast(String filter) {
        lock.lock();
        try {
            long seq;
            if (SubjectFilter.isAll(filter)) {
                seq = index.prevLive(Long.MAX_VALUE / 2);
            } else {
                seq = -1;
                for (SubjectSeqs s : matching(filter)) {
                    seq = Math.max(seq, s.last());
                }
            }
            return seq < 0 ? null : get(seq);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public boolean remove(long seq, boolean erase) {
        lock.lock();
        try {
            if (!index.isLive(seq)) {
                return false;
            }
            removeLocked(seq);
            return true;
        } finally {
            lock.unlock();
        }
    }

    private void removeLocked(long seq) {
        SubjectSeqs s = index.subject(seq);
        s.remove(seq);
        if (s.count() == 0) {
            subjects.remove(s.subject);
        }
        bytes -= get(seq).size();
        index.kill(seq);
    }

    @Override
    public long purge(String filter, long upToSeq, long keep) {
        lock.lock();
        try {
            if (SubjectFilter.isAll(filter)) {
                long limit = upToSeq > 0 ? upToSeq : lastSeq + 1;
                if (keep > 0) {
                    long keepFrom = index.live() <= keep ? 0 : nthFromEnd(keep);
                    limit = Math.min(limit, keepFrom);
                }
                return removeBelow(limit);
            }
            List<Long> victims = new ArrayList<>();
            for (SubjectSeqs s : matching(filter)) {
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
            for (long seq : victims) {
                removeLocked(seq);
            }
            return victims.size();
        } finally {
            lock.unlock();
        }
    }

    /** The sequence of the {@code n}-th newest message, walking from whichever end is nearer. */
    private long nthFromEnd(long n) {
        long fromFront = index.live() - n;
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

    @Override
    public StoreState state() {
        lock.lock();
        try {
            long first = index.first();
            if (first < 0) {
                return new StoreState(0, 0, lastSeq + 1, 0, lastSeq, lastTime, 0, 0);
            }
            long span = lastSeq - first + 1;
            return new StoreState(index.live(), bytes, first, index.timestamp(first), lastSeq, lastTime,
                    subjects.size(), span - index.live());
        } finally {
            lock.unlock();
        }
    }

    @Override
    public List<Long> deletedSequences() {
        lock.lock();
        try {
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
        } finally {
            lock.unlock();
        }
    }

    @Override
    public SubjectState subjectState(String subject) {
        lock.lock();
        try {
            SubjectSeqs s = subjects.get(subject);
            return s == null ? null : s.state();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Map<String, SubjectState> subjects(String filter) {
        lock.lock();
        try {
            TreeMap<String, SubjectState> sorted = new TreeMap<>();
            for (SubjectSeqs s : matching(filter)) {
                sorted.put(s.subject, s.state());
            }
            return new LinkedHashMap<>(sorted);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public long numPending(long fromSeq, String filter, boolean lastPerSubject) {
        lock.lock();
        try {
            if (lastPerSubject) {
                long n = 0;
                for (SubjectSeqs s : matching(filter)) {
                    if (s.last() >= fromSeq) {
                        n++;
                    }
                }
                return n;
            }
            if (SubjectFilter.isAll(filter)) {
                return index.liveFrom(fromSeq);
            }
            long n = 0;
            for (SubjectSeqs s : matching(filter)) {
                n += s.count() - s.ceilingIndex(fromSeq);
            }
            return n;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public long sequenceAtOrAfter(long timeNanos) {
        lock.lock();
        try {
            long s = index.firstAtOrAfterTime(timeNanos);
            return s < 0 ? lastSeq + 1 : s;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void sync() {
    }

    @Override
    public List<Corruption> corruptions() {
        return List.of();
    }

    @Override
    public void destroy() {
        lock.lock();
        try {
            removeBelow(Long.MAX_VALUE);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() {
    }
}
