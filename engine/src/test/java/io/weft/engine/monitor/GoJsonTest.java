package io.weft.engine.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.weft.engine.json.GoJson;
import io.weft.engine.sublist.SublistStats;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GoJsonTest {
    private final GoJson json = new GoJson();

    @Test
    void indentsLikeGoMarshalIndent() {
        Routez r = new Routez("S", "N", "2026-01-01T00:00:00Z", 0, List.of());
        assertEquals("{\n  \"server_id\": \"S\",\n  \"server_name\": \"N\",\n  \"now\": \"2026-01-01T00:00:00Z\",\n  \"num_routes\": 0,\n"
                + "  \"routes\": []\n}", json.indent(r));
        Gatewayz g = new Gatewayz("S", "T", Map.of(), Map.of());
        assertEquals("{\n  \"server_id\": \"S\",\n  \"now\": \"T\",\n  \"outbound_gateways\": {},\n"
                + "  \"inbound_gateways\": {}\n}", json.indent(g));
    }

    @Test
    void nestedArraysAndNulls() {
        Leafz l = new Leafz("S", "T", 0, null);
        assertEquals("{\n  \"server_id\": \"S\",\n  \"now\": \"T\",\n  \"leafnodes\": 0,\n  \"leafs\": null\n}",
                json.indent(l));
        SubDetail d = new SubDetail(null, "baz.>", "q1", "3", 0, 0, 4);
        assertEquals("{\n  \"subject\": \"baz.\\u003e\",\n  \"qgroup\": \"q1\",\n  \"sid\": \"3\",\n"
                + "  \"msgs\": 0,\n  \"cid\": 4\n}", json.indent(d));
    }

    @Test
    void escapesHtmlCharactersAndControlsWithLowercaseHex() {
        SubDetail d = new SubDetail("A&B", "<x>", null, "\u0001", 1, 5, 2);
        assertEquals("{\"account\":\"A\\u0026B\",\"account_tag\":\"A\\u0026B\",\"subject\":\"\\u003cx\\u003e\",\"sid\":\"\\u0001\",\"msgs\":1,"
                + "\"max\":5,\"cid\":2}", json.compact(d));
    }

    @Test
    void healthzIsCompactAndMicroSignStaysRaw() {
        assertEquals("{\"status\":\"ok\"}", json.compact(Healthz.OK));
        assertEquals("\"320µs\"", json.compact("320µs"));
        assertEquals("\"a\\u2028b\\u2029\"", json.compact("a\u2028b\u2029"));
    }

    @Test
    void floatsHaveNoTrailingZero() {
        SublistStats s = SublistStats.of(47, 7, 48, 1, 12, 2, 1, 5);
        assertEquals("{\"num_subscriptions\":47,\"num_cache\":7,\"num_inserts\":48,\"num_removes\":1,"
                + "\"num_matches\":12,\"cache_hit_rate\":0.16666666666666666,\"max_fanout\":1,"
                + "\"avg_fanout\":0.7142857142857143}", json.compact(s));
        assertEquals("{\"num_subscriptions\":0,\"num_cache\":0,\"num_inserts\":0,\"num_removes\":0,"
                + "\"num_matches\":0,\"cache_hit_rate\":0,\"max_fanout\":0,\"avg_fanout\":0}",
                json.compact(SublistStats.ZERO));
    }
    @Test
    void anEscapedSubjectByteIsWrittenAsAJsonEscapeThatReadsBack() throws Exception {
        String subject = io.weft.store.SubjectBytes.decode(new byte[] {'a', '.', (byte) 0xFF, '.', (byte) 0xC3, (byte) 0xA9});
        SubDetail d = new SubDetail(null, subject, null, "1", 0, 0, 2);
        byte[] out = json.compactBytes(d);
        String text = new String(out, java.nio.charset.StandardCharsets.UTF_8);
        assertEquals("{\"subject\":\"a.\\udcff.\u00e9\",\"sid\":\"1\",\"msgs\":0,\"cid\":2}", text);
        // valid UTF-8 out, and a JSON reader gets the same String back (so the same subject bytes)
        String back = new com.fasterxml.jackson.databind.ObjectMapper().readTree(out).get("subject").asText();
        assertEquals(subject, back);
        String indented = new String(json.indentBytes(d), java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(subject, new com.fasterxml.jackson.databind.ObjectMapper().readTree(indented).get("subject").asText());
    }
}
