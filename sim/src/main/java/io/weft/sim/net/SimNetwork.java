package io.weft.sim.net;

import io.weft.net.Conn;
import io.weft.net.Listener;
import io.weft.net.Network;
import io.weft.sim.SimClock;
import io.weft.sim.SimScheduler;
import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * An in-memory network between named hosts. Each connection direction gets a seeded base latency
 * (plus seeded jitter per write that never reorders bytes within the direction), so messages on
 * different connections overtake each other while each connection stays in order. Faults:
 * partitions that refuse new connections or blackhole traffic until healed, and resets.
 *
 * <p>{@link #host(String)} gives the {@link Network} a node sees: it listens on its own host and
 * connects from it. Fault methods must be called from simulated threads.
 */
public final class SimNetwork {
    /** What a partition does to traffic between two hosts. */
    public enum Cut {
        /** Connection attempts are refused; existing connections are reset. */
        REFUSE,
        /** Nothing gets through until healed: connects time out, bytes wait (as TCP retransmits). */
        BLACKHOLE
    }

    /**
     * Link model of a connection direction: base latency uniform in [min, max], jitter per write in
     * [0, jitter], and bandwidth uniform in [minBytesPerSecond, maxBytesPerSecond] (0 = unlimited).
     */
    public record Latency(Duration min, Duration max, Duration jitter, long minBytesPerSecond, long maxBytesPerSecond) {
        /** A LAN: 50-500 µs, up to 100 µs jitter, 1-10 Gbit/s. */
        public static Latency lan() {
            return new Latency(Duration.ofNanos(50_000), Duration.ofNanos(500_000), Duration.ofNanos(100_000),
                    125_000_000L, 1_250_000_000L);
        }
    }

    private static final int FIRST_EPHEMERAL = 49152;
    private static final long SOCKET_BUFFER = 256 * 1024;
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);

    private final SimScheduler scheduler;
    private final SimClock clock;
    private final SplittableRandom random;
    private final Latency latency;
    private final ReentrantLock lock = new ReentrantLock();
    private final TreeMap<String, SimListener> listeners = new TreeMap<>();
    private final TreeMap<String, Integer> nextPort = new TreeMap<>();
    private final TreeMap<String, Cut> cuts = new TreeMap<>();
    private final List<SimConn[]> conns = new ArrayList<>();
    private final List<Pipe> pipes = new ArrayList<>();

    public SimNetwork(SimScheduler scheduler, long seed, Latency latency) {
        this.scheduler = scheduler;
        this.clock = new SimClock(scheduler);
        this.random = new SplittableRandom(seed);
        this.latency = latency;
    }

    /** The network as seen from {@code host}. */
    public Network host(String host) {
        return new Network() {
            @Override
            public Listener listen(String bindHost, int port) throws IOException {
                return SimNetwork.this.listen(host, port);
            }

            @Override
            public Conn connect(String remoteHost, int port) throws IOException {
                return SimNetwork.this.connect(host, remoteHost, port);
            }
        };
    }

    // ---------------------------------------------------------------- faults

    /** Cuts traffic between two hosts, both ways. */
    public void partition(String a, String b, Cut cut) {
        lock.lock();
        try {
            cuts.put(key(a, b), cut);
            cuts.put(key(b, a), cut);
        } finally {
            lock.unlock();
        }
        scheduler.note("partition " + a + " " + b + " " + cut);
        if (cut == Cut.REFUSE) {
            for (SimConn[] pair : connsBetween(a, b)) {
                pair[0].reset();
                pair[1].reset();
            }
        }
    }

    /** Cuts traffic from {@code from} to {@code to} only. */
    public void partitionOneWay(String from, String to, Cut cut) {
        lock.lock();
        try {
            cuts.put(key(from, to), cut);
        } finally {
            lock.unlock();
        }
        scheduler.note("partition-one-way " + from + " " + to + " " + cut);
    }

    /** Removes every partition; held bytes flow again. */
    public void healAll() {
        List<Pipe> all;
        lock.lock();
        try {
            cuts.clear();
            all = new ArrayList<>(pipes);
        } finally {
            lock.unlock();
        }
        scheduler.note("heal");
        for (Pipe p : all) {
            p.poke();
        }
    }

    /** Resets every connection between two hosts. */
    public void resetConnections(String a, String b) {
        scheduler.note("reset " + a + " " + b);
        for (SimConn[] pair : connsBetween(a, b)) {
            pair[0].reset();
            pair[1].reset();
        }
    }

    /**
     * The host's process died: its listeners close (the port is free for a restart) and every
     * connection with an end on it is reset, as the peer's kernel would see a crashed process.
     */
    public void crashHost(String host) {
        scheduler.note("crash-host " + host);
        List<SimListener> ls = new ArrayList<>();
        List<SimConn[]> cs = new ArrayList<>();
        lock.lock();
        try {
            for (SimListener l : listeners.values()) {
                if (l.host().equals(host)) {
                    ls.add(l);
                }
            }
            for (SimConn[] pair : conns) {
                if (pair[0].localHost().equals(host) || pair[0].remoteHost().equals(host)) {
                    cs.add(pair);
                }
            }
        } finally {
            lock.unlock();
        }
        for (SimListener l : ls) {
            l.close();
        }
        for (SimConn[] pair : cs) {
            pair[0].reset();
            pair[1].reset();
        }
    }

    boolean blackholed(String from, String to) {
        lock.lock();
        try {
            return cuts.get(key(from, to)) == Cut.BLACKHOLE;
        } finally {
            lock.unlock();
        }
    }

    private Cut cut(String from, String to) {
        lock.lock();
        try {
            Cut c = cuts.get(key(from, to));
            return c != null ? c : cuts.get(key(to, from));
        } finally {
            lock.unlock();
        }
    }

    private List<SimConn[]> connsBetween(String a, String b) {
        List<SimConn[]> out = new ArrayList<>();
        lock.lock();
        try {
            for (SimConn[] pair : conns) {
                String x = pair[0].localHost();
                String y = pair[0].remoteHost();
                if ((x.equals(a) && y.equals(b)) || (x.equals(b) && y.equals(a))) {
                    out.add(pair);
                }
            }
        } finally {
            lock.unlock();
        }
        return out;
    }

    private static String key(String from, String to) {
        return from + "\u0000" + to;
    }

    // ---------------------------------------------------------------- listen and connect

    private Listener listen(String host, int port) throws IOException {
        lock.lock();
        try {
            int p = port == 0 ? ephemeral(host) : port;
            String k = host + ":" + p;
            if (listeners.containsKey(k)) {
                throw new BindException("Address already in use");
            }
            SimListener l = new SimListener(this, host, p);
            listeners.put(k, l);
            scheduler.note("listen " + k);
            return l;
        } finally {
            lock.unlock();
        }
    }

    void unbind(String host, int port, SimListener l) {
        lock.lock();
        try {
            listeners.remove(host + ":" + port, l);
        } finally {
            lock.unlock();
        }
    }

    private int ephemeral(String host) {
        int p = nextPort.getOrDefault(host, FIRST_EPHEMERAL);
        nextPort.put(host, p + 1);
        return p;
    }

    private Conn connect(String from, String to, int port) throws IOException {
        Cut c = cut(from, to);
        if (c == Cut.BLACKHOLE) {
            sleep(CONNECT_TIMEOUT);
            throw new SocketTimeoutException("Connect timed out");
        }
        long there = pickLatency();
        long back = pickLatency();
        sleep(Duration.ofNanos(there));
        SimListener l;
        int localPort;
        lock.lock();
        try {
            l = cut(from, to) == null ? listeners.get(to + ":" + port) : null;
            localPort = ephemeral(from);
        } finally {
            lock.unlock();
        }
        if (l == null) {
            sleep(Duration.ofNanos(back));
            scheduler.note("refused " + from + " -> " + to + ":" + port);
            throw new ConnectException("Connection refused");
        }
        long jitter = latency.jitter().toNanos();
        Pipe up = new Pipe(this, clock, from, to, there, jitter, pickBandwidth(), SOCKET_BUFFER);
        Pipe down = new Pipe(this, clock, to, from, back, jitter, pickBandwidth(), SOCKET_BUFFER);
        SimConn client = new SimConn(down, up, from, localPort, to, port);
        SimConn server = new SimConn(up, down, to, port, from, localPort);
        lock.lock();
        try {
            conns.add(new SimConn[] {client, server});
            pipes.add(up);
            pipes.add(down);
            pruneFinished();
        } finally {
            lock.unlock();
        }
        if (!l.offer(server)) {
            sleep(Duration.ofNanos(back));
            throw new ConnectException("Connection refused");
        }
        scheduler.note("connect " + from + ":" + localPort + " -> " + to + ":" + port);
        sleep(Duration.ofNanos(back));
        return client;
    }

    private void pruneFinished() {
        if (pipes.size() < 1024) {
            return;
        }
        pipes.removeIf(Pipe::finished);
        conns.removeIf(pair -> pair[0].finished());
    }

    private long pickBandwidth() {
        long min = latency.minBytesPerSecond();
        long max = latency.maxBytesPerSecond();
        return max > min ? min + nextLong(max - min + 1) : min;
    }

    private long pickLatency() {
        long min = latency.min().toNanos();
        long max = latency.max().toNanos();
        return max > min ? min + nextLong(max - min + 1) : min;
    }

    long nextLong(long bound) {
        lock.lock();
        try {
            return random.nextLong(bound);
        } finally {
            lock.unlock();
        }
    }

    private void sleep(Duration d) throws IOException {
        try {
            clock.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("Interrupted connect");
        }
    }
}
