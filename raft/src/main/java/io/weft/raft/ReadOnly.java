package io.weft.raft;

import java.util.ArrayList;
import java.util.List;

/**
 * The leader's pending read-index requests. Each gets a sequence number and the commit index at
 * the time it was asked; a heartbeat round carries the newest number, and once a quorum has
 * answered a heartbeat carrying {@code seq} or later, the leader was still leader after every
 * request up to {@code seq} arrived, so those can be served.
 */
final class ReadOnly {
    record Pending(long seq, long index, byte[] ctx, long from) {}

    private final List<Pending> pending = new ArrayList<>();
    private long seq;

    long add(long index, byte[] ctx, long from) {
        seq++;
        pending.add(new Pending(seq, index, ctx, from));
        return seq;
    }

    long lastSeq() {
        return seq;
    }

    boolean isEmpty() {
        return pending.isEmpty();
    }

    /** Removes and returns the requests confirmed by a quorum having acknowledged {@code confirmed}. */
    List<Pending> release(long confirmed) {
        List<Pending> out = new ArrayList<>();
        while (!pending.isEmpty() && pending.getFirst().seq() <= confirmed) out.add(pending.removeFirst());
        return out;
    }

    void clear() {
        pending.clear();
    }
}
