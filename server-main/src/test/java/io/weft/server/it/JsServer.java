package io.weft.server.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A server under test started with JetStream on ({@code -js -sd DIR}) and a fresh temporary store
 * directory, which {@link #close()} removes. The same flags go to nats-server and to weft.
 */
final class JsServer implements AutoCloseable {
    final TestServer server;
    final Path storeDir;

    private JsServer(TestServer server, Path storeDir) {
        this.server = server;
        this.storeDir = storeDir;
    }

    /** Starts the target chosen by {@code -Dweft.target}. */
    static JsServer start(String conf) {
        return start(TestServers.target(), conf);
    }

    static JsServer start(TestServers.Target target, String conf) {
        Path dir;
        try {
            dir = Files.createTempDirectory("weft-js-" + target + "-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            return new JsServer(TestServers.start(target, conf, "-js", "-sd", dir.toString()), dir);
        } catch (RuntimeException e) {
            deleteTree(dir);
            throw e;
        }
    }

    String url() {
        return server.url();
    }

    int port() {
        return server.port();
    }

    TestServers.Target target() {
        return server.target();
    }

    boolean isNatsServer() {
        return server.target().isNats();
    }

    @Override
    public void close() {
        server.close();
        deleteTree(storeDir);
    }

    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // best effort for a temp dir
                }
            });
        } catch (IOException ignored) {
            // best effort for a temp dir
        }
    }

    @Override
    public String toString() {
        return server + " (-js -sd " + storeDir + ")";
    }
}
