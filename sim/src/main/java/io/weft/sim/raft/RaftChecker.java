package io.weft.sim.raft;

import io.weft.raft.ConfChange;
import io.weft.raft.ConfState;
import io.weft.raft.Entry;
import io.weft.raft.Snapshot;
import io.weft.raft.driver.RaftDriver;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * Safety invariants checked as the replicas act (each check is O(1) per event): at most one leader
 * per term; every replica applies indexes in order without a gap (from its snapshot on); and every
 * replica applies at each index the same entry that the first replica to apply that index did
 * (state machine safety, which also proves committed entries are never lost or changed); and no
 * replica stops on a broken invariant of the library (e.g. a committed entry compacted before it
 * was applied), which its driver reports through {@link RaftDriver.Observer#failed}.
 */
final class RaftChecker implements RaftDriver.Observer {
    private final Consumer<String> fail;
    private final TreeMap<Long, Long> leaderOfTerm = new TreeMap<>();
    private final TreeMap<Long, Entry> committed = new TreeMap<>();
    private final TreeMap<Long, Long> lastApplied = new TreeMap<>();
    private final List<String> violations = new ArrayList<>();

    private ConfState conf;

    private final Consumer<String> note;

    RaftChecker(ConfState initial, Consumer<String> fail, Consumer<String> note) {
        this.conf = initial;
        this.note = note;
        this.fail = fail;
    }

    /** The membership after every committed conf change so far. */
    ConfState conf() {
        return conf;
    }

    /** Index last applied by replica {@code id} (0 before its first). */
    long lastApplied(long id) {
        return lastApplied.getOrDefault(id, 0L);
    }

    private void violation(String why) {
        if (violations.size() < 5) {
            violations.add(why);
            fail.accept(why);
        }
    }

    List<String> violations() {
        return List.copyOf(violations);
    }

    /** A replica (re)starts: it applies from its snapshot (reported through {@link #restored}) or from 1. */
    void started(long id) {
        lastApplied.put(id, 0L);
    }

    @Override
    public void becameLeader(long id, long term) {
        note.accept("r" + id + " leads term " + term);
        Long other = leaderOfTerm.putIfAbsent(term, id);
        if (other != null && other != id) violation("two leaders in term " + term + ": r" + other + " and r" + id);
    }

    @Override
    public void restored(long id, Snapshot s) {
        Entry e = committed.get(s.index());
        if (e != null && e.term() != s.term()) {
            violation("r" + id + " restored a snapshot at " + s.index() + " term " + s.term() + " but " + e + " was applied there");
        }
        lastApplied.put(id, s.index());
    }

    @Override
    public void applied(long id, Entry e) {
        long last = lastApplied.getOrDefault(id, 0L);
        if (e.index() != last + 1) violation("r" + id + " applied " + e + " after index " + last);
        lastApplied.put(id, e.index());
        Entry first = committed.putIfAbsent(e.index(), e);
        if (first == null && e.kind() == Entry.Kind.CONF_CHANGE) conf = ConfChange.decode(e.data()).applyTo(conf);
        if (first != null && !first.equals(e)) {
            violation("state machine safety: r" + id + " applied " + e + " at " + e.index() + " where " + first + " was applied");
        }
    }

    @Override
    public void failed(long id, RuntimeException error) {
        violation("r" + id + " stopped on a broken invariant: " + error);
    }

    /** The entry applied at {@code index}, if any replica applied one. */
    Entry committedAt(long index) {
        return committed.get(index);
    }

    long highestCommitted() {
        return committed.isEmpty() ? 0 : committed.lastKey();
    }
}
