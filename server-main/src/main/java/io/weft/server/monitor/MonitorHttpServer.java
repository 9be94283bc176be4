package io.weft.server.monitor;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.weft.engine.ServerLog;
import io.weft.engine.ServerOptions;
import io.weft.engine.monitor.HostStats;
import io.weft.engine.monitor.Monitor;
import io.weft.engine.monitor.MonitorRequests;
import io.weft.engine.monitor.MonitorResponse;
import io.weft.engine.monitor.SubsStatsSource;
import io.weft.engine.node.Node;
import io.weft.engine.server.Server;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The HTTP monitoring endpoint ({@code -m}/{@code http_port}): nats-server's /varz, /connz,
 * /subsz, /routez, /healthz, ... served by the JDK's HTTP server, one virtual thread per request.
 * Bound to {@code options.httpHost:httpPort}; port -1 picks a free port (see {@link #port()}).
 */
public final class MonitorHttpServer {
    private final Server server;
    private final ServerLog log;
    private final MonitorRequests requests;
    private final ReentrantLock lock = new ReentrantLock();
    private HttpServer http;
    private ExecutorService executor;

    public MonitorHttpServer(Node node, ServerLog log) {
        this(node, log, null);
    }

    /**
     * @param subsStats an account's sublist statistics for /subsz, /varz and /accountz; null
     *                  counts subscriptions only
     */
    public MonitorHttpServer(Node node, ServerLog log, SubsStatsSource subsStats) {
        this.server = node.server();
        this.log = log;
        this.requests = new MonitorRequests(new Monitor(node, subsStats, new JvmHostStats()));
    }

    /** A monitor of {@code node} that reports the JVM's memory and CPU, as the HTTP endpoint's does. */
    public static Monitor monitorFor(Node node) {
        return new Monitor(node, null, new JvmHostStats());
    }

    /** Binds and starts serving. */
    public void start() throws IOException {
        lock.lock();
        try {
            startLocked();
        } finally {
            lock.unlock();
        }
    }

    private void startLocked() throws IOException {
        if (http != null) {
            return;
        }
        ServerOptions opts = server.options();
        boolean https = opts.httpsPort != 0;
        int configured = https ? opts.httpsPort : opts.httpPort;
        int want = configured < 0 ? 0 : configured;
        HttpServer h;
        if (https) {
            // as nats-server: the client tls block's certificate; client certificates are not asked for here
            io.weft.net.TlsServer tls = opts.tls;
            com.sun.net.httpserver.HttpsServer hs = com.sun.net.httpserver.HttpsServer.create(
                    new InetSocketAddress(opts.httpHost, want), 0);
            String min = tls.settings().minVersion();
            hs.setHttpsConfigurator(new com.sun.net.httpserver.HttpsConfigurator(tls.context()) {
                @Override
                public void configure(com.sun.net.httpserver.HttpsParameters params) {
                    javax.net.ssl.SSLParameters p = getSSLContext().getDefaultSSLParameters();
                    p.setProtocols("1.3".equals(min) ? new String[] {"TLSv1.3"} : new String[] {"TLSv1.3", "TLSv1.2"});
                    p.setNeedClientAuth(false);
                    params.setSSLParameters(p);
                }
            });
            h = hs;
        } else {
            h = HttpServer.create(new InetSocketAddress(opts.httpHost, want), 0);
        }
        h.createContext("/", this::serve);
        executor = Executors.newVirtualThreadPerTaskExecutor();
        h.setExecutor(executor);
        h.start();
        http = h;
        int port = h.getAddress().getPort();
        if (https) {
            requests.monitor().setHttpsAddress(opts.httpHost, port);
            log.notice("Starting https monitor on " + hostPort(opts.httpHost, port));
        } else {
            requests.monitor().setHttpAddress(opts.httpHost, port);
            log.notice("Starting http monitor on " + hostPort(opts.httpHost, port));
        }
    }

    /** Stops serving at once (monitoring requests are short). */
    public void stop() {
        lock.lock();
        try {
            HttpServer h = http;
            if (h == null) {
                return;
            }
            http = null;
            h.stop(0);
            executor.close();
        } finally {
            lock.unlock();
        }
    }

    /** The bound port, or -1 when not started. */
    public int port() {
        lock.lock();
        try {
            return http == null ? -1 : http.getAddress().getPort();
        } finally {
            lock.unlock();
        }
    }

    /** The monitor behind the endpoint (for tests and for wiring). */
    public Monitor monitor() {
        return requests.monitor();
    }

    private void serve(HttpExchange ex) throws IOException {
        try (ex) {
            MonitorResponse r;
            try {
                r = requests.handle(ex.getRequestURI().getPath(), ex.getRequestURI().getRawQuery());
            } catch (RuntimeException e) {
                log.error("Error handling monitoring request " + ex.getRequestURI() + ": " + e);
                r = new MonitorResponse(500, MonitorResponse.TEXT, "internal error\n".getBytes());
            }
            ex.getResponseHeaders().set("Content-Type", r.contentType());
            if (r.status() == 404) {
                ex.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
            }
            boolean head = "HEAD".equalsIgnoreCase(ex.getRequestMethod());
            byte[] body = r.body();
            ex.sendResponseHeaders(r.status(), head || body.length == 0 ? -1 : body.length);
            if (!head && body.length > 0) {
                try (OutputStream out = ex.getResponseBody()) {
                    out.write(body);
                }
            }
        }
    }

    private static String hostPort(String host, int port) {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }

    /** Process figures from the JVM: committed heap as memory, process CPU load. */
    static final class JvmHostStats implements HostStats {
        @Override
        public long memoryBytes() {
            return Runtime.getRuntime().totalMemory();
        }

        @Override
        public double cpuPercent() {
            if (java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                    instanceof com.sun.management.OperatingSystemMXBean os) {
                double load = os.getProcessCpuLoad();
                if (load >= 0) {
                    // nats-server reports percent of one core, like ps
                    return Math.round(load * cores() * 1000) / 10.0;
                }
            }
            return 0;
        }

        @Override
        public int cores() {
            return Runtime.getRuntime().availableProcessors();
        }

        @Override
        public int maxProcs() {
            return Runtime.getRuntime().availableProcessors();
        }
    }
}
