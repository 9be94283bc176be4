package io.weft.server.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.weft.engine.ServerLog;
import io.weft.engine.ServerOptions;
import io.weft.engine.json.GoJson;
import io.weft.engine.monitor.Monitor;
import io.weft.engine.node.Node;
import io.weft.net.Env;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** With JetStream on, /jsz and the /varz jetstream block have nats-server 2.9.10's keys (samples from {@code -js -sd}). */
class JetStreamShapeTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final GoJson go = new GoJson();

    private static JsonNode sample(String name) throws IOException {
        try (InputStream in = JetStreamShapeTest.class.getResourceAsStream("/monitor-samples/" + name)) {
            return JSON.readTree(in);
        }
    }

    private static List<String> keys(JsonNode n) {
        List<String> list = new ArrayList<>();
        n.fieldNames().forEachRemaining(list::add);
        return list;
    }

    private Monitor monitor() {
        ServerOptions o = new ServerOptions();
        o.jetstream = true;
        o.storeDir = "/data/weft/jetstream";
        o.jetstreamMaxMemory = 1L << 30;
        o.jetstreamMaxStore = 10L << 30;
        return new Monitor(new Node(Env.real(), o, ServerLog.silent()));
    }

    @Test
    void jszEnabled() throws Exception {
        JsonNode s = sample("jsz-enabled.json");
        JsonNode o = JSON.readTree(go.indent(monitor().jsz()));
        assertEquals(keys(s), keys(o));
        assertEquals(keys(s.get("config")), keys(o.get("config")));
        assertEquals(keys(s.get("api")), keys(o.get("api")));
        assertFalse(o.has("disabled"));
        assertEquals(1L << 30, o.get("config").get("max_memory").asLong());
        assertEquals("/data/weft/jetstream", o.get("config").get("store_dir").asText());
    }

    @Test
    void varzJetStreamBlock() throws Exception {
        JsonNode s = sample("varz-jetstream.json").get("jetstream");
        JsonNode o = JSON.readTree(go.indent(monitor().varz())).get("jetstream");
        assertEquals(keys(s), keys(o));
        assertEquals(keys(s.get("config")), keys(o.get("config")));
        assertEquals(keys(s.get("stats")), keys(o.get("stats")));
        assertEquals(keys(s.get("stats").get("api")), keys(o.get("stats").get("api")));
    }

    @Test
    void accountsAreJetStreamEnabledWithTheServer() throws Exception {
        assertTrue(monitor().accountz("$G").accountDetail().jetstreamEnabled());
    }
}
