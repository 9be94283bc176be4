package io.weft.server.bench;

import io.weft.net.Env;
import io.weft.raft.ConfState;
import io.weft.raft.Entry;
import io.weft.raft.Role;
import io.weft.raft.Snapshot;
import io.weft.raft.driver.DriverConfig;
import io.weft.raft.driver.NetTransport;
import io.weft.raft.driver.RaftDriver;
import io.weft.raft.driver.RaftException;
import io.weft.raft.driver.StateMachine;
import io.weft.server.cli.UsageException;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * {@code weft bench raft}: commits per second of one Raft group in this process, on the real disk
 * (every Ready fsynced before its messages leave, so concurrent proposals share fsyncs: group
 * commit) and real loopback sockets. Each client proposes its share one at a time and waits until
 * its entry is applied on the leader, i.e. committed on a quorum; the throughput therefore comes
 * from many clients sharing each fsync, as JetStream publishers will.
 */
public final class RaftBench {
    /** What the run is told to do. */
    record Options(int nodes, long msgs, int size, int clients, Path dir, boolean json) {
        static Options parse(String[] args) throws UsageException {
            int nodes = 3;
            long msgs = 20_000;
            int size = 128;
            int clients = 64;
            Path dir = null;
            boolean json = false;
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                switch (a) {
                    case "--nodes" -> nodes = (int) BenchOptions.count(a, value(args, ++i, a), 1000);
                    case "--msgs" -> msgs = BenchOptions.count(a, value(args, ++i, a), 1000);
                    case "--size" -> size = (int) BenchOptions.count(a, value(args, ++i, a), 1000);
                    case "--clients" -> clients = (int) BenchOptions.count(a, value(args, ++i, a), 1000);
                    case "--dir" -> dir = Path.of(value(args, ++i, a));
                    case "--json" -> json = true;
                    default -> throw new UsageException("weft bench raft: unknown flag " + a);
                }
            }
            if (nodes < 1 || nodes > 7) throw new UsageException("--nodes must be 1..7");
            if (clients < 1 || msgs < clients) throw new UsageException("--msgs must be at least --clients (>= 1)");
            return new Options(nodes, msgs, size, clients, dir, json);
        }

