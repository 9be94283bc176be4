package io.weft.engine.jetstream.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.weft.engine.jetstream.StreamOp;
import io.weft.engine.jetstream.StreamReplica;
import io.weft.store.StoredMessage;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Every entry kind and a snapshot round-trip; every bit flip, truncation, extension and unknown version is refused. */
class StreamOpCodecTest {
    private static final StreamOp.Limits LIMITS = new StreamOp.Limits(3, -1, 1L << 40, true);

    static List<StreamOpCodec.Entry> samples() {
        byte[] hdr = "NATS/1.0\r\nNats-Msg-Id: a\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        return List.of(
                new StreamOpCodec.Entry(7, (3L << 32) | 1, 0, null),
                new StreamOpCodec.Entry(7, 9, 1, new StreamOp.Append(42, 1_700_000_000_123_456_789L, "orders.eu", hdr,
                        "payload".getBytes(StandardCharsets.UTF_8), "a", 120_000_000_000L, StreamOp.Rollup.SUBJECT, LIMITS,
                        true, -1)),
                new StreamOpCodec.Entry(1, 1, 2, new StreamOp.Append(1, 5, "x", new byte[0], new byte[0], "", 0,
                        StreamOp.Rollup.NONE, new StreamOp.Limits(0, 0, 0, false), false, 0)),
                new StreamOpCodec.Entry(2, 3, 4, new StreamOp.SkipTo(1000)),
                new StreamOpCodec.Entry(2, 3, 5, new StreamOp.Purge(null, 0, 0)),
                new StreamOpCodec.Entry(2, 3, 6, new StreamOp.Purge("a.>", 99, 2)),
                new StreamOpCodec.Entry(2, 3, 7, new StreamOp.Delete(17, true)),
                new StreamOpCodec.Entry(2, 3, 8, new StreamOp.Trim(LIMITS)),
                new StreamOpCodec.Entry(2, 3, 9, new StreamOp.ConsumerPut("work", "{\"created\":1}".getBytes(StandardCharsets.UTF_8),
                        new byte[] {0, 1, 2, (byte) 0xFF})),
                new StreamOpCodec.Entry(2, 3, 10, new StreamOp.ConsumerState("work", new byte[] {9, 8})),
                new StreamOpCodec.Entry(2, 3, 11, new StreamOp.ConsumerDelete("work")),
                new StreamOpCodec.Entry(2, 3, 12, new StreamOp.Batch("batch-1", List.of(
                        new StreamOp.Append(43, 1_700_000_000_123_456_790L, "orders.eu", hdr, "one".getBytes(StandardCharsets.UTF_8),
                                "a", 120_000_000_000L, StreamOp.Rollup.ALL, LIMITS, false, 5_000_000_000L),
                        new StreamOp.Append(44, 1_700_000_000_123_456_791L, "orders.us", new byte[0], new byte[0], "",
                                120_000_000_000L, StreamOp.Rollup.NONE, LIMITS, true, -1)))),
                new StreamOpCodec.Entry(2, 3, 13, new StreamOp.Config(4, updated())));
    }

    /** A configuration with most fields away from their defaults, as an update leaves one. */
    static io.weft.engine.jetstream.StreamConfig updated() {
        try {
            return io.weft.engine.jetstream.StreamConfig.parse(new com.fasterxml.jackson.databind.ObjectMapper().readTree(
                    "{\"name\":\"ORDERS\",\"description\":\"after the update\",\"subjects\":[\"orders.>\",\"more.*\"],"
                            + "\"num_replicas\":3,\"max_msgs\":10,\"max_bytes\":4096,\"max_age\":60000000000,"
                            + "\"max_msgs_per_subject\":2,\"discard\":\"new\",\"duplicate_window\":30000000000,"
                            + "\"allow_direct\":true,\"allow_rollup_hdrs\":true,\"metadata\":{\"k\":\"v\"}}")).withDefaults();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static void sameAppend(StreamOp.Append a, StreamOp.Append b) {
        assertEquals(List.of(a.seq(), a.ts(), a.duplicateWindow(), a.ttl()), List.of(b.seq(), b.ts(), b.duplicateWindow(), b.ttl()));
        assertEquals(List.of(a.subject(), a.msgId(), a.rollup(), a.limits(), a.noInterest()),
                List.of(b.subject(), b.msgId(), b.rollup(), b.limits(), b.noInterest()));
        assertArrayEquals(a.headers(), b.headers());
        assertArrayEquals(a.data(), b.data());
    }

    @Test
    void everyKindRoundTrips() {
        for (StreamOpCodec.Entry e : samples()) {
            StreamOpCodec.Entry back = StreamOpCodec.decode(StreamOpCodec.encode(e));
            assertEquals(e.term(), back.term());
            assertEquals(e.epoch(), back.epoch());
            assertEquals(e.n(), back.n());
            if (e.op() == null) {
                assertNull(back.op());
            } else if (e.op() instanceof StreamOp.Batch batch) {
                StreamOp.Batch b = (StreamOp.Batch) back.op();
                assertEquals(batch.id(), b.id());
                assertEquals(batch.appends().size(), b.appends().size());
                for (int i = 0; i < batch.appends().size(); i++) {
                    sameAppend(batch.appends().get(i), b.appends().get(i));
                }
            } else if (e.op() instanceof StreamOp.Append a) {
                sameAppend(a, (StreamOp.Append) back.op());
            } else if (e.op() instanceof StreamOp.ConsumerPut c) {
                StreamOp.ConsumerPut b = (StreamOp.ConsumerPut) back.op();
                assertEquals(c.name(), b.name());
                assertArrayEquals(c.meta(), b.meta());
                assertArrayEquals(c.state(), b.state());
            } else if (e.op() instanceof StreamOp.ConsumerState c) {
                StreamOp.ConsumerState b = (StreamOp.ConsumerState) back.op();
                assertEquals(c.name(), b.name());
                assertArrayEquals(c.state(), b.state());
            } else {
                assertEquals(e.op(), back.op());
            }
        }
    }

    @Test
    void aBarrierIsCompact() {
        // version, kind, three varints, CRC
        assertEquals(2 + 1 + 1 + 1 + 4, StreamOpCodec.encode(new StreamOpCodec.Entry(1, 1, 0, null)).length);
    }

    @Test
    void damageIsRefused() {
        for (StreamOpCodec.Entry e : samples()) {
            byte[] b = StreamOpCodec.encode(e);
            for (int bit = 0; bit < b.length * 8; bit++) {
                byte[] c = b.clone();
                c[bit / 8] ^= (byte) (1 << (bit % 8));
                assertThrows(StreamOpCodec.CorruptEntryException.class, () -> StreamOpCodec.decode(c), "bit " + bit);
            }
            for (int len = 0; len < b.length; len++) {
                byte[] c = Arrays.copyOf(b, len);
                assertThrows(StreamOpCodec.CorruptEntryException.class, () -> StreamOpCodec.decode(c), "cut to " + len);
            }
            byte[] longer = Arrays.copyOf(b, b.length + 1);
            assertThrows(StreamOpCodec.CorruptEntryException.class, () -> StreamOpCodec.decode(longer));
        }
    }

    @Test
    void anotherVersionIsRefusedEvenWithAGoodCrc() {
        byte[] b = StreamOpCodec.encode(samples().get(3));
        b[0] = 2;
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(b, 0, b.length - 4);
        long c = crc.getValue();
        b[b.length - 4] = (byte) (c >>> 24);
        b[b.length - 3] = (byte) (c >>> 16);
        b[b.length - 2] = (byte) (c >>> 8);
        b[b.length - 1] = (byte) c;
        StreamOpCodec.CorruptEntryException x = assertThrows(StreamOpCodec.CorruptEntryException.class, () -> StreamOpCodec.decode(b));
        assertEquals("unknown version 2", x.getMessage());
    }

    @Test
    void aSnapshotRoundTripsAndIsNotAnEntry() {
        StreamReplica.Image state = new StreamReplica.Image(5, 9, "id-9", 900, List.of(Map.entry("id-7", new long[] {7, 700})),
                List.of(new StoredMessage(5, "a", new byte[0], "five".getBytes(StandardCharsets.UTF_8), 500),
                        new StoredMessage(7, "b", "NATS/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII), new byte[0], 700)));
        byte[] b = StreamOpCodec.encodeImage(new StreamOpCodec.Image(4, 11, 6, state));
        StreamOpCodec.Image back = StreamOpCodec.decodeImage(b);
        assertEquals(List.of(4L, 11L, 6L), List.of(back.term(), back.epoch(), back.n()));
        StreamReplica.Image s = back.state();
        assertEquals(List.of(5L, 9L, 900L), List.of(s.firstSeq(), s.lastSeq(), s.lastTimestamp()));
        assertEquals("id-9", s.lastMsgId());
        assertEquals("id-7", s.ids().getFirst().getKey());
        assertArrayEquals(new long[] {7, 700}, s.ids().getFirst().getValue());
        assertEquals(2, s.messages().size());
        assertEquals(7, s.messages().get(1).seq());
        assertArrayEquals("five".getBytes(StandardCharsets.UTF_8), s.messages().get(0).data());
        assertThrows(StreamOpCodec.CorruptEntryException.class, () -> StreamOpCodec.decode(b));
        b[b.length / 2] ^= 1;
        assertThrows(StreamOpCodec.CorruptEntryException.class, () -> StreamOpCodec.decodeImage(b));
    }

    @Test
    void aSnapshotCarriesConsumersAndAnOlderOneHasNone() {
        StreamReplica.Image state = new StreamReplica.Image(1, 0, "", 0, List.of(), List.of(),
                List.of(new StreamReplica.ConsumerRecord("a", new byte[] {1}, new byte[] {2, 3}),
                        new StreamReplica.ConsumerRecord("b", new byte[0], new byte[] {4})));
        StreamReplica.Image back = StreamOpCodec.decodeImage(StreamOpCodec.encodeImage(new StreamOpCodec.Image(1, 1, 0, state))).state();
        assertEquals(List.of("a", "b"), back.consumers().stream().map(StreamReplica.ConsumerRecord::name).toList());
        assertArrayEquals(new byte[] {2, 3}, back.consumers().get(0).state());
        assertArrayEquals(new byte[] {4}, back.consumers().get(1).state());
        // an image written before consumers were replicated ends after its messages
        byte[] now = StreamOpCodec.encodeImage(new StreamOpCodec.Image(1, 1, 0, StreamReplica.Image.empty()));
        byte[] old = Arrays.copyOf(now, now.length - 4 - 2 + 4); // no consumer count, no configuration flag
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(old, 0, old.length - 4);
        long c = crc.getValue();
        for (int i = 0; i < 4; i++) {
            old[old.length - 4 + i] = (byte) (c >>> (24 - 8 * i));
        }
        assertEquals(List.of(), StreamOpCodec.decodeImage(old).state().consumers());
    }

    @Test
    void aSnapshotCarriesTheConfigurationAndAnOlderOneHasNone() {
        StreamReplica.Image state = new StreamReplica.Image(3, 9, "", 0, List.of(), List.of(), List.of(), 7, updated());
        StreamReplica.Image back = StreamOpCodec.decodeImage(StreamOpCodec.encodeImage(new StreamOpCodec.Image(1, 1, 0, state))).state();
        assertEquals(7, back.configRevision());
        assertEquals(updated(), back.config());
        assertEquals(List.of("orders.>", "more.*"), back.config().subjects());
        assertEquals(10, back.config().maxMsgs());
        // an image written before configurations were replicated ends after its consumers
        byte[] now = StreamOpCodec.encodeImage(new StreamOpCodec.Image(1, 1, 0, StreamReplica.Image.empty()));
        byte[] old = Arrays.copyOf(now, now.length - 4 - 1 + 4);
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(old, 0, old.length - 4);
        long c = crc.getValue();
        for (int i = 0; i < 4; i++) {
            old[old.length - 4 + i] = (byte) (c >>> (24 - 8 * i));
        }
        StreamReplica.Image o = StreamOpCodec.decodeImage(old).state();
        assertNull(o.config());
        assertEquals(0, o.configRevision());
    }
}
