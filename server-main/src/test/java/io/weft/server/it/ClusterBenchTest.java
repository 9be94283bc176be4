package io.weft.server.it;

import static io.weft.server.it.ClusterTest.awaitRoutes;
import static io.weft.server.it.ClusterTest.node;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.weft.server.bench.BenchCommand;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code weft bench pubsub --sub-server}: the publisher on one server of a two-node cluster, the
 * subscriber on the other, against weft and against nats-server 2.15.1 alike. 200,000 x 1 KB is
 * three times max_pending: the publisher outruns the route, which must slow it down (flow control)
 * rather than be cut as a slow consumer (it was, in every run, before weft's route stall).
 */
class ClusterBenchTest {
    @ParameterizedTest
    @EnumSource(value = TestServers.Target.class, names = {"WEFT", "NATS_NEWEST"})
    void everyMessageCrossesTheRoute(TestServers.Target target) throws Exception {
        int[] cp = TestServers.freePorts(2);
        try (TestServer a = node(target, "A", cp[0]);
             TestServer b = node(target, "B", cp[1], cp[0])) {
            awaitRoutes(a, 1);
            awaitRoutes(b, 1);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int code = BenchCommand.run(new String[] {"pubsub", "--msgs", "200000", "--size", "1024", "--server", a.url(),
                    "--sub-server", b.url(), "--json", "--no-progress", "--timeout", "30"},
                    new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
            String text = out.toString(StandardCharsets.UTF_8);
            assertEquals(0, code, target + ": " + text + err.toString(StandardCharsets.UTF_8) + "\nA:\n" + a.stderr()
                    + "\nB:\n" + b.stderr());
            JsonNode r = new ObjectMapper().readTree(text);
            assertTrue(r.get("ok").asBoolean(), text);
            assertEquals(200000, r.get("sub").get("msgs").asLong(), text);
            assertEquals(0, ClusterTest.count(a, "Slow Consumer"), a.stderr());
        }
    }
}
