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
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * With JetStream on, /jsz and the /varz jetstream block have nats-server 2.15.1's keys (samples from
 * {@code -js -sd}), except {@code limits} (weft has none of those limits) and {@code sync_interval}
 * (printed only when configured: weft's default syncs each batch before acking).
 */
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

    private Monitor monitor() throws IOException {
        return monitor(null);
    }

    private final List<Node> started = new ArrayList<>();
    @TempDir
    Path store;

    /** A running node with JetStream: nats-server reports a JetStream that is not running as disabled. */
    private Monitor monitor(java.time.Duration sync) throws IOException {
        ServerOptions o = new ServerOptions();
        o.host = "127.0.0.1";
        o.port = 0;
        o.jetstreamSyncInterval = sync;
        o.jetstream = true;
        o.storeDir = store.resolve("s" + started.size()).toString();
        o.jetstreamMaxMemory = 1L << 30;
        o.jetstreamMaxStore = 10L << 30;
        Node n = new Node(Env.real(), o, ServerLog.silent());
        n.start();
        started.add(n);
        return new Monitor(n);
    }

    @AfterEach
    void stop() {
        for (Node n : started) {
            n.shutdown();
        }
    }

    private static final List<String> ABSENT = List.of("limits", "config.sync_interval");

    @Test
    void jszEnabled() throws Exception {
        JsonNode s = sample("jsz-enabled.json");
        JsonNode o = JSON.readTree(go.indent(monitor().jsz()));
        assertEquals(MonitorScenario.paths(s, ABSENT), MonitorScenario.paths(o));
        assertFalse(o.has("disabled"));
        assertEquals(1L << 30, o.get("config").get("max_memory").asLong());
        assertEquals(store.resolve("s0").resolve("jetstream").toString(), o.get("config").get("store_dir").asText());
        assertTrue(o.get("config").get("strict").asBoolean());
        assertEquals(1, o.get("total").asInt(), "the JetStream-enabled accounts");
    }

    @Test
    void varzJetStreamBlock() throws Exception {
        JsonNode s = sample("varz-jetstream.json").get("jetstream");
        JsonNode o = JSON.readTree(go.indent(monitor().varz())).get("jetstream");
        assertEquals(MonitorScenario.paths(s, ABSENT), MonitorScenario.paths(o));
    }

    @Test
    void syncPolicyIsShownWhenConfigured() throws Exception {
        Monitor m = monitor(java.time.Duration.ofSeconds(30));
        assertEquals(30_000_000_000L, JSON.readTree(go.indent(m.jsz())).at("/config/sync_interval").asLong());
        JsonNode always = JSON.readTree(go.indent(monitor(java.time.Duration.ZERO).jsz())).get("config");
        assertTrue(always.get("sync_always").asBoolean());
        assertFalse(always.has("sync_interval"));
    }

    @Test
    void accountsAreJetStreamEnabledWithTheServer() throws Exception {
        assertTrue(monitor().accountz("$G").accountDetail().jetstreamEnabled());
    }
}
