package io.weft.server.it;

import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Checks the harness itself: process lifecycle, ports, restart, failure reporting and diff output. */
class HarnessTest {

    @Test
    void startsRestartsAndKillsOnTheSamePorts() throws Exception {
        try (TestServer s = TestServers.start(TestServers.Target.NATS_SERVER, "max_payload: 2048\n")) {
            assertNotEquals(s.port(), s.monitorPort());
            assertEquals("nats://127.0.0.1:" + s.port(), s.url());
            assertTrue(s.isAlive());
            assertTrue(firstLine(s.port()).startsWith("INFO "));
            assertTrue(firstLine(s.port()).contains("\"max_payload\":2048"), "config file is used");
            int port = s.port();
            s.restart();
            assertEquals(port, s.port());
            assertTrue(s.isAlive());
            assertTrue(firstLine(s.port()).startsWith("INFO "));
            s.kill();
            assertFalse(s.isAlive());
            assertThrows(java.io.IOException.class, () -> firstLine(port));
            assertFalse(s.stderr().isEmpty(), "server output is captured");
        }
    }

    @Test
    void extraFlagsArePassedThrough() throws Exception {
        try (TestServer s = TestServers.start(TestServers.Target.NATS_SERVER, "", "--user", "u", "--pass", "p")) {
            assertTrue(s.command().containsAll(List.of("--user", "u", "--pass", "p")));
            assertTrue(firstLine(s.port()).contains("\"auth_required\":true"));
        }
    }

    @Test
    void aServerThatCannotStartFailsWithItsOutput() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> TestServers.start(TestServers.Target.NATS_SERVER, "this is { not valid"));
        assertTrue(e.getMessage().contains("exited"), e.getMessage());
        assertTrue(e.getMessage().length() > 100, "includes the server's own error text: " + e.getMessage());
    }

    @Test
    void childJvmClasspathCarriesTheTestClasspath() {
        // the weft target runs io.weft.server.Main with this JVM's class path
        String cp = System.getProperty("java.class.path");
        assertTrue(cp.contains("jnats"), cp);
        assertTrue(ProcessHandle.current().info().command().isPresent());
        assertEquals(TestServers.Target.WEFT, TestServers.Target.parse("weft"));
        assertEquals(TestServers.Target.NATS_SERVER, TestServers.Target.parse("nats-server"));
    }

    @Test
    void diffMarksTheDifferingOps() {
        String d = RawExchange.diff("a", List.of("INFO x", "PONG", "<open>"), "b", List.of("INFO x", "-ERR 'y'", "<closed>"));
        List<String> lines = d.lines().toList();
        assertTrue(lines.get(1).startsWith("   0"), d);
        assertTrue(lines.get(2).startsWith(" ! 1") && lines.get(2).contains("a: PONG"), d);
        assertTrue(lines.get(3).contains("b: -ERR 'y'"), d);
    }

    @Test
    void fanOutCopiesOfOneMessageAreSortedButMessageOrderIsKept() {
        assertEquals(List.of("MSG a 1 1 | y", "MSG a 2 1 | y", "MSG a 1 1 | x", "MSG a 2 1 | x", "PONG", "MSG a 2 1 | y"),
                RawExchange.sortFanOut(List.of(
                        "MSG a 2 1 | y", "MSG a 1 1 | y", "MSG a 2 1 | x", "MSG a 1 1 | x", "PONG", "MSG a 2 1 | y")));
    }

    private static String firstLine(int port) throws java.io.IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            s.setSoTimeout(2000);
            InputStream in = s.getInputStream();
            StringBuilder sb = new StringBuilder();
            int c;
            while ((c = in.read()) != -1 && c != '\n') {
                sb.append((char) c);
            }
            return new String(sb.toString().getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
        }
    }
}
