package io.weft.engine.jetstream.meta;

import io.weft.store.Subjects;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The meta group's replicated state: every stream and consumer assignment of the cluster, by
 * account and name. {@link #apply} is the only writer (the meta log's entries, in order, on every
 * member), and it decides the same way everywhere: an add of a stream whose name is taken with
 * another configuration, or whose subjects overlap another stream of the account, is refused in
 * the log itself, so two creates racing through the leader cannot both win. Reads come from any
 * thread.
 */
public final class Assignments {

    /** What applying one op did. */
    public enum Outcome {
        /** The assignments changed. */
        APPLIED,
        /** Nothing to do: the same stream assignment already existed. */
        UNCHANGED,
        /** A stream of that name exists with another configuration. */
        EXISTS,
        /** The stream (or consumer) named does not exist. */
        NOT_FOUND,
        /** The stream's subjects overlap another stream of the account. */
        OVERLAP,
        /** The stream changed since the op was decided (its revision is not the one expected). */
        STALE
    }

    /** What a member does when the assignments change (called on the applying thread, after the change). */
    public interface Listener {
        default void streamAdded(StreamAssignment sa) {
        }

        default void streamUpdated(StreamAssignment before, StreamAssignment after) {
        }

        default void streamRemoved(StreamAssignment sa) {
        }

        default void consumerAdded(ConsumerAssignment ca) {
        }

        default void consumerRemoved(ConsumerAssignment ca) {
        }

        /** The whole state was replaced (a snapshot restored): reconcile with {@code now}. */
        default void restored(Assignments now) {
        }
    }

    private static final class Entry {
        StreamAssignment stream;
        final TreeMap<String, ConsumerAssignment> consumers = new TreeMap<>();

        Entry(StreamAssignment stream) {
            this.stream = stream;
        }
    }

    private final ReentrantLock lock = new ReentrantLock();
    private final TreeMap<String, TreeMap<String, Entry>> accounts = new TreeMap<>();

    /** Applies {@code op}, then tells {@code listener} (may be null) what changed. */
    public Outcome apply(MetaOp op, Listener listener) {
        Listener l = listener == null ? new Listener() { } : listener;
        switch (op) {
            case MetaOp.AddStream a -> {
                StreamAssignment sa = a.stream();
                lock.lock();
                try {
                    TreeMap<String, Entry> streams = accounts.computeIfAbsent(sa.account(), k -> new TreeMap<>());
                    Entry e = streams.get(sa.name());
                    if (e != null) {
                        return e.stream.config().equals(sa.config()) ? Outcome.UNCHANGED : Outcome.EXISTS;
                    }
                    if (overlaps(streams, sa)) {
                        if (streams.isEmpty()) {
                            accounts.remove(sa.account());
                        }
                        return Outcome.OVERLAP;
                    }
                    streams.put(sa.name(), new Entry(sa));
                } finally {
                    lock.unlock();
                }
                l.streamAdded(sa);
                return Outcome.APPLIED;
            }
            case MetaOp.UpdateStream u -> {
                StreamAssignment next = u.stream();
                StreamAssignment before;
                StreamAssignment after;
                lock.lock();
                try {
                    TreeMap<String, Entry> streams = accounts.get(next.account());
                    Entry e = streams == null ? null : streams.get(next.name());
                    if (e == null) {
                        return Outcome.NOT_FOUND;
                    }
                    if (overlaps(streams, next)) {
                        return Outcome.OVERLAP;
                    }
                    before = e.stream;
                    // the update carries a configuration; who holds the stream and since when stay, and
                    // the revision counts changes (an update to the same configuration is none)
                    after = before.config().equals(next.config()) && before.subjects().equals(next.subjects())
                            ? before : before.withConfig(next.config(), next.subjects());
                    e.stream = after;
                } finally {
                    lock.unlock();
                }
                l.streamUpdated(before, after);
                return Outcome.APPLIED;
            }
            case MetaOp.SetPeers sp -> {
                StreamAssignment before;
                StreamAssignment after;
                lock.lock();
                try {
                    TreeMap<String, Entry> streams = accounts.get(sp.account());
                    Entry e = streams == null ? null : streams.get(sp.name());
                    if (e == null) {
                        return Outcome.NOT_FOUND;
                    }
                    before = e.stream;
                    if (before.revision() != sp.expectRevision()) {
                        return Outcome.STALE;
                    }
                    String config = sp.config() == null ? before.config() : sp.config();
                    List<String> subjects = sp.config() == null ? before.subjects() : sp.subjects();
                    after = before.withPeers(sp.peers(), config, subjects, sp.group() == null ? before.group() : sp.group());
                    if (overlaps(streams, after)) {
                        return Outcome.OVERLAP;
                    }
                    e.stream = after;
                } finally {
                    lock.unlock();
                }
                l.streamUpdated(before, after);
                return Outcome.APPLIED;
            }
            case MetaOp.DeleteStream d -> {
                Entry e;
                lock.lock();
                try {
                    TreeMap<String, Entry> streams = accounts.get(d.account());
                    e = streams == null ? null : streams.remove(d.name());
                    if (e == null) {
                        return Outcome.NOT_FOUND;
                    }
                    if (streams.isEmpty()) {
                        accounts.remove(d.account());
                    }
                } finally {
                    lock.unlock();
                }
                for (ConsumerAssignment c : e.consumers.values()) {
                    l.consumerRemoved(c);
                }
                l.streamRemoved(e.stream);
                return Outcome.APPLIED;
            }
            case MetaOp.AddConsumer a -> {
                ConsumerAssignment ca = a.consumer();
                lock.lock();
                try {
                    Entry e = entry(ca.account(), ca.stream());
                    if (e == null) {
                        return Outcome.NOT_FOUND;
                    }
                    ConsumerAssignment old = e.consumers.put(ca.name(), ca);
                    if (ca.equals(old)) {
                        return Outcome.UNCHANGED;
                    }
                } finally {
                    lock.unlock();
                }
                l.consumerAdded(ca);
                return Outcome.APPLIED;
            }
            case MetaOp.DeleteConsumer d -> {
                ConsumerAssignment old;
                lock.lock();
                try {
                    Entry e = entry(d.account(), d.stream());
                    old = e == null ? null : e.consumers.remove(d.name());
                    if (old == null) {
                        return Outcome.NOT_FOUND;
                    }
                } finally {
                    lock.unlock();
                }
                l.consumerRemoved(old);
                return Outcome.APPLIED;
            }
        }
    }

