package io.weft.bench;

import io.weft.store.MemoryStore;
import io.weft.store.MessageStore;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The stream store's append path: {@link MemoryStore} now (the file store joins once it lands),
 * over {@code subjects} distinct subjects, with a fresh store per iteration so the store does
 * not grow without bound. Score: appends per microsecond.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g"})
public class StoreAppendBench {
    @Param({"16", "1024"})
    public int size;

    @Param({"1", "1000"})
    public int subjects;

    private MessageStore store;
    private byte[] data;
    private String[] names;
    private long n;

    @Setup(Level.Iteration)
    public void setup() {
        store = new MemoryStore();
        data = new byte[size];
        names = new String[subjects];
        for (int i = 0; i < subjects; i++) {
            names[i] = "stream.subject." + i;
        }
    }

    @TearDown(Level.Iteration)
    public void tearDown() throws Exception {
        store.close();
    }

    @Benchmark
    public long appendMemory() throws java.io.IOException {
        long i = n++;
        return store.append(names[(int) (i % subjects)], null, data, i);
    }
}
