package io.weft.server.bench;

import java.io.PrintStream;
import java.util.concurrent.atomic.LongAdder;

/**
 * A progress bar on the terminal: a daemon thread redraws one line on stderr every 200 ms from a
 * counter the clients add to. Disabled (draws nothing) when stderr is not a terminal, unless
 * forced with {@code --progress}.
 */
final class Progress implements AutoCloseable {
    private final LongAdder done = new LongAdder();
    private final long total;
    private final PrintStream err;
    private final Thread thread;
    private final long startNanos = System.nanoTime();
    private volatile boolean running = true;

    Progress(String label, long total, PrintStream err, boolean enabled) {
        this.total = Math.max(1, total);
        this.err = err;
        if (enabled) {
            thread = Thread.ofPlatform().daemon().name("bench-progress").start(() -> {
                while (running) {
                    draw(label);
                    try {
                        Thread.sleep(200);
                    } catch (InterruptedException e) {
                        break;
                    }
                }
                draw(label);
                err.println();
            });
        } else {
            thread = null;
        }
    }

    void add(long n) {
        done.add(n);
    }

    long done() {
        return done.sum();
    }

    private void draw(String label) {
        long d = Math.min(done.sum(), total);
        int width = 40;
        int filled = (int) (d * width / total);
        long secs = (System.nanoTime() - startNanos) / 1_000_000_000L;
        err.print("\r" + label + " " + secs + "s [" + "=".repeat(filled) + " ".repeat(width - filled) + "] "
                + String.format("%,d/%,d", d, total) + "   ");
        err.flush();
    }

    @Override
    public void close() {
        running = false;
        if (thread != null) {
            thread.interrupt();
            try {
                thread.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
