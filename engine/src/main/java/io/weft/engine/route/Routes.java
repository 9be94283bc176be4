package io.weft.engine.route;

import io.weft.engine.ServerLog;
import io.weft.engine.ServerOptions;
import io.weft.engine.server.Account;
import io.weft.net.Conn;
import io.weft.net.Listener;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The routes of one server: the cluster listener, the explicit routes dialled (and re-dialled with
 * backoff while the server runs), and the count of local interest announced to every peer:
 * {@code RS+} on 0 -> 1 and {@code RS-} on N -> 0 for plain subscriptions, {@code RS+ ... <queue>
 * <weight>} on every change of a queue group's member count, and a full dump of it to a new route.
 */
public final class Routes {
    /** First re-dial delay of an explicit route; doubled per failed attempt up to {@link #MAX_BACKOFF}. */
    static final Duration FIRST_BACKOFF = Duration.ofSeconds(1);
    static final Duration MAX_BACKOFF = Duration.ofSeconds(30);
    /** nats-server caps the route ping interval at this. */
    static final Duration MAX_PING = Duration.ofSeconds(30);

    private record Key(String account, String subject, String queue) {
    }

    final RouteHost host;
    private final ReentrantLock lock = new ReentrantLock();
    /** Local client interest, counted per (account, subject, queue); insertion order, so dumps are deterministic. */
    private final Map<Key, Integer> counts = new LinkedHashMap<>();
    /** Routes whose peer is known (its INFO arrived), in the order they came up. */
    private final List<RouteConnection> routes = new ArrayList<>();
    private volatile boolean running;
    private volatile Listener listener;
    private volatile String clusterName;
    private volatile boolean dynamicName;

    public Routes(RouteHost host) {
        this.host = host;
        host.onLocalInterest(this::changed);
    }

    /** True when the options ask for a cluster (a cluster port, or explicit routes). */
    public static boolean configured(ServerOptions o) {
        return o.clusterPort >= 0 || !o.routes.isEmpty();
    }

    /** Binds the cluster listener and starts dialling the explicit routes. */
    public void start() throws IOException {
        ServerOptions o = host.options();
        ServerLog log = host.log();
        clusterName = o.clusterName;
        if (clusterName.isEmpty()) {
            // nats-server makes up a name when none is configured, and calls it dynamic
            dynamicName = true;
            byte[] b = new byte[16];
            host.env().entropy().nextBytes(b);
            StringBuilder sb = new StringBuilder();
            for (byte x : b) {
                sb.append("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".charAt((x & 0xff) % 36));
            }
            clusterName = sb.toString();
        }
        running = true;
        if (o.clusterPort >= 0) {
            listener = host.env().network().listen(o.clusterHost, o.clusterPort);
            log.notice("Cluster name is " + clusterName);
            log.notice("Listening for route connections on " + hostPort(o.clusterHost, listener.port()));
            host.env().spawner().spawn("route-accept", this::acceptLoop);
        }
        for (String url : o.routes) {
            host.env().spawner().spawn("route-dial " + url, () -> dialLoop(url));
        }
    }

    /** Closes the listener and every route. */
    public void stop() {
        running = false;
        Listener l = listener;
        if (l != null) {
            l.close();
        }
        for (RouteConnection rc : snapshot()) {
            rc.close("Server Shutdown");
        }
    }

    /** The bound cluster port; -1 when there is no listener. */
    public int port() {
        Listener l = listener;
        return l == null ? -1 : l.port();
    }

    String clusterName() {
        return clusterName;
    }

    boolean dynamicName() {
        return dynamicName;
    }

    boolean running() {
        return running;
    }

    /** Routes that are up (their peer's INFO arrived). */
    public List<RouteConnection> snapshot() {
        lock.lock();
        try {
            return new ArrayList<>(routes);
        } finally {
            lock.unlock();
        }
    }

    private void acceptLoop() {
        Listener l = listener;
        while (running) {
            Conn conn;
            try {
                conn = l.accept();
            } catch (IOException e) {
                if (running) {
                    host.log().error("Error accepting route connection: " + e.getMessage());
                    continue;
                }
                return;
            }
            RouteConnection rc = new RouteConnection(this, conn, false, null);
            host.env().spawner().spawn("route-in " + conn.remoteHost() + ":" + conn.remotePort(), rc::run);
        }
    }

