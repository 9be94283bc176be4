package io.weft.server.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Gives the same flags to {@code nats-server -t -c good.conf ...} and to {@link ServeCommand#parse}:
 * both must accept or reject them, and for rejected flags the first line of the message must be
 * the same. (-t makes nats-server exit after checking, so nothing is started or signalled.)
 */
class ServeFlagsDifferentialTest {
    private static final Path NATS = Path.of("/usr/sbin/nats-server");

    private static final List<List<String>> CASES = List.of(
            List.of("-p", "4333"), List.of("-p=4333"), List.of("--port", "4333"), List.of("--port=4333"),
            List.of("-a", "127.0.0.1"), List.of("--addr=127.0.0.1"), List.of("--net", "0.0.0.0"),
            List.of("-n", "x"), List.of("--name", "x"), List.of("--server_name=x"), List.of("-m", "8222"),
            List.of("--http_port=8222"), List.of("-js"), List.of("--jetstream"), List.of("-sd", "/tmp/js"),
            List.of("--store_dir=/tmp/js"), List.of("-D"), List.of("-V"), List.of("-DV"), List.of("-VV"), List.of("-DVV"),
            List.of("--debug=false"), List.of("-T=false"), List.of("-l", "/tmp/x.log"), List.of("-P", "/tmp/x.pid"),
            List.of("--user", "u", "--pass", "p"), List.of("--auth", "t"), List.of("--client_advertise", "h:4222"),
            List.of("--cluster", "nats://127.0.0.1:6222"), List.of("--routes", "nats://a:6222"), List.of("--cluster_name", "c"),
            // Rejected by both.
            List.of("--bogus"), List.of("--max_payload", "5"), List.of("--ping_interval", "5s"), List.of("-p"),
            List.of("-p", "abc"), List.of("extra"), List.of("-D=maybe"));

    @Test
    void sameVerdictsAsNatsServer(@TempDir Path dir) throws Exception {
        if (!Files.isExecutable(NATS)) {
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                fail("CI=true but " + NATS + " is missing");
            }
            assumeTrue(false, NATS + " not found; skipping");
        }
        Path conf = dir.resolve("good.conf");
        Files.writeString(conf, "port: 4222\n");
        List<String> mismatches = new ArrayList<>();
        for (List<String> flags : CASES) {
            List<String> cmd = new ArrayList<>(List.of(NATS.toString(), "-t", "-c", conf.toString()));
            cmd.addAll(flags);
            Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail("nats-server hung on " + flags);
            }
            // nats-server 2.9 exits 0 even after a flag error, so judge by what it prints.
            boolean natsOk = p.exitValue() == 0 && out.contains("is valid");
            String natsFirst = out.lines().findFirst().orElse("").replaceFirst("^nats-server: ", "");
            String weftError = null;
            try {
                ServeCommand.parse(flags);
            } catch (UsageException e) {
                weftError = e.getMessage();
            }
            if (natsOk != (weftError == null)) {
                mismatches.add(flags + ": nats-server " + (natsOk ? "accepts" : "rejects: " + natsFirst) + ", weft "
                        + (weftError == null ? "accepts" : "rejects: " + weftError));
            } else if (!natsOk && !natsFirst.equals(weftError)) {
                mismatches.add(flags + ": nats-server says '" + natsFirst + "', weft says '" + weftError + "'");
            }
        }
        assertEquals(List.of(), mismatches);
    }
}
