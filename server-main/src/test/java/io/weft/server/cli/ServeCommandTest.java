package io.weft.server.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.engine.ServerOptions;
import io.weft.server.config.ConfigException;
import io.weft.server.config.MappedConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServeCommandTest {
    private static ServeArgs parse(String... args) {
        return ServeCommand.parse(List.of(args));
    }

    private static String usageError(String... args) {
        return assertThrows(UsageException.class, () -> parse(args)).getMessage();
    }

    @Test
    void valueFlagsInAllForms() {
        ServeArgs a = parse("-a", "127.0.0.1", "--port=4333", "-n", "srv", "-m=8222", "-c", "x.conf", "-sd", "/js",
                "-l", "/tmp/log", "-P", "/tmp/pid", "--user", "u", "--pass", "p", "--auth", "tok",
                "--client_advertise", "example:4222");
        assertEquals("127.0.0.1", a.host);
        assertEquals(4333, a.port);
        assertEquals("srv", a.serverName);
        assertEquals(8222, a.httpPort);
        assertEquals("x.conf", a.configFile);
        assertEquals("/js", a.storeDir);
        assertEquals("/tmp/log", a.logFile);
        assertEquals("/tmp/pid", a.pidFile);
        assertEquals("u", a.user);
        assertEquals("p", a.password);
        assertEquals("tok", a.token);
        assertEquals("example:4222", a.clientAdvertise);
        assertEquals(4444, parse("-p", "4444").port);
        assertEquals(4445, parse("--port", "4445").port);
        assertEquals(4446, parse("-port=4446").port);
        assertEquals("h", parse("--net", "h").host);
        assertEquals("h2", parse("--addr=h2").host);
        assertEquals("n2", parse("--server_name", "n2").serverName);
        assertEquals("n3", parse("--name=n3").serverName);
    }

    @Test
    void booleanFlags() {
        ServeArgs a = parse("-js", "-D", "-V");
        assertTrue(a.jetstream);
        assertTrue(a.debug);
        assertTrue(a.trace);
        ServeArgs dv = parse("-DV");
        assertTrue(dv.debug && dv.trace);
        ServeArgs dvv = parse("-DVV");
        assertTrue(dvv.debug && dvv.trace);
        assertTrue(parse("-VV").trace);
        assertNull(parse("-VV").debug);
        assertFalse(parse("-T=false").logTime);
        assertFalse(parse("--jetstream=false").jetstream);
        assertTrue(parse("--help").help);
        assertTrue(parse("-h").help);
        assertTrue(parse("-v").version);
        assertTrue(parse("--version").version);
        assertTrue(parse("-t", "-c", "f.conf").testConfig);
        assertNull(parse().debug, "unset flags stay null so they do not override the file");
    }

    @Test
    void signal() {
        assertEquals(new ServeArgs.SignalRequest("reload", null), parse("--signal", "reload").signal);
        assertEquals(new ServeArgs.SignalRequest("stop", "1234"), parse("-sl", "stop=1234").signal);
        assertEquals(new ServeArgs.SignalRequest("ldm", "/var/run/nats.pid"), parse("-sl=ldm=/var/run/nats.pid").signal);
        assertTrue(usageError("-sl", "explode").contains("unknown signal"));
    }

    @Test
    void errorsWordedAsNatsServer() {
        assertEquals("flag provided but not defined: -bogus", usageError("--bogus"));
        assertEquals("flag provided but not defined: -max_payload", usageError("--max_payload", "5"));
        assertEquals("flag needs an argument: -p", usageError("-p"));
        assertEquals("invalid value \"abc\" for flag -p: parse error", usageError("-p", "abc"));
        assertEquals("unrecognized command: \"extra\"", usageError("extra"));
        assertEquals("must specify [-c, --config] option to check configuration file syntax", usageError("-t"));
        assertEquals(8443, parse("-ms", "8443").httpsPort);
        assertEquals(Boolean.TRUE, parse("--tls", "--tlscert", "c.pem", "--tlskey", "k.pem").tls);
        assertEquals("ca.pem", parse("--tlsverify", "--tlscacert", "ca.pem").tlsCaCert);
        UsageException e = assertThrows(UsageException.class, () -> parse("--nope"));
        assertTrue(e.withHint().endsWith("Run 'weft serve --help' for usage."));
    }

    @Test
    void clusterFlags() {
        ServeArgs a = parse("--cluster", "nats://0.0.0.0:6222", "--routes", "nats://a:6222,nats-route://b:1", "--cluster_name", "c",
                "--no_advertise", "--cluster_advertise", "h:1");
        assertEquals(0, a.warnings.size());
        assertEquals("nats://0.0.0.0:6222", a.cluster);
        assertEquals("nats://a:6222,nats-route://b:1", a.routes);
        assertEquals("c", a.clusterName);
        assertEquals(Boolean.TRUE, a.noAdvertise);
        assertEquals("h:1", a.clusterAdvertise);
    }

    @Test
    void doubleDashEndsFlags() {
        assertEquals("unrecognized command: \"x\"", usageError("-p", "1", "--", "x"));
        assertEquals(1, parse("-p", "1", "--").port);
    }

    @Test
    void usageListsTheFlags() {
        String u = ServeCommand.usage();
        for (String flag : List.of("--addr", "--port", "--server_name", "--http_port", "--https_port", "--config", "-t",
                "--signal", "--client_advertise", "--log", "--debug", "--trace", "-DV", "-VV", "-DVV", "--jetstream",
                "--store_dir", "--user", "--pass", "--auth", "--help", "--version", "--pid")) {
            assertTrue(u.contains(flag), flag);
        }
    }

    @Test
    void flagsOverrideTheConfigFile(@TempDir Path dir) throws Exception {
        Path conf = dir.resolve("w.conf");
        Files.writeString(conf, """
                port: 4333
                server_name: from_file
                debug: false
                max_payload: 2MB
                jetstream { store_dir: /file/js }
                authorization { user: fileuser, password: filepass }
                cluster { name: x }
                """);
        ServeCommand cmd = new ServeCommand(Map.<String, String>of()::get);
        ServerOptions fileOnly = cmd.resolve(parse("-c", conf.toString()));
        assertEquals(4333, fileOnly.port);
        assertEquals("from_file", fileOnly.serverName);
        assertEquals(conf.toString(), fileOnly.configFile);
        assertEquals("fileuser", fileOnly.auth.user);

        MappedConfig both = cmd.resolveWithWarnings(parse("-c", conf.toString(), "-p", "5555", "-n", "from_flag", "-D",
                "-sd", "/flag/js", "--user", "flaguser", "--routes", "nats://r:6222"));
        ServerOptions o = both.options();
        assertEquals(5555, o.port);
        assertEquals("from_flag", o.serverName);
        assertTrue(o.debug);
        assertEquals("/flag/js", o.storeDir);
        assertTrue(o.jetstream);
        assertEquals(2L << 20, o.maxPayload, "values without a flag come from the file");
        assertEquals("flaguser", o.auth.user);
        assertEquals("filepass", o.auth.password);
        // the cluster block and --routes are implemented: no warnings; the flag's route, the file's name
        assertEquals(0, both.warnings().size(), both.warnings().toString());
        assertEquals(java.util.List.of("r:6222"), o.routes);
        assertEquals("x", o.clusterName);
        assertEquals("fileuser", fileOnly.auth.user, "resolving again does not mutate earlier results");
    }

    @Test
    void noConfigFileGivesDefaultsPlusFlags() {
        ServeCommand cmd = new ServeCommand(Map.of("WEFT_PORT", "6000", "WEFT_MAX_PAYLOAD", "4096")::get);
        ServerOptions o = cmd.resolve(parse("--auth", "t0k", "-js"));
        assertEquals(6000, o.port);
        assertEquals(4096, o.maxPayload);
        assertEquals("t0k", o.auth.token);
        assertTrue(o.jetstream);
        assertEquals(7000, cmd.resolve(parse("-p", "7000")).port);
    }

    /**
     * Measured with nats-server 2.15.1: unquoted {@code ping_interval: 2m} runs with 2,000,000
     * seconds (the lexer's {@code m} is the size suffix 10^6, and a number in a duration field is
     * seconds), {@code max_payload: 2m} is 2,000,000 bytes, and {@code -t} rejects a file that
     * writes a duration as a number ("should be converted to a duration"); quoted {@code "2m"} is two
     * minutes and valid.
     */
    @Test
    void anUnquotedDurationIsANumberOfSecondsAndFailsTheCheck(@TempDir Path dir) throws Exception {
        ServeCommand cmd = new ServeCommand(Map.<String, String>of()::get);
        Path bare = dir.resolve("bare.conf");
        Files.writeString(bare, "ping_interval: 2m\nmax_payload: 2m\n");
        MappedConfig run = cmd.resolveWithWarnings(parse("-c", bare.toString()));
        assertEquals(java.time.Duration.ofSeconds(2_000_000), run.options().pingInterval);
        assertEquals(2_000_000, run.options().maxPayload);
        assertTrue(run.warnings().stream().anyMatch(w -> w.contains("ping_interval") && w.contains("2000000 seconds")),
                run.warnings().toString());
        String check = assertThrows(ConfigException.class, () -> cmd.checkConfig(parse("-t", "-c", bare.toString())))
                .getMessage();
        assertTrue(check.contains(bare + ":1:") && check.contains("ping_interval"), check);
        Path seconds = dir.resolve("seconds.conf");
        Files.writeString(seconds, "write_deadline: 30\n");
        assertThrows(ConfigException.class, () -> cmd.checkConfig(parse("-t", "-c", seconds.toString())));
        Path quoted = dir.resolve("quoted.conf");
        Files.writeString(quoted, "ping_interval: \"2m\"\nmax_payload: 2m\n");
        assertEquals("configuration file " + quoted + " is valid", cmd.checkConfig(parse("-t", "-c", quoted.toString())));
        assertEquals(java.time.Duration.ofMinutes(2), cmd.resolve(parse("-c", quoted.toString())).pingInterval);
    }

    /** nats-server 2.15.1 with {@code -a 127.0.0.1 -m PORT} listens for monitoring on 127.0.0.1:PORT. */
    @Test
    void monitoringListensOnTheClientHostUnlessHttpHostIsSet(@TempDir Path dir) throws Exception {
        ServeCommand cmd = new ServeCommand(Map.<String, String>of()::get);
        assertEquals("0.0.0.0", cmd.resolve(parse("-m", "8222")).httpHost);
        assertEquals("127.0.0.1", cmd.resolve(parse("-a", "127.0.0.1", "-m", "8222")).httpHost);
        Path conf = dir.resolve("h.conf");
        Files.writeString(conf, "host: 127.0.0.2\nhttp: 8222\n");
        assertEquals("127.0.0.2", cmd.resolve(parse("-c", conf.toString())).httpHost);
        Files.writeString(conf, "host: 127.0.0.2\nhttp_host: 127.0.0.3\nhttp_port: 8222\n");
        assertEquals("127.0.0.3", cmd.resolve(parse("-c", conf.toString(), "-a", "127.0.0.4")).httpHost);
    }

    @Test
    void checkConfigReportsValidityLikeNatsServerDashT(@TempDir Path dir) throws Exception {
        Path good = dir.resolve("good.conf");
        Files.writeString(good, "port: 4222\nauthorization { timeout: 0.5, token: t }\n");
        ServeCommand cmd = new ServeCommand(Map.<String, String>of()::get);
        assertEquals("configuration file " + good + " is valid", cmd.checkConfig(parse("-t", "-c", good.toString())));
        assertEquals(java.time.Duration.ofMillis(500), cmd.resolve(parse("-c", good.toString())).authTimeout);
        Path bad = dir.resolve("bad.conf");
        Files.writeString(bad, "port: 4222\nfoo: 1\n");
        assertEquals(bad + ":2:1: unknown field \"foo\"",
                assertThrows(ConfigException.class, () -> cmd.checkConfig(parse("-t", "-c", bad.toString()))).getMessage());
    }

    @Test
    void badConfigFileSurfacesAsConfigException(@TempDir Path dir) throws Exception {
        Path conf = dir.resolve("bad.conf");
        Files.writeString(conf, "port: 1\nport: \"x\"\n");
        ServeCommand cmd = new ServeCommand(Map.<String, String>of()::get);
        ConfigException e = assertThrows(ConfigException.class, () -> cmd.resolve(parse("-c", conf.toString())));
        assertTrue(e.getMessage().startsWith(conf + ":2:7: "), e.getMessage());
        ConfigException missing = assertThrows(ConfigException.class, () -> cmd.resolve(parse("-c", dir.resolve("none.conf").toString())));
        assertTrue(missing.getMessage().contains("none.conf"));
    }
}
