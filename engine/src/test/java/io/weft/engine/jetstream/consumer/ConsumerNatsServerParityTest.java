package io.weft.engine.jetstream.consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.weft.engine.jetstream.Retention;
import io.weft.engine.json.GoJsonSyntax;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Replies checked byte for byte against nats-server 2.9.10 (raw requests on a -js server). */
class ConsumerNatsServerParityTest extends ConsumerTestBase {

    @Test
    void durableCreateWithoutConfigWantsADurableName() throws Exception {
        for (String body : List.of("{\"stream_name\":\"S\"}", "{\"stream_name\":\"S\",\"config\":null}",
                "{\"stream_name\":\"S\",\"config\":{}}")) {
            JsonNode r = api("$JS.API.CONSUMER.DURABLE.CREATE.S.D", body);
            assertEquals("{\"type\":\"io.nats.jetstream.api.v1.consumer_create_response\",\"error\":{\"code\":400,"
                    + "\"err_code\":10018,\"description\":\"consumer expected to be durable but a durable name was not set\"}}",
                    r.toString(), body);
        }
    }

    @Test
    void createDecodesAndMatchesTheStreamNameBeforeLookingTheStreamUp() throws Exception {
        // nats-server 2.15 decodes an empty body into a zero request: its stream name does not match
        assertEquals(10056, errCode(api("$JS.API.CONSUMER.CREATE.NOPE", "")));
        assertEquals(10025, errCode(api("$JS.API.CONSUMER.CREATE.NOPE", "{bad")));
        assertEquals(10025, errCode(api("$JS.API.CONSUMER.DURABLE.CREATE.NOPE.D", "[1]")));
        assertEquals(10025, errCode(api("$JS.API.CONSUMER.DURABLE.CREATE.S.D", "{\"stream_name\":\"S\",\"config\":5}")));
        assertEquals(10025, errCode(api("$JS.API.CONSUMER.CREATE.S", "{\"stream_name\":\"S\",\"config\":[]}")));
        assertEquals(10056, errCode(api("$JS.API.CONSUMER.CREATE.NOPE", "{\"stream_name\":\"X\"}")));
        assertEquals(10056, errCode(api("$JS.API.CONSUMER.CREATE.S", "{\"config\":{}}")), "a missing stream_name does not match");
        assertEquals(10056, errCode(api("$JS.API.CONSUMER.CREATE.S", "{\"stream_name\":\"\",\"config\":{}}")));
        assertEquals(10059, errCode(api("$JS.API.CONSUMER.CREATE.NOPE", "{\"stream_name\":\"NOPE\"}")));
    }

    @Test
    void namesAndListErrorsCarryEmptyPaging() throws Exception {
        assertEquals("{\"type\":\"io.nats.jetstream.api.v1.consumer_names_response\",\"error\":{\"code\":404,\"err_code\":10059,"
                + "\"description\":\"stream not found\"},\"total\":0,\"offset\":0,\"limit\":0,\"consumers\":[]}",
                api("$JS.API.CONSUMER.NAMES.NOPE", "").toString());
        assertEquals("{\"type\":\"io.nats.jetstream.api.v1.consumer_list_response\",\"error\":{\"code\":404,\"err_code\":10059,"
                + "\"description\":\"stream not found\"},\"total\":0,\"offset\":0,\"limit\":0,\"consumers\":[]}",
                api("$JS.API.CONSUMER.LIST.NOPE", "").toString());
        // nats-server 2.15.1's texts: "invalid JSON: " and the Go decoder's error
        String badJson = "{\"type\":\"io.nats.jetstream.api.v1.consumer_names_response\",\"error\":{\"code\":400,\"err_code\":10025,"
                + "\"description\":\"invalid JSON: %s\"},\"total\":0,\"offset\":0,\"limit\":0,\"consumers\":[]}";
        String syntax = String.format(badJson, "invalid character 'b' looking for beginning of object key string at offset 2");
        // the body is decoded before the stream is looked up
        assertEquals(syntax, api("$JS.API.CONSUMER.NAMES.NOPE", "{bad").toString());
        assertEquals(syntax, api("$JS.API.CONSUMER.NAMES.S", "{bad").toString());
        assertEquals(String.format(badJson, "json: cannot unmarshal string into Go struct field JSApiConsumersRequest.offset of type int"),
                api("$JS.API.CONSUMER.NAMES.S", "{\"offset\":\"x\"}").toString());
        assertEquals(10025, errCode(api("$JS.API.CONSUMER.LIST.S", "[1]")));
        assertEquals(0, api("$JS.API.CONSUMER.LIST.S", "{\"offset\":0}").path("total").asInt());
    }

