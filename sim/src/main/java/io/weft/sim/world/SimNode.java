package io.weft.sim.world;

import io.weft.engine.ServerLog;
import io.weft.engine.ServerOptions;
import io.weft.engine.server.Server;
import io.weft.net.Env;
import io.weft.sim.SimClock;
import io.weft.sim.disk.SimDisk;
import io.weft.sim.SimEntropy;
import io.weft.sim.SimScheduler;
import io.weft.sim.SimSpawner;
import io.weft.sim.net.SimNetwork;
import java.io.IOException;

/** One server node of a simulated world: a real engine {@link Server} on a simulated {@link Env}. */
public final class SimNode {
    private final String host;
    private final SimClock clock;
    private final Env env;
    private final ServerOptions options;
    private final ServerLog log;
    private Server server;

    SimNode(String host, SimScheduler scheduler, SimNetwork network, long entropySeed, ServerOptions options) {
        this.host = host;
        String prefix = host + "/";
        this.clock = new SimClock(scheduler, prefix);
        this.env = new Env(clock, network.host(host), new SimDisk(entropySeed ^ 0x5DEECE66DL), new SimEntropy(entropySeed),
                new SimSpawner(scheduler, prefix));
        this.options = options;
        this.log = new TraceLog(scheduler, host);
    }

    /** Creates and starts the server; call from a simulated thread. */
    public void start() throws IOException {
        server = new Server(env, options.copy(), log);
        server.start();
    }

    public void shutdown() {
        Server s = server;
        if (s != null) {
            s.shutdown();
        }
    }

    public String host() {
        return host;
    }

    public int port() {
        return server != null ? server.port() : options.port;
    }

    public Server server() {
        return server;
    }

    public SimClock clock() {
        return clock;
    }

    /** Server log lines go into the trace (and the event log), prefixed with the node. */
    private static final class TraceLog implements ServerLog {
        private final SimScheduler scheduler;
        private final String host;

        TraceLog(SimScheduler scheduler, String host) {
            this.scheduler = scheduler;
            this.host = host;
        }

        private void line(String level, String m) {
            scheduler.note(host + " [" + level + "] " + m);
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
