package io.weft.server.it;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Predicate;

/**
 * A raw-socket client that works in bytes, not text: what it sends and the subjects, replies and
 * payloads it reads back are byte arrays, so a test can see exactly which bytes a server put on
 * the wire (subjects that are not UTF-8 included). Incoming MSG/HMSG/PING/PONG/+OK/-ERR/INFO are
 * split into {@link Frame}s; a PING from the server is answered.
 */
final class ByteClient implements AutoCloseable {
    private final Socket socket;
    private final InputStream in;
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
    private final List<Frame> frames = new ArrayList<>();
    private int inboxes;

    /** One operation from the server; {@code headers} is empty without a header block. */
    record Frame(String op, byte[] subject, String sid, byte[] reply, byte[] headers, byte[] payload, String line) {
        String subjectText() {
            return subject == null ? null : new String(subject, StandardCharsets.ISO_8859_1);
        }

        String payloadText() {
            return payload == null ? null : new String(payload, StandardCharsets.UTF_8);
        }

        String headersText() {
            return new String(headers, StandardCharsets.ISO_8859_1);
        }
    }

    private ByteClient(Socket socket) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
    }

    /** Connects, reads INFO, sends CONNECT (headers on) and waits for the PONG of a PING. */
    static ByteClient connect(int port) throws IOException {
        return connect(port, "{\"verbose\":false,\"pedantic\":false,\"headers\":true,\"protocol\":1}");
    }

    static ByteClient connect(int port, String connectJson) throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        s.setTcpNoDelay(true);
        ByteClient c = new ByteClient(s);
        c.await(f -> f.op().equals("INFO"), Duration.ofSeconds(10));
        c.send(b("CONNECT " + connectJson + "\r\n"));
        c.ping();
        return c;
    }

    /** ASCII text as bytes, for building protocol lines around raw subject bytes. */
    static byte[] b(String ascii) {
        return ascii.getBytes(StandardCharsets.ISO_8859_1);
    }

    static byte[] cat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    void send(byte[] bytes) throws IOException {
        socket.getOutputStream().write(bytes);
        socket.getOutputStream().flush();
    }

    void sub(byte[] subject, byte[] queue, String sid) throws IOException {
        send(queue == null ? cat(b("SUB "), subject, b(" " + sid + "\r\n"))
                : cat(b("SUB "), subject, b(" "), queue, b(" " + sid + "\r\n")));
    }

    void pub(byte[] subject, byte[] reply, byte[] payload) throws IOException {
        byte[] r = reply == null ? new byte[0] : cat(b(" "), reply);
        send(cat(b("PUB "), subject, r, b(" " + payload.length + "\r\n"), payload, b("\r\n")));
    }

    /** Sends PING and waits for its PONG: everything the server did before is then in {@link #frames()}. */
    void ping() throws IOException {
        int pongs = count("PONG");
        send(b("PING\r\n"));
        if (!await(f -> false, Duration.ofSeconds(10), () -> count("PONG") > pongs)) {
            throw new IOException("no PONG; got " + frames);
        }
    }

    /**
     * A request on a fresh inbox ({@code _SB.<n>}, subscribed once as {@code _SB.>}); returns the
     * reply, or null when none came within {@code timeout}.
     */
    Frame request(byte[] subject, byte[] body, Duration timeout) throws IOException {
        if (inboxes == 0) {
            sub(b("_SB.>"), null, "99");
        }
        byte[] inbox = b("_SB." + (++inboxes));
        pub(subject, inbox, body);
        return awaitFrame(f -> f.subject() != null && Arrays.equals(f.subject(), inbox), timeout);
    }

    /** The first frame (received so far or within {@code timeout}) that matches. */
    Frame awaitFrame(Predicate<Frame> p, Duration timeout) throws IOException {
        await(p, timeout);
        for (Frame f : frames) {
            if (p.test(f)) {
                return f;
            }
        }
        return null;
    }

    /** Reads until {@code n} frames match or the timeout; returns the matching ones. */
    List<Frame> awaitFrames(Predicate<Frame> p, int n, Duration timeout) throws IOException {
        await(f -> false, timeout, () -> frames.stream().filter(p).count() >= n);
        return frames.stream().filter(p).toList();
    }

    List<Frame> frames() {
        return frames;
    }

    /** The MSG/HMSG frames delivered to {@code sid}. */
    List<Frame> msgs(String sid) {
        return frames.stream().filter(f -> f.sid() != null && f.sid().equals(sid)).toList();
    }

    private int count(String op) {
        return (int) frames.stream().filter(f -> f.op().equals(op)).count();
    }

    private boolean await(Predicate<Frame> p, Duration timeout) throws IOException {
        return await(p, timeout, () -> false);
    }

    private boolean await(Predicate<Frame> p, Duration timeout, java.util.function.BooleanSupplier done) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        byte[] buf = new byte[65536];
        while (true) {
            if (done.getAsBoolean() || frames.stream().anyMatch(p)) {
                return true;
            }
            long left = (deadline - System.nanoTime()) / 1_000_000;
            if (left <= 0) {
                return false;
            }
            socket.setSoTimeout((int) Math.max(1, Math.min(left, 200)));
            int n;
            try {
                n = in.read(buf);
            } catch (SocketTimeoutException e) {
                continue;
            }
            if (n < 0) {
                throw new IOException("server closed the connection; got " + frames);
            }
            pending.write(buf, 0, n);
            split();
        }
    }

    /** Moves every complete operation from {@link #pending} into {@link #frames}. */
    private void split() throws IOException {
        byte[] a = pending.toByteArray();
        int p = 0;
        while (true) {
            int eol = indexOf(a, p, (byte) '\n');
            if (eol < 0) {
                break;
            }
            int lineEnd = eol > p && a[eol - 1] == '\r' ? eol - 1 : eol;
            byte[] line = Arrays.copyOfRange(a, p, lineEnd);
            String text = new String(line, StandardCharsets.ISO_8859_1);
            String op = text.split(" ", 2)[0].toUpperCase(java.util.Locale.ROOT);
            if (op.equals("MSG") || op.equals("HMSG")) {
                String[] t = text.split(" ");
                boolean h = op.equals("HMSG");
                int total = Integer.parseInt(t[t.length - 1]);
                int hdr = h ? Integer.parseInt(t[t.length - 2]) : 0;
                int start = eol + 1;
                if (a.length < start + total + 2) {
                    break; // payload not all here yet
                }
                boolean withReply = t.length == (h ? 6 : 5);
                frames.add(new Frame(op, b(t[1]), t[2], withReply ? b(t[3]) : null,
                        Arrays.copyOfRange(a, start, start + hdr), Arrays.copyOfRange(a, start + hdr, start + total), text));
                p = start + total + 2;
                continue;
            }
            frames.add(new Frame(op, null, null, null, new byte[0], null, text));
            if (op.equals("PING")) {
                send(b("PONG\r\n"));
            }
            p = eol + 1;
        }
        pending.reset();
        pending.write(a, p, a.length - p);
    }

    private static int indexOf(byte[] a, int from, byte x) {
        for (int i = from; i < a.length; i++) {
            if (a[i] == x) {
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
}
