package io.weft.server.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Starts servers for the integration tests. The implementation under test is chosen by the
 * system property {@code weft.target}: {@code nats-server} (the reference, /usr/sbin/nats-server)
 * or {@code weft} (a child JVM running {@code io.weft.server.Main serve}). Both get the same
 * flags: {@code -c FILE -p PORT -m MPORT} plus any extra flags.
 */
public final class TestServers {
    /** Until weft's server lands, the default target is the reference server. */
    public static final String DEFAULT_TARGET = "weft";
    public static final String NATS_SERVER_BINARY = "/usr/sbin/nats-server";

    /**
     * The newest nats-server Debian packages (unstable's, 2.15.x), unpacked under the project's
     * {@code target/} by {@code bin/fetch-nats-server}, which {@code bin/test} runs first; the
     * system property {@code weft.nats.newest} overrides the path. Tests that compare weft with
     * the behaviour of the 2.12+ servers use it; absent, they fail with the command to fetch it.
     */
    public static Path newestNatsServer() {
        String override = System.getProperty("weft.nats.newest");
        Path bin = override != null ? Path.of(override)
                : Path.of("..", "target", "nats-server-unstable", "usr", "sbin", "nats-server").toAbsolutePath().normalize();
        if (!Files.isExecutable(bin)) {
            throw new IllegalStateException("the newest nats-server is not at " + bin + "; run bin/fetch-nats-server");
        }
        return bin;
    }

    public enum Target {
        /** /usr/sbin/nats-server, the older Debian package (2.9.10) the first differential tests used. */
        NATS_SERVER,
        /** The newest nats-server Debian packages ({@link #newestNatsServer()}, 2.15.x). */
        NATS_NEWEST,
        WEFT;

        /** True for either nats-server. */
        public boolean isNats() {
            return this != WEFT;
        }

        String binary() {
            return this == NATS_NEWEST ? newestNatsServer().toString() : NATS_SERVER_BINARY;
        }

        static Target parse(String s) {
            return switch (s.trim().toLowerCase(Locale.ROOT)) {
                case "nats-server", "nats", "natsserver", "nats_server" -> NATS_SERVER;
                case "nats-newest", "newest" -> NATS_NEWEST;
                case "weft" -> WEFT;
                default -> throw new IllegalArgumentException("weft.target must be nats-server, nats-newest or weft, got " + s);
            };
        }

        @Override
        public String toString() {
            return switch (this) {
                case NATS_SERVER -> "nats-server";
                case NATS_NEWEST -> "nats-server-newest";
                case WEFT -> "weft";
            };
        }
    }

    private TestServers() {}

    /** The target selected by {@code -Dweft.target=...}. */
    public static Target target() {
        return Target.parse(System.getProperty("weft.target", DEFAULT_TARGET));
    }

    public static TestServer start(String confText) {
        return start(target(), confText);
    }

    public static TestServer start(String confText, String... extraFlags) {
        return start(target(), confText, extraFlags);
    }

    public static TestServer start(Target target, String confText, String... extraFlags) {
        return start(target, Map.of(), confText, extraFlags);
    }

