package io.weft.server.monitor;

import io.weft.server.it.TestServer;
import io.weft.server.it.TestServers;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Re-captures monitor-samples/ from nats-server 2.15.1 with {@link MonitorScenario}'s clients:
 * {@code mvn -o -pl server-main -am verify -Dtest=CaptureMonitorSamples -Dsurefire.failIfNoSpecifiedTests=false
 * -Dweft.capture.samples=$PWD/server-main/src/test/resources/monitor-samples}. Each file is the
 * server's body as it sent it. Not a test: skipped unless the property names the directory.
 */
@EnabledIfSystemProperty(named = "weft.capture.samples", matches = ".+")
class CaptureMonitorSamples {

    @Test
    void capture() throws Exception {
        Path dir = Path.of(System.getProperty("weft.capture.samples"));
        Files.createDirectories(dir);
        TestServers.Target ref = TestServers.Target.NATS_NEWEST;

        int m = freePort();
        try (TestServer s = TestServers.startWithoutConfig(ref, "-m", Integer.toString(m));
             MonitorScenario sc = new MonitorScenario()) {
            sc.plainTraffic(s.port());
            MonitorScenario.awaitClosed(m, 1);
            write(dir, MonitorScenario.fetchAll(m, MonitorScenario.PLAIN));
        }
        try (TestServer s = TestServers.start(ref, MonitorScenario.AUTH_CONFIG);
             MonitorScenario sc = new MonitorScenario()) {
            sc.authTraffic(s.port());
            MonitorScenario.awaitClosed(s.monitorPort(), 1);
            write(dir, MonitorScenario.fetchAll(s.monitorPort(), MonitorScenario.AUTH));
        }
        Path store = Files.createTempDirectory("weft-capture-js");
        int jm = freePort();
        try (TestServer s = TestServers.startWithoutConfig(ref, "-m", Integer.toString(jm), "-js", "-sd",
                store.toString())) {
            write(dir, MonitorScenario.fetchAll(jm, MonitorScenario.JETSTREAM));
        }
    }

    private static void write(Path dir, Map<String, MonitorScenario.Answer> answers) throws Exception {
        for (Map.Entry<String, MonitorScenario.Answer> e : answers.entrySet()) {
            Files.writeString(dir.resolve(e.getKey()), e.getValue().text(), StandardCharsets.UTF_8);
        }
    }

    static int freePort() throws Exception {
        try (ServerSocket ss = new ServerSocket()) {
            ss.setReuseAddress(true);
            ss.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            return ss.getLocalPort();
        }
    }
}
