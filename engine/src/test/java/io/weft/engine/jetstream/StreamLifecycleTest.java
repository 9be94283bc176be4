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

/** JetStream across restarts and with server or account settings (each test restarts its server). */
class StreamLifecycleTest {
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

    @Test
    void reloadEnablingAnAccountServesItsApi() throws Exception {
        Path store = h.storeDir;
        h.close();
        h = new JsHarness(store, o -> {
            o.auth.accounts.put("$G", new io.weft.engine.auth.AccountConfig("$G", true));
            o.auth.accounts.put("B", new io.weft.engine.auth.AccountConfig("B", false));
        });
        io.weft.engine.server.Account b = h.server.account("B");
        java.util.concurrent.LinkedBlockingQueue<String> got = new java.util.concurrent.LinkedBlockingQueue<>();
        b.subscribe("_B.>", null, (subject, reply, data, off, hdrLen, totalLen) ->
                got.add(new String(data, off + hdrLen, totalLen - hdrLen, StandardCharsets.UTF_8)));
        b.publish("$JS.API.INFO", "_B.1", null, new byte[0]);
        assertTrue(got.poll(5, java.util.concurrent.TimeUnit.SECONDS).contains("10039"));

        io.weft.engine.ServerOptions next = h.server.options().copy();
        next.auth = new io.weft.engine.auth.AuthConfig();
        next.auth.accounts.put("$G", new io.weft.engine.auth.AccountConfig("$G", true));
        next.auth.accounts.put("B", new io.weft.engine.auth.AccountConfig("B", true));
        h.server.reload(next);
        b.publish("$JS.API.INFO", "_B.2", null, new byte[0]);
        String info = got.poll(5, java.util.concurrent.TimeUnit.SECONDS);
        assertTrue(info.startsWith("{\"type\":\"io.nats.jetstream.api.v1.account_info_response\",\"memory\":0"), info);
        b.publish("$JS.API.STREAM.CREATE.BS", "_B.3", null, "{\"name\":\"BS\"}".getBytes(StandardCharsets.UTF_8));
        assertTrue(got.poll(5, java.util.concurrent.TimeUnit.SECONDS).contains("\"did_create\":true"));
        assertNotNull(h.js().account("B").stream("BS"));
    }
}
