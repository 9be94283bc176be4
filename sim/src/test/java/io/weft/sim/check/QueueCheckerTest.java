package io.weft.sim.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class QueueCheckerTest {

    private static OpHistory enq(OpHistory h, int p, long v) {
        return h.invoke(p, "enqueue", v).ok(p, "enqueue", null);
    }

    private static OpHistory deq(OpHistory h, int p, Long v) {
        return h.invoke(p, "dequeue", null).ok(p, "dequeue", v);
    }

    @Test
    void aCleanRunIsValid() {
        OpHistory h = new OpHistory();
        enq(h, 0, 1);
        enq(h, 0, 2);
        enq(h, 1, 10);
        deq(h, 5, 1L);
        deq(h, 6, 10L);
        deq(h, 5, 2L);
        h.invoke(5, "dequeue", null).fail(5, "dequeue", null);
        QueueChecker.Report r = QueueChecker.check(h);
        assertTrue(r.valid(), r.describe());
        assertEquals(3, r.acknowledged());
        assertEquals(3, r.dequeued());
    }

    @Test
    void lostAcknowledgedEnqueuesAreReported() {
        OpHistory h = new OpHistory();
        enq(h, 0, 1);
        enq(h, 0, 2);
        enq(h, 0, 3);
        deq(h, 1, 2L);
        QueueChecker.Report r = QueueChecker.check(h);
        assertFalse(r.valid());
        assertEquals(List.of(1L, 3L), r.lost());
        assertTrue(r.describe().contains(":lost [1 3]"), r.describe());
    }

    @Test
    void unexpectedDeliveriesAreReported() {
        OpHistory h = new OpHistory();
        enq(h, 0, 1);
        h.invoke(0, "enqueue", 2).fail(0, "enqueue", null);
        deq(h, 1, 1L);
        deq(h, 1, 2L);
        deq(h, 1, 42L);
        QueueChecker.Report r = QueueChecker.check(h);
        assertEquals(List.of(2L, 42L), r.unexpected());
        assertFalse(r.atLeastOnce());
    }

    @Test
    void duplicatesAreCounted() {
        OpHistory h = new OpHistory();
        enq(h, 0, 1);
        enq(h, 0, 2);
        deq(h, 1, 1L);
        deq(h, 2, 1L);
        deq(h, 1, 2L);
        deq(h, 1, 1L);
        QueueChecker.Report r = QueueChecker.check(h);
        assertEquals(Map.of(1L, 3), r.duplicated());
        assertEquals(0, r.reordered());
        assertTrue(r.atLeastOnce());
        assertFalse(r.valid());
    }

    @Test
    void reordersPerProducerAndConsumerAreCounted() {
        OpHistory h = new OpHistory();
        enq(h, 0, 1);
        enq(h, 0, 2);
        enq(h, 0, 3);
        enq(h, 9, 100); // another producer: its order is independent
        deq(h, 1, 100L);
        deq(h, 1, 2L);
        deq(h, 1, 1L); // 1 after 2 from producer 0: reordered
        deq(h, 2, 3L); // a different consumer may see 3 first
        QueueChecker.Report r = QueueChecker.check(h);
        assertEquals(1, r.reordered(), r.describe());
        assertTrue(r.atLeastOnce());
        assertFalse(r.valid());
    }

    @Test
    void indeterminateEnqueuesMayOrMayNotShowUp() {
        OpHistory h = new OpHistory();
        enq(h, 0, 1);
        h.invoke(0, "enqueue", 2).info(0, "enqueue", null);
        h.invoke(1, "enqueue", 3).info(1, "enqueue", null);
        h.invoke(2, "enqueue", 4); // never completed
        deq(h, 5, 1L);
        deq(h, 5, 3L);
        deq(h, 5, 4L);
        QueueChecker.Report r = QueueChecker.check(h);
        assertTrue(r.valid(), r.describe());
        assertEquals(3, r.indeterminate());
        assertEquals(List.of(3L, 4L), r.recovered());
    }
}
