package io.weft.engine.jetstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The {@code $JS.API} table answers exactly the subjects the chain of {@code startsWith} answered
 * before it, with the same reply types, and everything else as before (no answer in an enabled
 * account); errors are counted from typed results.
 */
class JsApiTableTest {

    /** The subscriptions JsApi made before the table (its old {@code OPS} list), after {@code $JS.API.}. */
    private static final List<String> BEFORE = List.of("INFO", "STREAM.CREATE.*", "STREAM.UPDATE.*", "STREAM.INFO.*",
            "STREAM.DELETE.*", "STREAM.PURGE.*", "STREAM.NAMES", "STREAM.LIST", "STREAM.MSG.GET.*",
            "STREAM.MSG.DELETE.*", "CONSUMER.>");

    /** Operations added since the table (issue 13: clustered JetStream). */
    private static final List<String> ADDED = List.of("STREAM.LEADER.STEPDOWN.*", "STREAM.PEER.REMOVE.*");

    /** One subject of each old branch of the chain and the reply type that branch gave its errors. */
    private static final Map<String, String> SAMPLES = Map.ofEntries(
            Map.entry("INFO", "account_info_response"),
            Map.entry("STREAM.CREATE.S", "stream_create_response"),
            Map.entry("STREAM.UPDATE.S", "stream_update_response"),
            Map.entry("STREAM.INFO.S", "stream_info_response"),
            Map.entry("STREAM.DELETE.S", "stream_delete_response"),
            Map.entry("STREAM.PURGE.S", "stream_purge_response"),
            Map.entry("STREAM.NAMES", "stream_names_response"),
            Map.entry("STREAM.LIST", "stream_list_response"),
            Map.entry("STREAM.MSG.GET.S", "stream_msg_get_response"),
            Map.entry("STREAM.MSG.DELETE.S", "stream_msg_delete_response"),
            Map.entry("STREAM.LEADER.STEPDOWN.S", "stream_leader_stepdown_response"),
            Map.entry("STREAM.PEER.REMOVE.S", "stream_remove_peer_response"),
            Map.entry("CONSUMER.INFO.S.C", "consumer_create_response"));

    @Test
    void theTableHoldsEveryOperationServedBeforeAndNoOther() {
        assertEquals(java.util.stream.Stream.concat(BEFORE.stream(), ADDED.stream()).sorted().collect(Collectors.toList()),
                JsApi.TABLE.stream().map(JsApi.Op::pattern).sorted().collect(Collectors.toList()));
        for (String p : BEFORE) {
            JsApi.Op op = JsApi.operation(p.replace("*", "X").replace(">", "X.Y"));
            assertNotNull(op, p);
            assertEquals(p, op.pattern());
        }
    }

    @Test
    void eachSubjectFindsTheOperationOfItsOldBranch() {
        SAMPLES.forEach((subject, type) -> {
            JsApi.Op op = JsApi.operation(subject);
            assertNotNull(op, subject);
            assertEquals(ApiReply.TYPE + type, op.type(), subject);
        });
        assertEquals("S", JsApi.operation("STREAM.MSG.GET.S").arg("STREAM.MSG.GET.S"));
        assertEquals("", JsApi.operation("STREAM.NAMES").arg("STREAM.NAMES"));
    }

    @Test
    void subjectsNoBranchServedHaveNoOperation() {
        for (String s : List.of("STREAM.FOO", "STREAM.CREATE", "STREAM.CREATE.A.B", "STREAM.NAMES.X", "ACCOUNT.INFO",
                "NOPE", "STREAM.MSG.GET", "DIRECT.GET.S", "STREAM.SNAPSHOT.S", "INFO.X")) {
            assertNull(JsApi.operation(s), s);
        }
    }

    @Test
    void unknownSubjectsGoUnansweredAsBefore() throws Exception {
        try (JsHarness h = new JsHarness()) {
            for (String s : List.of("$JS.API.STREAM.FOO", "$JS.API.NOPE", "$JS.API.STREAM.CREATE.A.B",
                    "$JS.API.STREAM.SNAPSHOT.S")) {
                assertNull(h.request(s, null, "{}", 300), s);
            }
            // and a known one still answers, so the silence above is not a dead API
            assertNotNull(h.apiJson("$JS.API.INFO", ""));
        }
    }

    @Test
    void errorsAreShapedAsBeforeAndCountedFromTheirType() throws Exception {
        try (JsHarness h = new JsHarness()) {
            JsonNode info = h.apiJson("$JS.API.STREAM.INFO.NOPE", "");
            assertEquals(10059, info.path("error").path("err_code").asInt());
            assertEquals(0, info.path("total").asInt());
            assertTrue(info.has("limit"));
            assertFalse(info.has("streams"));
            JsonNode names = h.apiJson("$JS.API.STREAM.NAMES", "[");
            assertTrue(names.has("error"));
            assertTrue(names.get("streams").isNull());
            JsonNode purge = h.apiJson("$JS.API.STREAM.PURGE.NOPE", "");
            assertEquals(0, purge.path("purged").asInt());
            assertTrue(purge.has("error"));
            JsonNode consumers = h.apiJson("$JS.API.CONSUMER.NAMES.NOPE", "");
            assertTrue(consumers.get("consumers").isArray());
            assertEquals(0, consumers.get("consumers").size());
            // a stream whose description looks like an error is no error
            h.createStream("{\"name\":\"S\",\"subjects\":[\"s\"],\"description\":\"\\\"error\\\":{\"}");
            JsonNode acct = h.apiJson("$JS.API.INFO", "");
            assertEquals(5, acct.path("api").path("total").asInt());
            assertEquals(4, acct.path("api").path("errors").asInt());
        }
    }
}
