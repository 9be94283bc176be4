package io.weft.engine.route;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.weft.engine.ServerOptions;
import io.weft.engine.server.Account;
import io.weft.engine.server.RemoteSubscription;
import io.weft.engine.server.RouteSink;
import io.weft.engine.server.Server;
import io.weft.net.Conn;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One route: a connection to one peer server, carrying every account (no pooling, no
 * compression). The reader runs on the thread that calls {@link #run}; a writer thread drains what
 * the router and the interest announcements queue, so a publisher never blocks on a route. A route
 * whose queue grows past {@code max_pending} is closed (slow route).
 */
public final class RouteConnection implements RouteSink, InternalPeer {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] SPACE = {' '};
    /**
     * The most one socket write is handed: the JDK copies a heap buffer's whole remainder into a
     * temporary direct buffer on every write call, so a chunk of many MB that the socket takes a
     * few hundred KB at a time would be copied over and over (a route falling behind then fell
     * further behind, until it was cut as a slow consumer).
     */
    private static final int WRITE_SLICE = 256 * 1024;

    private final Routes routes;
    /** The connection; replaced by its TLS form once the handshake is done, before anything else reads or writes it. */
    private volatile Conn conn;
    private final boolean solicited;
    /** Dialled because gossip named the peer, not because the configuration did. */
    private final boolean implicit;
    private final String url;
    private final long rid;
    private final long startMillis;
    private volatile long lastActivityMillis;
    private final java.util.concurrent.atomic.LongAdder inMsgs = new java.util.concurrent.atomic.LongAdder();
    private final java.util.concurrent.atomic.LongAdder inBytes = new java.util.concurrent.atomic.LongAdder();
    private final java.util.concurrent.atomic.LongAdder outMsgs = new java.util.concurrent.atomic.LongAdder();
    private final java.util.concurrent.atomic.LongAdder outBytes = new java.util.concurrent.atomic.LongAdder();
    private volatile long pingSentNanos;
    private volatile long rttNanos;
    /** When the writer started the write in progress (0: none), for the write deadline. */
    private volatile long writeStartNanos;
    private volatile int writeChunkBytes;
    /** The peer's first INFO with {@code ip} filled in: what gossip forwards to the other peers. */
    private volatile String gossipInfo;
    private final CountDownLatch closedLatch = new CountDownLatch(1);

    private final ReentrantLock outLock = new ReentrantLock();
    private final Condition outReady = outLock.newCondition();
    /** Signalled when the writer takes what was queued (or the route closes): stalled producers go on. */
    private final Condition drained = outLock.newCondition();
    /** Signalled when the writer thread ends. */
    private final Condition writerExited = outLock.newCondition();
    private boolean writerRunning;
    /** More than three quarters of max_pending is queued: client producers stall on this route (see {@link #stallAdvised}). */
    private volatile boolean stalled;
    /**
     * The reader's deliveries to local clients, flushed before it waits for more bytes (one writer
     * wake-up per read); it stalls, bounded per read, on a subscriber past its stall gate.
     */
    private io.weft.engine.server.Deliveries deliveries;
    /** The account of the reader's last message (a route's messages mostly name one). */
    private Account lastAccount;
    private byte[] out = new byte[4096];
    private int outLen;
    private boolean closed;

    private volatile String remoteId;
    private volatile String remoteName;
    /** The route protocol the peer's INFO announced ({@code proto}). */
    private volatile int remoteProto;
    /** The peer's cluster address as its INFO gives it ({@code host:port}), null until then. */
    private volatile String peerAddress;
    private volatile boolean registered;
    /** The peer's route INFO announced weft's internal traffic ({@code weft_nrg}); never true for nats-server. */
    private volatile boolean weftPeer;
    /** The peer's route INFO announced JetStream ({@code jetstream: true}). */
    private volatile boolean remoteJetStream;
    /** The meta group members the peer announced ({@code weft_meta}), empty until it did. */
    private volatile List<String> remoteMeta = List.of();
    private volatile RouteConnection duplicateOf;
    private volatile int pingsOut;
    /** An accepted route's CONNECT arrived (it must be the first op, as nats-server requires). */
    private volatile boolean connectReceived;
    /** The user and password of an accepted route's CONNECT, checked again when the configuration is reloaded. */
    private volatile String connectUser;
    private volatile String connectPassword;
    /** The peer's INFO said {@code auth_required} (a gossiped route then sends the block's own credentials). */
    private volatile boolean peerAuthRequired;
    /** The peer's interest, by account, subject and queue; touched only by the reader (and its final cleanup). */
    private final Map<String, Remote> remote = new LinkedHashMap<>();

    private record Remote(RemoteSubscription sub, Account account) {
    }

    RouteConnection(Routes routes, Conn conn, boolean solicited, boolean implicit, String url) {
        this.routes = routes;
        this.conn = conn;
        this.solicited = solicited;
        this.implicit = implicit;
        this.url = url;
        this.rid = routes.nextRid();
        this.startMillis = routes.host.env().clock().currentTimeMillis();
        this.lastActivityMillis = startMillis;
    }

    /** The route id of /routez. */
    public long rid() {
        return rid;
    }

    /** True for a route in this server's configuration ({@code is_configured} of /routez). */
    public boolean configured() {
        return solicited && !implicit;
    }

    public String remoteHost() {
        return conn.remoteHost();
    }

    public int remotePort() {
        return conn.remotePort();
    }

    String localHost() {
        return conn.localHost();
    }

    public long startMillis() {
        return startMillis;
    }

    public long lastActivityMillis() {
        return lastActivityMillis;
    }

    /** The last PING to PONG round trip in nanoseconds; 0 before the first. */
    public long rttNanos() {
        return rttNanos;
    }

    public long inMsgs() {
        return inMsgs.sum();
    }

    public long inBytes() {
        return inBytes.sum();
    }

    public long outMsgs() {
        return outMsgs.sum();
    }

    public long outBytes() {
        return outBytes.sum();
    }

    /** Bytes queued for the peer and not yet written. */
    public int pendingBytes() {
        outLock.lock();
        try {
            return outLen + writeChunkBytes;
        } finally {
            outLock.unlock();
        }
    }

    /** The subjects of the peer's interest (a queue interest as {@code subject queue}). */
    public List<String> remoteSubjects() {
        synchronized (remote) {
            List<String> l = new ArrayList<>(remote.size());
            for (Remote r : remote.values()) {
                l.add(r.sub().queue() == null ? r.sub().subject() : r.sub().subject() + " " + r.sub().queue());
            }
            return l;
        }
    }

    /** The peer's interest as (account, subject, queue) triples, in the order it arrived. */
    public List<String[]> remoteInterest() {
        synchronized (remote) {
            List<String[]> l = new ArrayList<>(remote.size());
            for (Remote r : remote.values()) {
                l.add(new String[] {r.account().name(), r.sub().subject(), r.sub().queue()});
            }
            return l;
        }
    }

    public int remoteSubscriptionCount() {
        synchronized (remote) {
            return remote.size();
        }
    }

    /** The peer's server id, null until its INFO arrived. */
    public String remoteId() {
        return remoteId;
    }

    public String remoteName() {
        return remoteName;
    }

    @Override
    public long connectionId() {
        return rid;
    }

    @Override
    public boolean tracesMessages() {
        return remoteProto >= io.weft.engine.server.MsgTrace.ROUTE_PROTO;
    }

    /** True when this side dialled the route (an explicit route). */
    public boolean solicited() {
        return solicited;
    }

    public String url() {
        return url;
    }

    /** The peer's cluster listener as its INFO announced it ({@code host:port}); null before the INFO. */
    public String peerAddress() {
        return peerAddress;
    }

    public String remoteAddress() {
        return conn.remoteHost() + ":" + conn.remotePort();
    }

    /** True when the peer is a weft server that takes internal traffic ({@link InternalTraffic}). */
    /** What this route's peer is, as a configured route URL's resolution. */
    Routes.Resolved resolution() {
        return new Routes.Resolved(false, remoteName, weftPeer, remoteJetStream);
    }

    private static List<String> metaMembers(JsonNode info) {
        List<String> out = new ArrayList<>();
        for (JsonNode n : info.path("weft_meta")) {
            out.add(n.asText());
        }
        return List.copyOf(out);
    }

    /** The JetStream meta group members the peer announced in its route INFO; empty until it has. */
    public List<String> remoteMetaMembers() {
        return remoteMeta;
    }

    /** The peer's route INFO announced JetStream. */
    public boolean remoteJetStream() {
        return remoteJetStream;
    }

    public boolean weftPeer() {
        return weftPeer;
    }

    /**
     * Queues one message of the internal traffic's account for the peer ({@code RMSG $NRG <subject>
     * <size>}); never blocks. False (nothing queued) when the peer is not weft or the route is
     * closing. The caller keeps the route's queue below max_pending ({@link #stallAdvised}).
     */
    @Override
    public boolean sendInternal(String subject, byte[] payload) {
        if (!weftPeer || !registered) {
            return false;
        }
        return sendMessage(InternalTraffic.ACCOUNT, subject, null, List.of(), payload, 0, 0, payload.length);
    }

    /** The most a route may queue before it is cut as a slow consumer ({@code max_pending}). */
    @Override
    public long maxPending() {
        return routes.host.options().maxPending;
    }

    boolean wasRegistered() {
        return registered;
    }

    RouteConnection duplicateOf() {
        return duplicateOf;
    }

    void awaitClosed() {
        try {
            closedLatch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---------------------------------------------------------------- reader

    /** Runs the route until it closes: the handshake, then the ops. */
    void run() {
        ServerOptions o = routes.host.options();
        if (o.clusterTls != null && !tlsHandshake(o)) {
            cleanup();
            return;
        }
        outLock.lock();
        try {
            writerRunning = true;
        } finally {
            outLock.unlock();
        }
        routes.host.env().spawner().spawn("route-writer " + remoteAddress(), this::writeLoop);
        try {
            if (!solicited) {
                if (o.clusterUser != null) {
                    routes.host.env().spawner().spawn("route-auth-timer " + remoteAddress(), () -> authTimer(o.clusterAuthTimeout));
                }
                sendInfo();
            }
            readLoop();
        } catch (IOException | RuntimeException e) {
            if (!isClosed()) {
                routes.host.log().debug("Route " + remoteAddress() + " read error: " + e.getMessage());
            }
        } finally {
            close(null);
            cleanup();
        }
    }

    /**
     * Route TLS as nats-server does it: the handshake comes first, before INFO, the dialling side
     * acting as the TLS client (it checks the peer's certificate against the URL's host unless
     * {@code insecure}), the accepting side as the server. False when it failed (logged, closed).
     */
    private boolean tlsHandshake(ServerOptions o) {
        try {
            if (solicited) {
                int colon = url.lastIndexOf(':');
                String h = url.substring(0, colon);
                if (h.startsWith("[") && h.endsWith("]")) {
                    h = h.substring(1, h.length() - 1);
                }
                conn = o.clusterTls.handshakeClient(conn, h, Integer.parseInt(url.substring(colon + 1)), o.clusterTlsInsecure);
            } else {
                conn = o.clusterTls.handshake(conn);
            }
            routes.host.log().debug(remoteAddress() + " - rid:" + rid + " - TLS handshake complete");
            return true;
        } catch (IOException | RuntimeException e) {
            routes.host.log().error(remoteAddress() + " - rid:" + rid + " - TLS route handshake error: " + e.getMessage());
            conn.close();
            return false;
        }
    }

    /** An accepted route that has not sent its CONNECT when the authorization timeout ends is closed, as nats-server. */
    private void authTimer(Duration timeout) {
        try {
            routes.host.env().clock().sleep(timeout);
        } catch (InterruptedException e) {
            return;
        }
        if (!connectReceived && !isClosed()) {
            routes.host.log().debug(remoteAddress() + " - rid:" + rid + " - Authentication Timeout");
            sendErr("Authentication Timeout");
            close(null);
        }
    }

    /**
     * Whether an accepted route's CONNECT passes {@code cluster { authorization }}: with
     * {@code tls { verify_and_map }} the peer's certificate must name the cluster user, else
     * user and password must match (the password may be a bcrypt hash); no user configured lets
     * every route in.
     */
    private boolean authorized(ServerOptions o, String user, String password) {
        if (o.clusterTlsMap) {
            return o.clusterUser != null && io.weft.net.TlsServer.peerIdentities(conn).contains(o.clusterUser);
        }
        if (o.clusterUser == null) {
            return true;
        }
        return o.clusterUser.equals(user) && io.weft.engine.auth.PasswordCheck.matches(o.clusterPassword, password == null ? "" : password);
    }

    /** Refuses the route as nats-server does: the log names the user, the peer gets {@code Authorization Violation}. */
    private void authViolation(String user) {
        routes.host.log().error(remoteAddress() + " - rid:" + rid + " - authentication error"
                + (user == null || user.isEmpty() ? "" : " - User \"" + user + "\""));
        sendErr("Authorization Violation");
        if (registered) {
            routes.host.log().notice("Route connection to " + remoteAddress() + " closed: Authentication Failure");
        }
        close(null); // the -ERR is written first, then the connection ends (and with it the reader)
    }

    /**
     * After a reload: an accepted route whose CONNECT no longer passes the cluster authorization
     * is closed, as nats-server does (routes this server dialled are left alone).
     */
    void reauthorize(ServerOptions o) {
        if (!solicited && connectReceived && !isClosed() && !authorized(o, connectUser, connectPassword)) {
            authViolation(connectUser);
        }
    }

    private byte[] buf = new byte[64 * 1024];
    private int start;
    private int end;

    private void readLoop() throws IOException {
        while (true) {
            int eol = lineEnd();
            while (eol < 0) {
                fill();
                eol = lineEnd();
            }
            String line = new String(buf, start, eol - start, StandardCharsets.UTF_8);
            start = eol + 1;
            if (line.endsWith("\r")) {
                line = line.substring(0, line.length() - 1);
            }
            if (!handle(line)) {
                return;
            }
        }
    }

    private int lineEnd() {
        for (int i = start; i < end; i++) {
            if (buf[i] == '\n') {
                return i;
            }
        }
        return -1;
    }

    /** Reads more bytes, keeping the unread ones; fails at end of stream. */
    private void fill() throws IOException {
        if (start > 0) {
            System.arraycopy(buf, start, buf, 0, end - start);
            end -= start;
            start = 0;
        }
        if (end == buf.length) {
            if (buf.length >= 64 * 1024 * 1024 + 64 * 1024) {
                throw new IOException("route op too long");
            }
            byte[] b = new byte[buf.length * 2];
            System.arraycopy(buf, 0, b, 0, end);
            buf = b;
        }
        flushDeliveries();
        int n = conn.read(buf, end, buf.length - end);
        if (n < 0) {
            throw new IOException("end of stream");
        }
        end += n;
        lastActivityMillis = routes.host.env().clock().currentTimeMillis();
    }

    private void flushDeliveries() {
        if (deliveries != null) {
            deliveries.flush();
        }
    }

    /** Makes sure {@code len} bytes are buffered from {@code start}. */
    private void need(int len) throws IOException {
        while (end - start < len) {
            if (buf.length - start < len) {
                if (start > 0) {
                    System.arraycopy(buf, start, buf, 0, end - start);
                    end -= start;
                    start = 0;
                }
                if (buf.length < len) {
                    byte[] b = new byte[Math.max(len, buf.length * 2)];
                    System.arraycopy(buf, 0, b, 0, end);
                    buf = b;
                }
            }
            flushDeliveries();
            int n = conn.read(buf, end, buf.length - end);
            if (n < 0) {
                throw new IOException("end of stream");
            }
            end += n;
        }
    }

    /** One op line; false ends the route. */
    private boolean handle(String line) throws IOException {
        if (line.startsWith("RMSG ")) { // the common op first, without upper-casing
            message(split(line.substring(5)), false);
            return true;
        }
        int sp = line.indexOf(' ');
        String op = (sp < 0 ? line : line.substring(0, sp)).toUpperCase(java.util.Locale.ROOT);
        String rest = sp < 0 ? "" : line.substring(sp + 1).trim();
        if (!solicited && !connectReceived && !op.equals("CONNECT")) {
            // as nats-server: an accepted route starts with CONNECT
            authViolation(null);
            return false;
        }
        switch (op) {
            case "PING" -> queue(bytes("PONG\r\n"));
            case "PONG" -> {
                pingsOut = 0;
                long sent = pingSentNanos;
                if (sent != 0) {
                    rttNanos = routes.host.env().clock().nanoTime() - sent;
                    pingSentNanos = 0;
                }
            }
            case "INFO" -> {
                return info(rest);
            }
            case "CONNECT" -> {
                // the dialling peer's credentials and cluster; its INFO, next, is what identifies it
                JsonNode c = JSON.readTree(rest);
                if (!solicited) {
                    ServerOptions o = routes.host.options();
                    String user = c.path("user").asText("");
                    String pass = c.path("pass").asText("");
                    if (!authorized(o, user, pass)) {
                        authViolation(user);
                        return false;
                    }
                    connectUser = user;
                    connectPassword = pass;
                    connectReceived = true;
                }
                String cluster = c.path("cluster").asText("");
                if (!cluster.isEmpty() && !cluster.equals(routes.clusterName())
                        && !clusterNameAgreed(cluster, c.path("cluster_dynamic").asBoolean(false))) {
                    String text = "Rejecting connection, cluster name \"" + cluster + "\" does not match \""
                            + routes.clusterName() + "\"";
                    routes.host.log().error(remoteAddress() + " - " + text);
                    sendErr(text);
                    return false;
                }
            }
            case "RS+" -> subscribe(split(rest));
            case "RS-" -> unsubscribe(split(rest));
            case "RMSG" -> message(split(rest), false);
            case "HMSG" -> message(split(rest), true);
            case "+OK" -> { }
            case "-ERR" -> routes.host.log().error(remoteAddress() + " - rid:" + rid + " - Route Error " + rest);
            default -> {
                routes.host.log().error("Route " + remoteAddress() + ": unknown op " + op);
                sendErr("Unknown Protocol Operation");
                return false;
            }
        }
        return true;
    }

    /** The arguments of an op, split at runs of spaces and tabs (no regex: this runs once per routed message). */
    static String[] split(String s) {
        int n = 0;
        int len = s.length();
        for (int i = 0; i < len; ) {
            while (i < len && isSpace(s.charAt(i))) {
                i++;
            }
            if (i < len) {
                n++;
                while (i < len && !isSpace(s.charAt(i))) {
                    i++;
                }
            }
        }
        String[] out = new String[n];
        int k = 0;
        for (int i = 0; i < len; ) {
            while (i < len && isSpace(s.charAt(i))) {
                i++;
            }
            int from = i;
            while (i < len && !isSpace(s.charAt(i))) {
                i++;
            }
            if (i > from) {
                out[k++] = s.substring(from, i);
            }
        }
        return out;
    }

    private static boolean isSpace(char c) {
        return c == ' ' || c == '\t';
    }

    private boolean info(String json) throws IOException {
        JsonNode info = JSON.readTree(json);
        String id = info.path("server_id").asText("");
        if (registered) {
            if (!id.isEmpty() && !id.equals(remoteId)) {
                // gossip: the peer tells of a server it has a route to
                routes.discovered(id, info.path("ip").asText(""));
            } else if (id.equals(remoteId)) {
                // the peer's own INFO again: its client URLs changed, it entered lame duck mode,
                // or it announces its meta group members
                remoteMeta = metaMembers(info);
                routes.peerClientUrls(remoteId, info.path("ldm").asBoolean(false) ? List.of() : clientUrls(info));
            }
            return true;
        }
        if (remoteId != null) {
            return true;
        }
        if (id.isEmpty()) {
            sendErr("Missing server_id");
            return false;
        }
        if (id.equals(routes.host.serverId())) {
            routes.host.log().debug("Detected route to self, ignoring " + remoteAddress());
            if (solicited && !implicit) {
                routes.resolved(url, Routes.Resolved.SELF);
            }
            return false;
        }
        String cluster = info.path("cluster").asText("");
        if (!cluster.isEmpty() && !cluster.equals(routes.clusterName())
                && !clusterNameAgreed(cluster, info.path("cluster_dynamic").asBoolean(false))) {
            routes.host.log().error("Rejecting route " + remoteAddress() + ": cluster name \"" + cluster
                    + "\" does not match \"" + routes.clusterName() + "\"");
            sendErr("Cluster Name Conflict");
            return false;
        }
        remoteName = info.path("server_name").asText(id);
        remoteProto = info.path("proto").asInt(0);
        weftPeer = info.path("weft_nrg").asInt(0) >= InternalTraffic.VERSION;
        peerAuthRequired = info.path("auth_required").asBoolean(false);
        remoteJetStream = info.path("jetstream").asBoolean(false);
        remoteMeta = metaMembers(info);
        if (solicited && !implicit) {
            routes.resolved(url, resolution());
        }
        peerAddress = Routes.hostPort(info.path("host").asText(""), info.path("port").asInt(-1));
        ObjectNode forward = ((ObjectNode) info).deepCopy();
        forward.remove("nonce");
        if (forward.path("ip").asText("").isEmpty() && info.path("port").asInt(0) > 0) {
            // as nats-server: a peer that names no route URL is reached at its address and cluster port
            forward.put("ip", "nats-route://" + Routes.hostPort(conn.remoteHost(), info.path("port").asInt()) + "/");
        }
        gossipInfo = "INFO " + forward + "\r\n";
        remoteId = id;
        if (solicited) {
            sendConnect();
            sendInfo();
        }
        // the peer's client URLs before the route shows up anywhere (a duplicate names the same server)
        routes.peerClientUrls(id, info.path("ldm").asBoolean(false) ? List.of() : clientUrls(info));
        RouteConnection other = routes.register(this, id);
        if (other == this) {
            routes.host.log().debug("Route " + remoteAddress() + " set up while the server stops; closing it");
            return false;
        }
        if (other != null) {
            duplicateOf = other;
            routes.host.log().debug("Route " + remoteAddress() + " duplicates the route to " + id + "; closing it");
            return false;
        }
        registered = true;
        if (!routes.metaMembers().isEmpty()) {
            // announced while this route was being set up: its first INFO may have gone without them
            sendInfo();
        }
        routes.host.log().notice((solicited ? "Route connection created for " : "Route connection accepted from ")
                + remoteAddress() + " (" + remoteName + ")");
        routes.host.env().spawner().spawn("route-ping " + remoteAddress(), this::pingLoop);
        return true;
    }

    /**
     * Two cluster names differ: a dynamic (made-up) name of ours gives way to a configured one or
     * a larger dynamic one, as nats-server; then the names agree. False is a conflict.
     */
    private boolean clusterNameAgreed(String theirs, boolean theirsDynamic) {
        if (routes.dynamicName() && (!theirsDynamic || routes.clusterName().compareTo(theirs) < 0)) {
            routes.adoptClusterName(theirs, theirsDynamic, this);
            return true;
        }
        return false;
    }

    private static List<String> clientUrls(JsonNode info) {
        List<String> urls = new ArrayList<>();
        for (JsonNode u : info.path("connect_urls")) {
            urls.add(u.asText());
        }
        return urls;
    }

    /** The INFO forwarded to other peers when this route came up (null before). */
    String gossipInfo() {
        return gossipInfo;
    }

    /** Forwards another peer's INFO (gossip). */
    void forwardInfo(String infoLine) {
        queue(bytes(infoLine));
    }

    /** Our INFO again (lame duck mode). */
    void sendInfoUpdate() {
        sendInfo();
    }

    private void subscribe(String[] a) {
        if (a.length != 2 && a.length != 4) {
            throw new IllegalArgumentException("bad RS+");
        }
        if (a[0].equals(InternalTraffic.ACCOUNT)) {
            return; // nobody subscribes in the internal traffic's account: it is delivered by account, not by interest
        }
        String queue = a.length == 4 ? a[2] : null;
        int weight = a.length == 4 ? Integer.parseInt(a[3]) : 1;
        String key = key(a[0], a[1], queue);
        Remote known;
        synchronized (remote) {
            known = remote.get(key);
        }
        if (known != null) {
            known.sub().weight(weight);
            return;
        }
        Account acc = routes.host.account(a[0]);
        RemoteSubscription sub;
        try {
            sub = acc.addRemote(this, a[1], queue, weight);
        } catch (IllegalArgumentException e) {
            routes.host.log().error("Route " + remoteAddress() + ": invalid subscription " + a[1]);
            return;
        }
        synchronized (remote) {
            remote.put(key, new Remote(sub, acc));
        }
    }

    private void unsubscribe(String[] a) {
        if (a.length != 2 && a.length != 3) {
            throw new IllegalArgumentException("bad RS-");
        }
        Remote known;
        synchronized (remote) {
            known = remote.remove(key(a[0], a[1], a.length == 3 ? a[2] : null));
        }
        if (known != null) {
            known.account().removeRemote(known.sub());
        }
    }

    private static String key(String account, String subject, String queue) {
        return queue == null ? account + ' ' + subject : account + ' ' + subject + ' ' + queue;
    }

    /**
     * {@code RMSG <acc> <subj> [reply | + reply q... | \| q...] <size>} and {@code HMSG} with
     * {@code <hdr> <total>} at the end.
     */
    private void message(String[] a, boolean headers) throws IOException {
        int tail = headers ? 2 : 1;
        if (a.length < 2 + tail) {
            throw new IllegalArgumentException("bad " + (headers ? "HMSG" : "RMSG"));
        }
        String account = a[0];
        String subject = a[1];
        int total = Integer.parseInt(a[a.length - 1]);
        int hdr = headers ? Integer.parseInt(a[a.length - 2]) : 0;
        int mid = a.length - tail; // the middle tokens are a[2 .. mid)
        String reply = null;
        List<String> queues = null;
        if (mid > 2) {
            if (a[2].equals("+") && mid > 3) {
                reply = a[3];
                queues = List.of(a).subList(4, mid);
            } else if (a[2].equals("|")) {
                queues = List.of(a).subList(3, mid);
            } else if (mid == 3) {
                reply = a[2];
            } else {
                throw new IllegalArgumentException("bad message arguments");
            }
        }
        if (total < 0 || hdr < 0 || hdr > total) {
            throw new IllegalArgumentException("bad message size");
        }
        need(total + 2);
        int off = start;
        start += total + 2;
        inMsgs.increment();
        inBytes.add(total);
        if (account.equals(InternalTraffic.ACCOUNT)) {
            internal(subject, hdr, off, total);
            return;
        }
        Account acc = lastAccount;
        if (acc == null || !acc.name().equals(account)) {
            acc = routes.host.account(account);
            lastAccount = acc;
        }
        if (deliveries == null) {
            // one per server's token counter: serves every account; stalls on slow subscribers as a client's reader
            deliveries = acc.newRouteDeliveries(routes.host.env().clock());
        }
        routes.host.deliverRouted(acc, subject, reply, queues, buf, off, hdr, total, deliveries, this, rid);
    }

    /** A message of the internal traffic's account: to the receiver when the peer is weft, else dropped. */
    private void internal(String subject, int hdr, int off, int total) {
        InternalTraffic it = routes.internalTraffic();
        if (it == null || !weftPeer || !registered || hdr != 0) {
            routes.host.log().debug("Route " + remoteAddress() + ": dropped a message of " + InternalTraffic.ACCOUNT);
            return;
        }
        it.received(this, subject, buf, off, total);
    }

    // ---------------------------------------------------------------- what we send

    private void sendInfo() {
        ServerOptions o = routes.host.options();
        ObjectNode n = JSON.createObjectNode();
        n.put("server_id", routes.host.serverId());
        n.put("server_name", routes.host.serverName());
        n.put("version", Server.COMPAT_VERSION);
        n.put("proto", io.weft.engine.server.MsgTrace.ROUTE_PROTO); // traces what it receives (nats-server's MsgTraceProto)
        n.put("go", Server.runtimeName());
        String h = o.clusterHost;
        int port = routes.port();
        if (o.clusterAdvertise != null && !o.clusterAdvertise.isEmpty()) {
            // cluster { advertise }: the address peers should dial, as given (its port defaults to ours)
            String adv = o.clusterAdvertise;
            String hp = Routes.routeHostPort(adv);
            if (hp != null) {
                int colon = hp.lastIndexOf(':');
                h = hp.substring(0, colon);
                port = Integer.parseInt(hp.substring(colon + 1));
            } else {
                h = adv;
            }
            if (h.startsWith("[") && h.endsWith("]")) {
                h = h.substring(1, h.length() - 1);
            }
        } else if (Routes.wildcard(h)) {
            h = conn.localHost();
        }
        n.put("host", h);
        n.put("port", port);
        n.put("headers", !o.noHeaderSupport);
        n.put("auth_required", o.clusterUser != null); // as nats-server: a user configured, even with verify_and_map
        n.put("tls_required", o.clusterTls != null);
        if (o.clusterTls != null) {
            n.put("tls_verify", true); // as nats-server: route TLS always asks for the peer's certificate
        }
        n.put("max_payload", o.maxPayload);
        n.put("jetstream", o.jetstream);
        // weft's own field (nats-server ignores fields it does not know): the peer may send us internal traffic
        n.put("weft_nrg", InternalTraffic.VERSION);
        List<String> meta = routes.metaMembers();
        if (!meta.isEmpty()) {
            // weft's own field: the JetStream meta group members this server starts (or started) with
            var a = n.putArray("weft_meta");
            meta.forEach(a::add);
        }
        n.put("cluster", routes.clusterName());
        if (routes.dynamicName()) {
            n.put("cluster_dynamic", true);
        }
        if (port > 0) {
            n.put("ip", "nats-route://" + Routes.hostPort(h, port) + "/");
        }
        String own = o.clusterNoAdvertise ? null : routes.ownClientUrl(conn);
        if (own != null) {
            n.putArray("connect_urls").add(own);
        }
        if (routes.lameDuckMode()) {
            n.put("ldm", true);
        }
        // no route_pool_size and no compression: a nats-server peer then keeps one plain route
        queue(bytes("INFO " + n + "\r\n"));
    }

    private void sendConnect() {
        ServerOptions o = routes.host.options();
        ObjectNode n = JSON.createObjectNode();
        n.put("echo", true);
        n.put("verbose", false);
        n.put("pedantic", false);
        // as nats-server: an explicit route sends its URL's credentials (none when the URL has none);
        // one learned by gossip from a peer that requires them sends the cluster block's own
        ServerOptions.RouteCredentials cred = implicit ? null : o.routeCredentials.get(url);
        if (cred == null && implicit && peerAuthRequired && o.clusterUser != null) {
            cred = new ServerOptions.RouteCredentials(o.clusterUser, o.clusterPassword);
        }
        if (cred != null) {
            n.put("user", cred.user());
            n.put("pass", cred.password());
        }
        n.put("tls_required", o.clusterTls != null);
        n.put("headers", !routes.host.options().noHeaderSupport);
        n.put("name", routes.host.serverId());
        n.put("cluster", routes.clusterName());
        n.put("cluster_dynamic", routes.dynamicName());
        queue(bytes("CONNECT " + n + "\r\n"));
    }

    private void sendErr(String text) {
        queue(bytes("-ERR '" + text + "'\r\n"));
    }

    /** {@code RS+ <acc> <subj> [<queue> <weight>]}. */
    void sendSub(String account, String subject, String queue, int weight) {
        queue(bytes(queue == null ? "RS+ " + account + " " + subject + "\r\n"
                : "RS+ " + account + " " + subject + " " + queue + " " + weight + "\r\n"));
    }

    /** {@code RS- <acc> <subj> [<queue>]}. */
    void sendUnsub(String account, String subject, String queue) {
        queue(bytes(queue == null ? "RS- " + account + " " + subject + "\r\n"
                : "RS- " + account + " " + subject + " " + queue + "\r\n"));
    }

    @Override
    public boolean sendMessage(String account, String subject, String reply, List<String> queues, byte[] data, int off,
                               int hdrLen, int totalLen) {
        outLock.lock();
        try {
            if (closed) {
                return false;
            }
            appendPrefix(account, subject, reply, queues, hdrLen > 0);
            if (hdrLen > 0) {
                appendDecimal(hdrLen);
                append(SPACE, 0, 1);
            }
            appendDecimal(totalLen);
            append(CRLF, 0, 2);
            append(data, off, totalLen);
            append(CRLF, 0, 2);
            outReady.signal();
            outMsgs.increment();
            outBytes.add(totalLen);
            long max = routes.host.options().maxPending;
            if (outLen > max) {
                // as nats-server with a client: the route that cannot keep up is cut (and re-dialled)
                routes.host.log().notice(remoteAddress() + " - rid:" + rid + " - Slow Consumer Detected: MaxPending of "
                        + max + " exceeded");
                routes.host.countRouteClose(false);
                closeLocked("Slow Consumer (Pending Bytes)");
            } else if (outLen > max / 4 * 3) { // the stall gate of a client's outbound, as nats-server 2.10.26+
                stalled = true;
            }
            return true;
        } finally {
            outLock.unlock();
        }
    }

    /** The last plain prefix ({@code RMSG <acc> <subj> }) sent, for the same account and subject strings. */
    private String prefixAccount;
    private String prefixSubject;
    private boolean prefixHeaders;
    private byte[] prefix;
    private final byte[] digits = new byte[20];

    /**
     * Under {@link #outLock}: appends {@code RMSG|HMSG <acc> <subj> [reply | + reply q... | \| q...] }.
     * A publisher's parser hands the same subject string for a repeated subject, so the plain form
     * is kept for the last (account, subject) pair and reused as it is.
     */
    private void appendPrefix(String account, String subject, String reply, List<String> queues, boolean headers) {
        boolean plain = reply == null && queues.isEmpty();
        if (plain && account == prefixAccount && subject == prefixSubject && headers == prefixHeaders) {
            append(prefix, 0, prefix.length);
            return;
        }
        StringBuilder sb = new StringBuilder(64 + subject.length());
        sb.append(headers ? "HMSG " : "RMSG ").append(account).append(' ').append(subject).append(' ');
        if (!queues.isEmpty()) {
            if (reply != null) {
                sb.append("+ ").append(reply).append(' ');
            } else {
                sb.append("| ");
            }
            for (String q : queues) {
                sb.append(q).append(' ');
            }
        } else if (reply != null) {
            sb.append(reply).append(' ');
        }
        byte[] b = bytes(sb.toString());
        if (plain) {
            prefixAccount = account;
            prefixSubject = subject;
            prefixHeaders = headers;
            prefix = b;
        }
        append(b, 0, b.length);
    }

    private void appendDecimal(int v) {
        int i = digits.length;
        do {
            digits[--i] = (byte) ('0' + v % 10);
            v /= 10;
        } while (v > 0);
        append(digits, i, digits.length - i);
    }

    @Override
    public boolean stallAdvised() {
        return stalled;
    }

    @Override
    public void awaitDrain(io.weft.net.Clock clock, long deadlineNanos) throws InterruptedException {
        outLock.lock();
        try {
            while (stalled && !closed) {
                if (!clock.awaitUntil(drained, deadlineNanos)) {
                    return;
                }
            }
        } finally {
            outLock.unlock();
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private void queue(byte[] b) {
        outLock.lock();
        try {
            if (closed) {
                return;
            }
            append(b, 0, b.length);
            outReady.signal();
        } finally {
            outLock.unlock();
        }
    }

    private void append(byte[] b, int off, int len) {
        if (outLen + len > out.length) {
            byte[] n = new byte[Math.max(out.length * 2, outLen + len)];
            System.arraycopy(out, 0, n, 0, outLen);
            out = n;
        }
        System.arraycopy(b, off, out, outLen, len);
        outLen += len;
    }

    /** Waits, bounded, for the writer to have written everything and ended (at once when it never started). */
    private void awaitWriter(Duration max) {
        long deadline = routes.host.env().clock().nanoTime() + max.toNanos();
        outLock.lock();
        try {
            while (writerRunning) {
                if (!routes.host.env().clock().awaitUntil(writerExited, deadline)) {
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            outLock.unlock();
        }
    }

    private void writeLoop() {
        byte[] spare = new byte[4096];
        try {
            while (true) {
                byte[] chunk;
                int len;
                outLock.lock();
                try {
                    while (outLen == 0 && !closed) {
                        outReady.await();
                    }
                    if (outLen == 0) {
                        return;
                    }
                    chunk = out;
                    len = outLen;
                    out = spare.length >= 4096 ? spare : new byte[4096];
                    outLen = 0;
                    writeChunkBytes = len;
                    if (stalled) {
                        stalled = false;
                        drained.signalAll();
                    }
                } finally {
                    outLock.unlock();
                }
                writeStartNanos = routes.host.env().clock().nanoTime();
                for (int off = 0; off < len; off += WRITE_SLICE) {
                    conn.write(new ByteBuffer[] {ByteBuffer.wrap(chunk, off, Math.min(WRITE_SLICE, len - off))});
                }
                writeStartNanos = 0;
                writeChunkBytes = 0;
                spare = chunk.length <= 1024 * 1024 ? chunk : new byte[4096];
            }
        } catch (IOException | InterruptedException e) {
            close(null);
        } finally {
            conn.close();
            outLock.lock();
            try {
                writerRunning = false;
                writerExited.signalAll();
            } finally {
                outLock.unlock();
            }
        }
    }

    private void pingLoop() {
        ServerOptions o = routes.host.options();
        Duration interval = o.pingInterval.compareTo(Routes.MAX_PING) > 0 ? Routes.MAX_PING : o.pingInterval;
        while (!isClosed()) {
            try {
                routes.host.env().clock().sleep(interval);
            } catch (InterruptedException e) {
                return;
            }
            if (isClosed()) {
                return;
            }
            if (pingsOut >= Math.max(1, o.pingMax)) {
                routes.host.log().error("Route " + remoteAddress() + ": Stale Connection");
                routes.host.countRouteClose(true);
                close("Stale Connection");
                return;
            }
            pingsOut++;
            if (pingSentNanos == 0) {
                pingSentNanos = routes.host.env().clock().nanoTime();
            }
            queue(bytes("PING\r\n"));
        }
    }

    // ---------------------------------------------------------------- closing

    /**
     * A write stuck longer than {@code write_deadline} (the peer stopped reading) cuts the route,
     * as nats-server does with a client; the dialling side re-dials it.
     */
    void checkWriteDeadline(long now, long deadlineNanos) {
        long started = writeStartNanos;
        if (started == 0 || now - started < deadlineNanos || isClosed()) {
            return;
        }
        routes.host.log().notice(remoteAddress() + " - rid:" + rid + " - Slow Consumer Detected: WriteDeadline of "
                + io.weft.engine.json.GoFormat.duration(deadlineNanos) + " exceeded with 1 chunks of " + writeChunkBytes
                + " total bytes.");
        routes.host.countRouteClose(false);
        close("Slow Consumer (Write Deadline)");
    }

    public boolean isClosed() {
        outLock.lock();
        try {
            return closed;
        } finally {
            outLock.unlock();
        }
    }

    /** Closes the route (what was queued is still written, then the connection ends). */
    void close(String reason) {
        outLock.lock();
        try {
            closeLocked(reason);
        } finally {
            outLock.unlock();
        }
    }

    private void closeLocked(String reason) {
        if (closed) {
            return;
        }
        closed = true;
        outReady.signalAll();
        stalled = false;
        drained.signalAll();
        if (reason != null && registered) {
            routes.host.log().notice("Route connection to " + remoteAddress() + " closed: " + reason);
        }
        // wake the reader: a slow or stopped route must not wait for the peer to send
        if (reason != null) {
            conn.close();
        }
    }

    /**
     * On the reader's way out: what is queued (a last {@code -ERR}) gets a moment to be written
     * before the connection closes, then the peer's interest goes at once, and the route leaves the set.
     */
    private void cleanup() {
        awaitWriter(Duration.ofSeconds(1));
        conn.close();
        if (registered) {
            routes.unregister(this);
            routes.host.log().notice("Route connection to " + remoteAddress() + " (" + remoteName + ") closed");
        }
        Map<String, List<RemoteSubscription>> byAccount = new LinkedHashMap<>();
        Map<String, Account> accounts = new LinkedHashMap<>();
        List<Remote> gone;
        synchronized (remote) {
            gone = new ArrayList<>(remote.values());
            remote.clear();
        }
        for (Remote r : gone) {
            byAccount.computeIfAbsent(r.account().name(), k -> new ArrayList<>()).add(r.sub());
            accounts.put(r.account().name(), r.account());
        }
        for (Map.Entry<String, List<RemoteSubscription>> e : byAccount.entrySet()) {
            accounts.get(e.getKey()).removeRemote(e.getValue());
        }
        closedLatch.countDown();
    }
}
