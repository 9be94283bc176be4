package io.weft.engine.jetstream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.weft.engine.protocol.Headers;
import io.weft.net.RealDisk;
import io.weft.store.FileStore;
import io.weft.store.FileStoreConfig;
import io.weft.store.MemoryStore;
import io.weft.store.MessageStore;
import io.weft.store.StoreState;
import io.weft.store.SubjectState;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Per-message TTL on the stream log seam (a memory store, the local log, the apply step): the
 * decision carries the TTL in its op, the apply step derives the expiry index from applied ops
 * only (a rolled-back batch leaves none behind), and the index comes back from the stored headers.
 */
class MessageTtlSeamTest {
    private static final ObjectMapper M = new ObjectMapper();
    private static final long S = 1_000_000_000L;

    private MessageStore store = new MemoryStore();
    private final List<String> errors = new ArrayList<>();
    private StreamApply apply = new StreamApply(store, errors::add);
    private StreamLog log = new LocalStreamLog(apply);
    private final long now = 10 * S;
    private StreamConfig config;

    private final PublishRules.View view = new PublishRules.View() {
        @Override public String name() { return "S"; }
        @Override public StreamConfig config() { return config; }
        @Override public StoreState state() { return store.state(); }
        @Override public SubjectState subjectState(String s) { return store.subjectState(s); }
        @Override public String storedSubject(String s) { return s; }
        @Override public long sizeOf(String s, int h, int d) { return store.sizeOf(s, h, d); }
        @Override public long[] duplicate(String id, long at, long w) { return apply.duplicate(id, at, w); }
        @Override public String lastMsgId() { return apply.lastMsgId(); }
        @Override public long lastTimestamp() { return apply.lastTimestamp(); }
        @Override public long nowNanos() { return now; }
        @Override public JsApiError accountRoom(StreamConfig c, long size) { return null; }
        @Override public boolean anyInterest(String s) { return true; }
    };

    private void config(String json) throws Exception {
        config = StreamConfig.parse(M.readTree(json)).withDefaults();
    }

