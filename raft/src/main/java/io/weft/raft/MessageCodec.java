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
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Binary form of a {@link Message}: a version byte, a type byte, the header (from, to, term as
 * varints), the type's fields, and a big-endian CRC32C of everything before it. Numbers are
 * unsigned LEB128 varints, byte strings are length-prefixed. {@link #decode} rejects a bad CRC,
 * an unknown version or type, a short message and trailing bytes.
 */
public final class MessageCodec {
    static final int VERSION = 1;

    private MessageCodec() {}

    public static byte[] encode(Message m) {
        ByteWriter w = new ByteWriter();
        w.u8(VERSION);
        w.u8(typeOf(m));
        w.varint(m.from());
        w.varint(m.to());
        w.varint(m.term());
        body(w, m);
        CRC32C crc = new CRC32C();
        crc.update(w.array(), 0, w.length());
        w.u32((int) crc.getValue());
        return w.toBytes();
    }

    public static Message decode(byte[] b) {
        if (b.length < 6) throw new CorruptMessageException("message of " + b.length + " bytes");
        int bodyEnd = b.length - 4;
        CRC32C crc = new CRC32C();
        crc.update(b, 0, bodyEnd);
        int want = ((b[bodyEnd] & 0xFF) << 24) | ((b[bodyEnd + 1] & 0xFF) << 16) | ((b[bodyEnd + 2] & 0xFF) << 8)
                | (b[bodyEnd + 3] & 0xFF);
        if ((int) crc.getValue() != want) throw new CorruptMessageException("message CRC32C mismatch");
        ByteReader r = new ByteReader(b, 0, bodyEnd);
        int version = r.u8();
        if (version != VERSION) throw new CorruptMessageException("message version " + version);
        int type = r.u8();
        long from = r.varint();
        long to = r.varint();
        long term = r.varint();
        Message m = readBody(r, type, from, to, term);
        r.expectEnd();
        return m;
    }

    private static int typeOf(Message m) {
        return switch (m) {
            case AppendEntries x -> 1;
            case AppendResp x -> 2;
            case Heartbeat x -> 3;
            case HeartbeatResp x -> 4;
            case RequestVote x -> 5;
            case VoteResp x -> 6;
            case InstallSnapshot x -> 7;
            case TimeoutNow x -> 8;
            case ReadIndexReq x -> 9;
            case ReadIndexResp x -> 10;
            case Probe x -> 11;
            case ProbeResp x -> 12;
        };
    }

    private static void body(ByteWriter w, Message m) {
        switch (m) {
            case AppendEntries a -> {
                w.varint(a.prevIndex());
                w.varint(a.prevTerm());
                w.varint(a.commit());
                w.varint(a.leaderLast());
                w.varint(a.entries().size());
                for (Entry e : a.entries()) entry(w, e);
            }
            case AppendResp a -> {
                w.varint(a.index());
                w.bool(a.reject());
                w.varint(a.hint());
                w.bool(a.repair());
            }
            case Heartbeat h -> {
                w.varint(h.commit());
                w.varint(h.readSeq());
            }
            case HeartbeatResp h -> w.varint(h.readSeq());
            case RequestVote v -> {
                w.varint(v.lastIndex());
                w.varint(v.lastTerm());
                w.bool(v.preVote());
                w.bool(v.transfer());
            }
            case VoteResp v -> {
                w.bool(v.preVote());
                w.bool(v.reject());
            }
            case InstallSnapshot s -> snapshot(w, s.snapshot());
            case TimeoutNow t -> { }
            case ReadIndexReq q -> w.bytes(q.ctx());
            case ReadIndexResp q -> {
                w.varint(q.index());
                w.bytes(q.ctx());
                w.bool(q.reject());
            }
            case Probe p -> { }
            case ProbeResp p -> {
                w.varint(p.lastIndex());
                w.varint(p.lastTerm());
            }
        }
    }

    private static Message readBody(ByteReader r, int type, long from, long to, long term) {
        return switch (type) {
            case 1 -> {
                long prevIndex = r.varint();
                long prevTerm = r.varint();
                long commit = r.varint();
                long leaderLast = r.varint();
                int n = r.count(4);
                List<Entry> entries = new ArrayList<>(n);
                for (int i = 0; i < n; i++) entries.add(readEntry(r));
                yield new AppendEntries(from, to, term, prevIndex, prevTerm, entries, commit, leaderLast);
            }
            case 2 -> new AppendResp(from, to, term, r.varint(), r.bool(), r.varint(), r.bool());
            case 3 -> new Heartbeat(from, to, term, r.varint(), r.varint());
            case 4 -> new HeartbeatResp(from, to, term, r.varint());
            case 5 -> new RequestVote(from, to, term, r.varint(), r.varint(), r.bool(), r.bool());
            case 6 -> new VoteResp(from, to, term, r.bool(), r.bool());
            case 7 -> new InstallSnapshot(from, to, term, readSnapshot(r));
            case 8 -> new TimeoutNow(from, to, term);
            case 9 -> new ReadIndexReq(from, to, term, r.bytes());
            case 10 -> new ReadIndexResp(from, to, term, r.varint(), r.bytes(), r.bool());
            case 11 -> new Probe(from, to, term);
            case 12 -> new ProbeResp(from, to, term, r.varint(), r.varint());
            default -> throw new CorruptMessageException("message type " + type);
        };
    }

    private static void entry(ByteWriter w, Entry e) {
        w.varint(e.term());
        w.varint(e.index());
        w.u8(e.kind().ordinal());
        w.bytes(e.data());
    }

    private static Entry readEntry(ByteReader r) {
        long term = r.varint();
        long index = r.varint();
        int kind = r.u8();
        if (kind >= Entry.Kind.values().length) throw new CorruptMessageException("entry kind " + kind);
        byte[] data = r.bytes();
        if (index < 1) throw new CorruptMessageException("entry index " + index);
        return new Entry(term, index, Entry.Kind.values()[kind], data);
    }

    private static void snapshot(ByteWriter w, Snapshot s) {
        w.varint(s.index());
        w.varint(s.term());
        ids(w, s.conf().voters());
        ids(w, s.conf().learners());
        ids(w, s.conf().votersOutgoing());
        w.bytes(s.data());
    }

    private static Snapshot readSnapshot(ByteReader r) {
        long index = r.varint();
        long term = r.varint();
        ConfState conf = new ConfState(readIds(r), readIds(r), readIds(r));
        return new Snapshot(index, term, conf, r.bytes());
    }

    private static void ids(ByteWriter w, List<Long> ids) {
        w.varint(ids.size());
        for (long id : ids) w.varint(id);
    }

    private static List<Long> readIds(ByteReader r) {
        int n = r.count(1);
        List<Long> ids = new ArrayList<>(n);
        for (int i = 0; i < n; i++) ids.add(r.varint());
        return ids;
    }
}
