package io.weft.engine.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ProtocolParserTest {

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static List<String> parse(String s) throws ProtocolException {
        return parse(b(s), 4096, 1024 * 1024);
    }

    private static List<String> parse(byte[] data, int mcl, long mp) throws ProtocolException {
        Recorder r = new Recorder();
        new ProtocolParser(r, mcl, mp).parse(data, 0, data.length);
        return r.ops;
    }

    private static ProtocolException fails(String s) {
        return fails(b(s), 4096, 1024 * 1024);
    }

    private static ProtocolException fails(byte[] data, int mcl, long mp) {
        return assertThrows(ProtocolException.class, () -> parse(data, mcl, mp));
    }

    private static void assertWireErr(ProtocolException e, String text) {
        assertEquals(text, e.getMessage());
        assertTrue(e.sendsErr());
        assertTrue(e.closes());
    }

    private static void assertSilentClose(ProtocolException e, String logPrefix) {
        assertFalse(e.sendsErr(), e.getMessage());
        assertTrue(e.closes());
        assertTrue(e.getMessage().startsWith(logPrefix), e.getMessage());
    }

    @Test
    void everyOpParses() throws Exception {
        assertEquals(List.of(
                "CONNECT {\"verbose\":false}",
                "PUB foo null [hello]",
                "PUB foo reply [hi]",
                "HPUB foo null 12 [NATS/1.0\r\n\r\nhi]",
                "HPUB foo rep 12 [NATS/1.0\r\n\r\nhi]",
                "SUB foo null 1",
                "SUB foo q 2",
                "UNSUB 1 -1",
                "UNSUB 2 10",
                "PING", "PONG",
                "INFO {\"server_id\":\"x\"}",
                "MSG foo 1 null [hello]",
                "MSG foo 1 r [hello]",
                "HMSG foo 1 null 12 [NATS/1.0\r\n\r\nhi]",
                "HMSG foo 1 r 12 [NATS/1.0\r\n\r\nhi]",
                "+OK",
                "-ERR Unknown Protocol Operation"),
            parse("CONNECT {\"verbose\":false}\r\n"
                + "PUB foo 5\r\nhello\r\n"
                + "PUB foo reply 2\r\nhi\r\n"
                + "HPUB foo 12 14\r\nNATS/1.0\r\n\r\nhi\r\n"
                + "HPUB foo rep 12 14\r\nNATS/1.0\r\n\r\nhi\r\n"
                + "SUB foo 1\r\nSUB foo q 2\r\nUNSUB 1\r\nUNSUB 2 10\r\nPING\r\nPONG\r\n"
                + "INFO {\"server_id\":\"x\"} \r\n"
                + "MSG foo 1 5\r\nhello\r\nMSG foo 1 r 5\r\nhello\r\n"
                + "HMSG foo 1 12 14\r\nNATS/1.0\r\n\r\nhi\r\n"
                + "HMSG foo 1 r 12 14\r\nNATS/1.0\r\n\r\nhi\r\n"
                + "+OK\r\n-ERR 'Unknown Protocol Operation'\r\n"));
    }

    @Test
    void opNamesAreCaseInsensitiveAndArgsSplitOnAnyBlanks() throws Exception {
        assertEquals(List.of("PING", "PING", "SUB a null 1", "PUB a r [hi]", "UNSUB 1 5", "+OK", "CONNECT {}"),
            parse("ping\r\npInG\r\nsub\ta\t 1\r\npub \t a   r  2  \r\nhi\r\nuNsUb  1\t5\r\n+ok\r\nconnect\t{}\r\n"));
    }

    @Test
    void bareLfEndsControlLinesAndTailAfterPingIsIgnored() throws Exception {
        // nats-server 2.9.10: "PING\n", "SUB a 1\n", "PUB a 2\n" are accepted; "PINGX" is a PING.
        assertEquals(List.of("PING", "SUB a null 1", "PUB a null [hi]", "PING", "PONG", "+OK"),
            parse("PING\nSUB a 1\nPUB a 2\nhi\r\nPINGX\r\nPONG junk\n+OKX\r\n"));
    }

    @Test
    void carriageReturnInsideArguments() throws Exception {
        // nats-server 2.9.10: SUB/UNSUB split on CR too; PUB/HPUB do not, and only one CR before LF is dropped.
        assertEquals(List.of("SUB a null 1", "SUB a q 1", "UNSUB 1 0"), parse("SUB a\r1\r\nSUB a\rq\r1\r\nUNSUB 1\r0\r\n"));
        assertSilentClose(fails("PUB a\r2\r\n"), "processPub Parse Error: \"a\r2\"");
        assertSilentClose(fails("HPUB a\r0\r2\r\n"), "processHeaderPub Parse Error");
        assertSilentClose(fails("PUB a 2\r\r\n"), "processPub Bad or Missing Size");
    }

    @Test
    void nastyLineEndingsMirrorNatsServer() throws Exception {
        // All of these were accepted by nats-server 2.9.10 (see README-errors.md).
        assertEquals(List.of(
                "CONNECT {}",          // no blank needed after CONNECT
                "INFO {}",
                "UNSUB 1 5",           // a CR was seen, so the byte before LF ("S") is dropped
                "PUB a\r null [hi]",   // CR does not split PUB args; "X" before LF dropped
                "SUB a null 1",        // first byte after the blank (LF) is part of the argument; SUB splits on it
                "PUB \na null [hi]",   // ... PUB does not
                "SUB a null 1"),
            parse("CONNECT{}\r\nINFO{}\r\nUNSUB 1 5\rS\nPUB a\r 2X\nhi\r\nSUB \na 1\r\nPUB \na 2\r\nhi\r\n"
                + "SUB a 1\rX\n"));
        // "CONNECT\r\n": the CR is the (blank) argument; the JSON check then closes silently
        assertEquals(List.of("CONNECT "), parse("CONNECT\r\n"));
        assertSilentClose(fails("PUB a 2\rX\n"), "processPub Bad or Missing Size: \"a 2\r\"");
        assertSilentClose(fails("PUB \t\r\n"), "processPub Parse Error: \"\r\"");
    }

    @Test
    void unknownOperations() {
        for (String s : List.of("FOO bar\r\n", "\u0000\u0001\r\n", "@@@\r\n", "\r\n", " PING\r\n", "PX\r\n",
                "PUBX a 2\r\n", "PUBa 2\r\n", "SUBS a 1\r\n", "SUB\r\n", "UNSUB\r\n", "PUB\r\n", "+X\r\n", "-X\r\n",
                "PIX\r\n")) {
            assertWireErr(fails(s), "Unknown Protocol Operation");
        }
    }

    @Test
    void errorComesAfterEarlierOpsAreDelivered() {
        Recorder r = new Recorder();
        ProtocolParser p = new ProtocolParser(r, 4096, 1024);
        byte[] d = b("PING\r\nSUB a 1\r\nXYZ\r\nPING\r\n");
        assertThrows(ProtocolException.class, () -> p.parse(d, 0, d.length));
        assertEquals(List.of("PING", "SUB a null 1"), r.ops);
    }

    @Test
    void pubArgumentErrorsCloseSilently() {
        assertSilentClose(fails("PUB a b c 2\r\nhi\r\n"), "processPub Parse Error: \"a b c 2\"");
        assertSilentClose(fails("PUB a\r\n"), "processPub Parse Error");
        assertSilentClose(fails("PUB \r\n"), "processPub Parse Error");
        assertSilentClose(fails("PUB a xx\r\n"), "processPub Bad or Missing Size: \"a xx\"");
        assertSilentClose(fails("PUB a -1\r\n"), "processPub Bad or Missing Size");
        assertSilentClose(fails("PUB a +2\r\n"), "processPub Bad or Missing Size");
        assertSilentClose(fails("PUB a 1234567890\r\n"), "processPub Bad or Missing Size");
        assertSilentClose(fails("PUB a 0000000002\r\n"), "processPub Bad or Missing Size");
        assertSilentClose(fails("PUB a 99999999999999999999\r\n"), "processPub Bad or Missing Size");
    }

    @Test
    void leadingZerosUpToNineDigitsAreASize() throws Exception {
        assertEquals(List.of("PUB a null [hi]"), parse("PUB a 002\r\nhi\r\n"));
    }

    @Test
    void hpubArgumentErrors() {
        assertSilentClose(fails("HPUB a 12\r\n"), "processHeaderPub Parse Error: \"a 12\"");
        assertSilentClose(fails("HPUB a b c 12 14\r\n"), "processHeaderPub Parse Error");
        assertSilentClose(fails("HPUB a x 14\r\n"), "processHeaderPub Bad or Missing Header Size");
        assertSilentClose(fails("HPUB a 12 x\r\n"), "processHeaderPub Bad or Missing Total Size");
        assertSilentClose(fails("HPUB a 14 12\r\n"), "processHeaderPub Header Size larger then TotalSize: \"a 14 12\"");
    }

    @Test
    void headerSizeEqualToTotalAndZeroHeaderAreAccepted() throws Exception {
        assertEquals(List.of("HPUB a null 12 [NATS/1.0\r\n\r\n]", "HPUB a null 0 [hi]"),
            parse("HPUB a 12 12\r\nNATS/1.0\r\n\r\n\r\nHPUB a 0 2\r\nhi\r\n"));
    }

    @Test
    void subAndUnsubArgumentErrors() throws Exception {
        assertSilentClose(fails("SUB a\r\n"), "processSub Parse Error: \"a\"");
        assertSilentClose(fails("SUB a q 1 x\r\n"), "processSub Parse Error");
        assertSilentClose(fails("SUB \r\n"), "processSub Parse Error");
        assertSilentClose(fails("UNSUB 1 2 3\r\n"), "processUnsub Parse Error");
        assertSilentClose(fails("UNSUB \r\n"), "processUnsub Parse Error");
        // a max that is not a plain number is treated as absent, the connection stays up
        assertEquals(List.of("UNSUB 1 -1", "UNSUB 1 -1"), parse("UNSUB 1 x\r\nUNSUB 1 -5\r\n"));
    }

    @Test
    void maxPayload() throws Exception {
        assertWireErr(fails(b("PUB a 1025\r\n"), 4096, 1024), "Maximum Payload Violation");
        assertWireErr(fails(b("HPUB a 12 2000\r\n"), 4096, 1024), "Maximum Payload Violation");
        assertWireErr(fails(b("MSG a 1 2000\r\n"), 4096, 1024), "Maximum Payload Violation");
        assertWireErr(fails(b("PUB a 123456789\r\n"), 4096, 1024), "Maximum Payload Violation");
        byte[] exact = new byte[1024 + 32];
        byte[] head = b("PUB a 1024\r\n");
        System.arraycopy(head, 0, exact, 0, head.length);
        Arrays.fill(exact, head.length, head.length + 1024, (byte) 'x');
        exact[head.length + 1024] = '\r';
        exact[head.length + 1025] = '\n';
        assertEquals(1, parse(Arrays.copyOf(exact, head.length + 1026), 4096, 1024).size());
    }

    @Test
    void maxPayloadIsReloadable() throws Exception {
        Recorder r = new Recorder();
        ProtocolParser p = new ProtocolParser(r, 4096, 1024);
        byte[] d = b("PUB a 2000\r\n");
        p.setMaxPayload(4096);
        p.parse(d, 0, d.length);
        assertEquals(4096, p.maxPayload());
        p.setMaxControlLine(8);
        byte[] d2 = b(new String(new byte[2000]).replace('\0', 'x') + "\r\nSUB abcdefg 1\r\n");
        ProtocolException e = assertThrows(ProtocolException.class, () -> p.parse(d2, 0, d2.length));
        assertWireErr(e, "maximum control line exceeded");
    }

    @Test
    void maxControlLineCountsArgumentBytesWithoutLineEnd() throws Exception {
        // with max_control_line 256 nats-server accepts 256 argument bytes and rejects 257
        for (String end : List.of("\r\n", "\n")) {
            String ok = "SUB " + "a".repeat(254) + " 1" + end;
            assertEquals(1, parse(b(ok), 256, 1024).size());
            String bad = "SUB " + "a".repeat(255) + " 1" + end;
            assertWireErr(fails(b(bad), 256, 1024), "maximum control line exceeded");
            assertWireErr(fails(b("CONNECT {\"name\":\"" + "n".repeat(400) + "\"}" + end), 256, 1024),
                "maximum control line exceeded");
        }
        // PING with a long tail is not limited (nats-server answers PONG)
        assertEquals(List.of("PING"), parse(b("PING" + " ".repeat(300) + "\r\n"), 256, 1024));
    }

    @Test
    void longControlLineFailsFastBeforeItsEnd() {
        ProtocolParser p = new ProtocolParser(new Recorder(), 256, 1024);
        byte[] chunk = b("PUB " + "a".repeat(300));
        assertThrows(ProtocolException.class, () -> p.parse(chunk, 0, chunk.length));
    }

    @Test
    void payloadMustBeFollowedByCrlf() {
        assertWireErr(fails("PUB a 2\r\nhiXX\r\n"), "Unknown Protocol Operation");
        assertWireErr(fails("PUB a 2\r\nhi\nPING\r\n"), "Unknown Protocol Operation");
        assertWireErr(fails("HPUB a 12 14\r\nNATS/1.0\r\n\r\nhiXX\r\n"), "Unknown Protocol Operation");
        assertWireErr(fails("PUB a 0\r\nX\r\n"), "Unknown Protocol Operation");
    }

    @Test
    void zeroLengthPayloads() throws Exception {
        assertEquals(List.of("PUB a null []", "MSG a 1 r []", "PING"), parse("PUB a 0\r\n\r\nMSG a 1 r 0\r\n\r\nPING\r\n"));
    }

    @Test
    void errStripsQuotes() throws Exception {
        assertEquals(List.of("-ERR Maximum Payload Violation", "-ERR no quotes", "-ERR Permissions Violation for Publish to 'x'"),
            parse("-ERR 'Maximum Payload Violation'\r\n-err no quotes\r\n-ERR 'Permissions Violation for Publish to 'x''\r\n"));
    }

    @Test
    void everySplitPointGivesTheSameOps() throws Exception {
        String stream = "CONNECT {\"a\":1}\r\nPUB foo r 5\r\nhello\r\nHPUB h 24 26\r\nNATS/1.0\r\nK: v\r\nX: y\r\n\r\nhi\r\n"
            + "SUB s q 9\r\nUNSUB 9 3\r\nPING\npong\r\nMSG m 1 0\r\n\r\n-ERR 'x'\r\n+OK\r\nINFO {} \r\n";
        byte[] data = b(stream);
        List<String> whole = parse(data, 4096, 1024);
        assertEquals(11, whole.size());
        for (int cut1 = 0; cut1 <= data.length; cut1++) {
            for (int cut2 = cut1; cut2 <= data.length; cut2 += 7) {
                Recorder r = new Recorder();
                ProtocolParser p = new ProtocolParser(r, 4096, 1024);
                p.parse(data, 0, cut1);
                p.parse(data, cut1, cut2 - cut1);
                p.parse(data, cut2, data.length - cut2);
                assertEquals(whole, r.ops, "cuts " + cut1 + "," + cut2);
            }
        }
        Recorder r = new Recorder();
        ProtocolParser p = new ProtocolParser(r, 4096, 1024);
        for (int i = 0; i < data.length; i++) {
            p.parse(data, i, 1);
        }
        assertEquals(whole, r.ops);
        assertTrue(p.idle());
    }

    @Test
    void pipelinesManyOpsInOneBuffer() throws Exception {
        ByteSink out = new ByteSink();
        for (int i = 0; i < 10_000; i++) {
            ProtocolEncoder.pub(out, "s." + i, i % 2 == 0 ? null : "r", b("m" + i));
        }
        int[] count = {0};
        ProtocolParser p = new ProtocolParser(new ProtocolHandler() {
            @Override
            public void onPub(String subject, String reply, byte[] payload, int off, int len) {
                assertEquals("s." + count[0], subject);
                assertEquals("m" + count[0], new String(payload, off, len, StandardCharsets.US_ASCII));
                count[0]++;
            }
        }, 4096, 1024);
        p.parse(out.array(), 0, out.size());
        assertEquals(10_000, count[0]);
    }

    @Test
    void largePayloadAtTheSixtyFourMegabyteLimit() throws Exception {
        int size = 64 * 1024 * 1024;
        byte[] payload = new byte[size];
        new Random(7).nextBytes(payload);
        ByteSink out = new ByteSink(size + 64);
        ProtocolEncoder.pub(out, "big", null, payload);
        long[] seen = {0};
        ProtocolHandler h = new ProtocolHandler() {
            @Override
            public void onPub(String subject, String reply, byte[] p, int off, int len) {
                assertEquals(size, len);
                assertTrue(Arrays.equals(payload, 0, size, p, off, off + len));
                seen[0]++;
            }
        };
        // whole, then in 1 MB chunks (slow path through the parser's own buffer)
        new ProtocolParser(h, 4096, size).parse(out.array(), 0, out.size());
        ProtocolParser chunked = new ProtocolParser(h, 4096, size);
        for (int i = 0; i < out.size(); i += 1 << 20) {
            chunked.parse(out.array(), i, Math.min(1 << 20, out.size() - i));
        }
        assertEquals(2, seen[0]);
        byte[] over = b("PUB big " + (size + 1) + "\r\n");
        assertWireErr(fails(over, 4096, size), "Maximum Payload Violation");
    }

    @Test
    void handlerDefaultsRejectUnexpectedOps() {
        ProtocolParser server = new ProtocolParser(new ProtocolHandler() { }, 4096, 1024);
        byte[] d = b("MSG a 1 2\r\nhi\r\n");
        assertWireErr(assertThrows(ProtocolException.class, () -> server.parse(d, 0, d.length)),
            "Unknown Protocol Operation");
    }

    @Test
    void recoverableHandlerErrorsLetParsingContinue() throws Exception {
        List<String> seen = new ArrayList<>();
        ProtocolParser p = new ProtocolParser(new ProtocolHandler() {
            @Override
            public void onPub(String subject, String reply, byte[] payload, int off, int len) throws ProtocolException {
                seen.add(subject);
                if (subject.equals("deny")) {
                    throw new ProtocolException("Permissions Violation for Publish to \"deny\"", false);
                }
            }

            @Override
            public void onRecoverableError(ProtocolException error) {
                seen.add("err:" + error.getMessage());
            }
        }, 4096, 1024);
        byte[] d = b("PUB ok 0\r\n\r\nPUB deny 1\r\nx\r\nPUB after 0\r\n\r\n");
        p.parse(d, 0, d.length);
        assertEquals(List.of("ok", "deny", "err:Permissions Violation for Publish to \"deny\"", "after"), seen);
    }

    @Test
    void headersCanBeRefusedAsSoonAsTheOpIsSeen() {
        List<String> seen = new ArrayList<>();
        ProtocolParser p = new ProtocolParser(new ProtocolHandler() {
            @Override
            public void onPing() {
                seen.add("PING");
            }

            @Override
            public void checkHeadersAllowed() throws ProtocolException {
                throw ProtocolException.silentClose("message headers not supported");
            }
        }, 4096, 1024);
        // rejected before the (oversized, malformed) arguments are even read
        byte[] d = b("PING\r\nHPUB a 12");
        ProtocolException e = assertThrows(ProtocolException.class, () -> p.parse(d, 0, d.length));
        assertSilentClose(e, "message headers not supported");
        assertEquals(List.of("PING"), seen);
    }

    @Test
    void sidesKnowOnlyTheirOps() throws Exception {
        for (String s : List.of("MSG a 1 99999999\r\n", "HMSG a 1 2 2\r\n")) {
            byte[] d = b(s);
            ProtocolParser server = new ProtocolParser(new Recorder(), 4096, 1024, ProtocolParser.Side.SERVER);
            // nats-server: unknown op, not a payload violation
            assertWireErr(assertThrows(ProtocolException.class, () -> server.parse(d, 0, d.length)),
                "Unknown Protocol Operation");
        }
        for (String s : List.of("PUB a 1\r\n", "SUB a 1\r\n", "CONNECT {}\r\n", "UNSUB 1\r\n", "HPUB a 0 0\r\n")) {
            byte[] d = b(s);
            ProtocolParser client = new ProtocolParser(new Recorder(), 4096, 1024, ProtocolParser.Side.CLIENT);
            assertWireErr(assertThrows(ProtocolException.class, () -> client.parse(d, 0, d.length)),
                "Unknown Protocol Operation");
        }
        Recorder r = new Recorder();
        byte[] d = b("INFO {}\r\nMSG a 1 0\r\n\r\nPING\r\n+OK\r\n");
        new ProtocolParser(r, 4096, 1024, ProtocolParser.Side.CLIENT).parse(d, 0, d.length);
        assertEquals(List.of("INFO {}", "MSG a 1 null []", "PING", "+OK"), r.ops);
    }
}
