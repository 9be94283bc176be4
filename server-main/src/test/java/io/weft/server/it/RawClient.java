package io.weft.server.it;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * A plain-socket protocol client for the operational tests: it sends text and accumulates what
 * the server sends back, noting when the server closes the connection.
 */
final class RawClient implements AutoCloseable {
    private final Socket socket;
    private final InputStream in;
    private final ByteArrayOutputStream received = new ByteArrayOutputStream();
    private boolean closedByServer;

    private RawClient(Socket socket) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
    }

    static RawClient open(int port) throws IOException {
        return open(port, 0);
    }

    /** As {@link #open(int)}, with the socket's receive buffer set first when {@code receiveBuffer > 0}. */
    static RawClient open(int port, int receiveBuffer) throws IOException {
        Socket s = new Socket();
        if (receiveBuffer > 0) {
            s.setReceiveBufferSize(receiveBuffer); // before connect, so the window is small from the start
        }
        s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        s.setTcpNoDelay(true);
        return new RawClient(s);
    }

    /** Opens a connection, waits for INFO, sends CONNECT (protocol 1) and a PING, and waits for the PONG. */
    static RawClient connected(int port, String connectJson) throws IOException {
        return connected(port, connectJson, 0);
    }

    /** As {@link #connected(int, String)}, with a small receive buffer when {@code receiveBuffer > 0}. */
    static RawClient connected(int port, String connectJson, int receiveBuffer) throws IOException {
        RawClient c = open(port, receiveBuffer);
        c.awaitText("\r\n", Duration.ofSeconds(5));
        c.send("CONNECT " + connectJson + "\r\nPING\r\n");
        if (!c.awaitText("PONG\r\n", Duration.ofSeconds(5))) {
            throw new IOException("no PONG after CONNECT; got: " + c.text());
        }
        return c;
    }

    void send(String text) throws IOException {
        socket.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
        socket.getOutputStream().flush();
    }

    /** Everything received so far. */
    String text() {
        return received.toString(StandardCharsets.UTF_8);
    }

    boolean closedByServer() {
        return closedByServer;
    }

    /** Reads until the received text contains {@code needle}, the server closes, or the timeout. */
    boolean awaitText(String needle, Duration timeout) throws IOException {
        return readUntil(() -> text().contains(needle), timeout);
    }

    /** Reads until {@code needle} occurs at least {@code times} times in the received text. */
    boolean awaitCount(String needle, int times, Duration timeout) throws IOException {
        return readUntil(() -> count(text(), needle) >= times, timeout);
    }

    static int count(String text, String needle) {
        int n = 0;
        for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) {
            n++;
        }
        return n;
    }

    /** Reads until the server closes the connection; returns false when still open after the timeout. */
    boolean awaitClose(Duration timeout) throws IOException {
        return readUntil(() -> false, timeout) || closedByServer;
    }

    /** Reads for the whole duration (or until close), to see what arrives meanwhile. */
    void readFor(Duration d) throws IOException {
        readUntil(() -> false, d);
    }

    private boolean readUntil(java.util.function.BooleanSupplier done, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        byte[] buf = new byte[65536];
        while (!done.getAsBoolean()) {
            if (closedByServer) {
                return done.getAsBoolean();
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
            } catch (IOException e) {
                closedByServer = true; // reset
                continue;
            }
            if (n < 0) {
                closedByServer = true;
            } else {
                received.write(buf, 0, n);
            }
        }
        return true;
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
