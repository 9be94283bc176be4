package io.weft.engine.jetstream.consumer;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Malformed and random consumer API requests get a JSON error (or, for unknown subjects, no reply), never an exception. */
class ConsumerApiRobustnessTest extends ConsumerTestBase {
    private static final List<String> SUBJECTS = List.of(
            "$JS.API.CONSUMER.CREATE.S", "$JS.API.CONSUMER.CREATE.S.x", "$JS.API.CONSUMER.CREATE.S.x.s.a",
            "$JS.API.CONSUMER.DURABLE.CREATE.S.x", "$JS.API.CONSUMER.INFO.S.x", "$JS.API.CONSUMER.DELETE.S.x",
            "$JS.API.CONSUMER.NAMES.S", "$JS.API.CONSUMER.LIST.S", "$JS.API.CONSUMER.MSG.NEXT.S.x",
            "$JS.API.CONSUMER.LEADER.STEPDOWN.S.x", "$JS.API.CONSUMER.PAUSE.S.x", "$JS.API.CONSUMER",
            "$JS.API.CONSUMER.", "$JS.API.CONSUMER.CREATE", "$JS.API.CONSUMER.INFO.S");
    private static final List<String> FRAGMENTS = List.of(
            "{", "}", "[", "]", "\"config\":", "\"stream_name\":\"S\"", "\"durable_name\":\"x\"", "\"name\":\"x\"",
            "\"deliver_policy\":", "\"ack_policy\":", "\"explicit\"", "\"all\"", "\"by_start_time\"", "\"opt_start_time\":",
            "\"2020-13-45T99\"", "\"backoff\":[1,-2]", "\"filter_subjects\":[\"\",null]", "\"max_deliver\":", "-1", "0",
            "9223372036854775807", "1e99", "null", "true", "\"metadata\":{\"a\":1}", "\"deliver_subject\":\"d\"", ",", ":",
            "\"action\":\"update\"", "\"num_replicas\":99999999999", "\"sample_freq\":\"x%\"", "\"offset\":-7", "\"batch\":",
            "\"expires\":", "\"no_wait\":true", "\"max_bytes\":");

    @Test
    void randomRequestsNeverThrow() throws Exception {
        Random r = new Random(42);
        for (int i = 0; i < 3000; i++) {
            String subject = SUBJECTS.get(r.nextInt(SUBJECTS.size()));
            StringBuilder b = new StringBuilder();
            if (r.nextBoolean()) {
                b.append("{\"config\":{");
            }
            int n = r.nextInt(8);
            for (int k = 0; k < n; k++) {
                b.append(FRAGMENTS.get(r.nextInt(FRAGMENTS.size())));
            }
            if (r.nextInt(4) == 0) {
                b.append("}}");
            }
            byte[] reply = consumers.handleApi(subject, "_R.x", b.toString().getBytes(StandardCharsets.UTF_8),
                    s -> s.equals("S") ? stream : null);
            if (reply != null) {
                JsonNode j = M.readTree(reply);
                assertTrue(j.has("type") || j.has("error"), new String(reply, StandardCharsets.UTF_8));
            }
        }
    }
}
