package io.weft.bench;

import io.weft.engine.sublist.Sublist;
import io.weft.engine.sublist.SublistEntry;
import io.weft.engine.sublist.SublistResult;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Sublist match with {@code subs} subscriptions (literals, {@code *} and {@code >} wildcards,
 * some queue groups): with the match cache (the server's setting; hits after the first round),
 * without it (every match walks the trie), and from 2 threads at once (the cache read path must
 * not take a lock). Score: matches per microsecond.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class SublistBench {
    record Sub(String subject, String queue) implements SublistEntry {
    }

    @Param({"1000", "100000"})
    public int subs;

    private Sublist<Sub> cached;
    private Sublist<Sub> uncached;
    private String[] subjects;

    @Setup
    public void setup() {
        cached = new Sublist<>();
        uncached = new Sublist<>(0);
        for (int i = 0; i < subs; i++) {
            String subject = switch (i % 4) {
                case 0 -> "orders." + (i % 1000) + ".created";
                case 1 -> "orders.*.created";
                case 2 -> "orders." + (i % 1000) + ".>";
                default -> "telemetry." + i + ".cpu";
            };
            Sub s = new Sub(subject, i % 10 == 0 ? "workers" : null);
            if (i % 4 == 1 && i > 4) {
                s = new Sub("orders.*." + (i % 50), null); // keep the wildcard level wide but distinct
            }
            cached.insert(s);
            uncached.insert(s);
        }
        subjects = new String[256];
        for (int i = 0; i < subjects.length; i++) {
            subjects[i] = "orders." + (i * 7 % 1000) + ".created";
        }
    }

    @State(Scope.Thread)
    public static class Cursor {
        int i;

        String next(String[] subjects) {
            i = (i + 1) & (subjects.length - 1);
            return subjects[i];
        }
    }

    @Benchmark
    public SublistResult<Sub> matchCached(Cursor c) {
        return cached.match(c.next(subjects));
    }

    @Benchmark
    public SublistResult<Sub> matchUncached(Cursor c) {
        return uncached.match(c.next(subjects));
    }

    @Benchmark
    @Threads(2)
    public SublistResult<Sub> matchCachedTwoThreads(Cursor c) {
        return cached.match(c.next(subjects));
    }
}
