package io.weft.engine.monitor;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/** A bare NATS client over a socket for tests: sends protocol lines, counts PONGs, drains the rest. */
final class RawClient implements AutoCloseable {
    private final Socket socket;
    private final OutputStream out;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final StringBuilder received = new StringBuilder();
    private int pongs;

    RawClient(int port, String connectJson) throws IOException {
        socket = new Socket("127.0.0.1", port);
        socket.setTcpNoDelay(true);
        out = socket.getOutputStream();
        Thread.ofVirtual().start(this::readLoop);
        send("CONNECT " + connectJson + "\r\n");
    }

    void send(String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    void pub(String subject, String payload) throws IOException {
        send("PUB " + subject + " " + payload.getBytes(StandardCharsets.UTF_8).length + "\r\n" + payload + "\r\n");
    }

    /** PING and wait for the PONG: everything sent before has been processed by the server. */
    void flush() throws IOException, InterruptedException {
        int want;
        lock.lock();
        try {
            want = pongs + 1;
        } finally {
            lock.unlock();
        }
        send("PING\r\n");
        lock.lock();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (pongs < want) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new IllegalStateException("no PONG; received: " + received);
                }
                changed.awaitNanos(left);
            }
        } finally {
            lock.unlock();
        }
    }

    private void readLoop() {
        byte[] buf = new byte[8192];
        try {
            InputStream in = socket.getInputStream();
            int n;
            while ((n = in.read(buf)) > 0) {
                lock.lock();
                try {
                    received.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                    int idx;
                    while ((idx = received.indexOf("PONG\r\n")) >= 0) {
                        pongs++;
                        received.delete(0, idx + 6);
                    }
                    if (received.length() > 65536) {
                        received.setLength(0);
                    }
                    changed.signalAll();
                } finally {
                    lock.unlock();
                }
            }
        } catch (IOException e) {
            // closed
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
