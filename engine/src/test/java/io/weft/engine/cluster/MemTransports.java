package io.weft.engine.cluster;

import io.weft.raft.Message;
import io.weft.raft.driver.Transport;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Consumer;

/**
 * An in-memory network of {@link GroupTransports} for tests: one hub, one {@link #node} view per
 * server. Delivery is asynchronous (one delivery thread, in send order); a message to a transport
 * that is not open, or across a cut link ({@link #isolate}, {@link #cut}), is dropped, as a lost
 * packet is.
 */
public final class MemTransports {
    private record Key(String group, long id) {
    }

    private record Parcel(String group, Message m) {
    }

    private final Map<Key, Consumer<Message>> open = new ConcurrentHashMap<>();
    private final Set<Long> isolated = ConcurrentHashMap.newKeySet();
    private final Set<String> cutLinks = ConcurrentHashMap.newKeySet();
    private final LinkedBlockingQueue<Parcel> queue = new LinkedBlockingQueue<>();
    private final Thread deliverer;
    private volatile boolean closed;

    public MemTransports() {
        deliverer = Thread.ofPlatform().daemon().name("mem-transports").start(this::deliver);
    }

    /** The transports of server {@code self} (its peer id). */
    public GroupTransports node(long self) {
        return (group, id) -> new Transport() {
            @Override
            public void start(Consumer<Message> inbound) {
                open.put(new Key(group, id), inbound);
            }

            @Override
            public void send(Message m) {
                if (!closed) {
                    queue.add(new Parcel(group, m));
                }
            }

            @Override
            public void close() {
                open.remove(new Key(group, id));
            }
        };
    }

    /** Cuts (true) or heals (false) every link of {@code id}. */
    public void isolate(long id, boolean on) {
        if (on) {
            isolated.add(id);
        } else {
            isolated.remove(id);
        }
    }

    /** Cuts or heals the link between {@code a} and {@code b}, both ways. */
    public void cut(long a, long b, boolean on) {
        String k = Math.min(a, b) + "-" + Math.max(a, b);
        if (on) {
            cutLinks.add(k);
        } else {
            cutLinks.remove(k);
        }
    }

    public void close() {
        closed = true;
        deliverer.interrupt();
    }

    private void deliver() {
        while (!closed) {
            Parcel p;
            try {
                p = queue.take();
            } catch (InterruptedException e) {
                return;
            }
            long from = p.m().from();
            long to = p.m().to();
            if (isolated.contains(from) || isolated.contains(to)
                    || cutLinks.contains(Math.min(from, to) + "-" + Math.max(from, to))) {
                continue;
            }
            Consumer<Message> in = open.get(new Key(p.group(), to));
            if (in != null) {
                try {
                    in.accept(p.m());
                } catch (RuntimeException e) {
                    // a stopped receiver: the message is lost
                }
            }
        }
    }
}
