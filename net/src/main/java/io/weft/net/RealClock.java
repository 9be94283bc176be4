package io.weft.net;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Condition;

/** The system clock; scheduled tasks each run on their own virtual thread. */
public final class RealClock implements Clock {
    private final Spawner spawner;

    public RealClock(Spawner spawner) {
        this.spawner = spawner;
    }

    @Override
    public long nanoTime() {
        return System.nanoTime();
    }

    @Override
    public long currentTimeMillis() {
        return System.currentTimeMillis();
    }

    @Override
    public void sleep(Duration duration) throws InterruptedException {
        long nanos = duration.toNanos();
        if (nanos > 0) {
            TimeUnit.NANOSECONDS.sleep(nanos);
        }
    }

    @Override
    public boolean awaitUntil(Condition condition, long deadlineNanos) throws InterruptedException {
        long remaining = deadlineNanos - System.nanoTime();
        if (remaining <= 0) {
            return false;
        }
        return condition.awaitNanos(remaining) > 0;
    }

    @Override
    public Cancellable schedule(Duration delay, Runnable task) {
        AtomicBoolean cancelled = new AtomicBoolean();
        Thread t = spawner.spawn("timer", () -> {
            try {
                sleep(delay);
            } catch (InterruptedException e) {
                return;
            }
            if (!cancelled.get()) {
                task.run();
            }
        });
        return () -> {
            if (cancelled.compareAndSet(false, true)) {
                t.interrupt();
            }
        };
    }
}
