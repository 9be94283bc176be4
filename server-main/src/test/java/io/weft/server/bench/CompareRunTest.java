package io.weft.server.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code weft bench compare --only req} end to end: both servers started as child processes, one
 * short round of request/reply against each, and a table where only the latency rows are measured.
 */
class CompareRunTest {
    private static final Path NATS = Path.of("/usr/sbin/nats-server");

    @Test
    void latencyOnlyRoundMeasuresBothServers(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isExecutable(NATS), NATS + " not found (apt-get install nats-server)");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Path table = dir.resolve("table.md");
        int rc = Compare.run(new String[] {"--only", "req", "--rounds", "1", "--req-msgs", "2000", "--out", table.toString()},
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        String log = err.toString(StandardCharsets.UTF_8);
        assertEquals(0, rc, log);
        String t = Files.readString(table);
        Pattern measured = Pattern.compile("\\| request/reply p(50|99) latency \\| [0-9.]+ µs \\| [0-9.]+ µs \\| [0-9.]+ \\| ≤ 1\\.1 \\| (yes|\\*\\*no\\*\\*) \\|");
        assertEquals(2, measured.matcher(t).results().count(), t);
        assertTrue(t.contains("| publish only, 16 B, 1 publisher | – | – | n/a | ≥ 1.0 | not measured |"), t);
        assertTrue(t.contains("| idle connections (default 10,000): server RSS | – | – | n/a | ≤ 2.0 | not measured |"), t);
        // one warm-up pair and one measured run per server, nothing else
        assertEquals(2, Pattern.compile("  req        p50 ").matcher(log).results().count(), log);
    }
}
