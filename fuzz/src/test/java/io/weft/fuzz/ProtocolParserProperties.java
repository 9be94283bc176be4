package io.weft.fuzz;

import io.weft.engine.protocol.ByteSink;
import io.weft.engine.protocol.ProtocolEncoder;
import io.weft.engine.protocol.ProtocolException;
import io.weft.engine.protocol.ProtocolHandler;
import io.weft.engine.protocol.ProtocolParser;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/** Properties of the NATS protocol parser and encoder. */
class ProtocolParserProperties {
    private static final int MCL = 4096;
    private static final int MAX_PAYLOAD = 1 << 16;

    /** One protocol operation as a value; {@code encode} writes it with {@link ProtocolEncoder}. */
    record Op(String kind, String subject, String reply, String sid, long max, byte[] headers, byte[] payload) {
        void encode(ByteSink out) {
            switch (kind) {
                case "PUB" -> ProtocolEncoder.pub(out, subject, reply, payload);
                case "HPUB" -> ProtocolEncoder.hpub(out, subject, reply, headers, payload);
                case "SUB" -> ProtocolEncoder.sub(out, subject, reply, sid);
                case "UNSUB" -> ProtocolEncoder.unsub(out, sid, max);
                case "PING" -> ProtocolEncoder.ping(out);
                case "PONG" -> ProtocolEncoder.pong(out);
                case "MSG" -> ProtocolEncoder.msg(out, subject, sid, reply, payload);
                case "HMSG" -> ProtocolEncoder.hmsg(out, subject, sid, reply, headers, payload);
                case "OK" -> ProtocolEncoder.ok(out);
                case "ERR" -> ProtocolEncoder.err(out, subject);
                case "INFO" -> ProtocolEncoder.info(out, "{\"server_id\":\"" + subject + "\"}");
                case "CONNECT" -> ProtocolEncoder.connect(out, "{\"name\":\"" + subject + "\"}");
                default -> throw new IllegalStateException(kind);
            }
        }

        /** The canonical record the parser should produce for this op. */
        String expected() {
            return switch (kind) {
                case "PUB" -> "PUB " + subject + " " + reply + " " + hex(payload);
                case "HPUB" -> "HPUB " + subject + " " + reply + " " + headers.length + " " + hex(concat(headers, payload));
                case "SUB" -> "SUB " + subject + " " + reply + " " + sid;
                case "UNSUB" -> "UNSUB " + sid + " " + max;
                case "PING", "PONG" -> kind;
                case "MSG" -> "MSG " + subject + " " + sid + " " + reply + " " + hex(payload);
                case "HMSG" -> "HMSG " + subject + " " + sid + " " + reply + " " + headers.length + " "
                        + hex(concat(headers, payload));
                case "OK" -> "+OK";
                case "ERR" -> "-ERR " + subject;
                case "INFO" -> "INFO {\"server_id\":\"" + subject + "\"}";
                case "CONNECT" -> "CONNECT {\"name\":\"" + subject + "\"}";
                default -> throw new IllegalStateException(kind);
            };
        }
    }