    /** Dials one explicit route, and again after it drops or a dial fails, until the server stops. */
    private void dialLoop(String url) {
        String h = url;
        int p;
        int colon = url.lastIndexOf(':');
        try {
            p = Integer.parseInt(url.substring(colon + 1));
            h = url.substring(0, colon);
            if (h.startsWith("[") && h.endsWith("]")) {
                h = h.substring(1, h.length() - 1);
            }
        } catch (RuntimeException e) {
            host.log().error("Invalid route URL " + url);
            return;
        }
        Duration backoff = FIRST_BACKOFF;
        while (running) {
            RouteConnection up = routeTo(Routes.hostPort(h, p));
            if (up != null) {
                // the server at this URL is connected already (it dialled us): dialling it again would
                // only make a duplicate, which may replace the working route and drop what is in flight
                up.awaitClosed();
                if (!sleep(backoff)) {
                    return;
                }
                continue;
            }
            RouteConnection rc;
            try {
                Conn conn = host.env().network().connect(h, p);
                rc = new RouteConnection(this, conn, true, url);
            } catch (IOException e) {
                host.log().debug("Error trying to connect to route (attempt): " + url + ": " + e.getMessage());
                if (!sleep(backoff)) {
                    return;
                }
                backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
                continue;
            }
            rc.run(); // returns when the route is closed
            if (rc.wasRegistered()) {
                backoff = FIRST_BACKOFF;
            }
            RouteConnection other = rc.duplicateOf();
            if (other != null) {
                // the peer is already connected (it dialled us): dial again only once that route drops
                other.awaitClosed();
            }
            if (running && !sleep(backoff)) {
                return;
            }
        }
    }

    private boolean sleep(Duration d) {
        try {
            host.env().clock().sleep(d);
            return running;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * A route whose peer's INFO arrived: refused when the server is already connected by a route
     * both sides prefer (a route that replaces a less preferred one closes it); otherwise it gets the full dump of local interest and from then
     * on every change. Returns the existing route to the same server, or null when registered.
     */
    RouteConnection register(RouteConnection rc, String remoteId) {
        RouteConnection replaced = null;
        lock.lock();
        try {
            for (RouteConnection other : routes) {
                if (remoteId.equals(other.remoteId())) {
                    // two servers that both dial each other keep the same one of the two routes:
                    // the one dialled by the server with the smaller id
                    boolean weDialPreferred = host.serverId().compareTo(remoteId) < 0;
                    if (rc.solicited() == weDialPreferred && other.solicited() != weDialPreferred) {
                        replaced = other;
                        break;
                    }
                    return other;
                }
            }
            if (replaced != null) {
                routes.remove(replaced);
            }
            for (Map.Entry<Key, Integer> e : counts.entrySet()) {
                Key k = e.getKey();
                rc.sendSub(k.account(), k.subject(), k.queue(), e.getValue());
            }
            routes.add(rc);
        } finally {
            lock.unlock();
        }
        if (replaced != null) {
            replaced.close("Duplicate Route");
        }
        return null;
    }

    /** A route that is up to the server whose INFO announced the cluster address {@code hostPort}, or null. */
    private RouteConnection routeTo(String hostPort) {
        lock.lock();
        try {
            for (RouteConnection rc : routes) {
                if (hostPort.equals(rc.peerAddress())) {
                    return rc;
                }
            }
            return null;
        } finally {
            lock.unlock();
        }
    }

    void unregister(RouteConnection rc) {
        lock.lock();
        try {
            routes.remove(rc);
        } finally {
            lock.unlock();
        }
    }

    /** A client subscription came or went: announce the transitions to every route. */
    private void changed(Account account, String subject, String queue, int delta) {
        Key k = new Key(account.name(), subject, queue);
        lock.lock();
        try {
            int before = counts.getOrDefault(k, 0);
            int after = Math.max(0, before + delta);
            if (after == 0) {
                counts.remove(k);
            } else {
                counts.put(k, after);
            }
            if (before == after) {
                return;
            }
            boolean announce = queue != null || before == 0 || after == 0;
            if (!announce) {
                return;
            }
            for (RouteConnection rc : routes) {
                if (after == 0) {
                    rc.sendUnsub(k.account(), subject, queue);
                } else {
                    rc.sendSub(k.account(), subject, queue, after);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    public static String hostPort(String host, int port) {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
}
