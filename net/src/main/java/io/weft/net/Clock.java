package io.weft.net;

import java.time.Duration;
import java.util.concurrent.locks.Condition;

/**
 * Time as the server sees it. The real clock reads the system; the simulator's clock is virtual.
 * Every timed wait in engine, store and raft goes through here, never through the JDK directly.
 */
public interface Clock {
    /** Monotonic nanoseconds, only meaningful as differences. */
    long nanoTime();

    /** Wall-clock milliseconds since the epoch (may jump under simulation, as real clocks do). */
    long currentTimeMillis();

    /** Sleeps for the given duration. */
    void sleep(Duration duration) throws InterruptedException;

    /**
     * Waits on {@code condition} (whose lock the caller holds) until signalled or until the monotonic
     * {@code deadlineNanos} passes. Returns false when the deadline passed.
     */
    boolean awaitUntil(Condition condition, long deadlineNanos) throws InterruptedException;

    /** Runs {@code task} once after {@code delay}, on a thread of the clock's choosing. */
    Cancellable schedule(Duration delay, Runnable task);

    /** A scheduled task that can be called off. */
    interface Cancellable {
        void cancel();
    }
}
