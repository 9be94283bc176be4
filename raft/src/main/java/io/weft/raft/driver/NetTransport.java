package io.weft.raft.driver;

import io.weft.net.Conn;
import io.weft.net.Env;
import io.weft.net.Listener;
import io.weft.raft.CorruptMessageException;
import io.weft.raft.Message;
import io.weft.raft.MessageCodec;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * {@link Transport} over {@link io.weft.net.Network}: each replica listens on its address; to each
 * peer it keeps one outgoing connection, opened on demand and again after a failure (with a short
 * backoff through the clock), carrying frames of a u32 length and {@link MessageCodec}'s encoding.
 * A peer's queue holds at most {@code maxQueued} messages: beyond that, and while the peer cannot
 * be reached, messages are dropped (Raft resends what matters). A connect that takes longer than
 * {@code connectTimeout} counts as a failure.
 */
public final class NetTransport implements Transport {
    /** Where a replica listens. */
    public record Address(String host, int port) {}

    private static final int MAX_FRAME = 64 << 20;
    private static final Duration BACKOFF = Duration.ofMillis(5);

    private final Env env;
    private final Address self;
    private final TreeMap<Long, Outbox> peers = new TreeMap<>();
    private final int maxQueued;
    private final Duration connectTimeout;
    private final ReentrantLock lock = new ReentrantLock();
    private final List<Conn> inbound = new ArrayList<>();
    private Listener listener;
    private boolean closed;

    public NetTransport(Env env, Address self, Map<Long, Address> peers, int maxQueued, Duration connectTimeout) {
        this.env = env;
        this.connectTimeout = connectTimeout;
        this.self = self;
        this.maxQueued = maxQueued;
        for (var e : new TreeMap<>(peers).entrySet()) {
            if (!e.getValue().equals(self)) this.peers.put(e.getKey(), new Outbox(e.getKey(), e.getValue()));
        }
    }

    @Override
    public void start(Consumer<Message> sink) throws IOException {
        listener = env.network().listen(self.host(), self.port());
        env.spawner().spawn("raft-accept", () -> accept(sink));
        for (Outbox o : peers.values()) o.thread = env.spawner().spawn("raft-send-" + o.peer, o::run);
    }

    @Override
    public void send(Message m) {
        Outbox o = peers.get(m.to());
        if (o != null) o.offer(MessageCodec.encode(m));
    }

    @Override
    public void close() {
        List<Conn> conns;
        lock.lock();
        try {
            if (closed) return;
            closed = true;
            conns = new ArrayList<>(inbound);
        } finally {
            lock.unlock();
        }
        if (listener != null) listener.close();
        conns.forEach(Conn::close);
        peers.values().forEach(Outbox::close);
    }

    private boolean closed() {
        lock.lock();
        try {
            return closed;
        } finally {
            lock.unlock();
        }
    }

    private void accept(Consumer<Message> sink) {
        while (!closed()) {
            Conn c;
            try {
                c = listener.accept();
            } catch (IOException e) {
                return;
            }
            lock.lock();
            try {
                if (closed) {
                    c.close();
                    return;
                }
                inbound.add(c);
            } finally {
                lock.unlock();
            }
            env.spawner().spawn("raft-recv", () -> receive(c, sink));
        }
    }

    private void receive(Conn c, Consumer<Message> sink) {
        try (c) {
            byte[] len = new byte[4];
            while (true) {
                if (!readFully(c, len)) return;
                int n = ByteBuffer.wrap(len).getInt();
                if (n <= 0 || n > MAX_FRAME) return;
                byte[] frame = new byte[n];
                if (!readFully(c, frame)) return;
                sink.accept(MessageCodec.decode(frame));
            }
        } catch (IOException | CorruptMessageException e) {
            // a broken or corrupt stream: drop the connection; the peer reconnects
        } finally {
            lock.lock();
            try {
                inbound.remove(c);
            } finally {
                lock.unlock();
            }
        }
    }

    private static boolean readFully(Conn c, byte[] b) throws IOException {
        int off = 0;
        while (off < b.length) {
            int r = c.read(b, off, b.length - off);
            if (r < 0) return false;
            off += r;
        }
        return true;
    }

