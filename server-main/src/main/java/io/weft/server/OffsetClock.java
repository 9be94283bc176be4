package io.weft.server;

import io.weft.engine.ServerLog;
import io.weft.net.Clock;
import io.weft.net.Env;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.locks.Condition;

/**
 * Test-only: a wall clock that runs ahead of (or behind) the system's by an offset read from a
 * file, for the Jepsen harness's clock nemesis. Network namespaces cannot give a process its own
 * realtime clock (Linux time namespaces offset only the monotonic and boot clocks), so the
 * harness writes the skew it wants, in milliseconds, to the file named by
 * {@code WEFT_TEST_CLOCK_OFFSET_FILE}, and this clock re-reads it every
 * {@link #POLL}: a new value is a jump of the wall clock. The monotonic clock is left alone, as an
 * operating system leaves it when its wall clock is set. Without the variable nothing changes.
 */
final class OffsetClock implements Clock {
    static final String VARIABLE = "WEFT_TEST_CLOCK_OFFSET_FILE";
    static final Duration POLL = Duration.ofMillis(100);

    private final Clock real;
    private final Path file;
    private final ServerLog log;
    private volatile long offsetMillis;
    private String lastProblem = "";

    private OffsetClock(Clock real, Path file, ServerLog log) {
        this.real = real;
        this.file = file;
        this.log = log;
    }

    /** {@code env} with its clock offset by the file {@code path} names, or {@code env} when path is null or empty. */
    static Env wrap(Env env, String path, ServerLog log) {
        if (path == null || path.isEmpty()) {
            return env;
        }
        OffsetClock c = new OffsetClock(env.clock(), Path.of(path), log);
        log.warn("Test-only clock offset in effect: the wall clock is offset by the milliseconds in " + path
                + " (" + VARIABLE + "); never set this in production");
        c.reload();
        Thread t = new Thread(c::poll, "test-clock-offset");
        t.setDaemon(true);
        t.start();
        return new Env(c, env.network(), env.disk(), env.entropy(), env.spawner());
    }

    long offsetMillis() {
        return offsetMillis;
    }

    private void poll() {
        while (true) {
            try {
                Thread.sleep(POLL.toMillis());
            } catch (InterruptedException e) {
                return;
            }
            reload();
        }
    }

    /** Reads the file: one integer, milliseconds (a missing file is 0; a bad one keeps the last value and says so once). */
    void reload() {
        long next;
        try {
            String text = Files.readString(file, StandardCharsets.UTF_8).trim();
            next = text.isEmpty() ? 0 : Long.parseLong(text);
        } catch (NoSuchFileException e) {
            next = 0;
        } catch (IOException | NumberFormatException e) {
            String problem = "Test clock offset file " + file + " unreadable (" + e.getMessage() + "); keeping "
                    + offsetMillis + " ms";
            if (!problem.equals(lastProblem)) {
                log.warn(problem);
                lastProblem = problem;
            }
            return;
        }
        lastProblem = "";
        if (next != offsetMillis) {
            log.warn("Test clock offset now " + next + " ms (was " + offsetMillis + " ms)");
            offsetMillis = next;
        }
    }

    @Override
    public long nanoTime() {
        return real.nanoTime();
    }

    @Override
    public long currentTimeMillis() {
        return real.currentTimeMillis() + offsetMillis;
    }

    @Override
    public void sleep(Duration duration) throws InterruptedException {
        real.sleep(duration);
    }

    @Override
    public boolean awaitUntil(Condition condition, long deadlineNanos) throws InterruptedException {
        return real.awaitUntil(condition, deadlineNanos);
    }

    @Override
    public Cancellable schedule(Duration delay, Runnable task) {
        return real.schedule(delay, task);
    }
}
