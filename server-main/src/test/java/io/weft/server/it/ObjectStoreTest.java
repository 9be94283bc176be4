package io.weft.server.it;

import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.ObjectStore;
import io.nats.client.ObjectStoreManagement;
import io.nats.client.api.ObjectInfo;
import io.nats.client.api.ObjectMeta;
import io.nats.client.api.ObjectStoreConfiguration;
import io.nats.client.api.ObjectStoreStatus;
import io.nats.client.api.ObjectStoreWatchOption;
import io.nats.client.api.ObjectStoreWatcher;
import io.nats.client.api.StorageType;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsObjectStoreWatchSubscription;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
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

/** Object Store buckets through jnats' {@code ObjectStore} API, including a 100 MB round trip. */
class ObjectStoreTest {
    static JsServer server;
    static Connection nc;
    static final AtomicInteger N = new AtomicInteger();

    @BeforeAll
    static void start() throws Exception {
        server = JsServer.start("");
        nc = Clients.connect(Clients.options(server.server).connectionTimeout(java.time.Duration.ofSeconds(10))
                .errorListener(new Clients.RecordingErrors())); // quiet: jnats logs every flow control otherwise
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
        return base + "_" + N.incrementAndGet();
    }

    static ObjectStore create(String name, StorageType storage) throws Exception {
        nc.objectStoreManagement().create(ObjectStoreConfiguration.builder(name).storageType(storage).build());
        return nc.objectStore(name);
    }

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Deterministic pseudo-random bytes (xorshift), streamed without holding them in memory. */
    static final class Generated extends InputStream {
        private long remaining;
        private long state;

        Generated(long size, long seed) {
            this.remaining = size;
            this.state = seed == 0 ? 1 : seed;
        }

        private int nextByte() {
            state ^= state << 13;
            state ^= state >>> 7;
            state ^= state << 17;
            return (int) (state & 0xff);
        }

        @Override
        public int read() {
            if (remaining <= 0) {
                return -1;
            }
            remaining--;
            return nextByte();
        }

        @Override
        public int read(byte[] buf, int off, int len) {
            if (remaining <= 0) {
                return -1;
            }
            int n = (int) Math.min(len, remaining);
            for (int i = 0; i < n; i++) {
                buf[off + i] = (byte) nextByte();
            }
            remaining -= n;
            return n;
        }
    }

    /** An OutputStream that only digests and counts. */
    static final class Digesting extends OutputStream {
        final MessageDigest sha;
        long count;

        Digesting() throws Exception {
            sha = MessageDigest.getInstance("SHA-256");
        }

        @Override
        public void write(int b) {
            sha.update((byte) b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            sha.update(b, off, len);
            count += len;
        }
    }

    static String digestOf(InputStream in) throws Exception {
        Digesting d = new Digesting();
        in.transferTo(d);
        return "SHA-256=" + Base64.getUrlEncoder().encodeToString(d.sha.digest());
    }

    @Test
    void hundredMegabyteRoundTripWithDigest() throws Exception {
        long size = 100L * 1024 * 1024 + 12345; // not a multiple of the chunk size
        ObjectStore os = create(bucket("big"), StorageType.File);
        String expectedDigest = digestOf(new Generated(size, 42));
        ObjectInfo put = os.put(ObjectMeta.builder("blob.bin").description("100 MB").build(), new Generated(size, 42));
        assertEquals(size, put.getSize());
        assertEquals(expectedDigest, put.getDigest());
        int chunk = 128 * 1024;
        assertEquals((size + chunk - 1) / chunk, put.getChunks());

        ObjectInfo info = os.getInfo("blob.bin");
        assertEquals(size, info.getSize());
        assertEquals(expectedDigest, info.getDigest());
        assertEquals("100 MB", info.getDescription());

        Digesting out = new Digesting();
        ObjectInfo got = os.get("blob.bin", out); // jnats checks the digest itself as well
        assertEquals(size, out.count);
        assertEquals(expectedDigest, "SHA-256=" + Base64.getUrlEncoder().encodeToString(out.sha.digest()));
        assertEquals(expectedDigest, got.getDigest());

        ObjectStoreStatus status = os.getStatus();
        assertTrue(status.getSize() >= size, "bucket size " + status.getSize());
        // replacing the object frees the old chunks
        os.put("blob.bin", b("small now"));
        assertTrue(await(() -> {
            try {
                return os.getStatus().getSize() < 1024 * 1024;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }), "old chunks purged");
        ByteArrayOutputStream small = new ByteArrayOutputStream();
        os.get("blob.bin", small);
        assertEquals("small now", small.toString(StandardCharsets.UTF_8));
    }

    @Test
    void putGetMetadataHeadersAndCustomChunks() throws Exception {
        ObjectStore os = create(bucket("meta"), StorageType.Memory);
        Headers h = new Headers().add("X-Kind", "report");
        ObjectMeta meta = ObjectMeta.builder("docs/report.txt").description("a report").headers(h)
                .metadata(Map.of("owner", "alice")).chunkSize(1000).build();
        byte[] data = new byte[4500];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 7);
        }
        ObjectInfo info = os.put(meta, new java.io.ByteArrayInputStream(data));
        assertEquals(5, info.getChunks());
        assertEquals(4500, info.getSize());
        assertEquals("docs/report.txt", info.getObjectName());
        assertNotNull(info.getNuid());
        assertNotNull(info.getModified());

        ObjectInfo read = os.getInfo("docs/report.txt");
        assertEquals("a report", read.getDescription());
        assertEquals(List.of("report"), read.getHeaders().get("X-Kind"));
        assertEquals("alice", read.getMetaData().get("owner"));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        os.get("docs/report.txt", out);
        assertArrayEquals(data, out.toByteArray());

