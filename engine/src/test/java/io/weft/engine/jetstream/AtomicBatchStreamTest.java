package io.weft.engine.jetstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * An atomic batch through a local stream whose store fails the commit (a full disk, say): the
 * batch is a group commit of its own, so the failure refuses exactly the batch (its commit is
 * answered with the store error and nothing of it is served) while the publishes around it are
 * stored and acknowledged; and every ack of a stored batch leaves after the batch's one sync.
 */
class AtomicBatchStreamTest {

    /** A memory store whose commit fails while the batch holds a message on subject {@code fail}, undoing the batch as a store does. */
    static final class FailingStore implements MessageStore {
        final MemoryStore inner = new MemoryStore();
        final AtomicInteger syncs = new AtomicInteger();
        volatile long durable;
        private long mark = -1;

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
        public void sync() {
            syncs.incrementAndGet();
            durable = inner.state().lastSeq();
        }

        @Override
        public void begin() {
            mark = inner.state().lastSeq();
        }

        @Override
        public void commit() throws IOException {
            long from = mark;
            mark = -1;
            for (long s = from + 1; s <= inner.state().lastSeq(); s++) {
                StoredMessage m = inner.load(s);
                if (m != null && m.subject().equals("fail")) {
                    for (long u = from + 1; u <= inner.state().lastSeq(); u++) {
                        inner.remove(u, false); // what a store's rollback leaves served: nothing
                    }
                    throw new IOException("no space left on device");
                }
            }
            sync();
        }

        @Override
        public void rollback() {
            mark = -1;
        }
    }

    private static byte[] batchHdr(String id, int seq, boolean commit) {
        return ("NATS/1.0\r\nNats-Batch-Id: " + id + "\r\nNats-Batch-Sequence: " + seq + "\r\n"
                + (commit ? "Nats-Batch-Commit: 1\r\n" : "") + "\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    private static String await(Map<String, String> replies, String reply) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!replies.containsKey(reply)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no reply on " + reply);
            }
            Thread.sleep(2);
        }
        return replies.get(reply);
    }

    @Test
    void aFailedBatchCommitRefusesExactlyTheBatch() throws Exception {
        ServerOptions o = new ServerOptions();
        o.port = 0;
        o.host = "127.0.0.1";
        o.storeDir = Files.createTempDirectory("weft-ab-").toString();
        Server server = new Server(Env.real(), o, ServerLog.silent());
        server.start();
        FailingStore store = new FailingStore();
        JetStream js = new JetStream(Node.jetStreamHost(server), (cfg, dir) -> store, new Consumers());
        js.start();
        try {
            Account acc = server.account(Account.GLOBAL);
            Map<String, String> replies = new ConcurrentHashMap<>();
            Map<String, Long> durableAtReply = new ConcurrentHashMap<>();
            acc.subscribe("_R.>", null, (subject, reply, data, off, hdrLen, totalLen) -> {
                durableAtReply.put(subject, store.durable);
                replies.put(subject, new String(data, off + hdrLen, totalLen - hdrLen, StandardCharsets.UTF_8));
            });
            acc.publish("$JS.API.STREAM.CREATE.AB", "_R.create", null,
                    "{\"name\":\"AB\",\"subjects\":[\"ok\",\"fail\",\"b\"],\"allow_atomic\":true}".getBytes(StandardCharsets.UTF_8));
            assertTrue(await(replies, "_R.create").contains("\"allow_atomic\":true"), replies.get("_R.create"));
            byte[] x = "x".getBytes(StandardCharsets.UTF_8);

            // a batch that stores: the ack after its one sync, nothing visible before
            acc.publish("b", "_R.b1", batchHdr("good", 1, false), x);
            assertEquals("", await(replies, "_R.b1"));
            assertEquals(0, store.state().msgs(), "staged, not stored");
            int syncsBefore = store.syncs.get();
            acc.publish("b", "_R.b2", batchHdr("good", 2, false), x);
            acc.publish("b", "_R.b3", batchHdr("good", 3, true), x);
            assertEquals("{\"stream\":\"AB\",\"seq\":3,\"batch\":\"good\",\"count\":3}", await(replies, "_R.b3"));
            assertEquals(3L, durableAtReply.get("_R.b3"), "acknowledged once synced");
            assertEquals(syncsBefore + 1, store.syncs.get(), "one sync for the batch");

            // a batch whose commit fails, between two plain publishes
            acc.publish("ok", "_R.ok1", null, x);
            acc.publish("fail", "_R.f1", batchHdr("bad", 1, false), x);
            acc.publish("b", "_R.f2", batchHdr("bad", 2, true), x);
            acc.publish("ok", "_R.ok2", null, x);
            String failed = await(replies, "_R.f2");
            assertTrue(failed.contains("\"err_code\":10077") && failed.contains("no space left on device"), failed);
            assertEquals("", await(replies, "_R.f1"), "a staged message is answered empty whatever its batch's fate");
            String ok1 = await(replies, "_R.ok1");
            String ok2 = await(replies, "_R.ok2");
            assertTrue(ok1.contains("\"seq\":4"), ok1);
            assertTrue(!ok2.contains("error"), ok2);
            assertEquals(5, store.state().msgs(), "the good batch and both plain publishes, nothing of the bad batch");
            for (long s = 1; s <= store.state().lastSeq(); s++) {
                StoredMessage m = store.load(s);
                if (m != null) {
                    assertTrue(!m.subject().equals("fail"), "served a message of the refused batch at " + s);
                }
            }
            assertNull(replies.get("_R.never"));
        } finally {
            js.shutdown();
            server.shutdown();
        }
    }
}
