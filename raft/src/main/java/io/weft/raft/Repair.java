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

    static void onAppend(RaftNode n, AppendEntries m) {
        RaftLog log = n.log();
        long d = log.firstHole();
        List<Entry> buf = n.repairBuffer(m.term());
        if (m.prevIndex() < log.firstIndex() - 1 || m.prevIndex() > d - 1 + buf.size()) {
            requestRepair(n, m.from());
            return;
        }
        if (termAt(log, buf, d, m.prevIndex()) != m.prevTerm()) {
            if (m.prevIndex() >= d) {
                buf.subList((int) (m.prevIndex() - d), buf.size()).clear();
                requestRepair(n, m.from());
            } else {
                long hint = hintBelow(log, m, d);
                n.send(new AppendResp(n.id(), m.from(), n.term(), hint, true, hint, true));
            }
            return;
        }
        for (int k = 0; k < m.entries().size(); k++) {
            Entry e = m.entries().get(k);
            if (e.index() < d) {
                if (log.term(e.index()) == e.term()) continue;
                // a conflict in the trusted part: ordinary Raft truncation, which also drops every hole
                buf.clear();
                n.truncateAndAppend(e.index(), m.entries().subList(k, m.entries().size()));
                long lastNew = m.prevIndex() + m.entries().size();
                n.commitTo(Math.min(m.commit(), lastNew));
                n.send(new AppendResp(n.id(), m.from(), n.term(), lastNew, false, 0, false));
                return;
            }
            int at = (int) (e.index() - d);
            if (at < buf.size()) {
                if (buf.get(at).term() == e.term()) continue;
                buf.subList(at, buf.size()).clear();
            }
            buf.add(e);
        }
        long v = d - 1 + buf.size();
        if (v < log.lastHole()) {
            requestRepair(n, m.from());
            return;
        }
        finish(n, log, buf, d);
        n.commitTo(Math.min(m.commit(), v));
        n.send(new AppendResp(n.id(), m.from(), n.term(), v, false, 0, false));
    }

    /** R6: rewrite the tail from the first hole: gathered entries, then our own valid ones if consistent. */
    private static void finish(RaftNode n, RaftLog log, List<Entry> buf, long d) {
        long v = d - 1 + buf.size();
        List<Entry> tail = new ArrayList<>(buf);
        long last = log.lastIndex();
        if (v < last && keepOwnTail(log, buf.isEmpty() ? log.term(v) : buf.getLast().term(), v)) {
            tail.addAll(log.storedRange(v + 1, last));
        }
        buf.clear();
        n.truncateAndAppend(d, tail);
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

    static void onSnapshot(RaftNode n, InstallSnapshot m) {
        RaftLog log = n.log();
        Snapshot s = m.snapshot();
        if (s.index() < log.lastHole()) {
            // the snapshot does not cover every hole: keep asking for entries (see README, R7)
            requestRepair(n, m.from());
            return;
        }
        List<Entry> tail = List.of();
        long last = log.lastIndex();
        if (last > s.index()) {
            boolean sameEntry = log.term(s.index()) == s.term();
            if (sameEntry || keepOwnTail(log, s.term(), s.index())) tail = log.storedRange(s.index() + 1, last);
        }
        n.repairBuffer(m.term()).clear();
        n.restore(s, tail);
        n.send(new AppendResp(n.id(), m.from(), n.term(), s.index(), false, 0, false));
    }

    static void requestRepair(RaftNode n, long leader) {
        RaftLog log = n.log();
        long d = log.firstHole();
        long v = d - 1 + n.repairBuffer(n.term()).size();
        n.send(new AppendResp(n.id(), leader, n.term(), d - 1, true, v, true));
    }

    private static long termAt(RaftLog log, List<Entry> buf, long d, long i) {
        if (i < d) return log.term(i);
        int at = (int) (i - d);
        return at < buf.size() ? buf.get(at).term() : RaftLog.UNKNOWN;
    }

    /** A mismatch below the first hole: ask the leader to probe lower, never claiming anything past d-1. */
    private static long hintBelow(RaftLog log, AppendEntries m, long d) {
        long i = Math.min(m.prevIndex(), d - 1);
        while (i > log.committed && i > log.firstIndex() - 1) {
            long t = log.term(i);
            if (t != RaftLog.UNKNOWN && t <= m.prevTerm()) break;
            i--;
        }
        return Math.min(i, d - 1);
    }
}
