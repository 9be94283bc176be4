package io.weft.engine.jetstream.consumer;

/** Go's {@code time.Duration.String()} for the durations that appear in error messages. */
final class GoDuration {
    private GoDuration() {
    }

    static String format(long nanos) {
        if (nanos == 0) {
            return "0s";
        }
        StringBuilder sb = new StringBuilder();
        long n = nanos;
        if (n < 0) {
            sb.append('-');
            n = -n;
        }
        if (n < 1_000) {
            return sb.append(n).append("ns").toString();
        }
        if (n < 1_000_000) {
            return sb.append(trim(n / 1e3)).append("µs").toString();
        }
        if (n < 1_000_000_000) {
            return sb.append(trim(n / 1e6)).append("ms").toString();
        }
        long h = n / 3_600_000_000_000L;
        long rem = n % 3_600_000_000_000L;
        long m = rem / 60_000_000_000L;
        double s = (rem % 60_000_000_000L) / 1e9;
        if (h > 0) {
            sb.append(h).append('h').append(m).append('m');
        } else if (m > 0) {
            sb.append(m).append('m');
        }
        return sb.append(trim(s)).append('s').toString();
    }

    private static String trim(double d) {
        String s = new java.math.BigDecimal(d).setScale(9, java.math.RoundingMode.HALF_EVEN).stripTrailingZeros().toPlainString();
        return s;
    }
}
