package io.weft.jepsen;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bin/weft, the launcher the harness (and operators) start weft with, against a shell that ignores
 * SIGHUP as {@code nohup} does: the JVM keeps a signal ignored at its start ignored, so without
 * the launcher's reset a SIGHUP would reload nothing. Here, in this module, because it is built
 * after server-main is packaged (bin/weft runs the packaged jar).
 */
class WeftLauncherTest {
    private static final Path HOME = Path.of(System.getProperty("user.dir")).getParent();

    @Test
    void aServerStartedWithHangupIgnoredStillReloadsOnHangup(@TempDir Path dir) throws Exception {
        assertTrue(Files.isRegularFile(HOME.resolve("server-main/target/weft-server-main-0.1.0-SNAPSHOT.jar")),
                "bin/weft needs the packaged server (mvn package, or bin/build)");
        int port = freePort();
        Path conf = dir.resolve("weft.conf");
        Files.writeString(conf, "port: " + port + "\nmax_payload: 1000\n");
        Path out = dir.resolve("out.log");
        // nohup's disposition without nohup's own output handling: trap '' HUP, then exec the launcher
        ProcessBuilder pb = new ProcessBuilder("bash", "-c",
                "trap '' HUP; exec \"$0\" serve -c \"$1\"", HOME.resolve("bin/weft").toString(), conf.toString())
                .redirectErrorStream(true).redirectOutput(out.toFile());
        pb.environment().put("WEFT_AOT", "off");
        Process p = pb.start();
        try {
            assertTrue(await(out, "Server is ready", Duration.ofSeconds(60)), read(out));
            Files.writeString(conf, "port: " + port + "\nmax_payload: 2000\n");
            new ProcessBuilder("kill", "-HUP", Long.toString(p.pid())).inheritIO().start().waitFor();
            assertTrue(await(out, "Reloaded server configuration", Duration.ofSeconds(20)),
                    "SIGHUP must reload though it was ignored when bin/weft started: " + read(out));
            assertTrue(!read(out).contains("SIGHUP was ignored"), read(out));
        } finally {
            stop(p);
        }
    }

    @Test
    void aServerStartedWithoutTheLauncherAndHangupIgnoredSaysReloadWillNotWork(@TempDir Path dir) throws Exception {
        Path conf = dir.resolve("weft.conf");
        Files.writeString(conf, "port: " + freePort() + "\n");
        Path out = dir.resolve("out.log");
        String java = ProcessHandle.current().info().command().orElseThrow();
        String cp = HOME.resolve("server-main/target/weft-server-main-0.1.0-SNAPSHOT.jar") + ":"
                + HOME.resolve("server-main/target/lib") + "/*";
        List<String> cmd = new ArrayList<>(List.of("bash", "-c", "trap '' HUP; exec \"$@\"", "sh", java, "-cp", cp,
                "io.weft.server.Main", "serve", "-c", conf.toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        try {
            assertTrue(await(out, "Server is ready", Duration.ofSeconds(60)), read(out));
            assertTrue(read(out).contains("[WRN] SIGHUP was ignored when this server started"), read(out));
        } finally {
            stop(p);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static void stop(Process p) throws InterruptedException {
        p.destroy();
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
    }

    private static boolean await(Path out, String text, Duration limit) throws Exception {
        long end = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < end) {
            if (read(out).contains(text)) {
                return true;
            }
            Thread.sleep(100);
        }
        return false;
    }

    private static String read(Path out) throws IOException {
        return Files.exists(out) ? new String(Files.readAllBytes(out), StandardCharsets.UTF_8) : "";
    }
}
