package io.weft.server.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code weft bench compare --only js-cluster} end to end on a tiny message count: three
 * nats-server processes (2.10 or newer, for {@code sync_interval: always}) and three weft processes,
 * each trio a cluster with an R3 file stream, one sync and one async publish run against each, and
 * a table where only the two R3 rows are measured. Not a timed assertion: it proves the mode runs.
 */
class CompareJsClusterRunTest {
    /** bin/fetch-nats-server's 2.15.x, under the main checkout's or this checkout's target/. */
    private static Path natsServer() {
        for (String p : new String[] {"../target/nats-server-unstable/usr/sbin/nats-server",
                "target/nats-server-unstable/usr/sbin/nats-server", "/work/main/target/nats-server-unstable/usr/sbin/nats-server"}) {
            Path path = Path.of(p).toAbsolutePath().normalize();
            if (Files.isExecutable(path)) {
                return path;
            }
        }
        return null;
    }

    @Test
    @Timeout(300)
    void r3RowsMeasuredForBothServers(@TempDir Path dir) throws Exception {
        Path nats = natsServer();
        assumeTrue(nats != null, "no nats-server 2.10+ (bin/fetch-nats-server fetches 2.15.x; /usr/sbin's 2.9 lacks sync_interval)");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Path table = dir.resolve("table.md");
        int rc = Compare.run(new String[] {"--only", "js-cluster", "--rounds", "1", "--r3-msgs", "1000", "--r3-sync-msgs", "100",
                        "--nats-server", nats.toString(), "--out", table.toString()},
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        String log = err.toString(StandardCharsets.UTF_8);
        assertEquals(0, rc, log);
        String t = Files.readString(table);
        Pattern measured = Pattern.compile("\\| JetStream publish R3 file, 3 processes, (sync|async)[^|]*\\| [0-9,]+ msgs/s \\| [0-9,]+ msgs/s"
                + " \\| [0-9.]+ \\| ≥ 1\\.0 \\| (yes|\\*\\*no\\*\\*) \\|");
        assertEquals(2, measured.matcher(t).results().count(), t + "\n" + log);
        assertTrue(t.contains("| publish only, 16 B, 1 publisher | – | – | n/a | ≥ 1.0 | not measured |"), t);
        assertTrue(t.contains("| pub/sub 1:1 across two routed servers, 16 B (publisher on A, subscriber on B) | – | – | n/a | ≥ 1.0 | not measured |"), t);
        assertFalse(t.contains("Runs that failed"), t);
        // each server's stream got a leader among its three nodes, and each measured run was reported
        assertEquals(2, Pattern.compile("  R3 stream leader R3N[123]; the publisher connects there").matcher(log).results().count(), log);
        assertEquals(2, Pattern.compile("  jsr3sync ").matcher(log).results().count(), log);
        assertEquals(2, Pattern.compile("  jsr3async ").matcher(log).results().count(), log);
        assertTrue(t.contains("CPU over the R3 publish runs against weft"), t);
    }

    @Test
    void onlyRejectsAnUnknownPart() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = Compare.run(new String[] {"--only", "js-clusters"}, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(2, rc);
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("--only takes core, mem, js, req, cluster, js-cluster"), err.toString());
    }
}
