package io.weft.engine.jetstream;

/**
 * The {@code Nats-TTL} header of a published message (per-message TTL, nats-server 2.11, ADR-43):
 * a Go duration ({@code 90s}, {@code 1m30s}, {@code 1.5s}), a whole number of seconds, or
 * {@code never} (kept even past max_age). As nats-server 2.15.1 measured: at least one second,
 * an empty value means no TTL.
 */
final class MsgTtl {
    /** No TTL. */
    static final long NONE = 0;
    /** {@code never}: the message does not expire, not even by max_age. */
    static final long NEVER = -1;
    /** Not a TTL nats-server accepts (10165). */
    static final long INVALID = -2;

    static final long SECOND = 1_000_000_000L;

    private MsgTtl() {
    }

    /** The TTL in nanoseconds, {@link #NONE}, {@link #NEVER} or {@link #INVALID}. */
    static long parse(String v) {
        if (v == null || v.isEmpty()) {
            return NONE;
        }
        if (v.equals("never")) {
            return NEVER;
        }
        long ns = duration(v);
        if (ns == INVALID) {
            ns = seconds(v);
        }
        return ns == INVALID || ns < SECOND ? INVALID : ns;
    }

    /** A whole number of seconds (digits only), or INVALID. */
    private static long seconds(String v) {
        for (int i = 0; i < v.length(); i++) {
            if (v.charAt(i) < '0' || v.charAt(i) > '9') {
                return INVALID;
            }
        }
        try {
            return Math.multiplyExact(Long.parseLong(v), SECOND);
        } catch (ArithmeticException | NumberFormatException e) {
            return INVALID;
        }
    }

    /** A Go duration string in nanoseconds, or INVALID (negative ones are INVALID too). */
    static long duration(String s) {
        int i = 0;
        boolean neg = false;
        if (i < s.length() && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
            neg = s.charAt(i) == '-';
            i++;
        }
        if (i == s.length()) {
            return INVALID;
        }
        if (s.substring(i).equals("0")) {
            return 0;
        }
        double total = 0;
        while (i < s.length()) {
            int start = i;
            while (i < s.length() && Character.isDigit(s.charAt(i))) {
                i++;
            }
            String whole = s.substring(start, i);
            String frac = "";
            if (i < s.length() && s.charAt(i) == '.') {
                int f = ++i;
                while (i < s.length() && Character.isDigit(s.charAt(i))) {
                    i++;
                }
                frac = s.substring(f, i);
            }
            if (whole.isEmpty() && frac.isEmpty()) {
                return INVALID;
            }
            int u = i;
            while (i < s.length() && s.charAt(i) != '.' && !Character.isDigit(s.charAt(i))) {
                i++;
            }
            long unit = switch (s.substring(u, i)) {
                case "ns" -> 1L;
                case "us", "\u00b5s", "\u03bcs" -> 1_000L;
                case "ms" -> 1_000_000L;
                case "s" -> SECOND;
                case "m" -> 60 * SECOND;
                case "h" -> 3600 * SECOND;
                default -> 0L;
            };
            if (unit == 0) {
                return INVALID;
            }
            double n = (whole.isEmpty() ? 0 : Double.parseDouble(whole))
                    + (frac.isEmpty() ? 0 : Double.parseDouble("0." + frac));
            total += n * unit;
            if (total > Long.MAX_VALUE) {
                return INVALID;
            }
        }
        return neg ? (total == 0 ? 0 : INVALID) : (long) total;
    }

    /** Whole seconds as Go prints a {@code time.Duration} ({@code 1s}, {@code 1m0s}, {@code 1h0m30s}). */
    static String goSeconds(long seconds) {
        if (seconds == 0) {
            return "0s";
        }
        long h = seconds / 3600;
        long m = seconds % 3600 / 60;
        long sec = seconds % 60;
        if (h > 0) {
            return h + "h" + m + "m" + sec + "s";
        }
        if (m > 0) {
            return m + "m" + sec + "s";
        }
        return sec + "s";
    }
}
