package io.weft.bench;

import io.weft.engine.protocol.ByteSink;
import io.weft.engine.protocol.ProtocolEncoder;
import io.weft.engine.protocol.ProtocolException;
import io.weft.engine.protocol.ProtocolHandler;
import io.weft.engine.protocol.ProtocolParser;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The protocol parser on a stream of {@value #MSGS} PUBs (server side) or MSGs (client side),
 * fed in 64 KB reads as a connection's reader does, with one subject or a cycle of distinct ones.
 * Score: messages per microsecond.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ParserBench {
    static final int MSGS = 10_000;
    static final int READ = 64 * 1024;

    @Param({"16", "1024"})
    public int size;

    /** Distinct subjects, cycled: 1 takes the parser's reuse of the previous subject, 64 decodes every one. */
    @Param({"1", "64"})
    public int subjects;

    private byte[] pubs;
    private byte[] msgs;
    private ProtocolParser serverParser;
    private ProtocolParser clientParser;
    private Blackhole bh;

    @Setup
    public void setup(Blackhole blackhole) {
        this.bh = blackhole;
        byte[] payload = new byte[size];
        ByteSink p = new ByteSink();
        ByteSink m = new ByteSink();
        for (int i = 0; i < MSGS; i++) {
            String subject = subjects == 1 ? "bench.subject.foo" : "bench.subject.foo" + (i % subjects);
            ProtocolEncoder.pub(p, subject, null, payload);
            ProtocolEncoder.msg(m, subject, "1", null, payload);
        }
        pubs = p.toByteArray();
        msgs = m.toByteArray();
        serverParser = new ProtocolParser(new ProtocolHandler() {
            @Override
            public void onPub(String subject, String reply, byte[] payload, int off, int len) {
                bh.consume(subject);
                bh.consume(len);
            }
        }, 4096, 64L * 1024 * 1024, ProtocolParser.Side.SERVER);
        clientParser = new ProtocolParser(new ProtocolHandler() {
            @Override
            public void onMsg(String subject, String sid, String reply, byte[] payload, int off, int len) {
                bh.consume(subject);
                bh.consume(len);
            }
        }, 4096, 64L * 1024 * 1024, ProtocolParser.Side.CLIENT);
    }

    private static void feed(ProtocolParser parser, byte[] stream) throws ProtocolException {
        for (int off = 0; off < stream.length; off += READ) {
            parser.parse(stream, off, Math.min(READ, stream.length - off));
        }
    }

    @Benchmark
    @OperationsPerInvocation(MSGS)
    public void parsePub() throws ProtocolException {
        feed(serverParser, pubs);
    }

    @Benchmark
    @OperationsPerInvocation(MSGS)
    public void parseMsg() throws ProtocolException {
        feed(clientParser, msgs);
    }

    @Benchmark
    @OperationsPerInvocation(MSGS)
    public int encodeMsg() {
        ByteSink out = new ByteSink(READ);
        byte[] payload = new byte[size];
        int written = 0;
        for (int i = 0; i < MSGS; i++) {
            ProtocolEncoder.msg(out, "bench.subject.foo", "1", null, payload);
            if (out.size() >= READ) {
                written += out.size();
                out.clear();
            }
        }
        return written + out.size();
    }
}
