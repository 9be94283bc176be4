package io.weft.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * A client or monitoring port already taken: the fatal log line names the address and the
 * system's reason in nats-server 2.15.1's words, and the exit status is not zero. Both servers
 * run with the same flags while the test holds the port; their {@code [FTL]} lines must match.
 */
class PortInUseTest {
    private static final Duration RUN = Duration.ofSeconds(20);
    private static final Pattern FATAL = Pattern.compile("\\[FTL] (.*)");

    @Test
    void aTakenClientPortIsNamed() throws Exception {
        try (ServerSocket held = hold()) {
            String p = Integer.toString(held.getLocalPort());
            String fatal = sameFatalLine("-a", "127.0.0.1", "-p", p);
            assertEquals("Error listening on port: 127.0.0.1:" + p + ", \"listen tcp 127.0.0.1:" + p
                    + ": bind: address already in use\"", fatal);
            // the default host, 0.0.0.0, clashes with the loopback holder too
            assertEquals("Error listening on port: 0.0.0.0:" + p + ", \"listen tcp 0.0.0.0:" + p
                    + ": bind: address already in use\"", sameFatalLine("-p", p));
        }
    }

    @Test
    void aTakenMonitoringPortIsNamed() throws Exception {
        try (ServerSocket held = hold()) {
            String p = Integer.toString(held.getLocalPort());
            String client = Integer.toString(TestServers.freePorts(1)[0]);
            // monitoring listens on the client host when http_host is not set
            String fatal = sameFatalLine("-a", "127.0.0.1", "-p", client, "-m", p);
            assertEquals("Can't start monitoring: can't listen to the monitor port: listen tcp 127.0.0.1:" + p
                    + ": bind: address already in use", fatal);
        }
    }

    /** Runs both servers with {@code flags}; both must fail, with the same fatal line, which is returned. */
    private static String sameFatalLine(String... flags) throws Exception {
        TestServers.Result weft = TestServers.runWeft(RUN, prepend("serve", flags));
        List<String> cmd = new ArrayList<>(List.of(TestServers.newestNatsServer().toString()));
        cmd.addAll(List.of(flags));
        TestServers.Result nats = run(cmd);
        assertNotEquals(0, weft.exitCode(), weft.output());
        assertNotEquals(0, nats.exitCode(), nats.output());
        String expected = fatal(nats.output());
        assertEquals(expected, fatal(weft.output()), "weft:\n" + weft.output() + "\nnats-server:\n" + nats.output());
        return expected;
    }

    private static String fatal(String output) {
        Matcher m = FATAL.matcher(output);
        assertTrue(m.find(), "no [FTL] line in:\n" + output);
        return m.group(1).strip();
    }

    private static ServerSocket hold() throws IOException {
        ServerSocket s = new ServerSocket();
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        return s;
    }

    private static String[] prepend(String first, String[] rest) {
        String[] all = new String[rest.length + 1];
        all[0] = first;
        System.arraycopy(rest, 0, all, 1, rest.length);
        return all;
    }

    private static TestServers.Result run(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        if (!p.waitFor(RUN.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(cmd + " did not exit within " + RUN);
        }
        return new TestServers.Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }
}
