package io.weft.engine.cluster;

import io.weft.engine.ServerLog;
import io.weft.engine.route.InternalTraffic;
import io.weft.engine.route.InternalPeer;
import io.weft.net.Env;
import io.weft.raft.Message;
import io.weft.raft.MessageCodec;
import io.weft.raft.driver.Transport;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * The {@link GroupTransports} of a node, carried by its routes: a Raft message of group {@code g}
 * for peer {@code p} travels as {@code RMSG $NRG $NRG.<g>.<p as 16 hex digits> <size>} whose
 * payload is {@link MessageCodec}'s encoding, on the route to the weft server whose
 * {@code server_name} gives peer id {@code p} ({@link PeerIds}). The account {@code $NRG} is the
 * routes' {@link InternalTraffic}: no client of any account can reach it, and peers that are not
 * weft never get it (see {@code docs/cluster-protocol.md}).
 *
 * <p>Sending never blocks the Raft driver: a message for a peer whose queue is empty, while its
 * route is below its stall gate, goes straight into the route's (non-blocking) outbound queue on
 * the sender's thread; otherwise it waits in the peer's bounded queue (messages and bytes)
 * that a sender thread drains into the route while the route is below its stall gate; a message
 * that finds the queue full, no route to its peer, or the route congested past a bound wait is
 * dropped and counted (Raft resends). A received message that does not decode, does not name its
 * route's peer as sender, or names a group/replica with no open transport here, is dropped and
 * counted; the route stays up.
 */
public final class RouteGroupTransports implements GroupTransports, InternalTraffic {
    /** Subject prefix of a Raft message: {@code $NRG.<group>.<to>}. */
    static final String PREFIX = "$NRG.";
    /** Default bound of a peer's queue in messages. */
    public static final int MAX_QUEUED = 4096;
    /** Default bound of a peer's queue in bytes. */
    public static final long MAX_QUEUED_BYTES = 32L << 20;
    /** How long a peer's sender waits for a congested route before it drops what it holds. */
    static final long CONGESTION_WAIT_NANOS = 500_000_000L;

    /** What was carried and dropped, for monitoring and tests. */
    public record Stats(long sent, long received, long droppedQueueFull, long droppedNoRoute, long droppedTooLarge,
                        long droppedCongested, long droppedNoTransport, long corrupt) {
    }

    private record Key(String group, long id) {
    }

    private final Env env;
    private final ServerLog log;
    private final int maxQueued;
    private final long maxQueuedBytes;
    private final ReentrantLock lock = new ReentrantLock();
    /** Open transports by (group, replica id). */
    private final Map<Key, GroupTransport> open = new HashMap<>();
    /** The outbox of each weft peer with a route up, by peer id. */
    private final Map<Long, Outbox> peers = new HashMap<>();
    private final java.util.concurrent.ConcurrentHashMap<String, Long> ids = new java.util.concurrent.ConcurrentHashMap<>();

    private final LongAdder sent = new LongAdder();
    private final LongAdder received = new LongAdder();
    private final LongAdder droppedQueueFull = new LongAdder();
    private final LongAdder droppedNoRoute = new LongAdder();
    private final LongAdder droppedTooLarge = new LongAdder();
    private final LongAdder droppedCongested = new LongAdder();
    private final LongAdder droppedNoTransport = new LongAdder();
    private final LongAdder corrupt = new LongAdder();

    public RouteGroupTransports(Env env, ServerLog log) {
        this(env, log, MAX_QUEUED, MAX_QUEUED_BYTES);
    }

    public RouteGroupTransports(Env env, ServerLog log, int maxQueued, long maxQueuedBytes) {
        if (maxQueued < 1 || maxQueuedBytes < 1) {
            throw new IllegalArgumentException("queue bounds must be positive");
        }
        this.env = env;
        this.log = log;
        this.maxQueued = maxQueued;
        this.maxQueuedBytes = maxQueuedBytes;
    }

    public Stats stats() {
        return new Stats(sent.sum(), received.sum(), droppedQueueFull.sum(), droppedNoRoute.sum(), droppedTooLarge.sum(),
                droppedCongested.sum(), droppedNoTransport.sum(), corrupt.sum());
    }

