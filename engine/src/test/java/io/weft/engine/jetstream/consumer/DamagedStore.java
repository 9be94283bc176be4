package io.weft.engine.jetstream.consumer;

import io.weft.store.Corruption;
import io.weft.store.CorruptRecordException;
import io.weft.store.MessageStore;
import io.weft.store.StoreState;
import io.weft.store.StoredMessage;
import io.weft.store.SubjectState;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A read view of a store in which some sequences are damaged, behaving as the file store does when
 * a read finds a bad CRC: the first read of a damaged record throws, later reads skip it.
 */
final class DamagedStore implements MessageStore {
    private final MessageStore inner;
    private final Set<Long> damaged;
    private final Set<Long> reported = new TreeSet<>();
    final List<Long> throwsSeen = new ArrayList<>();

    DamagedStore(MessageStore inner, Set<Long> damaged) {
        this.inner = inner;
        this.damaged = damaged;
    }

    private StoredMessage check(StoredMessage m) throws CorruptRecordException {
        if (m != null && damaged.contains(m.seq()) && reported.add(m.seq())) {
            throwsSeen.add(m.seq());
            throw new CorruptRecordException(new Corruption(m.seq(), m.seq(), "test.blk:0", "CRC32C mismatch"));
        }
        return m;
    }

    @Override public long append(String s, byte[] h, byte[] d, long t) throws IOException { return inner.append(s, h, d, t); }
    @Override public void skipTo(long n) throws IOException { inner.skipTo(n); }

    @Override
    public StoredMessage load(long seq) throws IOException {
        if (damaged.contains(seq)) {
            check(inner.load(seq));
            throw new CorruptRecordException(new Corruption(seq, seq, "test.blk:0", "CRC32C mismatch"));
        }
        return inner.load(seq);
    }

    @Override
    public StoredMessage loadNext(String filter, long fromSeq) throws IOException {
        long from = fromSeq;
        while (true) {
            StoredMessage m = inner.loadNext(filter, from);
            if (m == null || !damaged.contains(m.seq())) {
                return m;
            }
            check(m);
            from = m.seq() + 1;
        }
    }

    @Override public StoredMessage loadLast(String filter) throws IOException { return inner.loadLast(filter); }
    @Override public boolean remove(long seq, boolean erase) throws IOException { return inner.remove(seq, erase); }
    @Override public long purge(String f, long up, long keep) throws IOException { return inner.purge(f, up, keep); }
    @Override public StoreState state() { return inner.state(); }
    @Override public List<Long> deletedSequences() { return inner.deletedSequences(); }
    @Override public SubjectState subjectState(String subject) { return inner.subjectState(subject); }
    @Override public Map<String, SubjectState> subjects(String filter) { return inner.subjects(filter); }
    @Override public long numPending(long from, String f, boolean last) { return inner.numPending(from, f, last); }
    @Override public long sequenceAtOrAfter(long t) throws IOException { return inner.sequenceAtOrAfter(t); }
    @Override public void sync() throws IOException { inner.sync(); }
    @Override public List<Corruption> corruptions() { return inner.corruptions(); }
    @Override public void destroy() throws IOException { inner.destroy(); }
    @Override public void close() throws IOException { inner.close(); }
}
