package io.weft.bench;

import io.weft.net.Env;
import io.weft.store.FileStore;
import io.weft.store.FileStoreConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The file store's append path on the real disk (a temp directory): {@code batch} appends then
 * one {@code sync()} (fsync), i.e. a group commit of that size; batch 1 is fsync per message.
 * Score: appends per millisecond. What it shows is the price of durability per message and how
 * much group commit buys back on this disk.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 2)
@Fork(1)
public class FileStoreAppendBench {
    static final int OPS = 256;

    @Param({"16", "1024"})
    public int size;

    @Param({"1", "16", "256"})
    public int batch;

    private Path dir;
    private FileStore store;
    private byte[] data;
    private long n;

    @Setup(Level.Iteration)
    public void setup() throws IOException {
        dir = Files.createTempDirectory("weft-jmh-filestore-");
        store = FileStore.open(Env.real().disk(), dir.toString(), FileStoreConfig.defaults());
        data = new byte[size];
    }

    @TearDown(Level.Iteration)
    public void tearDown() throws IOException {
        store.close();
        try (var walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** {@value #OPS} appends, with a sync after every {@code batch} of them. */
    @Benchmark
    @OperationsPerInvocation(OPS)
    public long appendAndSync() throws IOException {
        long last = 0;
        for (int i = 0; i < OPS; i++) {
            last = store.append("bench.file", null, data, n++);
            if ((i + 1) % batch == 0) {
                store.sync();
            }
        }
        return last;
    }
}
