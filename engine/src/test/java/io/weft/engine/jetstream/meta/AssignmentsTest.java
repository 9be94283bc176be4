package io.weft.engine.jetstream.meta;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The meta group's state machine: what each op does to the assignments (and what the log itself
 * refuses), the codec's round trip, and snapshots that restore an equal state byte for byte.
 */
class AssignmentsTest {
    static StreamAssignment stream(String account, String name, String subject, long... peers) {
        List<Long> p = new ArrayList<>();
        for (long x : peers) {
            p.add(x);
        }
        return new StreamAssignment(account, name, "{\"name\":\"" + name + "\",\"subjects\":[\"" + subject + "\"]}",
                List.of(subject), p, "S-R" + p.size() + "F-" + name, 1_700_000_000_000_000_000L + name.hashCode());
    }

    static ConsumerAssignment consumer(String account, String stream, String name, long... peers) {
        List<Long> p = new ArrayList<>();
        for (long x : peers) {
            p.add(x);
        }
        return new ConsumerAssignment(account, stream, name, "{\"durable_name\":\"" + name + "\"}", p, 42);
    }

    /** Records what the listener heard. */
    static final class Heard implements Assignments.Listener {
        final List<String> events = new ArrayList<>();

        @Override
        public void streamAdded(StreamAssignment sa) {
            events.add("+" + sa.account() + "/" + sa.name());
        }

        @Override
        public void streamUpdated(StreamAssignment before, StreamAssignment after) {
            events.add("~" + after.account() + "/" + after.name());
        }

        @Override
        public void streamRemoved(StreamAssignment sa) {
            events.add("-" + sa.account() + "/" + sa.name());
        }

        @Override
        public void consumerAdded(ConsumerAssignment ca) {
            events.add("+" + ca.stream() + "." + ca.name());
        }

        @Override
        public void consumerRemoved(ConsumerAssignment ca) {
            events.add("-" + ca.stream() + "." + ca.name());
        }

        @Override
        public void restored(Assignments now) {
            events.add("restored " + now.allStreams().size());
        }
    }

    @Test
    void opsChangeTheAssignmentsAndTheLogRefusesConflicts() {
        Assignments a = new Assignments();
        Heard h = new Heard();
        assertEquals(Assignments.Outcome.APPLIED, a.apply(new MetaOp.AddStream(stream("A", "S1", "s1.>", 7)), h));
        assertEquals(Assignments.Outcome.UNCHANGED, a.apply(new MetaOp.AddStream(stream("A", "S1", "s1.>", 7)), h),
                "the same create again changes nothing");
        assertEquals(Assignments.Outcome.EXISTS, a.apply(new MetaOp.AddStream(stream("A", "S1", "other", 7)), h),
                "the name is taken with another configuration");
        assertEquals(Assignments.Outcome.OVERLAP, a.apply(new MetaOp.AddStream(stream("A", "S2", "s1.x", 8)), h),
                "s1.x is captured by S1 already");
        assertEquals(Assignments.Outcome.APPLIED, a.apply(new MetaOp.AddStream(stream("B", "S2", "s1.x", 8)), h),
                "another account's subjects are its own");
        assertEquals(Assignments.Outcome.APPLIED, a.apply(new MetaOp.AddConsumer(consumer("A", "S1", "C1", 7)), h));
        assertEquals(Assignments.Outcome.NOT_FOUND, a.apply(new MetaOp.AddConsumer(consumer("A", "NOPE", "C1", 7)), h));

        StreamAssignment updated = stream("A", "S1", "s1.y", 9); // an update cannot move the stream
        assertEquals(Assignments.Outcome.APPLIED, a.apply(new MetaOp.UpdateStream(updated), h));
        StreamAssignment now = a.stream("A", "S1");
        assertEquals(List.of("s1.y"), now.subjects());
        assertEquals(List.of(7L), now.peers(), "peers stay the assignment's");
        assertEquals(Assignments.Outcome.NOT_FOUND, a.apply(new MetaOp.UpdateStream(stream("A", "S9", "z", 7)), h));
        assertEquals(2, a.load().get(7L)[0] + a.load().get(8L)[0]);

        assertEquals(Assignments.Outcome.APPLIED, a.apply(new MetaOp.DeleteStream("A", "S1"), h));
        assertNull(a.stream("A", "S1"));
        assertEquals(List.of(), a.consumers("A", "S1"), "a stream's consumers go with it");
        assertEquals(Assignments.Outcome.NOT_FOUND, a.apply(new MetaOp.DeleteStream("A", "S1"), h));
        assertEquals(Assignments.Outcome.NOT_FOUND, a.apply(new MetaOp.DeleteConsumer("B", "S2", "C"), h));
        assertEquals(List.of("+A/S1", "+B/S2", "+S1.C1", "~A/S1", "-S1.C1", "-A/S1"), h.events);
    }

