package io.weft.server.bench;

import io.weft.engine.protocol.ByteSink;
import io.weft.engine.protocol.ProtocolEncoder;
import io.weft.engine.protocol.ProtocolException;
import io.weft.engine.protocol.ProtocolHandler;
import io.weft.engine.protocol.ProtocolParser;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A minimal NATS client over a plain socket for the load generator, built on the engine's
 * {@link ProtocolParser} and {@link ProtocolEncoder}. Publishing appends to a buffer that is
 * written to the socket in large chunks (when it passes {@link #FLUSH_AT} bytes, or on
 * {@link #flushBuffer()}/{@link #roundTrip}); one reader thread parses what the server sends and
 * hands messages to the {@link MsgHandler} of their subscription, on that reader thread.
 * Thread-safe: writes take one lock, uncontended when one thread drives the connection.
 */
public final class BenchConnection implements AutoCloseable {
    static final int FLUSH_AT = 32 * 1024;

    /** A delivered message: {@code data[off, off+headerLen)} is the header block (empty for MSG), the body follows. */
    @FunctionalInterface
    public interface MsgHandler {
        void onMessage(String subject, String reply, byte[] data, int off, int headerLen, int totalLen);
    }

    private final Socket socket;
    private final OutputStream out;
    private final InputStream in;
    private final ReentrantLock writeLock = new ReentrantLock();
    private final ByteSink sink = new ByteSink(FLUSH_AT * 2);
    private final ReentrantLock pongLock = new ReentrantLock();
    private final Condition pongArrived = pongLock.newCondition();
    private long pingsSent;
    private long pongsSeen;
    private volatile String info;
    private volatile String error;
    private volatile boolean closed;
    private final Map<String, MsgHandler> subs = new ConcurrentHashMap<>();
    private final AtomicLong sids = new AtomicLong();
    private final Thread reader;
    private final String inboxPrefix;
    private final Map<String, CompletableFuture<Reply>> pending = new ConcurrentHashMap<>();
    private final AtomicLong requestIds = new AtomicLong();
    private volatile boolean inboxSubscribed;
    private final ReentrantLock inboxLock = new ReentrantLock();

    /** A reply to {@link #request}: the header block (may be empty) and the body, copied. */
    public record Reply(String subject, byte[] headers, byte[] body) {
        public String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }

        /** The status code of a header block {@code NATS/1.0 503}, or 0 when there is none. */
        public int status() {
            return BenchConnection.status(headers, 0, headers.length);
        }
    }

    private BenchConnection(Socket socket, String name) throws IOException {
        this.socket = socket;
        this.out = socket.getOutputStream();
        this.in = socket.getInputStream();
        this.inboxPrefix = "_INBOX." + Long.toString(java.util.concurrent.ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE, 36);
        this.reader = Thread.ofPlatform().daemon().name("bench-reader-" + name).unstarted(this::readLoop);
    }

    /** Connects, reads INFO, sends CONNECT (headers and no_responders on) and waits for the first PONG. */
    public static BenchConnection connect(String host, int port, String name, String user, String pass,
                                         long timeoutMillis) throws IOException {
        Socket s = new Socket();
        s.setTcpNoDelay(true);
        s.setReceiveBufferSize(1 << 20);
        s.setSendBufferSize(1 << 20);
        s.connect(new InetSocketAddress(host, port), (int) Math.min(timeoutMillis, Integer.MAX_VALUE));
        BenchConnection c = new BenchConnection(s, name);
        c.reader.start();
        StringBuilder json = new StringBuilder("{\"verbose\":false,\"pedantic\":false,\"headers\":true,\"no_responders\":true,")
                .append("\"protocol\":1,\"lang\":\"java-weft-bench\",\"version\":\"0.1.0\",\"name\":\"").append(name).append('"');
        if (user != null) {
            json.append(",\"user\":\"").append(user).append("\",\"pass\":\"").append(pass == null ? "" : pass).append('"');
        }
        json.append('}');
        c.writeLock.lock();
        try {
            ProtocolEncoder.connect(c.sink, json.toString());
        } finally {
            c.writeLock.unlock();
        }
        try {
            c.roundTrip(timeoutMillis);
        } catch (IOException e) {
            c.close();
            throw e;
        }
        return c;
    }

    public String info() {
        return info;
    }

    public String inboxPrefix() {
        return inboxPrefix;
    }

    /** Subscribes; returns the sid. {@code handler} runs on the reader thread. */
    public String subscribe(String subject, String queue, MsgHandler handler) throws IOException {
        String sid = Long.toString(sids.incrementAndGet());
        subs.put(sid, handler);
        writeLock.lock();
        try {
            ProtocolEncoder.sub(sink, subject, queue, sid);
            writeOut();
        } finally {
            writeLock.unlock();
        }
        return sid;
    }

    public void unsubscribe(String sid) throws IOException {
        writeLock.lock();
        try {
            ProtocolEncoder.unsub(sink, sid, -1);
            writeOut();
        } finally {
            writeLock.unlock();
        }
        subs.remove(sid);
    }

    /** Buffers a PUB; writes the buffer out once it is large. */
    public void publish(String subject, String reply, byte[] payload) throws IOException {
        writeLock.lock();
        try {
            ProtocolEncoder.pub(sink, subject, reply, payload);
            if (sink.size() >= FLUSH_AT) {
                writeOut();
            }
        } finally {
            writeLock.unlock();
        }
    }

    /**
     * Writes {@code bytes[0, len)}, already-encoded protocol (e.g. many copies of one PUB), after
     * whatever is buffered. The publisher of the throughput scenarios uses it so that the load
     * generator spends its CPU on the socket, not on encoding the same message again.
     */
    public void writeRaw(byte[] bytes, int len) throws IOException {
        writeLock.lock();
        try {
            writeOut();
            out.write(bytes, 0, len);
        } finally {
            writeLock.unlock();
        }
    }

    /** A PUB written to the socket at once (requests, acks). */
    public void publishNow(String subject, String reply, byte[] payload) throws IOException {
        writeLock.lock();
        try {
            ProtocolEncoder.pub(sink, subject, reply, payload);
            writeOut();
        } finally {
            writeLock.unlock();
        }
    }

    /** Writes out whatever is buffered. */
    public void flushBuffer() throws IOException {
        writeLock.lock();
        try {
            writeOut();
        } finally {
            writeLock.unlock();
        }
    }

    private void writeOut() throws IOException {
        if (sink.size() > 0) {
            try {
                out.write(sink.array(), 0, sink.size());
            } finally {
                sink.clear();
            }
        }
    }

    /**
     * Writes out the buffer plus a PING and waits for its PONG: everything sent before has then
     * been processed by the server (and, for a subscriber, everything published before the
     * server's PONG has been delivered).
     */
    public void roundTrip(long timeoutMillis) throws IOException {
        long target;
        writeLock.lock();
        try {
            ProtocolEncoder.ping(sink);
            writeOut();
            pongLock.lock();
            try {
                target = ++pingsSent;
            } finally {
                pongLock.unlock();
            }
        } finally {
            writeLock.unlock();
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        pongLock.lock();
        try {
            while (pongsSeen < target) {
                checkAlive();
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new IOException("no PONG from the server within " + timeoutMillis + " ms");
                }
                pongArrived.awaitNanos(left);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } finally {
            pongLock.unlock();
        }
        checkAlive();
    }

    private void checkAlive() throws IOException {
        String e = error;
        if (e != null) {
            throw new IOException(e);
        }
        if (closed) {
            throw new IOException("connection closed");
        }
    }

    /** Sends a request on this connection's inbox and waits for the reply. */
    public Reply request(String subject, byte[] payload, long timeoutMillis) throws IOException {
        try {
            return requestAsync(subject, payload).get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new IOException("no reply on " + subject + " within " + timeoutMillis + " ms");
        } catch (ExecutionException e) {
            throw new IOException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    /** Sends a request (written at once) whose reply completes the future. */
    public CompletableFuture<Reply> requestAsync(String subject, byte[] payload) throws IOException {
        CompletableFuture<Reply> f = new CompletableFuture<>();
        String reply = registerReply(f);
        publishNow(subject, reply, payload);
        return f;
    }

    /** Registers {@code f} for a fresh reply subject of this connection's inbox and returns that subject. */
    public String registerReply(CompletableFuture<Reply> f) throws IOException {
        ensureInbox();
        String id = Long.toString(requestIds.incrementAndGet());
        pending.put(id, f);
        return inboxPrefix + "." + id;
    }

    private void ensureInbox() throws IOException {
        if (!inboxSubscribed) {
            inboxLock.lock();
            try { // once per connection
                if (!inboxSubscribed) {
                    subscribe(inboxPrefix + ".*", null, (subject, reply, data, off, hl, tl) -> {
                        String id = subject.substring(subject.lastIndexOf('.') + 1);
                        CompletableFuture<Reply> f = pending.remove(id);
                        if (f != null) {
                            byte[] h = java.util.Arrays.copyOfRange(data, off, off + hl);
                            byte[] b = java.util.Arrays.copyOfRange(data, off + hl, off + tl);
                            f.complete(new Reply(subject, h, b));
                        }
                    });
                    inboxSubscribed = true;
                }
            } finally {
                inboxLock.unlock();
            }
        }
    }

    /** The status code in a header block starting {@code NATS/1.0 <code>}, or 0. */
    static int status(byte[] data, int off, int headerLen) {
        int p = off + 8; // "NATS/1.0"
        int end = off + headerLen;
        if (headerLen < 12) {
            return 0;
        }
        while (p < end && data[p] == ' ') {
            p++;
        }
        int code = 0;
        int digits = 0;
        while (p < end && data[p] >= '0' && data[p] <= '9' && digits < 3) {
            code = code * 10 + (data[p++] - '0');
            digits++;
        }
        return digits == 3 ? code : 0;
    }

    /** The error the server sent (-ERR) or the reader hit, or null. */
    public String error() {
        return error;
    }

    public boolean isClosed() {
        return closed;
    }

    private void readLoop() {
        ProtocolParser parser = new ProtocolParser(new Handler(), 64 * 1024, 256L * 1024 * 1024,
                ProtocolParser.Side.CLIENT);
        byte[] buf = new byte[256 * 1024];
        try {
            int n;
            while ((n = in.read(buf)) > 0) {
                parser.parse(buf, 0, n);
            }
            if (!closed && error == null) {
                error = "the server closed the connection";
            }
        } catch (IOException | ProtocolException | RuntimeException e) {
            if (!closed && error == null) {
                error = e.toString();
            }
        } finally {
            closed = true;
            wakeWaiters();
            for (CompletableFuture<Reply> f : pending.values()) {
                f.completeExceptionally(new IOException(error == null ? "connection closed" : error));
            }
        }
    }

    private void wakeWaiters() {
        pongLock.lock();
        try {
            pongArrived.signalAll();
        } finally {
            pongLock.unlock();
        }
    }

    private final class Handler implements ProtocolHandler {
        @Override
        public void onInfo(String json) {
            info = json;
        }

        @Override
        public void onPing() {
            writeLock.lock();
            try {
                ProtocolEncoder.pong(sink);
                writeOut();
            } catch (IOException e) {
                error = e.toString();
            } finally {
                writeLock.unlock();
            }
        }

        @Override
        public void onPong() {
            pongLock.lock();
            try {
                pongsSeen++;
                pongArrived.signalAll();
            } finally {
                pongLock.unlock();
            }
        }

        @Override
        public void onOk() {
        }

        @Override
        public void onErr(String message) {
            error = "-ERR '" + message + "'";
            wakeWaiters();
        }

        @Override
        public void onMsg(String subject, String sid, String reply, byte[] payload, int off, int len) {
            MsgHandler h = subs.get(sid);
            if (h != null) {
                h.onMessage(subject, reply, payload, off, 0, len);
            }
        }

        @Override
        public void onHmsg(String subject, String sid, String reply, byte[] data, int off, int headerLen, int totalLen) {
            MsgHandler h = subs.get(sid);
            if (h != null) {
                h.onMessage(subject, reply, data, off, headerLen, totalLen);
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            writeLock.lock();
            try {
                writeOut();
            } finally {
                writeLock.unlock();
            }
        } catch (IOException ignored) {
            // closing anyway
        }
        try {
            socket.close();
        } catch (IOException ignored) {
            // nothing to do
        }
        wakeWaiters();
    }
}
