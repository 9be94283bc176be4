package io.weft.engine.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.weft.store.SubjectBytes;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Subjects are bytes on the wire: the parser gives two byte strings two Strings (invalid UTF-8
 * included), and the encoder writes each back byte for byte (issue 18, item 3).
 */
class SubjectBytesWireTest {
    private static final HexFormat HEX = HexFormat.of();

    private static final class Keep implements ProtocolHandler {
        final List<String> names = new ArrayList<>();

        @Override
        public void onPub(String subject, String reply, byte[] payload, int off, int len) {
            names.add(subject);
            names.add(reply);
        }

        @Override
        public void onSub(String subject, String queue, String sid) {
            names.add(subject);
            names.add(queue);
            names.add(sid);
        }

        @Override
        public void onMsg(String subject, String sid, String reply, byte[] payload, int off, int len) {
            names.add(subject);
            names.add(sid);
            names.add(reply);
        }
    }

    private static byte[] cat(Object... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Object p : parts) {
            byte[] b = p instanceof byte[] x ? x : ((String) p).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            out.writeBytes(b);
        }
        return out.toByteArray();
    }

    private static List<String> parse(ProtocolParser.Side side, byte[] in) throws ProtocolException {
        Keep k = new Keep();
        ProtocolParser p = new ProtocolParser(k, 4096, 1 << 20, side);
        p.parse(in, 0, in.length);
        return k.names;
    }

    @Test
    void invalidUtf8SubjectsStayApartAndRoundTrip() throws ProtocolException {
        byte[] fe = {'a', '.', (byte) 0xFE};
        byte[] ff = {'a', '.', (byte) 0xFF};
        byte[] fffd = {'a', '.', (byte) 0xEF, (byte) 0xBF, (byte) 0xBD};
        byte[] reply = {'r', '.', (byte) 0xC3}; // a truncated sequence
        List<String> n = parse(ProtocolParser.Side.SERVER, cat("PUB ", fe, " 0\r\n\r\nPUB ", ff, " ", reply,
                " 0\r\n\r\nPUB ", fffd, " 0\r\n\r\nPUB ", ff, " 0\r\n\r\n"));
        assertNotEquals(n.get(0), n.get(2));
        assertNotEquals(n.get(2), n.get(4));
        assertEquals(n.get(2), n.get(6)); // the reused previous subject is the right one
        assertArrayEquals(fe, SubjectBytes.encode(n.get(0)));
        assertArrayEquals(ff, SubjectBytes.encode(n.get(2)));
        assertArrayEquals(reply, SubjectBytes.encode(n.get(3)));
        assertArrayEquals(fffd, SubjectBytes.encode(n.get(4)));
    }

    @Test
    void subQueueAndSidAreBytesToo() throws ProtocolException {
        byte[] q = {'q', (byte) 0x80};
        byte[] sid = {'1', (byte) 0xFF};
        List<String> n = parse(ProtocolParser.Side.SERVER, cat("SUB a.* ", q, " ", sid, "\r\n"));
        assertArrayEquals(q, SubjectBytes.encode(n.get(1)));
        assertArrayEquals(sid, SubjectBytes.encode(n.get(2)));
    }

    @Test
    void encoderWritesTheBytesAParserReads() throws ProtocolException {
        byte[] subject = HEX.parseHex("612ec3a92eff2ef09f98802eeda080");
        byte[] reply = HEX.parseHex("5f494e424f582efe");
        byte[] sid = HEX.parseHex("3739");
        List<String> in = parse(ProtocolParser.Side.CLIENT, cat("MSG ", subject, " ", sid, " ", reply, " 0\r\n\r\n"));
        ByteSink out = new ByteSink();
        ProtocolEncoder.msg(out, in.get(0), in.get(1), in.get(2), new byte[0]);
        assertArrayEquals(cat("MSG ", subject, " ", sid, " ", reply, " 0\r\n\r\n"), out.toByteArray());
        out.clear();
        ProtocolEncoder.pub(out, in.get(0), in.get(2), new byte[] {'x'});
        assertArrayEquals(cat("PUB ", subject, " ", reply, " 1\r\nx\r\n"), out.toByteArray());
        out.clear();
        ProtocolEncoder.sub(out, in.get(0), in.get(2), in.get(1));
        assertArrayEquals(cat("SUB ", subject, " ", reply, " ", sid, "\r\n"), out.toByteArray());
    }

    @Test
    void headerValuesKeepTheirBytes() {
        byte[] block = cat("NATS/1.0\r\nNats-Msg-Id: id", new byte[] {(byte) 0xFE}, "\r\nNats-Subject: a.",
                new byte[] {(byte) 0xFF}, "\r\n\r\n");
        Headers h = Headers.parse(block);
        Headers other = Headers.parse(cat("NATS/1.0\r\nNats-Msg-Id: id", new byte[] {(byte) 0xFF},
                "\r\nNats-Subject: a.", new byte[] {(byte) 0xFF}, "\r\n\r\n"));
        assertNotEquals(h.first("Nats-Msg-Id"), other.first("Nats-Msg-Id")); // no false duplicate
        assertArrayEquals(block, h.toBytes());
    }
}
