package io.weft.raft;

import java.util.Arrays;

/**
 * One entry of the replicated log. {@code index} starts at 1; {@code term} is the leader's term when
 * it was appended. {@code data} is opaque to Raft for {@link Kind#NORMAL} entries, an encoded
 * {@code ConfChange} for {@link Kind#CONF_CHANGE}, and empty for the {@link Kind#EMPTY} entry a new
 * leader appends to commit its term.
 */
public record Entry(long term, long index, Kind kind, byte[] data) {
    public enum Kind { NORMAL, CONF_CHANGE, EMPTY }

    public Entry {
        if (index < 1 || term < 0) throw new IllegalArgumentException("entry index " + index + " term " + term);
        data = data == null ? new byte[0] : data;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Entry e && e.term == term && e.index == index && e.kind == kind && Arrays.equals(e.data, data);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(index) * 31 + Long.hashCode(term);
    }

    @Override
    public String toString() {
        return index + "@" + term + (kind == Kind.NORMAL ? "" : "/" + kind) + "(" + data.length + "B)";
    }
}
