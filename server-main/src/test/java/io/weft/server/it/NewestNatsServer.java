package io.weft.server.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * nats-server 2.15.1 ({@link TestServers#newestNatsServer()}) with JetStream in a temporary store
 * directory, on a free loopback port: the reference for tests of 2.12+ behaviour.
 */
final class NewestNatsServer implements AutoCloseable {
    private final Process process;
    private final Path dir;
    private final int port;

    private NewestNatsServer(Process process, Path dir, int port) {
        this.process = process;
        this.dir = dir;
        this.port = port;
    }

    static NewestNatsServer start() {
        Path dir;
        try {
            dir = Files.createTempDirectory("weft-ns215-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        int port = TestServers.freePorts(1)[0];
        try {
            Process p = new ProcessBuilder(TestServers.newestNatsServer().toString(), "-js", "-sd",
                    dir.resolve("js").toString(), "-a", "127.0.0.1", "-p", Integer.toString(port))
                    .redirectErrorStream(true).redirectOutput(dir.resolve("server.log").toFile()).start();
            NewestNatsServer s = new NewestNatsServer(p, dir, port);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            while (System.nanoTime() < deadline) {
                try (Socket probe = new Socket()) {
                    probe.connect(new InetSocketAddress("127.0.0.1", port), 500);
                    return s;
                } catch (IOException notYet) {
                    Thread.sleep(50);
                }
            }
            s.close();
            throw new IllegalStateException("nats-server 2.15.1 did not listen on " + port);
        } catch (IOException e) {
            JsServer.deleteTree(dir);
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    int port() {
        return port;
    }

    String url() {
        return "nats://127.0.0.1:" + port;
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        JsServer.deleteTree(dir);
    }
}
