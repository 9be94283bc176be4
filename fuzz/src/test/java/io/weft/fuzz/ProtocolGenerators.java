package io.weft.fuzz;

import io.weft.engine.protocol.ByteSink;
import io.weft.engine.protocol.ProtocolEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

/**
 * Generators of NATS protocol streams shared by the parser properties (in memory) and the live
 * server properties (over sockets): whole operations, their encoding, and byte-level mutations.
 */
final class ProtocolGenerators {
    private ProtocolGenerators() {
    }

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

        /** The canonical record a parser should produce for this op. */
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

    private static final List<String> ALL_KINDS = List.of("PUB", "HPUB", "SUB", "UNSUB", "PING", "PONG", "MSG",
            "HMSG", "OK", "ERR", "INFO", "CONNECT");
    /** What a client may legitimately send to a server. */
    private static final List<String> CLIENT_KINDS = List.of("PUB", "HPUB", "SUB", "UNSUB", "PING", "PONG");

    /** Operations of both directions, with tokens that include wildcards and odd characters. */
    static Arbitrary<List<Op>> ops() {
        return ops(ALL_KINDS, 30);
    }

    /** Operations a client sends (no CONNECT: callers put their own first). */
    static Arbitrary<List<Op>> clientOps() {
        return ops(CLIENT_KINDS, 30);
    }

    private static Arbitrary<List<Op>> ops(List<String> kinds, int maxOps) {
        Arbitrary<String> token = Arbitraries.strings().withChars("abcXYZ019._>*-$").ofMinLength(1).ofMaxLength(12);
        Arbitrary<String> maybe = Arbitraries.oneOf(Arbitraries.just(null), token);
        Arbitrary<byte[]> payload = Arbitraries.bytes().array(byte[].class).ofMaxSize(300);
        Arbitrary<byte[]> headers = Arbitraries.of("NATS/1.0\r\n\r\n", "NATS/1.0 503\r\n\r\n", "NATS/1.0\r\nK: v\r\nK: w\r\n\r\n")
                .map(s -> s.getBytes(StandardCharsets.US_ASCII));
        Arbitrary<String> kind = Arbitraries.of(kinds);
        Arbitrary<Long> max = Arbitraries.oneOf(Arbitraries.just(-1L), Arbitraries.longs().between(0, 999_999_999));
        Arbitrary<Op> op = Combinators.combine(kind, token, maybe, token, max, headers, payload).as(Op::new);
        return op.list().ofMaxSize(maxOps);
    }

    /** A byte-level edit of a stream: at {@code where % length}, overwrite, insert or delete (by index % 3). */
    static Arbitrary<List<Integer>> mutationPlaces() {
        return Arbitraries.integers().between(0, 100_000).list().ofMaxSize(8);
    }

    static byte[] encode(List<Op> ops) {
        ByteSink out = new ByteSink();
        for (Op op : ops) {
            op.encode(out);
        }
        return out.toByteArray();
    }

    /**
     * Applies edits to {@code data}: the i-th place overwrites (i % 3 == 0), inserts (1) or
     * deletes (2) one byte at {@code where[i] % length}, using {@code what[i % what.length]}.
     */
    static byte[] mutate(byte[] data, List<Integer> where, byte[] what) {
        for (int i = 0; i < where.size() && data.length > 0; i++) {
            int at = where.get(i) % data.length;
            byte b = what.length == 0 ? 0 : what[i % what.length];
            switch (i % 3) {
                case 0 -> data[at] = b;
                case 1 -> {
                    byte[] d = new byte[data.length + 1];
                    System.arraycopy(data, 0, d, 0, at);
                    d[at] = b;
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
        return data;
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
}
