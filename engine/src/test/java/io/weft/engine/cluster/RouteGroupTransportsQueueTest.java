package io.weft.engine.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.engine.ServerLog;
import io.weft.engine.route.InternalPeer;
import io.weft.net.Clock;
import io.weft.net.Env;
import io.weft.raft.Entry;
import io.weft.raft.Message;
import io.weft.raft.MessageCodec;
import io.weft.raft.driver.Transport;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * A peer's queue in {@link RouteGroupTransports}, against a route that does not drain: sending
 * never waits, what does not fit is dropped and counted, what was queued goes out once the route
 * drains, in order, addressed as {@code $NRG.<group>.<to>}; a route that stays congested, a peer
 * with no route, a message too large for the route and a route that goes down all drop, counted.
 */
class RouteGroupTransportsQueueTest {
    static final long P1 = PeerIds.of("p1");
    static final long P2 = PeerIds.of("p2");

    /** A route to "p2" that is congested until {@link #drain} and records what it is given. */
    static class StuckPeer implements InternalPeer {
        final AtomicBoolean stalled = new AtomicBoolean(true);
        final CountDownLatch drained = new CountDownLatch(1);
        /** The sender is waiting on this route (with the message it took). */
        final CountDownLatch waiting = new CountDownLatch(1);
        final List<String> subjects = new CopyOnWriteArrayList<>();
        final List<Message> messages = new CopyOnWriteArrayList<>();
        final boolean waits;
        final long maxPending;

        StuckPeer(boolean waits, long maxPending) {
            this.waits = waits;
            this.maxPending = maxPending;
        }

        void drain() {
            stalled.set(false);
            drained.countDown();
        }

        @Override public String remoteName() { return "p2"; }
        @Override public String remoteAddress() { return "test:0"; }
        @Override public boolean stallAdvised() { return stalled.get(); }
        @Override public long maxPending() { return maxPending; }

        @Override
        public void awaitDrain(Clock clock, long deadlineNanos) throws InterruptedException {
            waiting.countDown();
            if (waits) {
                drained.await(); // stuck far past the transport's bound wait
            }
        }

        @Override
        public boolean sendInternal(String subject, byte[] payload) {
            subjects.add(subject);
            messages.add(MessageCodec.decode(payload));
            return true;
        }
    }

    static Message heartbeat(long commit) {
        return new Message.Heartbeat(P1, P2, 1, commit, 0);
    }

    static void await(BooleanSupplier cond) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!cond.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out");
            Thread.sleep(5);
        }
    }

    @Test
    void aFullQueueDropsWithoutWaitingAndDrainsInOrderLater() throws Exception {
        RouteGroupTransports t = new RouteGroupTransports(Env.real(), ServerLog.silent(), 4, 1 << 20);
        Transport tr = t.open("g", P1);
        tr.start(m -> { });
        StuckPeer peer = new StuckPeer(true, 64L << 20);
        t.peerUp(peer);
        tr.send(heartbeat(0)); // the sender takes this one and waits on the stuck route
        assertTrue(peer.waiting.await(10, TimeUnit.SECONDS));
        long start = System.nanoTime();
        for (int i = 1; i <= 100; i++) {
            tr.send(heartbeat(i));
        }
        long took = System.nanoTime() - start;
        assertTrue(took < TimeUnit.SECONDS.toNanos(1), "sending waited " + took + " ns");
        assertEquals(96, t.stats().droppedQueueFull(), t.stats().toString());
        assertEquals(0, peer.messages.size(), "nothing reached the stuck route");
        peer.drain();
        await(() -> t.stats().sent() == 5);
        List<Long> commits = peer.messages.stream().map(m -> ((Message.Heartbeat) m).commit()).toList();
        assertEquals(List.of(0L, 1L, 2L, 3L, 4L), commits, "the queued ones, in order");
        assertEquals("$NRG.g." + PeerIds.hex(P2), peer.subjects.get(0));

        tr.send(new Message.Heartbeat(P1, PeerIds.of("nobody"), 1, 0, 0));
        assertEquals(1, t.stats().droppedNoRoute(), "no route to that peer");
        t.peerDown(peer);
        tr.send(heartbeat(7));
        assertEquals(2, t.stats().droppedNoRoute(), "the route went down");
    }

    @Test
    void withNothingQueuedAMessageGoesOntoTheRouteOnTheSendersThread() throws Exception {
        RouteGroupTransports t = new RouteGroupTransports(Env.real(), ServerLog.silent());
        Transport tr = t.open("g", P1);
        tr.start(m -> { });
        List<String> threads = new CopyOnWriteArrayList<>();
        StuckPeer peer = new StuckPeer(false, 64L << 20) {
            @Override
            public boolean sendInternal(String subject, byte[] payload) {
                threads.add(Thread.currentThread().getName());
                return super.sendInternal(subject, payload);
            }
        };
        peer.stalled.set(false);
        t.peerUp(peer);
        for (int i = 1; i <= 3; i++) {
            tr.send(heartbeat(i));
        }
        // no waiting: handed over before send returned, by this thread, in order
        assertEquals(3, t.stats().sent(), t.stats().toString());
        assertEquals(List.of(1L, 2L, 3L), peer.messages.stream().map(m -> ((Message.Heartbeat) m).commit()).toList());
        assertEquals(List.of(Thread.currentThread().getName()), threads.stream().distinct().toList());
    }

    @Test
    void aMessageNeverOvertakesOneTheSenderThreadHolds() throws Exception {
        RouteGroupTransports t = new RouteGroupTransports(Env.real(), ServerLog.silent());
        Transport tr = t.open("g", P1);
        tr.start(m -> { });
        StuckPeer peer = new StuckPeer(true, 64L << 20);
        t.peerUp(peer);
        tr.send(heartbeat(0)); // queued (the route is past its stall gate); the sender takes it and waits
        assertTrue(peer.waiting.await(10, TimeUnit.SECONDS));
        peer.stalled.set(false); // the route is free again, but the sender still holds message 0
        tr.send(heartbeat(1));
        assertEquals(0, peer.messages.size(), "message 1 waits behind the one in the sender's hand");
        peer.drained.countDown();
        await(() -> t.stats().sent() == 2);
        assertEquals(List.of(0L, 1L), peer.messages.stream().map(m -> ((Message.Heartbeat) m).commit()).toList());
        tr.send(heartbeat(2)); // nothing queued or held any more: straight onto the route
        assertEquals(3, t.stats().sent());
    }

    @Test
    void aCongestedRouteOrAnOversizeMessageDrops() throws Exception {
        RouteGroupTransports t = new RouteGroupTransports(Env.real(), ServerLog.silent());
        Transport tr = t.open("g", P1);
        tr.start(m -> { });
        StuckPeer peer = new StuckPeer(false, 4096); // stays congested; awaitDrain returns at once
        t.peerUp(peer);
        tr.send(heartbeat(1));
        await(() -> t.stats().droppedCongested() == 1);
        byte[] big = new byte[2048]; // more than a quarter of max_pending
        tr.send(new Message.AppendEntries(P1, P2, 1, 0, 0, List.of(new Entry(1, 1, Entry.Kind.NORMAL, big)), 0, 1));
        assertEquals(1, t.stats().droppedTooLarge());
        peer.stalled.set(false);
        tr.send(heartbeat(2));
        await(() -> t.stats().sent() == 1);
        assertEquals(2, ((Message.Heartbeat) peer.messages.get(0)).commit());
    }
}
