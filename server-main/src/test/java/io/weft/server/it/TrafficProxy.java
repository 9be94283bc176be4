package io.weft.server.it;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * A logging TCP proxy between a client and a NATS server: bytes pass unchanged both ways, and
 * every protocol frame is recorded ({@code >} client to server, {@code <} server to client) with its
 * subject, reply, header block and the start of its payload. {@link #mark(String)} labels what
 * follows, so the frames one client call caused can be picked out.
 */
final class TrafficProxy implements AutoCloseable {
    /** One recorded frame. {@code label} is the last {@link #mark} before it. */
    record Frame(String label, boolean fromClient, String op, String subject, String reply, String headers, String payload) {
        @Override
        public String toString() {
            return (fromClient ? "> " : "< ") + op + " " + subject + (reply == null ? "" : " reply=" + reply)
                    + (headers == null ? "" : " hdr[" + headers.trim().replace("\r\n", " | ") + "]")
                    + (payload == null || payload.isEmpty() ? "" : " " + payload);
        }
    }

    static final int PAYLOAD_CHARS = 1200;

    private final ServerSocket listener;
    private final int upstreamPort;
    private final List<Frame> frames = new CopyOnWriteArrayList<>();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private volatile String label = "";

    TrafficProxy(int upstreamPort) throws IOException {
        this.upstreamPort = upstreamPort;
        this.listener = new ServerSocket();
        listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        Thread.ofVirtual().name("proxy-accept").start(this::acceptLoop);
    }

    int port() {
        return listener.getLocalPort();
    }

    String url() {
        return "nats://127.0.0.1:" + port();
    }

    void mark(String newLabel) {
        label = newLabel;
    }

    List<Frame> frames() {
        return List.copyOf(frames);
    }

    List<Frame> frames(String forLabel) {
        return frames.stream().filter(f -> f.label().equals(forLabel)).toList();
    }

    private void acceptLoop() {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                Socket server = new Socket();
                server.connect(new InetSocketAddress("127.0.0.1", upstreamPort), 5000);
                client.setTcpNoDelay(true);
                server.setTcpNoDelay(true);
                sockets.add(client);
                sockets.add(server);
                FrameParser up = new FrameParser(true, frames::add);
                FrameParser down = new FrameParser(false, frames::add);
                Thread.ofVirtual().start(() -> pump(client, server, up));
                Thread.ofVirtual().start(() -> pump(server, client, down));
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void pump(Socket from, Socket to, FrameParser parser) {
        byte[] buf = new byte[65536];
        try (InputStream in = from.getInputStream()) {
            OutputStream out = to.getOutputStream();
            int n;
            while ((n = in.read(buf)) >= 0) {
                parser.feed(buf, n);
                out.write(buf, 0, n);
                out.flush();
            }
        } catch (IOException ignored) {
            // either side went away
        } finally {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    @Override
    public void close() {
        try {
            listener.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        sockets.forEach(TrafficProxy::closeQuietly);
    }

    /** Incremental parser of one direction of the NATS protocol. */
    private final class FrameParser {
        private final boolean fromClient;
        private final Consumer<Frame> sink;
        private final ByteArrayOutputStream pendingBytes = new ByteArrayOutputStream();

        FrameParser(boolean fromClient, Consumer<Frame> sink) {
            this.fromClient = fromClient;
            this.sink = sink;
        }

        void feed(byte[] b, int n) {
            pendingBytes.write(b, 0, n);
            byte[] all = pendingBytes.toByteArray();
            int pos = 0;
            while (true) {
                int eol = -1;
                for (int i = pos; i + 1 < all.length; i++) {
                    if (all[i] == '\r' && all[i + 1] == '\n') {
                        eol = i;
                        break;
                    }
                }
                if (eol < 0) {
                    break;
                }
                String line = new String(all, pos, eol - pos, StandardCharsets.UTF_8);
                String[] p = line.trim().split("\\s+");
                String op = p[0].toUpperCase(Locale.ROOT);
                boolean msg = op.equals("PUB") || op.equals("HPUB") || op.equals("MSG") || op.equals("HMSG");
                if (!msg) {
                    if (op.equals("SUB") || op.equals("UNSUB") || op.equals("CONNECT") || op.startsWith("-ERR")) {
                        sink.accept(new Frame(label, fromClient, op, p.length > 1 ? p[1] : "",
                                null, null, line.length() > PAYLOAD_CHARS ? line.substring(0, PAYLOAD_CHARS) : line));
                    }
                    pos = eol + 2;
                    continue;
                }
                boolean headers = op.startsWith("H");
                int total = Integer.parseInt(p[p.length - 1]);
                int hlen = headers ? Integer.parseInt(p[p.length - 2]) : 0;
                int start = eol + 2;
                if (all.length < start + total + 2) {
                    break; // wait for the rest
                }
                int fixed = op.startsWith("M") || op.startsWith("HM") ? 3 : 2; // MSG subj sid [reply] / PUB subj [reply]
                int args = p.length - 1 - (headers ? 2 : 1);
                String reply = args >= fixed ? p[fixed] : null;
                String hdr = headers ? new String(all, start, hlen, StandardCharsets.UTF_8) : null;
                int plen = Math.min(total - hlen, PAYLOAD_CHARS);
                String payload = printable(all, start + hlen, plen) + (total - hlen > PAYLOAD_CHARS ? "...(" + (total - hlen) + " bytes)" : "");
                sink.accept(new Frame(label, fromClient, op, p[1], reply, hdr, payload));
                pos = start + total + 2;
            }
            pendingBytes.reset();
            pendingBytes.write(all, pos, all.length - pos);
        }
    }

    private static String printable(byte[] b, int from, int len) {
        StringBuilder sb = new StringBuilder();
        for (int i = from; i < from + len; i++) {
            int c = b[i] & 0xff;
            sb.append(c >= 0x20 && c < 0x7f ? (char) c : '.');
        }
        return sb.toString();
    }

    /** The frames as text, one per line, for reports. */
    static String describe(List<Frame> frames) {
        List<String> lines = new ArrayList<>();
        for (Frame f : frames) {
            lines.add("    " + f);
        }
        return String.join("\n", lines);
    }
}
