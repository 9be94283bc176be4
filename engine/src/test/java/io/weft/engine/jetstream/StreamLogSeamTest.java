package io.weft.engine.jetstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.weft.engine.protocol.Headers;
import io.weft.store.MemoryStore;
import io.weft.store.StoreState;
import io.weft.store.SubjectState;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The stream log seam on real parts (a memory store, the local log, the apply step): decisions
 * write nothing and pick the next sequence and a growing timestamp; applying them is what changes
 * the store; the apply step takes entries in order only, and the store only the next sequence.
 */
class StreamLogSeamTest {
    private static final ObjectMapper M = new ObjectMapper();

    private final MemoryStore store = new MemoryStore();
    private final List<String> errors = new ArrayList<>();
    private final StreamApply apply = new StreamApply(store, errors::add);
    private final StreamLog log = new LocalStreamLog(apply);
    private long now = 1_000_000_000L;
    private StreamConfig config;

    StreamLogSeamTest() throws Exception {
        config = StreamConfig.parse(M.readTree("{\"name\":\"S\",\"subjects\":[\"s.>\"],\"max_msgs_per_subject\":2,"
                + "\"duplicate_window\":1000000000}")).withDefaults();
    }

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

    private static PublishRules.Request publish(String subject, String... headers) {
        byte[] hdr = new byte[0];
        Headers h = null;
        if (headers.length > 0) {
            Headers b = new Headers();
            for (int i = 0; i < headers.length; i += 2) {
                b.add(headers[i], headers[i + 1]);
            }
            hdr = b.toBytes();
            h = Headers.parse(hdr);
        }
        return new PublishRules.Request(subject, h, hdr, "x".getBytes(StandardCharsets.UTF_8));
    }

    private StreamOp.Append decideAppend(PublishRules.Request r) {
        return assertInstanceOf(StreamOp.Append.class, PublishRules.decide(r, view));
    }

    @Test
    void decisionsWriteNothingAndPickTheNextSequenceAndAGrowingTimestamp() throws IOException {
        StreamOp.Append a = decideAppend(publish("s.a"));
        StreamOp.Append again = decideAppend(publish("s.a"));
        assertEquals(a.seq(), again.seq()); // deciding twice is harmless: nothing moved
        assertEquals(a.ts(), again.ts());
        assertEquals(0, store.state().msgs(), "a decision stores nothing");
        assertEquals(1, a.seq());
        assertEquals(now, a.ts());
        log.begin();
        assertEquals(1, log.append(a).seq());
        StreamOp.Append b = decideAppend(publish("s.a")); // same clock reading: the timestamp still grows
        assertEquals(2, b.seq());
        assertEquals(now + 1, b.ts());
        log.append(b);
        log.append(decideAppend(publish("s.a"))); // max_msgs_per_subject 2: the apply step trims
        log.commit();
        assertEquals(3, log.lastIndex());
        assertEquals(2, store.state().msgs());
        assertEquals(2, store.state().firstSeq());
        assertEquals(List.of(), errors);
    }

    @Test
    void duplicatesAndExpectationsAreDecidedFromTheAppliedState() throws IOException {
        log.append(decideAppend(publish("s.a", "Nats-Msg-Id", "one")));
        assertEquals(new PublishRules.Duplicate(1), PublishRules.decide(publish("s.b", "Nats-Msg-Id", "one"), view));
        PublishRules.Decision wrong = PublishRules.decide(publish("s.b", "Nats-Expected-Last-Sequence", "7"), view);
        assertEquals(10071, assertInstanceOf(PublishRules.Reject.class, wrong).error().errCode());
        PublishRules.Decision id = PublishRules.decide(publish("s.b", "Nats-Expected-Last-Msg-Id", "two"), view);
        assertEquals(10070, assertInstanceOf(PublishRules.Reject.class, id).error().errCode());
        assertEquals(1, store.state().lastSeq(), "refusals store nothing");
        now += 2_000_000_000L; // past the duplicate window
        assertEquals(2, decideAppend(publish("s.b", "Nats-Msg-Id", "one")).seq());
    }

    @Test
    void theApplyStepTakesEntriesInOrderAndTheStoreOnlyTheNextSequence() throws IOException {
        StreamOp.Append a = decideAppend(publish("s.a"));
        assertThrows(AssertionError.class, () -> apply.apply(2, a), "entry 2 before entry 1");
        StreamOp.Append stale = new StreamOp.Append(5, now, "s.a", new byte[0], new byte[0], "", 0,
                StreamOp.Rollup.NONE, StreamOp.Limits.of(config), false, MsgTtl.NONE);
        assertThrows(IllegalStateException.class, () -> log.append(stale), "a follower out of step");
        assertEquals(0, log.lastIndex());
        assertEquals(0, store.state().lastSeq());
        log.append(a);
        log.append(new StreamOp.Delete(1, false));
        assertEquals(0, store.state().msgs());
        assertEquals(2, log.lastIndex());
        assertTrue(errors.isEmpty());
    }
}