    private static PublishRules.Request withTtl(String ttl) {
        Headers b = new Headers();
        b.add("Nats-TTL", ttl);
        byte[] hdr = b.toBytes();
        return new PublishRules.Request("s.a", Headers.parse(hdr), hdr, "x".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void ttlValuesAsNatsServerReadsThem() {
        assertEquals(S, MsgTtl.parse("1s"));
        assertEquals(2 * S, MsgTtl.parse("2"));
        assertEquals(90 * S, MsgTtl.parse("1m30s"));
        assertEquals(1_500_000_000L, MsgTtl.parse("1.5s"));
        assertEquals(S, MsgTtl.parse("1000ms"));
        assertEquals(S, MsgTtl.parse("+1s"));
        assertEquals(MsgTtl.NEVER, MsgTtl.parse("never"));
        assertEquals(MsgTtl.NONE, MsgTtl.parse(""));
        for (String bad : List.of("abc", "0", "0s", "-1", "-5s", "999ms", "0.5s", "1e3", "1S", "30x", "9999999999999999999")) {
            assertEquals(MsgTtl.INVALID, MsgTtl.parse(bad), bad);
        }
    }

    @Test
    void theDecisionRefusesATtlWithoutAllowMsgTtlAndCarriesItInTheOp() throws Exception {
        config("{\"name\":\"S\",\"subjects\":[\"s.>\"]}");
        assertEquals(10166, assertInstanceOf(PublishRules.Reject.class, PublishRules.decide(withTtl("5s"), view)).error().errCode());
        assertEquals(10165, assertInstanceOf(PublishRules.Reject.class, PublishRules.decide(withTtl("abc"), view)).error().errCode());
        config("{\"name\":\"S\",\"subjects\":[\"s.>\"],\"allow_msg_ttl\":true}");
        StreamOp.Append a = assertInstanceOf(StreamOp.Append.class, PublishRules.decide(withTtl("5s"), view));
        assertEquals(5 * S, a.ttl());
        assertEquals(0, store.state().msgs(), "a decision stores nothing");
        assertNull(apply.nextTtl(), "nor indexes anything");
        log.append(a);
        assertArrayEquals(new long[] {now + 5 * S, 1}, apply.nextTtl());
    }

    @Test
    void aRolledBackBatchLeavesNoTtlBehindAndRecoveryRebuildsTheIndex(@TempDir Path dir) throws Exception {
        // a file store: its rollback undoes the batch (a memory store's keeps it, and so does the index)
        store = FileStore.open(new RealDisk(), dir.toString(), FileStoreConfig.defaults());
        apply = new StreamApply(store, errors::add);
        log = new LocalStreamLog(apply);
        config("{\"name\":\"S\",\"subjects\":[\"s.>\"],\"allow_msg_ttl\":true}");
        log.append(assertInstanceOf(StreamOp.Append.class, PublishRules.decide(withTtl("30s"), view)));
        log.begin();
        log.append(assertInstanceOf(StreamOp.Append.class, PublishRules.decide(withTtl("1s"), view)));
        log.append(assertInstanceOf(StreamOp.Append.class, PublishRules.decide(withTtl("never"), view)));
        assertEquals(2, apply.nextTtl()[1]);
        log.rollback();
        assertEquals(1, store.state().lastSeq());
        assertArrayEquals(new long[] {now + 30 * S, 1}, apply.nextTtl(), "the rolled-back 1s TTL is gone");
        assertFalse(apply.neverExpires(3));
        log.append(assertInstanceOf(StreamOp.Append.class, PublishRules.decide(withTtl("never"), view)));
        assertTrue(apply.neverExpires(2));

        log.close(false);
        StreamApply recovered = new StreamApply(FileStore.open(new RealDisk(), dir.toString(), FileStoreConfig.defaults()),
                errors::add);
        recovered.recoverTtls();
        assertArrayEquals(new long[] {now + 30 * S, 1}, recovered.nextTtl());
        assertTrue(recovered.neverExpires(2));
        assertEquals(List.of(), errors);
    }

    @Test
    void allowMsgTtlCanNotBeTurnedOffAndMarkersAreChecked() throws Exception {
        config("{\"name\":\"S\",\"subjects\":[\"s.>\"],\"allow_msg_ttl\":true}");
        StreamConfig on = config;
        config("{\"name\":\"S\",\"subjects\":[\"s.>\"]}");
        JsApiException off = assertThrows(JsApiException.class, () -> config.checkUpdate(on));
        assertEquals("message TTL status can not be disabled", off.error().description());
        config.checkUpdate(config); // off to off
        on.checkUpdate(config); // off to on
        assertTrue(on.toJson().get("allow_msg_ttl").asBoolean());
        assertFalse(config.toJson().get("allow_msg_ttl").asBoolean(), "written as false too: nats-server 2.11+ has no omitempty on it");
        config("{\"name\":\"S\",\"subjects\":[\"s.>\"],\"subject_delete_marker_ttl\":-1}");
        assertEquals("subject delete marker TTL must not be negative",
                assertThrows(JsApiException.class, () -> config.validate(1 << 20)).error().description());
        config("{\"name\":\"S\",\"subjects\":[\"s.>\"],\"subject_delete_marker_ttl\":999999999}");
        assertEquals("subject delete marker TTL must be at least 1 second",
                assertThrows(JsApiException.class, () -> config.validate(1 << 20)).error().description());
        config("{\"name\":\"S\",\"subjects\":[\"s.>\"],\"subject_delete_marker_ttl\":1000000000}");
        assertTrue(config.allowMsgTtl() && config.allowRollup(), "markers switch on TTL and rollups, as nats-server");
        config.validate(1 << 20); // accepted: the markers are written
    }

    @Test
    void withMarkersATtlIsRaisedToTheMarkerTtlInWholeSeconds() throws Exception {
        config("{\"name\":\"S\",\"subjects\":[\"s.>\"],\"subject_delete_marker_ttl\":5000000000}");
        StreamOp.Append a = assertInstanceOf(StreamOp.Append.class, PublishRules.decide(withTtl("2s"), view));
        assertEquals(5 * S, a.ttl());
        assertEquals("5", Headers.parse(a.headers()).first("Nats-TTL"));
        StreamOp.Append longer = assertInstanceOf(StreamOp.Append.class, PublishRules.decide(withTtl("9s"), view));
        assertEquals("9s", Headers.parse(longer.headers()).first("Nats-TTL"), "a longer TTL is kept as sent");
        config("{\"name\":\"S\",\"subjects\":[\"s.>\"],\"subject_delete_marker_ttl\":5000000000,"
                + "\"max_msgs_per_subject\":1}");
        StreamOp.Append one = assertInstanceOf(StreamOp.Append.class, PublishRules.decide(withTtl("2s"), view));
        assertEquals(2 * S, one.ttl(), "one message per subject: not raised");
        assertEquals("1s", MsgTtl.goSeconds(1));
        assertEquals("1m0s", MsgTtl.goSeconds(60));
        assertEquals("1h0m30s", MsgTtl.goSeconds(3630));
    }
}
