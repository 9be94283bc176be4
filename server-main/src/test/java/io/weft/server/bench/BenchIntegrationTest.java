package io.weft.server.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.weft.server.it.TestServer;
import io.weft.server.it.TestServers;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Runs tiny benches against a weft child process (or nats-server with -Dweft.target=nats-server) and checks the counts. */
class BenchIntegrationTest {
    private static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServers.start("");
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    private static JsonNode bench(String... args) throws Exception {
        String[] all = new String[args.length + 6];
        System.arraycopy(args, 0, all, 0, args.length);
        all[args.length] = "--server";
        all[args.length + 1] = server.url();
        all[args.length + 2] = "--json";
        all[args.length + 3] = "--no-progress";
        all[args.length + 4] = "--timeout";
        all[args.length + 5] = "20";
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = BenchCommand.run(all, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        String text = out.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, "weft bench failed: " + text + err.toString(StandardCharsets.UTF_8));
        return new ObjectMapper().readTree(text);
    }

    @Test
    void pubCountsEveryMessage() throws Exception {
        JsonNode r = bench("pub", "--msgs", "5000", "--size", "16", "--pub", "2");
        assertTrue(r.get("ok").asBoolean());
        assertEquals(5000, r.get("pub").get("msgs").asLong());
        assertEquals(5000 * 16, r.get("pub").get("bytes").asLong());
        assertEquals(2, r.get("pub").get("clients").size());
        assertEquals(2500, r.get("pub").get("clients").get(0).get("msgs").asLong());
        assertTrue(r.get("msgs_per_sec").asDouble() > 0);
    }

    @Test
    void everySubscriberGetsEveryMessage() throws Exception {
        JsonNode r = bench("pubsub", "--msgs", "4000", "--size", "100", "--pub", "2", "--sub", "3");
        assertEquals(4000, r.get("pub").get("msgs").asLong());
        assertEquals(3 * 4000, r.get("sub").get("msgs").asLong());
        assertEquals(3 * 4000 * 100, r.get("sub").get("bytes").asLong());
        for (JsonNode c : r.get("sub").get("clients")) {
            assertEquals(4000, c.get("msgs").asLong());
        }
        assertTrue(r.get("errors").isEmpty());
    }

    @Test
    void requestReplyRecordsOneLatencyPerRequest() throws Exception {
        JsonNode r = bench("req", "--msgs", "300", "--pub", "2", "--sub", "2");
        assertEquals(300, r.get("pub").get("msgs").asLong());
        JsonNode l = r.get("latency_us");
        assertEquals(300, l.get("count").asLong());
        assertTrue(l.get("p50").asDouble() > 0);
        assertTrue(l.get("p50").asDouble() <= l.get("p99").asDouble());
        assertTrue(l.get("p99").asDouble() <= l.get("max").asDouble());
    }

    @Test
    void requestsWithoutQueueGroupStillGetAnswers() throws Exception {
        JsonNode r = bench("req", "--msgs", "100", "--no-queue");
        assertEquals(100, r.get("latency_us").get("count").asLong());
    }
}
