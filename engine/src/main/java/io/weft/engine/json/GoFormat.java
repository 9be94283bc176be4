package io.weft.engine.json;

import java.math.BigDecimal;
import java.time.LocalDateTime;
import java.time.ZoneOffset;

/**
 * Values printed the way nats-server (a Go program) prints them, so that tools parsing its
 * monitoring output parse ours: timestamps as Go's RFC 3339 with trimmed nanoseconds, durations
 * as {@code time.Duration.String()}, uptimes as nats-server's day/hour/minute/second form, and
 * floating point numbers as {@code encoding/json} writes them.
 */
public final class GoFormat {
    /** Go's zero {@code time.Time}, as JSON marshals it. */
    public static final String ZERO_TIME = "0001-01-01T00:00:00Z";

    private static final long MICRO = 1_000L;
    private static final long MILLI = 1_000_000L;
    private static final long SECOND = 1_000_000_000L;

    private GoFormat() {
    }

    /**
     * A wall-clock instant in UTC as Go marshals a {@code time.Time} (RFC 3339, fractional seconds
     * with trailing zeros removed and no dot when the fraction is zero).
     */
    public static String time(long epochMillis) {
        return time(Math.floorDiv(epochMillis, 1_000L), (int) Math.floorMod(epochMillis, 1_000L) * 1_000_000);
    }

    /** As {@link #time(long)}, from epoch nanoseconds (the Unix epoch itself is not Go's zero time here). */
    public static String timeNanos(long epochNanos) {
        return time(Math.floorDiv(epochNanos, SECOND), (int) Math.floorMod(epochNanos, SECOND));
    }

    private static String time(long epochSeconds, int nanos) {
        LocalDateTime t = LocalDateTime.ofEpochSecond(epochSeconds, nanos, ZoneOffset.UTC);
        StringBuilder sb = new StringBuilder(30);
        int year = t.getYear();
        if (year < 0 || year > 9999) {
            // Go refuses to marshal those; clamp rather than fail a monitoring request
            return year < 0 ? ZERO_TIME : "9999-12-31T23:59:59Z";
        }
        pad(sb, year, 4).append('-');
        pad(sb, t.getMonthValue(), 2).append('-');
        pad(sb, t.getDayOfMonth(), 2).append('T');
        pad(sb, t.getHour(), 2).append(':');
        pad(sb, t.getMinute(), 2).append(':');
        pad(sb, t.getSecond(), 2);
        if (nanos != 0) {
            sb.append('.');
            appendFraction(sb, nanos, 9);
        }
        return sb.append('Z').toString();
    }

    /** {@code time.Duration(nanos).String()}: "0s", "750ns", "320µs", "3.980013ms", "1m2.5s", "1h0m0s". */
    public static String duration(long nanos) {
        if (nanos == 0) {
            return "0s";
        }
        StringBuilder sb = new StringBuilder(24);
        if (nanos < 0) {
            sb.append('-');
        }
        // the magnitude of Long.MIN_VALUE does not fit a long; Go prints it from an unsigned value
        BigDecimal mag = BigDecimal.valueOf(nanos).abs();
        if (mag.compareTo(BigDecimal.valueOf(SECOND)) < 0) {
            long u = mag.longValueExact();
            if (u < MICRO) {
                return sb.append(u).append("ns").toString();
            }
            if (u < MILLI) {
                appendUnit(sb, u, 3);
                return sb.append("µs").toString();
            }
            appendUnit(sb, u, 6);
            return sb.append("ms").toString();
        }
        BigDecimal[] sf = mag.divideAndRemainder(BigDecimal.valueOf(SECOND));
        long secs = sf[0].longValueExact();
        int frac = sf[1].intValueExact();
        long hours = secs / 3600;
        long mins = (secs / 60) % 60;
        long s = secs % 60;
        if (hours > 0) {
            sb.append(hours).append('h');
        }
        if (secs >= 60) {
            sb.append(mins).append('m');
        }
        sb.append(s);
        if (frac != 0) {
            sb.append('.');
            appendFraction(sb, frac, 9);
        }
        return sb.append('s').toString();
    }

