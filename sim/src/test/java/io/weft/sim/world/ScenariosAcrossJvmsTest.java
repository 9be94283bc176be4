package io.weft.sim.world;

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

/** Every registered scenario computes the same trace hashes in a fresh JVM as in this one. */
@Timeout(60)
class ScenariosAcrossJvmsTest {
    @Test
    void sameTracesInAChildJvm() throws Exception {
        List<String> here = Lines.of();
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(java.toString(), "--add-opens", "java.base/java.lang=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), Lines.class.getName())
                .redirectErrorStream(true).start();
        List<String> there = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                there.add(line);
            }
        }
        assertTrue(p.waitFor(50, TimeUnit.SECONDS));
        assertEquals(here, there);
        assertTrue(here.size() >= 3 * 7, here.toString());
    }

    /** Result lines of seeds 1..3 of every scenario (sim-speed made small); run in the child JVM. */
    public static final class Lines {
        static List<String> of() {
            List<String> out = new ArrayList<>();
            for (Scenario s : Scenarios.all()) {
                Scenario run = s.name().equals(SimSpeed.NAME) ? new SimSpeed(SimSpeed.Config.defaults().withMessages(10)) : s;
                for (long seed = 1; seed <= 3; seed++) {
                    out.add(s.name() + " " + run.run(seed, null).line());
                }
            }
            return out;
        }

        public static void main(String[] args) {
            for (String l : of()) {
                System.out.println(l);
            }
        }
    }
}