    private static boolean overlaps(Map<String, Entry> streams, StreamAssignment sa) {
        for (Entry other : streams.values()) {
            if (other.stream.name().equals(sa.name())) {
                continue;
            }
            for (String a : other.stream.subjects()) {
                for (String b : sa.subjects()) {
                    if (Subjects.tokensOverlap(a, b)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    private Entry entry(String account, String stream) {
        TreeMap<String, Entry> streams = accounts.get(account);
        return streams == null ? null : streams.get(stream);
    }

    // ------------------------------------------------------------------ reads

    public StreamAssignment stream(String account, String name) {
        lock.lock();
        try {
            Entry e = entry(account, name);
            return e == null ? null : e.stream;
        } finally {
            lock.unlock();
        }
    }

    /** The account's streams in name order. */
    public List<StreamAssignment> streams(String account) {
        lock.lock();
        try {
            TreeMap<String, Entry> streams = accounts.get(account);
            List<StreamAssignment> out = new ArrayList<>();
            if (streams != null) {
                streams.values().forEach(e -> out.add(e.stream));
            }
            return out;
        } finally {
            lock.unlock();
        }
    }

    /** Every stream, by account then name. */
    public List<StreamAssignment> allStreams() {
        lock.lock();
        try {
            List<StreamAssignment> out = new ArrayList<>();
            accounts.values().forEach(m -> m.values().forEach(e -> out.add(e.stream)));
            return out;
        } finally {
            lock.unlock();
        }
    }

    public ConsumerAssignment consumer(String account, String stream, String name) {
        lock.lock();
        try {
            Entry e = entry(account, stream);
            return e == null ? null : e.consumers.get(name);
        } finally {
            lock.unlock();
        }
    }

    /** The stream's consumers in name order (empty if the stream does not exist). */
    public List<ConsumerAssignment> consumers(String account, String stream) {
        lock.lock();
        try {
            Entry e = entry(account, stream);
            return e == null ? List.of() : List.copyOf(e.consumers.values());
        } finally {
            lock.unlock();
        }
    }

    /** Streams per peer, and replicated (R>1) streams per peer: what placement balances. */
    public Map<Long, int[]> load() {
        lock.lock();
        try {
            Map<Long, int[]> out = new TreeMap<>();
            for (TreeMap<String, Entry> m : accounts.values()) {
                for (Entry e : m.values()) {
                    boolean ha = e.stream.peers().size() > 1;
                    for (long p : e.stream.peers()) {
                        int[] c = out.computeIfAbsent(p, k -> new int[2]);
                        c[0]++;
                        if (ha) {
                            c[1]++;
                        }
                    }
                }
            }
            return out;
        } finally {
            lock.unlock();
        }
    }

    // ------------------------------------------------------------------ snapshots

    /** The whole state in {@link MetaCodec}'s snapshot encoding (identical state, identical bytes). */
    public byte[] snapshot() {
        lock.lock();
        try {
            List<MetaCodec.StreamWithConsumers> all = new ArrayList<>();
            for (TreeMap<String, Entry> m : accounts.values()) {
                for (Entry e : m.values()) {
                    all.add(new MetaCodec.StreamWithConsumers(e.stream, List.copyOf(e.consumers.values())));
                }
            }
            return MetaCodec.encodeSnapshot(all);
        } finally {
            lock.unlock();
        }
    }

    /** Replaces the whole state with a snapshot's (throws, changing nothing, if it does not decode). */
    public void restore(byte[] snapshot, Listener listener) {
        List<MetaCodec.StreamWithConsumers> all = MetaCodec.decodeSnapshot(snapshot);
        lock.lock();
        try {
            accounts.clear();
            for (MetaCodec.StreamWithConsumers s : all) {
                Entry e = new Entry(s.stream());
                for (ConsumerAssignment c : s.consumers()) {
                    e.consumers.put(c.name(), c);
                }
                accounts.computeIfAbsent(s.stream().account(), k -> new TreeMap<>()).put(s.stream().name(), e);
            }
        } finally {
            lock.unlock();
        }
        if (listener != null) {
            listener.restored(this);
        }
    }
}
