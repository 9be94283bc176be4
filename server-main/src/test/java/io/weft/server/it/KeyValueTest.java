package io.weft.server.it;

import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.KeyValue;
import io.nats.client.KeyValueManagement;
import io.nats.client.api.KeyValueConfiguration;
import io.nats.client.api.KeyValueEntry;
import io.nats.client.api.KeyValueOperation;
import io.nats.client.api.KeyValuePurgeOptions;
import io.nats.client.api.KeyValueStatus;
import io.nats.client.api.KeyValueWatchOption;
import io.nats.client.api.KeyValueWatcher;
import io.nats.client.api.StorageType;
import io.nats.client.impl.NatsKeyValueWatchSubscription;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static io.weft.server.it.Clients.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Key/Value buckets through jnats' {@code KeyValue} API, against a server started with JetStream.
 * Error expectations (api error code 10071 "wrong last sequence", 10059 "stream not found") are
 * those nats-server 2.9.10 gives.
 */
class KeyValueTest {
    static final int WRONG_LAST_SEQUENCE = 10071;
    static final int STREAM_NOT_FOUND = 10059;

    static JsServer server;
    static Connection nc;
    static final AtomicInteger BUCKETS = new AtomicInteger();

    @BeforeAll
    static void start() throws Exception {
        server = JsServer.start("");
        nc = Clients.connect(server.server);
    }

    @AfterAll
    static void stop() throws Exception {
        if (nc != null) {
            nc.close();
        }
        if (server != null) {
            server.close();
        }
    }

    static String bucket(String base) {
        return base + "_" + BUCKETS.incrementAndGet();
    }

    static KeyValue create(String bucket, int history) throws Exception {
        nc.keyValueManagement().create(KeyValueConfiguration.builder().name(bucket)
                .maxHistoryPerKey(history).storageType(StorageType.File).build());
        return nc.keyValue(bucket);
    }

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void bucketCreateStatusListAndDelete() throws Exception {
        String name = bucket("status");
        KeyValueManagement kvm = nc.keyValueManagement();
        KeyValueStatus created = kvm.create(KeyValueConfiguration.builder().name(name).description("a bucket")
                .maxHistoryPerKey(5).maxBucketSize(1 << 20).maximumValueSize(1024).ttl(Duration.ofHours(1))
                .storageType(StorageType.Memory).build());
        assertEquals(name, created.getBucketName());
        assertEquals("a bucket", created.getDescription());
        assertEquals(5, created.getMaxHistoryPerKey());
        assertEquals(1 << 20, created.getMaxBucketSize());
        assertEquals(1024, created.getMaximumValueSize());
        assertEquals(Duration.ofHours(1), created.getTtl());
        assertEquals(StorageType.Memory, created.getStorageType());
        assertEquals("KV_" + name, created.getBackingStreamInfo().getConfiguration().getName());
        assertEquals(0, created.getEntryCount());

        KeyValue kv = nc.keyValue(name);
        kv.put("a", "1");
        kv.put("b", "2");
        KeyValueStatus status = kvm.getStatus(name);
        assertEquals(2, status.getEntryCount());
        assertTrue(status.getByteCount() > 0);
        assertEquals(name, kv.getStatus().getBucketName());
        assertTrue(kvm.getBucketNames().contains(name), kvm.getBucketNames().toString());

        // a value over max_value_size (stream max_msg_size) is refused
        JetStreamApiException big = assertThrows(JetStreamApiException.class, () -> kv.put("big", new byte[2048]));
        assertEquals(10054, big.getApiErrorCode(), big.getMessage()); // message size exceeds maximum allowed

        kvm.delete(name);
        assertFalse(kvm.getBucketNames().contains(name));
        JetStreamApiException gone = assertThrows(JetStreamApiException.class, () -> kvm.getStatus(name));
        assertEquals(STREAM_NOT_FOUND, gone.getApiErrorCode());
        JetStreamApiException again = assertThrows(JetStreamApiException.class, () -> kvm.delete(name));
        assertEquals(STREAM_NOT_FOUND, again.getApiErrorCode());
    }