    /**
     * An uptime or idle time as nats-server prints it: whole seconds only, with the largest units
     * first ("0s", "59s", "1m26s", "2h0m5s", "3d4h5m6s", "1y2d3h4m5s").
     */
    public static String uptime(long millis) {
        long tsecs = Math.max(0, millis) / 1000;
        long tmins = tsecs / 60;
        long thrs = tmins / 60;
        long tdays = thrs / 24;
        long tyrs = tdays / 365;
        if (tyrs > 0) {
            return tyrs + "y" + (tdays % 365) + "d" + (thrs % 24) + "h" + (tmins % 60) + "m" + (tsecs % 60) + "s";
        }
        if (tdays > 0) {
            return tdays + "d" + (thrs % 24) + "h" + (tmins % 60) + "m" + (tsecs % 60) + "s";
        }
        if (thrs > 0) {
            return thrs + "h" + (tmins % 60) + "m" + (tsecs % 60) + "s";
        }
        if (tmins > 0) {
            return tmins + "m" + (tsecs % 60) + "s";
        }
        return tsecs + "s";
    }

    /**
     * A round-trip time as /connz prints it: between a microsecond and a millisecond it is cut to
     * whole microseconds, otherwise printed to the nanosecond.
     */
    public static String rtt(long nanos) {
        long r = nanos;
        if (r > MICRO && r < MILLI) {
            r = r - r % MICRO;
        }
        return duration(r);
    }

    /**
     * A float64 as Go's {@code encoding/json} writes it: the shortest decimal that reads back
     * exactly, plain between 1e-6 and 1e21, otherwise exponent form such as {@code 1e-7} or
     * {@code 1.5e+21}; integral values have no ".0".
     */
    public static String jsonFloat(double d) {
        if (Double.isNaN(d) || Double.isInfinite(d)) {
            throw new IllegalArgumentException("unsupported value: " + d);
        }
        if (d == 0) {
            return (1 / d) < 0 ? "-0" : "0";
        }
        // Double.toString gives the shortest representation that rounds back (JDK 19+)
        BigDecimal v = new BigDecimal(Double.toString(d)).stripTrailingZeros();
        double abs = Math.abs(d);
        if (abs >= 1e-6 && abs < 1e21) {
            return v.toPlainString();
        }
        String digits = v.unscaledValue().abs().toString();
        int exp = digits.length() - 1 - v.scale();
        StringBuilder sb = new StringBuilder();
        if (d < 0) {
            sb.append('-');
        }
        sb.append(digits.charAt(0));
        if (digits.length() > 1) {
            sb.append('.').append(digits, 1, digits.length());
        }
        sb.append('e').append(exp < 0 ? '-' : '+');
        int e = Math.abs(exp);
        if (exp > 0 && e < 10) {
            sb.append('0');
        }
        return sb.append(e).toString();
    }

    private static void appendUnit(StringBuilder sb, long value, int fractionDigits) {
        long scale = 1;
        for (int i = 0; i < fractionDigits; i++) {
            scale *= 10;
        }
        sb.append(value / scale);
        long frac = value % scale;
        if (frac != 0) {
            sb.append('.');
            appendFraction(sb, frac, fractionDigits);
        }
    }

    /** Appends {@code frac} as exactly {@code digits} digits, then drops trailing zeros. */
    private static void appendFraction(StringBuilder sb, long frac, int digits) {
        String s = Long.toString(frac);
        for (int i = s.length(); i < digits; i++) {
            sb.append('0');
        }
        int end = s.length();
        while (end > 0 && s.charAt(end - 1) == '0') {
            end--;
        }
        sb.append(s, 0, end);
    }

    private static StringBuilder pad(StringBuilder sb, int v, int width) {
        String s = Integer.toString(v);
        for (int i = s.length(); i < width; i++) {
            sb.append('0');
        }
        return sb.append(s);
    }
}
