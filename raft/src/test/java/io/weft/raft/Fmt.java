package io.weft.raft;

import io.weft.raft.Message.AppendEntries;
import io.weft.raft.Message.AppendResp;
import io.weft.raft.Message.Heartbeat;
import io.weft.raft.Message.HeartbeatResp;
import io.weft.raft.Message.InstallSnapshot;
import io.weft.raft.Message.Probe;
import io.weft.raft.Message.ProbeResp;
import io.weft.raft.Message.ReadIndexReq;
import io.weft.raft.Message.ReadIndexResp;
import io.weft.raft.Message.RequestVote;
import io.weft.raft.Message.TimeoutNow;
import io.weft.raft.Message.VoteResp;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Collectors;

/** Compact one-line text of messages and entries, for the data-driven tests' expected output. */
final class Fmt {
    private Fmt() {}

    static String msg(Message m) {
        String head = m.from() + "->" + m.to() + " ";
        return head + switch (m) {
            case AppendEntries a -> "App t=" + a.term() + " prev=" + a.prevIndex() + "/" + a.prevTerm() + " commit="
                    + a.commit() + (a.entries().isEmpty() ? "" : " " + entries(a.entries()));
            case AppendResp r -> "AppResp t=" + r.term() + (r.repair() ? " REPAIR vouch=" + r.index() + " from=" + (r.hint() + 1)
                    : r.reject() ? " REJECT idx=" + r.index() + " hint=" + r.hint() : " idx=" + r.index());
            case Heartbeat h -> "Heartbeat t=" + h.term() + " commit=" + h.commit() + (h.readSeq() > 0 ? " read=" + h.readSeq() : "");
            case HeartbeatResp h -> "HeartbeatResp t=" + h.term() + (h.readSeq() > 0 ? " read=" + h.readSeq() : "");
            case RequestVote v -> (v.preVote() ? "PreVote" : "Vote") + " t=" + v.term() + " last=" + v.lastIndex() + "/"
                    + v.lastTerm() + (v.transfer() ? " transfer" : "");
            case VoteResp v -> (v.preVote() ? "PreVoteResp" : "VoteResp") + " t=" + v.term() + (v.reject() ? " REJECT" : " GRANT");
            case InstallSnapshot s -> "Snapshot t=" + s.term() + " index=" + s.snapshot().index() + "/" + s.snapshot().term()
                    + " voters=" + s.snapshot().conf().voters();
            case TimeoutNow t -> "TimeoutNow t=" + t.term();
            case Probe p -> "Probe t=" + p.term();
            case ProbeResp p -> "ProbeResp t=" + p.term() + " last=" + p.lastIndex() + "/" + p.lastTerm();
            case ReadIndexReq q -> "ReadIndex t=" + q.term() + " ctx=" + str(q.ctx());
            case ReadIndexResp q -> "ReadIndexResp t=" + q.term() + " index=" + q.index() + " ctx=" + str(q.ctx())
                    + (q.reject() ? " REJECT" : "");
        };
    }

    static String entries(List<Entry> es) {
        return "[" + es.stream().map(Fmt::entry).collect(Collectors.joining(" ")) + "]";
    }

    static String entry(Entry e) {
        String body = switch (e.kind()) {
            case EMPTY -> "EMPTY";
            case NORMAL -> "\"" + str(e.data()) + "\"";
            case CONF_CHANGE -> {
                ConfChange cc = ConfChange.decode(e.data());
                yield cc.type().name().toLowerCase().replace('_', '-') + "(" + cc.node() + ")";
            }
        };
        return e.index() + "@" + e.term() + " " + body;
    }

    static String str(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    static String conf(ConfState c) {
        return "voters=" + c.voters() + (c.learners().isEmpty() ? "" : " learners=" + c.learners());
    }
}
