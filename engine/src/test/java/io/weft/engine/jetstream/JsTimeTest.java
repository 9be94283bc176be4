package io.weft.engine.jetstream;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Go's time.Time JSON text (RFC 3339, nanoseconds with trailing zeros trimmed), as nats-server prints it. */
class JsTimeTest {
    @Test
    void goTextOfEpochNanos() {
        assertEquals("0001-01-01T00:00:00Z", JsTime.format(0), "0 is Go's zero time");
        assertEquals("1970-01-01T00:00:00Z", JsTime.formatInstant(0), "the epoch itself when asked for");
        assertEquals("2026-12-07T21:19:35Z", JsTime.format(1_796_678_375_000_000_000L));
        assertEquals("2026-12-07T21:19:35.1Z", JsTime.format(1_796_678_375_100_000_000L), "trailing zeros trimmed");
        assertEquals("2026-12-07T21:19:35.000000001Z", JsTime.format(1_796_678_375_000_000_001L));
        assertEquals("1969-12-31T23:59:59.5Z", JsTime.formatInstant(-500_000_000L), "before the epoch");
        assertEquals(1_796_678_375_100_000_000L, JsTime.parse("2026-12-07T21:19:35.1Z"));
    }
}
