package io.weft.engine.jetstream;

import io.weft.engine.cluster.GroupTransports;
import io.weft.raft.Message;
import io.weft.raft.driver.Transport;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Consumer;

/**
 * Raft groups of several servers in one JVM: every transport opened here shares one hub, and a
 * message reaches the transport of its group and {@code to}, delivered asynchronously by the hub's
 * own thread in the order sent. Switches: {@link #isolate} cuts a replica off (both ways),
 * {@link #dropAll} drops everything; {@link #heal} undoes both.
 */
final class MemGroupTransports implements GroupTransports, AutoCloseable {
    private record Key(String group, long id) {
    }

    private record Envelope(String group, Message m) {
    }

    private final Map<Key, Consumer<Message>> inbound = new ConcurrentHashMap<>();
    private final Set<Long> isolated = ConcurrentHashMap.newKeySet();
    private final LinkedBlockingQueue<Envelope> queue = new LinkedBlockingQueue<>();
    private volatile boolean dropAll;
    private volatile boolean closed;
    private final Thread pump;

    MemGroupTransports() {
        pump = Thread.ofPlatform().daemon().name("mem-group-transports").start(this::pump);
    }

    private void pump() {
        while (!closed) {
            Envelope e;
            try {
                e = queue.take();
            } catch (InterruptedException x) {
                return;
            }
            if (dropAll || isolated.contains(e.m().from()) || isolated.contains(e.m().to())) {
                continue;
            }
            Consumer<Message> to = inbound.get(new Key(e.group(), e.m().to()));
            if (to != null) {
                to.accept(e.m());
            }
        }
    }

    void isolate(long id) {
        isolated.add(id);
    }

    void dropAll(boolean on) {
        dropAll = on;
    }

    void heal() {
        isolated.clear();
        dropAll = false;
    }

    @Override
    public Transport open(String group, long self) {
        Key key = new Key(group, self);
        return new Transport() {
            @Override
            public void start(Consumer<Message> in) {
                inbound.put(key, in);
            }

            @Override
            public void send(Message m) {
                if (!closed) {
                    queue.add(new Envelope(group, m));
                }
            }

            @Override
            public void close() {
                inbound.remove(key);
            }
        };
    }

    @Override
    public void close() {
        closed = true;
        pump.interrupt();
    }
}
