package io.weft.engine.jetstream.consumer;

import java.time.Instant;

/** Go's RFC 3339 (nano) time text as nats-server prints it. */
final class Times {
    private Times() {
    }

    static String rfc3339(long epochNanos) {
        if (epochNanos <= 0) {
            return "0001-01-01T00:00:00Z";
        }
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
