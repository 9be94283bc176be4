package io.weft.engine.jetstream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.weft.engine.protocol.Headers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Stream behaviour through the $JS API of a real server, without client sockets. */
class StreamSemanticsTest {
    private static final ObjectMapper M = new ObjectMapper();
    JsHarness h;

    @BeforeEach
    void start() throws Exception {
        h = new JsHarness();
    }

    @AfterEach
    void stop() {
        h.close();
    }

    private JsonNode api(String subject, String body) throws Exception {
        return h.apiJson(subject, body);
    }

    private JsonNode create(String json) throws Exception {
        return h.createStream(json);
    }

    private JsonNode state(String name) throws Exception {
        return api("$JS.API.STREAM.INFO." + name, "").get("state");
    }

    @Test
    void streamActionAdvisories() throws Exception {
        java.util.List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        h.account.subscribe("$JS.EVENT.ADVISORY.STREAM.>", null, (subject, reply, data, off, hdrLen, totalLen) ->
                seen.add(subject + " " + new String(data, off + hdrLen, totalLen - hdrLen, StandardCharsets.UTF_8)));
        create("{\"name\":\"ADV\",\"subjects\":[\"adv.*\"]}");
        api("$JS.API.STREAM.UPDATE.ADV", "{\"name\":\"ADV\",\"subjects\":[\"adv.*\"],\"max_msgs\":5}");
        api("$JS.API.STREAM.DELETE.ADV", "");
        assertEquals(3, seen.size(), seen.toString());
        String[] subjects = {"CREATED", "UPDATED", "DELETED"};
        String[] actions = {"create", "modify", "delete"};
        for (int i = 0; i < 3; i++) {
            String[] parts = seen.get(i).split(" ", 2);
            assertEquals("$JS.EVENT.ADVISORY.STREAM." + subjects[i] + ".ADV", parts[0]);
            JsonNode a = M.readTree(parts[1]);
            assertEquals("io.nats.jetstream.advisory.v1.stream_action", a.get("type").asText());
            assertEquals("ADV", a.get("stream").asText());
            assertEquals(actions[i], a.get("action").asText());
            assertEquals(22, a.get("id").asText().length());
        }
    }

    @Test
    void createReplyShapeAndPubAck() throws Exception {
        JsonNode r = create("{\"name\":\"ORDERS\",\"subjects\":[\"orders.*\"]}");
        assertEquals("io.nats.jetstream.api.v1.stream_create_response", r.get("type").asText());
        assertTrue(r.get("did_create").asBoolean());
        assertEquals(0, r.get("state").get("first_seq").asLong());
        assertEquals("0001-01-01T00:00:00Z", r.get("state").get("first_ts").asText());
        assertEquals("{\"stream\":\"ORDERS\", \"seq\":1}", h.publish("orders.a", "hello"));
        JsonNode st = state("ORDERS");
        assertEquals(1, st.get("messages").asLong());
        // a file stream counts as nats-server's file store: 22 fixed + subject 8 + payload 5 + 8 hash
        assertEquals(43, st.get("bytes").asLong());
        // a subject of no stream gets no JetStream answer
        assertNull(h.request("other", null, "x", 300));
        assertTrue(h.node.jetStream().isRunning());
    }

    @Test
    void duplicateAckShape() throws Exception {
        create("{\"name\":\"D\",\"subjects\":[\"d\"]}");
        Headers id = new Headers().add("Nats-Msg-Id", "m1");
        assertEquals("{\"stream\":\"D\", \"seq\":1}", h.publish("d", id, "x"));
        assertEquals("{\"stream\":\"D\", \"seq\":1,\"duplicate\": true}", h.publish("d", id, "x"));
        assertEquals("{\"error\":{\"code\":400,\"err_code\":10060,\"description\":\"expected stream does not match\"},"
                + "\"stream\":\"D\",\"seq\":0}", h.publish("d", new Headers().add("Nats-Expected-Stream", "NOPE"), "x"));
    }

