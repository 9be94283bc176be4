package io.weft.engine.jetstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.weft.engine.jetstream.cluster.StreamOpCodec;
import io.weft.engine.protocol.Headers;
import io.weft.net.Clock;
import io.weft.net.RealDisk;
import io.weft.store.FileStore;
import io.weft.store.FileStoreConfig;
import io.weft.store.MemoryStore;
import io.weft.store.MessageStore;
import io.weft.store.StoreState;
import io.weft.store.SubjectState;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Atomic batch publish on the stream log seam: staging ({@link AtomicBatches}: sequences, gaps,
 * commits, limits, the timeout on a manual clock), the commit's decision
 * ({@link PublishRules#decideBatch}: the batch rules, all or nothing) and its one op through the
 * local log ({@link StreamOp.Batch}, rolled back whole), and the op's Raft encoding.
 */
class AtomicBatchTest {
    private static final ObjectMapper M = new ObjectMapper();

    /** A clock moved by hand; scheduled tasks run when it passes their time. */
    static final class ManualClock implements Clock {
        long now = 5_000_000_000L;
        final TreeMap<Long, List<Runnable>> tasks = new TreeMap<>();

        void advance(Duration d) {
            long to = now + d.toNanos();
            while (!tasks.isEmpty() && tasks.firstKey() <= to) {
                var e = tasks.pollFirstEntry();
                now = e.getKey();
                e.getValue().forEach(Runnable::run);
            }
            now = to;
        }

        @Override public long nanoTime() { return now; }
        @Override public long currentTimeMillis() { return now / 1_000_000L; }
        @Override public void sleep(Duration d) { advance(d); }
        @Override public boolean awaitUntil(Condition c, long deadline) { return false; }

        @Override
        public Cancellable schedule(Duration delay, Runnable task) {
            long at = now + delay.toNanos();
            List<Runnable> l = tasks.computeIfAbsent(at, k -> new ArrayList<>());
            l.add(task);
            return () -> l.remove(task);
        }
    }

    private final ManualClock clock = new ManualClock();
    private final AtomicInteger total = new AtomicInteger();
    private final AtomicBatches batches = new AtomicBatches(clock, total);

    private final MessageStore store = new MemoryStore();
    private final StreamApply apply = new StreamApply(store, e -> { });
    private final StreamLog log = new LocalStreamLog(apply);
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
        @Override public long nowNanos() { return clock.currentTimeMillis() * 1_000_000L; }
        @Override public JsApiError accountRoom(StreamConfig c, long size) { return null; }
        @Override public boolean anyInterest(String s) { return true; }
    };

    private void config(String json) throws Exception {
        config = StreamConfig.parse(M.readTree(json)).withDefaults();
    }

    /** A batch message: {@code kv} are header pairs after the batch id and sequence. */
    private static AtomicBatches.Msg msg(String id, long seq, String subject, String... kv) {
        Headers h = new Headers();
        h.add("Nats-Batch-Id", id);
        h.add("Nats-Batch-Sequence", Long.toString(seq));
        for (int i = 0; i < kv.length; i += 2) {
            h.add(kv[i], kv[i + 1]);
        }
        byte[] hdr = h.toBytes();
        return new AtomicBatches.Msg(subject, hdr, Headers.parse(hdr), ("m" + seq).getBytes(StandardCharsets.UTF_8));
    }

    private AtomicBatches.Step offer(AtomicBatches.Msg m) {
        return batches.offer(true, m.headers().first("Nats-Batch-Id"), m);
    }

    private static int err(AtomicBatches.Step s) {
        return assertInstanceOf(AtomicBatches.Failed.class, s).error().errCode();
    }

    private static List<PublishRules.Request> requests(AtomicBatches.Commit c) {
        List<PublishRules.Request> out = new ArrayList<>();
        for (AtomicBatches.Msg m : c.msgs()) {
            out.add(new PublishRules.Request(m.subject(), m.headers(), m.hdr(), m.data()));
        }
        return out;
    }

    // ------------------------------------------------------------------ staging

    @Test
    void messagesStageUntilTheCommitWhichHandsOverTheWholeBatch() {
        assertInstanceOf(AtomicBatches.Staged.class, offer(msg("b", 1, "s.a")));
        assertInstanceOf(AtomicBatches.Staged.class, offer(msg("b", 2, "s.b")));
        assertEquals(1, batches.inflight());
        assertEquals(1, total.get());
        AtomicBatches.Commit c = assertInstanceOf(AtomicBatches.Commit.class,
                offer(msg("b", 3, "s.c", "Nats-Batch-Commit", "1")));
        assertEquals(List.of("s.a", "s.b", "s.c"), c.msgs().stream().map(AtomicBatches.Msg::subject).toList());
        assertEquals(0, batches.inflight());
        assertEquals(0, total.get());
    }

    @Test
    void anEobCommitIsNotStoredAndTheLastMessageCarriesTheCommitHeader() {
        offer(msg("b", 1, "s.a", "X", "y"));
        AtomicBatches.Commit c = assertInstanceOf(AtomicBatches.Commit.class,
                offer(msg("b", 2, "s.end", "Nats-Batch-Commit", "eob")));
        assertEquals(1, c.msgs().size());
        Headers h = c.msgs().getFirst().headers();
        assertEquals("1", h.first("Nats-Batch-Commit"));
        assertEquals("y", h.first("X"));
        assertEquals(h, Headers.parse(c.msgs().getFirst().hdr()));
    }

    @Test
    void theErrorsOfStagingInNatsServersOrder() {
        assertEquals(10174, err(batches.offer(false, "b", msg("b", 1, "s.a"))));
        assertEquals(10179, err(offer(msg("x".repeat(65), 1, "s.a"))));
        Headers h = new Headers();
        h.add("Nats-Batch-Id", "b");
        byte[] hdr = h.toBytes();
        assertEquals(10175, err(batches.offer(true, "b", new AtomicBatches.Msg("s", hdr, Headers.parse(hdr), new byte[0]))));
        assertEquals(10176, err(offer(msg("unknown", 2, "s.a"))));
        assertEquals(10199, err(offer(msg("unknown", 1001, "s.a"))));
        assertEquals(10176, err(offer(msg("unknown", 1001, "s.a", "Nats-Batch-Commit", "eob")))); // the marker does not count
        assertEquals(10176, err(offer(msg("e", 1, "s.a", "Nats-Batch-Commit", "eob"))));
        offer(msg("c", 1, "s.a"));
        assertEquals(10200, err(offer(msg("c", 2, "s.a", "Nats-Batch-Commit", "x"))));
        assertEquals(10176, err(offer(msg("c", 3, "s.a"))), "the invalid commit dropped the batch");
        assertEquals(0, total.get());
    }

    @Test
    void aGapDropsTheBatch() {
        offer(msg("g", 1, "s.a"));
        assertEquals(10176, err(offer(msg("g", 3, "s.a"))));
        assertEquals(10176, err(offer(msg("g", 2, "s.a", "Nats-Batch-Commit", "1"))));
        assertEquals(0, batches.inflight());
    }

    @Test
    void batchesAreLimitedInSizeAndPerStreamAndServer() {
        AtomicBatches small = new AtomicBatches(clock, total, 3, 2, 3, Duration.ofSeconds(10));
        AtomicBatches other = new AtomicBatches(clock, total, 3, 2, 3, Duration.ofSeconds(10));
        for (long s = 1; s <= 3; s++) {
            assertInstanceOf(AtomicBatches.Staged.class, small.offer(true, "big", msg("big", s, "s.a")));
        }
        assertEquals(10199, err(small.offer(true, "big", msg("big", 4, "s.a"))));
        assertEquals("atomic publish batch is too large: 3",
                ((AtomicBatches.Failed) small.offer(true, "n", msg("n", 9, "s.a"))).error().description());
        small.offer(true, "p", msg("p", 1, "s.a"));
        small.offer(true, "q", msg("q", 1, "s.a"));
        assertEquals(10210, err(small.offer(true, "r", msg("r", 1, "s.a"))), "two per stream");
        other.offer(true, "t", msg("t", 1, "s.a"));
        assertEquals(10210, err(other.offer(true, "u", msg("u", 1, "s.a"))), "three on the server");
        small.clear();
        assertEquals(1, total.get());
        assertInstanceOf(AtomicBatches.Staged.class, other.offer(true, "u", msg("u", 1, "s.a")));
    }

    @Test
    void aBatchIdleLongerThanTheTimeoutIsAbandonedByTheClock() {
        offer(msg("t", 1, "s.a"));
        clock.advance(Duration.ofSeconds(9));
        assertInstanceOf(AtomicBatches.Staged.class, offer(msg("t", 2, "s.a")), "each message restarts the timeout");
        clock.advance(Duration.ofSeconds(9));
        assertEquals(1, batches.inflight());
        clock.advance(Duration.ofSeconds(2));
        assertEquals(0, batches.inflight(), "abandoned by the timer: its inflight slot is back");
        assertEquals(0, total.get());
        assertEquals(10176, err(offer(msg("t", 3, "s.a", "Nats-Batch-Commit", "1"))));
    }

    // ------------------------------------------------------------------ the commit's decision and store op

    private AtomicBatches.Commit stage(String id, List<String[]> headersPerMsg) {
        AtomicBatches.Step s = null;
        for (int i = 0; i < headersPerMsg.size(); i++) {
            List<String> kv = new ArrayList<>(List.of(headersPerMsg.get(i)));
            String subject = kv.removeFirst();
            if (i == headersPerMsg.size() - 1) {
                kv.add("Nats-Batch-Commit");
                kv.add("1");
            }
            s = offer(msg(id, i + 1, subject, kv.toArray(String[]::new)));
        }
        return assertInstanceOf(AtomicBatches.Commit.class, s);
    }

    private PublishRules.BatchDecision decide(String id, String[]... msgs) {
        AtomicBatches.Commit c = stage(id, List.of(msgs));
        return PublishRules.decideBatch(c.id(), requests(c), view);
    }

    private static int rejected(PublishRules.BatchDecision d) {
        return assertInstanceOf(PublishRules.Reject.class, d).error().errCode();
    }

    @Test
    void aCommittedBatchIsOneOpAtConsecutiveSequencesAppliedAtOnce() throws Exception {
        config("{\"name\":\"S\",\"subjects\":[\"s.>\"],\"allow_atomic\":true}");
        StreamOp.Batch b = assertInstanceOf(StreamOp.Batch.class,
                decide("ok", new String[] {"s.a", "Nats-Msg-Id", "i1"}, new String[] {"s.b"}, new String[] {"s.a"}));
        assertEquals(List.of(1L, 2L, 3L), b.appends().stream().map(StreamOp.Append::seq).toList());
        assertTrue(b.appends().get(1).ts() > b.appends().get(0).ts() && b.appends().get(2).ts() > b.appends().get(1).ts());
        assertEquals(0, store.state().msgs(), "deciding stores nothing");
        log.begin();
        StreamOp.Applied a = log.append(b);
        log.commit();
        assertEquals(3, a.seq());
        assertEquals(1, log.lastIndex(), "one log entry for the whole batch");
        assertEquals(3, store.state().msgs());
        assertEquals(1, apply.duplicate("i1", view.nowNanos(), config.duplicateWindow())[0]);
    }

    @Test
    void aRolledBackBatchLeavesNothing(@TempDir Path dir) throws Exception {
        config("{\"name\":\"S\",\"subjects\":[\"s.>\"],\"allow_atomic\":true}");
        StreamOp.Batch b = (StreamOp.Batch) decide("rb", new String[] {"s.a", "Nats-Msg-Id", "r1"}, new String[] {"s.b"});
        MessageStore fs = FileStore.open(new RealDisk(), dir.toString(), FileStoreConfig.defaults());
        StreamApply fa = new StreamApply(fs, e -> { });
        StreamLog fl = new LocalStreamLog(fa);
        fl.begin();
        fl.append(b);
        assertEquals(2, fs.state().msgs());
        fl.rollback();
        assertEquals(0, fs.state().msgs());
        assertEquals(0, fs.state().lastSeq());
        assertNull(fa.duplicate("r1", view.nowNanos(), config.duplicateWindow()));
        fs.close();
        MessageStore reopened = FileStore.open(new RealDisk(), dir.toString(), FileStoreConfig.defaults());
        assertEquals(0, reopened.state().lastSeq(), "nothing of the batch comes back");
        reopened.close();
    }

    @Test
    void theStartOfABatchACrashCutShortIsFoundAtTheTail(@TempDir Path dir) throws Exception {
        config("{\"name\":\"S\",\"subjects\":[\"s.>\"],\"allow_atomic\":true}");
        MessageStore fs = FileStore.open(new RealDisk(), dir.toString(), FileStoreConfig.defaults());
        StreamApply fa = new StreamApply(fs, e -> { });
        StreamOp.Batch whole = (StreamOp.Batch) decide("whole", new String[] {"s.a"}, new String[] {"s.b"});
        fa.apply(1, whole);
        log.append(whole); // the decisions read the memory store: keep it level
        assertEquals(List.of(), AtomicBatches.incompleteTail(fs), "a complete batch ends with its commit");
        // what a crash during the next batch's sync could leave: its first two messages of three
        StreamOp.Batch next = (StreamOp.Batch) decide("cut", new String[] {"s.c"}, new String[] {"s.d"}, new String[] {"s.e"});
        fa.apply(2, next.appends().get(0));
        assertEquals(List.of(3L), AtomicBatches.incompleteTail(fs));
        fa.apply(3, next.appends().get(1));
        assertEquals(List.of(3L, 4L), AtomicBatches.incompleteTail(fs));
        fa.apply(4, next.appends().get(2));
        assertEquals(List.of(), AtomicBatches.incompleteTail(fs), "its commit arrived");
        StreamOp.Append plain = new StreamOp.Append(6, next.last().ts() + 1, "s.f", new byte[0], new byte[0], "", 0,
                StreamOp.Rollup.NONE, StreamOp.Limits.of(config), false, MsgTtl.NONE);
        fa.apply(5, plain);
        assertEquals(List.of(), AtomicBatches.incompleteTail(fs), "a plain message at the tail");
        fs.close();
    }

    @Test
    void theBatchRulesRefuseTheWholeBatch() throws Exception {
        config("{\"name\":\"S\",\"subjects\":[\"s.>\"],\"allow_atomic\":true,\"allow_rollup_hdrs\":true}");
        assertEquals(10177, rejected(decide("a", new String[] {"s.a"}, new String[] {"s.a", "Nats-Expected-Last-Msg-Id", "x"})));
        assertEquals(10201, rejected(decide("b", new String[] {"s.a", "Nats-Msg-Id", "d"}, new String[] {"s.b", "Nats-Msg-Id", "d"})));
        assertEquals(10164, rejected(decide("c", new String[] {"s.a"}, new String[] {"s.b", "Nats-Expected-Last-Sequence", "1"})));
        PublishRules.Reject wrong = assertInstanceOf(PublishRules.Reject.class,
                decide("d", new String[] {"s.a"}, new String[] {"s.b", "Nats-Expected-Last-Sequence", "0"}));
        assertEquals("wrong last sequence: 1", wrong.error().description(), "checked against the batch's own state");
        assertInstanceOf(StreamOp.Batch.class, decide("e", new String[] {"s.a", "Nats-Expected-Last-Sequence", "0"}));
        assertEquals(10164, rejected(decide("f", new String[] {"s.a"}, new String[] {"s.a", "Nats-Expected-Last-Subject-Sequence", "1"})));
        assertEquals("batch rollup sub invalid", ((PublishRules.Reject) decide("g", new String[] {"s.a"},
                new String[] {"s.a", "Nats-Rollup", "sub"})).error().description());
        assertEquals("batch rollup all invalid", ((PublishRules.Reject) decide("h", new String[] {"s.a"},
                new String[] {"s.b", "Nats-Rollup", "all"})).error().description());
        assertInstanceOf(StreamOp.Batch.class, decide("i", new String[] {"s.a", "Nats-Rollup", "all"}, new String[] {"s.a"}));
        assertEquals(0, store.state().msgs());
    }

    @Test
    void anIdAlreadyStoredFailsTheBatchRatherThanAcknowledgingADuplicate() throws Exception {
        config("{\"name\":\"S\",\"subjects\":[\"s.>\"],\"allow_atomic\":true}");
        StreamOp.Batch b = (StreamOp.Batch) decide("one", new String[] {"s.a", "Nats-Msg-Id", "m1"});
        log.begin();
        log.append(b);
        log.commit();
        assertEquals(10201, rejected(decide("two", new String[] {"s.a"}, new String[] {"s.b", "Nats-Msg-Id", "m1"})));
        assertEquals(1, store.state().msgs());
    }

    @Test
    void aDiscardNewLimitCountsTheBatchsEarlierMessages() throws Exception {
        config("{\"name\":\"S\",\"subjects\":[\"s.>\"],\"allow_atomic\":true,\"discard\":\"new\",\"max_msgs\":2}");
        assertEquals(10077, rejected(decide("full", new String[] {"s.a"}, new String[] {"s.b"}, new String[] {"s.c"})));
        assertInstanceOf(StreamOp.Batch.class, decide("fits", new String[] {"s.a"}, new String[] {"s.b"}));
    }

    @Test
    void theRaftEntryOfABatchRoundTrips() throws Exception {
        config("{\"name\":\"S\",\"subjects\":[\"s.>\"],\"allow_atomic\":true}");
        StreamOp.Batch b = (StreamOp.Batch) decide("raft", new String[] {"s.a", "Nats-Msg-Id", "q"}, new String[] {"s.b"});
        byte[] bytes = StreamOpCodec.encode(new StreamOpCodec.Entry(3, 7, 2, b));
        StreamOp.Batch back = assertInstanceOf(StreamOp.Batch.class, StreamOpCodec.decode(bytes).op());
        assertEquals("raft", back.id());
        assertEquals(2, back.appends().size());
        for (int i = 0; i < 2; i++) {
            StreamOp.Append x = b.appends().get(i);
            StreamOp.Append y = back.appends().get(i);
            assertEquals(x.seq(), y.seq());
            assertEquals(x.ts(), y.ts());
            assertEquals(x.subject(), y.subject());
            assertEquals(x.msgId(), y.msgId());
            assertEquals(new String(x.headers(), StandardCharsets.UTF_8), new String(y.headers(), StandardCharsets.UTF_8));
        }
        bytes[bytes.length / 2] ^= 1;
        byte[] damaged = bytes;
        org.junit.jupiter.api.Assertions.assertThrows(StreamOpCodec.CorruptEntryException.class, () -> StreamOpCodec.decode(damaged));
    }
}
