package io.weft.engine.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The outbound buffer: MSG lines written in place, deferred wake-ups, closing. */
@Timeout(20)
class OutboundTest {

    private static String text(Outbound.Chunk c) {
        return new String(c.data(), 0, c.len(), StandardCharsets.UTF_8);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void messageLinesAreWrittenInPlace() throws Exception {
        Outbound out = new Outbound(1 << 20);
        byte[] body = bytes("hello");
        assertEquals(Outbound.Append.OK, out.appendMessage("foo.bar", "7", null, -1, body, 0, 5, false));
        assertEquals(Outbound.Append.OK, out.appendMessage("foo", "12", "_INBOX.x.1", -1, body, 1, 3, false));
        byte[] hb = bytes("NATS/1.0\r\nA: b\r\n\r\nbody");
        assertEquals(Outbound.Append.OK, out.appendMessage("h", "1", null, 18, hb, 0, hb.length, false));
        assertEquals(Outbound.Append.OK, out.appendMessage("empty", "3", "r", -1, body, 0, 0, false));
        Outbound.Chunk c = out.take();
        assertEquals("MSG foo.bar 7 5\r\nhello\r\n"
                + "MSG foo 12 _INBOX.x.1 3\r\nell\r\n"
                + "HMSG h 1 18 22\r\nNATS/1.0\r\nA: b\r\n\r\nbody\r\n"
                + "MSG empty 3 r 0\r\n\r\n", text(c));
    }

    @Test
    void sizesOfEveryDigitCountAreExact() throws Exception {
        for (int size : new int[] {0, 1, 9, 10, 99, 100, 999, 1000, 65535, 100_000, 1_048_576}) {
            Outbound out = new Outbound(1 << 24);
            byte[] body = new byte[size];
            Arrays.fill(body, (byte) 'x');
            assertEquals(Outbound.Append.OK, out.appendMessage("s", "1", null, -1, body, 0, size, false));
            Outbound.Chunk c = out.take();
            String head = "MSG s 1 " + size + "\r\n";
            assertEquals(head, new String(c.data(), 0, head.length(), StandardCharsets.US_ASCII), "size " + size);
            assertEquals(head.length() + size + 2, c.len(), "size " + size);
        }
    }

    @Test
    void nonAsciiSubjectsFallBackToABuiltLine() throws Exception {
        Outbound out = new Outbound(1 << 20);
        byte[] body = bytes("é");
        assertEquals(Outbound.Append.OK, out.appendMessage("sübject.ü", "1", "réply", -1, body, 0, body.length, false));
        Outbound.Chunk c = out.take();
        assertEquals("MSG sübject.ü 1 réply 2\r\né\r\n", text(c));
    }

    @Test
    void theLimitCountsTheExactLineNotItsUpperBound() {
        String line = "MSG a 1 3\r\n";
        int exact = line.length() + 3 + 2;
        Outbound fits = new Outbound(exact);
        assertEquals(Outbound.Append.OK, fits.appendMessage("a", "1", null, -1, bytes("abc"), 0, 3, false));
        Outbound over = new Outbound(exact - 1);
        assertEquals(Outbound.Append.OVER_LIMIT, over.appendMessage("a", "1", null, -1, bytes("abc"), 0, 3, false));
        assertEquals(0, over.pendingBytes(), "all or nothing");
    }

    @Test
    void deferredAndImmediateAppendsKeepTheirOrder() throws Exception {
        Outbound out = new Outbound(1 << 20);
        out.append(bytes("one "), 0, 4, null, 0, 0, null, 0, 0, true);
        out.appendMessage("s", "1", null, -1, bytes("x"), 0, 1, true);
        out.append(bytes("two "), 0, 4, null, 0, 0, null, 0, 0, false);
        out.wakeWriter();
        Outbound.Chunk c = out.take();
        assertEquals("one MSG s 1 1\r\nx\r\ntwo ", text(c));
        out.written(c.data());
        out.wakeWriter(); // nothing pending: a no-op
        assertEquals(0, out.pendingBytes());
    }

    @Test
    void deferredAppendsReachAWaitingWriterThroughWakeWriter() throws Exception {
        Outbound out = new Outbound(1 << 20);
        CompletableFuture<String> writer = CompletableFuture.supplyAsync(() -> {
            try {
                Outbound.Chunk c = out.take();
                return text(c);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(50); // let the writer park
        out.append(bytes("late"), 0, 4, null, 0, 0, null, 0, 0, true);
        out.wakeWriter();
        assertEquals("late", writer.get(5, TimeUnit.SECONDS));
    }

    @Test
    void closingEndsTheWriter() throws Exception {
        Outbound out = new Outbound(1 << 20);
        out.append(bytes("x"), 0, 1, null, 0, 0, null, 0, 0, true);
        out.finish(bytes("-ERR 'bye'\r\n"), false);
        Outbound.Chunk c = out.take();
        assertTrue(c.last());
        assertEquals("x-ERR 'bye'\r\n", text(c));
        out.written(c.data());
        assertNull(out.take(), "drained and closed");
        assertEquals(Outbound.Append.CLOSED, out.appendMessage("a", "1", null, -1, new byte[0], 0, 0, false));
        assertFalse(out.pendingBytes() > 0);
    }

    /**
     * Finishing with nothing left to send (a close without -ERR after everything went out) still
     * hands the writer a last chunk, so it ends the connection the same orderly way.
     */
    @Test
    void finishingWithNothingPendingStillEndsWithALastChunk() throws Exception {
        Outbound out = new Outbound(1 << 20);
        out.append(bytes("+OK\r\n"));
        Outbound.Chunk c = out.take();
        assertFalse(c.last());
        out.written(c.data());
        out.finish(null, false);
        Outbound.Chunk end = out.take();
        assertTrue(end.last());
        assertEquals(0, end.len());
        out.written(end.data());
        assertNull(out.take(), "nothing after the last chunk");
    }

    /** Appends text the way a producer inside a batch does: without waking the writer. */
    private static void deferred(Outbound out, String s) {
        byte[] b = bytes(s);
        assertEquals(Outbound.Append.OK, out.append(b, 0, b.length, null, 0, 0, null, 0, 0, true));
    }

    @Test
    void inlineTakesOnlyWhenNobodyWritesAndTheBatchIsSmall() throws Exception {
        Outbound out = new Outbound(1 << 20);
        assertNull(out.takeInline(1024), "nothing pending");
        deferred(out, "MSG a 1 0\r\n\r\n");
        assertNull(out.takeInline(10), "more than the inline limit");
        Outbound.Chunk c = out.takeInline(1024);
        assertEquals("MSG a 1 0\r\n\r\n", text(c));
        deferred(out, "two");
        assertNull(out.takeInline(1024), "an inline write is in progress");
        out.inlineDone(c.data(), true);
        Outbound.Chunk w = out.take();            // the writer now owns the buffer
        assertEquals("two", text(w));
        deferred(out, "three");
        assertNull(out.takeInline(1024), "the writer is writing");
        out.written(w.data());
        assertEquals("three", text(out.takeInline(1024)));
    }

    @Test
    void bytesLeftBehindByAnInlineWriteReachTheWriterFirst() throws Exception {
        Outbound out = new Outbound(1 << 20);
        deferred(out, "first");
        Outbound.Chunk c = out.takeInline(1024);
        CompletableFuture<Outbound.Chunk> writer = CompletableFuture.supplyAsync(() -> {
            try {
                return out.take();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(50);
        assertFalse(writer.isDone(), "the writer waits while an inline write owns the connection");
        out.inlineDone(c.data(), false);      // the connection kept part of "first"
        Outbound.Chunk flushOnly = writer.get(5, TimeUnit.SECONDS);
        assertEquals(0, flushOnly.len(), "an empty chunk: the writer only sends what was left behind");
        deferred(out, "second");
        assertNull(out.takeInline(1024), "the writer still owns the connection");
        out.written(flushOnly.data());
        assertEquals("second", text(out.takeInline(1024)));
    }

    @Test
    void closingAfterAnInlineWriteLeftBytesBehindStillFlushesThem() throws Exception {
        Outbound out = new Outbound(1 << 20);
        deferred(out, "data");
        Outbound.Chunk c = out.takeInline(1024);
        out.finish(bytes("-ERR 'bye'\r\n"), false);
        assertNull(out.takeInline(1024), "no inline writes once closing");
        out.inlineDone(c.data(), false);
        Outbound.Chunk last = out.take();
        assertEquals("-ERR 'bye'\r\n", text(last));
        assertTrue(last.last());
    }
}
