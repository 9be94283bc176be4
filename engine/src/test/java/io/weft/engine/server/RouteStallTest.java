package io.weft.engine.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.weft.net.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import org.junit.jupiter.api.Test;

/**
 * A client's reader stalls, bounded, on a route that falls behind ({@link RouteSink#stallAdvised}),
 * as on a slow client: within one batch up to {@link Deliveries#STALL_BOUND}, and again in every
 * later batch. The route's batches list no connection (nothing local was delivered), and such a
 * batch must end its stall budget too: it once kept the first batch's spent deadline forever, so a
 * publisher stalled 10 ms once and never again, and a route a fast publisher outran was cut as a
 * slow consumer (two weft servers, 250,000 x 1 KB, publisher on one and subscriber on the other).
 */
class RouteStallTest {
    /** A clock that only moves when a wait moves it. */
    private static final class ManualClock implements Clock {
        final AtomicLong now = new AtomicLong(1_000_000_000L);

        @Override public long nanoTime() { return now.get(); }
        @Override public long currentTimeMillis() { return now.get() / 1_000_000L; }
        @Override public void sleep(Duration d) { now.addAndGet(d.toNanos()); }
        @Override public boolean awaitUntil(Condition c, long deadline) {
            now.set(Math.max(now.get(), deadline));
            return false;
        }
        @Override public Cancellable schedule(Duration delay, Runnable task) { return () -> { }; }
    }

    /** A route that stays behind: every wait for it lasts until the deadline it is given. */
    private static final class BehindRoute implements RouteSink {
        final ManualClock clock;
        final List<Long> waits = new ArrayList<>();

        BehindRoute(ManualClock clock) {
            this.clock = clock;
        }

        @Override
        public boolean sendMessage(String account, String subject, String reply, List<String> queues, byte[] data,
                                   int off, int hdrLen, int totalLen) {
            return true;
        }

        @Override public boolean stallAdvised() { return true; }

        @Override
        public void awaitDrain(Clock c, long deadlineNanos) {
            long start = c.nanoTime();
            clock.now.set(Math.max(start, deadlineNanos));
            waits.add(c.nanoTime() - start);
        }
    }

    @Test
    void everyBatchStallsOnABehindRouteWithinTheBound() {
        ManualClock clock = new ManualClock();
        BehindRoute route = new BehindRoute(clock);
        List<Long> stalls = new ArrayList<>();
        Deliveries batch = Deliveries.forClient(new AtomicLong(), clock, stalls::add);
        for (int read = 0; read < 3; read++) {
            batch.stallOn(route); // the first message of the read waits up to the bound
            batch.stallOn(route); // the bound of this read is spent: no further wait
            batch.flush();        // the read ends; nothing local was delivered
        }
        assertEquals(List.of(Deliveries.STALL_BOUND_NANOS, Deliveries.STALL_BOUND_NANOS, Deliveries.STALL_BOUND_NANOS),
                route.waits, "one bounded wait per read");
        assertEquals(3, stalls.size());
    }

    @Test
    void aServerSideProducerNeverStallsOnARoute() {
        ManualClock clock = new ManualClock();
        BehindRoute route = new BehindRoute(clock);
        Deliveries batch = new Deliveries(new AtomicLong());
        batch.stallOn(route);
        batch.flush();
        assertEquals(List.of(), route.waits);
    }
}
