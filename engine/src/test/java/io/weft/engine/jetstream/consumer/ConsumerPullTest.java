package io.weft.engine.jetstream.consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.weft.engine.jetstream.Retention;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConsumerPullTest extends ConsumerTestBase {

    private void pullConsumer(String extra) throws Exception {
        JsonNode r = durable("P", "{\"durable_name\":\"P\",\"ack_policy\":\"explicit\"" + extra + "}");
        assertEquals("P", r.path("name").asText(), r.toString());
    }

    @Test
    void batchDeliversToTheRequestReplyWithOriginalSubject() throws Exception {
        for (int i = 1; i <= 5; i++) {
            stream.publish("s." + i, "m" + i);
        }
        pullConsumer("");
        Inbox r = inbox("_INBOX.1");
        next("P", "_INBOX.1", "{\"batch\":3}");
        List<Inbox.Msg> got = r.await(3, 2000);
        assertEquals("s.1", got.get(0).subject());
        assertEquals("m3", got.get(2).payload());
        assertEquals("2", got.get(2).ackTokens()[8], "pending count in the ack subject");
        Thread.sleep(50);
        assertEquals(3, r.snapshot().size(), "nothing beyond the batch, and no status when the batch completes");
        JsonNode i = info("P");
        assertEquals(3, i.path("num_ack_pending").asInt());
        assertEquals(2, i.path("num_pending").asInt());
        assertEquals(0, i.path("num_waiting").asInt());
    }

    @Test
    void plainNumberAndEmptyBodies() throws Exception {
        for (int i = 1; i <= 3; i++) {
            stream.publish("s.a", "m" + i);
        }
        pullConsumer("");
        Inbox r = inbox("_INBOX.2");
        next("P", "_INBOX.2", "2");
        r.await(2, 2000);
        next("P", "_INBOX.2", "");
        assertEquals("m3", r.await(3, 2000).get(2).payload());
    }

    @Test
    /** nats-server 2.15.1 (NoWaitPullTest compares it): 404 at the end of the stream, after messages too. */
    void noWaitAnswers404WhenEmptyAndAfterAPartialBatch() throws Exception {
        pullConsumer("");
        Inbox r = inbox("_INBOX.3");
        next("P", "_INBOX.3", "{\"batch\":5,\"no_wait\":true}");
        Inbox.Msg m = r.await(1, 2000).get(0);
        assertEquals("NATS/1.0 404 No Messages\r\n\r\n", m.headers());
        r.clear();
        stream.publish("s.a", "a");
        stream.publish("s.a", "b");
        next("P", "_INBOX.3", "{\"batch\":5,\"no_wait\":true}");
        List<Inbox.Msg> got = r.await(3, 2000);
        assertEquals("a", got.get(0).payload());
        assertEquals("NATS/1.0 404 No Messages\r\n\r\n", got.get(2).headers());
        // with an expiry and nothing there it waits for the first message, then ends at the end of the stream
        r.clear();
        next("P", "_INBOX.3", "{\"batch\":5,\"no_wait\":true,\"expires\":2000000000}");
        assertEquals(1, info("P").path("num_waiting").asInt());
        stream.publish("s.a", "c");
        got = r.await(2, 2000);
        assertEquals("c", got.get(0).payload());
        assertEquals("NATS/1.0 404 No Messages\r\n\r\n", got.get(1).headers());
    }

    @Test
    void expiresSends408AndWaitingRequestGetsNewMessages() throws Exception {
        pullConsumer("");
        Inbox r = inbox("_INBOX.4");
        next("P", "_INBOX.4", "{\"batch\":5,\"expires\":200000000}");
        assertEquals(1, info("P").path("num_waiting").asInt());
        Inbox.Msg m = r.await(1, 2000).get(0);
        assertEquals("NATS/1.0 408 Request Timeout\r\nNats-Pending-Messages: 5\r\nNats-Pending-Bytes: 0\r\n\r\n", m.headers());
        r.clear();
        next("P", "_INBOX.4", "{\"batch\":2,\"expires\":2000000000}");
        stream.publish("s.a", "late");
        assertEquals("late", r.await(1, 2000).get(0).payload());
    }

    @Test
    void maxWaitingMaxBytesAndDeleted() throws Exception {
        pullConsumer(",\"max_waiting\":1");
        Inbox r = inbox("_INBOX.>");
        next("P", "_INBOX.a", "{\"batch\":5,\"expires\":5000000000}");
        next("P", "_INBOX.b", "{\"batch\":5,\"expires\":5000000000}");
        Inbox.Msg m = r.await(1, 2000).get(0);
        assertEquals("_INBOX.b", m.subject());
        assertEquals("NATS/1.0 409 Exceeded MaxWaiting\r\n\r\n", m.headers());
        r.clear();
        api("$JS.API.CONSUMER.DELETE.S.P", "");
        m = r.await(1, 2000).get(0);
        assertEquals("_INBOX.a", m.subject());
        assertEquals("NATS/1.0 409 Consumer Deleted\r\n\r\n", m.headers());
    }

    @Test
    void messageLargerThanMaxBytes() throws Exception {
        stream.publish("s.a", "x".repeat(100));
        pullConsumer("");
        Inbox r = inbox("_INBOX.5");
        next("P", "_INBOX.5", "{\"batch\":5,\"max_bytes\":50}");
        assertEquals("NATS/1.0 409 Message Size Exceeds MaxBytes\r\nNats-Pending-Messages: 5\r\nNats-Pending-Bytes: 50\r\n\r\n",
                r.await(1, 2000).get(0).headers());
        next("P", "_INBOX.5", "{\"batch\":5,\"max_bytes\":1000,\"no_wait\":true}");
        assertEquals("x".repeat(100), r.await(2, 2000).get(1).payload(), "the message was not lost");
    }

    @Test
    void pullHeartbeatsAndNextAck() throws Exception {
        stream.publish("s.a", "1");
        stream.publish("s.a", "2");
        pullConsumer("");
        Inbox r = inbox("_INBOX.6");
        next("P", "_INBOX.6", "{\"batch\":1,\"expires\":2000000000,\"idle_heartbeat\":100000000}");
        Inbox.Msg first = r.await(1, 2000).get(0);
        account.publish(first.reply(), "_INBOX.7", null, "+NXT".getBytes());
        Inbox r7 = inbox("_INBOX.7");
        account.publish(first.reply(), "_INBOX.7", null, "+NXT".getBytes());
        assertEquals("2", r7.await(1, 2000).get(0).payload(), "+NXT acks and asks for the next message");
        next("P", "_INBOX.6", "{\"batch\":1,\"expires\":2000000000,\"idle_heartbeat\":100000000}");
        List<Inbox.Msg> hb = r.await(3, 2000);
        assertTrue(hb.get(1).headers().startsWith("NATS/1.0 100 Idle Heartbeat\r\nNats-Last-Consumer: 2\r\nNats-Last-Stream: 2\r\n"),
                hb.get(1).headers());
    }

    @Test
    void pullRequestToPushConsumerAndLimits() throws Exception {
        durable("C", "{\"durable_name\":\"C\",\"deliver_subject\":\"d\"}");
        Inbox r = inbox("_INBOX.8");
        next("C", "_INBOX.8", "1");
        assertEquals("NATS/1.0 409 Consumer is push based\r\n\r\n", r.await(1, 2000).get(0).headers());
        durable("L", "{\"durable_name\":\"L\",\"max_batch\":2,\"max_expires\":1000000000,\"max_bytes\":100}");
        next("L", "_INBOX.8", "{\"batch\":3}");
        next("L", "_INBOX.8", "{\"batch\":1,\"expires\":2000000000}");
        next("L", "_INBOX.8", "{\"batch\":1,\"max_bytes\":200}");
        List<Inbox.Msg> got = r.await(4, 2000);
        assertEquals("NATS/1.0 409 Exceeded MaxRequestBatch of 2\r\n\r\n", got.get(1).headers());
        assertEquals("NATS/1.0 409 Exceeded MaxRequestExpires of 1s\r\n\r\n", got.get(2).headers());
        assertEquals("NATS/1.0 409 Exceeded MaxRequestMaxBytes of 100\r\n\r\n", got.get(3).headers());
    }

    @Test
    void maxAckPendingHoldsBackNewMessages() throws Exception {
        for (int i = 0; i < 5; i++) {
            stream.publish("s.a", "m" + i);
        }
        pullConsumer(",\"max_ack_pending\":2");
        Inbox r = inbox("_INBOX.9");
        next("P", "_INBOX.9", "{\"batch\":5,\"expires\":300000000}");
        List<Inbox.Msg> got = r.await(3, 2000);
        assertEquals(2, got.stream().filter(m -> m.status() == 0).count());
        assertEquals(408, got.get(2).status());
        ack(got.get(0), "+ACK");
        r.clear();
        next("P", "_INBOX.9", "{\"batch\":5,\"no_wait\":true}");
        got = r.await(2, 2000);
        assertEquals("m2", got.get(0).payload());
    }

    @Test
    void workQueueRetentionReleasesAckedMessages() throws Exception {
        stream = new FakeStream("S", Retention.WORKQUEUE, account, env, null);
        stream.publish("s.a", "job");
        // a pull consumer defaults to ack none, which nats-server refuses as a pull-mode problem first
        assertEquals(10084, errCode(durable("W", "{\"durable_name\":\"W\"}")));
        assertEquals(10098, errCode(durable("W", "{\"durable_name\":\"W\",\"ack_policy\":\"all\"}")));
        pullConsumer("");
        Inbox r = inbox("_INBOX.10");
        next("P", "_INBOX.10", "1");
        Inbox.Msg m = r.await(1, 2000).get(0);
        assertTrue(stream.consumer("P").needsAck(1, "s.a"));
        account.publish(m.reply(), "_INBOX.10", null, "+ACK".getBytes());
        r.await(2, 2000);
        assertEquals(List.of(1L), stream.acknowledged);
        assertEquals(0, stream.store.state().msgs());
    }
}
