package io.weft.server.monitor;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** A bare NATS client for tests: sends protocol text and waits for PONG (reading everything before it). */
final class NatsClient implements AutoCloseable {
    private final Socket socket;
    private final OutputStream out;
    private final InputStream in;
    private final StringBuilder seen = new StringBuilder();

    NatsClient(int port, String connectJson) throws IOException {
        socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(5000);
        out = socket.getOutputStream();
        in = socket.getInputStream();
        send("CONNECT " + connectJson + "\r\n");
    }

    void send(String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    /** PING, then read until the PONG: the server has handled everything sent before. */
    void flush() throws IOException {
        send("PING\r\n");
        byte[] buf = new byte[4096];
        int from = seen.length();
        while (seen.indexOf("PONG\r\n", from) < 0) {
            int n = in.read(buf);
            if (n < 0) {
                throw new IOException("closed; saw " + seen);
            }
            seen.append(new String(buf, 0, n, StandardCharsets.UTF_8));
        }
        seen.setLength(0);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
