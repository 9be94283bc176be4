package io.weft.engine.jetstream.consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.weft.engine.jetstream.JsApiException;
import io.weft.engine.jetstream.Retention;
import org.junit.jupiter.api.Test;

class ConsumerConfigTest {
    static final ObjectMapper M = new ObjectMapper();

    static ConsumerConfig parse(String json) throws Exception {
        return ConsumerConfig.fromJson(M.readTree(json));
    }

    @Test
    void roundTripKeepsEveryField() throws Exception {
        String json = "{\"durable_name\":\"D\",\"name\":\"D\",\"description\":\"d\",\"deliver_policy\":\"by_start_sequence\","
                + "\"opt_start_seq\":4,\"ack_policy\":\"explicit\",\"ack_wait\":1000000000,\"max_deliver\":5,"
                + "\"backoff\":[1000000000,2000000000],\"filter_subject\":\"a.>\",\"replay_policy\":\"original\","
                + "\"rate_limit_bps\":100,\"sample_freq\":\"50%\",\"max_ack_pending\":20,\"flow_control\":true,"
                + "\"idle_heartbeat\":5000000000,\"headers_only\":true,\"deliver_subject\":\"x\",\"deliver_group\":\"g\","
                + "\"inactive_threshold\":9000000000,\"num_replicas\":1,\"mem_storage\":true,\"metadata\":{\"k\":\"v\"}}";
        ConsumerConfig c = parse(json);
        assertEquals(json, c.toJson().toString());
    }

    @Test
    void wrongTypesAreInvalidJson() {
        JsApiException e = assertThrows(JsApiException.class, () -> parse("{\"ack_wait\":\"1s\"}"));
        assertEquals(10025, e.error().errCode());
        assertEquals(10025, assertThrows(JsApiException.class, () -> parse("{\"ack_policy\":\"sometimes\"}")).error().errCode());
        assertEquals(10025, assertThrows(JsApiException.class, () -> parse("{\"flow_control\":1}")).error().errCode());
    }

    @Test
    void defaultsDependOnAckPolicyAndMode() throws Exception {
        ConsumerConfig pull = parse("{\"durable_name\":\"D\",\"ack_policy\":\"explicit\"}").withDefaults(0, 0);
        assertEquals(30_000_000_000L, pull.ackWait());
        assertEquals(1000, pull.maxAckPending());
        assertEquals(512, pull.maxWaiting());
        assertEquals(0, pull.inactiveThreshold(), "durables do not expire by default");
        ConsumerConfig eph = parse("{\"deliver_subject\":\"x\"}").withDefaults(0, 0).withEphemeralDefault();
        assertEquals(0, eph.ackWait());
        assertEquals(0, eph.maxWaiting());
        assertEquals(5_000_000_000L, eph.inactiveThreshold());
        assertEquals(-1, eph.maxDeliver());
        ConsumerConfig limited = parse("{\"ack_policy\":\"all\"}").withDefaults(2_000_000_000L, 10);
        assertEquals(10, limited.maxAckPending(), "stream consumer_limits cap the default");
        assertEquals(2_000_000_000L, limited.inactiveThreshold());
    }

    @Test
    void validationAgainstStreamLimitsAndRetention() throws Exception {
        assertEquals(10121, assertThrows(JsApiException.class,
                () -> parse("{\"ack_policy\":\"explicit\",\"max_ack_pending\":50}").validate(Retention.LIMITS, 0, 10)).error().errCode());
        JsApiException it = assertThrows(JsApiException.class,
                () -> parse("{\"inactive_threshold\":5000000000}").validate(Retention.LIMITS, 1_000_000_000L, 0));
        assertEquals(10153, it.error().errCode());
        assertEquals("consumer inactive threshold exceeds system limit of 1s", it.error().description());
        assertEquals(10101, assertThrows(JsApiException.class,
                () -> parse("{\"ack_policy\":\"explicit\",\"deliver_policy\":\"new\"}").validate(Retention.WORKQUEUE, 0, 0)).error().errCode());
        parse("{\"ack_policy\":\"explicit\"}").validate(Retention.WORKQUEUE, 0, 0);
    }

    @Test
    void updateRules() throws Exception {
        ConsumerConfig a = parse("{\"durable_name\":\"D\",\"ack_policy\":\"explicit\"}").withDefaults(0, 0);
        assertNull(a.updateProblem(parse("{\"durable_name\":\"D\",\"ack_policy\":\"explicit\",\"max_deliver\":3,\"description\":\"x\"}").withDefaults(0, 0)));
        assertEquals("deliver policy can not be updated",
                a.updateProblem(parse("{\"durable_name\":\"D\",\"ack_policy\":\"explicit\",\"deliver_policy\":\"new\"}").withDefaults(0, 0)));
        assertEquals("can not update pull consumer to push based", // before max waiting, as nats-server 2.15 does
                a.updateProblem(parse("{\"durable_name\":\"D\",\"ack_policy\":\"explicit\",\"deliver_subject\":\"x\"}").withDefaults(0, 0)));
        ConsumerConfig push = parse("{\"durable_name\":\"D\",\"deliver_subject\":\"x\"}").withDefaults(0, 0);
        assertNull(push.updateProblem(parse("{\"durable_name\":\"D\",\"deliver_subject\":\"y\"}").withDefaults(0, 0)),
                "a push consumer may move to another deliver subject");
    }

    @Test
    void subjectHelpers() {
        assertTrue(ConsumerConfig.overlap("a.*", "a.b"));
        assertTrue(ConsumerConfig.overlap("a.>", "a.b.c"));
        assertFalse(ConsumerConfig.overlap("a.b", "a.c"));
        assertFalse(ConsumerConfig.overlap("a.*", "a.b.c"));
        assertFalse(ConsumerConfig.validSubject("a..b"));
        assertFalse(ConsumerConfig.validSubject("a.>.b"));
        assertTrue(ConsumerConfig.validSubject("a.*.>"));
    }

    @Test
    void goFormats() {
        assertEquals("1s", GoDuration.format(1_000_000_000L));
        assertEquals("1m30s", GoDuration.format(90_000_000_000L));
        assertEquals("1h0m0s", GoDuration.format(3_600_000_000_000L));
        assertEquals("1.5s", GoDuration.format(1_500_000_000L));
        assertEquals("250ms", GoDuration.format(250_000_000L));
        assertEquals("2026-11-26T16:08:19.9499Z", Times.rfc3339(1795709299949900000L));
        assertEquals("2026-11-26T16:08:19Z", Times.rfc3339(1795709299000000000L));
        byte[] h = HeaderBlocks.with("NATS/1.0\r\nA: b\r\n\r\n".getBytes(), "Nats-Msg-Size", "5");
        assertEquals("NATS/1.0\r\nA: b\r\nNats-Msg-Size: 5\r\n\r\n", new String(h));
        assertEquals("NATS/1.0\r\nNats-Msg-Size: 5\r\n\r\n", new String(HeaderBlocks.with(new byte[0], "Nats-Msg-Size", "5")));
    }
}