    @Test
    void everyOpSurvivesTheCodec() {
        List<MetaOp> ops = List.of(
                new MetaOp.AddStream(stream("A", "S", "ü.>", 1, 2, 3)),
                new MetaOp.UpdateStream(stream("A", "S", "x", 3)),
                new MetaOp.DeleteStream("A", "S"),
                new MetaOp.AddConsumer(consumer("A", "S", "C", 2, 3)),
                new MetaOp.DeleteConsumer("A", "S", "C"),
                new MetaOp.SetPeers("A", "S", List.of(4L, 2L, 3L), null, null, 7),
                new MetaOp.SetPeers("A", "S", List.of(2L, 3L), "{\"num_replicas\":2}", List.of("x", "y"), 0),
                new MetaOp.SetPeers("A", "S", List.of(2L, 3L, 4L), "{\"num_replicas\":3}", List.of("x"), 1, "S-R3F-new"));
        for (MetaOp op : ops) {
            byte[] b = MetaCodec.encode(op);
            assertEquals(op, MetaCodec.decode(b));
            assertArrayEquals(b, MetaCodec.encode(MetaCodec.decode(b)), "one value, one encoding");
        }
        byte[] bad = MetaCodec.encode(ops.getFirst());
        bad[1] = 99;
        assertThrows(MetaCodec.DecodeException.class, () -> MetaCodec.decode(bad));
        byte[] cut = java.util.Arrays.copyOf(MetaCodec.encode(ops.getFirst()), 20);
        assertThrows(MetaCodec.DecodeException.class, () -> MetaCodec.decode(cut));
    }

    @Test
    void aSnapshotRestoresAnEqualState() {
        Assignments a = new Assignments();
        a.apply(new MetaOp.AddStream(stream("B", "Z", "z", 3)), null);
        a.apply(new MetaOp.AddStream(stream("A", "S", "s", 1, 2, 3)), null);
        a.apply(new MetaOp.AddStream(stream("A", "T", "t", 2)), null);
        a.apply(new MetaOp.AddConsumer(consumer("A", "S", "D", 1, 2, 3)), null);
        a.apply(new MetaOp.AddConsumer(consumer("A", "S", "C", 1, 2, 3)), null);
        byte[] snap = a.snapshot();

        Assignments b = new Assignments();
        b.apply(new MetaOp.AddStream(stream("Q", "OLD", "old", 9)), null);
        Heard h = new Heard();
        b.restore(snap, h);
        assertArrayEquals(snap, b.snapshot());
        assertNull(b.stream("Q", "OLD"), "a restore replaces the whole state");
        assertEquals(List.of("S", "T"), b.streams("A").stream().map(StreamAssignment::name).toList());
        assertEquals(List.of("C", "D"), b.consumers("A", "S").stream().map(ConsumerAssignment::name).toList());
        assertEquals(a.stream("A", "S"), b.stream("A", "S"));
        assertEquals(List.of("restored 3"), h.events);

        // the same state reached in another order encodes the same
        Assignments c = new Assignments();
        c.apply(new MetaOp.AddStream(stream("A", "T", "t", 2)), null);
        c.apply(new MetaOp.AddStream(stream("A", "S", "s", 1, 2, 3)), null);
        c.apply(new MetaOp.AddConsumer(consumer("A", "S", "C", 1, 2, 3)), null);
        c.apply(new MetaOp.AddStream(stream("B", "Z", "z", 3)), null);
        c.apply(new MetaOp.AddConsumer(consumer("A", "S", "D", 1, 2, 3)), null);
        assertArrayEquals(snap, c.snapshot());
    }

