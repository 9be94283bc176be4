package io.weft.server.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * A raw-socket request/reply client for the {@code $JS.API} differential tests: one connection with
 * headers and no-responders on, one wildcard inbox subscription, and one request at a time, each
 * waiting for the reply on its own inbox subject. Replies are normalised for comparison between
 * servers (see {@link #normalise(Reply)}).
 */
final class JsApiExchange implements AutoCloseable {
    static final String INBOX = "_INBOX.jsdiff";
    /** Keys whose values differ per server, per run or per clock: removed before comparison. */
    static final Set<String> VOLATILE_KEYS = Set.of("created", "ts", "time", "first_ts", "last_ts", "last_active",
            "server_id", "server_name", "version", "go", "host", "cluster", "nonce", "client_id", "client_ip", "api");
    /**
     * ADR-44 metadata keys that describe the server rather than the asset ({@code _nats.ver}, the
     * server's version, and {@code _nats.level}, the API level it implements): their values differ
     * by design between weft and nats-server, so only their presence is compared. The asset's
     * required level, {@code _nats.req.level}, is compared as is.
     */
    static final Set<String> SERVER_METADATA = Set.of("_nats.ver", "_nats.level");
    /** Headers whose values are times: removed before comparison. */
    static final Set<String> VOLATILE_HEADERS = Set.of("nats-time-stamp");
    /**
     * Fields that nats-server 2.10+ added to replies and that 2.9.10 (the reference here) lacks: weft,
     * which implements the 2.10 API, may send them; they are dropped from the candidate's reply
     * only where the reference reply has no such field at the same place.
     */
    static final Set<String> NEWER_FIELDS = Set.of("compression", "first_seq", "subject_transform", "subject_transforms",
            "metadata", "consumer_limits", "discard_new_per_subject", "filter_subjects", "did_create", "pause_until",
            "paused", "pause_remaining", "priority_groups", "priority_policy", "priority_timeout", "allow_msg_ttl",
            "subject_delete_marker_ttl", "allow_atomic", "allow_msg_counter", "allow_msg_schedules",
            "persist_mode", "mirror_direct", "sealed_sources", "num_subjects_deleted", "name", "reserved_memory",
            "reserved_storage");

    private static final ObjectMapper JSON = new ObjectMapper();

    /** One reply: its subject, the header block (null without headers) and the payload. */
    record Reply(String subject, String replyTo, String headers, byte[] payload) {
        Reply(String subject, String headers, byte[] payload) {
            this(subject, null, headers, payload);
        }

        String payloadText() {
            return new String(payload, StandardCharsets.UTF_8);
        }
    }

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final ByteArrayOutputStream buf = new ByteArrayOutputStream();
    private final List<Reply> pending = new ArrayList<>();
    private int consumed;
    private int next;

    private JsApiExchange(Socket socket) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
    }

    static JsApiExchange open(int port) throws IOException {
        return open(port, "");
    }

    /** As {@link #open(int)}, with extra CONNECT fields (e.g. {@code "user":"a","pass":"b"}; empty for none). */
    static JsApiExchange open(int port, String extraConnectFields) throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        s.setTcpNoDelay(true);
        JsApiExchange x = new JsApiExchange(s);
        String extra = extraConnectFields.isEmpty() ? "" : "," + extraConnectFields;
        x.send(("CONNECT {\"verbose\":false,\"pedantic\":false,\"headers\":true,\"no_responders\":true" + extra + "}\r\n"
                + "SUB " + INBOX + ".> 1\r\nPING\r\n").getBytes(StandardCharsets.US_ASCII));
        if (!x.awaitPong(Duration.ofSeconds(10))) {
            throw new IOException("no PONG from port " + port + "; got " + x.bufText());
        }
        return x;
    }

    private void send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    private String bufText() {
        return buf.toString(StandardCharsets.UTF_8);
    }

    /** Sends a request (headers may be null) and waits for its reply; null when none came in time. */
    Reply request(String subject, String headers, String payload, Duration timeout) throws IOException {
        String reply = INBOX + "." + (++next);
        byte[] body = payload.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream frame = new ByteArrayOutputStream();
        if (headers == null) {
            frame.writeBytes(("PUB " + subject + " " + reply + " " + body.length + "\r\n").getBytes(StandardCharsets.UTF_8));
        } else {
            String hdr = "NATS/1.0\r\n" + headers + "\r\n";
            byte[] h = hdr.getBytes(StandardCharsets.UTF_8);
            frame.writeBytes(("HPUB " + subject + " " + reply + " " + h.length + " " + (h.length + body.length) + "\r\n")
                    .getBytes(StandardCharsets.UTF_8));
            frame.writeBytes(h);
        }
        frame.writeBytes(body);
        frame.writeBytes(new byte[] {'\r', '\n'});
        send(frame.toByteArray());
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            for (Iterator<Reply> it = pending.iterator(); it.hasNext(); ) {
                Reply r = it.next();
                // a JetStream delivery (pull or push to our inbox) keeps the stream subject, so any
                // message that is not on another request's inbox (or awaited by prefix) belongs to this one
                if (r.subject().equals(reply) || !r.subject().startsWith(INBOX + ".")) {
                    it.remove();
                    return r;
                }
            }
            long left = (deadline - System.nanoTime()) / 1_000_000;
            if (left <= 0 || !readSome((int) Math.max(1, Math.min(left, 200)))) {
                if (left <= 0) {
                    return null;
                }
            }
        }
    }

    /** Waits for a message (not a request's reply) whose subject starts with {@code prefix}; null when none came. */
    Reply awaitMessage(String prefix, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            for (Iterator<Reply> it = pending.iterator(); it.hasNext(); ) {
                Reply r = it.next();
                if (r.subject().startsWith(prefix)) {
                    it.remove();
                    return r;
                }
            }
            long left = (deadline - System.nanoTime()) / 1_000_000;
            if (left <= 0) {
                return null;
            }
            readSome((int) Math.max(1, Math.min(left, 200)));
        }
    }

    /** Sends a message without a reply subject, then PING, and waits for the PONG. */
    void publish(String subject, String payload) throws IOException {
        byte[] body = payload.getBytes(StandardCharsets.UTF_8);
        send(("PUB " + subject + " " + body.length + "\r\n" + payload + "\r\nPING\r\n").getBytes(StandardCharsets.UTF_8));
        if (!awaitPong(Duration.ofSeconds(5))) {
            throw new IOException("no PONG after publish to " + subject);
        }
    }

    private int pongs;

    private boolean awaitPong(Duration timeout) throws IOException {
        int want = pongs + 1;
        long deadline = System.nanoTime() + timeout.toNanos();
        while (pongs < want) {
            long left = (deadline - System.nanoTime()) / 1_000_000;
            if (left <= 0) {
                return false;
            }
            readSome((int) Math.max(1, Math.min(left, 200)));
        }
        return true;
    }

    /** Reads what is available and parses complete frames; false on timeout with nothing read. */
    private boolean readSome(int timeoutMillis) throws IOException {
        socket.setSoTimeout(timeoutMillis);
        byte[] b = new byte[65536];
        int n;
        try {
            n = in.read(b);
        } catch (SocketTimeoutException e) {
            return false;
        }
        if (n < 0) {
            throw new IOException("server closed the connection; received: " + bufText());
        }
        buf.write(b, 0, n);
        parse();
        return true;
    }

    private void parse() throws IOException {
        byte[] all = buf.toByteArray();
        while (true) {
            int eol = indexOfCrlf(all, consumed);
            if (eol < 0) {
                return;
            }
            String line = new String(all, consumed, eol - consumed, StandardCharsets.UTF_8);
            String[] p = line.split(" ");
            String op = p[0].toUpperCase(Locale.ROOT);
            switch (op) {
                case "MSG", "HMSG" -> {
                    boolean h = op.equals("HMSG");
                    int total = Integer.parseInt(p[p.length - 1]);
                    int hlen = h ? Integer.parseInt(p[p.length - 2]) : 0;
                    int start = eol + 2;
                    if (all.length < start + total + 2) {
                        return; // incomplete
                    }
                    String headers = h ? new String(all, start, hlen, StandardCharsets.UTF_8) : null;
                    byte[] payload = java.util.Arrays.copyOfRange(all, start + hlen, start + total);
                    String replyTo = p.length == (h ? 6 : 5) ? p[3] : null;
                    pending.add(new Reply(p[1], replyTo, headers, payload));
                    consumed = start + total + 2;
                }
                case "PING" -> {
                    send("PONG\r\n".getBytes(StandardCharsets.US_ASCII));
                    consumed = eol + 2;
                }
                case "PONG" -> {
                    pongs++;
                    consumed = eol + 2;
                }
                default -> consumed = eol + 2; // INFO, +OK, -ERR: not requests' replies
            }
        }
    }

    private static int indexOfCrlf(byte[] b, int from) {
        for (int i = from; i + 1 < b.length; i++) {
            if (b[i] == '\r' && b[i + 1] == '\n') {
                return i;
            }
        }
        return -1;
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    // ---- normalisation ----

    /** The reply as comparable text: header block minus times, then the payload (JSON normalised). */
    static String normalise(Reply r) {
        if (r == null) {
            return "<no reply>";
        }
        StringBuilder sb = new StringBuilder();
        if (!r.subject().startsWith(INBOX + ".")) {
            sb.append("delivery subject=").append(r.subject()).append(" ack=").append(ackWithoutTime(r.replyTo())).append(' ');
        }
        if (r.headers() != null) {
            sb.append("headers[");
            List<String> kept = new ArrayList<>();
            for (String h : r.headers().split("\r\n")) {
                if (h.isEmpty()) {
                    continue;
                }
                if (h.startsWith("NATS/1.0 400 Bad Request - ")) {
                    // the detail is Go's JSON decoder message; only its presence is compared
                    kept.add("NATS/1.0 400 Bad Request - <detail>");
                    continue;
                }
                int colon = h.indexOf(':');
                if (colon > 0 && VOLATILE_HEADERS.contains(h.substring(0, colon).trim().toLowerCase(Locale.ROOT))) {
                    kept.add(h.substring(0, colon) + ": <volatile>");
                    continue;
                }
                kept.add(h);
            }
            sb.append(String.join(" | ", kept)).append("] ");
        }
        JsonNode json = parseJson(r.payload());
        if (json != null) {
            sb.append(canonical(json));
        } else {
            sb.append(RawExchange.escape(r.payload(), 0, r.payload().length));
        }
        return sb.toString();
    }

    /** {@code $JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending>} with the time blanked. */
    static String ackWithoutTime(String ack) {
        if (ack == null) {
            return "-";
        }
        String[] t = ack.split("\\.");
        if (t.length == 9 && t[0].equals("$JS") && t[1].equals("ACK")) {
            t[7] = "<ts>";
        }
        return String.join(".", t);
    }

    static JsonNode parseJson(byte[] payload) {
        if (payload.length == 0 || (payload[0] != '{' && payload[0] != '[')) {
            return null;
        }
        try {
            return JSON.readTree(payload);
        } catch (IOException e) {
            return null;
        }
    }

    /** Sorted keys, volatile keys removed, recursively. */
    static JsonNode canonical(JsonNode node) {
        if (node.isObject()) {
            ObjectNode out = JsonNodeFactory.instance.objectNode();
            Set<String> keys = new TreeSet<>();
            node.fieldNames().forEachRemaining(keys::add);
            for (String k : keys) {
                if (SERVER_METADATA.contains(k) && node.get(k).isTextual()) {
                    out.put(k, "<server>");
                } else if (!VOLATILE_KEYS.contains(k)) {
                    out.set(k, canonical(node.get(k)));
                }
            }
            return out;
        }
        if (node.isArray()) {
            ArrayNode out = JsonNodeFactory.instance.arrayNode();
            node.forEach(e -> out.add(canonical(e)));
            return out;
        }
        return node;
    }

    /**
     * Drops from {@code candidate} the {@link #NEWER_FIELDS} that the reference lacks at the same
     * place (arrays are walked element by element). Both arguments are normalised reply texts.
     */
    static String withoutNewerFields(String reference, String candidate) {
        int refJson = reference.indexOf('{');
        int candJson = candidate.indexOf('{');
        if (refJson < 0 || candJson < 0) {
            return candidate;
        }
        try {
            JsonNode ref = JSON.readTree(reference.substring(refJson));
            JsonNode cand = JSON.readTree(candidate.substring(candJson));
            prune(ref, cand);
            return candidate.substring(0, candJson) + cand;
        } catch (IOException e) {
            return candidate;
        }
    }

    /** The normalised reply text with these keys removed at any depth of its JSON. */
    static String withoutKeys(String normalised, Set<String> keys) {
        int at = normalised.indexOf('{');
        if (at < 0) {
            return normalised;
        }
        try {
            JsonNode node = JSON.readTree(normalised.substring(at));
            dropKeys(node, keys);
            return normalised.substring(0, at) + node;
        } catch (IOException e) {
            return normalised;
        }
    }

    private static void dropKeys(JsonNode node, Set<String> keys) {
        if (node.isObject()) {
            ((ObjectNode) node).remove(keys);
        }
        node.forEach(child -> dropKeys(child, keys));
    }

    private static void prune(JsonNode ref, JsonNode cand) {
        if (ref == null || cand == null) {
            return;
        }
        if (ref.isObject() && cand.isObject()) {
            ObjectNode c = (ObjectNode) cand;
            List<String> names = new ArrayList<>();
            c.fieldNames().forEachRemaining(names::add);
            for (String k : names) {
                if (!ref.has(k) && NEWER_FIELDS.contains(k)) {
                    c.remove(k);
                } else {
                    prune(ref.get(k), c.get(k));
                }
            }
        } else if (ref.isArray() && cand.isArray()) {
            for (int i = 0; i < Math.min(ref.size(), cand.size()); i++) {
                prune(ref.get(i), cand.get(i));
            }
        }
    }
}
