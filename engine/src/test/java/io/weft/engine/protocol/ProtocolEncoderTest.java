package io.weft.engine.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProtocolEncoderTest {

    private static String s(ByteSink out) {
        return new String(out.array(), 0, out.size(), StandardCharsets.UTF_8);
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void clientOps() {
        ByteSink out = new ByteSink(16);
        ProtocolEncoder.connect(out, "{\"verbose\":false}");
        ProtocolEncoder.pub(out, "a.b", null, b("hello"));
        ProtocolEncoder.pub(out, "a.b", "_INBOX.1", b(""));
        ProtocolEncoder.hpub(out, "h", "r", Headers.NO_RESPONDERS, b("xy"));
        ProtocolEncoder.sub(out, "a.*", null, "1");
        ProtocolEncoder.sub(out, "a.>", "workers", "22");
        ProtocolEncoder.unsub(out, "1", -1);
        ProtocolEncoder.unsub(out, "22", 5);
        ProtocolEncoder.ping(out);
        ProtocolEncoder.pong(out);
        assertEquals("CONNECT {\"verbose\":false}\r\n"
                + "PUB a.b 5\r\nhello\r\n"
                + "PUB a.b _INBOX.1 0\r\n\r\n"
                + "HPUB h r 16 18\r\nNATS/1.0 503\r\n\r\nxy\r\n"
                + "SUB a.* 1\r\nSUB a.> workers 22\r\nUNSUB 1\r\nUNSUB 22 5\r\nPING\r\nPONG\r\n", s(out));
    }

    @Test
    void serverOps() {
        ByteSink out = new ByteSink();
        ProtocolEncoder.info(out, "{\"server_id\":\"X\"}");
        ProtocolEncoder.msg(out, "a", "1", null, b("hi"));
        ProtocolEncoder.msg(out, "a", "1", "r", b("hi"));
        byte[] hp = b("NATS/1.0\r\n\r\nhi");
        ProtocolEncoder.hmsg(out, "a", "1", null, hp, 0, 12, 14);
        ProtocolEncoder.hmsg(out, "a", "1", "r", b("NATS/1.0\r\n\r\n"), b("hi"));
        ProtocolEncoder.ok(out);
        ProtocolEncoder.err(out, "Unknown Protocol Operation");
        assertEquals("INFO {\"server_id\":\"X\"} \r\n"
                + "MSG a 1 2\r\nhi\r\nMSG a 1 r 2\r\nhi\r\n"
                + "HMSG a 1 12 14\r\nNATS/1.0\r\n\r\nhi\r\nHMSG a 1 r 12 14\r\nNATS/1.0\r\n\r\nhi\r\n"
                + "+OK\r\n-ERR 'Unknown Protocol Operation'\r\n", s(out));
    }

    @Test
    void encodedServerOpsParseBack() throws Exception {
        ByteSink out = new ByteSink();
        ProtocolEncoder.info(out, "{}");
        ProtocolEncoder.msg(out, "subj.é", "7", "r", b("payload"));
        ProtocolEncoder.err(out, "Maximum Payload Violation");
        Recorder r = new Recorder();
        new ProtocolParser(r, 4096, 1024).parse(out.array(), 0, out.size());
        assertEquals(List.of("INFO {}", "MSG subj.é 7 r [payload]", "-ERR Maximum Payload Violation"), r.ops);
    }

    @Test
    void decimalsAndGrowth() {
        ByteSink out = new ByteSink(1);
        for (long v : new long[] {0, 7, 10, 99, 100, 123456789, Long.MAX_VALUE, -1, -450, Long.MIN_VALUE}) {
            out.clear();
            out.appendDecimal(v);
            assertEquals(Long.toString(v), s(out));
        }
        out.clear();
        byte[] big = new byte[100_000];
        out.append(big).appendAscii("x");
        assertEquals(100_001, out.size());
        assertEquals(100_001, out.toByteArray().length);
    }
}
