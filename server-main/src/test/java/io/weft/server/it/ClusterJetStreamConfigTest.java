package io.weft.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Clustered JetStream needs {@code server_name} and {@code cluster.name}: {@code weft serve}
 * refuses to start without either, with nats-server 2.15.1's words, and so does nats-server
 * itself (run side by side on the same files).
 */
class ClusterJetStreamConfigTest {
    @Test
    void clusteredJetStreamWithoutANameDoesNotStart(@TempDir Path dir) throws Exception {
        Path noName = dir.resolve("noname.conf");
        Files.writeString(noName, "jetstream { store_dir: \"" + dir.resolve("a") + "\" }\n"
                + "cluster { name: c, listen: \"127.0.0.1:23011\" }\n", StandardCharsets.UTF_8);
        Path noCluster = dir.resolve("nocluster.conf");
        Files.writeString(noCluster, "server_name: x\njetstream { store_dir: \"" + dir.resolve("b") + "\" }\n"
                + "cluster { listen: \"127.0.0.1:23012\" }\n", StandardCharsets.UTF_8);
        for (var c : List.of(List.of(noName, "jetstream cluster requires `server_name` to be set"),
                List.of(noCluster, "jetstream cluster requires `cluster.name` to be set"))) {
            Path f = (Path) c.get(0);
            String text = (String) c.get(1);
            TestServers.Result weft = TestServers.runWeft(Duration.ofSeconds(60), "serve", "-c", f.toString(), "-p", "-1");
            assertEquals(1, weft.exitCode(), weft.output());
            assertTrue(weft.output().contains(text), weft.output());
            assertFalse(weft.output().contains("Server is ready"), weft.output());

            Process p = new ProcessBuilder(TestServers.newestNatsServer().toString(), "-c", f.toString(), "-p", "-1")
                    .redirectErrorStream(true).start();
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "nats-server did not stop");
            String nats = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(1, p.exitValue(), nats);
            assertTrue(nats.contains(text), "nats-server says: " + nats);
        }
    }
}