    @Test
    void workQueuePullWithoutAcksNamesThePullModeFirst() throws Exception {
        stream = new FakeStream("S", Retention.WORKQUEUE, account, env, null);
        assertEquals(10084, errCode(durable("C", "{\"durable_name\":\"C\",\"ack_policy\":\"none\",\"filter_subject\":\"s.c\"}")));
        assertEquals("consumer in pull mode requires explicit ack policy on workqueue stream",
                durable("C", "{\"durable_name\":\"C\",\"ack_policy\":\"none\"}").path("error").path("description").asText());
        assertEquals(10098, errCode(durable("C", "{\"durable_name\":\"C\",\"ack_policy\":\"all\"}")));
        assertEquals(10098, errCode(durable("C", "{\"durable_name\":\"C\",\"ack_policy\":\"none\",\"deliver_subject\":\"dd\"}")));
        assertEquals(10101, errCode(durable("C", "{\"durable_name\":\"C\",\"ack_policy\":\"explicit\",\"deliver_policy\":\"new\"}")));
    }

    @Test
    void badPullRequestBodiesCarryGoDecodingErrors() throws Exception {
        durable("P", "{\"durable_name\":\"P\",\"ack_policy\":\"explicit\"}");
        Inbox r = inbox("_INBOX.bad");
        String[][] cases = {
                {"{bad", "invalid character 'b' looking for beginning of object key string"},
                {"{\"batch\":1,", "unexpected end of JSON input"},
                {"{\"batch\":1}x", "invalid character 'x' after top-level value"},
                {"{\"batch\":\"x\"}", "json: cannot unmarshal string into Go struct field JSApiConsumerGetNextRequest.batch of type int"},
                {"{\"batch\":1,\"expires\":\"a\"}",
                        "json: cannot unmarshal string into Go struct field JSApiConsumerGetNextRequest.expires of type time.Duration"},
        };
        for (String[] c : cases) {
            r.clear();
            next("P", "_INBOX.bad", c[0]);
            Inbox.Msg m = r.await(1, 2000).get(0);
            assertEquals("NATS/1.0 400 Bad Request - " + c[1] + "\r\n\r\n", m.headers(), c[0]);
        }
    }

    @Test
    void goSyntaxMessages() {
        assertNull(GoJsonSyntax.problem("{\"a\":[1,-2.5e3,true,null,\"x\\u00e9\"]}"));
        assertEquals("invalid character ':' after array element", GoJsonSyntax.problem("[1:"));
        assertEquals("invalid character '}' after object key", GoJsonSyntax.problem("{\"a\"}"));
        assertEquals("invalid character 'x' after object key:value pair", GoJsonSyntax.problem("{\"a\":1 x"));
        assertEquals("invalid character 'u' in literal true (expecting 'r')", GoJsonSyntax.problem("tu"));
        assertEquals("invalid character '\\n' in string literal", GoJsonSyntax.problem("\"a\nb\""));
        assertEquals("invalid character 'x' in numeric literal", GoJsonSyntax.problem("-x"));
        assertEquals("invalid character '\\'' looking for beginning of value", GoJsonSyntax.problem("'"));
    }

    @Test
    void nonJsonPullBodiesAreABatchOfOne() throws Exception {
        stream.publish("s.a", "m1");
        durable("P", "{\"durable_name\":\"P\",\"ack_policy\":\"explicit\"}");
        Inbox r = inbox("_INBOX.x");
        next("P", "_INBOX.x", "x");
        assertEquals("m1", r.await(1, 2000).get(0).payload());
    }

    @Test
    void pullOnAMissingConsumerGetsNoReply() throws Exception {
        Inbox r = inbox("_INBOX.none");
        next("NOPE", "_INBOX.none", "{\"batch\":1,\"no_wait\":true}");
        assertNull(consumers.handleApi("$JS.API.CONSUMER.MSG.NEXT.NOPE.X", "_INBOX.none",
                "{\"batch\":1}".getBytes(StandardCharsets.UTF_8), n -> null));
        Thread.sleep(100);
        assertTrue(r.snapshot().isEmpty(), r.snapshot().toString());
    }

    @Test
    void messagesThatRanOutOfDeliveriesStayCountedAsRedelivered() throws Exception {
        stream.publish("s.a", "m1");
        stream.publish("s.b", "m2");
        durable("P", "{\"durable_name\":\"P\",\"ack_policy\":\"explicit\",\"ack_wait\":100000000,\"max_deliver\":2}");
        Inbox r = inbox("_INBOX.rd");
        next("P", "_INBOX.rd", "{\"batch\":4,\"expires\":1500000000}");
        List<Inbox.Msg> got = r.await(4, 3000);
        assertEquals(4, got.size());
        JsonNode i = info("P");
        assertEquals(2, i.path("num_redelivered").asInt(), i.toString());
        // let ack_wait run out a second time: no longer pending, still counted (as nats-server does)
        long deadline = System.nanoTime() + 3_000_000_000L;
        while (info("P").path("num_ack_pending").asInt() > 0 && System.nanoTime() < deadline) {
            next("P", "_INBOX.rd", "{\"batch\":1,\"no_wait\":true}");
            Thread.sleep(50);
        }
        i = info("P");
        assertEquals(0, i.path("num_ack_pending").asInt(), i.toString());
        assertEquals(2, i.path("num_redelivered").asInt(), i.toString());
        // a late ack of one of them takes it out of the count
        ack(got.get(3), "+ACK");
        Thread.sleep(50);
        assertEquals(1, info("P").path("num_redelivered").asInt());
    }
}
