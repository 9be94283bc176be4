package io.weft.server.it;

import io.nats.client.Connection;
import io.nats.client.ErrorListener;
import io.nats.client.Nats;
import io.nats.client.Options;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;

/** Small helpers shared by the jnats integration tests. */
final class Clients {
    static final Duration WAIT = Duration.ofSeconds(10);

    private Clients() {}

    /** Options for a test connection: no reconnect, short timeouts. */
    static Options.Builder options(TestServer server) {
        return Options.builder()
                .server(server.url())
                .connectionTimeout(Duration.ofSeconds(5))
                .noReconnect();
    }

    static Connection connect(TestServer server) throws IOException, InterruptedException {
        return Nats.connect(options(server).build());
    }

    static Connection connect(Options.Builder builder) throws IOException, InterruptedException {
        return Nats.connect(builder.build());
    }

    /** Polls a condition for up to {@link #WAIT}; returns whether it became true. */
    static boolean await(BooleanSupplier condition) throws InterruptedException {
        return await(condition, WAIT);
    }

    static boolean await(BooleanSupplier condition, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return true;
            }
            Thread.sleep(10);
        }
        return condition.getAsBoolean();
    }

    /** Waits a little and confirms nothing more arrived (for "must not receive" assertions). */
    static void settle() throws InterruptedException {
        Thread.sleep(150);
    }

    /** An ErrorListener that records every -ERR text the client reports. */
    static final class RecordingErrors implements ErrorListener {
        final List<String> errors = new CopyOnWriteArrayList<>();
        final List<Exception> exceptions = new CopyOnWriteArrayList<>();

        @Override
        public void errorOccurred(Connection conn, String error) {
            errors.add(error);
        }

        @Override
        public void exceptionOccurred(Connection conn, Exception exp) {
            exceptions.add(exp);
        }

        boolean sawError(String fragment) {
            return errors.stream().anyMatch(e -> e.contains(fragment));
        }
    }
}