    /** A group name must be one subject token: not empty, no dot, space, tab or wildcard. */
    static void checkGroup(String group) {
        if (group == null || group.isEmpty()) {
            throw new IllegalArgumentException("a Raft group needs a name");
        }
        for (int i = 0; i < group.length(); i++) {
            char c = group.charAt(i);
            if (c == '.' || c == '*' || c == '>' || c <= ' ' || c == 0x7f) {
                throw new IllegalArgumentException("Raft group name \"" + group + "\" is not a single subject token");
            }
        }
    }

    static String subject(String group, long to) {
        return PREFIX + group + "." + PeerIds.hex(to);
    }

    @Override
    public Transport open(String group, long self) {
        checkGroup(group);
        if (self <= 0) {
            throw new IllegalArgumentException("peer id " + self);
        }
        Key k = new Key(group, self);
        lock.lock();
        try {
            if (open.containsKey(k)) {
                throw new IllegalStateException("group " + group + " replica " + PeerIds.hex(self) + " is already open");
            }
            GroupTransport t = new GroupTransport(k);
            open.put(k, t);
            return t;
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------- the routes' side

    @Override
    public void peerUp(InternalPeer route) {
        long id = peerId(route.remoteName());
        if (id <= 0) {
            return;
        }
        Outbox fresh = new Outbox(id, route);
        Outbox old;
        lock.lock();
        try {
            old = peers.put(id, fresh);
        } finally {
            lock.unlock();
        }
        if (old != null) {
            old.close();
        }
        env.spawner().spawn("nrg-send " + route.remoteName(), fresh::run);
    }

    @Override
    public boolean reachable(long peer) {
        lock.lock();
        try {
            return peers.containsKey(peer);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void peerDown(InternalPeer route) {
        Outbox gone = null;
        lock.lock();
        try {
            for (Map.Entry<Long, Outbox> e : peers.entrySet()) {
                if (e.getValue().route == route) {
                    gone = e.getValue();
                    peers.remove(e.getKey());
                    break;
                }
            }
        } finally {
            lock.unlock();
        }
        if (gone != null) {
            gone.close();
        }
    }

    @Override
    public void received(InternalPeer route, String subject, byte[] data, int off, int len) {
        received.increment();
        int dot = subject.lastIndexOf('.');
        if (!subject.startsWith(PREFIX) || dot <= PREFIX.length() || subject.length() - dot - 1 != 16) {
            dropCorrupt(route, "subject " + subject);
            return;
        }
        String group = subject.substring(PREFIX.length(), dot);
        long to;
        Message m;
        try {
            to = java.util.HexFormat.fromHexDigitsToLong(subject, dot + 1, subject.length());
            byte[] b = new byte[len];
            System.arraycopy(data, off, b, 0, len);
            m = MessageCodec.decode(b);
        } catch (RuntimeException e) {
            dropCorrupt(route, e.getMessage());
            return;
        }
        long from = peerId(route.remoteName());
        if (m.to() != to || m.from() != from) {
            dropCorrupt(route, "message from " + PeerIds.hex(m.from()) + " to " + PeerIds.hex(m.to()) + " on " + subject);
            return;
        }
        GroupTransport t;
        lock.lock();
        try {
            t = open.get(new Key(group, to));
        } finally {
            lock.unlock();
        }
        if (t == null || !t.deliver(m)) {
            droppedNoTransport.increment();
        }
    }

    /** The peer id of a server name (cached: every received message asks); -1 for none. */
    private long peerId(String serverName) {
        Long id = ids.get(serverName);
        if (id == null) {
            try {
                id = PeerIds.of(serverName);
            } catch (IllegalArgumentException e) {
                id = -1L;
            }
            ids.put(serverName, id);
        }
        return id;
    }

    private void dropCorrupt(InternalPeer route, String why) {
        corrupt.increment();
        log.debug("Route " + route.remoteAddress() + ": dropped a corrupt Raft message: " + why);
    }

    /** Queues an encoded message for its peer (or hands it to a replica open here); never blocks. */
    private void send(Key from, Message m) {
        byte[] payload = MessageCodec.encode(m);
        GroupTransport local;
        Outbox o;
        lock.lock();
        try {
            local = open.get(new Key(from.group(), m.to()));
            o = peers.get(m.to());
        } finally {
            lock.unlock();
        }
        if (local != null) {
            // two replicas of one group on this node (tests): no route between them
            sent.increment();
            local.deliver(m);
            return;
        }
        if (o == null) {
            droppedNoRoute.increment();
            return;
        }
        o.offer(subject(from.group(), m.to()), payload);
    }

    private void closed(GroupTransport t) {
        lock.lock();
        try {
            open.remove(t.key, t);
        } finally {
            lock.unlock();
        }
    }

    /** One replica's transport. */
    private final class GroupTransport implements Transport {
        private final Key key;
        private volatile Consumer<Message> inbound;
        private volatile boolean closed;

        GroupTransport(Key key) {
            this.key = key;
        }

        @Override
        public void start(Consumer<Message> sink) {
            inbound = sink;
        }

        boolean deliver(Message m) {
            Consumer<Message> sink = inbound;
            if (sink == null || closed) {
                return false;
            }
            sink.accept(m);
            return true;
        }

        @Override
        public void send(Message m) {
            if (!closed && m.from() == key.id()) {
                RouteGroupTransports.this.send(key, m);
            }
        }

        @Override
        public void close() {
            closed = true;
            closed(this);
        }
    }

    /** A weft peer's bounded queue, drained into its route by one sender thread. */
    private final class Outbox {
        private record Item(String subject, byte[] payload) {
        }

        final long peer;
        final InternalPeer route;
        private final ReentrantLock olock = new ReentrantLock();
        private final Condition ready = olock.newCondition();
        private final ArrayDeque<Item> queue = new ArrayDeque<>();
        private long bytes;
        private boolean stop;
        /** The sender thread holds an item it took from the queue and has not handed to the route yet. */
        private boolean inHand;

        Outbox(long peer, InternalPeer route) {
            this.peer = peer;
            this.route = route;
        }

        void offer(String subject, byte[] payload) {
            if (payload.length > route.maxPending() / 4) {
                droppedTooLarge.increment();
                return;
            }
            olock.lock();
            try {
                if (stop) {
                    droppedNoRoute.increment();
                    return;
                }
                if (queue.isEmpty() && !inHand && !route.stallAdvised()) {
                    // nothing waits ahead of it and the route takes it without blocking: hand it over
                    // here rather than wake the sender thread (one thread switch less per message on
                    // the replication path; order is kept, as the lock is held and nothing is queued)
                    if (route.sendInternal(subject, payload)) {
                        sent.increment();
                    } else {
                        droppedNoRoute.increment();
                    }
                    return;
                }
                if (queue.size() >= maxQueued || bytes + payload.length > maxQueuedBytes) {
                    droppedQueueFull.increment();
                    return;
                }
                queue.add(new Item(subject, payload));
                bytes += payload.length;
                ready.signal();
            } finally {
                olock.unlock();
            }
        }

        void close() {
            olock.lock();
            try {
                stop = true;
                droppedNoRoute.add(queue.size());
                queue.clear();
                bytes = 0;
                ready.signalAll();
            } finally {
                olock.unlock();
            }
        }

        void run() {
            try {
                while (true) {
                    Item it;
                    olock.lock();
                    try {
                        while (!stop && queue.isEmpty()) {
                            ready.await();
                        }
                        if (stop) {
                            return;
                        }
                        it = queue.poll();
                        bytes -= it.payload().length;
                        inHand = true;
                    } finally {
                        olock.unlock();
                    }
                    try {
                        if (!uncongested()) {
                            droppedCongested.increment();
                            continue;
                        }
                        if (route.sendInternal(it.subject(), it.payload())) {
                            sent.increment();
                        } else {
                            droppedNoRoute.increment();
                        }
                    } finally {
                        olock.lock();
                        try {
                            inHand = false;
                        } finally {
                            olock.unlock();
                        }
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        /** Waits, bounded, while the route is past its stall gate; false when it still is. */
        private boolean uncongested() throws InterruptedException {
            if (!route.stallAdvised()) {
                return true;
            }
            route.awaitDrain(env.clock(), env.clock().nanoTime() + CONGESTION_WAIT_NANOS);
            return !route.stallAdvised();
        }
    }
}
