package io.weft.engine.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class HeadersTest {

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void parsesStatusDescriptionAndOrderedMultimapKeepingCase() {
        Headers h = Headers.parse(b("NATS/1.0 408 Request Timeout\r\nNats-Pending-Messages: 1\r\nfoo: a\r\nFoo: b\r\nfoo:c\r\n\r\n"));
        assertEquals(408, h.status());
        assertEquals("Request Timeout", h.description());
        assertEquals(List.of("a", "c"), h.get("foo"));
        assertEquals(List.of("b"), h.get("Foo"));
        assertEquals(List.of("a", "b", "c"), h.getIgnoreCase("FOO"));
        assertEquals(List.of("Nats-Pending-Messages", "foo", "Foo"), List.copyOf(h.keys()));
        assertEquals("1", h.first("Nats-Pending-Messages"));
    }

    @Test
    void noRespondersConstant() {
        Headers h = Headers.parse(Headers.NO_RESPONDERS);
        assertEquals(503, h.status());
        assertEquals("", h.description());
        assertEquals(0, h.size());
        assertArrayEquals(Headers.NO_RESPONDERS, new Headers().status(503, "").toBytes());
    }

    @Test
    void noRespondersNamesTheSubjectAsItsBytes() {
        Headers h = Headers.parse(Headers.noResponders("svc.a"));
        assertEquals(503, h.status());
        assertEquals("svc.a", h.first("Nats-Subject"));
        assertArrayEquals("NATS/1.0 503\r\nNats-Subject: svc.a\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII),
                Headers.noResponders("svc.a"));
        String raw = io.weft.store.SubjectBytes.decode(new byte[]{'a', '.', (byte) 0xff});
        byte[] b = Headers.noResponders(raw);
        assertEquals((byte) 0xff, b[b.length - 5]);
    }

    @Test
    void roundTrip() {
        Headers h = new Headers().add("Nats-Msg-Id", "abc").add("X", "1").add("X", "2 3").status(100, "Idle Heartbeat");
        byte[] wire = h.toBytes();
        assertEquals("NATS/1.0 100 Idle Heartbeat\r\nNats-Msg-Id: abc\r\nX: 1\r\nX: 2 3\r\n\r\n",
            new String(wire, StandardCharsets.UTF_8));
        assertEquals(h, Headers.parse(wire));
        assertEquals("NATS/1.0\r\n\r\n", new String(new Headers().toBytes(), StandardCharsets.UTF_8));
        h.set("X", "9");
        assertEquals(List.of("9"), h.get("X"));
        assertEquals(h, Headers.parse(h.toBytes()));
    }

    @Test
    void parsesAtAnOffsetInsideAnHpubBuffer() throws Exception {
        byte[] wire = b("HPUB s 24 26\r\nNATS/1.0\r\nK: v\r\nX: y\r\n\r\nhi\r\n");
        Headers[] got = new Headers[1];
        new ProtocolParser(new ProtocolHandler() {
            @Override
            public void onHpub(String subject, String reply, byte[] data, int off, int headerLen, int totalLen) {
                got[0] = Headers.parse(data, off, headerLen);
            }
        }, 4096, 1024).parse(wire, 0, wire.length);
        assertEquals("v", got[0].first("K"));
        assertEquals("y", got[0].first("X"));
    }

    @Test
    void malformedBlocks() {
        for (String s : List.of("", "NATS/1.0", "NATS/1.0\r\n", "HTTP/1.0\r\n\r\n", "NATS/1.0\r\nno colon\r\n\r\n",
                "NATS/1.0\r\n: v\r\n\r\n", "NATS/1.0\r\nK: v\r\n", "NATS/1.0 50\r\n\r\n", "NATS/1.0 5000\r\n\r\n",
                "NATS/1.0 abc\r\n\r\n", "NATS/1.0x\r\n\r\n", "NATS/1.0\r\nK: v\nX: y\r\n\r\n", "NATS/1.0\r\n\r\nextra",
                "NATS/1.0\r\nbad key: v\r\n\r\n")) {
            MalformedHeadersException e = assertThrows(MalformedHeadersException.class, () -> Headers.parse(b(s)), s);
            assertTrue(!e.getMessage().isEmpty());
        }
    }

    @Test
    void builderRejectsValuesThatCannotBeWritten() {
        assertThrows(IllegalArgumentException.class, () -> new Headers().add("a b", "v"));
        assertThrows(IllegalArgumentException.class, () -> new Headers().add("k:", "v"));
        assertThrows(IllegalArgumentException.class, () -> new Headers().add("k", "v\r\nX: y"));
        assertThrows(IllegalArgumentException.class, () -> new Headers().status(42, ""));
    }
}
