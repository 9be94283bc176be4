package io.weft.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** What a newcomer types first: {@code weft --help}, {@code weft help} and {@code bin/test --help}. */
class HelpTest {
    private static final Duration RUN = Duration.ofSeconds(20);

    @Test
    void weftHelpListsEveryCommand() {
        for (String flag : List.of("--help", "-h", "help")) {
            TestServers.Result r = TestServers.runWeft(RUN, flag);
            assertEquals(0, r.exitCode(), r.output());
            for (String command : List.of("serve", "sim list", "sim run", "sim replay", "bench <scenario>", "bench compare",
                    "version", "help")) {
                assertTrue(r.output().contains("\n  " + command + " "), flag + ": \"" + command + "\" missing from:\n" + r.output());
            }
        }
        // flags alone mean serve, so --help also shows the server's flags
        TestServers.Result r = TestServers.runWeft(RUN, "--help");
        assertTrue(r.output().contains("--port"), r.output());
    }

    /** It used to start the whole test run; now it prints usage and exits without running maven. */
    @Test
    void binTestHelpPrintsUsageAndExits() throws Exception {
        for (String flag : List.of("--help", "-h")) {
            Process p = new ProcessBuilder("bash", Path.of("..", "bin", "test").toString(), flag)
                    .redirectErrorStream(true).start();
            if (!p.waitFor(RUN.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("bin/test " + flag + " was still running after " + RUN);
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, p.exitValue(), out);
            assertTrue(out.startsWith("Usage: bin/test"), out);
            assertFalse(out.contains("[INFO]"), "maven ran:\n" + out);
        }
    }
}
