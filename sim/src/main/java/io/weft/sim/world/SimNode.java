package io.weft.sim.world;

import io.weft.engine.ServerLog;
import io.weft.engine.ServerOptions;
import io.weft.engine.node.Node;
import io.weft.engine.server.Server;
import io.weft.net.Env;
import io.weft.sim.SimClock;
import io.weft.sim.disk.SimDisk;
import io.weft.sim.SimEntropy;
import io.weft.sim.SimScheduler;
import io.weft.sim.SimSpawner;
import io.weft.sim.net.SimNetwork;
import java.io.IOException;
import java.util.List;

/** One server node of a simulated world: a real engine {@link Node} on a simulated {@link Env}. */
public final class SimNode {
    private final String host;
    private final SimScheduler scheduler;
    private final SimNetwork network;
    private final SimDisk disk;
    private final SimClock clock;
    private final Env env;
    private final ServerOptions options;
    private final ServerLog log;
    private Node node;
    private java.util.function.Consumer<Server> onStart;
    private java.util.function.Consumer<Node> beforeStart;

    SimNode(String host, SimScheduler scheduler, SimNetwork network, long entropySeed, ServerOptions options) {
        this.host = host;
        this.scheduler = scheduler;
        this.network = network;
        String prefix = host + "/";
        this.clock = new SimClock(scheduler, prefix, host);
        this.disk = new SimDisk(entropySeed ^ 0x5DEECE66DL);
        this.env = new Env(clock, network.host(host), disk, new SimEntropy(entropySeed),
                new SimSpawner(scheduler, prefix, host));
        this.options = options;
        this.log = new TraceLog(scheduler, host);
    }

    /**
     * Also hands every server log line ({@code "LVL message"}, e.g. {@code "ERR ..."}) to {@code tap},
     * on the logging thread; checkers use it to see what the server reported (say, corruption).
     */
    public void logTap(java.util.function.Consumer<String> tap) {
        ((TraceLog) log).tap = tap;
    }

    /** Creates and starts the server; call from a simulated thread. */
    public void start() throws IOException {
        Node n = new Node(env, options.copy(), log);
        java.util.function.Consumer<Node> before = beforeStart;
        if (before != null) {
            before.accept(n);
        }
        node = n;
        node.start();
        java.util.function.Consumer<Server> hook = onStart;
        if (hook != null) {
            hook.accept(node.server());
        }
    }

    /** Runs {@code hook} with the new server after every start and restart (tests install services with it). */
    public void onStart(java.util.function.Consumer<Server> hook) {
        this.onStart = hook;
    }

    /**
     * Runs {@code hook} with every new {@link Node} before it starts (first start and restarts);
     * scenarios wire test-only switches with it (say, {@link Node#groupLogs}).
     */
    public void beforeStart(java.util.function.Consumer<Node> hook) {
        this.beforeStart = hook;
    }

    /** The node's environment (its clock, network, disk, entropy and spawner). */
    public Env env() {
        return env;
    }

    public void shutdown() {
        if (scheduler.paused(host)) {
            scheduler.resume(host);
        }
        Node n = node;
        if (n != null) {
            n.shutdown();
        }
    }

    /**
     * The node's process dies: every one of its threads is abandoned mid-step (never scheduled
     * again), its listener closes and its connections reset, and its disk loses what was not
     * synced. The server object is dropped; {@link #restart()} builds a new one.
     */
    public void crash() {
        int threads = scheduler.kill(host);
        network.crashHost(host);
        List<String> torn = disk.crash();
        scheduler.note(host + " crashed (" + threads + " threads" + (torn.isEmpty() ? "" : ", torn " + torn) + ")");
        node = null;
    }

    /** Starts a new server on the same host, port, clock and disk (after {@link #crash()}). */
    public void restart() throws IOException {
        scheduler.note(host + " restart");
        start();
    }

    /** The node's threads are not scheduled until {@link #resume()} (a stop-the-world pause). */
    public void pause() {
        scheduler.pause(host);
    }

    public void resume() {
        scheduler.resume(host);
    }

    /** True between {@link #crash()} and the next start. */
    public boolean down() {
        return node == null;
    }

    public SimDisk disk() {
        return disk;
    }

    public String host() {
        return host;
    }

    public int port() {
        return node != null ? node.port() : options.port;
    }

    /** The node's core server, or null while it is down. */
    public Server server() {
        Node n = node;
        return n == null ? null : n.server();
    }

    /** The assembled node (core server and JetStream), or null while it is down. */
    public Node node() {
        return node;
    }

    public SimClock clock() {
        return clock;
    }

    /** Server log lines go into the trace (and the event log), prefixed with the node. */
    private static final class TraceLog implements ServerLog {
        private final SimScheduler scheduler;
        private final String host;
        private volatile java.util.function.Consumer<String> tap;

        TraceLog(SimScheduler scheduler, String host) {
            this.scheduler = scheduler;
            this.host = host;
        }

        private void line(String level, String m) {
            scheduler.note(host + " [" + level + "] " + m);
            java.util.function.Consumer<String> t = tap;
            if (t != null) {
                t.accept(level + " " + m);
            }
        }

        @Override public void fatal(String m) { line("FTL", m); }
        @Override public void error(String m) { line("ERR", m); }
        @Override public void warn(String m) { line("WRN", m); }
        @Override public void notice(String m) { line("INF", m); }
        @Override public void debug(String m) { line("DBG", m); }
        @Override public void trace(String m) { line("TRC", m); }
        @Override public boolean isDebug() { return true; }
        @Override public boolean isTrace() { return false; }
    }
}