    @Test
    void aDamagedSnapshotIsRefusedAndChangesNothing() {
        Assignments a = new Assignments();
        a.apply(new MetaOp.AddStream(stream("A", "S", "s", 1)), null);
        byte[] snap = a.snapshot();
        snap[snap.length / 2] ^= 0x10;
        Assignments b = new Assignments();
        b.apply(new MetaOp.AddStream(stream("A", "KEEP", "k", 1)), null);
        assertThrows(MetaCodec.DecodeException.class, () -> b.restore(snap, null));
        assertNotNull(b.stream("A", "KEEP"), "a snapshot that does not check out deletes nothing");
        b.restore(new byte[0], null);
        assertEquals(List.of(), b.allStreams(), "the empty snapshot a fresh group starts from");
    }

    @Test
    void anUpdateBumpsTheRevisionAndTheSnapshotKeepsIt() {
        Assignments a = new Assignments();
        a.apply(new MetaOp.AddStream(stream("A", "S", "s", 1, 2, 3)), null);
        assertEquals(0, a.stream("A", "S").revision(), "a new stream is at revision 0");
        a.apply(new MetaOp.UpdateStream(stream("A", "S", "s2", 1, 2, 3)), null);
        assertEquals(1, a.stream("A", "S").revision());
        a.apply(new MetaOp.UpdateStream(stream("A", "S", "s2", 1, 2, 3)), null);
        assertEquals(1, a.stream("A", "S").revision(), "an update to the same configuration is no change");
        StreamAssignment claimed = new StreamAssignment("A", "S", stream("A", "S", "s3", 1).config(), List.of("s3"),
                List.of(1L, 2L, 3L), "S-R3F-S", 5, 40);
        a.apply(new MetaOp.UpdateStream(claimed), null);
        assertEquals(2, a.stream("A", "S").revision(), "the log counts, whatever revision the proposal carried");
        Assignments b = new Assignments();
        b.restore(a.snapshot(), null);
        assertEquals(2, b.stream("A", "S").revision());
        assertEquals(a.stream("A", "S"), b.stream("A", "S"));
        MetaOp op = new MetaOp.UpdateStream(a.stream("A", "S"));
        assertEquals(op, MetaCodec.decode(MetaCodec.encode(op)), "an entry carries the revision");
    }

