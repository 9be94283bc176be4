package io.weft.engine.server;

import io.weft.engine.json.GoJsonQuote;
import io.weft.engine.protocol.Headers;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One traced message (nats-server 2.11 message tracing, ADR-41): a client's publish carrying
 * {@code Nats-Trace-Dest} collects the events of its way through this server (ingress, subject
 * mapping, stream export, service import, JetStream, egress) and, once every part that handles it
 * has finished (JetStream may finish later, on its stream's thread), the server publishes one JSON
 * trace event to the destination subject in the publisher's account. With {@code Nats-Trace-Only}
 * the message is traced but delivered to nobody and stored in no stream.
 *
 * <p>While the router handles a traced message the trace is the thread's {@link #current()}; the
 * router records egresses in it, JetStream takes a hold on it ({@link #holdForJetStream}) and ends
 * the hold with its outcome. A trace crosses into another account only where the import or export
 * allows it ({@code allow_trace}); elsewhere its event says where it went and the trace stops
 * there (the message goes on with {@code Nats-Trace-Dest: trace disabled}).
 */
public final class MsgTrace {
    static final String DEST = "Nats-Trace-Dest";
    static final String ONLY = "Nats-Trace-Only";
    static final String DISABLED = "trace disabled";
    static final String TRACEPARENT = "traceparent";
    /** The hop id a server sets on a traced message it sends over a route ("1", "2", or "1.2" on the next server). */
    static final String HOP = "Nats-Trace-Hop";
    /** The route protocol of a server that traces what it receives over a route (nats-server's MsgTraceProto). */
    public static final int ROUTE_PROTO = 3;
    static final String ONLY_NO_SUPPORT = "Not delivered because remote does not support message tracing";
    static final String NO_SUPPORT =
            "Message delivered but remote does not support message tracing so no trace event generated from there";
    private static final byte[] DEST_KEY = (DEST + ":").getBytes(StandardCharsets.US_ASCII);

    /** Connection kinds as nats-server numbers them in {@code kind}. */
    static final int KIND_CLIENT = 0;
    static final int KIND_ROUTER = 1;

    private static final ThreadLocal<MsgTrace> CURRENT = new ThreadLocal<>();

    private final Server server;
    private final Account account;
    private final String dest;
    private final boolean only;
    private final Map<String, List<String>> header;
    private final int msgSize;
    private final List<String> events = new ArrayList<>(4);
    /** Parts still working on the message (the router's own pass counts one). */
    private int holds = 1;
    private int hops;
    /** This server's hop id ({@code Nats-Trace-Hop} of a message that came over a route; null at the origin). */
    private String hop;
    private boolean sent;
    /** The subscription subject egresses show while inside a stream import (nats-server shows the import's). */
    String egressSubOverride;
    /** True once the trace crossed into an account that does not allow it: nothing more is recorded. */
    boolean stopped;

    private MsgTrace(Server server, Account account, String dest, boolean only, Map<String, List<String>> header,
                     int msgSize) {
        this.server = server;
        this.account = account;
        this.dest = dest;
        this.only = only;
        this.header = header;
        this.msgSize = msgSize;
    }

    /** Threads that have a current trace: while none has, {@link #current()} costs one volatile read. */
    private static final java.util.concurrent.atomic.AtomicInteger ACTIVE = new java.util.concurrent.atomic.AtomicInteger();

    /** The trace of the message the router is handling on this thread, or null. */
    public static MsgTrace current() {
        return ACTIVE.get() == 0 ? null : CURRENT.get();
    }

    /** Makes {@code t} (null: none) this thread's current trace; returns the one before, to be swapped back. */
    static MsgTrace swap(MsgTrace t) {
        MsgTrace before = CURRENT.get();
        if (before == t) {
            return before;
        }
        if (t == null) {
            CURRENT.remove();
            ACTIVE.decrementAndGet();
        } else {
            CURRENT.set(t);
            if (before == null) {
                ACTIVE.incrementAndGet();
            }
        }
        return before;
    }

    /** False once the message crossed into an account that does not allow its trace: record nothing. */
    public boolean recording() {
        return !stopped;
    }

    /** True with {@code Nats-Trace-Only}: report where the message would go, deliver and store it nowhere. */
    public boolean traceOnly() {
        return only;
    }

    /** True when the header block (of {@code hdrLen} bytes at {@code off}) may ask for a trace: a cheap byte search. */
    static boolean mayTrace(byte[] data, int off, int hdrLen) {
        if (hdrLen < DEST_KEY.length) {
            return false;
        }
        int end = off + hdrLen - DEST_KEY.length;
        outer:
        for (int i = off; i <= end; i++) {
            for (int j = 0; j < DEST_KEY.length; j++) {
                if (data[i + j] != DEST_KEY[j]) {
                    continue outer;
                }
            }
            return i == off || data[i - 1] == '\n';
        }
        return false;
    }

    /**
     * The trace a message (header block of {@code hdrLen} bytes at {@code off}) asks for, or null:
     * a cheap byte search first, so an untraced message costs one scan of its headers; headers the
     * parser refuses trace nothing (the message goes on as sent). {@code origin} as below.
     */
    static MsgTrace lookFor(Server server, Account account, byte[] data, int off, int hdrLen, int totalLen,
                            Router.QueuePick random, boolean origin) {
        if (hdrLen <= 0 || !(mayTrace(data, off, hdrLen)
                || account.msgTrace != null && mayTraceContext(data, off, hdrLen))) {
            return null;
        }
        try {
            return of(server, account, Headers.parse(data, off, hdrLen), totalLen, random, origin);
        } catch (IllegalArgumentException badHeaders) {
            return null;
        }
    }

    /**
     * The trace the parsed headers ask for, or null: a {@code Nats-Trace-Dest} that is a valid
     * literal subject (a wildcard or empty destination traces nothing, as with nats-server), or a
     * sampled {@code traceparent} in an account with {@code msg_trace}. The message comes from a
     * client ({@code origin}) or over a route: only the origin samples a {@code traceparent} (a
     * message its sampling passed over has its destination disabled before it travels on), and a
     * routed one carries its hop id.
     */
    static MsgTrace of(Server server, Account account, Headers h, int msgSize, Router.QueuePick random,
                       boolean origin) {
        String dest = h.first(DEST);
        boolean only;
        if (dest != null && !dest.isEmpty() && io.weft.store.Subjects.isValidLiteralSubject(dest)) {
            String o = h.first(ONLY);
            only = o != null && (o.equals("1") || o.equalsIgnoreCase("true") || o.equalsIgnoreCase("on"));
        } else {
            // W3C trace context: a sampled traceparent, in an account whose msg_trace names a destination;
            // Nats-Trace-Only does not apply (the message is delivered as usual)
            io.weft.engine.auth.AuthConfig.MsgTraceConfig cfg = account.msgTrace;
            if (cfg == null) {
                return null;
            }
            List<String> tp = h.getIgnoreCase(TRACEPARENT);
            if (tp == null || tp.isEmpty() || !sampled(tp.get(0))) {
                return null;
            }
            if (origin && cfg.sampling() < 100 && random.next(100) >= cfg.sampling()) {
                return null;
            }
            dest = cfg.dest();
            only = false;
        }
        Map<String, List<String>> header = new TreeMap<>();
        for (int i = 0, n = h.size(); i < n; i++) {
            header.computeIfAbsent(h.keyAt(i), k -> new ArrayList<>(1)).add(h.valueAt(i));
        }
        MsgTrace t = new MsgTrace(server, account, dest, only, header, msgSize);
        if (!origin) {
            String hop = h.first(HOP);
            t.hop = hop == null || hop.isEmpty() ? null : hop;
        }
        return t;
    }

    /** A W3C {@code traceparent} ({@code version-traceid-parentid-flags}) whose flags have the sampled bit. */
    static boolean sampled(String tp) {
        String[] p = tp.trim().split("-", -1);
        if (p.length < 4 || p[0].length() != 2 || p[1].length() != 32 || p[2].length() != 16 || p[3].length() != 2) {
            return false;
        }
        try {
            return (Integer.parseInt(p[3], 16) & 1) == 1;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /** True when the headers name a {@code traceparent} in any case (checked only in accounts with {@code msg_trace}). */
    static boolean mayTraceContext(byte[] data, int off, int hdrLen) {
        int n = TRACEPARENT.length();
        outer:
        for (int i = off, end = off + hdrLen - n - 1; i <= end; i++) {
            if (i != off && data[i - 1] != '\n') {
                continue;
            }
            for (int j = 0; j < n; j++) {
                if (Character.toLowerCase((char) data[i + j]) != TRACEPARENT.charAt(j)) {
                    continue outer;
                }
            }
            if (data[i + n] == ':') {
                return true;
            }
        }
        return false;
    }

    String dest() {
        return dest;
    }

    Account account() {
        return account;
    }

    /** Routes one message, laid out as header block then payload. */
    @FunctionalInterface
    interface Onward {
        int route(byte[] data, int off, int hdrLen, int totalLen);
    }

    /**
     * A traced message crosses into another account. Where {@code allowed} the trace goes on
     * (egresses there show {@code importSubject} as their subscription when it is a stream import,
     * as nats-server does); elsewhere it stops: a trace-only message goes no further, any other
     * goes on, through a service import with {@code Nats-Trace-Dest: trace disabled} (so no later
     * server traces it either), through a stream export unchanged (as nats-server does).
     */
    static int crossing(MsgTrace trace, boolean allowed, String importSubject, byte[] data, int off, int hdrLen,
                        int totalLen, Onward onward) {
        if (allowed) {
            String before = trace.egressSubOverride;
            if (importSubject != null) {
                trace.egressSubOverride = importSubject;
            }
            try {
                return onward.route(data, off, hdrLen, totalLen);
            } finally {
                trace.egressSubOverride = before;
            }
        }
        if (trace.only) {
            return Router.NO_INTEREST;
        }
        if (importSubject != null) {
            // a stream export: nats-server delivers the message unchanged, the trace just stops
            trace.stopped = true;
            try {
                return onward.route(data, off, hdrLen, totalLen);
            } finally {
                trace.stopped = false;
            }
        }
        Rewritten out = withHeader(data, off, hdrLen, totalLen, DEST, DISABLED);
        trace.stopped = true;
        try {
            return onward.route(out.data(), 0, out.hdrLen(), out.data().length);
        } finally {
            trace.stopped = false;
        }
    }

    // ---------------------------------------------------------------- events

    private StringBuilder event(String type) {
        StringBuilder sb = new StringBuilder(96);
        sb.append("{\"type\":\"").append(type).append("\",\"ts\":").append(GoJsonQuote.json(now()));
        return sb;
    }

    private synchronized void add(StringBuilder sb) {
        events.add(sb.append('}').toString());
    }

    private static void str(StringBuilder sb, String key, String value) {
        if (value != null && !value.isEmpty()) {
            sb.append(",\"").append(key).append("\":").append(GoJsonQuote.json(value));
        }
    }

    void ingress(ClientConnection c, String subject, String error) {
        StringBuilder sb = event("in");
        sb.append(",\"kind\":").append(KIND_CLIENT).append(",\"cid\":").append(c.cid());
        str(sb, "name", clientName(c));
        str(sb, "acc", account.name());
        str(sb, "subj", subject);
        str(sb, "error", error);
        add(sb);
    }

    void subjectMapping(String to) {
        StringBuilder sb = event("sm");
        str(sb, "to", to);
        add(sb);
    }

    void streamExport(String toAccount, String to) {
        StringBuilder sb = event("se");
        str(sb, "acc", toAccount);
        str(sb, "to", to);
        add(sb);
    }

    void serviceImport(String toAccount, String from, String to) {
        StringBuilder sb = event("si");
        str(sb, "acc", toAccount);
        str(sb, "from", from);
        str(sb, "to", to);
        add(sb);
    }

    void clientEgress(ClientConnection c, String sub, String queue) {
        StringBuilder sb = event("eg");
        sb.append(",\"kind\":").append(KIND_CLIENT).append(",\"cid\":").append(c.cid());
        str(sb, "name", clientName(c));
        String acc = c.accountName();
        if (!acc.equals(account.name())) {
            str(sb, "acc", acc);
        }
        str(sb, "sub", egressSubOverride != null ? egressSubOverride : sub);
        str(sb, "queue", queue);
        add(sb);
    }

    /** The message came over the route {@code rid} from server {@code peerName}. */
    void routeIngress(long rid, String peerName, String subject) {
        StringBuilder sb = event("in");
        sb.append(",\"kind\":").append(KIND_ROUTER).append(",\"cid\":").append(rid);
        str(sb, "name", peerName);
        str(sb, "acc", account.name());
        str(sb, "subj", subject);
        add(sb);
    }

    /**
     * The hop id of the next route this message leaves by: this server's own id (empty at the
     * origin) and the count of route egresses so far, as nats-server numbers them.
     */
    synchronized String nextHop() {
        hops++;
        return hop == null ? Integer.toString(hops) : hop + "." + hops;
    }

    /**
     * The message leaves for a route peer as hop {@code nhop}; {@code error} (null: none) says when
     * the peer does not trace what it receives (then it sent no event, or for a trace-only message
     * the message was not sent at all).
     */
    void routeEgress(long rid, String peerName, String nhop, String error) {
        StringBuilder sb = event("eg");
        sb.append(",\"kind\":").append(KIND_ROUTER);
        if (rid >= 0) {
            sb.append(",\"cid\":").append(rid);
        }
        str(sb, "name", peerName);
        str(sb, "hop", nhop);
        str(sb, "error", error);
        add(sb);
    }

    /** A message laid out again: header block of {@code hdrLen} bytes, then the payload. */
    record Rewritten(byte[] data, int hdrLen) {
    }

    /**
     * The message's header and payload with header {@code key} set to {@code value}, as nats-server
     * sets one: the other header lines stay byte for byte, a line of {@code key} is removed and
     * {@code key: value} appended last.
     */
    static Rewritten withHeader(byte[] data, int off, int hdrLen, int totalLen, String key, String value) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(totalLen + key.length() + value.length() + 4);
        byte[] k = (key + ":").getBytes(StandardCharsets.US_ASCII);
        int end = off + Math.max(0, hdrLen - 2); // the block without its closing CRLF
        int line = off;
        while (line < end) {
            int next = line;
            while (next + 1 < off + hdrLen && !(data[next] == '\r' && data[next + 1] == '\n')) {
                next++;
            }
            int stop = Math.min(next + 2, end);
            // the status line stays; a line of the key goes
            if (line == off || !startsWith(data, line, next, k)) {
                out.write(data, line, stop - line);
            }
            line = stop;
        }
        if (out.size() == 0) {
            out.writeBytes("NATS/1.0\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        out.writeBytes((key + ": " + value + "\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        int newHdr = out.size();
        out.write(data, off + hdrLen, totalLen - hdrLen);
        return new Rewritten(out.toByteArray(), newHdr);
    }

    private static boolean startsWith(byte[] data, int from, int to, byte[] prefix) {
        if (to - from < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (data[from + i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    private boolean jsApiSeen;

    /** True the first time the JetStream API is met on this message's way. */
    synchronized boolean firstJetStreamApi() {
        if (jsApiSeen) {
            return false;
        }
        jsApiSeen = true;
        return true;
    }

    /** JetStream will report on the message later ({@link #jetStream}); the trace waits for it. */
    public synchronized void holdForJetStream() {
        holds++;
    }

    /**
     * What a stream did with the message (the end of a {@link #holdForJetStream}): {@code subject}
     * when it took it, {@code error} when it refused it, {@code noInterest} for an interest stream
     * nobody is interested in.
     */
    public void jetStream(String stream, String subject, boolean noInterest, String error) {
        StringBuilder sb = event("js");
        str(sb, "stream", stream);
        str(sb, "subject", subject);
        if (noInterest) {
            sb.append(",\"nointerest\":true");
        }
        str(sb, "error", error);
        add(sb);
        release();
    }

    /** Ends one hold; the last sends the trace event. */
    void release() {
        synchronized (this) {
            if (--holds > 0 || sent) {
                return;
            }
            sent = true;
        }
        byte[] json = toJson().getBytes(StandardCharsets.UTF_8);
        MsgTrace before = swap(null);
        try {
            account.publish(dest, null, null, json);
        } finally {
            swap(before);
        }
    }

    private static String clientName(ClientConnection c) {
        var o = c.connectOptions();
        return o == null ? null : o.name();
    }

    synchronized String toJson() {
        StringBuilder sb = new StringBuilder(256 + 128 * events.size());
        sb.append("{\"server\":").append(serverJson());
        sb.append(",\"request\":{\"header\":{");
        boolean first = true;
        for (Map.Entry<String, List<String>> e : header.entrySet()) {
            if (!first) {
                sb.append(',');
            }
            first = false;
            sb.append(GoJsonQuote.json(e.getKey())).append(":[");
            for (int i = 0; i < e.getValue().size(); i++) {
                if (i > 0) {
                    sb.append(',');
                }
                sb.append(GoJsonQuote.json(e.getValue().get(i)));
            }
            sb.append(']');
        }
        sb.append("},\"msgsize\":").append(msgSize).append('}');
        if (hops > 0) {
            sb.append(",\"hops\":").append(hops);
        }
        sb.append(",\"events\":[");
        for (int i = 0; i < events.size(); i++) {
            if (i > 0) {
                sb.append(',');
            }
            sb.append(events.get(i));
        }
        return sb.append("]}").toString();
    }

    /** The {@code server} object nats-server puts in its events: who sent it. */
    private String serverJson() {
        StringBuilder sb = new StringBuilder(256);
        sb.append("{\"name\":").append(GoJsonQuote.json(server.serverName()));
        sb.append(",\"host\":").append(GoJsonQuote.json(server.options().host));
        sb.append(",\"id\":").append(GoJsonQuote.json(server.serverId()));
        String cluster = server.clusterNameForEvents();
        str(sb, "cluster", cluster);
        str(sb, "domain", server.options().jetstreamDomain);
        sb.append(",\"ver\":").append(GoJsonQuote.json(Server.COMPAT_VERSION));
        boolean js = server.jetstreamEnabled();
        sb.append(",\"jetstream\":").append(js);
        sb.append(",\"flags\":").append(js ? 1 : 0);
        sb.append(",\"seq\":").append(server.nextEventSeq());
        sb.append(",\"time\":").append(GoJsonQuote.json(now()));
        return sb.append('}').toString();
    }

    private String now() {
        return rfc3339(server.env().clock().currentTimeMillis() * 1_000_000L);
    }

    /** Epoch nanoseconds in Go's RFC 3339 with nanoseconds, trailing zeros trimmed. */
    static String rfc3339(long epochNanos) {
        return io.weft.engine.json.GoFormat.timeNanos(epochNanos);
    }
}
