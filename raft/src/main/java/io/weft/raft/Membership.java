package io.weft.raft;

import java.util.Map;
import java.util.TreeMap;

/**
 * The configuration in force on this replica: the latest conf-change entry in its log (changes
 * take effect on append, thesis §4.1), over the snapshot's configuration. Truncating the log
 * drops the changes it removes; compaction folds them into the base.
 */
final class Membership {
    private ConfState base;
    private long baseIndex;
    private final TreeMap<Long, ConfState> changes = new TreeMap<>();

    Membership(ConfState base, long baseIndex) {
        this.base = base;
        this.baseIndex = baseIndex;
    }

    ConfState current() {
        return changes.isEmpty() ? base : changes.lastEntry().getValue();
    }

    /** Index of the latest conf change in the log (the snapshot's index if none). */
    long lastChangeIndex() {
        return changes.isEmpty() ? baseIndex : changes.lastKey();
    }

    ConfState at(long index) {
        Map.Entry<Long, ConfState> e = changes.floorEntry(index);
        return e == null ? base : e.getValue();
    }

    void onAppend(Entry e) {
        if (e.kind() != Entry.Kind.CONF_CHANGE) return;
        ConfChange cc;
        try {
            cc = ConfChange.decode(e.data());
        } catch (CorruptMessageException bad) {
            return;
        }
        changes.put(e.index(), cc.applyTo(at(e.index() - 1)));
    }

    void truncateFrom(long index) {
        changes.tailMap(index, true).clear();
    }

    void compactTo(long index) {
        base = at(index);
        baseIndex = Math.max(baseIndex, index);
        changes.headMap(index, true).clear();
    }

    void restore(ConfState conf, long index) {
        base = conf;
        baseIndex = index;
        changes.clear();
    }

    static boolean isVoter(ConfState c, long id) {
        return c.voters().contains(id) || c.votersOutgoing().contains(id);
    }

    static boolean isMember(ConfState c, long id) {
        return isVoter(c, id) || c.learners().contains(id);
    }
}
