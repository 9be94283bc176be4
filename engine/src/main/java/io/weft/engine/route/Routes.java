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
    /** The client URLs each peer advertised in its route INFO ({@code connect_urls}), by server id. */
    private final Map<String, List<String>> peerClientUrls = new LinkedHashMap<>();
    /** Route URLs ({@code host:port}) with a dial loop running, explicit and implicit. */
    private final java.util.Set<String> dialing = new java.util.HashSet<>();
    /** Route ids ({@code rid} in /routez), one per connection. */
    private final java.util.concurrent.atomic.AtomicLong rids = new java.util.concurrent.atomic.AtomicLong();
    private volatile boolean lameDuck;
    /** Where the internal traffic of weft peers goes (the Raft groups' transport); null: dropped. */
    private volatile InternalTraffic internal;
    /**
     * The explicit routes now configured, each with the token of its dial loop: a loop runs while
     * its URL maps to its own token, so a reload that removes a route ends its loop, and one that
     * adds it back starts a new one.
     */
    private final Map<String, Object> explicit = new LinkedHashMap<>();

    /**
     * What a configured route URL reached: this server itself ({@link #SELF}: the cluster's routes
     * block listed this server too), or the peer named, whether it is weft and runs JetStream.
     */
    public record Resolved(boolean self, String name, boolean weft, boolean jetstream) {
        public static final Resolved SELF = new Resolved(true, "", false, false);
    }

    /** Configured route URL to what it reached, once known (the peer's INFO arrived). */
    private final Map<String, Resolved> resolved = new java.util.concurrent.ConcurrentHashMap<>();

    public Routes(RouteHost host) {
        this.host = host;
        host.onLocalInterest(this::changed);
    }

    /** True when the options ask for a cluster (a cluster port, or explicit routes). */
    public static boolean configured(ServerOptions o) {
        return o.clusterPort >= 0 || !o.routes.isEmpty();
    }

    /**
     * Sets the receiver of internal traffic ({@link InternalTraffic}); call before {@link #start}.
     * It is told of every weft peer's route that comes up and goes, in order, under the routes' lock.
     */
    public void internalTraffic(InternalTraffic receiver) {
        this.internal = receiver;
    }

    InternalTraffic internalTraffic() {
        return internal;
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
        }
        if (o.clusterTls != null && o.clusterTlsInsecure) {
            log.warn("TLS certificate chain and hostname of solicited routes will not be verified. DO NOT USE IN PRODUCTION!");
        }
        if (o.clusterPort >= 0) {
            host.env().spawner().spawn("route-accept", this::acceptLoop);
        }
        for (String url : o.routes) {
            startExplicit(url);
        }
        host.env().spawner().spawn("route-housekeeping", this::housekeepingLoop);
    }

    /**
     * The configuration was reloaded: accepted routes whose CONNECT no longer passes the cluster
     * authorization are closed, as nats-server does; new routes meet the new authorization and TLS.
     */
    public void reloaded() {
        ServerOptions o = host.options();
        if (!o.clusterName.isEmpty() && !o.clusterName.equals(clusterName)) {
            // as nats-server: the new name goes into the INFO of new routes and clients; routes that are up stay
            clusterName = o.clusterName;
            dynamicName = false;
            host.log().notice("Cluster name updated to " + clusterName);
        }
        for (RouteConnection rc : snapshot()) {
            rc.reauthorize(o);
        }
        // routes: as nats-server, the removed ones are closed and not dialled again, the new ones dialled
        List<String> removed = new ArrayList<>();
        List<String> added = new ArrayList<>();
        lock.lock();
        try {
            for (String url : explicit.keySet()) {
                if (!o.routes.contains(url)) {
                    removed.add(url);
                }
            }
            for (String url : o.routes) {
                if (!explicit.containsKey(url)) {
                    added.add(url);
                }
            }
            for (String url : removed) {
                explicit.remove(url);
            }
        } finally {
            lock.unlock();
        }
        for (String url : removed) {
            for (RouteConnection rc : snapshot()) {
                if (rc.configured() && url.equals(rc.url())) {
                    rc.close("Route Removed");
                }
            }
            host.log().notice("Removed route nats-route://" + url);
        }
        for (String url : added) {
            startExplicit(url);
        }
        if (!removed.isEmpty() || !added.isEmpty()) {
            host.log().notice("Reloaded: cluster routes");
        }
    }

    private void startExplicit(String url) {
        Object token = new Object();
        lock.lock();
        try {
            explicit.put(url, token);
            dialing.add(url);
        } finally {
            lock.unlock();
        }
        host.env().spawner().spawn("route-dial " + url, () -> dialLoop(url, false, token));
    }

    /** True while the dial loop with {@code token} should go on: the server runs and, for an explicit route, it is still configured. */
    private boolean wanted(String url, Object token) {
        if (!running) {
            return false;
        }
        if (token == null) {
            return true;
        }
        lock.lock();
        try {
            return explicit.get(url) == token;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Closes the listener and every route. A route still being set up (a dial or an accept in
     * flight) is refused when it registers ({@link #register}), so none outlives the stop.
     */
    public void stop() {
        List<RouteConnection> up;
        lock.lock();
        try {
            running = false;
            up = new ArrayList<>(routes);
        } finally {
            lock.unlock();
        }
        Listener l = listener;
        if (l != null) {
            l.close();
        }
        for (RouteConnection rc : up) {
            rc.close("Server Shutdown");
        }
    }

    void resolved(String url, Resolved r) {
        if (url != null && host.options().routes.contains(url)) {
            resolved.put(url, r);
        }
    }

    /**
     * The configured routes ({@code cluster.routes}, in their order) with what each reached, null
     * for one not reached yet; once reached, a URL stays resolved to the last peer seen there.
     */
    public Map<String, Resolved> configuredRoutes() {
        Map<String, Resolved> out = new LinkedHashMap<>();
        for (String url : host.options().routes) {
            out.put(url, resolved.get(url));
        }
        return out;
    }

    private volatile List<String> metaMembers = List.of();

    /**
     * Announces, in this server's route INFO ({@code weft_meta}), the JetStream meta group members
     * it starts (or started) with, so its peers can check they agree; sent again to every route now.
     */
    public void announceMetaMembers(List<String> members) {
        metaMembers = List.copyOf(members);
        for (RouteConnection rc : snapshot()) {
            rc.sendInfoUpdate();
        }
    }

    List<String> metaMembers() {
        return metaMembers;
    }

    /** The meta group members each connected weft peer announced, by server name (empty list: none yet). */
    public Map<String, List<String>> peersMetaMembers() {
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (RouteConnection rc : snapshot()) {
            if (rc.weftPeer() && rc.remoteName() != null) {
                out.put(rc.remoteName(), rc.remoteMetaMembers());
            }
        }
        return out;
    }

    /** The bound cluster port; -1 when there is no listener. */
    public int port() {
        Listener l = listener;
        return l == null ? -1 : l.port();
    }

    public String clusterName() {
        return clusterName;
    }

    long nextRid() {
        return rids.incrementAndGet();
    }

    boolean lameDuckMode() {
        return lameDuck;
    }

    /**
     * Lame duck mode: every peer gets our INFO again with {@code ldm: true}, so that it stops
     * advertising our client URLs to its clients (nats-server does the same); the routes stay up
     * until the server shuts down.
     */
    public void lameDuck() {
        lameDuck = true;
        for (RouteConnection rc : snapshot()) {
            rc.sendInfoUpdate();
        }
    }

    /** What client INFO says of this cluster: its name and the connect_urls. */
    public io.weft.engine.server.Server.ClusterAdvert clientAdvert() {
        return new io.weft.engine.server.Server.ClusterAdvert() {
            @Override
            public String clusterName() {
                return Routes.this.clusterName();
            }

            @Override
            public List<String> connectUrls() {
                return clientConnectUrls();
            }
        };
    }

    /**
     * The {@code connect_urls} of client INFO: this server's client URL first, then every
     * peer's, without repeats; none at all with {@code no_advertise} (as nats-server).
     */
    public List<String> clientConnectUrls() {
        if (host.options().clusterNoAdvertise) {
            return List.of();
        }
        java.util.LinkedHashSet<String> urls = new java.util.LinkedHashSet<>();
        String own = ownClientUrl(null);
        if (own != null) {
            urls.add(own);
        }
        lock.lock();
        try {
            for (List<String> l : peerClientUrls.values()) {
                urls.addAll(l);
            }
        } finally {
            lock.unlock();
        }
        return List.copyOf(urls);
    }

    /**
     * This server's client URL as peers and clients should dial it: {@code client_advertise}
     * (its port defaults to the client port), else the client listen host; a wildcard host
     * (0.0.0.0, ::) is replaced by the local address {@code via} (or the first route, or the last
     * one) was reached on; null when no route ever came up.
     */
    String ownClientUrl(io.weft.net.Conn via) {
        ServerOptions o = host.options();
        String adv = o.clientAdvertise;
        if (adv != null && !adv.isEmpty()) {
            int colon = adv.lastIndexOf(':');
            boolean hasPort = colon > 0 && adv.indexOf(']') < colon && (adv.indexOf(':') == colon || adv.startsWith("["));
            return hasPort ? adv : hostPort(adv, host.clientPort());
        }
        String h = o.host;
        if (wildcard(h)) {
            if (via != null) {
                h = via.localHost();
            } else {
                RouteConnection first = firstRoute();
                if (first != null) {
                    reachedAt = first.localHost();
                }
                h = reachedAt;
                if (h == null) {
                    return null;
                }
            }
        }
        return hostPort(h, host.clientPort());
    }

    /** The local address the last route reached us on: our client URL's host when we listen on a wildcard. */
    private volatile String reachedAt;

    private RouteConnection firstRoute() {
        lock.lock();
        try {
            return routes.isEmpty() ? null : routes.get(0);
        } finally {
            lock.unlock();
        }
    }

    static boolean wildcard(String h) {
        return h == null || h.isEmpty() || h.equals("0.0.0.0") || h.equals("::") || h.equals("[::]");
    }

    /** A peer's client URLs (from its INFO) changed, or it entered lame duck mode (empty). */
    void peerClientUrls(String remoteId, List<String> urls) {
        boolean changed;
        lock.lock();
        try {
            List<String> before = urls.isEmpty() ? peerClientUrls.remove(remoteId) : peerClientUrls.put(remoteId, urls);
            changed = !java.util.Objects.equals(before == null ? List.of() : before, urls);
        } finally {
            lock.unlock();
        }
        if (changed && !host.options().clusterNoAdvertise) {
            host.clientInfoChanged();
        }
    }

    /**
     * Gossip: a peer told us of a server it has a route to. Unless that server is us, already
     * connected, or already being dialled, we dial it as an implicit route.
     */
    void discovered(String serverId, String routeUrl) {
        if (serverId.equals(host.serverId()) || !running) {
            return;
        }
        String hp = routeHostPort(routeUrl);
        if (hp == null) {
            host.log().debug("Ignoring gossiped route with no usable URL: " + routeUrl);
            return;
        }
        lock.lock();
        try {
            for (RouteConnection rc : routes) {
                if (serverId.equals(rc.remoteId())) {
                    return;
                }
            }
            if (!dialing.add(hp)) {
                return;
            }
        } finally {
            lock.unlock();
        }
        host.log().debug("Connecting to implicit route " + hp + " (" + serverId + ")");
        host.env().spawner().spawn("route-dial " + hp, () -> dialLoop(hp, true, null));
    }

    /** {@code nats-route://host:port/} (or host:port) as host:port; null when it has no port. */
    static String routeHostPort(String url) {
        String rest = url;
        int scheme = rest.indexOf("://");
        if (scheme >= 0) {
            rest = rest.substring(scheme + 3);
        }
        int at = rest.lastIndexOf('@');
        if (at >= 0) {
            rest = rest.substring(at + 1);
        }
        int slash = rest.indexOf('/');
        if (slash >= 0) {
            rest = rest.substring(0, slash);
        }
        int colon = rest.lastIndexOf(':');
        if (colon <= 0 || colon == rest.length() - 1) {
            return null;
        }
        try {
            Integer.parseInt(rest.substring(colon + 1));
        } catch (NumberFormatException e) {
            return null;
        }
        return rest;
    }

    /**
     * A peer with a dynamic cluster name meets one whose name wins (a configured name, or a
     * larger dynamic one): we take it, as nats-server does, and drop the other routes so they
     * come back under the new name. Adopting a configured name makes ours configured too.
     */
    void adoptClusterName(String name, boolean peerDynamic, RouteConnection except) {
        host.log().notice("Cluster name updated to " + name);
        clusterName = name;
        if (!peerDynamic) {
            dynamicName = false;
        }
        for (RouteConnection rc : snapshot()) {
            if (rc != except) {
                rc.close("Cluster Name Conflict");
            }
        }
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
            RouteConnection rc = new RouteConnection(this, conn, false, false, null);
            host.env().spawner().spawn("route-in " + conn.remoteHost() + ":" + conn.remotePort(), rc::run);
        }
    }

    /**
     * Dials one route, and again after it drops or a dial fails: an explicit route until the
     * server stops; an implicit one (learned by gossip) {@code connect_retries} + 1 times in a row,
     * as nats-server, then it is forgotten until gossip names it again.
     */
    private void dialLoop(String url, boolean implicit, Object token) {
        try {
            dialRoute(url, implicit, token);
        } finally {
            lock.lock();
            try {
                // a loop ended by a reload leaves the entry to the loop that replaced it, if any
                if (token == null || !explicit.containsKey(url)) {
                    dialing.remove(url);
                }
            } finally {
                lock.unlock();
            }
        }
    }

    private void dialRoute(String url, boolean implicit, Object token) {
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
        int failures = 0;
        int budget = 1 + Math.max(0, host.options().clusterConnectRetries);
        while (wanted(url, token)) {
            RouteConnection up = routeTo(Routes.hostPort(h, p));
            if (up != null) {
                resolved(url, up.resolution());
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
                rc = new RouteConnection(this, conn, true, implicit, url);
            } catch (IOException e) {
                failures++;
                host.log().debug("Error trying to connect to route (attempt " + failures + "): " + url + ": " + e.getMessage());
                if (implicit && failures >= budget) {
                    return;
                }
                if (!sleep(backoff)) {
                    return;
                }
                backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
                continue;
            }
            rc.run(); // returns when the route is closed
            if (rc.wasRegistered()) {
                backoff = FIRST_BACKOFF;
                failures = 0;
            } else {
                failures++;
            }
            RouteConnection other = rc.duplicateOf();
            if (other != null && !implicit) {
                resolved(url, other.resolution());
            }
            if (implicit && (other != null || failures >= budget)) {
                return; // the peer is connected the other way, or the retries are used up
            }
            if (other != null) {
                // the peer is already connected (it dialled us): dial again only once that route drops
                other.awaitClosed();
            }
            if (wanted(url, token) && !sleep(backoff)) {
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
     * on every change. Returns the existing route to the same server, or null when registered;
     * {@code rc} itself once the routes are stopped.
     */
    RouteConnection register(RouteConnection rc, String remoteId) {
        RouteConnection replaced = null;
        lock.lock();
        try {
            if (!running) {
                return rc; // stopped while this route was being set up: refused (the caller closes it)
            }
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
            // gossip: every other peer learns of the new one and dials it if it does not know it
            String gossip = rc.gossipInfo();
            for (RouteConnection other : routes) {
                if (other != replaced && gossip != null) {
                    other.forwardInfo(gossip);
                }
            }
            routes.add(rc);
            InternalTraffic it = internal;
            if (it != null && rc.weftPeer()) {
                it.peerUp(rc);
            }
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
        boolean stillConnected = false;
        lock.lock();
        try {
            routes.remove(rc);
            for (RouteConnection other : routes) {
                stillConnected |= rc.remoteId().equals(other.remoteId());
            }
            InternalTraffic it = internal;
            if (it != null && rc.weftPeer()) {
                it.peerDown(rc);
            }
        } finally {
            lock.unlock();
        }
        if (!stillConnected) {
            peerClientUrls(rc.remoteId(), List.of());
        }
    }

    /** Cuts routes whose writer is stuck past the write deadline (as clients are), a tenth of it at a time. */
    private void housekeepingLoop() {
        while (running) {
            long deadline = host.options().writeDeadline.toNanos();
            long tick = Math.max(Duration.ofMillis(50).toNanos(), Math.min(deadline / 10, Duration.ofSeconds(1).toNanos()));
            if (!sleep(Duration.ofNanos(tick))) {
                return;
            }
            long now = host.env().clock().nanoTime();
            for (RouteConnection rc : snapshot()) {
                rc.checkWriteDeadline(now, deadline);
            }
        }
    }

    /** A client subscription came or went: announce the transitions to every route. */
    private void changed(Account account, String subject, String queue, int delta) {
        if (account.name().equals(InternalTraffic.ACCOUNT)) {
            return; // the internal traffic's account is never announced (a local account of that name stays local)
        }
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
