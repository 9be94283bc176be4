package io.weft.fuzz;

import io.weft.engine.protocol.ByteSink;
import io.weft.engine.protocol.ProtocolEncoder;
import io.weft.engine.protocol.ProtocolException;
import io.weft.engine.protocol.ProtocolHandler;
import io.weft.engine.protocol.ProtocolParser;
import io.weft.store.SubjectBytes;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Subjects are bytes (issue 18): any byte string round-trips through {@link SubjectBytes}, two
 * different ones never give the same String, and a subject that goes through the parser and back
 * out of the encoder keeps every byte.
 */
class SubjectBytesProperties {

    /** Byte strings biased towards UTF-8 lead and continuation bytes, so valid and broken sequences mix. */
    @Provide
    Arbitrary<byte[]> bytes() {
        Arbitrary<Byte> any = Arbitraries.bytes();
        Arbitrary<Byte> utf8ish = Arbitraries.of((byte) 0x80, (byte) 0xBF, (byte) 0xC2, (byte) 0xC3, (byte) 0xDF,
                (byte) 0xE0, (byte) 0xED, (byte) 0xEF, (byte) 0xF0, (byte) 0xF4, (byte) 0xFE, (byte) 0xFF, (byte) 'a');
        return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(1, any), net.jqwik.api.Tuple.of(2, utf8ish))
                .list().ofMaxSize(12).map(l -> {
                    byte[] b = new byte[l.size()];
                    for (int i = 0; i < b.length; i++) {
                        b[i] = l.get(i);
                    }
                    return b;
                });
    }

    @Property(tries = 2000)
    boolean everyByteStringRoundTrips(@ForAll("bytes") byte[] b) {
        String s = SubjectBytes.decode(b);
        return Arrays.equals(b, SubjectBytes.encode(s)) && SubjectBytes.encodedLength(s) == b.length;
    }

    @Property(tries = 2000)
    boolean differentBytesNeverDecodeAlike(@ForAll("bytes") byte[] a, @ForAll("bytes") byte[] b) {
        return Arrays.equals(a, b) == SubjectBytes.decode(a).equals(SubjectBytes.decode(b));
    }

    /** A subject token: any bytes but the protocol's separators (space, tab, CR, LF). */
    private static byte[] token(byte[] b) {
        byte[] t = new byte[b.length + 1];
        t[0] = 's';
        for (int i = 0; i < b.length; i++) {
            byte x = b[i];
            t[i + 1] = x == ' ' || x == '\t' || x == '\r' || x == '\n' ? (byte) '_' : x;
        }
        return t;
    }

    @Property(tries = 1000)
    boolean aSubjectKeepsItsBytesFromPubToMsg(@ForAll("bytes") byte[] raw, @ForAll("bytes") byte[] rawReply)
            throws ProtocolException {
        byte[] subject = token(raw);
        byte[] reply = token(rawReply);
        ByteArrayOutputStream in = new ByteArrayOutputStream();
        in.writeBytes("PUB ".getBytes());
        in.writeBytes(subject);
        in.write(' ');
        in.writeBytes(reply);
        in.writeBytes(" 1\r\nx\r\n".getBytes());
        List<String> seen = new ArrayList<>();
        ProtocolParser p = new ProtocolParser(new ProtocolHandler() {
            @Override
            public void onPub(String s, String r, byte[] payload, int off, int len) {
                seen.add(s);
                seen.add(r);
            }
        }, 4096, 1024, ProtocolParser.Side.SERVER);
        byte[] wire = in.toByteArray();
        p.parse(wire, 0, wire.length);
        ByteSink out = new ByteSink();
        ProtocolEncoder.msg(out, seen.get(0), "1", seen.get(1), new byte[] {'x'});
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        expected.writeBytes("MSG ".getBytes());
        expected.writeBytes(subject);
        expected.writeBytes(" 1 ".getBytes());
        expected.writeBytes(reply);
        expected.writeBytes(" 1\r\nx\r\n".getBytes());
        return Arrays.equals(expected.toByteArray(), out.toByteArray());
    }
}