        private static String value(String[] args, int i, String flag) throws UsageException {
            if (i >= args.length) throw new UsageException(flag + " needs a value");
            return args[i];
        }
    }

    /** A state machine that only counts: the bench measures Raft, not an application. */
    private static final class Counter implements StateMachine {
        private long applied;

        @Override
        public byte[] apply(Entry entry) {
            applied++;
            return null;
        }

        @Override
        public byte[] snapshot() {
            return Long.toString(applied).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        }

        @Override
        public void restore(Snapshot snapshot) {
            applied = 0;
        }
    }

    /** Tries per entry across leader changes before the client gives that entry up. */
    private static final int MAX_ATTEMPTS = 5_000;

    private RaftBench() {
    }

    public static int run(String[] args, PrintStream out, PrintStream err) {
        Options o;
        try {
            o = Options.parse(args);
        } catch (UsageException e) {
            err.println(e.getMessage());
            err.println("Usage: weft bench raft [--nodes 3] [--msgs 20K] [--size 128] [--clients 64] [--dir DIR] [--json]");
            return 2;
        }
        try {
            Result r = measure(o);
            out.println(o.json ? r.json() : r.text());
            return 0;
        } catch (Exception e) {
            err.println("weft bench raft: " + e);
            return 1;
        }
    }

    record Result(Options o, long committed, long failed, long nanos, Latency latency) {
        double perSecond() {
            return committed * 1e9 / nanos;
        }

        String text() {
            return String.format(java.util.Locale.ROOT,
                    "raft %d nodes, %d clients, %d B entries: %,d committed in %.2f s = %,.0f commits/s;"
                            + " commit latency p50 %.2f ms, p99 %.2f ms, max %.2f ms; %d refused",
                    o.nodes, o.clients, o.size, committed, nanos / 1e9, perSecond(),
                    latency.percentile(50) / 1e6, latency.percentile(99) / 1e6, latency.max() / 1e6, failed);
        }

        String json() {
            return String.format(java.util.Locale.ROOT,
                    "{\"scenario\":\"raft\",\"nodes\":%d,\"clients\":%d,\"size\":%d,\"committed\":%d,\"failed\":%d,"
                            + "\"seconds\":%.3f,\"commits_per_sec\":%.1f,\"p50_ms\":%.3f,\"p99_ms\":%.3f}",
                    o.nodes, o.clients, o.size, committed, failed, nanos / 1e9, perSecond(),
                    latency.percentile(50) / 1e6, latency.percentile(99) / 1e6);
        }
    }

    static Result measure(Options o) throws Exception {
        Path dir = o.dir != null ? Files.createDirectories(o.dir) : Files.createTempDirectory("weft-raft-bench-");
        List<RaftDriver> drivers = new ArrayList<>();
        try {
            startGroup(o, dir, drivers);
            return load(o, drivers);
        } finally {
            drivers.forEach(RaftDriver::stop);
            if (o.dir == null) deleteTree(dir);
        }
    }

    private static void startGroup(Options o, Path dir, List<RaftDriver> drivers) throws IOException {
        Map<Long, NetTransport.Address> peers = new TreeMap<>();
        List<Long> ids = new ArrayList<>();
        for (long id = 1; id <= o.nodes; id++) {
            peers.put(id, new NetTransport.Address("127.0.0.1", freePort()));
            ids.add(id);
        }
        ConfState conf = ConfState.of(ids);
        for (long id : ids) {
            Env env = Env.real();
            NetTransport t = new NetTransport(env, peers.get(id), peers, 4096, Duration.ofSeconds(1));
            String nodeDir = dir.resolve("n" + id).toAbsolutePath().toString();
            drivers.add(RaftDriver.start(env, DriverConfig.of(id, nodeDir, conf).withSnapshotEvery(0), new Counter(), t));
        }
    }

    private static RaftDriver awaitLeader(List<RaftDriver> drivers, Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < deadline) {
            for (RaftDriver d : drivers) {
                if (d.softState().role() == Role.LEADER) return d;
            }
            Thread.sleep(10);
        }
        throw new IllegalStateException("no leader elected within " + limit);
    }

    /**
     * Each client proposes its share one entry at a time through the replica that leads. A refused
     * proposal (the leader changed: on a loaded machine an election timeout can pass) counts as
     * refused, and the client finds the new leader and proposes the entry again.
     */
    private static Result load(Options o, List<RaftDriver> drivers) throws InterruptedException {
        byte[] payload = new byte[o.size];
        AtomicLong committed = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        java.util.concurrent.atomic.AtomicReference<RaftDriver> leader =
                new java.util.concurrent.atomic.AtomicReference<>(awaitLeader(drivers, Duration.ofSeconds(20)));
        Latency all = new Latency();
        List<Thread> threads = new ArrayList<>();
        List<Latency> parts = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int c = 0; c < o.clients; c++) {
            long share = o.msgs / o.clients + (c < o.msgs % o.clients ? 1 : 0);
            Latency mine = new Latency();
            parts.add(mine);
            threads.add(Thread.ofVirtual().name("raft-bench-" + c).start(() -> {
                try {
                    for (long i = 0; i < share; i++) {
                        for (int attempt = 0; ; attempt++) {
                            RaftDriver to = leader.get();
                            long s = System.nanoTime();
                            try {
                                to.propose(payload).get(30, TimeUnit.SECONDS);
                                mine.record(System.nanoTime() - s);
                                committed.incrementAndGet();
                                break;
                            } catch (ExecutionException | TimeoutException e) {
                                failed.incrementAndGet();
                                if (e.getCause() instanceof RaftException re && re.kind() == RaftException.Kind.STOPPED) return;
                                if (attempt >= MAX_ATTEMPTS) break; // give this entry up; the count shows it
                                Thread.sleep(1); // the old leader may still believe it leads
                                leader.compareAndSet(to, awaitLeader(drivers, Duration.ofSeconds(20)));
                            }
                        }
                    }
                } catch (InterruptedException | IllegalStateException e) {
                    failed.incrementAndGet();
                }
            }));
        }
        for (Thread t : threads) t.join();
        long nanos = System.nanoTime() - t0;
        parts.forEach(all::add);
        return new Result(o, committed.get(), failed.get(), nanos, all);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
