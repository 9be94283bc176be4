package io.weft.engine.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The parser hands out the previous subject/sid String when the bytes repeat, and the right one when they do not. */
class ParserSubjectReuseTest {
    private static final class Keep implements ProtocolHandler {
        final List<String> subjects = new ArrayList<>();
        final List<String> sids = new ArrayList<>();

        @Override
        public void onPub(String subject, String reply, byte[] payload, int off, int len) {
            subjects.add(subject);
        }

        @Override
        public void onMsg(String subject, String sid, String reply, byte[] payload, int off, int len) {
            subjects.add(subject);
            sids.add(sid);
        }
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void repeatedSubjectIsTheSameString() throws Exception {
        Keep k = new Keep();
        ProtocolParser p = new ProtocolParser(k, 4096, 1 << 20, ProtocolParser.Side.SERVER);
        byte[] b = ascii("PUB a.b 1\r\nx\r\nPUB a.b 1\r\ny\r\nPUB a.c 1\r\nz\r\nPUB a.b 0\r\n\r\n");
        p.parse(b, 0, b.length);
        assertEquals(List.of("a.b", "a.b", "a.c", "a.b"), k.subjects);
        assertSame(k.subjects.get(0), k.subjects.get(1));
    }

    @Test
    void subjectsThatDifferOnlyInLengthOrLastByteAreNotConfused() throws Exception {
        Keep k = new Keep();
        ProtocolParser p = new ProtocolParser(k, 4096, 1 << 20, ProtocolParser.Side.SERVER);
        String in = "PUB foo.bar 0\r\n\r\nPUB foo.ba 0\r\n\r\nPUB foo.bax 0\r\n\r\nPUB foo.bar.x 0\r\n\r\nPUB foo.bar 0\r\n\r\n"
                + "PUB föö 0\r\n\r\nPUB föö 0\r\n\r\n";
        byte[] b = ascii(in);
        for (int i = 0; i < b.length; i++) { // one byte at a time: lines assembled across reads
            p.parse(b, i, 1);
        }
        assertEquals(List.of("foo.bar", "foo.ba", "foo.bax", "foo.bar.x", "foo.bar", "föö", "föö"), k.subjects);
    }

    @Test
    void clientSideReusesSubjectAndSid() throws Exception {
        Keep k = new Keep();
        ProtocolParser p = new ProtocolParser(k, 4096, 1 << 20, ProtocolParser.Side.CLIENT);
        byte[] b = ascii("MSG s 1 0\r\n\r\nMSG s 1 0\r\n\r\nMSG s 2 0\r\n\r\nMSG t 12 0\r\n\r\n");
        p.parse(b, 0, b.length);
        assertEquals(List.of("s", "s", "s", "t"), k.subjects);
        assertEquals(List.of("1", "1", "2", "12"), k.sids);
        assertSame(k.sids.get(0), k.sids.get(1));
    }

    @Test
    void longSubjectsAreNotRememberedButStillRight() throws Exception {
        Keep k = new Keep();
        ProtocolParser p = new ProtocolParser(k, 4096, 1 << 20, ProtocolParser.Side.SERVER);
        String longSubject = "x".repeat(300);
        byte[] b = ascii("PUB " + longSubject + " 0\r\n\r\nPUB " + longSubject + " 0\r\n\r\nPUB y 0\r\n\r\n");
        p.parse(b, 0, b.length);
        assertEquals(List.of(longSubject, longSubject, "y"), k.subjects);
    }
}
