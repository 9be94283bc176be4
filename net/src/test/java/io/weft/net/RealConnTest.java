package io.weft.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Real loopback connections: blocking reads and writes, and tryWrite that never waits. */
@Timeout(30)
class RealConnTest {
    private final Network net = new RealNetwork();

    private static ByteBuffer ascii(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.US_ASCII));
    }

    private static String readExactly(Conn c, int n) throws IOException {
        byte[] buf = new byte[n];
        int at = 0;
        while (at < n) {
            int r = c.read(buf, at, n - at);
            if (r < 0) {
                throw new IOException("end of stream after " + at);
            }
            at += r;
        }
        return new String(buf, StandardCharsets.US_ASCII);
    }

    @Test
    void bytesGoBothWaysAndCloseEndsTheStream() throws Exception {
        try (Listener l = net.listen("127.0.0.1", 0)) {
            Conn a = net.connect("127.0.0.1", l.port());
            Conn b = l.accept();
            assertEquals(l.port(), a.remotePort());
            assertEquals("127.0.0.1", b.remoteHost());
            a.write(new ByteBuffer[] {ascii("PING"), ascii("\r\n")});
            assertEquals("PING\r\n", readExactly(b, 6));
            assertTrue(b.tryWrite(ascii("PONG\r\n")));
            assertEquals("PONG\r\n", readExactly(a, 6));
            a.close();
            assertEquals(-1, b.read(new byte[8], 0, 8));
            b.close();
        }
    }

    @Test
    void tryWriteToAPeerThatDoesNotReadReturnsAndTheRestFollowsInOrder() throws Exception {
        try (Listener l = net.listen("127.0.0.1", 0)) {
            Conn a = net.connect("127.0.0.1", l.port());
            Conn b = l.accept();
            // b reads nothing yet: the socket buffers fill and tryWrite must come back, not wait
            // (the test's timeout is what fails if it waited)
            byte[] block = new byte[64 * 1024];
            int blocks = 0;
            boolean complete = true;
            while (complete) {
                Arrays.fill(block, (byte) blocks);
                complete = a.tryWrite(ByteBuffer.wrap(block.clone()));
                blocks++;
                assertTrue(blocks < 100_000, "tryWrite never reported a full socket");
            }
            int written = blocks;
            assertThrows(IllegalStateException.class, () -> a.tryWrite(ascii("x")));
            var reader = Executors.newVirtualThreadPerTaskExecutor();
            CompletableFuture<Long> got = CompletableFuture.supplyAsync(() -> {
                byte[] buf = new byte[8192];
                long total = 0;
                try {
                    int n;
                    while ((n = b.read(buf, 0, buf.length)) > 0) {
                        for (int k = 0; k < n; k++) {
                            long blockNo = (total + k) / block.length;
                            byte want = blockNo < written ? (byte) blockNo : (byte) 'z';
                            if (buf[k] != want) {
                                throw new IllegalStateException("byte " + (total + k) + " is " + buf[k] + ", not " + want);
                            }
                        }
                        total += n;
                    }
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
                return total;
            }, reader);
            a.flush();                                      // what tryWrite left behind, sent
            byte[] tail = new byte[10];
            Arrays.fill(tail, (byte) 'z');
            a.write(new ByteBuffer[] {ByteBuffer.wrap(tail)});
            assertTrue(a.tryWrite(ByteBuffer.allocate(0)));  // nothing left behind any more
            a.close();
            assertEquals((long) written * block.length + tail.length, got.get(20, TimeUnit.SECONDS));
            b.close();
            reader.close();
        }
    }

    @Test
    void closeFailsAReadBlockedOnAnotherThread() throws Exception {
        try (Listener l = net.listen("127.0.0.1", 0)) {
            Conn a = net.connect("127.0.0.1", l.port());
            Conn b = l.accept();
            CompletableFuture<Throwable> failure = new CompletableFuture<>();
            Thread t = Thread.ofVirtual().start(() -> {
                try {
                    b.read(new byte[4], 0, 4);
                    failure.complete(null);
                } catch (IOException e) {
                    failure.complete(e);
                }
            });
            Thread.sleep(100);
            b.close();
            assertTrue(failure.get(10, TimeUnit.SECONDS) instanceof IOException);
            t.join();
            a.close();
        }
    }

    @Test
    void anInterruptedReadFailsAndClosesTheConnection() throws Exception {
        try (Listener l = net.listen("127.0.0.1", 0)) {
            Conn a = net.connect("127.0.0.1", l.port());
            Conn b = l.accept();
            CompletableFuture<Throwable> failure = new CompletableFuture<>();
            Thread t = Thread.ofVirtual().start(() -> {
                try {
                    b.read(new byte[4], 0, 4);
                    failure.complete(null);
                } catch (IOException e) {
                    failure.complete(e);
                }
            });
            Thread.sleep(100);
            t.interrupt();
            assertTrue(failure.get(10, TimeUnit.SECONDS) instanceof InterruptedIOException);
            // as with an interrupted blocking channel, the connection is gone: the peer sees its end
            assertEquals(-1, a.read(new byte[4], 0, 4));
            a.close();
        }
    }

    @Test
    void connectToAClosedPortFails() throws Exception {
        int port;
        try (Listener l = net.listen("127.0.0.1", 0)) {
            port = l.port();
        }
        assertThrows(IOException.class, () -> net.connect("127.0.0.1", port));
    }
}
