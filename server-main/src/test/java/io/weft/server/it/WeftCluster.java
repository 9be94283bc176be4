package io.weft.server.it;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * N weft processes joined by routes, for the clustered tests: node {@code i} has
 * {@code server_name: <prefix><i+1>}, a cluster listener on a free loopback port with explicit
 * routes to every other node, and (unless turned off) JetStream with a store directory of its own
 * that survives {@link #kill}/{@link #restart} and is deleted by {@link #close}. Client and
 * monitoring ports are fixed per node for the fixture's life, so a restarted node comes back on
 * the same addresses.
 *
 * <pre>
 * try (WeftCluster c = WeftCluster.start(3)) {
 *     c.awaitRoutes();
 *     c.kill(0);          // kill -9
 *     c.restart(0);       // same ports, same store
 *     c.awaitRoutes();
 * }
 * </pre>
 */
public final class WeftCluster implements AutoCloseable {
    /** How long {@link #awaitRoutes} waits. */
    public static final Duration UP = Duration.ofSeconds(30);

    private final String prefix;
    private final int[] clusterPorts;
    private final Path root;
    private final List<TestServer> nodes = new ArrayList<>();
    private final boolean jetstream;
    private final String extra;
    private final TestServers.Target target;

    private WeftCluster(int n, String prefix, boolean jetstream, String extra, TestServers.Target target) throws IOException {
        if (n < 1) {
            throw new IllegalArgumentException("a cluster of " + n);
        }
        this.prefix = prefix;
        this.jetstream = jetstream;
        this.extra = extra;
        this.target = target;
        this.clusterPorts = TestServers.freePorts(n);
        this.root = Files.createTempDirectory("weft-cluster-");
    }

    /** Starts {@code n} weft nodes named W1..Wn with JetStream. */
    public static WeftCluster start(int n) {
        return start(n, "W", true, "");
    }

    /**
     * Starts {@code n} nodes named {@code prefix1..prefixN}, with JetStream when {@code jetstream},
     * and {@code extraConfig} appended to every node's configuration file.
     */
    public static WeftCluster start(int n, String prefix, boolean jetstream, String extraConfig) {
        return start(n, prefix, jetstream, extraConfig, TestServers.Target.WEFT);
    }

    /**
     * As {@link #start(int, String, boolean, String)} with {@code target}'s binary: the same
     * configuration runs a nats-server cluster, for differential tests.
     */
    public static WeftCluster start(int n, String prefix, boolean jetstream, String extraConfig, TestServers.Target target) {
        WeftCluster c;
        try {
            c = new WeftCluster(n, prefix, jetstream, extraConfig, target);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            for (int i = 0; i < n; i++) {
                c.nodes.add(TestServers.start(target, c.config(i)));
            }
        } catch (RuntimeException e) {
            c.close();
            throw e;
        }
        return c;
    }

    public int size() {
        return nodes.size();
    }

    public String name(int i) {
        return prefix + (i + 1);
    }

    public TestServer node(int i) {
        return nodes.get(i);
    }

    public List<TestServer> nodes() {
        return List.copyOf(nodes);
    }

    public int clusterPort(int i) {
        return clusterPorts[i];
    }

    /** Node {@code i}'s JetStream store directory (kept across restarts). */
    public Path storeDir(int i) {
        return root.resolve(name(i));
    }

    /** The client URLs of every node, for a client that may fail over. */
    public String[] urls() {
        return nodes.stream().map(TestServer::url).toArray(String[]::new);
    }

    String config(int i) {
        StringBuilder routes = new StringBuilder();
        for (int j = 0; j < clusterPorts.length; j++) {
            if (j != i) {
                routes.append(routes.isEmpty() ? "" : ", ").append("\"nats-route://127.0.0.1:").append(clusterPorts[j])
                        .append("\"");
            }
        }
        StringBuilder conf = new StringBuilder();
        conf.append("server_name: ").append(name(i)).append('\n');
        if (jetstream) {
            conf.append("jetstream { store_dir: \"").append(storeDir(i)).append("\" }\n");
        }
        conf.append("cluster {\n  name: weft-cluster\n  listen: \"127.0.0.1:").append(clusterPorts[i]).append("\"\n");
        if (!routes.isEmpty()) {
            conf.append("  routes: [").append(routes).append("]\n");
        }
        conf.append("}\n").append(extra);
        return conf.toString();
    }

    /** The server names node {@code i}'s /routez lists as connected (empty when it is down). */
    public Set<String> peersOf(int i) throws Exception {
        Set<String> names = new HashSet<>();
        if (!nodes.get(i).isAlive()) {
            return names;
        }
        JsonNode z = ClusterDiscoveryTest.http(nodes.get(i), "/routez");
        for (JsonNode r : z.path("routes")) {
            names.add(r.path("remote_name").asText());
        }
        return names;
    }

    /** Waits until every running node's /routez lists a route to every other running node. */
    public void awaitRoutes() throws Exception {
        long deadline = System.nanoTime() + UP.toNanos();
        String last = "";
        while (System.nanoTime() < deadline) {
            Set<String> running = new HashSet<>();
            for (int i = 0; i < nodes.size(); i++) {
                if (nodes.get(i).isAlive()) {
                    running.add(name(i));
                }
            }
            boolean all = true;
            StringBuilder seen = new StringBuilder();
            for (int i = 0; i < nodes.size() && all; i++) {
                if (!nodes.get(i).isAlive()) {
                    continue;
                }
                Set<String> want = new HashSet<>(running);
                want.remove(name(i));
                Set<String> have;
                try {
                    have = peersOf(i);
                } catch (IOException e) {
                    have = Set.of(); // its monitor is not up yet
                }
                seen.append(name(i)).append(" -> ").append(have).append("; ");
                all = have.containsAll(want);
            }
            last = seen.toString();
            if (all) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("routes not all up after " + UP + ": " + last);
    }

    /** kill -9 of node {@code i}; its store stays. */
    public void kill(int i) {
        nodes.get(i).kill();
    }

    /** Starts node {@code i} again (killing it first if it runs), same ports, same store. */
    public void restart(int i) {
        nodes.get(i).restart();
    }

    /** Kills every node and deletes the store directories. */
    @Override
    public void close() {
        for (TestServer s : nodes) {
            s.close();
        }
        try (Stream<Path> files = Files.walk(root)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // best effort: a temp directory
                }
            });
        } catch (IOException e) {
            // best effort
        }
    }
}
