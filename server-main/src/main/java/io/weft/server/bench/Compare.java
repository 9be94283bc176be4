package io.weft.server.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code weft bench compare}: starts nats-server and weft one after the other on free ports with
 * equivalent settings, runs the same scenarios against each (the order alternates per round),
 * and prints a markdown table of medians with the ratio weft / nats-server. Installs nothing:
 * uses {@code --nats-server PATH} (default /usr/sbin/nats-server) and, for weft, this JVM's own
 * java binary and class path.
 */
public final class Compare {
    enum Better { HIGHER, LOWER }

    /** One row of the table: a figure, which way is better, and the issue's target ratio. */
    record Row(String key, String label, String unit, Better better, double target) {
        String targetText() {
            return (better == Better.HIGHER ? "≥ " : "≤ ") + target;
        }

        boolean met(double ratio) {
            return better == Better.HIGHER ? ratio >= target : ratio <= target;
        }
    }

    static final List<Row> ROWS = List.of(
            new Row("pub16", "publish only, 16 B, 1 publisher", "msgs/s", Better.HIGHER, 1.0),
            new Row("pubsub16", "pub/sub 1:1, 16 B", "msgs/s", Better.HIGHER, 1.0),
            new Row("fanout16", "fan-out 1:5, 16 B", "msgs/s", Better.HIGHER, 1.0),
            new Row("nm16", "5 publishers : 5 subscribers, 16 B", "msgs/s", Better.HIGHER, 1.0),
            new Row("pubsub1k", "1 KB payload, 1:1", "msgs/s", Better.HIGHER, 1.0),
            new Row("pubsub64k", "64 KB payload, 1:1", "msgs/s", Better.HIGHER, 1.0),
            new Row("fanout1k", "fan-out 1:5, 1 KB", "msgs/s", Better.HIGHER, 1.0),
            new Row("cluster16", "pub/sub 1:1 across two routed servers, 16 B (publisher on A, subscriber on B)", "msgs/s",
                    Better.HIGHER, 1.0),
            new Row("cluster1k", "pub/sub 1:1 across two routed servers, 1 KB", "msgs/s", Better.HIGHER, 1.0),
            new Row("reqp50", "request/reply p50 latency", "µs", Better.LOWER, 1.1),
            new Row("reqp99", "request/reply p99 latency", "µs", Better.LOWER, 1.1),
            new Row("idle10k", "idle connections (default 10,000): server RSS", "MiB", Better.LOWER, 2.0),
            new Row("jspubDurable", "JetStream publish R1 file, weft durable acks vs nats `sync_interval: always`", "msgs/s", Better.HIGHER, 1.0),
            new Row("jspubLazy", "JetStream publish R1 file, weft lazy `sync_interval` vs nats default", "msgs/s", Better.HIGHER, 1.0),
            new Row("jsordered", "JetStream ordered-consumer replay", "msgs/s", Better.HIGHER, 1.0),
            new Row("jsr3sync", "JetStream publish R3 file, 3 processes, sync (one at a time), 128 B, weft quorum fsync vs nats"
                    + " `sync_interval: always`", "msgs/s", Better.HIGHER, 1.0),
            new Row("jsr3async", "JetStream publish R3 file, 3 processes, async (window 256), 128 B, weft quorum fsync vs nats"
                    + " `sync_interval: always`", "msgs/s", Better.HIGHER, 1.0));

    static final String NATS = "nats-server";
    static final String WEFT = "weft";

    private final PrintStream out;
    private final PrintStream err;
    int rounds = 3;
    long msgs = 1_000_000;
    /** Requests per request/reply latency run (p99 needs many samples to settle). */
    long reqMsgs = 50_000;
    /** Messages of the durable publish runs (nats-server with sync_interval: always fsyncs each one: keep it modest). */
    long jsMsgs = 50_000;
    /** Messages of the lazy publish runs, and of the stream the ordered consumer then replays (the issue's 1M). */
    long replayMsgs = 1_000_000;
    int idleConns = 10_000;
    /** Messages of the R3 async publish run (--only js-cluster). */
    long r3Msgs = 50_000;
    /** Messages of the R3 sync publish run: one round trip and a quorum fsync each, so fewer. */
    long r3SyncMsgs = 5_000;
    String natsBinary = "/usr/sbin/nats-server";
    String weftJvmOpts = "";
    Path outFile = Path.of("bench-compare.md");
    boolean core = true;
    boolean memory = true;
    boolean js = true;
    /** Two servers joined by a route: the publisher on one, the subscriber on the other (--only cluster). */
    boolean cluster = true;
    /** Three servers of one cluster with JetStream, an R3 file stream, sync and async publish (--only js-cluster). */
    boolean jsCluster = true;
    /** Request/reply latency alone (--only req): the noisiest row, so it can be given more rounds cheaply. */
    boolean latency = false;
    /** key -> server -> values, one per round. */
    final Map<String, Map<String, List<Double>>> values = new LinkedHashMap<>();
    /** Load generator and server CPU seconds per server, summed over the core throughput scenarios. */
    final Map<String, double[]> cpu = new LinkedHashMap<>();
    /** Load generator and summed server CPU seconds per server over the measured R3 publish runs. */
    final Map<String, double[]> r3Cpu = new LinkedHashMap<>();
    final List<String> notes = new ArrayList<>();
    /** Cleared when nats-server refuses {@code sync_interval} (versions before 2.10). */
    boolean natsHasSyncInterval = true;