    @Test
    void putGetRevisionsAndGetByRevision() throws Exception {
        KeyValue kv = create(bucket("put"), 10);
        long r1 = kv.put("k", "v1");
        long r2 = kv.put("k", "v2");
        long r3 = kv.put("other", "x");
        assertEquals(1, r1);
        assertEquals(2, r2);
        assertEquals(3, r3);
        KeyValueEntry e = kv.get("k");
        assertNotNull(e);
        assertEquals("v2", e.getValueAsString());
        assertEquals(2, e.getRevision());
        assertEquals(KeyValueOperation.PUT, e.getOperation());
        assertEquals("k", e.getKey());
        assertEquals(kv.getBucketName(), e.getBucket());
        assertNotNull(e.getCreated());

        assertEquals("v1", kv.get("k", 1).getValueAsString());
        assertEquals("v2", kv.get("k", 2).getValueAsString());
        assertNull(kv.get("k", 3), "revision 3 belongs to another key");
        assertNull(kv.get("k", 99));
        assertNull(kv.get("missing"));

        byte[] binary = new byte[256];
        for (int i = 0; i < binary.length; i++) {
            binary[i] = (byte) i;
        }
        kv.put("bin", binary);
        assertArrayEquals(binary, kv.get("bin").getValue());
        kv.put("empty", new byte[0]);
        assertEquals(0, kv.get("empty").getValue() == null ? 0 : kv.get("empty").getValue().length);
        kv.put("num", 42);
        assertEquals(42L, kv.get("num").getValueAsLong());
        kv.put("dotted.key.name", "d");
        assertEquals("d", kv.get("dotted.key.name").getValueAsString());
    }

    @Test
    void createFailsWhenKeyExistsButSucceedsAfterDelete() throws Exception {
        KeyValue kv = create(bucket("create"), 5);
        assertEquals(1, kv.create("lock", b("owner-a")));
        JetStreamApiException e = assertThrows(JetStreamApiException.class, () -> kv.create("lock", b("owner-b")));
        assertEquals(WRONG_LAST_SEQUENCE, e.getApiErrorCode(), e.getMessage());
        assertTrue(e.getMessage().contains("wrong last sequence: 1"), e.getMessage());
        assertEquals("owner-a", kv.get("lock").getValueAsString());
        kv.delete("lock");
        assertNull(kv.get("lock"));
        long r = kv.create("lock", b("owner-b"));
        assertEquals(3, r, "create after delete writes over the delete marker");
        assertEquals("owner-b", kv.get("lock").getValueAsString());
    }

    @Test
    void updateIsCompareAndSwap() throws Exception {
        KeyValue kv = create(bucket("cas"), 5);
        long r1 = kv.put("counter", "0");
        long r2 = kv.update("counter", b("1"), r1);
        assertEquals(r1 + 1, r2);
        JetStreamApiException stale = assertThrows(JetStreamApiException.class, () -> kv.update("counter", b("x"), r1));
        assertEquals(WRONG_LAST_SEQUENCE, stale.getApiErrorCode());
        assertTrue(stale.getMessage().contains("wrong last sequence: " + r2), stale.getMessage());
        JetStreamApiException future = assertThrows(JetStreamApiException.class, () -> kv.update("counter", b("x"), 77));
        assertEquals(WRONG_LAST_SEQUENCE, future.getApiErrorCode());
        assertEquals("1", kv.get("counter").getValueAsString());
        // the revision checked is per key: another key's writes do not disturb it
        kv.put("unrelated", "u");
        long r3 = kv.update("counter", b("2"), r2);
        assertEquals("2", kv.get("counter").getValueAsString());
        assertEquals(r3, kv.get("counter").getRevision());
    }

