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
public final class RouteConnection implements RouteSink {
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
    private final Conn conn;
    private final boolean solicited;
    private final String url;
    private final CountDownLatch closedLatch = new CountDownLatch(1);

    private final ReentrantLock outLock = new ReentrantLock();
    private final Condition outReady = outLock.newCondition();
    /** Signalled when the writer takes what was queued (or the route closes): stalled producers go on. */
    private final Condition drained = outLock.newCondition();
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
    /** The peer's cluster address as its INFO gives it ({@code host:port}), null until then. */
    private volatile String peerAddress;
    private volatile boolean registered;
    private volatile RouteConnection duplicateOf;
    private volatile int pingsOut;
    /** The peer's interest, by account, subject and queue; touched only by the reader (and its final cleanup). */
    private final Map<String, Remote> remote = new LinkedHashMap<>();

    private record Remote(RemoteSubscription sub, Account account) {
    }

    RouteConnection(Routes routes, Conn conn, boolean solicited, String url) {
        this.routes = routes;
        this.conn = conn;
        this.solicited = solicited;
        this.url = url;
    }

    /** The peer's server id, null until its INFO arrived. */
    public String remoteId() {
        return remoteId;
    }

    public String remoteName() {
        return remoteName;
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
        routes.host.env().spawner().spawn("route-writer " + remoteAddress(), this::writeLoop);
        try {
            if (!solicited) {
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
        switch (op) {
            case "PING" -> queue(bytes("PONG\r\n"));
            case "PONG" -> pingsOut = 0;
            case "INFO" -> {
                return info(rest);
            }
            case "CONNECT" -> {
                // the dialling peer's credentials and cluster; its INFO, next, is what identifies it
                JsonNode c = JSON.readTree(rest);
                String cluster = c.path("cluster").asText("");
                if (!cluster.isEmpty() && !routes.dynamicName() && !cluster.equals(routes.clusterName())) {
                    routes.host.log().error("Route " + remoteAddress() + ": cluster name \"" + cluster
                            + "\" does not match \"" + routes.clusterName() + "\"");
                    sendErr("Cluster Name Conflict");
                    return false;
                }
            }
            case "RS+" -> subscribe(split(rest));
            case "RS-" -> unsubscribe(split(rest));
            case "RMSG" -> message(split(rest), false);
            case "HMSG" -> message(split(rest), true);
            case "+OK" -> { }
            case "-ERR" -> routes.host.log().error("Route " + remoteAddress() + " error: " + rest);
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
        if (remoteId != null) {
            return true; // later INFOs (gossip, URL updates): not used yet
        }
        String id = info.path("server_id").asText("");
        if (id.isEmpty()) {
            sendErr("Missing server_id");
            return false;
        }
        if (id.equals(routes.host.serverId())) {
            routes.host.log().debug("Detected route to self, ignoring " + remoteAddress());
            return false;
        }
        String cluster = info.path("cluster").asText("");
        if (!routes.dynamicName() && !cluster.isEmpty() && !cluster.equals(routes.clusterName())) {
            routes.host.log().error("Rejecting route " + remoteAddress() + ": cluster name \"" + cluster
                    + "\" does not match \"" + routes.clusterName() + "\"");
            sendErr("Cluster Name Conflict");
            return false;
        }
        remoteName = info.path("server_name").asText(id);
        peerAddress = Routes.hostPort(info.path("host").asText(""), info.path("port").asInt(-1));
        if (solicited) {
            sendConnect();
            sendInfo();
        }
        RouteConnection other = routes.register(this, id);
        if (other != null) {
            duplicateOf = other;
            routes.host.log().debug("Route " + remoteAddress() + " duplicates the route to " + id + "; closing it");
            return false;
        }
        remoteId = id;
        registered = true;
        routes.host.log().notice((solicited ? "Route connection created for " : "Route connection accepted from ")
                + remoteAddress() + " (" + remoteName + ")");
        routes.host.env().spawner().spawn("route-ping " + remoteAddress(), this::pingLoop);
        return true;
    }

    private void subscribe(String[] a) {
        if (a.length != 2 && a.length != 4) {
            throw new IllegalArgumentException("bad RS+");
        }
        String queue = a.length == 4 ? a[2] : null;
        int weight = a.length == 4 ? Integer.parseInt(a[3]) : 1;
        String key = key(a[0], a[1], queue);
        Remote known = remote.get(key);
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
        remote.put(key, new Remote(sub, acc));
    }

    private void unsubscribe(String[] a) {
        if (a.length != 2 && a.length != 3) {
            throw new IllegalArgumentException("bad RS-");
        }
        Remote known = remote.remove(key(a[0], a[1], a.length == 3 ? a[2] : null));
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
        Account acc = lastAccount;
        if (acc == null || !acc.name().equals(account)) {
            acc = routes.host.account(account);
            lastAccount = acc;
        }
        if (deliveries == null) {
            // one per server's token counter: serves every account; stalls on slow subscribers as a client's reader
            deliveries = acc.newRouteDeliveries(routes.host.env().clock());
        }
        acc.publishFromRoute(subject, reply, queues, buf, off, hdr, total, deliveries);
    }

    // ---------------------------------------------------------------- what we send

    private void sendInfo() {
        ServerOptions o = routes.host.options();
        ObjectNode n = JSON.createObjectNode();
        n.put("server_id", routes.host.serverId());
        n.put("server_name", routes.host.serverName());
        n.put("version", Server.COMPAT_VERSION);
        n.put("proto", Server.PROTO);
        n.put("go", Server.runtimeName());
        String h = o.clusterHost;
        if (h.equals("0.0.0.0") || h.equals("::") || h.isEmpty()) {
            h = conn.localHost();
        }
        n.put("host", h);
        n.put("port", routes.port());
        n.put("headers", !o.noHeaderSupport);
        n.put("auth_required", false);
        n.put("tls_required", false);
        n.put("max_payload", o.maxPayload);
        n.put("jetstream", false);
        n.put("cluster", routes.clusterName());
        if (routes.dynamicName()) {
            n.put("cluster_dynamic", true);
        }
        if (routes.port() > 0) {
            n.put("ip", "nats-route://" + Routes.hostPort(h, routes.port()) + "/");
        }
        // no route_pool_size and no compression: a nats-server peer then keeps one plain route
        queue(bytes("INFO " + n + "\r\n"));
    }

    private void sendConnect() {
        ObjectNode n = JSON.createObjectNode();
        n.put("echo", true);
        n.put("verbose", false);
        n.put("pedantic", false);
        n.put("tls_required", false);
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
            long max = routes.host.options().maxPending;
            if (outLen > max) {
                routes.host.countRouteClose(false);
                closeLocked("Slow Consumer (Write Deadline)");
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
                    if (stalled) {
                        stalled = false;
                        drained.signalAll();
                    }
                } finally {
                    outLock.unlock();
                }
                for (int off = 0; off < len; off += WRITE_SLICE) {
                    conn.write(new ByteBuffer[] {ByteBuffer.wrap(chunk, off, Math.min(WRITE_SLICE, len - off))});
                }
                spare = chunk.length <= 1024 * 1024 ? chunk : new byte[4096];
            }
        } catch (IOException | InterruptedException e) {
            close(null);
        } finally {
            conn.close();
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
            queue(bytes("PING\r\n"));
        }
    }

    // ---------------------------------------------------------------- closing

    boolean isClosed() {
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

    /** On the reader's way out: the peer's interest goes at once, and the route leaves the set. */
    private void cleanup() {
        conn.close();
        if (registered) {
            routes.unregister(this);
            routes.host.log().notice("Route connection to " + remoteAddress() + " (" + remoteName + ") closed");
        }
        Map<String, List<RemoteSubscription>> byAccount = new LinkedHashMap<>();
        Map<String, Account> accounts = new LinkedHashMap<>();
        for (Remote r : remote.values()) {
            byAccount.computeIfAbsent(r.account().name(), k -> new ArrayList<>()).add(r.sub());
            accounts.put(r.account().name(), r.account());
        }
        for (Map.Entry<String, List<RemoteSubscription>> e : byAccount.entrySet()) {
            accounts.get(e.getKey()).removeRemote(e.getValue());
        }
        remote.clear();
        closedLatch.countDown();
    }
}
