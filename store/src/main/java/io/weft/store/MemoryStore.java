package io.weft.store;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.locks.ReentrantLock;

/** A stream store in memory: never durable, lost on restart. */
public final class MemoryStore implements MessageStore {
    private final ReentrantLock lock = new ReentrantLock();
    private final TreeMap<Long, StoredMessage> msgs = new TreeMap<>();
    private final TreeMap<String, TreeSet<Long>> bySubject = new TreeMap<>();
    private long lastSeq;
    private long lastTime;
    private long firstSeqFloor = 1;
    private long bytes;

    @Override
    public long append(String subject, byte[] headers, byte[] data, long timestampNanos) {
        lock.lock();
        try {
            long seq = ++lastSeq;
            StoredMessage m = new StoredMessage(seq, subject, headers, data, timestampNanos);
            msgs.put(seq, m);
            bySubject.computeIfAbsent(subject, s -> new TreeSet<>()).add(seq);
            bytes += m.size();
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
            firstSeqFloor = Math.max(firstSeqFloor, nextSeq);
        } finally {
            lock.unlock();
        }
    }

    private void removeBelow(long seq) {
        while (!msgs.isEmpty() && msgs.firstKey() < seq) {
            removeLocked(msgs.firstKey());
        }
    }

    @Override
    public StoredMessage load(long seq) {
        lock.lock();
        try {
            return msgs.get(seq);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public StoredMessage loadNext(String filter, long fromSeq) {
        lock.lock();
        try {
            if (SubjectFilter.isLiteral(filter)) {
                TreeSet<Long> seqs = bySubject.get(filter);
                Long s = seqs == null ? null : seqs.ceiling(fromSeq);
                return s == null ? null : msgs.get(s);
            }
            for (StoredMessage m : msgs.tailMap(fromSeq, true).values()) {
                if (SubjectFilter.matches(filter, m.subject())) {
                    return m;
                }
            }
            return null;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public StoredMessage loadLast(String filter) {
        lock.lock();
        try {
            if (SubjectFilter.isLiteral(filter)) {
                TreeSet<Long> seqs = bySubject.get(filter);
                return seqs == null || seqs.isEmpty() ? null : msgs.get(seqs.last());
            }
            for (StoredMessage m : msgs.descendingMap().values()) {
                if (SubjectFilter.matches(filter, m.subject())) {
                    return m;
                }
            }
            return null;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public boolean remove(long seq, boolean erase) {
        lock.lock();
        try {
            return removeLocked(seq);
        } finally {
            lock.unlock();
        }
    }

    private boolean removeLocked(long seq) {
        StoredMessage m = msgs.remove(seq);
        if (m == null) {
            return false;
        }
        bytes -= m.size();
        TreeSet<Long> seqs = bySubject.get(m.subject());
        seqs.remove(seq);
        if (seqs.isEmpty()) {
            bySubject.remove(m.subject());
        }
        return true;
    }

    @Override
    public long purge(String filter, long upToSeq, long keep) {
        lock.lock();
        try {
            long removed = 0;
            if (SubjectFilter.isAll(filter)) {
                long limit = upToSeq > 0 ? upToSeq : lastSeq + 1;
                if (keep > 0) {
                    long keepFrom = msgs.size() <= keep ? 0 : nthFromEnd(keep);
                    limit = Math.min(limit, keepFrom == 0 ? 0 : keepFrom);
                }
                while (!msgs.isEmpty() && msgs.firstKey() < limit) {
                    removeLocked(msgs.firstKey());
                    removed++;
                }
                if (upToSeq <= 0 && keep <= 0) {
                    firstSeqFloor = lastSeq + 1;
                }
                return removed;
            }
            List<Long> victims = new ArrayList<>();
            for (Map.Entry<String, TreeSet<Long>> e : bySubject.entrySet()) {
                if (!SubjectFilter.matches(filter, e.getKey())) {
                    continue;
                }
                TreeSet<Long> seqs = e.getValue();
                long n = seqs.size();
                long skipTail = keep > 0 ? keep : 0;
                long i = 0;
                for (long s : seqs) {
                    if (i++ >= n - skipTail) {
                        break;
                    }
                    if (upToSeq > 0 && s >= upToSeq) {
                        break;
                    }
                    victims.add(s);
                }
            }
            for (long s : victims) {
                if (removeLocked(s)) {
                    removed++;
                }
            }
            return removed;
        } finally {
            lock.unlock();
        }
    }

    private long nthFromEnd(long n) {
        Iterator<Long> it = msgs.descendingKeySet().iterator();
        long s = 0;
        for (long i = 0; i < n && it.hasNext(); i++) {
            s = it.next();
        }
        return s;
    }

    @Override
    public StoreState state() {
        lock.lock();
        try {
            if (msgs.isEmpty()) {
                return new StoreState(0, 0, Math.max(lastSeq + 1, firstSeqFloor), 0, lastSeq, lastTime, 0, 0);
            }
            StoredMessage first = msgs.firstEntry().getValue();
            long span = lastSeq - first.seq() + 1;
            return new StoreState(msgs.size(), bytes, first.seq(), first.timestampNanos(), lastSeq, lastTime,
                    bySubject.size(), span - msgs.size());
        } finally {
            lock.unlock();
        }
    }

    @Override
    public List<Long> deletedSequences() {
        lock.lock();
        try {
            List<Long> out = new ArrayList<>();
            if (msgs.isEmpty()) {
                return out;
            }
            long expect = msgs.firstKey();
            for (long s : msgs.keySet()) {
                for (long d = expect; d < s; d++) {
                    out.add(d);
                }
                expect = s + 1;
            }
            for (long d = expect; d <= lastSeq; d++) {
                out.add(d);
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
            TreeSet<Long> seqs = bySubject.get(subject);
            return seqs == null || seqs.isEmpty() ? null : new SubjectState(seqs.size(), seqs.first(), seqs.last());
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Map<String, SubjectState> subjects(String filter) {
        lock.lock();
        try {
            Map<String, SubjectState> out = new LinkedHashMap<>();
            for (Map.Entry<String, TreeSet<Long>> e : bySubject.entrySet()) {
                if (SubjectFilter.matches(filter, e.getKey())) {
                    TreeSet<Long> s = e.getValue();
                    out.put(e.getKey(), new SubjectState(s.size(), s.first(), s.last()));
                }
            }
            return out;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public long numPending(long fromSeq, String filter, boolean lastPerSubject) {
        lock.lock();
        try {
            long n = 0;
            if (lastPerSubject) {
                for (Map.Entry<String, TreeSet<Long>> e : bySubject.entrySet()) {
                    if (SubjectFilter.matches(filter, e.getKey()) && e.getValue().last() >= fromSeq) {
                        n++;
                    }
                }
                return n;
            }
            if (SubjectFilter.isAll(filter)) {
                return msgs.tailMap(fromSeq, true).size();
            }
            NavigableMap<Long, StoredMessage> tail = msgs.tailMap(fromSeq, true);
            for (StoredMessage m : tail.values()) {
                if (SubjectFilter.matches(filter, m.subject())) {
                    n++;
                }
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
            for (StoredMessage m : msgs.values()) {
                if (m.timestampNanos() >= timeNanos) {
                    return m.seq();
                }
            }
            return lastSeq + 1;
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
            msgs.clear();
            bySubject.clear();
            bytes = 0;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() {
    }
}
