package io.weft.engine.jetstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.net.Spawner;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** The lanes the API runs requests in: order per key, no waiting across keys, a bounded thread count. */
class ApiLanesTest {
    private final AtomicInteger spawned = new AtomicInteger();
    private final Spawner spawner = (name, task) -> {
        spawned.incrementAndGet();
        return Thread.ofVirtual().name(name).start(task);
    };
    /** Requests named here block in the handler until their latch opens. */
    private final Map<String, CountDownLatch> gates = new ConcurrentHashMap<>();
    private final Map<String, CountDownLatch> started = new ConcurrentHashMap<>();
    private final List<String> done = new CopyOnWriteArrayList<>();

    private Consumer<String> handler() {
        return r -> {
            started.computeIfAbsent(r, k -> new CountDownLatch(1)).countDown();
            CountDownLatch g = gates.get(r);
            if (g != null) {
                try {
                    assertTrue(g.await(10, TimeUnit.SECONDS), "gate of " + r + " opened");
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            done.add(r);
        };
    }

    private void gate(String r) {
        gates.put(r, new CountDownLatch(1));
    }

    private void open(String r) {
        gates.get(r).countDown();
    }

    private boolean startsSoon(String r) throws InterruptedException {
        return started.computeIfAbsent(r, k -> new CountDownLatch(1)).await(10, TimeUnit.SECONDS);
    }

    private void awaitDone(int n) throws InterruptedException {
        for (int i = 0; i < 1000 && done.size() < n; i++) {
            Thread.sleep(10);
        }
        assertEquals(n, done.size(), "done: " + done);
    }

    @Test
    void requestsOnAStreamShareItsLaneAndAccountWideOnesTheEmptyOne() {
        assertEquals("", JsApi.laneKey("$JS.API.INFO", ""));
        assertEquals("", JsApi.laneKey("$JS.API.STREAM.NAMES", ""));
        assertEquals("", JsApi.laneKey("$JS.API.STREAM.LIST", ""));
        assertEquals("ORDERS", JsApi.laneKey("$JS.API.STREAM.CREATE.ORDERS", ""));
        assertEquals("ORDERS", JsApi.laneKey("$JS.API.STREAM.INFO.ORDERS", ""));
        assertEquals("ORDERS", JsApi.laneKey("$JS.API.STREAM.MSG.GET.ORDERS", ""));
        assertEquals("ORDERS", JsApi.laneKey("$JS.API.STREAM.LEADER.STEPDOWN.ORDERS", ""));
        assertEquals("ORDERS", JsApi.laneKey("$JS.API.DIRECT.GET.ORDERS.a.b", ""));
        assertEquals("ORDERS", JsApi.laneKey("$JS.API.CONSUMER.CREATE.ORDERS.c.f.>", ""));
        assertEquals("ORDERS", JsApi.laneKey("$JS.API.CONSUMER.DURABLE.CREATE.ORDERS.c", ""));
        assertEquals("ORDERS", JsApi.laneKey("$JS.API.CONSUMER.MSG.NEXT.ORDERS.c", ""));
        assertEquals("ORDERS", JsApi.laneKey("$JS.API.CONSUMER.NAMES.ORDERS", ""));
        assertEquals("ORDERS", JsApi.laneKey("$JS.hub.API.STREAM.INFO.ORDERS", "hub"));
        assertEquals("", JsApi.laneKey("$JS.hub.API.STREAM.INFO.ORDERS", ""));
        assertEquals("", JsApi.laneKey("$JS.API.STREAM.CREATE", ""));
    }

    @Test
    void requestsOfOneKeyRunInArrivalOrder() throws Exception {
        ApiLanes<String> lanes = new ApiLanes<>(spawner, "t", 4, "", handler());
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            String r = "x" + i;
            expected.add(r);
            lanes.submit("X", r);
        }
        awaitDone(200);
        assertEquals(expected, done);
        assertEquals(0, lanes.busyLanes());
    }

    @Test
    void aSlowRequestHoldsUpOnlyItsOwnKey() throws Exception {
        ApiLanes<String> lanes = new ApiLanes<>(spawner, "t", 4, "", handler());
        gate("slow");
        lanes.submit("A", "slow");
        assertTrue(startsSoon("slow"));
        lanes.submit("A", "after-slow");
        lanes.submit("B", "other-stream");
        lanes.submit("", "account-info");
        assertTrue(startsSoon("other-stream"));
        assertTrue(startsSoon("account-info"));
        awaitDone(2);
        assertFalse(done.contains("after-slow"), "the same key waits: " + done);
        open("slow");
        awaitDone(4);
        assertEquals(List.of("slow", "after-slow"), done.stream().filter(r -> r.contains("slow")).toList());
    }

    @Test
    void threadsAreBoundedButTheAccountLaneNeverWaits() throws Exception {
        ApiLanes<String> lanes = new ApiLanes<>(spawner, "t", 2, "", handler());
        gate("a");
        gate("b");
        lanes.submit("A", "a");
        lanes.submit("B", "b");
        assertTrue(startsSoon("a"));
        assertTrue(startsSoon("b"));
        lanes.submit("C", "c"); // no thread left: waits
        lanes.submit("", "info");
        assertTrue(startsSoon("info"));
        awaitDone(1);
        assertEquals(List.of("info"), done);
        assertEquals(3, lanes.busyLanes(), "A, B running and C waiting");
        assertEquals(3, spawned.get(), "two capped threads and the account lane's");
        open("a");
        assertTrue(startsSoon("c"), "A's thread takes the waiting lane");
        open("b");
        awaitDone(4);
        assertEquals(3, spawned.get(), "no thread more for C");
    }

    @Test
    void anErrorInOneRequestDoesNotStopItsLane() throws Exception {
        ApiLanes<String> lanes = new ApiLanes<>(spawner, "t", 2, "", r -> {
            if (r.equals("boom")) {
                throw new StackOverflowError("deep");
            }
            done.add(r);
        });
        lanes.submit("A", "boom");
        lanes.submit("A", "next");
        awaitDone(1);
        assertEquals(List.of("next"), done);
        for (int i = 0; i < 1000 && lanes.busyLanes() > 0; i++) {
            Thread.sleep(10);
        }
        assertEquals(0, lanes.busyLanes());
    }

    @Test
    void stopDropsWhatHasNotStarted() throws Exception {
        ApiLanes<String> lanes = new ApiLanes<>(spawner, "t", 2, "", handler());
        gate("running");
        lanes.submit("A", "running");
        assertTrue(startsSoon("running"));
        lanes.submit("A", "queued");
        lanes.stop();
        lanes.submit("B", "late");
        open("running");
        awaitDone(1);
        Thread.sleep(100);
        assertEquals(List.of("running"), done);
    }
}
