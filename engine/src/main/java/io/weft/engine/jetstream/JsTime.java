package io.weft.engine.jetstream;

import io.weft.engine.json.GoFormat;

/** Times as JetStream's JSON shows them: Go's RFC 3339 with nanoseconds, trailing zeros trimmed. */
public final class JsTime {
    private JsTime() {
    }

    /** Epoch nanoseconds as Go marshals a time.Time; 0 is Go's zero time. */
    public static String format(long epochNanos) {
        return epochNanos == 0 ? GoFormat.ZERO_TIME : formatInstant(epochNanos);
    }

    /** As {@link #format}, the Unix epoch itself included (no zero-time special case). */
    public static String formatInstant(long epochNanos) {
        return GoFormat.timeNanos(epochNanos);
    }

    /** Parses an RFC 3339 time to epoch nanos; throws IllegalArgumentException when malformed. */
    public static long parse(String s) {
        java.time.OffsetDateTime t = java.time.OffsetDateTime.parse(s);
        return t.toEpochSecond() * 1_000_000_000L + t.getNano();
    }
}
