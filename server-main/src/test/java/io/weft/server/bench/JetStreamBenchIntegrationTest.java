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
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Tiny JetStream and KV benches against a weft child with JetStream on (or nats-server -js with -Dweft.target=nats-server). */
class JetStreamBenchIntegrationTest {
    private static TestServer server;
    private static Path storeDir;

    @BeforeAll
    static void start() throws Exception {
        storeDir = Files.createTempDirectory("weft-bench-js-it-");
        server = TestServers.start("jetstream { store_dir: \"" + storeDir + "\" }\n");
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
        Compare.deleteTree(storeDir);
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
    void publishSyncAndAsyncThenReplayOrderedAndPull() throws Exception {
        JsonNode sync = bench("js", "pub", "--stream", "itjs", "--subject", "itjs.x", "--msgs", "50", "--size", "32", "--purge");
        assertEquals(50, sync.get("pub").get("msgs").asLong());
        assertEquals(50, sync.get("latency_us").get("count").asLong()); // one ack per publish
        JsonNode async = bench("js", "pub", "--stream", "itjs", "--subject", "itjs.x", "--msgs", "1000", "--size", "32",
                "--async", "--window", "64");
        assertEquals(1000, async.get("pub").get("msgs").asLong());
        assertEquals(1000, async.get("latency_us").get("count").asLong());
        // the stream now holds 1,050 messages
        JsonNode ordered = bench("js", "consume", "--stream", "itjs", "--msgs", "1050", "--sub", "2");
        assertEquals(2 * 1050, ordered.get("sub").get("msgs").asLong());
        for (JsonNode c : ordered.get("sub").get("clients")) {
            assertEquals(1050, c.get("msgs").asLong());
        }
        JsonNode pull = bench("js", "consume", "--stream", "itjs", "--msgs", "1050", "--mode", "pull", "--batch", "100",
                "--sub", "2");
        assertEquals(1050, pull.get("sub").get("msgs").asLong());
        assertEquals(1050 * 32, pull.get("sub").get("bytes").asLong());
    }

    @Test
    void replayAskingForMoreThanTheStreamHoldsFails() throws Exception {
        bench("js", "pub", "--stream", "itshort", "--subject", "itshort.x", "--msgs", "10", "--purge");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int code = BenchCommand.run(new String[] {"js", "consume", "--stream", "itshort", "--msgs", "11", "--server",
            server.url(), "--json", "--no-progress"}, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        assertEquals(1, code);
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("holds 10 messages"));
    }

    @Test
    void kvPutThenGet() throws Exception {
        JsonNode put = bench("kv", "put", "--bucket", "itkv", "--msgs", "100", "--keys", "10", "--size", "20");
        assertEquals(100, put.get("pub").get("msgs").asLong());
        JsonNode get = bench("kv", "get", "--bucket", "itkv", "--msgs", "100", "--keys", "10", "--size", "20");
        assertEquals(100, get.get("pub").get("msgs").asLong());
        assertEquals(100 * 20, get.get("pub").get("bytes").asLong()); // every get returned the stored value
        assertEquals(100, get.get("latency_us").get("count").asLong());
    }
}
