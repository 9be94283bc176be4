package io.weft.engine.jetstream;

import io.weft.engine.ServerLog;
import io.weft.engine.ServerOptions;
import io.weft.engine.jetstream.consumer.Consumers;
import io.weft.engine.server.Account;
import io.weft.engine.server.Server;
import io.weft.net.Env;
import io.weft.store.Corruption;
import io.weft.store.MemoryStore;
import io.weft.store.MessageStore;
import io.weft.store.StoreState;
import io.weft.store.StoredMessage;
import io.weft.store.SubjectState;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Acks leave only after the store is synced, and concurrent publishes share syncs. The store here
 * records, at each sync, the last sequence it made durable; every PubAck is checked against it at
 * the moment it is delivered.
 */
class GroupCommitTest {
    private static final Pattern SEQ = Pattern.compile("\"seq\":(\\d+)");

    /** A memory store whose sync is slow (like an fsync) and remembers what it made durable. */
    static final class SlowSyncStore implements MessageStore {
        final MemoryStore inner = new MemoryStore();
        final AtomicLong durable = new AtomicLong();
        final AtomicInteger syncs = new AtomicInteger();

        @Override public long append(String s, byte[] h, byte[] d, long t) { return inner.append(s, h, d, t); }
        @Override public void skipTo(long n) { inner.skipTo(n); }
        @Override public StoredMessage load(long seq) { return inner.load(seq); }
        @Override public StoredMessage loadNext(String f, long from) { return inner.loadNext(f, from); }
        @Override public StoredMessage loadLast(String f) { return inner.loadLast(f); }
        @Override public boolean remove(long seq, boolean erase) { return inner.remove(seq, erase); }
        @Override public long purge(String f, long up, long keep) { return inner.purge(f, up, keep); }
        @Override public StoreState state() { return inner.state(); }
        @Override public List<Long> deletedSequences() { return inner.deletedSequences(); }
        @Override public SubjectState subjectState(String s) { return inner.subjectState(s); }
        @Override public Map<String, SubjectState> subjects(String f) { return inner.subjects(f); }
        @Override public long numPending(long from, String f, boolean l) { return inner.numPending(from, f, l); }
        @Override public long sequenceAtOrAfter(long t) { return inner.sequenceAtOrAfter(t); }
        @Override public List<Corruption> corruptions() { return inner.corruptions(); }
        @Override public void destroy() { inner.destroy(); }
        @Override public void close() { inner.close(); }

        @Override
        public void sync() throws IOException {
            long last = inner.state().lastSeq();
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                throw new IOException(e);
            }
            durable.set(last);
            syncs.incrementAndGet();
        }
    }

    @Test
    void acksFollowTheSyncAndPublishersShareIt() throws Exception {
        ServerOptions o = new ServerOptions();
        o.port = 0;
        o.host = "127.0.0.1";
        o.storeDir = Files.createTempDirectory("weft-gc-").toString();
        Server server = new Server(Env.real(), o, ServerLog.silent());
        server.start();
        SlowSyncStore store = new SlowSyncStore();
        JetStream js = new JetStream(server, (cfg, dir) -> store, new Consumers());
        js.start();
        try {
            Account acc = server.account(Account.GLOBAL);
            int n = 400;
            CountDownLatch acks = new CountDownLatch(n);
            AtomicInteger early = new AtomicInteger();
            acc.subscribe("_ACK.>", null, (subject, reply, data, off, hdrLen, totalLen) -> {
                String body = new String(data, off + hdrLen, totalLen - hdrLen, StandardCharsets.UTF_8);
                Matcher m = SEQ.matcher(body);
                if (!m.find() || Long.parseLong(m.group(1)) > store.durable.get()) {
                    early.incrementAndGet();
                }
                acks.countDown();
            });
            CountDownLatch created = new CountDownLatch(1);
            acc.subscribe("_API.>", null, (s, r, d, off, h, t) -> created.countDown());
            acc.publish("$JS.API.STREAM.CREATE.GC", "_API.1", null,
                    "{\"name\":\"GC\",\"subjects\":[\"gc.>\"]}".getBytes(StandardCharsets.UTF_8));
            assertTrue(created.await(5, TimeUnit.SECONDS));
            Thread[] publishers = new Thread[4];
            for (int p = 0; p < publishers.length; p++) {
                int id = p;
                publishers[p] = Thread.ofVirtual().start(() -> {
                    for (int i = 0; i < n / publishers.length; i++) {
                        acc.publish("gc." + id, "_ACK." + id + "." + i, null, "x".getBytes(StandardCharsets.UTF_8));
                    }
                });
            }
            for (Thread t : publishers) {
                t.join();
            }
            assertTrue(acks.await(20, TimeUnit.SECONDS), "every publish acknowledged");
            assertEquals(0, early.get(), "no ack before its message was synced");
            assertEquals(n, store.state().msgs());
            assertTrue(store.syncs.get() < n / 4, "publishes share syncs: " + store.syncs.get() + " syncs for " + n);
        } finally {
            js.shutdown();
            server.shutdown();
        }
    }

    @Test
    void syncIntervalAcksWithoutWaitingForTheTimer() throws Exception {
        ServerOptions o = new ServerOptions();
        o.port = 0;
        o.host = "127.0.0.1";
        o.storeDir = Files.createTempDirectory("weft-gc-").toString();
        o.jetstreamSyncInterval = Duration.ofMillis(100);
        Server server = new Server(Env.real(), o, ServerLog.silent());
        server.start();
        SlowSyncStore store = new SlowSyncStore();
        JetStream js = new JetStream(server, (cfg, dir) -> store, new Consumers());
        js.start();
        try {
            Account acc = server.account(Account.GLOBAL);
            CountDownLatch created = new CountDownLatch(1);
            acc.subscribe("_API.>", null, (s, r, d, off, h, t) -> created.countDown());
            acc.publish("$JS.API.STREAM.CREATE.SI", "_API.1", null,
                    "{\"name\":\"SI\",\"subjects\":[\"si\"]}".getBytes(StandardCharsets.UTF_8));
            assertTrue(created.await(5, TimeUnit.SECONDS));
            CountDownLatch ack = new CountDownLatch(1);
            acc.subscribe("_ACK.>", null, (s, r, d, off, h, t) -> ack.countDown());
            acc.publish("si", "_ACK.1", null, "x".getBytes(StandardCharsets.UTF_8));
            assertTrue(ack.await(5, TimeUnit.SECONDS));
            // the timer syncs within its interval
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
            while (store.durable.get() < 1 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(1, store.durable.get());
        } finally {
            js.shutdown();
            server.shutdown();
        }
    }
}
