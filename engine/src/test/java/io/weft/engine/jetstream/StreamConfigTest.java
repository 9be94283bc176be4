package io.weft.engine.jetstream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.weft.engine.json.GoJson;
import io.weft.store.Subjects;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StreamConfigTest {
    private static final ObjectMapper M = new ObjectMapper();

    private static StreamConfig cfg(String json) throws Exception {
        return StreamConfig.parse(M.readTree(json)).withDefaults();
    }

    private static JsApiError error(String json) throws Exception {
        JsApiException e = assertThrows(JsApiException.class, () -> cfg(json).validate(1024 * 1024));
        return e.error();
    }

    private static JsApiError parseError(String json) {
        return assertThrows(JsApiException.class, () -> StreamConfig.parse(M.readTree(json))).error();
    }

    @Test
    void defaultsAndJsonShapeAsNatsServer210() throws Exception {
        String json = new GoJson().compact(cfg("{\"name\":\"ORDERS\",\"subjects\":[\"orders.>\"]}").toJson());
        // nats-server 2.9.10's reply for the same request, plus 2.10's compression and consumer_limits
        // and 2.11's allow_msg_ttl (written even when false)
        assertEquals("{\"name\":\"ORDERS\",\"subjects\":[\"orders.\\u003e\"],\"retention\":\"limits\",\"max_consumers\":-1,"
                + "\"max_msgs\":-1,\"max_bytes\":-1,\"max_age\":0,\"max_msgs_per_subject\":-1,\"max_msg_size\":-1,"
                + "\"discard\":\"old\",\"storage\":\"file\",\"num_replicas\":1,\"duplicate_window\":120000000000,"
                + "\"compression\":\"none\",\"allow_direct\":false,\"mirror_direct\":false,\"sealed\":false,"
                + "\"deny_delete\":false,\"deny_purge\":false,\"allow_rollup_hdrs\":false,\"consumer_limits\":{},"
                + "\"allow_msg_ttl\":false}", json);
    }

    @Test
    void subjectsDefaultToTheNameAndDuplicateWindowToMaxAge() throws Exception {
        StreamConfig c = cfg("{\"name\":\"A\",\"max_age\":1000000000}");
        assertEquals(java.util.List.of("A"), c.subjects());
        assertEquals(1_000_000_000L, c.duplicateWindow());
        assertEquals(StreamConfig.DEFAULT_DUPLICATE_WINDOW, cfg("{\"name\":\"A\",\"max_age\":300000000000}").duplicateWindow());
    }

    @Test
    void optionalFieldsRoundTrip() throws Exception {
        String in = "{\"name\":\"F\",\"description\":\"hi\",\"subjects\":[\"f\"],\"storage\":\"memory\",\"discard\":\"new\","
                + "\"max_msgs_per_subject\":2,\"discard_new_per_subject\":true,\"no_ack\":true,\"first_seq\":5,"
                + "\"subject_transform\":{\"src\":\"f\",\"dest\":\"g\"},\"republish\":{\"src\":\"f\",\"dest\":\"rf\",\"headers_only\":true},"
                + "\"allow_direct\":true,\"compression\":\"s2\",\"consumer_limits\":{\"inactive_threshold\":5,\"max_ack_pending\":7},"
                + "\"metadata\":{\"z\":\"1\",\"a\":\"2\"}}";
        StreamConfig c = cfg(in);
        JsonNode out = c.toJson();
        assertEquals("hi", out.get("description").asText());
        assertEquals("memory", out.get("storage").asText());
        assertTrue(out.get("no_ack").asBoolean());
        assertEquals(5, out.get("first_seq").asLong());
        assertEquals("g", out.get("subject_transform").get("dest").asText());
        assertTrue(out.get("republish").get("headers_only").asBoolean());
        assertEquals("s2", out.get("compression").asText());
        assertEquals(7, out.get("consumer_limits").get("max_ack_pending").asInt());
        assertEquals("a", out.get("metadata").fieldNames().next(), "metadata keys sorted as Go marshals maps");
        assertEquals(c, StreamConfig.parse(out).withDefaults(), "what we write reads back the same");
        c.validate(1024 * 1024);
        assertNull(cfg("{\"name\":\"X\"}").toJson().get("metadata"));
    }

    @Test
    void wrongTypesAndUnknownEnumsAreInvalidJson() {
        assertEquals(10025, parseError("{\"name\":\"C\",\"retention\":\"foo\"}").errCode());
        assertEquals(10025, parseError("{\"name\":\"C\",\"max_age\":\"x\"}").errCode());
        assertEquals(10025, parseError("{\"name\":\"C\",\"storage\":\"bogus\"}").errCode());
        assertEquals(10025, parseError("{\"name\":\"C\",\"subjects\":\"a\"}").errCode());
        assertEquals(10025, parseError("{\"name\":\"C\",\"max_msgs\":1.5}").errCode());
        assertEquals(10025, parseError("[1]").errCode());
    }

    @Test
    void validationErrorsAsNatsServer() throws Exception {
        // descriptions and codes checked against nats-server 2.15.1, which checks a subject's
        // overlap with the later ones before the next one's duplication: a literal duplicate is
        // reported as an overlap
        JsApiError e = error("{\"name\":\"C\",\"subjects\":[\"c\",\"c\"]}");
        assertEquals(500, e.code());
        assertEquals(10052, e.errCode());
        assertEquals("subject \"c\" overlaps with \"c\"", e.description());
        assertEquals("subjects that overlap with jetstream api require no-ack to be true",
                error("{\"name\":\"C\",\"subjects\":[\"*.y\"]}").description());
        assertEquals("subject \"c.*\" overlaps with \"c.a\"", error("{\"name\":\"C\",\"subjects\":[\"c.*\",\"c.a\"]}").description());
        assertEquals("invalid subject", error("{\"name\":\"C\",\"subjects\":[\"c..a\"]}").description());
        assertEquals("discard new per subject requires discard new policy to be set",
                error("{\"name\":\"B\",\"subjects\":[\"b.>\"],\"discard_new_per_subject\":true}").description());
        assertEquals("duplicates window can not be larger then max age",
                error("{\"name\":\"E\",\"duplicate_window\":5000000000,\"max_age\":1000000000}").description());
        assertEquals("subjects that overlap with jetstream api require no-ack to be true",
                error("{\"name\":\"H\",\"subjects\":[\"$JS.API.>\"]}").description());
        assertEquals("subjects that overlap with system api require no-ack to be true",
                error("{\"name\":\"H\",\"subjects\":[\"$SYS.REQ.>\"]}").description());
        // the exceptions older servers allowed
        cfg("{\"name\":\"H\",\"subjects\":[\"$JS.EVENT.>\"]}").validate(1024 * 1024);
        cfg("{\"name\":\"H\",\"subjects\":[\"$SYS.ACCOUNT.>\"]}").validate(1024 * 1024);
        cfg("{\"name\":\"H\",\"subjects\":[\"$JS.API.>\"],\"no_ack\":true}").validate(1024 * 1024);
        JsApiError rep = error("{\"name\":\"A\",\"num_replicas\":3}");
        assertEquals(10074, rep.errCode());
        assertEquals("replicas > 1 not supported in non-clustered mode", rep.description());
        // nats-server 2.15's config check names path separators too (the API reports 10128 before it, from the subject)
        assertEquals(10052, error("{\"name\":\"a/b\"}").errCode());
        assertEquals(10128, assertThrows(JsApiException.class, () -> StreamConfig.checkName("a/b")).error().errCode());
        assertEquals("stream name is required and can not contain '.', '*', '>', '\\', '/'", error("{\"name\":\"*\"}").description());
        assertEquals(10156, error("{\"name\":\"T\",\"subject_transform\":{\"src\":\"a.*\",\"dest\":\"b.$2\"}}").errCode());
    }

    @Test
    void updateRules() throws Exception {
        StreamConfig old = cfg("{\"name\":\"D\",\"subjects\":[\"d.>\"],\"deny_delete\":true}");
        assertEquals("stream configuration update can not change storage type", assertThrows(JsApiException.class,
                () -> cfg("{\"name\":\"D\",\"subjects\":[\"d.>\"],\"deny_delete\":true,\"storage\":\"memory\"}").checkUpdate(old))
                .getMessage());
        cfg("{\"name\":\"D\",\"deny_delete\":true,\"retention\":\"interest\"}").checkUpdate(old);
        cfg("{\"name\":\"D\",\"deny_delete\":true,\"compression\":\"s2\"}").checkUpdate(old);
        assertEquals("stream configuration update can not change retention policy to/from workqueue", assertThrows(JsApiException.class,
                () -> cfg("{\"name\":\"D\",\"deny_delete\":true,\"retention\":\"workqueue\"}").checkUpdate(old)).getMessage());
        StreamConfig wq = cfg("{\"name\":\"D\",\"retention\":\"workqueue\"}");
        assertEquals("stream configuration update can not change retention policy to/from workqueue", assertThrows(JsApiException.class,
                () -> cfg("{\"name\":\"D\",\"retention\":\"limits\"}").checkUpdate(wq)).getMessage());
        cfg("{\"name\":\"D\",\"deny_delete\":true,\"max_consumers\":5}").checkUpdate(old);
        assertEquals("stream configuration update can not cancel deny message deletes", assertThrows(JsApiException.class,
                () -> cfg("{\"name\":\"D\"}").checkUpdate(old)).getMessage());
        StreamConfig sealed = cfg("{\"name\":\"D\",\"deny_delete\":true,\"sealed\":true}");
        sealed.checkUpdate(old);
        assertEquals("stream configuration update can not unseal a sealed stream", assertThrows(JsApiException.class,
                () -> cfg("{\"name\":\"D\",\"deny_delete\":true}").checkUpdate(sealed)).getMessage());
        cfg("{\"name\":\"D\",\"subjects\":[\"x\"],\"deny_delete\":true,\"max_msgs\":5,\"description\":\"d\"}").checkUpdate(old);
    }

    @Test
    void subjectOverlapAndTransforms() {
        assertTrue(Subjects.tokensOverlap("orders.*", "orders.x"));
        assertTrue(Subjects.tokensOverlap(">", "a.b"));
        assertTrue(Subjects.tokensOverlap("a.*.c", "a.b.>"));
        assertTrue(!Subjects.tokensOverlap("a.>", "a"));
        assertTrue(!Subjects.tokensOverlap("a.b", "a.c"));
        assertTrue(!Subjects.tokensOverlap("a.*", "a.b.c"));
        assertEquals("b.x.y", SubjectTransformer.of("a.*.*", "b.$1.{{wildcard(2)}}").apply("a.x.y"));
        assertEquals("b.y.x", SubjectTransformer.of("a.*.*", "b.$2.$1").apply("a.x.y"));
        assertEquals("new.x.y.z", SubjectTransformer.of("old.>", "new.>").apply("old.x.y.z"));
        assertEquals("all.foo", SubjectTransformer.of(">", "all.>").apply("foo"));
        assertNull(SubjectTransformer.of("a.*", "b.*").apply("c.d"));
        assertNull(SubjectTransformer.of("a.*", "b.$2"));
        assertNull(SubjectTransformer.of("a.*", "b.>"));
    }

    @Test
    void sealingFreezesTheStreamAsNatsServer() throws Exception {
        // nats-server 2.9.10 answers an update to sealed with these fields changed
        StreamConfig c = cfg("{\"name\":\"SA\",\"max_age\":100000000000,\"max_msgs\":5,\"allow_rollup_hdrs\":true,\"sealed\":true}");
        assertEquals(0, c.maxAge());
        assertTrue(c.discardNew());
        assertTrue(c.denyDelete());
        assertTrue(c.denyPurge());
        assertTrue(!c.allowRollup());
        assertEquals(100_000_000_000L, c.duplicateWindow());
        c.validate(1024 * 1024);
    }
}
