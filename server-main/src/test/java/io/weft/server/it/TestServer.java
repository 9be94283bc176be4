package io.weft.server.it;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One server process under test (nats-server or a weft child JVM), started by {@link TestServers}.
 * Ports and the config file are fixed for the object's life, so {@link #restart()} brings the same
 * server back on the same port.
 */
public final class TestServer implements AutoCloseable {
    static final Duration READY_TIMEOUT = Duration.ofSeconds(20);

    private final TestServers.Target target;
    private final Path configFile;
    private final int port;
    private final int monitorPort;
    private final List<String> command;
    private final java.util.Map<String, String> environment;
    private final StringBuffer stderr = new StringBuffer();
    /** Where this run's output starts in {@link #stderr}: a restart keeps the earlier runs' lines. */
    private volatile int runStart;
    private Process process;
    private Thread hook;

    TestServer(TestServers.Target target, Path configFile, int port, int monitorPort, List<String> command) {
        this(target, configFile, port, monitorPort, command, java.util.Map.of());
    }

    TestServer(TestServers.Target target, Path configFile, int port, int monitorPort, List<String> command,
               java.util.Map<String, String> environment) {
        this.environment = java.util.Map.copyOf(environment);
        this.target = target;
        this.configFile = configFile;
        this.port = port;
        this.monitorPort = monitorPort;
        this.command = List.copyOf(command);
    }

    public TestServers.Target target() { return target; }
    public int port() { return port; }
    public int monitorPort() { return monitorPort; }
    public String url() { return "nats://127.0.0.1:" + port; }
    public Path configFile() { return configFile; }
    public List<String> command() { return command; }

    /** Everything the server wrote to stderr and stdout so far, across restarts. */
    public String stderr() { return stderr.toString(); }

    public boolean isAlive() {
        Process p = process;
        return p != null && p.isAlive();
    }

    void start() {
        runStart = stderr.length();
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        if (!target.isNats()) {
            pb.environment().put("_JAVA_SR_SIGNUM", "39"); // as bin/weft sets it (Signals.SUSPEND_SIGNAL_ENV)
        }
        pb.environment().putAll(environment);
        try {
            process = pb.start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot start " + command + ": " + e, e);
        }
        Process p = process;
        hook = new Thread(() -> p.destroyForcibly(), "kill-" + target + "-" + port);
        Runtime.getRuntime().addShutdownHook(hook);
        Thread pump = new Thread(() -> pump(p.getInputStream()), "stderr-" + target + "-" + port);
        pump.setDaemon(true);
        pump.start();
        awaitReady();
    }

    private void pump(InputStream in) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                stderr.append(line).append('\n');
            }
        } catch (IOException ignored) {
            // process went away
        }
    }

    /** Polls until the client port accepts a connection and sends an INFO line. */
    private void awaitReady() {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        String last = "never tried";
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                sleepQuietly(100); // let the pump collect the last words
                throw new IllegalStateException(target + " exited with " + process.exitValue()
                        + " before becoming ready; command " + command + "\noutput:\n" + stderr());
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 500);
                if (stderr.indexOf("Server is ready", runStart) >= 0) {
                    // the port is ours and serving; with TLS handshake_first no INFO comes in plain text
                    return;
                }
                s.setSoTimeout(2000);
                String line = readLine(s.getInputStream());
                if (line.startsWith("INFO ")) {
                    if (!process.waitFor(50, TimeUnit.MILLISECONDS)) {
                        // still running, so the INFO came from our process, not a port squatter;
                        // weft opens the monitoring port after the client port, so wait for it too
                        if (monitorPort <= 0 || acceptsConnection(monitorPort)) {
                            return;
                        }
                        last = "client port ready, monitoring port " + monitorPort + " not yet";
                        sleepQuietly(25);
                        continue;
                    }
                    continue; // it died (e.g. bind failure): report that above
                }
                last = "first line was: " + line;
            } catch (IOException e) {
                last = e.toString();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for " + target, e);
            }
            sleepQuietly(25);
        }
        String out = stderr();
        kill();
        throw new IllegalStateException(target + " not ready on port " + port + " after " + READY_TIMEOUT
                + " (" + last + "); command " + command + "\noutput:\n" + out);
    }

    private static boolean acceptsConnection(int port) {
        try (Socket m = new Socket()) {
            m.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) != -1 && c != '\n') {
            if (c != '\r') {
                sb.append((char) c);
            }
            if (sb.length() > 65536) {
                break;
            }
        }
        return sb.toString();
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The process id of the running server. */
    public long pid() {
        Process p = process;
        if (p == null) {
            throw new IllegalStateException(target + " is not running");
        }
        return p.pid();
    }

    /** Sends a signal by name ({@code HUP}, {@code TERM}, {@code INT}, {@code USR2}, ...) with kill(1). */
    public void signal(String name) {
        try {
            Process k = new ProcessBuilder("kill", "-" + name, Long.toString(pid())).redirectErrorStream(true).start();
            if (!k.waitFor(5, TimeUnit.SECONDS) || k.exitValue() != 0) {
                throw new IllegalStateException("kill -" + name + " " + pid() + " failed");
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run kill: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Replaces the config file's text (for reload tests; send HUP afterwards). */
    public void rewriteConfig(String text) {
        try {
            Files.writeString(configFile, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * Waits for the process to exit on its own and returns its exit status; the process is then
     * forgotten (like {@link #kill()}). Fails when it is still running after {@code timeout}.
     */
    public int awaitExit(Duration timeout) throws InterruptedException {
        Process p = process;
        if (p == null) {
            throw new IllegalStateException(target + " is not running");
        }
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError(target + " still running " + timeout + " later; output:\n" + stderr());
        }
        int code = p.exitValue();
        kill();
        return code;
    }

    /** Polls the output until it contains {@code text}; returns whether it did within {@code timeout}. */
    public boolean awaitOutput(String text, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (stderr().contains(text)) {
                return true;
            }
            Thread.sleep(20);
        }
        return stderr().contains(text);
    }

    /** Kills the process (SIGKILL) and waits for it to be gone. Idempotent. */
    public void kill() {
        Process p = process;
        if (p == null) {
            return;
        }
        p.destroyForcibly();
        try {
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException(target + " on port " + port + " did not die");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (hook != null) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException ignored) {
                // JVM already shutting down
            }
            hook = null;
        }
        process = null;
    }

    /** Kills the server and starts it again with the same command line (same ports, same config). */
    public void restart() {
        kill();
        start();
    }

    @Override
    public void close() {
        kill();
        try {
            Files.deleteIfExists(configFile);
        } catch (IOException ignored) {
            // temp file; best effort
        }
    }

    @Override
    public String toString() {
        return target + "@" + port;
    }
}