    /** As {@link #start(Target, String, String...)}, with extra environment variables for the server process. */
    public static TestServer start(Target target, Map<String, String> environment, String confText, String... extraFlags) {
        Path conf;
        try {
            conf = Files.createTempFile("weft-it-", ".conf");
            Files.writeString(conf, confText == null ? "" : confText, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        // A port found free can be taken by another process before the server binds it (other
        // builds share this machine), so a bind failure is retried with fresh ports.
        for (int attempt = 1; ; attempt++) {
            int[] ports = freePorts(2);
            TestServer server = new TestServer(target, conf, ports[0], ports[1], command(target, conf, ports, extraFlags),
                    environment);
            try {
                server.start();
                return server;
            } catch (IllegalStateException e) {
                server.kill();
                String msg = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
                if (attempt < 3 && (msg.contains("address already in use") || msg.contains("bindexception"))) {
                    continue;
                }
                server.close();
                throw e;
            }
        }
    }

    /** True when env(1) can reset signal dispositions (coreutils 8.31+), as bin/weft checks. */
    static final boolean DEFAULT_SIGNALS = defaultSignals();

    private static boolean defaultSignals() {
        try {
            Process p = new ProcessBuilder("env", "--default-signal=HUP,INT", "true").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor() == 0;
        } catch (java.io.IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static List<String> command(Target target, Path conf, int[] ports, String... extraFlags) {
        List<String> cmd = new ArrayList<>();
        if (target.isNats()) {
            cmd.add(target.binary());
        } else {
            if (DEFAULT_SIGNALS) {
                // as bin/weft: HUP and INT back to their defaults, whatever the test run's launcher
                // ignored (a shell's background job ignores INT, and the JVM keeps it ignored)
                cmd.add("env");
                cmd.add("--default-signal=HUP,INT");
            }
            cmd.add(ProcessHandle.current().info().command()
                    .orElseThrow(() -> new IllegalStateException("cannot find the current java binary")));
            String jvmArgs = System.getProperty("weft.jvm.args", "").trim();
            if (!jvmArgs.isEmpty()) {
                cmd.addAll(List.of(jvmArgs.split("\\s+"))); // e.g. -Dweft.jvm.args="-Xmx256m -ea"
            }
            cmd.add("-cp");
            cmd.add(System.getProperty("java.class.path"));
            cmd.add("io.weft.server.Main");
            cmd.add("serve");
        }
        cmd.addAll(List.of("-c", conf.toString(), "-p", Integer.toString(ports[0]), "-m", Integer.toString(ports[1])));
        cmd.addAll(List.of(extraFlags));
        return cmd;
    }

    /** Starts a server with no {@code -c} at all (only {@code -p PORT} and the extra flags). */
    public static TestServer startWithoutConfig(Target target, String... extraFlags) {
        int port = freePorts(1)[0];
        List<String> cmd = new ArrayList<>();
        if (target.isNats()) {
            cmd.add(target.binary());
        } else {
            if (DEFAULT_SIGNALS) {
                // as bin/weft: HUP and INT back to their defaults, whatever the test run's launcher
                // ignored (a shell's background job ignores INT, and the JVM keeps it ignored)
                cmd.add("env");
                cmd.add("--default-signal=HUP,INT");
            }
            cmd.add(ProcessHandle.current().info().command()
                    .orElseThrow(() -> new IllegalStateException("cannot find the current java binary")));
            cmd.add("-cp");
            cmd.add(System.getProperty("java.class.path"));
            cmd.add("io.weft.server.Main");
            cmd.add("serve");
        }
        cmd.addAll(List.of("-p", Integer.toString(port)));
        cmd.addAll(List.of(extraFlags));
        Path none = Path.of(System.getProperty("java.io.tmpdir"), "weft-it-no-config-" + port + ".conf");
        TestServer server = new TestServer(target, none, port, 0, cmd);
        try {
            server.start();
        } catch (RuntimeException e) {
            server.close();
            throw e;
        }
        return server;
    }

    /** The exit status and combined stdout/stderr of a finished command. */
    public record Result(int exitCode, String output) {}

    /**
     * Runs the weft command ({@code io.weft.server.Main args...}) in a child JVM to completion, for
     * one-shot commands such as {@code serve --signal reload=PID}, {@code serve -t} or {@code --version}.
     */
    public static Result runWeft(java.time.Duration timeout, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command()
                .orElseThrow(() -> new IllegalStateException("cannot find the current java binary")));
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add("io.weft.server.Main");
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            java.util.concurrent.CompletableFuture<String> out = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                } catch (IOException e) {
                    return "<output lost: " + e + ">";
                }
            });
            if (!p.waitFor(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("weft " + List.of(args) + " did not finish within " + timeout);
            }
            return new Result(p.exitValue(), out.get(5, java.util.concurrent.TimeUnit.SECONDS));
        } catch (IOException | java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("cannot run weft " + List.of(args) + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Distinct free ports, found by binding port 0 (all held open together so they differ). */
    /**
     * Ports below the kernel's ephemeral range (Linux: 32768-60999), so that no outgoing connection
     * of this or another process (a route dial, a client) can be given one as its local port
     * between the pick and the server's bind, which ports the kernel hands out for port 0 could.
     * Each JVM starts at its own place in the range (by pid) and walks it, skipping ports that
     * something holds on any address.
     */
    static int[] freePorts(int n) {
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = nextFreePort();
        }
        return out;
    }

    private static final int PORT_LOW = 20_000;
    private static final int PORT_SPAN = 12_000;
    private static final java.util.concurrent.atomic.AtomicInteger NEXT_PORT =
            new java.util.concurrent.atomic.AtomicInteger((int) ((ProcessHandle.current().pid() * 997) % PORT_SPAN));

    private static int nextFreePort() {
        for (int tries = 0; tries < PORT_SPAN; tries++) {
            int port = PORT_LOW + Math.floorMod(NEXT_PORT.getAndIncrement(), PORT_SPAN);
            try (ServerSocket ss = new ServerSocket()) {
                ss.setReuseAddress(true);
                ss.bind(new InetSocketAddress(port));
                return port;
            } catch (IOException taken) {
                // held by something: the next one
            }
        }
        throw new UncheckedIOException(new IOException("no free port in " + PORT_LOW + ".." + (PORT_LOW + PORT_SPAN)));
    }
}
