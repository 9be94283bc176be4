package io.weft.fuzz;

import static io.weft.fuzz.ProtocolGenerators.encode;
import static io.weft.fuzz.ProtocolGenerators.hex;

import io.weft.fuzz.ProtocolGenerators.Op;
import io.weft.engine.protocol.ProtocolException;
import io.weft.engine.protocol.ProtocolHandler;
import io.weft.engine.protocol.ProtocolParser;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/** Properties of the NATS protocol parser and encoder. */
class ProtocolParserProperties {
    private static final int MCL = 4096;
    private static final int MAX_PAYLOAD = 1 << 16;

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
        return ProtocolGenerators.ops();
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
        byte[] data = ProtocolGenerators.mutate(encode(ops), where, what);
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
