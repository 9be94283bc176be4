package io.weft.server.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class StatsTest {

    @Test
    void stddevIsThePopulationStandardDeviation() {
        assertEquals(2.0, Stats.stddev(new double[] {2, 4, 4, 4, 5, 5, 7, 9}), 1e-12);
        assertEquals(0.0, Stats.stddev(new double[] {42}), 0);
        assertEquals(0.0, Stats.stddev(new double[] {}), 0);
        assertEquals(0.0, Stats.stddev(new double[] {3, 3, 3}), 0);
    }

    @Test
    void medianOfOddAndEvenCounts() {
        assertEquals(3.0, Stats.median(new double[] {5, 1, 3}), 0);
        assertEquals(2.5, Stats.median(new double[] {4, 1, 3, 2}), 0);
        assertTrue(Double.isNaN(Stats.median(new double[] {})));
        double[] in = {9, 1, 5};
        Stats.median(in);
        assertEquals(9, in[0], 0); // the input is not reordered
    }

    @Test
    void groupRatesSpanFromFirstStartToLastEnd() {
        // two clients: 1000 msgs in 1 s and 3000 msgs in 2 s, overlapping, from t=0 to t=2 s
        Sample a = new Sample("a", 1000, 16_000, 0, 1_000_000_000L);
        Sample b = new Sample("b", 3000, 48_000, 0, 2_000_000_000L);
        SampleGroup g = new SampleGroup("Pub", List.of(a, b));
        assertEquals(4000, g.msgs());
        assertEquals(2000.0, g.msgsPerSec(), 1e-9); // 4000 msgs over 2 s
        assertEquals(32_000.0, g.bytesPerSec(), 1e-9);
        assertEquals(1000.0, g.minRate(), 1e-9);
        assertEquals(1500.0, g.maxRate(), 1e-9);
        assertEquals(1250.0, g.avgRate(), 1e-9);
        assertEquals(250.0, g.stddevRate(), 1e-9);
        SampleGroup all = SampleGroup.union("all", g, new SampleGroup("Sub", List.of(
                new Sample("s", 4000, 64_000, 500_000_000L, 4_000_000_000L))));
        assertEquals(8000, all.msgs());
        assertEquals(2000.0, all.msgsPerSec(), 1e-9); // 8000 msgs from t=0 to t=4 s
    }

    @Test
    void emptyGroupReportsZero() {
        SampleGroup g = new SampleGroup("Sub", List.of());
        assertEquals(0.0, g.msgsPerSec(), 0);
        assertEquals(0.0, g.stddevRate(), 0);
    }

    @Test
    void latencyPercentilesFromHdrHistogram() {
        Latency l = new Latency();
        for (int i = 1; i <= 1000; i++) {
            l.record(i * 1000L); // 1 µs .. 1 ms
        }
        assertEquals(1000, l.count());
        assertEquals(500_000, l.percentile(50), 500_000 * 0.001);
        assertEquals(900_000, l.percentile(90), 900_000 * 0.001);
        assertEquals(990_000, l.percentile(99), 990_000 * 0.001);
        assertEquals(999_000, l.percentile(99.9), 999_000 * 0.001);
        assertEquals(1_000_000, l.max(), 1_000_000 * 0.001);
        Latency other = new Latency();
        other.record(5_000_000);
        l.add(other);
        assertEquals(1001, l.count());
        assertEquals(5_000_000, l.max(), 5_000_000 * 0.001);
    }

    @Test
    void clientSharesAddUp() {
        long total = 0;
        for (int i = 0; i < 7; i++) {
            total += CoreBench.share(1_000_003, 7, i);
        }
        assertEquals(1_000_003, total);
        assertEquals(142_858, CoreBench.share(1_000_003, 7, 0));
        assertEquals(142_857, CoreBench.share(1_000_003, 7, 6));
    }

    @Test
    void jetStreamAckSubjectsAndStatusHeaders() {
        assertEquals(17, JsBench.consumerSeq("$JS.ACK.benchstream.c1.1.42.17.1700000000000000000.5"));
        assertEquals(17, JsBench.consumerSeq("$JS.ACK.dom.ACCHASH.benchstream.c1.1.42.17.1700000000000000000.5.xyz"));
        assertEquals(-1, JsBench.consumerSeq("_INBOX.abc"));
        byte[] h = "NATS/1.0 100 Idle Heartbeat\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        assertEquals(100, BenchConnection.status(h, 0, h.length));
        byte[] plain = "NATS/1.0\r\nFoo: bar\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        assertEquals(0, BenchConnection.status(plain, 0, plain.length));
    }
}
