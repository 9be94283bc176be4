package io.weft.raft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

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
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class MessageCodecTest {
    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static List<Message> samples() {
        List<Entry> entries = List.of(new Entry(3, 7, Entry.Kind.EMPTY, new byte[0]), new Entry(3, 8, Entry.Kind.NORMAL, b("hello")),
                new Entry(4, 9, Entry.Kind.CONF_CHANGE, new ConfChange(ConfChange.Type.ADD_LEARNER, 300).encode()));
        Snapshot snap = new Snapshot(1L << 40, 17, new ConfState(List.of(1L, 2L, 3L), List.of(9L), List.of(4L)), b("state"));
        return List.of(
                new AppendEntries(1, 2, 5, 6, 3, entries, 5, 9),
                new AppendEntries(1, 2, 5, 0, 0, List.of(), 0, 0),
                new AppendResp(2, 1, 5, 9, false, 0, false),
                new AppendResp(2, 1, 5, 6, true, 4, true),
                new Heartbeat(1, 3, Long.MAX_VALUE, 12, 44),
                new HeartbeatResp(3, 1, 5, 44),
                new RequestVote(2, 3, 6, 9, 4, true, false),
                new RequestVote(2, 3, 6, 9, 4, false, true),
                new VoteResp(3, 2, 6, true, true),
                new InstallSnapshot(1, 2, 5, snap),
                new TimeoutNow(1, 2, 5),
                new ReadIndexReq(2, 1, 5, b("ctx")),
                new ReadIndexResp(1, 2, 5, 12, new byte[0], true),
                new Probe(1, 3, 7),
                new ProbeResp(3, 1, 9, 1L << 35, 8),
                new ProbeResp(3, 1, 0, 0, 0));
    }

    @Test
    void everyMessageTypeRoundTrips() {
        for (Message m : samples()) {
            Message back = MessageCodec.decode(MessageCodec.encode(m));
            assertEquals(m.getClass(), back.getClass());
            assertSame(m, back);
        }
    }

    /** Records holding byte arrays compare by identity, so compare field by field. */
    private static void assertSame(Message want, Message got) {
        switch (want) {
            case InstallSnapshot s -> {
                Snapshot g = ((InstallSnapshot) got).snapshot();
                assertEquals(s.snapshot().index(), g.index());
                assertEquals(s.snapshot().term(), g.term());
                assertEquals(s.snapshot().conf(), g.conf());
                assertArrayEquals(s.snapshot().data(), g.data());
                assertEquals(List.of(s.from(), s.to(), s.term()), List.of(got.from(), got.to(), got.term()));
            }
            case ReadIndexReq q -> {
                ReadIndexReq g = (ReadIndexReq) got;
                assertArrayEquals(q.ctx(), g.ctx());
                assertEquals(List.of(q.from(), q.to(), q.term()), List.of(g.from(), g.to(), g.term()));
            }
            case ReadIndexResp q -> {
                ReadIndexResp g = (ReadIndexResp) got;
                assertArrayEquals(q.ctx(), g.ctx());
                assertEquals(List.of(q.from(), q.to(), q.term(), q.index()), List.of(g.from(), g.to(), g.term(), g.index()));
                assertEquals(q.reject(), g.reject());
            }
            default -> assertEquals(want, got);
        }
    }

    @Test
    void everyFlippedBitIsDetected() {
        for (Message m : samples()) {
            byte[] wire = MessageCodec.encode(m);
            for (int bit = 0; bit < wire.length * 8; bit++) {
                byte[] bad = wire.clone();
                bad[bit / 8] ^= (byte) (1 << (bit % 8));
                assertThrows(CorruptMessageException.class, () -> MessageCodec.decode(bad), m + " bit " + bit);
            }
        }
    }

    @Test
    void truncatedAndExtendedMessagesAreRejected() {
        for (Message m : samples()) {
            byte[] wire = MessageCodec.encode(m);
            for (int len = 0; len < wire.length; len++) {
                byte[] cut = Arrays.copyOf(wire, len);
                assertThrows(CorruptMessageException.class, () -> MessageCodec.decode(cut), m + " cut to " + len);
            }
            byte[] longer = Arrays.copyOf(wire, wire.length + 1);
            assertThrows(CorruptMessageException.class, () -> MessageCodec.decode(longer));
        }
    }

    @Test
    void confChangeRoundTripsAndRejectsGarbage() {
        for (ConfChange.Type t : ConfChange.Type.values()) {
            ConfChange cc = new ConfChange(t, 123456789L);
            assertEquals(cc, ConfChange.decode(cc.encode()));
        }
        assertThrows(CorruptMessageException.class, () -> ConfChange.decode(new byte[] {9, 1}));
        assertThrows(CorruptMessageException.class, () -> ConfChange.decode(new byte[] {0}));
    }

    @Test
    void compact() {
        byte[] hb = MessageCodec.encode(new Heartbeat(1, 2, 5, 10, 0));
        assertEquals(11, hb.length, "version, type, 5 one-byte varints, CRC32C");
    }
}