    /** The semaphore and CAS walkthrough of the reference text (create, create again, update, update again). */
    @Test
    void semaphoreAndCasWalkthrough() throws Exception {
        KeyValue sem = create(bucket("my-sem"), 1);
        // pad the stream so the revisions look like the text's (the update there uses revision 13)
        KeyValue kv = sem;
        long first = kv.create("Semaphore1", b("Value1"));
        assertEquals(1, first);
        JetStreamApiException exists = assertThrows(JetStreamApiException.class, () -> kv.create("Semaphore1", b("Value1")));
        assertTrue(exists.getMessage().contains("wrong last sequence: 1"), exists.getMessage());
        for (int i = 0; i < 11; i++) {
            kv.put("pad" + i, "p");
        }
        long r13 = kv.put("Semaphore1", "ValueX");
        assertEquals(13, r13);
        assertEquals(14, kv.update("Semaphore1", b("Value2"), 13));
        JetStreamApiException second = assertThrows(JetStreamApiException.class,
                () -> kv.update("Semaphore1", b("Value2"), 13));
        assertEquals(WRONG_LAST_SEQUENCE, second.getApiErrorCode());
        assertTrue(second.getMessage().contains("wrong last sequence: 14"), second.getMessage());

        // many clients race for one lock: exactly one create wins
        KeyValue race = create(bucket("race"), 1);
        int clients = 8;
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Boolean>> results = new ArrayList<>();
            for (int i = 0; i < clients; i++) {
                String me = "client-" + i;
                results.add(pool.submit(() -> {
                    go.await();
                    try (Connection c = Clients.connect(server.server)) {
                        c.keyValue(race.getBucketName()).create("lock", b(me));
                        return true;
                    } catch (JetStreamApiException e) {
                        assertEquals(WRONG_LAST_SEQUENCE, e.getApiErrorCode(), e.getMessage());
                        return false;
                    }
                }));
            }
            go.countDown();
            int winners = 0;
            for (Future<Boolean> f : results) {
                if (f.get(20, TimeUnit.SECONDS)) {
                    winners++;
                }
            }
            assertEquals(1, winners);
        } finally {
            pool.shutdownNow();
        }
        // CAS increments from several clients: no lost update
        int perClient = 10;
        KeyValue counter = create(bucket("incr"), 1);
        counter.put("n", "0");
        ExecutorService pool2 = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (int c = 0; c < 4; c++) {
                fs.add(pool2.submit(() -> {
                    try (Connection conn = Clients.connect(server.server)) {
                        KeyValue k = conn.keyValue(counter.getBucketName());
                        for (int i = 0; i < perClient; ) {
                            KeyValueEntry cur = k.get("n");
                            assertNotNull(cur, "kv.get returned null for the existing key n during concurrent updates");
                            try {
                                k.update("n", b(Long.toString(Long.parseLong(cur.getValueAsString()) + 1)), cur.getRevision());
                                i++;
                            } catch (JetStreamApiException e) {
                                assertEquals(WRONG_LAST_SEQUENCE, e.getApiErrorCode(), e.getMessage());
                            }
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : fs) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool2.shutdownNow();
        }
        assertEquals(Integer.toString(4 * perClient), counter.get("n").getValueAsString());
    }

    /** A key that exists never reads as missing while another client overwrites it. */
    @Test
    void getNeverMissesAKeyThatIsBeingOverwritten() throws Exception {
        for (StorageType storage : List.of(StorageType.File, StorageType.Memory)) {
            String name = bucket("overwrite_" + storage);
            nc.keyValueManagement().create(KeyValueConfiguration.builder().name(name).maxHistoryPerKey(1)
                    .storageType(storage).build());
            KeyValue kv = nc.keyValue(name);
            kv.put("n", "0");
            java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
            AtomicInteger puts = new AtomicInteger();
            Thread writer = Thread.ofVirtual().start(() -> {
                try (Connection c = Clients.connect(server.server)) {
                    KeyValue w = c.keyValue(name);
                    while (!stop.get()) {
                        w.put("n", Integer.toString(puts.incrementAndGet()));
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            int misses = 0;
            int reads = 600;
            long lastSeen = 0;
            try {
                for (int i = 0; i < reads; i++) {
                    KeyValueEntry e = kv.get("n");
                    if (e == null) {
                        misses++;
                        continue;
                    }
                    assertTrue(e.getRevision() >= lastSeen, "revisions never go back: " + e.getRevision() + " after " + lastSeen);
                    lastSeen = e.getRevision();
                }
            } finally {
                stop.set(true);
                writer.join(10_000);
            }
            assertEquals(0, misses, storage + ": kv.get returned null for an existing key " + misses + " times in " + reads
                    + " reads during " + puts.get() + " concurrent puts");
        }
    }

    @Test
    void deletePurgeKeysAndHistory() throws Exception {
        KeyValue kv = create(bucket("hist"), 10);
        kv.put("a", "a1");
        kv.put("a", "a2");
        kv.put("b", "b1");
        kv.put("c", "c1");
        kv.put("a", "a3");
        assertEquals(Set.of("a", "b", "c"), new TreeSet<>(kv.keys()));
        List<KeyValueEntry> h = kv.history("a");
        assertEquals(List.of("a1", "a2", "a3"), h.stream().map(KeyValueEntry::getValueAsString).toList());
        assertEquals(List.of(1L, 2L, 5L), h.stream().map(KeyValueEntry::getRevision).toList());

        kv.delete("b");
        assertNull(kv.get("b"));
        assertEquals(Set.of("a", "c"), new TreeSet<>(kv.keys()));
        List<KeyValueEntry> hb = kv.history("b");
        assertEquals(2, hb.size());
        assertEquals(KeyValueOperation.DELETE, hb.get(1).getOperation());

        kv.purge("a");
        assertNull(kv.get("a"));
        List<KeyValueEntry> ha = kv.history("a");
        assertEquals(1, ha.size(), "purge keeps only the purge marker: " + ha);
        assertEquals(KeyValueOperation.PURGE, ha.getFirst().getOperation());
        assertEquals(List.of("c"), kv.keys());
        assertEquals(List.of("c"), kv.keys("c"));
        assertTrue(kv.keys("zz").isEmpty());
        assertTrue(kv.history("never").isEmpty());

        // deleting a key that never existed is harmless and leaves a marker
        kv.delete("never");
        assertNull(kv.get("never"));

        // history is bounded by max history per key
        KeyValue small = create(bucket("hist2"), 2);
        for (int i = 0; i < 5; i++) {
            small.put("k", "v" + i);
        }
        assertEquals(List.of("v3", "v4"), small.history("k").stream().map(KeyValueEntry::getValueAsString).toList());
        assertEquals(2, small.getStatus().getEntryCount());
    }

    @Test
    void purgeDeletesRemovesMarkers() throws Exception {
        KeyValue kv = create(bucket("pdel"), 5);
        kv.put("x", "1");
        kv.put("y", "1");
        kv.put("z", "1");
        kv.delete("x");
        kv.purge("y");
        assertEquals(5, kv.getStatus().getEntryCount() + 1, "x:put+del, y:purge marker only, z:put = 4");
        kv.purgeDeletes(KeyValuePurgeOptions.builder().deleteMarkersNoThreshold().build());
        assertTrue(kv.history("x").isEmpty(), kv.history("x").toString());
        assertTrue(kv.history("y").isEmpty(), kv.history("y").toString());
        assertEquals(List.of("z"), kv.keys());
        assertEquals(1, kv.getStatus().getEntryCount());

        // with the default threshold (30 minutes) fresh markers are kept, older values are dropped
        KeyValue kv2 = create(bucket("pdel2"), 5);
        kv2.put("x", "1");
        kv2.put("x", "2");
        kv2.delete("x");
        kv2.purgeDeletes();
        List<KeyValueEntry> hx = kv2.history("x");
        assertEquals(1, hx.size(), hx.toString());
        assertEquals(KeyValueOperation.DELETE, hx.getFirst().getOperation());
    }

    @Test
    void ttlExpiresValues() throws Exception {
        String name = bucket("ttl");
        nc.keyValueManagement().create(KeyValueConfiguration.builder().name(name).ttl(Duration.ofMillis(1200))
                .storageType(StorageType.Memory).build());
        KeyValue kv = nc.keyValue(name);
        kv.put("short", "lived");
        assertEquals("lived", kv.get("short").getValueAsString());
        assertTrue(await(() -> {
            try {
                return kv.get("short") == null;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, Duration.ofSeconds(6)), "value still there after the bucket TTL");
        assertEquals(0, kv.getStatus().getEntryCount());
        assertTrue(kv.keys().isEmpty());
    }

    static final class Recorder implements KeyValueWatcher {
        final List<KeyValueEntry> entries = new CopyOnWriteArrayList<>();
        final CountDownLatch endOfData = new CountDownLatch(1);

        @Override
        public void watch(KeyValueEntry e) {
            entries.add(e);
        }

        @Override
        public void endOfData() {
            endOfData.countDown();
        }

        List<String> seen() {
            return entries.stream().map(e -> e.getOperation() + " " + e.getKey()
                    + (e.getOperation() == KeyValueOperation.PUT ? "=" + e.getValueAsString() : "")).toList();
        }
    }

    @Test
    void watchKeyAndWatchAll() throws Exception {
        KeyValue kv = create(bucket("watch"), 10);
        kv.put("w.a", "1");
        kv.put("w.a", "2");
        kv.put("w.b", "1");
        kv.put("other", "o");

        Recorder all = new Recorder();
        Recorder one = new Recorder();
        Recorder wild = new Recorder();
        Recorder history = new Recorder();
        Recorder updates = new Recorder();
        Recorder noDeletes = new Recorder();
        try (NatsKeyValueWatchSubscription s1 = kv.watchAll(all);
             NatsKeyValueWatchSubscription s2 = kv.watch("w.a", one);
             NatsKeyValueWatchSubscription s3 = kv.watch("w.*", wild);
             NatsKeyValueWatchSubscription s4 = kv.watch("w.a", history, KeyValueWatchOption.INCLUDE_HISTORY);
             NatsKeyValueWatchSubscription s5 = kv.watchAll(updates, KeyValueWatchOption.UPDATES_ONLY);
             NatsKeyValueWatchSubscription s6 = kv.watchAll(noDeletes, KeyValueWatchOption.IGNORE_DELETE)) {
            for (Recorder r : List.of(all, one, wild, history, noDeletes)) {
                assertTrue(r.endOfData.await(10, TimeUnit.SECONDS), "end of initial data");
            }
            assertEquals(List.of("PUT w.a=2", "PUT w.b=1", "PUT other=o"), all.seen(), "last value per key");
            assertEquals(List.of("PUT w.a=2"), one.seen());
            assertEquals(List.of("PUT w.a=2", "PUT w.b=1"), wild.seen());
            assertEquals(List.of("PUT w.a=1", "PUT w.a=2"), history.seen());
            assertTrue(updates.entries.isEmpty(), updates.seen().toString());

            kv.put("w.a", "3");
            kv.delete("w.b");
            kv.purge("other");
            assertTrue(await(() -> all.entries.size() == 6));
            assertEquals(List.of("PUT w.a=2", "PUT w.b=1", "PUT other=o", "PUT w.a=3", "DELETE w.b", "PURGE other"), all.seen());
            assertTrue(await(() -> updates.entries.size() == 3));
            assertEquals(List.of("PUT w.a=3", "DELETE w.b", "PURGE other"), updates.seen());
            assertTrue(await(() -> wild.entries.size() == 4));
            assertEquals(List.of("PUT w.a=2", "PUT w.b=1", "PUT w.a=3", "DELETE w.b"), wild.seen());
            assertTrue(await(() -> noDeletes.entries.size() == 4));
            Clients.settle();
            assertEquals(List.of("PUT w.a=2", "PUT w.b=1", "PUT other=o", "PUT w.a=3"), noDeletes.seen());
            assertEquals(List.of("PUT w.a=2", "PUT w.a=3"), one.seen());
            KeyValueEntry last = all.entries.get(3);
            assertEquals(5, last.getRevision());
        }

        // a watch on an empty bucket signals end of data at once
        KeyValue empty = create(bucket("watch_empty"), 1);
        Recorder none = new Recorder();
        try (NatsKeyValueWatchSubscription s = empty.watchAll(none)) {
            assertTrue(none.endOfData.await(10, TimeUnit.SECONDS));
            assertTrue(none.entries.isEmpty());
            empty.put("late", "1");
            assertTrue(await(() -> none.entries.size() == 1));
        }
    }

    /** A watcher sees every update, in revision order, with nothing lost or repeated, while a writer runs. */
    @Test
    void watchSeesEveryUpdateInOrder() throws Exception {
        // history 64 and 20 updates per key: no revision is removed by the per-key limit before the
        // watcher reads it (a lagging watcher legitimately skips revisions that are gone)
        KeyValue kv = create(bucket("stream_watch"), 64);
        Recorder rec = new Recorder();
        int updates = 1000;
        try (NatsKeyValueWatchSubscription w = kv.watchAll(rec, KeyValueWatchOption.UPDATES_ONLY);
             Connection writerConn = Clients.connect(server.server)) {
            KeyValue writer = writerConn.keyValue(kv.getBucketName());
            List<java.util.concurrent.CompletableFuture<io.nats.client.api.PublishAck>> acks = new ArrayList<>();
            io.nats.client.JetStream js = writerConn.jetStream();
            for (int i = 0; i < updates; i++) {
                acks.add(js.publishAsync("$KV." + kv.getBucketName() + ".k" + (i % 50), b("v" + i)));
            }
            for (var f : acks) {
                f.get(30, TimeUnit.SECONDS);
            }
            assertTrue(await(() -> rec.entries.size() >= updates, Duration.ofSeconds(30)),
                    "watcher saw " + rec.entries.size() + " of " + updates);
            Clients.settle();
            assertEquals(updates, rec.entries.size());
            for (int i = 0; i < updates; i++) {
                KeyValueEntry e = rec.entries.get(i);
                assertEquals(i + 1, e.getRevision(), "revision order");
                assertEquals("k" + (i % 50), e.getKey());
                assertEquals("v" + i, e.getValueAsString());
            }
            assertEquals("v" + (updates - 1), writer.get("k" + ((updates - 1) % 50)).getValueAsString());
        }
    }

    @Test
    void bucketsAreIsolatedAndSurviveRestart() throws Exception {
        KeyValue a = create(bucket("iso_a"), 1);
        KeyValue bb = create(bucket("iso_b"), 1);
        a.put("k", "from-a");
        bb.put("k", "from-b");
        assertEquals("from-a", a.get("k").getValueAsString());
        assertEquals("from-b", bb.get("k").getValueAsString());
        Exception e = assertThrows(Exception.class, () -> nc.keyValue("no_such_bucket").get("k"));
        assertTrue(e.getMessage().contains("10059") || e.getMessage().contains("not found"), e.toString());

        // a file-backed bucket keeps its values and revisions across a restart of the server
        try (JsServer own = JsServer.start("")) {
            String name = bucket("durable");
            try (Connection c = Clients.connect(own.server)) {
                c.keyValueManagement().create(KeyValueConfiguration.builder().name(name).maxHistoryPerKey(3)
                        .storageType(StorageType.File).build());
                KeyValue kv = c.keyValue(name);
                for (int i = 0; i < 20; i++) {
                    kv.put("k" + (i % 4), "v" + i);
                }
                kv.delete("k0");
            }
            own.server.restart();
            try (Connection c = Clients.connect(own.server)) {
                KeyValue kv = c.keyValue(name);
                assertNull(kv.get("k0"));
                assertEquals("v19", kv.get("k3").getValueAsString());
                assertEquals(20, kv.get("k3").getRevision());
                assertEquals(List.of("v9", "v13", "v17"),
                        kv.history("k1").stream().map(KeyValueEntry::getValueAsString).toList());
                assertEquals(22, kv.put("k1", "after"), "revisions continue after the restart");
            }
        }
    }
}
