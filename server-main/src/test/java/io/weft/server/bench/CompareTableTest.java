package io.weft.server.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The comparison table: medians per server, the ratio weft / nats-server, and whether each target is met. */
class CompareTableTest {

    private static void put(Compare c, String key, String server, double... values) {
        Map<String, List<Double>> m = c.values.computeIfAbsent(key, k -> new LinkedHashMap<>());
        List<Double> l = m.computeIfAbsent(server, k -> new ArrayList<>());
        for (double v : values) {
            l.add(v);
        }
    }

    @Test
    void ratiosOfMediansAgainstTheTargets() {
        PrintStream sink = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        Compare c = new Compare(sink, sink);
        c.rounds = 3;
        put(c, "pub16", Compare.NATS, 100, 300, 200);  // median 200
        put(c, "pub16", Compare.WEFT, 260, 240, 250);  // median 250 -> 1.25, met
        put(c, "reqp50", Compare.NATS, 100, 100, 100);
        put(c, "reqp50", Compare.WEFT, 120, 120, 120); // 1.20 > 1.1, missed
        put(c, "idle10k", Compare.NATS, 200, 200, 200);
        put(c, "idle10k", Compare.WEFT, 300);          // one round only: flagged
        String t = c.table();
        assertTrue(t.contains("| publish only, 16 B, 1 publisher | 200 msgs/s | 250 msgs/s | 1.25 | ≥ 1.0 | yes |"), t);
        assertTrue(t.contains("| request/reply p50 latency | 100.0 µs | 120.0 µs | 1.20 | ≤ 1.1 | **no** |"), t);
        assertTrue(t.contains("300.0 MiB (1 of 3 rounds) | 1.50 | ≤ 2.0 | yes |"), t);
        assertTrue(t.contains("| fan-out 1:5, 16 B | – | – | n/a | ≥ 1.0 | not measured |"), t);
    }
}
