package io.weft.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Runs {@code weft sim} in a child JVM with the flag bin/weft passes, as a user would. */
@Timeout(60)
class SimCommandTest {
    record Run(int code, List<String> lines) {
    }

    private static Run weft(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-opens", "java.base/java.lang=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                Main.class.getName()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        List<String> lines = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                lines.add(line);
            }
        }
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        return new Run(p.exitValue(), lines);
    }

    @Test
    void runPrintsOneLinePerSeedAndReplayReproducesIt() throws Exception {
        Run run = weft("sim", "run", "--scenario", "core-pubsub", "--seeds", "3..5");
        assertEquals(0, run.code(), run.lines().toString());
        assertEquals(4, run.lines().size(), run.lines().toString());
        for (int i = 0; i < 3; i++) {
            assertTrue(run.lines().get(i).matches("seed " + (3 + i) + " trace [0-9a-f]{16} result pass"), run.lines().get(i));
        }
        assertTrue(run.lines().get(3).startsWith("3 seeds, 3 passed, 0 failed;"), run.lines().get(3));

        Run replay = weft("sim", "replay", "--scenario", "core-pubsub", "--seed", "4");
        assertEquals(0, replay.code(), replay.lines().toString());
        assertEquals(run.lines().get(1), replay.lines().get(0));
    }

    @Test
    void listAndErrors() throws Exception {
        Run list = weft("sim", "list");
        assertEquals(0, list.code());
        assertTrue(list.lines().get(0).startsWith("core-pubsub\t"), list.lines().toString());

        Run unknown = weft("sim", "run", "--scenario", "nope", "--seeds", "1..2");
        assertEquals(2, unknown.code());
        assertTrue(unknown.lines().get(0).contains("unknown scenario \"nope\""), unknown.lines().toString());
    }
}
