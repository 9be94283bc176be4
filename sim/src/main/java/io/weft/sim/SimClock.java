package io.weft.sim;

import io.weft.net.Clock;
import java.time.Duration;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;

/**
 * Virtual time for one node. {@link #nanoTime()} is the scheduler's virtual time plus this node's
 * offset; {@link #currentTimeMillis()} counts from a fixed epoch plus the node's wall-clock skew.
 * Sleeps and timed waits are timers of the {@link SimScheduler}; they park the calling simulated
 * thread with untimed parks, so they never touch real time.
 */
public final class SimClock implements Clock {
    /** The wall-clock time at virtual time zero: 2026-01-01T00:00:00Z. */
    public static final long EPOCH_MILLIS = 1_767_225_600_000L;

    private final SimScheduler scheduler;
    private final String prefix;
    private final String group;
    private volatile long monotonicOffset;
    private volatile long wallSkewMillis;

    public SimClock(SimScheduler scheduler) {
        this(scheduler, "");
    }

    /** A clock whose scheduled tasks run on threads named {@code prefix + "timer"}. */
    public SimClock(SimScheduler scheduler, String prefix) {
        this(scheduler, prefix, null);
    }

    /**
     * A node's clock: scheduled tasks run on threads of the scheduler group {@code group} (paused
     * and killed with the node); a task armed before the node was killed never runs.
     */
    public SimClock(SimScheduler scheduler, String prefix, String group) {
        this.scheduler = scheduler;
        this.prefix = prefix;
        this.group = group;
    }

    @Override
    public long nanoTime() {
        return scheduler.now() + monotonicOffset;
    }

    @Override
    public long currentTimeMillis() {
        return EPOCH_MILLIS + scheduler.now() / 1_000_000L + wallSkewMillis;
    }

    /** Shifts this node's wall clock (skew or a jump; may go backwards, as real clocks do). */
    public void skewWallClock(long millis) {
        wallSkewMillis += millis;
    }

    /** Gives this node's monotonic clock a different origin (it stays monotonic). */
    public void offsetMonotonic(long nanos) {
        monotonicOffset = nanos;
    }

    @Override
    public void sleep(Duration duration) throws InterruptedException {
        requireSimThread();
        long nanos = duration.toNanos();
        if (Thread.interrupted()) {
            throw new InterruptedException();
        }
        if (nanos <= 0) {
            Thread.yield();
            return;
        }
        Thread self = Thread.currentThread();
        boolean[] fired = new boolean[1];
        SimScheduler.Timer timer = scheduler.at(scheduler.now() + nanos, () -> {
            fired[0] = true;
            LockSupport.unpark(self);
        });
        while (!fired[0]) {
            LockSupport.park(this);
            if (Thread.interrupted()) {
                timer.cancel();
                throw new InterruptedException();
            }
        }
    }

    /**
     * Waits on {@code condition} untimed; a timer at the deadline interrupts the waiter, which is
     * how an untimed wait is cut short. An interrupt that the timer made is never passed on.
     */
    @Override
    public boolean awaitUntil(Condition condition, long deadlineNanos) throws InterruptedException {
        requireSimThread();
        long delay = deadlineNanos - nanoTime();
        if (delay <= 0) {
            return false;
        }
        Thread self = Thread.currentThread();
        boolean[] fired = new boolean[1];
        SimScheduler.Timer timer = scheduler.at(scheduler.now() + delay, () -> {
            fired[0] = true;
            self.interrupt();
        });
        try {
            condition.await();
        } catch (InterruptedException e) {
            if (fired[0]) {
                return false;
            }
            timer.cancel();
            throw e;
        }
        timer.cancel();
        if (fired[0]) {
            // signalled and timed out at the same instant: the signal won; drop the timer's interrupt
            Thread.interrupted();
        }
        return true;
    }

    @Override
    public Cancellable schedule(Duration delay, Runnable task) {
        int generation = group == null ? 0 : scheduler.generation(group);
        SimScheduler.Timer timer = scheduler.at(scheduler.now() + Math.max(0, delay.toNanos()), () -> {
            if (group == null || scheduler.generation(group) == generation) {
                scheduler.spawn(prefix + "timer", group, task);
            }
        });
        return timer::cancel;
    }

    private void requireSimThread() {
        if (!Thread.currentThread().isVirtual()) {
            throw new IllegalStateException("simulated time can only be waited on by a simulated thread");
        }
    }
}
