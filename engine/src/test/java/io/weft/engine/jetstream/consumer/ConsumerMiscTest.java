package io.weft.engine.jetstream.consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.weft.engine.jetstream.Retention;
import io.weft.engine.server.InternalSubscription;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ConsumerMiscTest extends ConsumerTestBase {

    @Test
    void deliverGroupSpreadsOverQueueMembers() throws Exception {
        AtomicInteger a = new AtomicInteger();
        AtomicInteger b = new AtomicInteger();
        InternalSubscription sa = account.subscribe("grp", "q", (s, r, d, o, h, t) -> a.incrementAndGet());
        InternalSubscription sb = account.subscribe("grp", "q", (s, r, d, o, h, t) -> b.incrementAndGet());
        try {
            for (int i = 0; i < 100; i++) {
                stream.publish("s.a", "m");
            }
            durable("G", "{\"durable_name\":\"G\",\"deliver_subject\":\"grp\",\"deliver_group\":\"q\"}");
            long deadline = System.nanoTime() + 2_000_000_000L;
            while (a.get() + b.get() < 100 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(100, a.get() + b.get(), "each message to exactly one member");
            assertTrue(a.get() > 0 && b.get() > 0, a + " / " + b);
        } finally {
            account.unsubscribe(sa);
            account.unsubscribe(sb);
        }
    }

    @Test
    void rateLimitPacesDelivery() throws Exception {
        Inbox d = inbox("rl");
        for (int i = 0; i < 6; i++) {
            stream.publish("s.a", "x".repeat(100));
        }
        // ~ (100 + 3) bytes * 8 = 824 bits per message at 8000 bps: ~100ms per message
        durable("R", "{\"durable_name\":\"R\",\"deliver_subject\":\"rl\",\"rate_limit_bps\":8000}");
        List<Inbox.Msg> got = d.await(6, 3000);
        long span = got.get(5).at() - got.get(0).at();
        assertTrue(span >= 400_000_000L, "5 gaps of ~100ms: " + span);
    }

    @Test
    void replayOriginalKeepsGaps() throws Exception {
        stream.publish("s.a", "1");
        Thread.sleep(300);
        stream.publish("s.a", "2");
        Inbox d = inbox("ro");
        durable("O", "{\"durable_name\":\"O\",\"deliver_subject\":\"ro\",\"replay_policy\":\"original\"}");
        List<Inbox.Msg> got = d.await(2, 3000);
        long gap = got.get(1).at() - got.get(0).at();
        assertTrue(gap >= 250_000_000L, "original gap of ~300ms kept: " + gap);
    }

    @Test
    void replayOriginalCountsWhatIsWaitingAfterAnUpdate() throws Exception {
        stream.publish("s.a", "1");
        Thread.sleep(600);
        stream.publish("s.a", "2");
        stream.publish("s.a", "3");
        Inbox d = inbox("rp");
        String cfg = "{\"durable_name\":\"P\",\"deliver_subject\":\"rp\",\"replay_policy\":\"original\"";
        durable("P", cfg + "}");
        d.await(1, 3000);
        assertEquals(2, info("P").path("num_pending").asLong(), "2 and 3 wait for their original gap");
        // an update drops the cached count while 2 is held back for its time
        assertEquals(0, errCode(durable("P", cfg + ",\"description\":\"updated\"}")));
        stream.publish("s.a", "4"); // wakes the delivery loop, which takes 2 again and puts it back
        Thread.sleep(50);
        assertEquals(3, info("P").path("num_pending").asLong(), "the held-back message and the two after it");
        assertEquals(4, d.await(4, 3000).size());
        assertEquals(0, info("P").path("num_pending").asLong());
    }

    @Test
    void interestRetentionAsksEveryConsumer() throws Exception {
        stream = new FakeStream("S", Retention.INTEREST, account, env, null);
        stream.publish("s.a", "1");
        stream.publish("s.b", "2");
        durable("A", "{\"durable_name\":\"A\",\"ack_policy\":\"explicit\",\"filter_subject\":\"s.a\"}");
        var c = stream.consumer("A");
        assertTrue(c.needsAck(1, "s.a"));
        assertFalse(c.needsAck(2, "s.b"), "filtered out");
        Inbox r = inbox("_INBOX.i");
        next("A", "_INBOX.i", "1");
        Inbox.Msg m = r.await(1, 2000).get(0);
        assertTrue(c.needsAck(1, "s.a"), "delivered but not acked");
        ack(m, "+ACK");
        Thread.sleep(50);
        assertFalse(c.needsAck(1, "s.a"));
        assertEquals(List.of(1L), stream.acknowledged);
    }

    @Test
    void ackSamplingPublishesMetrics() throws Exception {
        Inbox metric = inbox("$JS.EVENT.METRIC.CONSUMER.ACK.S.M");
        stream.publish("s.a", "1");
        Inbox d = inbox("ms");
        durable("M", "{\"durable_name\":\"M\",\"deliver_subject\":\"ms\",\"ack_policy\":\"explicit\",\"sample_freq\":\"100%\"}");
        ack(d.await(1, 2000).get(0), "+ACK");
        JsonNode j = M.readTree(metric.await(1, 2000).get(0).payload());
        assertEquals("io.nats.jetstream.metric.v1.consumer_ack", j.path("type").asText());
        assertEquals(1, j.path("stream_seq").asLong());
        assertEquals(1, j.path("deliveries").asInt());
        assertTrue(j.has("ack_time"));
    }

    @Test
    void purgeDropsPendingAndMovesForward() throws Exception {
        for (int i = 0; i < 4; i++) {
            stream.publish("s.a", "m" + i);
        }
        durable("P", "{\"durable_name\":\"P\",\"ack_policy\":\"explicit\"}");
        Inbox r = inbox("_INBOX.p");
        next("P", "_INBOX.p", "2");
        r.await(2, 2000);
        stream.store.purge(null, 0, 0);
        stream.consumer("P").purged(5);
        JsonNode i = info("P");
        assertEquals(0, i.path("num_ack_pending").asInt(), i.toString());
        assertEquals(0, i.path("num_pending").asInt());
        stream.publish("s.a", "after");
        next("P", "_INBOX.p", "1");
        assertEquals("after", r.await(3, 2000).get(2).payload());
    }
}
