package io.weft.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.Subscription;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * USR2 is both nats-server's lame duck signal and HotSpot's default thread suspend signal, which
 * JFR's sampler uses: without {@code _JAVA_SR_SIGNUM} moving the JVM's signal (bin/weft sets 39),
 * profiling a weft server put it into lame duck mode within milliseconds of its start. A weft under
 * JFR with the variable set serves traffic and stays out of lame duck mode until a real USR2
 * arrives; one started without it says at start why a profiler would hurt it.
 */
@Timeout(120)
class ProfilerSignalTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    private static TestServer weft(Path dir, Map<String, String> env, String... jvmArgs) {
        int port = TestServers.freePorts(1)[0];
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElseThrow());
        cmd.addAll(List.of(jvmArgs));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.weft.server.Main", "serve",
                "-a", "127.0.0.1", "-p", Integer.toString(port)));
        TestServer s = new TestServer(TestServers.Target.WEFT, dir.resolve("none.conf"), port, 0, cmd, env);
        s.start();
        return s;
    }

    @Test
    void aServerUnderJfrStaysOutOfLameDuckModeUntilUsr2(@TempDir Path dir) throws Exception {
        Path jfr = dir.resolve("weft.jfr");
        // 10 ms samples: while USR2 was the suspend signal, the first samples already entered lame duck mode
        try (TestServer s = weft(dir, Map.of(), "-XX:StartFlightRecording=filename=" + jfr + ",settings=profile")) {
            byte[] payload = "x".repeat(512).getBytes(StandardCharsets.UTF_8);
            long until = System.nanoTime() + Duration.ofSeconds(3).toNanos();
            int rounds = 0;
            try (Connection nc = Nats.connect(s.url())) {
                Subscription sub = nc.subscribe("load");
                while (System.nanoTime() < until && rounds < 200) {
                    for (int i = 0; i < 500; i++) {
                        nc.publish("load", payload);
                    }
                    nc.flush(Duration.ofSeconds(5));
                    for (int i = 0; i < 500; i++) {
                        assertTrue(sub.nextMessage(Duration.ofSeconds(5)) != null, "a message did not arrive");
                    }
                    rounds++;
                }
            }
            // a client that connects now is still accepted: lame duck mode would refuse it
            try (Connection late = Nats.connect(s.url())) {
                assertEquals(Connection.Status.CONNECTED, late.getStatus());
            }
            assertFalse(s.stderr().contains("lame duck"), s.stderr());
            assertFalse(s.stderr().contains("suspends threads with USR2"), s.stderr());
            s.signal("USR2");
            assertTrue(s.awaitOutput("Entering lame duck mode", WAIT), s.stderr());
        }
    }

    @Test
    void aServerWhoseJvmSuspendsWithUsr2SaysSoAtStart(@TempDir Path dir) throws Exception {
        try (TestServer s = weft(dir, Map.of("_JAVA_SR_SIGNUM", "12"))) {
            assertTrue(s.awaitOutput("[WRN] The JVM suspends threads with USR2", WAIT), s.stderr());
        }
    }
}
