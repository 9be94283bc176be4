package io.weft.raft;

import io.weft.raft.Message.AppendEntries;
import io.weft.raft.Message.AppendResp;
import io.weft.raft.Message.InstallSnapshot;
import java.util.ArrayList;
import java.util.List;

/**
 * A damaged follower's side of protocol-aware recovery (README, rules R4..R7). Its log is
 * trusted below the first hole {@code d}. The leader's entries from {@code d} are gathered in
 * memory, checked against the leader's prevIndex/prevTerm, until they cover the last hole; then
 * the whole tail from {@code d} is rewritten in one Ready: the leader's entries, followed by the
 * replica's own valid entries after them (R6), and the replica is healthy again. Until then it
 * answers every append and heartbeat with a repair response: "I vouch for {@code d-1}, send from
 * {@code v+1}" ({@code v}: the end of what it has gathered), which the leader takes as a lower
 * match and a probe position (R4: it never claims a match over a hole).
 */
final class Repair {
    private Repair() {}

    /** What a damaged replica has gathered from the current leader: an optional snapshot, then entries. */
    static final class State {
        long term = -1;
        Snapshot base;
        final List<Entry> buf = new ArrayList<>();

        void reset(long t) {
            term = t;
            base = null;
            buf.clear();
        }

        /** First index the buffer holds (the first hole, or after the base snapshot). */
        long start(RaftLog log) {
            return base != null ? base.index() + 1 : log.firstHole();
        }

        /** End of the verified range: everything up to it is the leader's (or our trusted prefix). */
        long verified(RaftLog log) {
            return start(log) - 1 + buf.size();
        }

        long termAt(RaftLog log, long i) {
            long st = start(log);
            if (i >= st) {
                int at = (int) (i - st);
                return at < buf.size() ? buf.get(at).term() : RaftLog.UNKNOWN;
            }
            if (base != null) return i == base.index() ? base.term() : RaftLog.UNKNOWN;
            return log.term(i);
        }
    }

    /**
     * R5: entries past the leader's last index whose term is below the leader's term are in no
     * log the leader will ever have (it appends only entries of its own term past its end), and
     * the leader holds every committed entry, so they were never committed: drop them, holes
     * included. If our last valid entry has the leader's term it may be this leader's own (a
     * reordered older message says less than a newer one did), so nothing is dropped.
     */
    static void dropBeyondLeader(RaftNode n, AppendEntries m) {
        RaftLog log = n.log();
        long last = log.lastIndex();
        long lastTerm = log.lastTerm();
        if (m.leaderLast() >= log.lastHole() || lastTerm == RaftLog.UNKNOWN || lastTerm >= m.term()) return;
        if (m.leaderLast() < log.committed || m.leaderLast() >= last) return;
        n.truncateAndAppend(m.leaderLast() + 1, List.of());
        n.repair(m.term()).reset(m.term());
    }

    static void onAppend(RaftNode n, AppendEntries m) {
        RaftLog log = n.log();
        State st = n.repair(m.term());
        long d = log.firstHole();
        long start = st.start(log);
        if (m.prevIndex() < log.firstIndex() - 1 || m.prevIndex() > st.verified(log)
                || (st.base != null && m.prevIndex() < st.base.index())) {
            requestRepair(n, m.from());
            return;
        }
        if (st.termAt(log, m.prevIndex()) != m.prevTerm()) {
            if (m.prevIndex() >= start || st.base != null) {
                if (m.prevIndex() >= start) st.buf.subList((int) (m.prevIndex() - start), st.buf.size()).clear();
                requestRepair(n, m.from());
            } else {
                // our entry at prevIndex is not the leader's: neither it nor anything after it
                // (holes included) was ever committed, so drop them all and answer as usual
                st.reset(m.term());
                long hint = hintBelow(log, m, d);
                n.truncateAndAppend(m.prevIndex(), List.of());
                n.send(new AppendResp(n.id(), m.from(), n.term(), m.prevIndex(), true, hint, false));
            }
            return;
        }
        for (int k = 0; k < m.entries().size(); k++) {
            Entry e = m.entries().get(k);
            if (e.index() < start) {
                if (st.base != null || log.term(e.index()) == e.term()) continue;
                // a conflict in the trusted part: ordinary Raft truncation, which also drops every hole
                st.reset(m.term());
                n.truncateAndAppend(e.index(), m.entries().subList(k, m.entries().size()));
                long lastNew = m.prevIndex() + m.entries().size();
                n.commitTo(Math.min(m.commit(), lastNew));
                n.send(new AppendResp(n.id(), m.from(), n.term(), lastNew, false, 0, false));
                return;
            }
            int at = (int) (e.index() - start);
            if (at < st.buf.size()) {
                if (st.buf.get(at).term() == e.term()) continue;
                st.buf.subList(at, st.buf.size()).clear();
            }
            st.buf.add(e);
        }
        long v = st.verified(log);
        if (v < log.lastHole()) {
            requestRepair(n, m.from());
            return;
        }
        finish(n, log, st);
        n.commitTo(Math.min(m.commit(), v));
        n.send(new AppendResp(n.id(), m.from(), n.term(), v, false, 0, false));
    }

