package io.weft.sim.world;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Each rule of {@link ClusterChecker}, planted by hand. */
class ClusterCheckerTest {
    /** c0 publishes on n1 (session 1); c1 subscribes s.> (sid 1) and queue q (sid q1) on n2. */
    private static ClusterChecker base() {
        ClusterChecker k = new ClusterChecker();
        k.session(0, 1, "n1");
        k.session(1, 1, "n2");
        k.subscribed(1, "1", "s.>", null);
        k.subscribed(1, "q1", "work.*", "q");
        k.published(0, 1, 1, "s.1", "c0-1", 10);
        k.published(0, 1, 2, "s.2", "c0-2", 20);
        k.published(0, 1, 3, "work.0", "c0-3", 30);
        return k;
    }

    private static SimClient.Delivery d(String subject, String sid, String payload, long t) {
        return new SimClient.Delivery(subject, sid, payload, t);
    }

    @Test
    void inOrderOncePasses() {
        ClusterChecker k = base();
        k.delivered(1, List.of(d("s.1", "1", "c0-1", 40), d("s.2", "1", "c0-2", 50), d("work.0", "q1", "c0-3", 60)),
                List.of(1, 1, 1));
        assertEquals(List.of(), k.check());
    }

    @Test
    void aDuplicateIsCaught() {
        ClusterChecker k = base();
        k.delivered(1, List.of(d("s.1", "1", "c0-1", 40), d("s.1", "1", "c0-1", 41)), List.of(1, 1));
        assertTrue(k.check().toString().contains("twice"), k.check().toString());
    }

    @Test
    void aReorderWithoutARouteChangeIsCaughtAndExcusedWithOne() {
        ClusterChecker k = base();
        k.delivered(1, List.of(d("s.2", "1", "c0-2", 40), d("s.1", "1", "c0-1", 50)), List.of(1, 1));
        assertTrue(k.check().toString().contains("out of order"), k.check().toString());
        ClusterChecker excused = base();
        excused.routeChanged(35, "n2", "n1");
        excused.delivered(1, List.of(d("s.2", "1", "c0-2", 40), d("s.1", "1", "c0-1", 50)), List.of(1, 1));
        assertEquals(List.of(), excused.check());
        // a route change between other nodes, or after the later message was delivered, excuses nothing
        ClusterChecker other = base();
        other.routeChanged(35, "n2", "n3");
        other.routeChanged(45, "n1", "n2");
        other.delivered(1, List.of(d("s.2", "1", "c0-2", 40), d("s.1", "1", "c0-1", 50)), List.of(1, 1));
        assertTrue(other.check().toString().contains("out of order"), other.check().toString());
    }

    @Test
    void aQueueMessageToTwoMembersIsCaught() {
        ClusterChecker k = base();
        k.session(2, 1, "n3");
        k.subscribed(2, "q1", "work.>", "q");
        k.delivered(1, List.of(d("work.0", "q1", "c0-3", 40)), List.of(1));
        k.delivered(2, List.of(d("work.0", "q1", "c0-3", 41)), List.of(1));
        assertTrue(k.check().toString().contains("more than one member of queue group q"), k.check().toString());
    }

    @Test
    void aWrongSubjectIsCaught() {
        ClusterChecker k = base();
        k.delivered(1, List.of(d("work.0", "1", "c0-3", 40)), List.of(1));
        assertTrue(k.check().toString().contains("unexpected"), k.check().toString());
    }

    @Test
    void aMissingProbeIsCaught() {
        ClusterChecker k = base();
        k.expect(1, 1, "1", "c0-2");
        k.expectQueue("c0-3", "q");
        k.delivered(1, List.of(d("s.1", "1", "c0-1", 40)), List.of(1));
        String f = k.check().toString();
        assertTrue(f.contains("probe c0-2") && f.contains("reached no member of queue group q"), f);
    }
}