    @Test
    void setPeersReplacesTheGroupAtTheNextRevisionOnlyIfNothingChangedMeanwhile() {
        Assignments a = new Assignments();
        Heard h = new Heard();
        a.apply(new MetaOp.AddStream(stream("A", "S", "s", 1, 2, 3)), h);
        a.apply(new MetaOp.AddStream(stream("A", "T", "t", 1)), h);
        assertEquals(Assignments.Outcome.STALE, a.apply(new MetaOp.SetPeers("A", "S", List.of(4L, 2L, 3L), null, null, 1), h),
                "decided against another revision");
        assertEquals(List.of(1L, 2L, 3L), a.stream("A", "S").peers());
        assertEquals(Assignments.Outcome.APPLIED, a.apply(new MetaOp.SetPeers("A", "S", List.of(4L, 2L, 3L), null, null, 0), h));
        StreamAssignment now = a.stream("A", "S");
        assertEquals(List.of(4L, 2L, 3L), now.peers());
        assertEquals(1, now.revision());
        assertEquals(List.of("s"), now.subjects(), "no configuration: the stream keeps its own");
        String scaled = stream("A", "S", "s", 4, 2).config();
        assertEquals(Assignments.Outcome.APPLIED, a.apply(new MetaOp.SetPeers("A", "S", List.of(4L, 2L), scaled,
                List.of("s", "s2"), 1), h));
        assertEquals(List.of(4L, 2L), a.stream("A", "S").peers());
        assertEquals(List.of("s", "s2"), a.stream("A", "S").subjects());
        assertEquals(2, a.stream("A", "S").revision());
        String group = a.stream("A", "S").group();
        assertEquals(group, now.group(), "no group name: the same Raft group");
        assertEquals(Assignments.Outcome.APPLIED, a.apply(new MetaOp.SetPeers("A", "T", List.of(5L, 6L, 7L), null, null, 0,
                "T-R3F-new"), h));
        assertEquals("T-R3F-new", a.stream("A", "T").group(), "scaling to or from R1: a new Raft group");
        assertEquals(Assignments.Outcome.OVERLAP, a.apply(new MetaOp.SetPeers("A", "S", List.of(4L), scaled,
                List.of("t"), 2), h), "subjects still may not overlap");
        assertEquals(Assignments.Outcome.NOT_FOUND, a.apply(new MetaOp.SetPeers("A", "X", List.of(4L), null, null, 0), h));
        assertEquals(List.of("+A/S", "+A/T", "~A/S", "~A/S", "~A/T"), h.events);
        Assignments b = new Assignments();
        b.restore(a.snapshot(), null);
        assertEquals(a.stream("A", "S"), b.stream("A", "S"), "the snapshot keeps the new group");
        assertEquals(1, a.load().get(4L)[1], "the new peer counts toward placement's load");
        assertNull(a.load().get(3L));
    }

    /** Entries and snapshots written before revisions (version 1, WMS1) still read, at revision 0. */
    @Test
    void entriesAndSnapshotsWithoutRevisionsStillRead() throws Exception {
        StreamAssignment sa = stream("A", "S", "s", 1, 2, 3);
        java.io.ByteArrayOutputStream e = new java.io.ByteArrayOutputStream();
        try (java.io.DataOutputStream out = new java.io.DataOutputStream(e)) {
            out.writeByte(1);
            out.writeByte(1);
            oldStream(out, sa);
        }
        assertEquals(new MetaOp.AddStream(sa), MetaCodec.decode(e.toByteArray()));

        java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
        try (java.io.DataOutputStream out = new java.io.DataOutputStream(body)) {
            out.writeInt(0x574D5331); // "WMS1"
            out.writeInt(1);
            oldStream(out, sa);
            out.writeInt(0);
        }
        byte[] b = body.toByteArray();
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(b);
        byte[] snap = java.util.Arrays.copyOf(b, b.length + 4);
        long c = crc.getValue();
        for (int i = 0; i < 4; i++) {
            snap[b.length + i] = (byte) (c >>> (24 - 8 * i));
        }
        Assignments a = new Assignments();
        a.restore(snap, null);
        assertEquals(sa, a.stream("A", "S"));
        assertEquals(0, a.stream("A", "S").revision());
        a.apply(new MetaOp.UpdateStream(stream("A", "S", "t", 1, 2, 3)), null);
        assertEquals(1, a.stream("A", "S").revision(), "an old stream counts its updates from there");
    }

    private static void oldStream(java.io.DataOutputStream out, StreamAssignment s) throws java.io.IOException {
        for (String x : List.of(s.account(), s.name(), s.config())) {
            oldStr(out, x);
        }
        out.writeInt(s.subjects().size());
        for (String x : s.subjects()) {
            oldStr(out, x);
        }
        out.writeInt(s.peers().size());
        for (long p : s.peers()) {
            out.writeLong(p);
        }
        oldStr(out, s.group());
        out.writeLong(s.createdNanos());
    }

    private static void oldStr(java.io.DataOutputStream out, String x) throws java.io.IOException {
        byte[] b = x.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }
}
