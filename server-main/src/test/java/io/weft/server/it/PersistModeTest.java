package io.weft.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nats.client.Connection;
import io.nats.client.Message;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code persist_mode: async} (nats-server 2.12): the config rules and what a stream shows,
 * against nats-server 2.15.1; on weft, acknowledged messages of such a stream survive a killed
 * process (they are written before the ack; only the fsync waits for the timer).
 */
class PersistModeTest {
    static JsServer reference;
    static JsServer weft;
    static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void start() {
        reference = JsServer.start(TestServers.Target.NATS_NEWEST, "");
        weft = JsServer.start(TestServers.Target.WEFT, "");
    }

    @AfterAll
    static void stop() {
        if (reference != null) {
            reference.close();
        }
        if (weft != null) {
            weft.close();
        }
    }

    static String api(Connection nc, String subject, String body) throws Exception {
        Message m = nc.request(subject, body.getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(3));
        JsonNode n = JSON.readTree(m.getData());
        if (n.has("error")) {
            return "error " + n.path("error").path("err_code").asInt() + " " + n.path("error").path("description").asText();
        }
        JsonNode c = n.path("config");
        return "ok persist_mode " + c.path("persist_mode").asText("-") + " req.level "
                + c.path("metadata").path("_nats.req.level").asText("-");
    }

    static List<String> run(Connection nc) throws Exception {
        List<String> out = new ArrayList<>();
        out.add("memory: " + api(nc, "$JS.API.STREAM.CREATE.PM", "{\"name\":\"PM\",\"subjects\":[\"pm\"],\"storage\":\"memory\",\"persist_mode\":\"async\"}"));
        out.add("atomic: " + api(nc, "$JS.API.STREAM.CREATE.PM", "{\"name\":\"PM\",\"subjects\":[\"pm\"],\"persist_mode\":\"async\",\"allow_atomic\":true}"));
        out.add("bad: " + api(nc, "$JS.API.STREAM.CREATE.PM", "{\"name\":\"PM\",\"subjects\":[\"pm\"],\"persist_mode\":\"lazy\"}"));
        out.add("async: " + api(nc, "$JS.API.STREAM.CREATE.PM", "{\"name\":\"PM\",\"subjects\":[\"pm\"],\"persist_mode\":\"async\"}"));
        out.add("info: " + api(nc, "$JS.API.STREAM.INFO.PM", ""));
        out.add("to default: " + api(nc, "$JS.API.STREAM.UPDATE.PM", "{\"name\":\"PM\",\"subjects\":[\"pm\"]}"));
        out.add("default: " + api(nc, "$JS.API.STREAM.CREATE.PD", "{\"name\":\"PD\",\"subjects\":[\"pd\"],\"persist_mode\":\"default\"}"));
        out.add("to async: " + api(nc, "$JS.API.STREAM.UPDATE.PD", "{\"name\":\"PD\",\"subjects\":[\"pd\"],\"persist_mode\":\"async\"}"));
        for (int i = 1; i <= 3; i++) {
            Message ack = nc.request("pm", ("m" + i).getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(3));
            out.add("ack " + JSON.readTree(ack.getData()).path("seq").asLong());
        }
        return out;
    }

    @Test
    void asyncPersistModeAsNatsServer() throws Exception {
        List<String> ref;
        try (Connection nc = Clients.connect(reference.server)) {
            ref = run(nc);
        }
        List<String> got;
        try (Connection nc = Clients.connect(weft.server)) {
            got = run(nc);
        }
        assertEquals(ref, got, "weft vs nats-server 2.15.1");
        assertTrue(ref.contains("info: ok persist_mode async req.level 2"), ref.toString());
        // a killed weft still has what it acknowledged (written before the ack)
        weft.server.kill();
        weft.server.restart();
        try (Connection nc = Clients.connect(weft.server)) {
            Message m = nc.request("$JS.API.STREAM.INFO.PM", new byte[0], Duration.ofSeconds(3));
            assertEquals(3, JSON.readTree(m.getData()).path("state").path("messages").asLong());
        }
    }
}
