package io.weft.engine.jetstream.consumer;

import java.time.Instant;

/** Go's RFC 3339 (nano) time text as nats-server prints it. */
final class Times {
    private Times() {
    }

    /** The time, or Go's zero time for 0 and less (the fields where nats-server keeps "unset" as zero). */
    static String rfc3339(long epochNanos) {
        if (epochNanos <= 0) {
            return "0001-01-01T00:00:00Z";
        }
        return instant(epochNanos);
    }

    /** The time as it is, the Unix epoch itself included (a pause_until of 1970-01-01, as nats.js's resume sends). */
    static String instant(long epochNanos) {
        Instant t = Instant.ofEpochSecond(Math.floorDiv(epochNanos, 1_000_000_000L), Math.floorMod(epochNanos, 1_000_000_000L));
        String s = t.toString();
        // Go trims trailing zeros of the fraction; java.time prints them in groups of three.
        int dot = s.indexOf('.');
        if (dot > 0) {
            int z = s.length() - 1;
            int end = z;
            while (end > dot + 1 && s.charAt(end - 1) == '0') {
                end--;
            }
            s = s.substring(0, end) + "Z";
        }
        return s;
    }
}
