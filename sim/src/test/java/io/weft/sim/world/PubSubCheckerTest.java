package io.weft.sim.world;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class PubSubCheckerTest {
    private static SimClient.Delivery d(String subject, String sid, String payload) {
        return new SimClient.Delivery(subject, sid, payload, 0);
    }

    private static PubSubChecker twoPubs() {
        PubSubChecker c = new PubSubChecker();
        c.subscribed(1, "1", "s.*");
        c.subscribed(1, "2", "s.b");
        c.published(0, 1, "s.a", "c0-1");
        c.published(0, 2, "s.b", "c0-2");
        return c;
    }

    @Test
    void exactDeliveryPasses() {
        PubSubChecker c = twoPubs();
        c.delivered(1, List.of(d("s.a", "1", "c0-1"), d("s.b", "1", "c0-2"), d("s.b", "2", "c0-2")));
        assertEquals(List.of(), c.check());
    }

    @Test
    void lossDuplicateReorderAndStrayAreCaught() {
        PubSubChecker lost = twoPubs();
        lost.delivered(1, List.of(d("s.a", "1", "c0-1"), d("s.b", "1", "c0-2")));
        assertTrue(lost.check().toString().contains("never got c0-2"), lost.check().toString());

        PubSubChecker dup = twoPubs();
        dup.delivered(1, List.of(d("s.a", "1", "c0-1"), d("s.b", "1", "c0-2"), d("s.b", "2", "c0-2"), d("s.b", "2", "c0-2")));
        assertFalse(dup.check().isEmpty());

        PubSubChecker reordered = twoPubs();
        reordered.delivered(1, List.of(d("s.b", "1", "c0-2"), d("s.a", "1", "c0-1"), d("s.b", "2", "c0-2")));
        assertTrue(reordered.check().toString().contains("out of order"), reordered.check().toString());

        PubSubChecker stray = twoPubs();
        stray.delivered(1, List.of(d("s.a", "1", "c0-1"), d("s.b", "1", "c0-2"), d("s.b", "2", "c0-2"), d("s.a", "2", "c0-1")));
        assertTrue(stray.check().toString().contains("unexpected"), stray.check().toString());
    }

    @Test
    void subjectMatching() {
        assertTrue(PubSubChecker.matches("s.*", "s.a"));
        assertFalse(PubSubChecker.matches("s.*", "s.a.b"));
        assertTrue(PubSubChecker.matches("s.>", "s.a.b"));
        assertFalse(PubSubChecker.matches("s.>", "s"));
        assertFalse(PubSubChecker.matches("s.a", "s.b"));
    }
}