    Compare(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    public static int run(String[] args, PrintStream out, PrintStream err) {
        Compare c = new Compare(out, err);
        try {
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                if (a.equals("--help") || a.equals("-h")) {
                    c.usage(out);
                    return 0;
                }
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException(a + " needs a value (or is unknown)");
                }
                String v = args[++i];
                switch (a) {
                    case "--rounds" -> c.rounds = Integer.parseInt(v);
                    case "--msgs" -> c.msgs = BenchOptions.count(a, v, 1000);
                    case "--js-msgs" -> c.jsMsgs = BenchOptions.count(a, v, 1000);
                    case "--replay-msgs" -> c.replayMsgs = BenchOptions.count(a, v, 1000);
                    case "--req-msgs" -> c.reqMsgs = BenchOptions.count(a, v, 1000);
                    case "--idle" -> c.idleConns = (int) BenchOptions.count(a, v, 1000);
                    case "--r3-msgs" -> c.r3Msgs = BenchOptions.count(a, v, 1000);
                    case "--r3-sync-msgs" -> c.r3SyncMsgs = BenchOptions.count(a, v, 1000);
                    case "--nats-server" -> c.natsBinary = v;
                    case "--weft-jvm" -> c.weftJvmOpts = v;
                    case "--out" -> c.outFile = Path.of(v);
                    case "--only" -> {
                        List<String> parts = List.of(v.toLowerCase(Locale.ROOT).split("[,\\s]+"));
                        for (String part : parts) {
                            if (!List.of("core", "mem", "memory", "js", "req", "cluster", "js-cluster").contains(part)) {
                                throw new IllegalArgumentException("--only takes core, mem, js, req, cluster, js-cluster; not " + part);
                            }
                        }
                        c.core = parts.contains("core");
                        c.memory = parts.contains("mem") || parts.contains("memory");
                        c.js = parts.contains("js");
                        c.cluster = parts.contains("cluster");
                        c.jsCluster = parts.contains("js-cluster");
                        c.latency = !c.core && parts.contains("req");
                    }
                    default -> throw new IllegalArgumentException("unknown flag " + a);
                }
            }
        } catch (RuntimeException e) {
            err.println("weft bench compare: " + e.getMessage());
            return 2;
        }
        if (!Files.isExecutable(Path.of(c.natsBinary))) {
            err.println("weft bench compare: no nats-server at " + c.natsBinary
                    + " (install the Debian package nats-server, or pass --nats-server PATH); nothing to compare with");
            return 1;
        }
        try {
            c.runAll();
        } catch (Exception e) {
            err.println("weft bench compare: " + e);
            return 1;
        }
        String table = c.table();
        out.println(table);
        try {
            Files.writeString(c.outFile, table, StandardCharsets.UTF_8);
            err.println("weft bench compare: table written to " + c.outFile.toAbsolutePath());
        } catch (IOException e) {
            err.println("weft bench compare: cannot write " + c.outFile + ": " + e);
            return 1;
        }
        return 0;
    }

    void usage(PrintStream o) {
        o.println("Usage: weft bench compare [--rounds 3] [--msgs 1M] [--req-msgs 50K] [--js-msgs 50K] [--replay-msgs 1M]");
        o.println("                          [--idle 10000] [--r3-msgs 50K] [--r3-sync-msgs 5K]");
        o.println("                          [--nats-server /usr/sbin/nats-server] [--weft-jvm \"-Xmx1g\"]");
        o.println("                          [--only core,mem,js,req,cluster,js-cluster] [--out bench-compare.md]");
        o.println("Starts each server in turn on free ports, runs the same scenarios against both, alternating");
        o.println("which goes first each round, and prints medians and the ratio weft / nats-server.");
        o.println("--only req runs the request/reply latency rows alone (core includes them).");
        o.println("--only cluster runs two servers of one cluster (a route on loopback), publisher on the first,");
        o.println("subscriber on the second.");
        o.println("--only js-cluster runs three JetStream servers of one cluster (nats-server with sync_interval: always,");
        o.println("weft with its default quorum fsync), creates an R3 file stream and publishes 128 B messages to it from");
        o.println("a client on the stream leader's server: --r3-sync-msgs one at a time, then --r3-msgs with 256 in flight.");
    }

    private void runAll() throws Exception {
        for (int round = 1; round <= rounds; round++) {
            List<String> order = round % 2 == 1 ? List.of(NATS, WEFT) : List.of(WEFT, NATS);
            for (String server : order) {
                err.printf(Locale.ROOT, "round %d/%d: %s%n", round, rounds, server);
                if (core) {
                    section(server, "core", () -> coreRound(server));
                }
                if (latency) {
                    section(server, "request/reply", () -> latencyRound(server));
                }
                if (memory) {
                    section(server, "idle connections", () -> memoryRound(server));
                }
                if (cluster) {
                    section(server, "cluster", () -> clusterRound(server));
                }
                if (js) {
                    section(server, "JetStream durable", () -> jsRound(server, true));
                    section(server, "JetStream lazy", () -> jsRound(server, false));
                }
                if (jsCluster) {
                    section(server, "JetStream R3", () -> jsClusterRound(server));
                }
            }
        }
    }

    interface Section {
        void run() throws Exception;
    }

    /** Runs one part of a round; a failure is noted in the table and the comparison goes on. */
    private void section(String server, String what, Section body) throws InterruptedException {
        try {
            body.run();
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            String note = server + " " + what + ": " + e.getMessage();
            notes.add(note);
            err.println("  " + note);
        }
    }

    private void record(String key, String server, double v) {
        values.computeIfAbsent(key, k -> new LinkedHashMap<>()).computeIfAbsent(server, k -> new ArrayList<>()).add(v);
    }

    private BenchResult bench(ServerProcess s, String scenario, long n, int size, int pubs, int subs, String... extra) {
        List<String> args = new ArrayList<>(List.of(scenario.split(" ")));
        args.addAll(List.of("--server", "nats://127.0.0.1:" + s.port, "--msgs", Long.toString(n),
                "--size", Integer.toString(size), "--pub", Integer.toString(pubs), "--sub", Integer.toString(subs),
                "--subject", "cmp.bench", "--timeout", "30"));
        args.addAll(List.of(extra));
        BenchOptions o = BenchOptions.parse(args.toArray(String[]::new));
        long server0 = ProcStats.cpuNanos(Long.toString(s.pid()));
        BenchResult r = BenchCommand.runScenario(o, err, false);
        long server1 = ProcStats.cpuNanos(Long.toString(s.pid()));
        r.serverCpuNanos = server0 < 0 || server1 < 0 ? -1 : server1 - server0;
        if (!r.ok()) {
            String note = s.name + " " + scenario + " (size " + size + ", " + pubs + ":" + subs + "): " + String.join("; ", r.errors);
            notes.add(note);
            err.println("  " + note);
        }
        return r;
    }

    private void throughput(ServerProcess s, String key, String scenario, long n, int size, int pubs, int subs) {
        BenchResult r = bench(s, scenario, n, size, pubs, subs);
        if (r.ok()) {
            record(key, s.name, r.msgsPerSec());
            err.printf(Locale.ROOT, "  %-10s %,14.0f msgs/s  (load generator CPU %.2fs, server CPU %.2fs)%n", key,
                    r.msgsPerSec(), r.clientCpuNanos / 1e9, r.serverCpuNanos / 1e9);
            double[] c = cpu.computeIfAbsent(s.name, k -> new double[2]);
            c[0] += r.clientCpuNanos / 1e9;
            c[1] += r.serverCpuNanos / 1e9;
        }
    }

    private void coreRound(String server) throws Exception {
        try (ServerProcess s = start(server, "core", "")) {
            // Warm-up, not recorded: every core scenario once, so that a JIT-compiled server is
            // measured on code compiled for that path (nats-server has no JIT). Measured: weft's
            // pub-only rate climbs from 1.3M to 4-6M msgs/s over its first three 1M runs.
            long w = Math.max(1000, msgs);
            bench(s, "pub", w, 16, 1, 0);
            bench(s, "pub", w, 16, 1, 0);
            bench(s, "pubsub", w, 16, 1, 1);
            bench(s, "pubsub", w / 2, 16, 1, 5);
            bench(s, "pubsub", w / 2, 16, 5, 5);
            bench(s, "pubsub", Math.max(1000, w / 4), 1024, 1, 1);
            bench(s, "req", 5_000, 128, 1, 1);
            throughput(s, "pub16", "pub", msgs, 16, 1, 0);
            throughput(s, "pubsub16", "pubsub", msgs, 16, 1, 1);
            throughput(s, "fanout16", "pubsub", msgs, 16, 1, 5);
            throughput(s, "nm16", "pubsub", msgs, 16, 5, 5);
            throughput(s, "pubsub1k", "pubsub", Math.max(1000, msgs / 4), 1024, 1, 1);
            throughput(s, "pubsub64k", "pubsub", Math.max(1000, msgs / 50), 64 * 1024, 1, 1);
            throughput(s, "fanout1k", "pubsub", Math.max(1000, msgs / 4), 1024, 1, 5);
            requestReply(s);
        }
    }

    /**
     * Two servers of one cluster on loopback, B with an explicit route to A: the publisher connects
     * to A, the subscriber to B, so every message crosses the route (bench waits until the
     * subscriber's interest has reached A before it publishes).
     */
    private void clusterRound(String server) throws Exception {
        int routeA = freePort();
        int routeB = freePort();
        String a = "cluster {\n  name: bench\n  listen: 127.0.0.1:" + routeA + "\n}\n";
        String b = "cluster {\n  name: bench\n  listen: 127.0.0.1:" + routeB + "\n  routes: [nats-route://127.0.0.1:"
                + routeA + "]\n}\n";
        try (ServerProcess sa = start(server, "clusterA", a); ServerProcess sb = start(server, "clusterB", b)) {
            String subServer = "nats://127.0.0.1:" + sb.port;
            long w = Math.max(1000, msgs);
            // warm-up, not recorded (both servers' route paths are JIT-compiled for weft)
            bench(sa, "pubsub", w, 16, 1, 1, "--sub-server", subServer);
            bench(sa, "pubsub", w, 16, 1, 1, "--sub-server", subServer);
            bench(sa, "pubsub", Math.max(1000, w / 4), 1024, 1, 1, "--sub-server", subServer);
            for (Object[] row : new Object[][] {{"cluster16", msgs, 16}, {"cluster1k", Math.max(1000, msgs / 4), 1024}}) {
                String key = (String) row[0];
                long sbCpu0 = ProcStats.cpuNanos(Long.toString(sb.pid()));
                BenchResult r = bench(sa, "pubsub", (Long) row[1], (Integer) row[2], 1, 1, "--sub-server", subServer);
                long sbCpu1 = ProcStats.cpuNanos(Long.toString(sb.pid()));
                if (r.ok()) {
                    record(key, sa.name, r.msgsPerSec());
                    err.printf(Locale.ROOT, "  %-10s %,14.0f msgs/s  (load generator CPU %.2fs, server A CPU %.2fs, B %.2fs)%n",
                            key, r.msgsPerSec(), r.clientCpuNanos / 1e9, r.serverCpuNanos / 1e9, (sbCpu1 - sbCpu0) / 1e9);
                }
            }
        }
    }

    /**
     * Three servers of one cluster, each with a route to the two others and a JetStream store of its
     * own; nats-server with {@code sync_interval: always} (its Raft log fsyncs each append before a
     * follower answers), weft with its default (the Raft log fsyncs before a replica answers and the
     * leader acks once a quorum has): an ack means fsynced on two of three on both sides. The stream
     * is created R3 through the first server; the publisher connects to the stream leader's server
     * (where it lands is up to each server's election, so that the figure does not depend on it).
     */
    private void jsClusterRound(String server) throws Exception {
        int n = 3;
        int[] routes = new int[n];
        for (int i = 0; i < n; i++) {
            routes[i] = freePort();
        }
        Path root = Files.createTempDirectory("weft-compare-r3-");
        List<ServerProcess> nodes = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) {
                StringBuilder peers = new StringBuilder();
                for (int j = 0; j < n; j++) {
                    if (j != i) {
                        peers.append(peers.isEmpty() ? "" : ", ").append("\"nats-route://127.0.0.1:").append(routes[j]).append('"');
                    }
                }
                String conf = "server_name: " + r3Name(i) + "\n"
                        + "jetstream {\n  store_dir: \"" + root.resolve(r3Name(i)) + "\"\n"
                        + (server.equals(NATS) ? "  sync_interval: always\n" : "") + "}\n"
                        + "cluster {\n  name: benchr3\n  listen: \"127.0.0.1:" + routes[i] + "\"\n  routes: [" + peers + "]\n}\n";
                try {
                    nodes.add(start(server, "r3-" + (i + 1), conf));
                } catch (IOException e) {
                    if (server.equals(NATS) && String.valueOf(e.getMessage()).contains("sync_interval")) {
                        // before 2.10: no like-for-like durable cluster to compare with
                        throw new IOException("this nats-server does not know `sync_interval` (added in 2.10), so it has no"
                                + " cluster as durable as weft's to compare with; pass a newer one (bin/fetch-nats-server)");
                    }
                    throw e;
                }
            }
            // create the R3 stream through the first server; JsBench waits for the meta leader,
            // then for the stream's leader and two current replicas
            BenchOptions admin = BenchOptions.parse(new String[] {"js", "pub", "--server", "nats://127.0.0.1:" + nodes.get(0).port,
                    "--subject", "cmp.bench", "--stream", "cmpr3", "--replicas", "3", "--storage", "file", "--timeout", "60"});
            JsBench js = new JsBench(admin, err, false);
            String leader;
            try (BenchConnection c = BenchConnection.connect("127.0.0.1", nodes.get(0).port, "bench-r3-admin", null, null, 10_000)) {
                js.ensureStream(c, admin.stream, js.streamConfig());
                leader = js.awaitStreamLeader(c, admin.stream, System.nanoTime() + TimeUnit.SECONDS.toNanos(60), null)
                        .path("cluster").path("leader").asText();
            }
            int li = -1;
            for (int i = 0; i < n; i++) {
                if (r3Name(i).equals(leader)) {
                    li = i;
                }
            }
            if (li < 0) {
                throw new IOException("stream leader " + leader + " is none of " + r3Name(0) + ".." + r3Name(n - 1));
            }
            ServerProcess at = nodes.get(li);
            err.printf(Locale.ROOT, "  R3 stream leader %s; the publisher connects there%n", leader);
            String[] common = {"--storage", "file", "--stream", "cmpr3", "--replicas", "3"};
            // warm-up, not recorded: both publish paths at half the measured counts (weft's replicated
            // path is JIT-compiled in three JVMs at once: its sync rate was still climbing after 1,000)
            bench(at, "js pub", Math.max(1000, r3Msgs / 2), 128, 1, 0, concat(common, "--async", "--window", "256"));
            bench(at, "js pub", Math.max(100, r3SyncMsgs / 2), 128, 1, 0, concat(common, "--sync"));
            Object[][] runs = {{"jsr3sync", r3SyncMsgs, new String[] {"--sync"}},
                    {"jsr3async", r3Msgs, new String[] {"--async", "--window", "256"}}};
            for (Object[] run : runs) {
                String key = (String) run[0];
                long[] cpu0 = new long[n];
                for (int i = 0; i < n; i++) {
                    cpu0[i] = ProcStats.cpuNanos(Long.toString(nodes.get(i).pid()));
                }
                BenchResult r = bench(at, "js pub", (Long) run[1], 128, 1, 0, concat(common, (String[]) run[2]));
                double servers = 0;
                for (int i = 0; i < n; i++) {
                    servers += (ProcStats.cpuNanos(Long.toString(nodes.get(i).pid())) - cpu0[i]) / 1e9;
                }
                if (r.ok()) {
                    record(key, server, r.msgsPerSec());
                    double[] c = r3Cpu.computeIfAbsent(server, k -> new double[2]);
                    c[0] += r.clientCpuNanos / 1e9;
                    c[1] += servers;
                    String lat = r.latency == null ? "" : String.format(Locale.ROOT, ", ack p50 %.0f µs p99 %.0f µs",
                            r.latency.percentile(50) / 1000.0, r.latency.percentile(99) / 1000.0);
                    err.printf(Locale.ROOT, "  %-10s %,12.0f msgs/s  (load generator CPU %.2fs, the three servers %.2fs%s)%n", key,
                            r.msgsPerSec(), r.clientCpuNanos / 1e9, servers, lat);
                }
            }
        } finally {
            for (ServerProcess p : nodes) {
                p.close();
            }
            deleteTree(root);
        }
    }

    static String r3Name(int i) {
        return "R3N" + (i + 1);
    }

    private static String[] concat(String[] a, String... b) {
        String[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    private void latencyRound(String server) throws Exception {
        try (ServerProcess s = start(server, "req", "")) {
            // the same warm-up as the core round gives the request path before its measured run
            bench(s, "req", 5_000, 128, 1, 1);
            bench(s, "req", 5_000, 128, 1, 1);
            requestReply(s);
        }
    }

    private void requestReply(ServerProcess s) {
        BenchResult r = bench(s, "req", reqMsgs, 128, 1, 1);
        if (r.ok() && r.latency != null) {
            record("reqp50", s.name, r.latency.percentile(50) / 1000.0);
            record("reqp99", s.name, r.latency.percentile(99) / 1000.0);
            err.printf(Locale.ROOT, "  req        p50 %.1f µs  p99 %.1f µs%n", r.latency.percentile(50) / 1000.0,
                    r.latency.percentile(99) / 1000.0);
        }
    }

    private void memoryRound(String server) throws Exception {
        try (ServerProcess s = start(server, "mem", "")) {
            Thread.sleep(500);
            long before = ProcStats.rssBytes(Long.toString(s.pid()));
            List<Socket> conns = IdleConnections.open("127.0.0.1", s.port, idleConns);
            try {
                Thread.sleep(1500);
                long after = ProcStats.rssBytes(Long.toString(s.pid()));
                record("idle10k", s.name, after / (1024.0 * 1024.0));
                err.printf(Locale.ROOT, "  idle       %d connections: RSS %.1f MiB (%.1f MiB before them)%n", conns.size(),
                        after / (1024.0 * 1024.0), before / (1024.0 * 1024.0));
            } finally {
                IdleConnections.close(conns);
            }
        } catch (IOException e) {
            notes.add(server + " idle connections: " + e.getMessage());
            err.println("  idle connections failed: " + e.getMessage());
        }
    }

    private void jsRound(String server, boolean durable) throws Exception {
        Path dir = Files.createTempDirectory("weft-compare-js-");
        String jsConf;
        if (server.equals(NATS)) {
            boolean always = durable && natsHasSyncInterval;
            jsConf = "jetstream {\n  store_dir: \"" + dir + "\"\n" + (always ? "  sync_interval: always\n" : "") + "}\n";
        } else {
            // weft acknowledges after fsync by default; the lazy run asks for nats-server's default interval
            jsConf = "jetstream {\n  store_dir: \"" + dir + "\"\n" + (durable ? "" : "  sync_interval: 2m\n") + "}\n";
        }
        ServerProcess started;
        try {
            started = start(server, durable ? "jsdurable" : "jslazy", jsConf);
        } catch (IOException e) {
            if (server.equals(NATS) && durable && natsHasSyncInterval && String.valueOf(e.getMessage()).contains("sync_interval")) {
                // nats-server before 2.10 has no sync_interval: it always syncs on its own timer
                natsHasSyncInterval = false;
                notes.add("this nats-server does not know `sync_interval` (added in 2.10): the durable JetStream row"
                        + " compares weft's fsync-before-ack against nats-server's default timed sync, which is not like for like");
                deleteTree(dir);
                jsRound(server, durable);
                return;
            }
            deleteTree(dir);
            throw e;
        }
        try (ServerProcess s = started) {
            String key = durable ? "jspubDurable" : "jspubLazy";
            long n = durable ? jsMsgs : replayMsgs;
            BenchResult r = bench(s, "js pub", n, 16, 1, 0, "--async", "--window", "256", "--storage", "file",
                    "--stream", "cmp", "--purge");
            if (r.ok()) {
                record(key, s.name, r.msgsPerSec());
                err.printf(Locale.ROOT, "  %-12s %,12.0f msgs/s%n", key, r.msgsPerSec());
            }
            if (!durable && r.ok()) {
                // the first replay warms the delivery path (weft is JIT-compiled) and is shown, not recorded
                BenchResult cold = bench(s, "js consume", n, 16, 1, 1, "--mode", "ordered", "--stream", "cmp");
                if (cold.ok()) {
                    record("jsorderedCold", s.name, cold.msgsPerSec());
                    err.printf(Locale.ROOT, "  jsordered (first) %,12.0f msgs/s%n", cold.msgsPerSec());
                }
                BenchResult c = bench(s, "js consume", n, 16, 1, 1, "--mode", "ordered", "--stream", "cmp");
                if (c.ok()) {
                    record("jsordered", s.name, c.msgsPerSec());
                    err.printf(Locale.ROOT, "  jsordered  %,12.0f msgs/s%n", c.msgsPerSec());
                }
            }
        } finally {
            deleteTree(dir);
        }
    }

    static void deleteTree(Path dir) {
        try (var walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // temp files; best effort
                }
            });
        } catch (IOException ignored) {
            // already gone
        }
    }

    // ---- the table

    String table() {
        StringBuilder sb = new StringBuilder();
        sb.append("| scenario | nats-server | weft | weft / nats-server | target | met |\n");
        sb.append("|---|---:|---:|---:|---|---|\n");
        for (Row row : ROWS) {
            Map<String, List<Double>> v = values.get(row.key());
            double n = median(v, NATS);
            double w = median(v, WEFT);
            String ratio;
            String met;
            if (Double.isNaN(n) || Double.isNaN(w)) {
                ratio = "n/a";
                met = "not measured";
            } else {
                double q = w / n;
                ratio = String.format(Locale.ROOT, "%.2f", q);
                met = row.met(q) ? "yes" : "**no**";
            }
            sb.append("| ").append(row.label()).append(" | ").append(fmt(n, row.unit())).append(rounds(v, NATS)).append(" | ")
                    .append(fmt(w, row.unit())).append(rounds(v, WEFT)).append(" | ").append(ratio).append(" | ").append(row.targetText())
                    .append(" | ").append(met).append(" |\n");
        }
        sb.append('\n');
        sb.append(String.format(Locale.ROOT, "Medians of %d round(s), %s. Core: %,d msgs per throughput run (1 KB: /4, 64 KB: /50),"
                + " request/reply %,d requests; JetStream: async publish (16 B, window 256) of %,d msgs durable and %,d msgs lazy,"
                + " then the ordered consumer replays the lazy stream twice (the second is the row); %,d idle connections.%n",
                rounds, Instant.now().toString().substring(0, 16).replace('T', ' ') + " UTC", msgs, reqMsgs, jsMsgs, replayMsgs,
                idleConns));
        if (values.containsKey("jsr3sync") || values.containsKey("jsr3async")) {
            sb.append(String.format(Locale.ROOT, "JetStream R3: three processes of one cluster on this machine, an R3 file stream, 128 B"
                    + " messages from one publisher on the stream leader's server: %,d sync publishes (one at a time), then %,d async"
                    + " (window 256), after an unrecorded warm-up of each at half those counts.%n", r3SyncMsgs, r3Msgs));
        }
        for (Map.Entry<String, double[]> e : r3Cpu.entrySet()) {
            sb.append(String.format(Locale.ROOT, "CPU over the R3 publish runs against %s: load generator %.1f s, the three servers %.1f s.%n",
                    e.getKey(), e.getValue()[0], e.getValue()[1]));
        }
        Map<String, List<Double>> cold = values.get("jsorderedCold");
        if (cold != null) {
            sb.append(String.format(Locale.ROOT, "First (cold) replay, not in the table: nats-server %s, weft %s.%n",
                    fmt(median(cold, NATS), "msgs/s"), fmt(median(cold, WEFT), "msgs/s")));
        }
        for (Map.Entry<String, double[]> e : cpu.entrySet()) {
            sb.append(String.format(Locale.ROOT, "CPU over the core throughput runs against %s: load generator %.1f s, server %.1f s"
                    + " (ratio %.2f).%n", e.getKey(), e.getValue()[0], e.getValue()[1], e.getValue()[0] / Math.max(1e-9, e.getValue()[1])));
        }
        if (!notes.isEmpty()) {
            sb.append("\nRuns that failed (not in the medians):\n");
            for (String n : notes) {
                sb.append("- ").append(n).append('\n');
            }
        }
        return sb.toString();
    }

    /** " (k of R rounds)" when some rounds of this figure failed, else "". */
    private String rounds(Map<String, List<Double>> v, String server) {
        int k = v == null || !v.containsKey(server) ? 0 : v.get(server).size();
        return k == 0 || k >= rounds ? "" : " (" + k + " of " + rounds + " rounds)";
    }

    static double median(Map<String, List<Double>> v, String server) {
        if (v == null || !v.containsKey(server)) {
            return Double.NaN;
        }
        return Stats.median(v.get(server).stream().mapToDouble(Double::doubleValue).toArray());
    }

    static String fmt(double v, String unit) {
        if (Double.isNaN(v)) {
            return "–";
        }
        return switch (unit) {
            case "msgs/s" -> String.format(Locale.ROOT, "%,.0f msgs/s", v);
            case "µs" -> String.format(Locale.ROOT, "%.1f µs", v);
            case "MiB" -> String.format(Locale.ROOT, "%.1f MiB", v);
            default -> String.format(Locale.ROOT, "%.2f %s", v, unit);
        };
    }

    // ---- servers

    ServerProcess start(String server, String tag, String extraConf) throws IOException, InterruptedException {
        int port = freePort();
        Path conf = Files.createTempFile("weft-compare-" + tag + "-", ".conf");
        Files.writeString(conf, "port: " + port + "\nhost: 127.0.0.1\n" + extraConf);
        List<String> cmd = new ArrayList<>();
        if (server.equals(NATS)) {
            cmd.addAll(List.of(natsBinary, "-c", conf.toString()));
        } else {
            List<String> jvm = new ArrayList<>(List.of("--add-opens", "java.base/java.lang=ALL-UNNAMED"));
            if (!weftJvmOpts.isBlank()) {
                jvm.addAll(List.of(weftJvmOpts.trim().split("\\s+")));
            }
            jvm.addAll(List.of("-cp", "\"" + System.getProperty("java.class.path") + "\"", "io.weft.server.Main", "serve",
                    "-c", "\"" + conf + "\""));
            // An argument file keeps "io.weft.server.Main" out of the visible command line, so that a
            // `weft --signal` without a pid run elsewhere on the machine (tests do) never picks this server.
            Path argFile = Files.createTempFile("weft-compare-args-", ".txt");
            Files.writeString(argFile, String.join("\n", jvm) + "\n");
            argFile.toFile().deleteOnExit();
            cmd.add(ProcessHandle.current().info().command().orElse("java"));
            cmd.add("@" + argFile);
        }
        Path log = Files.createTempFile("weft-compare-" + server + "-", ".log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        ServerProcess s = new ServerProcess(server, port, p, conf, log);
        try {
            s.awaitReady();
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
        return s;
    }

    static int freePort() throws IOException {
        try (ServerSocket ss = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return ss.getLocalPort();
        }
    }

    static final class ServerProcess implements AutoCloseable {
        final String name;
        final int port;
        final Process process;
        final Path conf;
        final Path log;

        ServerProcess(String name, int port, Process process, Path conf, Path log) {
            this.name = name;
            this.port = port;
            this.process = process;
            this.conf = conf;
            this.log = log;
        }

        long pid() {
            return process.pid();
        }

        void awaitReady() throws IOException, InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (System.nanoTime() < deadline) {
                if (!process.isAlive()) {
                    throw new IOException(name + " exited at start: " + Files.readString(log));
                }
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress("127.0.0.1", port), 500);
                    s.setSoTimeout(2000);
                    InputStream in = s.getInputStream();
                    if (in.read() == 'I') {
                        return;
                    }
                } catch (IOException e) {
                    Thread.sleep(50);
                }
            }
            throw new IOException(name + " not ready on port " + port + " after 30 s");
        }

        @Override
        public void close() {
            process.destroy();
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    process.waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
            try {
                Files.deleteIfExists(conf);
                Files.deleteIfExists(log);
            } catch (IOException ignored) {
                // temp files
            }
        }
    }

    /** Opens many idle client connections (CONNECT + PING, waits for PONG) and keeps them open. */
    static final class IdleConnections {
        private IdleConnections() {
        }

        static List<Socket> open(String host, int port, int n) throws IOException, InterruptedException {
            List<Socket> socks = java.util.Collections.synchronizedList(new ArrayList<>());
            AtomicInteger failed = new AtomicInteger();
            byte[] hello = "CONNECT {\"verbose\":false,\"pedantic\":false,\"name\":\"idle\"}\r\nPING\r\n".getBytes(StandardCharsets.US_ASCII);
            try (var exec = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
                java.util.concurrent.Semaphore inFlight = new java.util.concurrent.Semaphore(64);
                for (int i = 0; i < n; i++) {
                    inFlight.acquire();
                    exec.submit(() -> {
                        try {
                            Socket s = new Socket();
                            s.connect(new InetSocketAddress(host, port), 10_000);
                            s.setSoTimeout(10_000);
                            OutputStream o = s.getOutputStream();
                            o.write(hello);
                            o.flush();
                            if (!readUntilPong(s.getInputStream())) {
                                s.close();
                                failed.incrementAndGet();
                            } else {
                                socks.add(s);
                            }
                        } catch (IOException e) {
                            failed.incrementAndGet();
                        } finally {
                            inFlight.release();
                        }
                    });
                }
            }
            if (failed.get() > 0) {
                close(socks);
                throw new IOException(failed.get() + " of " + n + " idle connections failed");
            }
            return socks;
        }

        private static boolean readUntilPong(InputStream in) throws IOException {
            // skips INFO; PONG is the last thing the server sends after CONNECT+PING
            int state = 0;
            int c;
            byte[] want = "PONG".getBytes(StandardCharsets.US_ASCII);
            while ((c = in.read()) >= 0) {
                state = c == want[state] ? state + 1 : (c == 'P' ? 1 : 0);
                if (state == want.length) {
                    return true;
                }
            }
            return false;
        }

        static void close(List<Socket> socks) {
            for (Socket s : socks) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // closing
                }
            }
        }
    }
}
