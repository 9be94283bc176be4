package io.weft.engine.json;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class GoFormatTest {

    @Test
    void timesAreRfc3339WithTrimmedFraction() {
        long t = Instant.parse("2026-11-26T13:59:46.170Z").toEpochMilli();
        assertEquals("2026-11-26T13:59:46.17Z", GoFormat.time(t));
        assertEquals("2026-11-26T13:59:46.001Z", GoFormat.time(t - 169));
        assertEquals("2026-11-26T13:59:46Z", GoFormat.time(t - 170));
        assertEquals("1970-01-01T00:00:00Z", GoFormat.time(0));
        assertEquals("0001-01-01T00:00:00Z", GoFormat.ZERO_TIME);
    }

    @Test
    void durationsPrintLikeGoDurationString() {
        assertEquals("0s", GoFormat.duration(0));
        assertEquals("1ns", GoFormat.duration(1));
        assertEquals("999ns", GoFormat.duration(999));
        assertEquals("1µs", GoFormat.duration(1_000));
        assertEquals("1.5µs", GoFormat.duration(1_500));
        assertEquals("320µs", GoFormat.duration(320_000));
        assertEquals("3.980013ms", GoFormat.duration(3_980_013));
        assertEquals("1ms", GoFormat.duration(1_000_000));
        assertEquals("1s", GoFormat.duration(1_000_000_000L));
        assertEquals("1.5s", GoFormat.duration(1_500_000_000L));
        assertEquals("1m2.5s", GoFormat.duration(62_500_000_000L));
        assertEquals("2m0s", GoFormat.duration(120_000_000_000L));
        assertEquals("1h0m0s", GoFormat.duration(3_600_000_000_000L));
        assertEquals("26h3m4.000000005s", GoFormat.duration(((26 * 60 + 3) * 60 + 4) * 1_000_000_000L + 5));
        assertEquals("-1.5s", GoFormat.duration(-1_500_000_000L));
        assertEquals("-2562047h47m16.854775808s", GoFormat.duration(Long.MIN_VALUE));
    }

    @Test
    void uptimeIsWholeSecondsWithLargestUnitsFirst() {
        assertEquals("0s", GoFormat.uptime(999));
        assertEquals("59s", GoFormat.uptime(59_999));
        assertEquals("1m26s", GoFormat.uptime(86_000));
        assertEquals("2h0m5s", GoFormat.uptime((2 * 3600 + 5) * 1000L));
        assertEquals("3d4h5m6s", GoFormat.uptime((((3 * 24 + 4) * 60 + 5) * 60 + 6) * 1000L));
        assertEquals("1y2d0h0m0s", GoFormat.uptime(367L * 24 * 3600 * 1000));
        assertEquals("0s", GoFormat.uptime(-5000));
    }

    @Test
    void rttIsCutToMicrosecondsBelowAMillisecond() {
        assertEquals("320µs", GoFormat.rtt(320_456));
        assertEquals("3.980013ms", GoFormat.rtt(3_980_013));
        assertEquals("1µs", GoFormat.rtt(1_000));
        assertEquals("0s", GoFormat.rtt(0));
    }

    @Test
    void floatsPrintLikeEncodingJson() {
        assertEquals("0", GoFormat.jsonFloat(0.0));
        assertEquals("2", GoFormat.jsonFloat(2.0));
        assertEquals("0.5", GoFormat.jsonFloat(0.5));
        assertEquals("0.16666666666666666", GoFormat.jsonFloat(1.0 / 6));
        assertEquals("0.7142857142857143", GoFormat.jsonFloat(5.0 / 7));
        assertEquals("0.05263157894736842", GoFormat.jsonFloat(1.0 / 19));
        assertEquals("1e-7", GoFormat.jsonFloat(1e-7));
        assertEquals("0.000001", GoFormat.jsonFloat(1e-6));
        assertEquals("123456789012345680000", GoFormat.jsonFloat(1.2345678901234568e20));
        assertEquals("1e+21", GoFormat.jsonFloat(1e21));
        assertEquals("-2.5e-8", GoFormat.jsonFloat(-2.5e-8));
    }
}
