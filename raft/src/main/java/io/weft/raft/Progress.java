package io.weft.raft;

import java.util.ArrayDeque;

/**
 * The leader's view of one follower: the highest index known replicated ({@code match}), the
 * next index to send, and the sending state. PROBE sends one message at a time until the
 * follower's position is known; REPLICATE streams optimistically, bounded by the in-flight
 * window; SNAPSHOT waits for an InstallSnapshot to be answered (or to time out).
 */
final class Progress {
    enum State { PROBE, REPLICATE, SNAPSHOT }

    private record Flight(long lastIndex, long bytes) {}

    long match;
    long next;
    State state = State.PROBE;
    boolean probeSent;
    boolean recentActive;
    long pendingSnapshot;
    int snapshotTicks;
    long readAck;
    /** The follower answered the index-0 snapshot that carries the membership the log starts from. */
    boolean baseAcked;
    private final ArrayDeque<Flight> inflight = new ArrayDeque<>();
    private long inflightBytes;

    Progress(long next) {
        this.next = next;
    }

    void becomeProbe() {
        if (state == State.SNAPSHOT) next = Math.max(match + 1, pendingSnapshot + 1);
        else next = match + 1;
        state = State.PROBE;
        resetFlow();
    }

    void becomeReplicate() {
        state = State.REPLICATE;
        next = match + 1;
        resetFlow();
    }

    void becomeSnapshot(long snapIndex) {
        state = State.SNAPSHOT;
        pendingSnapshot = snapIndex;
        snapshotTicks = 0;
        resetFlow();
    }

    private void resetFlow() {
        probeSent = false;
        inflight.clear();
        inflightBytes = 0;
    }

    /** An accepting response for {@code index}: true if it moved match forward. */
    boolean maybeUpdate(long index) {
        boolean updated = false;
        if (match < index) {
            match = index;
            updated = true;
            probeSent = false;
        }
        next = Math.max(next, index + 1);
        return updated;
    }

    /** A rejection of {@code rejected} with the follower's {@code hint}: false if the rejection is stale. */
    boolean maybeDecrTo(long rejected, long hint) {
        if (hint < match && rejected >= match) {
            // the follower no longer holds entries it acknowledged (damage at rest to an acknowledged
            // tail that recovery could only take for a torn write): probe again from what it has
            match = hint;
            next = hint + 1;
            probeSent = false;
            return true;
        }
        if (state == State.REPLICATE) {
            if (rejected <= match) return false;
            next = Math.max(match + 1, Math.min(rejected, hint + 1));
            return true;
        }
        if (next - 1 != rejected) return false;
        next = Math.max(1, Math.min(rejected, hint + 1));
        if (next <= match) next = match + 1;
        probeSent = false;
        return true;
    }

    /** A repair response: the follower vouches only for {@code vouched} and wants entries from {@code from}. */
    void repair(long vouched, long from) {
        match = Math.min(match, vouched);
        state = State.PROBE;
        resetFlow();
        next = Math.max(1, from);
    }

    boolean paused(int maxMsgs, long maxBytes) {
        return switch (state) {
            case PROBE -> probeSent;
            case REPLICATE -> inflight.size() >= maxMsgs || inflightBytes >= maxBytes;
            case SNAPSHOT -> true;
        };
    }

    void sent(long lastIndex, long bytes, boolean hasEntries) {
        switch (state) {
            case REPLICATE -> {
                if (hasEntries) {
                    next = lastIndex + 1;
                    inflight.add(new Flight(lastIndex, bytes));
                    inflightBytes += bytes;
                }
            }
            case PROBE -> probeSent = true;
            case SNAPSHOT -> { }
        }
    }

    void freeUpTo(long index) {
        while (!inflight.isEmpty() && inflight.peekFirst().lastIndex() <= index) {
            inflightBytes -= inflight.pollFirst().bytes();
        }
    }

    void freeFirst() {
        if (!inflight.isEmpty()) inflightBytes -= inflight.pollFirst().bytes();
    }

    boolean inflightFull(int maxMsgs, long maxBytes) {
        return inflight.size() >= maxMsgs || inflightBytes >= maxBytes;
    }

    int inflightCount() {
        return inflight.size();
    }

    @Override
    public String toString() {
        return state + " match=" + match + " next=" + next + (inflight.isEmpty() ? "" : " inflight=" + inflight.size());
    }
}
