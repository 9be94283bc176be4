package io.weft.engine.jetstream.consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Consumer pause: {@code pause_until} at create, the PAUSE API, and resumption at the deadline. */
class ConsumerPauseTest extends ConsumerTestBase {

    private String inMillis(long ms) {
        return Times.rfc3339((env.clock().currentTimeMillis() + ms) * 1_000_000L);
    }

    @Test
    void aPausedPullConsumerHoldsRequestsUntilItsDeadline() throws Exception {
        stream.publish("s.a", "m1");
        Inbox adv = inbox("$JS.EVENT.ADVISORY.CONSUMER.PAUSE.S.P");
        JsonNode r = durable("P", "{\"durable_name\":\"P\",\"ack_policy\":\"explicit\",\"pause_until\":\"" + inMillis(2000) + "\"}");
        assertTrue(r.path("paused").asBoolean(), r.toString());
        assertTrue(r.path("pause_remaining").asLong() > 0, r.toString());
        assertTrue(adv.await(1, 2000).get(0).payload().contains("\"paused\":true"));
        Inbox got = inbox("_INBOX.p");
        next("P", "_INBOX.p", "{\"batch\":1,\"expires\":5000000000}");
        Thread.sleep(300);
        assertTrue(got.snapshot().isEmpty(), "nothing delivered while paused: " + got.snapshot());
        assertEquals(1, info("P").path("num_waiting").asInt());
        List<Inbox.Msg> m = got.await(1, 5000);
        assertEquals("m1", m.get(0).payload());
        assertTrue(adv.await(2, 2000).get(1).payload().contains("\"paused\":false"));
        JsonNode i = info("P");
        assertTrue(i.path("paused").isMissingNode(), i.toString());
        assertTrue(i.path("config").has("pause_until"), "the config keeps pause_until: " + i);
    }

    @Test
    void pauseApiPausesAndResumes() throws Exception {
        durable("P", "{\"durable_name\":\"P\",\"ack_policy\":\"explicit\"}");
        JsonNode r = api("$JS.API.CONSUMER.PAUSE.S.P", "{\"pause_until\":\"" + inMillis(60_000) + "\"}");
        assertEquals("io.nats.jetstream.api.v1.consumer_pause_response", r.path("type").asText());
        assertTrue(r.path("paused").asBoolean(), r.toString());
        assertTrue(r.path("pause_remaining").asLong() > 50_000_000_000L, r.toString());
        stream.publish("s.a", "m1");
        Inbox got = inbox("_INBOX.nw");
        next("P", "_INBOX.nw", "{\"batch\":1,\"no_wait\":true}");
        assertEquals("NATS/1.0 404 No Messages\r\n\r\n", got.await(1, 2000).get(0).headers());
        r = api("$JS.API.CONSUMER.PAUSE.S.P", "");
        assertFalse(r.path("paused").asBoolean(), r.toString());
        assertEquals("0001-01-01T00:00:00Z", r.path("pause_until").asText());
        assertTrue(r.path("pause_remaining").isMissingNode(), r.toString());
        assertNull(info("P").path("config").get("pause_until"), "a resume clears pause_until");
        got.clear();
        next("P", "_INBOX.nw", "{\"batch\":1,\"no_wait\":true}");
        assertEquals("m1", got.await(1, 2000).get(0).payload());
    }

    /** nats.js v3 resumes by pausing until new Date(0): nats-server 2.15.1 echoes the epoch, not Go's zero time. */
    @Test
    void aPauseUntilAlreadyPassedResumesAndIsEchoed() throws Exception {
        durable("P", "{\"durable_name\":\"P\",\"ack_policy\":\"explicit\"}");
        assertTrue(api("$JS.API.CONSUMER.PAUSE.S.P", "{\"pause_until\":\"" + inMillis(60_000) + "\"}").path("paused").asBoolean());
        JsonNode r = api("$JS.API.CONSUMER.PAUSE.S.P", "{\"pause_until\":\"1970-01-01T00:00:00.000Z\"}");
        assertFalse(r.path("paused").asBoolean(), r.toString());
        assertEquals("1970-01-01T00:00:00Z", r.path("pause_until").asText(), r.toString());
        assertTrue(r.path("pause_remaining").isMissingNode(), r.toString());
        r = api("$JS.API.CONSUMER.PAUSE.S.P", "{\"pause_until\":\"2020-01-01T00:00:00Z\"}");
        assertEquals("2020-01-01T00:00:00Z", r.path("pause_until").asText(), r.toString());
        assertFalse(info("P").path("paused").asBoolean());
    }

    @Test
    void pauseApiErrorsCarryTheZeroState() throws Exception {
        durable("P", "{\"durable_name\":\"P\",\"ack_policy\":\"explicit\"}");
        JsonNode r = api("$JS.API.CONSUMER.PAUSE.S.P", "{\"pause_until\":\"tomorrow\"}");
        assertEquals(10025, errCode(r), r.toString());
        assertEquals("invalid JSON: parsing time \"tomorrow\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \"tomorrow\" as \"2006\"",
                r.path("error").path("description").asText());
        assertFalse(r.path("paused").asBoolean());
        assertEquals("0001-01-01T00:00:00Z", r.path("pause_until").asText());
        assertEquals(10014, errCode(api("$JS.API.CONSUMER.PAUSE.S.NOPE", "{}")));
        assertEquals(10059, errCode(api("$JS.API.CONSUMER.PAUSE.X.P", "{}")));
        assertNull(api("$JS.API.CONSUMER.PAUSE.S", "{}"), "a malformed subject gets no reply");
    }

    @Test
    void goTimeTextIsKept() throws Exception {
        PauseTime t = PauseTime.parse("2030-01-01T10:00:00.500+02:00");
        assertEquals("2030-01-01T10:00:00.5+02:00", t.text());
        assertEquals("2030-01-01T08:00:00.5Z", t.utc());
        assertTrue(PauseTime.parse("0001-01-01T00:00:00Z").zero());
    }
}
