package io.weft.server.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Go's time.Duration.String() forms, as nats-server prints durations in its errors. */
class DurationsTest {
    @Test
    void formatsAsGoDoes() {
        assertEquals("0s", Durations.format(Duration.ZERO));
        assertEquals("5s", Durations.format(Duration.ofSeconds(5)));
        assertEquals("1.5s", Durations.format(Duration.ofMillis(1500)));
        assertEquals("250ms", Durations.format(Duration.ofMillis(250)));
        assertEquals("1m0s", Durations.format(Duration.ofMinutes(1)));
        assertEquals("1m30s", Durations.format(Duration.ofSeconds(90)));
        assertEquals("2h0m0s", Durations.format(Duration.ofHours(2)));
        assertEquals("1\u00b5s", Durations.format(Duration.ofNanos(1000)));
        assertEquals("7ns", Durations.format(Duration.ofNanos(7)));
        assertEquals("-2s", Durations.format(Duration.ofSeconds(-2)));
    }

    @Test
    void formatThenParseIsIdentity() {
        for (long ms : new long[] {1, 999, 1000, 61_500, 3_600_000, 86_400_123}) {
            Duration d = Duration.ofMillis(ms);
            assertEquals(d, Durations.parse(Durations.format(d)));
        }
    }
}