    @Test
    void maxAgeExpiresMessagesOnATimer() throws Exception {
        create("{\"name\":\"AGE\",\"subjects\":[\"age\"],\"max_age\":300000000,\"storage\":\"memory\"}");
        h.publish("age", "1");
        h.publish("age", "2");
        assertEquals(2, state("AGE").get("messages").asLong());
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (state("AGE").get("messages").asLong() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        JsonNode st = state("AGE");
        assertEquals(0, st.get("messages").asLong());
        assertEquals(3, st.get("first_seq").asLong());
    }

    @Test
    void republishWithHeadersAndSubjectTransform() throws Exception {
        create("{\"name\":\"TR\",\"subjects\":[\"in.>\"],\"subject_transform\":{\"src\":\"in.*\",\"dest\":\"stored.$1\"}}");
        assertEquals("{\"stream\":\"TR\", \"seq\":1}", h.publish("in.a", "payload"));
        assertEquals("stored.a", api("$JS.API.STREAM.MSG.GET.TR", "{\"seq\":1}").get("message").get("subject").asText());

        create("{\"name\":\"RP\",\"subjects\":[\"stored.>\"],\"republish\":{\"src\":\"stored.>\",\"dest\":\"_INBOX.rp.>\"}}");
        assertEquals("{\"stream\":\"RP\", \"seq\":1}", h.publish("stored.a", "payload"));
        JsHarness.Reply rp = h.next(2000);
        assertNotNull(rp);
        assertEquals("_INBOX.rp.a", rp.subject());
        assertEquals("payload", rp.text());
        Headers hh = rp.parsedHeaders();
        assertEquals("RP", hh.first("Nats-Stream"));
        assertEquals("stored.a", hh.first("Nats-Subject"));
        assertEquals("1", hh.first("Nats-Sequence"));
        assertEquals("0", hh.first("Nats-Last-Sequence"));
        assertNotNull(hh.first("Nats-Time-Stamp"));
        JsonNode msg = api("$JS.API.STREAM.MSG.GET.RP", "{\"seq\":1}").get("message");
        assertEquals("stored.a", msg.get("subject").asText());

        create("{\"name\":\"HO\",\"subjects\":[\"ho\"],\"republish\":{\"src\":\"ho\",\"dest\":\"_INBOX.ho\",\"headers_only\":true}}");
        h.publish("ho", "12345");
        JsHarness.Reply ho = h.next(2000);
        assertNotNull(ho);
        assertEquals(0, ho.data().length);
        assertEquals("5", ho.parsedHeaders().first("Nats-Msg-Size"));
    }

    @Test
    void sealedDenyDeleteDenyPurgeNoAckFirstSeq() throws Exception {
        create("{\"name\":\"S\",\"subjects\":[\"s\"],\"deny_delete\":true,\"deny_purge\":true}");
        h.publish("s", "1");
        JsonNode del = api("$JS.API.STREAM.MSG.DELETE.S", "{\"seq\":1}");
        assertEquals(10057, del.get("error").get("err_code").asInt());
        assertEquals("message delete not permitted", del.get("error").get("description").asText());
        assertEquals(10110, api("$JS.API.STREAM.PURGE.S", "").get("error").get("err_code").asInt());
        JsonNode up = api("$JS.API.STREAM.UPDATE.S", "{\"name\":\"S\",\"subjects\":[\"s\"],\"deny_delete\":true,"
                + "\"deny_purge\":true,\"sealed\":true}");
        assertTrue(up.get("config").get("sealed").asBoolean());
        String sealedAck = h.publish("s", "2");
        assertTrue(sealedAck.contains("\"err_code\":10109"), sealedAck);

        create("{\"name\":\"NA\",\"subjects\":[\"na\"],\"no_ack\":true}");
        assertNull(h.request("na", null, "x", 300), "no_ack streams do not answer");
        assertEquals(1, state("NA").get("messages").asLong());

        create("{\"name\":\"FS\",\"subjects\":[\"fs\"],\"first_seq\":100}");
        assertEquals("{\"stream\":\"FS\", \"seq\":100}", h.publish("fs", "x"));
    }

    @Test
    void interestRetentionWithoutConsumersKeepsNothing() throws Exception {
        create("{\"name\":\"INT\",\"subjects\":[\"int\"],\"retention\":\"interest\"}");
        assertEquals("{\"stream\":\"INT\", \"seq\":1}", h.publish("int", "x"));
        JsonNode st = state("INT");
        assertEquals(0, st.get("messages").asLong());
        assertEquals(1, st.get("last_seq").asLong());
    }

    @Test
    void discardNewPerSubjectAndMaxBytes() throws Exception {
        create("{\"name\":\"DN\",\"subjects\":[\"dn.>\"],\"discard\":\"new\",\"max_msgs_per_subject\":1,"
                + "\"discard_new_per_subject\":true,\"max_msgs\":2}");
        h.publish("dn.a", "1");
        String r = h.publish("dn.a", "2");
        assertTrue(r.contains("maximum messages per subject exceeded") && r.contains("10077"), r);
        assertEquals("{\"stream\":\"DN\", \"seq\":2}", h.publish("dn.b", "3"));
        // both limits hit: nats-server reports the per-subject one
        String both = h.publish("dn.a", "4");
        assertTrue(both.contains("maximum messages per subject exceeded"), both);
        assertTrue(h.publish("dn.c", "5").contains("\"description\":\"maximum messages exceeded\""));

        create("{\"name\":\"MB\",\"subjects\":[\"mb\"],\"max_bytes\":100}");
        for (int i = 0; i < 10; i++) {
            h.publish("mb", "0123456789");
        }
        JsonNode st = state("MB");
        assertTrue(st.get("bytes").asLong() <= 100, st.toString());
        assertEquals(10, st.get("last_seq").asLong());
    }

    @Test
    void namesListPagingAndSubjectFilter() throws Exception {
        for (int i = 0; i < 5; i++) {
            create("{\"name\":\"N" + i + "\",\"subjects\":[\"n" + i + ".>\"],\"storage\":\"memory\"}");
        }
        JsonNode names = api("$JS.API.STREAM.NAMES", "{\"offset\":3}");
        assertEquals(5, names.get("total").asInt());
        assertEquals(1024, names.get("limit").asInt());
        assertEquals("[\"N3\",\"N4\"]", names.get("streams").toString());
        JsonNode filtered = api("$JS.API.STREAM.NAMES", "{\"subject\":\"n2.x\"}");
        assertEquals("[\"N2\"]", filtered.get("streams").toString());
        JsonNode list = api("$JS.API.STREAM.LIST", "");
        assertEquals(5, list.get("streams").size());
        assertEquals("N0", list.get("streams").get(0).get("config").get("name").asText());
        assertEquals(10025, api("$JS.API.STREAM.NAMES", "{bad").get("error").get("err_code").asInt());
    }

    @Test
    void accountInfoCountsApiCalls() throws Exception {
        create("{\"name\":\"AI\",\"storage\":\"memory\"}");
        api("$JS.API.STREAM.INFO.NOPE", "");
        JsonNode ai = api("$JS.API.INFO", "");
        assertEquals("io.nats.jetstream.api.v1.account_info_response", ai.get("type").asText());
        assertEquals(1, ai.get("streams").asInt());
        // INFO itself is counted after its answer, as nats-server does
        assertEquals(2, ai.get("api").get("total").asInt());
        assertEquals(1, ai.get("api").get("errors").asInt());
        assertEquals(-1, ai.get("limits").get("max_memory").asLong());
    }

    @Test
    void directGetStatusReplies() throws Exception {
        create("{\"name\":\"DG\",\"subjects\":[\"dg.>\"],\"allow_direct\":true}");
        h.publish("dg.a", new Headers().add("A", "b"), "hi");
        JsHarness.Reply r = h.request("$JS.API.DIRECT.GET.DG.dg.a", null, "");
        assertEquals("hi", r.text());
        Headers hh = r.parsedHeaders();
        assertEquals("b", hh.first("A"));
        assertEquals("DG", hh.first("Nats-Stream"));
        assertEquals("dg.a", hh.first("Nats-Subject"));
        assertEquals("1", hh.first("Nats-Sequence"));
        assertEquals("NATS/1.0 404 Message Not Found\r\n\r\n",
                new String(h.request("$JS.API.DIRECT.GET.DG", null, "{\"seq\":9}").headers(), StandardCharsets.US_ASCII));
        assertEquals("NATS/1.0 408 Empty Request\r\n\r\n",
                new String(h.request("$JS.API.DIRECT.GET.DG", null, "").headers(), StandardCharsets.US_ASCII));
        assertEquals("NATS/1.0 408 Malformed Request\r\n\r\n",
                new String(h.request("$JS.API.DIRECT.GET.DG", null, "{x}").headers(), StandardCharsets.US_ASCII));
        assertEquals("NATS/1.0 408 Bad Request\r\n\r\n",
                new String(h.request("$JS.API.DIRECT.GET.DG.dg.a", null, "{\"seq\":1}").headers(), StandardCharsets.US_ASCII));
    }


    @Test
    void purgeKeepWithWildcardAndDeleteErrorsAsNatsServer() throws Exception {
        // cases from the differential tests against nats-server 2.9.10
        create("{\"name\":\"PW\",\"subjects\":[\"pw.>\"],\"storage\":\"memory\"}");
        for (int i = 1; i <= 6; i++) {
            h.publish("pw.a." + ((i - 1) % 3), "m" + i);
        }
        JsonNode p = api("$JS.API.STREAM.PURGE.PW", "{\"filter\":\"pw.a.*\",\"keep\":2}");
        assertEquals(4, p.get("purged").asLong(), "keep counts every message the wildcard matches");
        JsonNode st = state("PW");
        assertEquals(2, st.get("messages").asLong());
        assertEquals(5, st.get("first_seq").asLong());

        assertEquals(true, api("$JS.API.STREAM.MSG.DELETE.PW", "{\"seq\":5}").get("success").asBoolean());
        JsonNode again = api("$JS.API.STREAM.MSG.DELETE.PW", "{\"seq\":99}").get("error");
        assertEquals(10043, again.get("err_code").asInt());
        assertEquals("sequence 99 not found", again.get("description").asText());
        assertEquals(10003, api("$JS.API.STREAM.MSG.DELETE.PW", "{}").get("error").get("err_code").asInt());

        create("{\"name\":\"PF\",\"subjects\":[\"pf.>\"]}");
        for (int i = 1; i <= 4; i++) {
            h.publish("pf.x", "m" + i);
        }
        api("$JS.API.STREAM.MSG.DELETE.PF", "{\"seq\":1}");
        api("$JS.API.STREAM.MSG.DELETE.PF", "{\"seq\":3}");
        assertEquals("no message found", api("$JS.API.STREAM.MSG.DELETE.PF", "{\"seq\":1}").get("error").get("description").asText());
        assertEquals("sequence 3 not found", api("$JS.API.STREAM.MSG.DELETE.PF", "{\"seq\":3}").get("error").get("description").asText());
        assertEquals("stream store EOF", api("$JS.API.STREAM.MSG.DELETE.PF", "{\"seq\":9}").get("error").get("description").asText());

        JsonNode rollup = api("$JS.API.STREAM.CREATE.RP", "{\"name\":\"RP\",\"allow_rollup_hdrs\":true,\"deny_purge\":true}");
        assertEquals("roll-ups require the purge permission", rollup.get("error").get("description").asText());
    }
}
