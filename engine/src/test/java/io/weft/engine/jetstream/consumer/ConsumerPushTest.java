package io.weft.engine.jetstream.consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConsumerPushTest extends ConsumerTestBase {

    @Test
    void pushDeliversWithAckSubjectsAndCountsAcks() throws Exception {
        Inbox d = inbox("deliver.x");
        for (int i = 1; i <= 3; i++) {
            stream.publish("s.a", "m" + i);
        }
        JsonNode r = durable("C", "{\"durable_name\":\"C\",\"deliver_subject\":\"deliver.x\",\"ack_policy\":\"explicit\"}");
        assertEquals("C", r.path("name").asText(), r.toString());
        List<Inbox.Msg> got = d.await(3, 2000);
        assertEquals("s.a", got.get(0).subject());
        assertEquals("m1", got.get(0).payload());
        String[] t = got.get(0).ackTokens();
        assertEquals(List.of("$JS", "ACK", "S", "C", "1", "1", "1"), List.of(t).subList(0, 7));
        assertEquals("2", t[8], "pending after the first delivery");
        ack(got.get(0), "+ACK");
        ack(got.get(1), "");
        JsonNode i = info("C");
        assertEquals(1, i.path("num_ack_pending").asInt(), i.toString());
        assertEquals(2, i.path("ack_floor").path("stream_seq").asLong());
        assertEquals(3, i.path("delivered").path("consumer_seq").asLong());
        assertEquals(0, i.path("num_pending").asLong());
        assertTrue(i.path("push_bound").asBoolean());
    }

    @Test
    void ackWaitRedeliversAndMaxDeliverSendsAdvisory() throws Exception {
        Inbox d = inbox("d");
        Inbox adv = inbox("$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.S.C");
        stream.publish("s.a", "x");
        durable("C", "{\"durable_name\":\"C\",\"deliver_subject\":\"d\",\"ack_policy\":\"explicit\",\"ack_wait\":150000000,\"max_deliver\":2}");
        List<Inbox.Msg> got = d.await(2, 3000);
        assertEquals("1", got.get(0).ackTokens()[4]);
        assertEquals("2", got.get(1).ackTokens()[4], "delivery count in the redelivered ack subject");
        assertEquals("2", got.get(1).ackTokens()[6], "a redelivery takes a new consumer sequence");
        JsonNode a = M.readTree(adv.await(1, 3000).get(0).payload());
        assertEquals("io.nats.jetstream.advisory.v1.max_deliver", a.path("type").asText());
        assertEquals(1, a.path("stream_seq").asLong());
        assertEquals(2, a.path("deliveries").asInt());
        Thread.sleep(400);
        assertEquals(2, d.snapshot().size(), "no third delivery past max_deliver");
        assertEquals(0, info("C").path("num_ack_pending").asInt());
    }

    @Test
    void backoffSpacesRedeliveries() throws Exception {
        Inbox d = inbox("d");
        stream.publish("s.a", "x");
        durable("C", "{\"durable_name\":\"C\",\"deliver_subject\":\"d\",\"ack_policy\":\"explicit\",\"backoff\":[100000000,600000000],\"max_deliver\":3}");
        List<Inbox.Msg> got = d.await(3, 3000);
        long t0 = got.get(0).at();
        long second = got.get(1).at() - t0;
        long third = got.get(2).at() - t0;
        assertTrue(second >= 50_000_000L && second < 550_000_000L, "second delivery after ~100ms: " + second);
        assertTrue(third - second >= 500_000_000L, "third after a further ~600ms: " + (third - second));
        assertEquals(100000000L, info("C").path("config").path("ack_wait").asLong(), "ack_wait becomes backoff[0]");
    }

    @Test
    void nakWithDelayTermAndDoubleAck() throws Exception {
        Inbox d = inbox("d");
        Inbox term = inbox("$JS.EVENT.ADVISORY.CONSUMER.MSG_TERMINATED.S.C");
        Inbox acked = inbox("ackreply");
        stream.publish("s.a", "one");
        stream.publish("s.b", "two");
        durable("C", "{\"durable_name\":\"C\",\"deliver_subject\":\"d\",\"ack_policy\":\"explicit\"}");
        List<Inbox.Msg> got = d.await(2, 2000);
        long t0 = System.nanoTime();
        ack(got.get(0), "-NAK {\"delay\":300000000}");
        Inbox.Msg re = d.await(3, 3000).get(2);
        assertEquals("one", re.payload());
        assertTrue(System.nanoTime() - t0 >= 250_000_000L, "NAK delay honoured");
        account.publish(got.get(1).reply(), "ackreply", null, "+TERM bad data".getBytes());
        assertEquals(1, acked.await(1, 2000).size(), "double ack: the ack's reply gets an answer");
        JsonNode a = M.readTree(term.await(1, 2000).get(0).payload());
        assertEquals("io.nats.jetstream.advisory.v1.terminated", a.path("type").asText());
        assertEquals(2, a.path("stream_seq").asLong());
        assertEquals("bad data", a.path("reason").asText());
        account.publish(re.reply(), "ackreply", null, "+ACK".getBytes());
        acked.await(2, 2000);
        JsonNode i = info("C");
        assertEquals(0, i.path("num_ack_pending").asInt(), i.toString());
        assertEquals(2, i.path("ack_floor").path("stream_seq").asLong());
    }

    @Test
    void ackAllAcknowledgesEverythingBelow() throws Exception {
        Inbox d = inbox("d");
        for (int i = 0; i < 5; i++) {
            stream.publish("s.a", "m" + i);
        }
        durable("C", "{\"durable_name\":\"C\",\"deliver_subject\":\"d\",\"ack_policy\":\"all\"}");
        List<Inbox.Msg> got = d.await(5, 2000);
        ack(got.get(3), "+ACK");
        Thread.sleep(50);
        JsonNode i = info("C");
        assertEquals(1, i.path("num_ack_pending").asInt(), i.toString());
        assertEquals(4, i.path("ack_floor").path("stream_seq").asLong());
    }

    @Test
    void noInterestMeansNoDeliveryAndHeadersOnly() throws Exception {
        stream.publish("s.a", "payload!");
        durable("C", "{\"durable_name\":\"C\",\"deliver_subject\":\"late\",\"headers_only\":true}");
        Thread.sleep(100);
        assertEquals(0, info("C").path("delivered").path("consumer_seq").asLong(), "nothing sent without interest");
        Inbox late = inbox("late");
        Inbox.Msg m = late.await(1, 2000).get(0);
        assertEquals("", m.payload());
        assertTrue(m.headers().contains("Nats-Msg-Size: 8\r\n"), m.headers());
    }

    @Test
    void idleHeartbeatsAndFlowControl() throws Exception {
        Inbox d = inbox("d");
        durable("C", "{\"durable_name\":\"C\",\"deliver_subject\":\"d\",\"idle_heartbeat\":100000000,\"flow_control\":true}");
        List<Inbox.Msg> hb = d.await(2, 2000);
        assertTrue(hb.get(0).headers().startsWith("NATS/1.0 100 Idle Heartbeat\r\n"), hb.get(0).headers());
        assertTrue(hb.get(0).headers().contains("Nats-Last-Consumer: 0\r\n"));
        assertTrue(hb.get(0).headers().contains("Nats-Last-Stream: 0\r\n"));
        d.clear();
        String big = "x".repeat(1000);
        for (int i = 0; i < 2500; i++) {
            stream.publish("s.a", big);
        }
        // the server sends a flow control request after ~1MB and stalls past ~2MB until answered (as nats-server)
        List<Inbox.Msg> got = d.await(1500, 3000);
        Thread.sleep(300);
        List<Inbox.Msg> all = d.snapshot();
        Inbox.Msg fc = all.stream().filter(m -> m.headers().contains("FlowControl Request")).findFirst().orElseThrow();
        long data = all.stream().filter(m -> m.status() == 0).count();
        assertTrue(data < 2500, "stalled waiting for the flow control reply: " + data);
        assertTrue(all.stream().anyMatch(m -> m.headers().contains("Nats-Consumer-Stalled: " + fc.reply() + "\r\n")),
                "heartbeats while stalled name the flow control subject");
        account.publish(fc.reply(), null, null, new byte[0]);
        long deadline = System.nanoTime() + 3_000_000_000L;
        while (System.nanoTime() < deadline) {
            all = d.snapshot();
            long fcs = all.stream().filter(m -> m.headers().contains("FlowControl Request")).count();
            for (Inbox.Msg m : all) {
                if (m.headers().contains("FlowControl Request") && m != fc) {
                    account.publish(m.reply(), null, null, new byte[0]);
                }
            }
            if (all.stream().filter(m -> m.status() == 0).count() == 2500) {
                break;
            }
            Thread.sleep(20);
        }
        assertEquals(2500, d.snapshot().stream().filter(m -> m.status() == 0).count());
    }

    @Test
    void nakAtMaxDeliverGivesUp() throws Exception {
        Inbox d = inbox("d");
        Inbox adv = inbox("$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.S.C");
        stream.publish("s.a", "x");
        durable("C", "{\"durable_name\":\"C\",\"deliver_subject\":\"d\",\"ack_policy\":\"explicit\",\"max_deliver\":2}");
        ack(d.await(1, 2000).get(0), "-NAK");
        Inbox.Msg second = d.await(2, 2000).get(1);
        assertEquals("2", second.ackTokens()[4]);
        ack(second, "-NAK");
        assertEquals(1, adv.await(1, 2000).size());
        Thread.sleep(200);
        assertEquals(2, d.snapshot().size(), "a NAK at max_deliver does not redeliver");
    }
}
