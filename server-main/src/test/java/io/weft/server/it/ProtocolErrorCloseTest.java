package io.weft.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A protocol error closes the connection after what was queued for it: the {@code +OK}s and
 * {@code MSG}s of the operations before the error, then the {@code -ERR} (when nats-server sends
 * one), then end of stream. Each case runs {@value #RUNS} times on raw sockets, against weft and
 * against nats-server 2.15.1, with more bytes from the client behind the error that the server
 * never reads: closing a socket with unread input resets the connection, and a reset discards
 * what the client had not read yet (weft lost its {@code +OK}s that way in 44 of 50 runs).
 */
class ProtocolErrorCloseTest {
    private static final int RUNS = 50;
    private static final String CONNECT = "CONNECT {\"verbose\":true}\r\n";
    private static final String TAIL = "x".repeat(5000);

    private static TestServer weft;
    private static TestServer nats;

    @BeforeAll
    static void start() throws IOException {
        weft = TestServers.start(TestServers.Target.WEFT, "write_deadline: \"1s\"\n");
        nats = TestServers.start(TestServers.Target.NATS_NEWEST, "write_deadline: \"1s\"\n");
    }

    @AfterAll
    static void stop() {
        if (weft != null) {
            weft.close();
        }
        if (nats != null) {
            nats.close();
        }
    }

    /** nats-server closes on a bad PUB size without -ERR, after the two +OKs. */
    @Test
    void badSizeClosesAfterTheQueuedOks() throws Exception {
        String input = CONNECT + "SUB a 1\r\nPUB x 99999999999\r\n" + TAIL;
        assertEveryRun(nats, input, "+OK\r\n+OK\r\n", false);
        assertEveryRun(weft, input, "+OK\r\n+OK\r\n", true);
    }

    @Test
    void garbageClosesAfterTheQueuedOksAndMessagesThenErr() throws Exception {
        String input = CONNECT + "SUB a 1\r\nPUB a 2\r\nhi\r\n\u0001garbage\r\n" + TAIL;
        String expected = "+OK\r\n+OK\r\n+OK\r\nMSG a 1 2\r\nhi\r\n-ERR 'Unknown Protocol Operation'\r\n";
        assertEveryRun(nats, input, expected, false);
        assertEveryRun(weft, input, expected, true);
    }

    /**
     * A backlog the client has not read yet when the error comes (a small receive buffer keeps it
     * in the server): all of it still arrives, then the -ERR. nats-server 2.15.1 resets such a
     * connection and loses part of the backlog in most runs (29 of 30 measured), so only weft is
     * held to it here.
     */
    @Test
    void aBacklogNotReadYetStillArrivesInFull() throws Exception {
        int pubs = 2000;
        String input = CONNECT + "SUB a 1\r\n" + "PUB a 2\r\nhi\r\n".repeat(pubs) + "\u0001garbage\r\n" + "z".repeat(200_000);
        String expected = "+OK\r\n".repeat(2) + "+OK\r\nMSG a 1 2\r\nhi\r\n".repeat(pubs)
                + "-ERR 'Unknown Protocol Operation'\r\n";
        for (int run = 1; run <= RUNS; run++) {
            Transcript t = exchange(weft, input, 4096);
            assertEquals(expected, t.text(), "run " + run);
            assertTrue(t.endOfStream(), "run " + run + ": reset instead of end of stream");
        }
    }

    /**
     * A client that stops reading with a backlog queued and never closes cannot hold its
     * connection: the closing deadline (the write deadline, 1 s here, at most 2 s) cuts it.
     */
    @Test
    void aClientThatNeitherReadsNorClosesIsCut() throws Exception {
        assertTrue(Clients.await(() -> connections(weft) == 0, Duration.ofSeconds(10)), "earlier connections still open");
        try (Socket stuck = new Socket(); Socket idle = new Socket()) {
            stuck.setReceiveBufferSize(4096);
            stuck.connect(new InetSocketAddress("127.0.0.1", weft.port()), 5000);
            OutputStream o = stuck.getOutputStream();
            o.write((CONNECT + "SUB a 1\r\n" + "PUB a 2\r\nhi\r\n".repeat(20_000) + "\u0001garbage\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            o.flush();
            // and one that reads everything, end of stream included, but keeps its side open
            idle.connect(new InetSocketAddress("127.0.0.1", weft.port()), 5000);
            idle.getOutputStream().write((CONNECT + "\u0001garbage\r\n").getBytes(StandardCharsets.US_ASCII));
            idle.setSoTimeout(10_000);
            byte[] all = idle.getInputStream().readAllBytes();
            assertTrue(new String(all, StandardCharsets.US_ASCII).endsWith("+OK\r\n-ERR 'Unknown Protocol Operation'\r\n"));
            assertTrue(Clients.await(() -> connections(weft) == 0, Duration.ofSeconds(10)),
                    "still connected: " + connections(weft) + "\n" + weft.stderr());
        }
    }

    private static void assertEveryRun(TestServer server, String input, String expected, boolean endOfStream)
            throws IOException {
        for (int run = 1; run <= RUNS; run++) {
            Transcript t = exchange(server, input, 0);
            assertEquals(expected, t.text(), server.target() + " run " + run);
            if (endOfStream) {
                assertTrue(t.endOfStream(), server.target() + " run " + run + ": reset instead of end of stream");
            }
        }
    }

    /** What the server sent after INFO, and whether it ended with end of stream (not a reset). */
    private record Transcript(String text, boolean endOfStream) {}

    /** Sends {@code input} from another thread while reading everything the server sends, up to its close. */
    private static Transcript exchange(TestServer server, String input, int receiveBuffer) throws IOException {
        try (Socket s = new Socket()) {
            if (receiveBuffer > 0) {
                s.setReceiveBufferSize(receiveBuffer);
            }
            s.connect(new InetSocketAddress("127.0.0.1", server.port()), 5000);
            s.setSoTimeout(10_000);
            InputStream in = s.getInputStream();
            for (int c = in.read(); c != '\n'; c = in.read()) {
                assertTrue(c >= 0, "closed before INFO");
            }
            byte[] bytes = input.getBytes(StandardCharsets.ISO_8859_1);
            Thread sender = Thread.ofVirtual().start(() -> {
                try {
                    s.getOutputStream().write(bytes);
                } catch (IOException e) {
                    // the server may close before taking it all: what it sent is what is checked
                }
            });
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            byte[] buf = new byte[65536];
            boolean eof = false;
            try {
                for (int n; (n = in.read(buf)) >= 0; ) {
                    got.write(buf, 0, n);
                }
                eof = true;
            } catch (SocketTimeoutException e) {
                throw new AssertionError(server.target() + " did not close within 10 s; got: " + got, e);
            } catch (IOException e) {
                // reset by the server
            }
            s.close();
            try {
                sender.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return new Transcript(got.toString(StandardCharsets.ISO_8859_1), eof);
        }
    }

    private static long connections(TestServer server) {
        try {
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + server.monitorPort() + "/varz")).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString());
            Matcher m = Pattern.compile("\"connections\"\\s*:\\s*(\\d+)").matcher(r.body());
            return m.find() ? Long.parseLong(m.group(1)) : -1;
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

}
