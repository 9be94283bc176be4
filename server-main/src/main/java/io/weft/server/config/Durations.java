package io.weft.server.config;

import java.math.BigDecimal;
import java.time.Duration;

/** Go-style durations as nats-server accepts them: {@code 300ms}, {@code 1.5h}, {@code 2h45m}, {@code -1s}. */
public final class Durations {
    private Durations() {
    }

    /** Formats as Go's {@code time.Duration.String()} does: {@code 5s}, {@code 1m30s}, {@code 1.5s}, {@code 250ms}. */
    public static String format(Duration d) {
        long nanos = d.toNanos();
        if (nanos == 0) {
            return "0s";
        }
        String sign = nanos < 0 ? "-" : "";
        long n = Math.abs(nanos);
        if (n < 1_000L) {
            return sign + n + "ns";
        }
        if (n < 1_000_000L) {
            return sign + decimal(n, 1_000L) + "\u00b5s";
        }
        if (n < 1_000_000_000L) {
            return sign + decimal(n, 1_000_000L) + "ms";
        }
        StringBuilder sb = new StringBuilder(sign);
        long hours = n / 3_600_000_000_000L;
        long minutes = n / 60_000_000_000L % 60;
        long rest = n % 60_000_000_000L;
        if (hours > 0) {
            sb.append(hours).append('h');
        }
        if (hours > 0 || minutes > 0) {
            sb.append(minutes).append('m');
        }
        return sb.append(decimal(rest, 1_000_000_000L)).append('s').toString();
    }

    private static String decimal(long value, long unit) {
        BigDecimal v = BigDecimal.valueOf(value).divide(BigDecimal.valueOf(unit)).stripTrailingZeros();
        return v.scale() < 0 ? v.setScale(0).toPlainString() : v.toPlainString();
    }

    /** Parses {@code text}; throws IllegalArgumentException with a reason when it is not a duration. */
    public static Duration parse(String text) {
        String s = text.trim();
        if (s.isEmpty()) {
            throw new IllegalArgumentException("empty duration");
        }
        boolean negative = false;
        int i = 0;
        if (s.charAt(0) == '-' || s.charAt(0) == '+') {
            negative = s.charAt(0) == '-';
            i = 1;
        }
        if (s.substring(i).equals("0")) {
            return Duration.ZERO;
        }
        if (i >= s.length()) {
            throw new IllegalArgumentException("invalid duration \"" + text + "\"");
        }
        BigDecimal totalNanos = BigDecimal.ZERO;
        while (i < s.length()) {
            int start = i;
            while (i < s.length() && (Character.isDigit(s.charAt(i)) || s.charAt(i) == '.')) {
                i++;
            }
            if (start == i) {
                throw new IllegalArgumentException("invalid duration \"" + text + "\"");
            }
            BigDecimal number;
            try {
                number = new BigDecimal(s.substring(start, i));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("invalid duration \"" + text + "\"");
            }
            int unitStart = i;
            while (i < s.length() && !Character.isDigit(s.charAt(i)) && s.charAt(i) != '.') {
                i++;
            }
            String unit = s.substring(unitStart, i);
            long factor = switch (unit) {
                case "ns" -> 1L;
                case "us", "\u00b5s", "\u03bcs" -> 1_000L;
                case "ms" -> 1_000_000L;
                case "s" -> 1_000_000_000L;
                case "m" -> 60_000_000_000L;
                case "h" -> 3_600_000_000_000L;
                case "" -> throw new IllegalArgumentException("missing unit in duration \"" + text + "\"");
                default -> throw new IllegalArgumentException("unknown unit \"" + unit + "\" in duration \"" + text + "\"");
            };
            totalNanos = totalNanos.add(number.multiply(BigDecimal.valueOf(factor)));
        }
        if (totalNanos.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
            throw new IllegalArgumentException("duration \"" + text + "\" is out of range");
        }
        long nanos = totalNanos.longValue();
        return Duration.ofNanos(negative ? -nanos : nanos);
    }
}
