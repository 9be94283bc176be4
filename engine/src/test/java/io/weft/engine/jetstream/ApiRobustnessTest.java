package io.weft.engine.jetstream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Malformed and hostile request bodies get JSON answers, never an exception or a dead API. */
class ApiRobustnessTest {
    private static final ObjectMapper M = new ObjectMapper();
    private static final List<String> SUBJECTS = List.of("$JS.API.INFO", "$JS.API.STREAM.CREATE.R",
            "$JS.API.STREAM.UPDATE.R", "$JS.API.STREAM.INFO.R", "$JS.API.STREAM.PURGE.R", "$JS.API.STREAM.NAMES",
            "$JS.API.STREAM.LIST", "$JS.API.STREAM.MSG.GET.R", "$JS.API.STREAM.MSG.DELETE.R",
            "$JS.API.STREAM.INFO.MISSING", "$JS.API.STREAM.CREATE.Q");
    private static final List<String> SHAPES = List.of("", "{", "}", "null", "[]", "[1,2]", "\"str\"", "42", "{}",
            "{\"name\":\"R\"}", "{\"name\":\"R\",\"subjects\":null}", "{\"name\":\"R\",\"subjects\":[1]}",
            "{\"name\":\"R\",\"max_msgs\":99999999999999999999999}", "{\"name\":\"R\",\"max_age\":1e3}",
            "{\"name\":\"R\",\"republish\":[]}", "{\"name\":\"R\",\"metadata\":{\"a\":1}}",
            "{\"name\":\"R\",\"consumer_limits\":\"x\"}", "{\"seq\":-1}", "{\"seq\":\"1\"}", "{\"seq\":1e400}",
            "{\"last_by_subj\":\"\"}", "{\"offset\":-5}", "{\"subjects_filter\":7}", "{\"filter\":\"a..b\"}",
            "{\"keep\":-1}", "{\"name\":\"Q\",\"subjects\":[\"q.>\"],\"subject_transform\":{\"src\":\"q.*\",\"dest\":\"{{bad}}\"}}",
            "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]");

    @Test
    void everyRequestGetsAJsonAnswer() throws Exception {
        try (JsHarness h = new JsHarness()) {
            assertNotNull(h.api("$JS.API.STREAM.CREATE.R", "{\"name\":\"R\",\"subjects\":[\"r.>\"],\"storage\":\"memory\"}"));
            h.publish("r.a", "x");
            Random random = new Random(42);
            int n = 0;
            for (String subject : SUBJECTS) {
                for (String body : SHAPES) {
                    check(h, subject, body);
                    n++;
                }
                for (int i = 0; i < 8; i++) {
                    byte[] junk = new byte[random.nextInt(64)];
                    random.nextBytes(junk);
                    check(h, subject, new String(junk, java.nio.charset.StandardCharsets.ISO_8859_1));
                    n++;
                }
            }
            assertTrue(n > 250);
            JsonNode info = M.readTree(h.api("$JS.API.INFO", ""));
            assertEquals("io.nats.jetstream.api.v1.account_info_response", info.get("type").asText());
            assertEquals("{\"stream\":\"R\", \"seq\":2}", h.publish("r.a", "still alive"));
        }
    }

    private static void check(JsHarness h, String subject, String body) throws Exception {
        String reply = h.api(subject, body);
        assertNotNull(reply, subject + " " + body);
        JsonNode n = M.readTree(reply);
        assertTrue(n.isObject(), reply);
        assertTrue(n.get("type").asText().startsWith("io.nats.jetstream.api.v1."), reply);
        JsonNode err = n.get("error");
        if (err != null) {
            assertTrue(err.get("code").asInt() >= 400, reply);
            assertTrue(err.get("err_code").asInt() >= 10000, reply);
            assertTrue(!err.get("description").asText().isEmpty(), reply);
            assertTrue(!err.get("description").asText().contains("internal error"), reply);
        }
    }
}
