package io.weft.engine.jetstream.consumer;

import io.weft.engine.ServerLog;
import io.weft.engine.jetstream.ConsumerSource;
import io.weft.engine.jetstream.JsApiError;
import io.weft.engine.jetstream.JsApiException;
import io.weft.engine.jetstream.Retention;
import io.weft.engine.jetstream.StreamConsumer;
import io.weft.engine.server.Account;
import io.weft.net.Env;
import io.weft.store.MemoryStore;
import io.weft.store.MessageStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantLock;

/** A stream for consumer tests: a MemoryStore, a registry of consumers, and recorded acknowledgements. */
final class FakeStream implements ConsumerSource {
    final String name;
    final Retention retention;
    final MemoryStore store = new MemoryStore();
    /** What consumers read through {@link #store()}; tests may put a damaged view in front of {@link #store}. */
    MessageStore readView = store;
    final Account account;
    final Env env;
    final String dir;   // null = memory stream
    final TreeMap<String, StreamConsumer> consumers = new TreeMap<>();
    final List<Long> acknowledged = new CopyOnWriteArrayList<>();
    final ReentrantLock lock = new ReentrantLock();
    int maxConsumers = -1;

    FakeStream(String name, Retention retention, Account account, Env env, String dir) {
        this.name = name;
        this.retention = retention;
        this.account = account;
        this.env = env;
        this.dir = dir;
    }

    long publish(String subject, String payload) throws IOException {
        return publish(subject, null, payload);
    }

    long publish(String subject, byte[] headers, String payload) throws IOException {
        long seq = store.append(subject, headers, payload.getBytes(StandardCharsets.UTF_8),
                env.clock().currentTimeMillis() * 1_000_000L);
        for (StreamConsumer c : consumers()) {
            c.signal(seq);
        }
        return seq;
    }

    @Override public String streamName() { return name; }
    @Override public List<String> subjects() { return List.of("s.>"); }
    @Override public Retention retention() { return retention; }
    @Override public boolean memoryStorage() { return dir == null; }
    @Override public MessageStore store() { return readView; }
    @Override public long lastDeliverableSeq() { return store.state().lastSeq(); }
    @Override public Account account() { return account; }
    @Override public Env env() { return env; }
    @Override public ServerLog log() { return ServerLog.silent(); }

    @Override
    public String consumerDir(String consumer) {
        if (dir == null) {
            return null;
        }
        String d = dir + "/obs/" + consumer;
        try {
            env.disk().mkdirs(d);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return d;
    }

    @Override public long consumerLimitInactiveThresholdNanos() { return 0; }
    @Override public int consumerLimitMaxAckPending() { return 0; }

    @Override
    public void attach(StreamConsumer consumer, String... filters) throws JsApiException {
        lock.lock();
        try {
            if (maxConsumers >= 0 && consumers.size() >= maxConsumers) {
                throw new JsApiError(400, 10026, "maximum consumers limit reached").exception();
            }
            consumers.put(consumer.name(), consumer);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void detach(StreamConsumer consumer) {
        lock.lock();
        try {
            consumers.remove(consumer.name(), consumer);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public StreamConsumer consumer(String n) {
        lock.lock();
        try {
            return consumers.get(n);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Collection<StreamConsumer> consumers() {
        lock.lock();
        try {
            return new ArrayList<>(consumers.values());
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void acknowledged(long seq) {
        acknowledged.add(seq);
        if (retention == Retention.WORKQUEUE) {
            store.remove(seq, false);
        }
    }
}