    /** The queue and sending thread of one peer. */
    private final class Outbox {
        private final long peer;
        private final Address addr;
        private final ReentrantLock olock = new ReentrantLock();
        private final Condition ready = olock.newCondition();
        private final ArrayDeque<byte[]> queue = new ArrayDeque<>();
        private boolean stop;
        private Conn conn;
        private volatile Thread thread;

        Outbox(long peer, Address addr) {
            this.peer = peer;
            this.addr = addr;
        }

        void offer(byte[] frame) {
            olock.lock();
            try {
                if (stop || queue.size() >= maxQueued) return;
                queue.add(frame);
                ready.signal();
            } finally {
                olock.unlock();
            }
        }

        void close() {
            Conn c;
            olock.lock();
            try {
                stop = true;
                queue.clear();
                c = conn;
                ready.signalAll();
            } finally {
                olock.unlock();
            }
            if (c != null) c.close();
            Thread t = thread;
            if (t != null) t.interrupt(); // a connect in progress may wait for its timeout otherwise
        }

        void run() {
            try {
                while (true) {
                    List<byte[]> batch = take();
                    if (batch == null) return;
                    Conn c = connected();
                    if (c == null) continue;
                    try {
                        c.write(frames(batch));
                    } catch (IOException e) {
                        disconnect(c);
                    }
                }
            } catch (InterruptedException e) {
                // closing
            }
        }

        private List<byte[]> take() throws InterruptedException {
            olock.lock();
            try {
                while (!stop && queue.isEmpty()) ready.await();
                if (stop) return null;
                List<byte[]> out = new ArrayList<>(queue);
                queue.clear();
                return out;
            } finally {
                olock.unlock();
            }
        }

        /** The open connection, or a new one; null (after a backoff, the queue dropped) if the peer is unreachable. */
        private Conn connected() throws InterruptedException {
            olock.lock();
            try {
                if (conn != null) return conn;
            } finally {
                olock.unlock();
            }
            Conn c = connectWithin();
            olock.lock();
            try {
                if (c != null && !stop) {
                    conn = c;
                    return c;
                }
            } finally {
                olock.unlock();
            }
            if (c != null) c.close();
            env.clock().sleep(BACKOFF);
            olock.lock();
            try {
                queue.clear(); // stale by now; Raft resends
            } finally {
                olock.unlock();
            }
            return null;
        }

        /**
         * Connects on a thread of its own and waits at most {@code connectTimeout} for it: a peer
         * behind a black hole would otherwise hold this queue for the network's own connect timeout.
         * A connection that arrives after we gave up is closed.
         */
        private Conn connectWithin() throws InterruptedException {
            ReentrantLock l = new ReentrantLock();
            Condition done = l.newCondition();
            Conn[] result = new Conn[1];
            boolean[] state = new boolean[2]; // [0] finished, [1] abandoned
            env.spawner().spawn("raft-connect-" + peer, () -> {
                Conn c = null;
                try {
                    c = env.network().connect(addr.host(), addr.port());
                } catch (IOException e) {
                    // unreachable
                }
                l.lock();
                try {
                    state[0] = true;
                    if (state[1]) {
                        if (c != null) c.close();
                    } else {
                        result[0] = c;
                    }
                    done.signalAll();
                } finally {
                    l.unlock();
                }
            });
            long deadline = env.clock().nanoTime() + connectTimeout.toNanos();
            l.lock();
            try {
                while (!state[0]) {
                    if (!env.clock().awaitUntil(done, deadline)) break;
                }
                if (!state[0]) state[1] = true;
                return result[0];
            } finally {
                l.unlock();
            }
        }

        private void disconnect(Conn c) {
            c.close();
            olock.lock();
            try {
                if (conn == c) conn = null;
            } finally {
                olock.unlock();
            }
        }

        private static ByteBuffer[] frames(List<byte[]> batch) {
            ByteBuffer[] out = new ByteBuffer[batch.size() * 2];
            for (int i = 0; i < batch.size(); i++) {
                out[2 * i] = ByteBuffer.allocate(4).putInt(0, batch.get(i).length);
                out[2 * i + 1] = ByteBuffer.wrap(batch.get(i));
            }
            return out;
        }
    }
}
