package io.weft.raft;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * A single-server membership change, carried in a {@link Entry.Kind#CONF_CHANGE} entry. It takes
 * effect on every replica as soon as the entry is in its log (thesis §4.1); a leader appends one
 * only when the previous one is committed and it has committed an entry of its own term.
 * Applying one is idempotent: it sets the status of {@code node}.
 */
public record ConfChange(Type type, long node) {
    public enum Type { ADD_VOTER, ADD_LEARNER, REMOVE }

    public ConfChange {
        if (node <= 0) throw new IllegalArgumentException("conf change node " + node);
    }

    public ConfState applyTo(ConfState conf) {
        TreeSet<Long> voters = new TreeSet<>(conf.voters());
        TreeSet<Long> learners = new TreeSet<>(conf.learners());
        voters.remove(node);
        learners.remove(node);
        switch (type) {
            case ADD_VOTER -> voters.add(node);
            case ADD_LEARNER -> learners.add(node);
            case REMOVE -> { }
        }
        return new ConfState(new ArrayList<>(voters), new ArrayList<>(learners), conf.votersOutgoing());
    }

    public byte[] encode() {
        ByteWriter w = new ByteWriter();
        w.u8(type.ordinal());
        w.varint(node);
        return w.toBytes();
    }

    public static ConfChange decode(byte[] data) {
        ByteReader r = new ByteReader(data, 0, data.length);
        int t = r.u8();
        if (t >= Type.values().length) throw new CorruptMessageException("conf change type " + t);
        ConfChange cc = new ConfChange(Type.values()[t], r.varint());
        r.expectEnd();
        return cc;
    }

    static List<Long> sorted(List<Long> ids) {
        return new ArrayList<>(new TreeSet<>(ids));
    }
}
