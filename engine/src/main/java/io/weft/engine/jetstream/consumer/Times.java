package io.weft.engine.jetstream.consumer;

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
        return io.weft.engine.json.GoFormat.timeNanos(epochNanos);
    }
}
