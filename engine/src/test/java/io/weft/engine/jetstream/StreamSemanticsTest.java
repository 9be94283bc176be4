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
        String r = h.api(subject, body);
        assertNotNull(r, "no reply on " + subject);
        return M.readTree(r);
    }

    private JsonNode create(String json) throws Exception {
        String name = M.readTree(json).get("name").asText();
        JsonNode r = api("$JS.API.STREAM.CREATE." + name, json);
        assertNull(r.get("error"), r.toString());
        return r;
    }

    private JsonNode state(String name) throws Exception {
        return api("$JS.API.STREAM.INFO." + name, "").get("state");
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
        // subject + payload + 16, as nats-server counts (8 + 5 + 16... plus nothing for headers)
        assertEquals(29, st.get("bytes").asLong());
        // a subject of no stream gets no JetStream answer
        assertNull(h.request("other", null, "x", 300));
        assertTrue(h.server.jetStream().isRunning());
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
    void fileStreamsArePersistedAndRecoveredWithLogLines() throws Exception {
        create("{\"name\":\"KEEP\",\"subjects\":[\"keep\"],\"description\":\"kept\"}");
        h.publish("keep", "1");
        Path dir = h.storeDir.resolve("jetstream/$G/streams/KEEP");
        assertTrue(Files.exists(dir.resolve(StreamMeta.FILE)));
        assertTrue(Files.isDirectory(dir.resolve("msgs")));
        Path store = h.storeDir;
        h.close();
        h = new JsHarness(store, o -> { });
        JsonNode info = api("$JS.API.STREAM.INFO.KEEP", "");
        assertEquals("kept", info.get("config").get("description").asText());
        assertTrue(h.logLines.contains("[INF]   Starting restore for stream '$G > KEEP'"), h.logLines.toString());
        assertTrue(h.logLines.stream().anyMatch(l -> l.startsWith("[INF]   Restored ") && l.endsWith("'$G > KEEP'")));
        if (DefaultStoreFactory.durableFileStreams()) {
            // needs the file store: messages survive the restart
            assertEquals(1, info.get("state").get("messages").asLong());
        }
        // message ids inside the duplicate window are known again after the restart
        Headers id = new Headers().add("Nats-Msg-Id", "before-restart");
        assertEquals("{\"stream\":\"KEEP\", \"seq\":2}", h.publish("keep", id, "x"));
        h.close();
        h = new JsHarness(store, o -> { });
        assertEquals("{\"stream\":\"KEEP\", \"seq\":2,\"duplicate\": true}", h.publish("keep", id, "x"));
        assertTrue(h.publish("keep", new Headers().add("Nats-Expected-Last-Msg-Id", "before-restart"), "y")
                .contains("\"seq\":3"));
        // the sequence of a deleted stream is gone with it
        assertEquals(true, api("$JS.API.STREAM.DELETE.KEEP", "").get("success").asBoolean());
        assertFalse(Files.exists(dir));
    }

    @Test
    void corruptMetaFileIsSkippedWithAWarning() throws Exception {
        create("{\"name\":\"BAD\",\"subjects\":[\"bad\"]}");
        Path meta = h.storeDir.resolve("jetstream/$G/streams/BAD/" + StreamMeta.FILE);
        Path store = h.storeDir;
        h.close();
        byte[] b = Files.readAllBytes(meta);
        b[b.length - 3] ^= 0x20;
        Files.write(meta, b);
        h = new JsHarness(store, o -> { });
        assertEquals(10059, api("$JS.API.STREAM.INFO.BAD", "").get("error").get("err_code").asInt());
        assertTrue(h.logLines.stream().anyMatch(l -> l.contains("checksum mismatch")), h.logLines.toString());
    }

    @Test
    void domainAppearsInAcks() throws Exception {
        Path store = h.storeDir;
        h.close();
        h = new JsHarness(store, o -> o.jetstreamDomain = "hub");
        create("{\"name\":\"DOM\",\"subjects\":[\"dom\"],\"storage\":\"memory\"}");
        assertEquals("{\"stream\":\"DOM\", \"domain\":\"hub\", \"seq\":1}", h.publish("dom", "x"));
        assertEquals("hub", api("$JS.API.INFO", "").get("domain").asText());
        // clients that name the domain use $JS.<domain>.API
        assertEquals(1, api("$JS.hub.API.STREAM.INFO.DOM", "").get("state").get("messages").asInt());
        assertNull(h.request("$JS.hub.API.STREAM.INFO.DOM.extra", null, "", 300));
    }

    @Test
    void syncIntervalAlwaysAndTimerStillAck() throws Exception {
        Path store = h.storeDir;
        h.close();
        h = new JsHarness(store, o -> o.jetstreamSyncInterval = Duration.ZERO);
        create("{\"name\":\"AL\",\"subjects\":[\"al\"]}");
        assertEquals("{\"stream\":\"AL\", \"seq\":1}", h.publish("al", "x"));
        h.close();
        h = new JsHarness(store, o -> o.jetstreamSyncInterval = Duration.ofMillis(50));
        // file streams are memory-backed until the file store lands, so the restart may start over
        String ack = h.publish("al", "y");
        assertTrue(ack.equals("{\"stream\":\"AL\", \"seq\":2}") || ack.equals("{\"stream\":\"AL\", \"seq\":1}"), ack);
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
    void accountLimitsAndDisabledAccounts() throws Exception {
        Path store = h.storeDir;
        h.close();
        h = new JsHarness(store, o -> {
            o.auth.accounts.put("$G", new io.weft.engine.auth.AccountConfig("$G", true,
                    new io.weft.engine.auth.AccountConfig.JetStreamLimits(200, 200, 2, 1)));
            o.auth.accounts.put("B", new io.weft.engine.auth.AccountConfig("B", false));
        });
        JsonNode ai = api("$JS.API.INFO", "");
        assertEquals(200, ai.get("limits").get("max_storage").asLong());
        assertEquals(2, ai.get("limits").get("max_streams").asInt());
        create("{\"name\":\"S1\"}");
        // checked against nats-server 2.9.10 with the same account limits
        assertEquals(10047, api("$JS.API.STREAM.CREATE.S2", "{\"name\":\"S2\",\"max_bytes\":500}").get("error").get("err_code").asInt());
        assertEquals(10028, api("$JS.API.STREAM.CREATE.S2", "{\"name\":\"S2\",\"max_bytes\":500,\"storage\":\"memory\"}")
                .get("error").get("err_code").asInt());
        create("{\"name\":\"S2\",\"storage\":\"memory\"}");
        assertEquals(10027, api("$JS.API.STREAM.CREATE.S3", "{\"name\":\"S3\"}").get("error").get("err_code").asInt());
        String x50 = "x".repeat(50);
        assertEquals("{\"stream\":\"S1\", \"seq\":1}", h.publish("S1", x50));
        assertEquals("{\"stream\":\"S1\", \"seq\":2}", h.publish("S1", x50));
        assertEquals("{\"error\":{\"code\":400,\"err_code\":10002,\"description\":\"resource limits exceeded for account\"},"
                + "\"stream\":\"S1\",\"seq\":0}", h.publish("S1", x50 + x50));

        io.weft.engine.server.Account b = h.server.account("B");
        java.util.concurrent.LinkedBlockingQueue<String> got = new java.util.concurrent.LinkedBlockingQueue<>();
        b.subscribe("_B.>", null, (subject, reply, data, off, hdrLen, totalLen) ->
                got.add(new String(data, off + hdrLen, totalLen - hdrLen, StandardCharsets.UTF_8)));
        b.publish("$JS.API.STREAM.NAMES", "_B.1", null, new byte[0]);
        assertEquals("{\"type\":\"io.nats.jetstream.api.v1.stream_names_response\",\"error\":{\"code\":503,\"err_code\":10039,"
                + "\"description\":\"JetStream not enabled for account\"},\"total\":0,\"offset\":0,\"limit\":0,\"streams\":null}",
                got.poll(5, java.util.concurrent.TimeUnit.SECONDS));
    }
}
