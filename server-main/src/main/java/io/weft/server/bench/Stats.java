package io.weft.server.bench;

import java.util.Arrays;

/** Small statistics helpers for the bench and the comparison. */
public final class Stats {
    private Stats() {
    }

    /** Population standard deviation (0 for fewer than two values). */
    public static double stddev(double[] v) {
        if (v.length < 2) {
            return 0;
        }
        double mean = 0;
        for (double x : v) {
            mean += x;
        }
        mean /= v.length;
        double sq = 0;
        for (double x : v) {
            sq += (x - mean) * (x - mean);
        }
        return Math.sqrt(sq / v.length);
    }

    /** The median; the mean of the two middle values for an even count; NaN when empty. */
    public static double median(double[] v) {
        if (v.length == 0) {
            return Double.NaN;
        }
        double[] s = v.clone();
        Arrays.sort(s);
        int m = s.length / 2;
        return s.length % 2 == 1 ? s[m] : (s[m - 1] + s[m]) / 2;
    }
}
