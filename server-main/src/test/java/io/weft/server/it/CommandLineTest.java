package io.weft.server.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The weft command as a user runs it, each case in its own JVM: {@code serve -t}, {@code
 * --version}, {@code serve --help}, an unknown flag, and {@code -l FILE} writing nats-style log
 * lines. (Weft only: these are weft's own command line.)
 */
class CommandLineTest {
    static final Duration RUN = Duration.ofSeconds(20);
    /** {@code [pid] yyyy/MM/dd HH:mm:ss.uuuuuu [INF] text}, as nats-server writes its log. */
    static final Pattern LOG_LINE = Pattern.compile("^\\[(\\d+)] \\d{4}/\\d{2}/\\d{2} \\d{2}:\\d{2}:\\d{2}\\.\\d{6} \\[(INF|WRN|ERR|DBG|TRC|FTL)] .+$");

    @Test
    void checkConfigGoodAndBad(@TempDir Path dir) throws Exception {
        Path good = dir.resolve("good.conf");
        Files.writeString(good, "port: 4222\nmax_payload: 2MB\nauthorization { user: a, password: b }\n");
        Path bad = dir.resolve("bad.conf");
        Files.writeString(bad, "port: 4222\nmax_payload: 2MB\n  max_connections: \"many\"\n");
        TestServers.Result ok = TestServers.runWeft(RUN, "serve", "-t", "-c", good.toString());
        assertEquals(0, ok.exitCode(), ok.output());
        assertTrue(ok.output().contains("configuration file " + good + " is valid"), ok.output());
        TestServers.Result ko = TestServers.runWeft(RUN, "serve", "-t", "-c", bad.toString());
        assertNotEquals(0, ko.exitCode(), ko.output());
        assertTrue(Pattern.compile(Pattern.quote(bad.toString()) + ":3:\\d+: ").matcher(ko.output()).find(),
                "error must name file:line:col: " + ko.output());
    }

    @Test
    void versionHelpAndUnknownFlag() {
        TestServers.Result v = TestServers.runWeft(RUN, "--version");
        assertEquals(0, v.exitCode(), v.output());
        assertTrue(v.output().matches("(?s)weft: v\\d+\\.\\d+\\.\\d+.*\\n"), v.output());
        TestServers.Result help = TestServers.runWeft(RUN, "serve", "--help");
        assertEquals(0, help.exitCode(), help.output());
        for (String flag : List.of("--port", "--config", "--signal", "--log", "--pid")) {
            assertTrue(help.output().contains(flag), flag + " missing from: " + help.output());
        }
        TestServers.Result bad = TestServers.runWeft(RUN, "serve", "--no-such-flag");
        assertNotEquals(0, bad.exitCode(), bad.output());
        assertTrue(bad.output().contains("no-such-flag"), bad.output());
        assertTrue(bad.output().contains("weft serve --help"), "must hint at --help: " + bad.output());
    }

    @Test
    void logFileGetsNatsStyleLines(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("weft.log");
        try (TestServer server = TestServers.start(TestServers.Target.WEFT, "", "-l", log.toString())) {
            assertTrue(Clients.await(() -> {
                try {
                    return Files.exists(log) && Files.readString(log).contains("Server is ready");
                } catch (java.io.IOException e) {
                    return false;
                }
            }, Duration.ofSeconds(5)), "log file " + log);
            List<String> lines = Files.readAllLines(log);
            String pid = Long.toString(server.pid());
            for (String line : lines) {
                var m = LOG_LINE.matcher(line);
                assertTrue(m.matches(), "not a nats-style log line: " + line);
                assertEquals(pid, m.group(1), line);
            }
            assertTrue(lines.stream().anyMatch(l -> l.endsWith("[INF] Listening for client connections on 0.0.0.0:" + server.port())), lines.toString());
            assertTrue(!server.stderr().contains("Server is ready"), "with -l the log goes to the file, not stderr: " + server.stderr());

            // rotation: move the file away, SIGUSR1 reopens the configured name
            Path rotated = dir.resolve("weft.log.1");
            Files.move(log, rotated);
            server.signal("USR1");
            assertTrue(Clients.await(() -> {
                try {
                    return Files.exists(log) && Files.readString(log).contains("[INF] File log re-opened");
                } catch (java.io.IOException e) {
                    return false;
                }
            }, Duration.ofSeconds(5)), "log not reopened");
            assertTrue(Files.readString(rotated).contains("Server is ready"));
        }
    }
}
