package io.weft.engine.jetstream;

import io.weft.engine.json.GoFormat;
import java.time.LocalDateTime;
import java.time.ZoneOffset;

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
        long secs = Math.floorDiv(epochNanos, 1_000_000_000L);
        int nanos = (int) Math.floorMod(epochNanos, 1_000_000_000L);
        LocalDateTime t = LocalDateTime.ofEpochSecond(secs, nanos, ZoneOffset.UTC);
        StringBuilder sb = new StringBuilder(32);
        pad(sb, t.getYear(), 4).append('-');
        pad(sb, t.getMonthValue(), 2).append('-');
        pad(sb, t.getDayOfMonth(), 2).append('T');
        pad(sb, t.getHour(), 2).append(':');
        pad(sb, t.getMinute(), 2).append(':');
        pad(sb, t.getSecond(), 2);
        if (nanos != 0) {
            String f = String.format("%09d", nanos);
            int end = f.length();
            while (end > 0 && f.charAt(end - 1) == '0') {
                end--;
            }
            sb.append('.').append(f, 0, end);
        }
        return sb.append('Z').toString();
    }

    /** Parses an RFC 3339 time to epoch nanos; throws IllegalArgumentException when malformed. */
    public static long parse(String s) {
        java.time.OffsetDateTime t = java.time.OffsetDateTime.parse(s);
        return t.toEpochSecond() * 1_000_000_000L + t.getNano();
    }

    private static StringBuilder pad(StringBuilder sb, int v, int width) {
        String s = Integer.toString(v);
        for (int i = s.length(); i < width; i++) {
            sb.append('0');
        }
        return sb.append(s);
    }
}