        // an empty object
        ObjectInfo empty = os.put("empty", new byte[0]);
        assertEquals(0, empty.getSize());
        assertEquals(0, empty.getChunks());
        assertEquals(0, os.getInfo("empty").getSize());
        // (no get of the empty object: jnats 2.26.2 waits its full 10 s timeout for a chunk that
        // never comes, against nats-server too)

        // update meta: rename and new description
        ObjectInfo renamed = os.updateMeta("docs/report.txt", ObjectMeta.builder("docs/final.txt").description("final").build());
        assertEquals("docs/final.txt", renamed.getObjectName());
        assertNull(os.getInfo("docs/report.txt"));
        assertEquals("final", os.getInfo("docs/final.txt").getDescription());
        ByteArrayOutputStream after = new ByteArrayOutputStream();
        os.get("docs/final.txt", after);
        assertArrayEquals(data, after.toByteArray());

        // missing object
        assertNull(os.getInfo("nope"));
        assertThrows(Exception.class, () -> os.get("nope", new ByteArrayOutputStream()));
    }

    @Test
    void deleteListAndLinks() throws Exception {
        ObjectStore os = create(bucket("links"), StorageType.File);
        os.put("a", b("alpha"));
        os.put("b", b("beta"));
        os.put("c", b("gamma"));
        Set<String> names = new TreeSet<>();
        os.getList().forEach(i -> names.add(i.getObjectName()));
        assertEquals(Set.of("a", "b", "c"), names);

        ObjectInfo deleted = os.delete("b");
        assertTrue(deleted.isDeleted());
        assertNull(os.getInfo("b"));
        ObjectInfo tomb = os.getInfo("b", true);
        assertNotNull(tomb);
        assertTrue(tomb.isDeleted());
        assertEquals(0, tomb.getSize());
        names.clear();
        os.getList().forEach(i -> names.add(i.getObjectName()));
        assertEquals(Set.of("a", "c"), names);

        // a link to an object in the same bucket reads the target
        ObjectInfo link = os.addLink("link-to-a", os.getInfo("a"));
        assertTrue(link.isLink());
        assertEquals("a", link.getLink().getObjectName());
        ByteArrayOutputStream viaLink = new ByteArrayOutputStream();
        os.get("link-to-a", viaLink);
        assertEquals("alpha", viaLink.toString(StandardCharsets.UTF_8));

        // a link to another bucket
        ObjectStore other = create(bucket("other"), StorageType.Memory);
        other.put("x", b("from other"));
        ObjectInfo cross = os.addLink("cross", other.getInfo("x"));
        assertEquals(other.getBucketName(), cross.getLink().getBucket());
        ByteArrayOutputStream viaCross = new ByteArrayOutputStream();
        os.get("cross", viaCross);
        assertEquals("from other", viaCross.toString(StandardCharsets.UTF_8));
        ObjectInfo bucketLink = os.addBucketLink("whole-other", other);
        assertTrue(bucketLink.getLink().isBucketLink());

        // a link to a deleted object is refused
        assertThrows(IllegalArgumentException.class, () -> os.addLink("dead", tomb));
    }

    static final class Recorder implements ObjectStoreWatcher {
        final List<String> seen = new CopyOnWriteArrayList<>();
        final CountDownLatch endOfData = new CountDownLatch(1);

        @Override
        public void watch(ObjectInfo info) {
            seen.add((info.isDeleted() ? "DEL " : "PUT ") + info.getObjectName());
        }

        @Override
        public void endOfData() {
            endOfData.countDown();
        }
    }

    @Test
    void watchSealAndBucketManagement() throws Exception {
        String name = bucket("watch");
        ObjectStoreManagement osm = nc.objectStoreManagement();
        ObjectStoreStatus created = osm.create(ObjectStoreConfiguration.builder(name).description("watched")
                .storageType(StorageType.File).build());
        assertEquals(name, created.getBucketName());
        assertEquals("watched", created.getDescription());
        assertFalse(created.isSealed());
        assertEquals("OBJ_" + name, created.getBackingStreamInfo().getConfiguration().getName());
        assertTrue(osm.getBucketNames().contains(name), osm.getBucketNames().toString());

        ObjectStore os = nc.objectStore(name);
        os.put("first", b("1"));
        Recorder all = new Recorder();
        Recorder updates = new Recorder();
        try (NatsObjectStoreWatchSubscription w1 = os.watch(all);
             NatsObjectStoreWatchSubscription w2 = os.watch(updates, ObjectStoreWatchOption.UPDATES_ONLY)) {
            assertTrue(all.endOfData.await(10, TimeUnit.SECONDS));
            assertEquals(List.of("PUT first"), all.seen);
            os.put("second", b("2"));
            os.delete("first");
            assertTrue(await(() -> all.seen.size() == 3), all.seen.toString());
            assertEquals(List.of("PUT first", "PUT second", "DEL first"), all.seen);
            assertTrue(await(() -> updates.seen.size() == 2), updates.seen.toString());
            assertEquals(List.of("PUT second", "DEL first"), updates.seen);
        }

        ObjectStoreStatus sealed = os.seal();
        assertTrue(sealed.isSealed());
        assertTrue(osm.getStatus(name).isSealed());
        assertThrows(Exception.class, () -> os.put("third", b("3")), "a sealed bucket refuses writes");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        os.get("second", out);
        assertEquals("2", out.toString(StandardCharsets.UTF_8));

        osm.delete(name);
        assertFalse(osm.getBucketNames().contains(name));
        JetStreamApiException gone = assertThrows(JetStreamApiException.class, () -> osm.getStatus(name));
        assertEquals(10059, gone.getApiErrorCode());
    }
}
