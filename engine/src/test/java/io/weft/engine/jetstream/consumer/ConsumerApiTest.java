package io.weft.engine.jetstream.consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConsumerApiTest extends ConsumerTestBase {

    @Test
    void durableCreateShapeMatchesNatsServer() throws Exception {
        JsonNode r = api("$JS.API.CONSUMER.DURABLE.CREATE.S.D", "{\"stream_name\":\"S\",\"config\":{\"durable_name\":\"D\"}}");
        assertEquals("io.nats.jetstream.api.v1.consumer_create_response", r.path("type").asText());
        assertEquals("{\"durable_name\":\"D\",\"name\":\"D\",\"deliver_policy\":\"all\",\"ack_policy\":\"none\","
                + "\"max_deliver\":-1,\"replay_policy\":\"instant\",\"max_waiting\":512,\"num_replicas\":0,"
                + "\"metadata\":{\"_nats.level\":\"2\",\"_nats.req.level\":\"0\",\"_nats.ver\":\"" + io.weft.engine.server.Server.COMPAT_VERSION + "\"}}",
                r.path("config").toString());
        assertEquals("{\"consumer_seq\":0,\"stream_seq\":0}", r.path("delivered").toString());
        assertEquals("{\"consumer_seq\":0,\"stream_seq\":0}", r.path("ack_floor").toString());
        for (String f : List.of("num_ack_pending", "num_redelivered", "num_waiting", "num_pending")) {
            assertEquals(0, r.path(f).asInt(), f);
        }
    }

    @Test
    void ephemeralPushDefaults() throws Exception {
        JsonNode r = create("{\"deliver_subject\":\"x\",\"ack_policy\":\"explicit\"}");
        assertEquals(8, r.path("name").asText().length());
        assertEquals("{\"name\":\"" + r.path("name").asText() + "\",\"deliver_policy\":\"all\",\"ack_policy\":\"explicit\","
                + "\"ack_wait\":30000000000,\"max_deliver\":-1,\"replay_policy\":\"instant\",\"max_ack_pending\":1000,"
                + "\"deliver_subject\":\"x\",\"inactive_threshold\":5000000000,\"num_replicas\":0,"
                + "\"metadata\":{\"_nats.level\":\"2\",\"_nats.req.level\":\"0\",\"_nats.ver\":\"" + io.weft.engine.server.Server.COMPAT_VERSION + "\"}}",
                r.path("config").toString());
    }

    /** nats-server 2.14's flow-control acks (API level 4) are refused by name, not read as JSON trouble. */
    @Test
    void flowControlAcksAreRefused() throws Exception {
        JsonNode r = create("{\"ack_policy\":\"flow_control\"}");
        assertEquals(10012, errCode(r));
        assertTrue(r.path("error").path("description").asText().contains("ack_policy flow_control"), r.toString());
    }

    @Test
    void errorsCarryNatsServerCodes() throws Exception {
        assertEquals(10025, errCode(api("$JS.API.CONSUMER.CREATE.S", "xx")));
        assertEquals(10059, errCode(api("$JS.API.CONSUMER.INFO.X.a", "")));
        JsonNode nf = api("$JS.API.CONSUMER.INFO.S.nope", "");
        assertEquals("{\"type\":\"io.nats.jetstream.api.v1.consumer_info_response\",\"error\":{\"code\":404,\"err_code\":10014,\"description\":\"consumer not found\"}}",
                nf.toString());
        // nats-server decodes a missing config as an empty one: this creates an ephemeral pull consumer
        assertEquals("none", api("$JS.API.CONSUMER.CREATE.S", "{\"stream_name\":\"S\"}").path("config").path("ack_policy").asText());
        assertEquals(10056, errCode(api("$JS.API.CONSUMER.CREATE.S", "{\"stream_name\":\"T\",\"config\":{}}")));
        JsonNode p = create("{\"deliver_policy\":\"by_start_sequence\"}");
        assertEquals(10094, errCode(p));
        assertEquals("consumer delivery policy is deliver by start sequence, but optional start sequence is not set",
                p.path("error").path("description").asText());
        assertEquals("consumer delivery policy is deliver all, but optional start sequence is also set",
                create("{\"opt_start_seq\":3}").path("error").path("description").asText());
        assertEquals(10020, errCode(create("{\"durable_name\":\"X\"}")));
        assertEquals(10017, errCode(api("$JS.API.CONSUMER.DURABLE.CREATE.S.A", "{\"stream_name\":\"S\",\"config\":{\"durable_name\":\"B\"}}")));
        assertEquals(10018, errCode(api("$JS.API.CONSUMER.DURABLE.CREATE.S.A", "{\"stream_name\":\"S\",\"config\":{}}")));
        assertEquals(10103, errCode(durable("a*b", "{\"durable_name\":\"a*b\"}")));
        assertEquals(10017, errCode(durable("a", "{\"durable_name\":\"b\"}")));
        assertEquals(10079, errCode(create("{\"deliver_subject\":\"a.*\"}")));
        assertEquals(10080, errCode(create("{\"deliver_subject\":\"a\",\"max_waiting\":3}")));
        assertEquals(10088, errCode(create("{\"idle_heartbeat\":1000000000}")));
        assertEquals(10089, errCode(create("{\"flow_control\":true}")));
        assertEquals(10108, errCode(create("{\"deliver_subject\":\"a\",\"flow_control\":true}")));
        assertEquals(10083, errCode(create("{\"deliver_subject\":\"a\",\"idle_heartbeat\":1000}")));
        assertEquals(10074, errCode(create("{\"num_replicas\":3}")));
        assertEquals(10081, errCode(create("{\"deliver_subject\":\"s.x\"}")), "the stream would capture its own deliveries");
        assertEquals(0, errCode(create("{\"filter_subject\":\"zz\"}")), "a filter outside the stream's subjects is allowed (2.15)");
        assertEquals(10086, errCode(create("{\"rate_limit_bps\":3}")));
        assertEquals(10116, errCode(create("{\"ack_policy\":\"explicit\",\"backoff\":[1000000000,2000000000],\"max_deliver\":1}")));
        assertEquals(10136, errCode(create("{\"filter_subject\":\"a\",\"filter_subjects\":[\"b\"]}")));
        assertEquals(10138, errCode(create("{\"filter_subjects\":[\"a.*\",\"a.b\"]}")));
        assertEquals(10139, errCode(create("{\"filter_subjects\":[\"a\",\"\"]}")));
        assertEquals(10132, errCode(durable("a", "{\"durable_name\":\"a\",\"name\":\"b\"}")));
        // nats-server 2.15.1 not clustered: 10010 before it looks at the names
        assertEquals(10010, errCode(api("$JS.API.CONSUMER.LEADER.STEPDOWN.S.nope", "")));
        assertEquals(10010, errCode(api("$JS.API.CONSUMER.LEADER.STEPDOWN.NOSTREAM.x", "")));
        durable("D", "{\"durable_name\":\"D\"}");
        assertEquals(10010, errCode(api("$JS.API.CONSUMER.LEADER.STEPDOWN.S.D", "")));
    }

    @Test
    void createActionsAndUpdateRules() throws Exception {
        String base = "{\"durable_name\":\"D\",\"ack_policy\":\"explicit\"}";
        JsonNode a = durable("D", base);
        JsonNode b = api("$JS.API.CONSUMER.CREATE.S.D", "{\"stream_name\":\"S\",\"action\":\"create\",\"config\":" + base + "}");
        assertEquals(a.path("created").asText(), b.path("created").asText(), "same config: idempotent");
        JsonNode c = api("$JS.API.CONSUMER.CREATE.S.D", "{\"stream_name\":\"S\",\"action\":\"create\",\"config\":"
                + "{\"durable_name\":\"D\",\"ack_policy\":\"explicit\",\"description\":\"new\"}}");
        assertEquals(10148, errCode(c));
        JsonNode u = api("$JS.API.CONSUMER.CREATE.S.E", "{\"stream_name\":\"S\",\"action\":\"update\",\"config\":{\"durable_name\":\"E\"}}");
        assertEquals(10149, errCode(u));
        JsonNode bad = durable("D", "{\"durable_name\":\"D\",\"ack_policy\":\"none\"}");
        assertEquals(10012, errCode(bad));
        assertEquals("ack policy can not be updated", bad.path("error").path("description").asText());
        JsonNode ok = durable("D", "{\"durable_name\":\"D\",\"ack_policy\":\"explicit\",\"description\":\"hi\",\"max_deliver\":5}");
        assertEquals("hi", ok.path("config").path("description").asText(), ok.toString());
        assertEquals(5, info("D").path("config").path("max_deliver").asInt());
    }

    @Test
    void filteredCreateSubject() throws Exception {
        JsonNode r = api("$JS.API.CONSUMER.CREATE.S.F.s.a.>", "{\"stream_name\":\"S\",\"config\":{\"name\":\"F\",\"filter_subject\":\"s.a.>\"}}");
        assertEquals("s.a.>", r.path("config").path("filter_subject").asText(), r.toString());
        assertEquals(10131, errCode(api("$JS.API.CONSUMER.CREATE.S.G.s.b", "{\"stream_name\":\"S\",\"config\":{\"filter_subject\":\"s.c\"}}")));
        assertEquals(10137, errCode(api("$JS.API.CONSUMER.CREATE.S.G.s.b", "{\"stream_name\":\"S\",\"config\":{\"filter_subjects\":[\"s.b\",\"s.c\"]}}")));
    }

    @Test
    void namesListDeletePaging() throws Exception {
        for (String n : List.of("c", "a", "b")) {
            durable(n, "{\"durable_name\":\"" + n + "\"}");
        }
        JsonNode names = api("$JS.API.CONSUMER.NAMES.S", "");
        assertEquals("{\"type\":\"io.nats.jetstream.api.v1.consumer_names_response\",\"total\":3,\"offset\":0,\"limit\":1024,\"consumers\":[\"a\",\"b\",\"c\"]}",
                names.toString());
        JsonNode list = api("$JS.API.CONSUMER.LIST.S", "{\"offset\":1}");
        assertEquals(3, list.path("total").asInt());
        assertEquals(256, list.path("limit").asInt());
        assertEquals(2, list.path("consumers").size());
        assertEquals("b", list.path("consumers").get(0).path("name").asText());
        assertFalse(list.path("consumers").get(0).has("type"));
        Inbox adv = inbox("$JS.EVENT.ADVISORY.CONSUMER.DELETED.S.b");
        JsonNode del = api("$JS.API.CONSUMER.DELETE.S.b", "");
        assertEquals("{\"type\":\"io.nats.jetstream.api.v1.consumer_delete_response\",\"success\":true}", del.toString());
        assertEquals("delete", M.readTree(adv.await(1, 2000).get(0).payload()).path("action").asText());
        assertEquals(10014, errCode(api("$JS.API.CONSUMER.DELETE.S.b", "")));
        assertNull(stream.consumer("b"));
    }

    @Test
    void ephemeralPullExpiresWhenInactive() throws Exception {
        Inbox adv = inbox("$JS.EVENT.ADVISORY.CONSUMER.>");
        JsonNode r = create("{\"inactive_threshold\":200000000}");
        String name = r.path("name").asText();
        assertEquals("create", M.readTree(adv.await(1, 2000).get(0).payload()).path("action").asText());
        List<Inbox.Msg> got = adv.await(2, 3000);
        assertEquals("$JS.EVENT.ADVISORY.CONSUMER.DELETED.S." + name, got.get(1).subject());
        assertNull(stream.consumer(name));
    }

    @Test
    void deliverPoliciesAndFilters() throws Exception {
        stream.publish("s.a", "1");
        stream.publish("s.b", "2");
        stream.publish("s.a", "3");
        stream.publish("s.c", "4");
        assertEquals(1, firstPayloads("{\"deliver_policy\":\"last\",\"deliver_subject\":\"d1\"}", "d1", 1).size());
        assertEquals(List.of("4"), firstPayloads("{\"deliver_policy\":\"last\",\"deliver_subject\":\"d1b\"}", "d1b", 1));
        assertEquals(List.of("3"), firstPayloads("{\"deliver_policy\":\"last\",\"filter_subject\":\"s.a\",\"deliver_subject\":\"d2\"}", "d2", 1));
        assertEquals(List.of("2", "3", "4"), firstPayloads("{\"deliver_policy\":\"by_start_sequence\",\"opt_start_seq\":2,\"deliver_subject\":\"d3\"}", "d3", 3));
        assertEquals(List.of("2", "3", "4"), firstPayloads("{\"deliver_policy\":\"last_per_subject\",\"filter_subject\":\"s.>\",\"deliver_subject\":\"d4\"}", "d4", 3));
        assertEquals(List.of("1", "2", "3"), firstPayloads("{\"filter_subjects\":[\"s.a\",\"s.b\"],\"deliver_subject\":\"d5\"}", "d5", 3));
        JsonNode n = create("{\"deliver_policy\":\"new\",\"deliver_subject\":\"d6\"}");
        assertEquals(0, n.path("num_pending").asInt());
        assertEquals(4, n.path("delivered").path("stream_seq").asInt());
        Inbox d6 = inbox("d6");
        stream.publish("s.z", "5");
        assertEquals("5", d6.await(1, 2000).get(0).payload());
        JsonNode t = create("{\"deliver_policy\":\"by_start_time\",\"opt_start_time\":\"2000-01-01T00:00:00Z\",\"deliver_subject\":\"d7\"}");
        assertEquals(5, t.path("num_pending").asInt(), t.toString());
    }

    private List<String> firstPayloads(String cfg, String subject, int n) throws Exception {
        Inbox in = inbox(subject);
        JsonNode r = create(cfg);
        assertTrue(r.has("name"), r.toString());
        List<Inbox.Msg> got = in.await(n, 2000);
        Thread.sleep(30);
        return in.snapshot().stream().map(Inbox.Msg::payload).toList();
    }
}
