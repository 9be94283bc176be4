package io.weft.sim.world;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class SessionCheckerTest {
    private static SimClient.Delivery d(String subject, String sid, String payload) {
        return new SimClient.Delivery(subject, sid, payload, 0);
    }

    /** Subscriber 1 on a.* acked at 10 in session 1; publisher 0 publishes a.x #1 at 20, #2 at 30, flushes 40..50. */
    private static SessionChecker base() {
        SessionChecker c = new SessionChecker();
        c.subscribed(1, "7", "a.*");
        c.acked(1, 1, 10);
        c.published(0, 1, 1, "a.x", "c0-1", 20);
        c.published(0, 1, 2, "a.x", "c0-2", 30);
        c.flushed(0, 1, 40, 50);
        return c;
    }

    @Test
    void exactDeliveryPasses() {
        SessionChecker c = base();
        c.flushed(1, 1, 60, 70);
        c.delivered(1, List.of(d("a.x", "7", "c0-1"), d("a.x", "7", "c0-2")), List.of(1, 1));
        assertEquals(List.of(), c.check());
        assertEquals(2, c.promised());
    }

    @Test
    void lossIsAllowedWhenTheSubscriberSessionWasNotProvenAliveAfterTheFlush() {
        SessionChecker c = base();
        c.flushed(1, 1, 45, 70); // invoked before the publisher's PONG: proves nothing
        c.flushed(1, 2, 60, 70); // a later session never subscribed before the publish
        c.acked(1, 2, 55);
        c.delivered(1, List.of(), List.of());
        assertEquals(List.of(), c.check());
        assertEquals(0, c.promised());
    }

    @Test
    void lossInALiveSessionIsCaught() {
        SessionChecker c = base();
        c.flushed(1, 1, 60, 70);
        c.delivered(1, List.of(d("a.x", "7", "c0-2")), List.of(1));
        List<String> f = c.check();
        assertEquals(1, f.size(), f.toString());
        assertTrue(f.get(0).contains("never got c0-1"), f.toString());
    }

    @Test
    void duplicatesAndReordersWithinASessionAreCaughtButNotAcrossSessions() {
        SessionChecker c = base();
        c.delivered(1, List.of(d("a.x", "7", "c0-2"), d("a.x", "7", "c0-1"), d("a.x", "7", "c0-1"),
                d("a.x", "7", "c0-1")), List.of(1, 1, 1, 2));
        String f = c.check().toString();
        assertTrue(f.contains("session 1 sid 7 got c0-1 twice"), f);
        assertTrue(f.contains("got c0-1 after c0-2 (out of order)"), f);
        assertTrue(!f.contains("session 2"), f);
    }

    @Test
    void wrongSubjectOrUnknownMessageIsCaught() {
        SessionChecker c = base();
        c.published(0, 1, 3, "b.x", "c0-3", 35);
        c.delivered(1, List.of(d("b.x", "7", "c0-3"), d("a.x", "7", "ghost"), d("a.x", "9", "c0-1")), List.of(1, 1, 1));
        List<String> f = c.check();
        assertEquals(3, f.size(), f.toString());
        assertTrue(f.stream().allMatch(s -> s.contains("unexpected")), f.toString());
    }
}
