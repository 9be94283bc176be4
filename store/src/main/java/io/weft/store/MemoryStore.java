package io.weft.store;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A stream store in memory: never durable, lost on restart. Same indexes as {@link FileStore}
 * (messages by sequence in arrays, per-subject sequence lists), so lookups, {@code numPending} and
 * wildcard {@code loadNext} do not scan the whole stream.
 */
public final class MemoryStore implements MessageStore {
    private final ReentrantLock lock = new ReentrantLock();
    private final SeqIndex index = new SeqIndex(true);
    private final LiveMessages live = new LiveMessages(index);
    private long lastSeq;
    private long lastTime;
    private long bytes;

    @Override
    public long append(String subject, byte[] headers, byte[] data, long timestampNanos) {
        lock.lock();
        try {
            return appendLocked(lastSeq + 1, subject, headers, data, timestampNanos);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void appendAt(long seq, String subject, byte[] headers, byte[] data, long timestampNanos) {
        lock.lock();
        try {
            if (seq != lastSeq + 1) {
                throw new IllegalStateException("append at " + seq + " but the next sequence is " + (lastSeq + 1));
            }
            appendLocked(seq, subject, headers, data, timestampNanos);
        } finally {
            lock.unlock();
        }
    }

    private long appendLocked(long seq, String subject, byte[] headers, byte[] data, long timestampNanos) {
        assert lock.isHeldByCurrentThread();
        assert seq == lastSeq + 1 : "sequences grow by one: " + seq + " after " + lastSeq;
        lastSeq = seq;
        StoredMessage m = new StoredMessage(seq, subject, headers, data, timestampNanos);
        long size = m.size();
        live.add(seq, 0, 0, (int) Math.min(size, Integer.MAX_VALUE), timestampNanos, subject);
        index.attach(seq, m);
        bytes += size;
        lastTime = timestampNanos;
        return seq;
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
            long seq = live.nextMatching(filter, fromSeq);
            return seq < 0 ? null : get(seq);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public StoredMessage loadLast(String filter) {
        lock.lock();
        try {
            long seq = live.lastMatching(filter);
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
        live.removeSubject(seq);
        bytes -= get(seq).size();
        index.kill(seq);
    }

    @Override
    public long purge(String filter, long upToSeq, long keep) {
        lock.lock();
        try {
            if (Subjects.isAll(filter)) {
                long limit = upToSeq > 0 ? upToSeq : lastSeq + 1;
                if (keep > 0) {
                    long keepFrom = index.live() <= keep ? 0 : live.nthFromEnd(keep);
                    limit = Math.min(limit, keepFrom);
                }
                return removeBelow(limit);
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
            for (long seq : victims) {
                removeLocked(seq);
            }
            return victims.size();
        } finally {
            lock.unlock();
        }
    }

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