    static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder(b.length * 2 + 2).append('[');
        for (byte x : b) {
            sb.append(Character.forDigit((x >> 4) & 0xF, 16)).append(Character.forDigit(x & 0xF, 16));
        }
        return sb.append(']').toString();
    }

    static String hex(byte[] b, int off, int len) {
        return hex(Arrays.copyOfRange(b, off, off + len));
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    /** Records every callback in the same format as {@link Op#expected()}. */
    static final class Recorder implements ProtocolHandler {
        final List<String> ops = new ArrayList<>();

        @Override public void onConnect(String json) { ops.add("CONNECT " + json); }
        @Override public void onPub(String s, String r, byte[] p, int off, int len) { ops.add("PUB " + s + " " + r + " " + hex(p, off, len)); }
        @Override public void onHpub(String s, String r, byte[] d, int off, int hl, int tl) { ops.add("HPUB " + s + " " + r + " " + hl + " " + hex(d, off, tl)); }
        @Override public void onSub(String s, String q, String sid) { ops.add("SUB " + s + " " + q + " " + sid); }
        @Override public void onUnsub(String sid, long max) { ops.add("UNSUB " + sid + " " + max); }
        @Override public void onPing() { ops.add("PING"); }
        @Override public void onPong() { ops.add("PONG"); }
        @Override public void onInfo(String json) { ops.add("INFO " + json); }
        @Override public void onMsg(String s, String sid, String r, byte[] p, int off, int len) { ops.add("MSG " + s + " " + sid + " " + r + " " + hex(p, off, len)); }
        @Override public void onHmsg(String s, String sid, String r, byte[] d, int off, int hl, int tl) { ops.add("HMSG " + s + " " + sid + " " + r + " " + hl + " " + hex(d, off, tl)); }
        @Override public void onOk() { ops.add("+OK"); }
        @Override public void onErr(String m) { ops.add("-ERR " + m); }
    }

    @Provide
    Arbitrary<List<Op>> ops() {
        Arbitrary<String> token = Arbitraries.strings().withChars("abcXYZ019._>*-$").ofMinLength(1).ofMaxLength(12);
        Arbitrary<String> maybe = Arbitraries.oneOf(Arbitraries.just(null), token);
        Arbitrary<byte[]> payload = Arbitraries.bytes().array(byte[].class).ofMaxSize(300);
        Arbitrary<byte[]> headers = Arbitraries.of("NATS/1.0\r\n\r\n", "NATS/1.0 503\r\n\r\n", "NATS/1.0\r\nK: v\r\nK: w\r\n\r\n")
                .map(s -> s.getBytes(StandardCharsets.US_ASCII));
        Arbitrary<String> kind = Arbitraries.of("PUB", "HPUB", "SUB", "UNSUB", "PING", "PONG", "MSG", "HMSG", "OK", "ERR",
                "INFO", "CONNECT");
        Arbitrary<Long> max = Arbitraries.oneOf(Arbitraries.just(-1L), Arbitraries.longs().between(0, 999_999_999));
        Arbitrary<Op> op = Combinators.combine(kind, token, maybe, token, max, headers, payload)
                .as(Op::new);
        return op.list().ofMaxSize(30);
    }

    private static byte[] encode(List<Op> ops) {
        ByteSink out = new ByteSink();
        for (Op op : ops) {
            op.encode(out);
        }
        return out.toByteArray();
    }

    private static List<String> parseWhole(byte[] data) throws ProtocolException {
        Recorder r = new Recorder();
        new ProtocolParser(r, MCL, MAX_PAYLOAD).parse(data, 0, data.length);
        return r.ops;
    }

    /** (c) Encoder output parses back to the ops that were encoded. */
    @Property(tries = 500)
    boolean encodedOpsParseBackToThemselves(@ForAll("ops") List<Op> ops) throws ProtocolException {
        List<String> expected = ops.stream().map(Op::expected).toList();
        return parseWhole(encode(ops)).equals(expected);
    }

    /** (a) Any chunking of a valid stream gives the same operations as parsing it whole. */
    @Property(tries = 500)
    boolean anyChunkingGivesTheSameOps(@ForAll("ops") List<Op> ops,
                                       @ForAll @Size(max = 40) List<@IntRange(min = 1, max = 64) Integer> cuts)
            throws ProtocolException {
        byte[] data = encode(ops);
        List<String> whole = parseWhole(data);
        Recorder r = new Recorder();
        ProtocolParser p = new ProtocolParser(r, MCL, MAX_PAYLOAD);
        int pos = 0;
        int c = 0;
        while (pos < data.length) {
            int n = cuts.isEmpty() ? 1 : cuts.get(c++ % cuts.size());
            n = Math.min(n, data.length - pos);
            p.parse(data, pos, n);
            pos += n;
        }
        return r.ops.equals(whole) && p.idle();
    }

    /** (b) Random bytes never raise anything but ProtocolException. */
    @Property(tries = 1000)
    void randomBytesOnlyRaiseProtocolException(@ForAll @Size(max = 400) byte[] data,
                                               @ForAll @IntRange(min = 1, max = 50) int chunk) {
        feedExpectingOnlyProtocolErrors(data, chunk);
    }

    /** (b) Mutated valid streams (flipped, inserted, deleted bytes) never raise anything but ProtocolException. */
    @Property(tries = 1000)
    void mutatedStreamsOnlyRaiseProtocolException(@ForAll("ops") List<Op> ops,
                                                  @ForAll @Size(max = 8) List<@IntRange(min = 0, max = 100_000) Integer> where,
                                                  @ForAll @Size(min = 8, max = 8) byte[] what,
                                                  @ForAll @IntRange(min = 1, max = 50) int chunk) {
        byte[] data = encode(ops);
        for (int i = 0; i < where.size() && data.length > 0; i++) {
            int at = where.get(i) % data.length;
            switch (i % 3) {
                case 0 -> data[at] = what[i];
                case 1 -> {
                    byte[] d = new byte[data.length + 1];
                    System.arraycopy(data, 0, d, 0, at);
                    d[at] = what[i];
                    System.arraycopy(data, at, d, at + 1, data.length - at);
                    data = d;
                }
                default -> {
                    byte[] d = new byte[data.length - 1];
                    System.arraycopy(data, 0, d, 0, at);
                    System.arraycopy(data, at + 1, d, at, data.length - at - 1);
                    data = d;
                }
            }
        }
        feedExpectingOnlyProtocolErrors(data, chunk);
    }

    /** (b) A declared size beyond max payload fails at the control line, before any payload is buffered. */
    @Property(tries = 300)
    boolean hugeDeclaredSizesFailFast(@ForAll @IntRange(min = MAX_PAYLOAD + 1, max = 999_999_999) int size,
                                      @ForAll boolean headers) {
        String line = headers ? "HPUB s 12 " + size + "\r\n" : "PUB s " + size + "\r\n";
        byte[] data = line.getBytes(StandardCharsets.US_ASCII);
        try {
            new ProtocolParser(new Recorder(), MCL, MAX_PAYLOAD).parse(data, 0, data.length);
            return false;
        } catch (ProtocolException e) {
            return e.getMessage().equals(ProtocolException.MAX_PAYLOAD) && e.closes() && e.sendsErr();
        }
    }

    private static void feedExpectingOnlyProtocolErrors(byte[] data, int chunk) {
        ProtocolParser p = new ProtocolParser(new Recorder(), 256, MAX_PAYLOAD);
        try {
            for (int pos = 0; pos < data.length; pos += chunk) {
                p.parse(data, pos, Math.min(chunk, data.length - pos));
            }
        } catch (ProtocolException expected) {
            // the only allowed failure
        }
    }
}