    /** R6: rewrite the tail from the first hole: gathered entries, then our own valid ones if consistent. */
    private static void finish(RaftNode n, RaftLog log, State st) {
        long v = st.verified(log);
        List<Entry> tail = new ArrayList<>(st.buf);
        long last = log.lastIndex();
        if (v < last && keepOwnTail(log, st.termAt(log, v), v)) tail.addAll(log.storedRange(v + 1, last));
        Snapshot base = st.base;
        long from = st.start(log);
        st.reset(st.term);
        n.markAtomicRewrite();
        if (base != null) n.restore(base, tail);
        else n.truncateAndAppend(from, tail);
    }

    /**
     * Our entry after the repaired range is kept only if its term is at least the leader's term at
     * {@code v}: a lower term proves it was never committed (a leader's log has non-decreasing
     * terms and holds every committed entry), so dropping it is ordinary Raft truncation.
     */
    private static boolean keepOwnTail(RaftLog log, long termAtV, long v) {
        long next = log.term(v + 1);
        return next != RaftLog.UNKNOWN && next >= termAtV;
    }

    /**
     * R7: a snapshot from the leader covers every hole at or below its index. If it covers them
     * all, install it with our valid tail after it; otherwise it becomes the base of what we gather.
     */
    static void onSnapshot(RaftNode n, InstallSnapshot m) {
        RaftLog log = n.log();
        Snapshot s = m.snapshot();
        State st = n.repair(m.term());
        if (s.index() == 0) {
            // the membership the log starts from, sent before index 1: matching nothing is trivially true
            n.send(new AppendResp(n.id(), m.from(), n.term(), 0, false, 0, false));
            return;
        }
        if (s.index() < st.start(log) - 1) {
            boolean conflict = s.index() < log.firstHole() && s.index() > log.committed && !log.matchTerm(s.index(), s.term());
            if (conflict) {
                // our entry at s.index is not the leader's, so neither it nor anything after it
                // (holes included) was committed: ordinary snapshot install
                st.reset(m.term());
                n.restore(s, List.of());
                n.send(new AppendResp(n.id(), m.from(), n.term(), s.index(), false, 0, false));
            } else {
                requestRepair(n, m.from());
            }
            return;
        }
        st.reset(m.term());
        st.base = s;
        if (s.index() < log.lastHole()) {
            requestRepair(n, m.from());
            return;
        }
        finish(n, log, st);
        n.send(new AppendResp(n.id(), m.from(), n.term(), s.index(), false, 0, false));
    }

    static void requestRepair(RaftNode n, long leader) {
        RaftLog log = n.log();
        long d = log.firstHole();
        long v = n.repair(n.term()).verified(log);
        n.send(new AppendResp(n.id(), leader, n.term(), d - 1, true, v, true));
    }

    /** A mismatch below the first hole: ask the leader to probe lower, never claiming anything past d-1. */
    private static long hintBelow(RaftLog log, AppendEntries m, long d) {
        long i = Math.min(m.prevIndex() - 1, d - 1);
        while (i > log.committed && i > log.firstIndex() - 1) {
            long t = log.term(i);
            if (t != RaftLog.UNKNOWN && t <= m.prevTerm()) break;
            i--;
        }
        return Math.min(i, d - 1);
    }
}
