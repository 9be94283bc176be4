package io.weft.fuzz;

import io.weft.engine.protocol.ProtocolException;
import io.weft.engine.protocol.ProtocolHandler;
import io.weft.engine.protocol.ProtocolParser;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * A bare NATS client over a real socket for the live-server tests. Everything the server sends is
 * run through weft's client-side parser: anything that is not a protocol operation (INFO, +OK,
 * -ERR, PING, PONG, MSG, HMSG) is recorded as {@link #garbage()}. It sends whatever bytes it is
 * given, so it can also play a broken client.
 */
final class WireClient implements AutoCloseable {
    /** One delivered message; {@code headers} is null for MSG. */
    record Msg(String subject, String sid, String reply, byte[] headers, byte[] payload) {
        String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }
    }

    private final Socket socket;
    private final OutputStream out;
    private final ReentrantLock writeLock = new ReentrantLock();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final List<Msg> messages = new ArrayList<>();
    private final List<String> errors = new ArrayList<>();
    private final List<String> opKinds = new ArrayList<>();
    private long pongs;
    private long oks;
    private long lastInputNanos = System.nanoTime();
    private volatile long lastSendNanos = System.nanoTime();
    private String garbage;
    private boolean closed;
    private final boolean keepOpKinds;
    private long clientId = -1;
    private static final java.util.regex.Pattern CLIENT_ID = java.util.regex.Pattern.compile("\"client_id\":(\\d+)");

    WireClient(int port) throws IOException {
        this(port, true);
    }

    /** {@code keepOpKinds} = false for high-volume clients, which then keep only messages and counters. */
    WireClient(int port, boolean keepOpKinds) throws IOException {
        this.keepOpKinds = keepOpKinds;
        socket = new Socket("127.0.0.1", port);
        socket.setTcpNoDelay(true);
        out = socket.getOutputStream();
        Thread.ofVirtual().name("wire-client-reader").start(this::readLoop);
    }

    void send(byte[] bytes) throws IOException {
        send(bytes, 0, bytes.length);
    }

    void send(byte[] bytes, int off, int len) throws IOException {
        writeLock.lock();
        try {
            out.write(bytes, off, len);
            out.flush();
            lastSendNanos = System.nanoTime();
        } finally {
            writeLock.unlock();
        }
    }

    void send(String text) throws IOException {
        send(text.getBytes(StandardCharsets.UTF_8));
    }

    /** Sends PING and waits for its PONG: everything sent before has been handled by the server. */
    void flush(long timeoutMillis) throws IOException, InterruptedException {
        long want;
        lock.lock();
        try {
            want = pongs + 1;
        } finally {
            lock.unlock();
        }
        send("PING\r\n");
        if (!await(() -> pongs >= want || closed, timeoutMillis) || pongs < want) {
            throw new AssertionError("no PONG within " + timeoutMillis + " ms (closed=" + closed()
                    + ", errors=" + errors() + ", garbage=" + garbage() + ")");
        }
    }

    /**
     * Waits until the server closed the connection, or neither side sent anything for
     * {@code quietMillis} after the server's first bytes.
     */
    void awaitClosedOrQuiet(long quietMillis, long timeoutMillis) throws InterruptedException {
        long quiet = TimeUnit.MILLISECONDS.toNanos(quietMillis);
        await(() -> closed || (!opKinds.isEmpty() || !messages.isEmpty())
                && System.nanoTime() - Math.max(lastInputNanos, lastSendNanos) >= quiet, timeoutMillis);
    }

    /** Waits for the server's first operation (its INFO) or the close. */
    boolean awaitGreeting(long timeoutMillis) throws InterruptedException {
        return await(() -> closed || pongs > 0 || !opKinds.isEmpty() || !messages.isEmpty(), timeoutMillis);
    }

    boolean awaitMessages(int count, long timeoutMillis) throws InterruptedException {
        return await(() -> messages.size() >= count, timeoutMillis);
    }

    private boolean await(BooleanSupplier condition, long timeoutMillis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        lock.lock();
        try {
            while (!condition.getAsBoolean()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                changed.awaitNanos(Math.min(left, TimeUnit.MILLISECONDS.toNanos(5)));
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    List<Msg> messages() {
        lock.lock();
        try {
            return new ArrayList<>(messages);
        } finally {
            lock.unlock();
        }
    }

    List<String> errors() {
        lock.lock();
        try {
            return new ArrayList<>(errors);
        } finally {
            lock.unlock();
        }
    }

    /** The kinds of operations received, in order (INFO, +OK, -ERR, PING, PONG, MSG, HMSG). */
    List<String> opKinds() {
        lock.lock();
        try {
            return new ArrayList<>(opKinds);
        } finally {
            lock.unlock();
        }
    }

    /** Why the server's output was not a protocol stream, or null if it always was. */
    String garbage() {
        lock.lock();
        try {
            return garbage;
        } finally {
            lock.unlock();
        }
    }

    boolean closed() {
        lock.lock();
        try {
            return closed;
        } finally {
            lock.unlock();
        }
    }

    /** The {@code client_id} of the server's first INFO, or -1 before it arrived. */
    long clientId() {
        lock.lock();
        try {
            return clientId;
        } finally {
            lock.unlock();
        }
    }

    long pongs() {
        lock.lock();
        try {
            return pongs;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    /** Closes with a TCP reset instead of an orderly FIN. */
    void abort() {
        try {
            socket.setSoLinger(true, 0);
        } catch (IOException ignored) {
            // close anyway
        }
        close();
    }

    private void readLoop() {
        ProtocolParser parser = new ProtocolParser(new Handler(), 1 << 16, 64L << 20, ProtocolParser.Side.CLIENT);
        byte[] buf = new byte[64 * 1024];
        try {
            InputStream in = socket.getInputStream();
            int n;
            while ((n = in.read(buf)) > 0) {
                lock.lock();
                try {
                    lastInputNanos = System.nanoTime();
                    parser.parse(buf, 0, n);
                    changed.signalAll();
                } catch (ProtocolException e) {
                    garbage = e.getMessage() + " in " + printable(buf, n);
                    return;
                } finally {
                    lock.unlock();
                }
            }
        } catch (IOException e) {
            // closed by either side
        } finally {
            lock.lock();
            try {
                closed = true;
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    private static String printable(byte[] b, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < Math.min(n, 300); i++) {
            int c = b[i] & 0xff;
            sb.append(c >= 32 && c < 127 ? String.valueOf((char) c) : String.format("\\x%02x", c));
        }
        return sb.toString();
    }

    /** Runs on the reader thread with {@code lock} held. */
    private final class Handler implements ProtocolHandler {
        private void kind(String k) {
            if (keepOpKinds) {
                opKinds.add(k);
            }
        }

        @Override
        public void onInfo(String json) {
            kind("INFO");
            java.util.regex.Matcher m = CLIENT_ID.matcher(json);
            if (clientId < 0 && m.find()) {
                clientId = Long.parseLong(m.group(1));
            }
        }

        @Override
        public void onMsg(String subject, String sid, String reply, byte[] p, int off, int len) {
            kind("MSG");
            messages.add(new Msg(subject, sid, reply, null, Arrays.copyOfRange(p, off, off + len)));
        }

        @Override
        public void onHmsg(String subject, String sid, String reply, byte[] d, int off, int hl, int tl) {
            kind("HMSG");
            messages.add(new Msg(subject, sid, reply, Arrays.copyOfRange(d, off, off + hl),
                    Arrays.copyOfRange(d, off + hl, off + tl)));
        }

        @Override
        public void onPing() {
            kind("PING");
            Thread.ofVirtual().start(() -> {
                try {
                    send("PONG\r\n");
                } catch (IOException ignored) {
                    // the connection is going away
                }
            });
        }

        @Override
        public void onPong() {
            kind("PONG");
            pongs++;
        }

        @Override
        public void onOk() {
            kind("+OK");
            oks++;
        }

        @Override
        public void onErr(String message) {
            kind("-ERR");
            errors.add(message);
        }
    }
}
