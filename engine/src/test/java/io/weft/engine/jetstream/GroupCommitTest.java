package io.weft.engine.jetstream;

import io.weft.engine.ServerLog;
import io.weft.engine.ServerOptions;
import io.weft.engine.jetstream.consumer.Consumers;
import io.weft.engine.node.Node;
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
        JetStream js = new JetStream(Node.jetStreamHost(server), (cfg, dir) -> store, new Consumers());
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
        JetStream js = new JetStream(Node.jetStreamHost(server), (cfg, dir) -> store, new Consumers());
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

    /**
     * A KV-style overwrite (max_msgs_per_subject 1) must never make the key read as missing: the old
     * value is removed by the limit while the new one is appended but not yet synced (found by the
     * KV jnats tests). Reads take the stream lock, so they see the batch before or after, never inside.
     */
    @Test
    void overwrittenKeyNeverReadsAsMissing() throws Exception {
        ServerOptions o = new ServerOptions();
        o.port = 0;
        o.host = "127.0.0.1";
        o.storeDir = Files.createTempDirectory("weft-gc-").toString();
        Server server = new Server(Env.real(), o, ServerLog.silent());
        server.start();
        SlowSyncStore store = new SlowSyncStore();
        JetStream js = new JetStream(Node.jetStreamHost(server), (cfg, dir) -> store, new Consumers());
        js.start();
        try {
            Account acc = server.account(Account.GLOBAL);
            java.util.concurrent.LinkedBlockingQueue<String> api = new java.util.concurrent.LinkedBlockingQueue<>();
            acc.subscribe("_API.>", null, (s, r, d, off, h, t) ->
                    api.add(new String(d, off, t, StandardCharsets.UTF_8)));
            acc.publish("$JS.API.STREAM.CREATE.KV", "_API.c", null, ("{\"name\":\"KV\",\"subjects\":[\"kv.>\"],"
                    + "\"max_msgs_per_subject\":1,\"allow_direct\":true}").getBytes(StandardCharsets.UTF_8));
            assertTrue(api.poll(5, TimeUnit.SECONDS) != null);
            CountDownLatch first = new CountDownLatch(1);
            acc.subscribe("_ACK.>", null, (s, r, d, off, h, t) -> first.countDown());
            acc.publish("kv.key", "_ACK.0", null, "v0".getBytes(StandardCharsets.UTF_8));
            assertTrue(first.await(5, TimeUnit.SECONDS));
            java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
            Thread writer = Thread.ofVirtual().start(() -> {
                int i = 1;
                while (!stop.get()) {
                    acc.publish("kv.key", "_ACK." + i, null, ("v" + i++).getBytes(StandardCharsets.UTF_8));
                    try {
                        Thread.sleep(1);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            int missing = 0;
            for (int i = 0; i < 60; i++) {
                acc.publish("$JS.API.DIRECT.GET.KV.kv.key", "_API.d" + i, null, new byte[0]);
                String direct = api.poll(5, TimeUnit.SECONDS);
                acc.publish("$JS.API.STREAM.MSG.GET.KV", "_API.g" + i, null,
                        "{\"last_by_subj\":\"kv.key\"}".getBytes(StandardCharsets.UTF_8));
                String get = api.poll(5, TimeUnit.SECONDS);
                if (direct == null || direct.startsWith("NATS/1.0 404") || get == null || get.contains("\"err_code\":10037")) {
                    missing++;
                }
            }
            stop.set(true);
            writer.join();
            assertEquals(0, missing, "the key read as missing while being overwritten");
        } finally {
            js.shutdown();
            server.shutdown();
        }
    }
}
