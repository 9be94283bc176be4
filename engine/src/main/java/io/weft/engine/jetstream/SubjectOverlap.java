package io.weft.engine.jetstream;

import java.util.List;

/** Whether two subject filters can both match some subject (nats-server's "subjects collide"). */
public final class SubjectOverlap {
    private SubjectOverlap() {
    }

    public static boolean overlaps(String a, String b) {
        String[] ta = a.split("\\.", -1);
        String[] tb = b.split("\\.", -1);
        for (int i = 0; ; i++) {
            boolean endA = i == ta.length;
            boolean endB = i == tb.length;
            if (endA && endB) {
                return true;
            }
            if (endA || endB) {
                return false;
            }
            if (ta[i].equals(">") || tb[i].equals(">")) {
                return true;
            }
            if (!ta[i].equals(tb[i]) && !ta[i].equals("*") && !tb[i].equals("*")) {
                return false;
            }
        }
    }

    /** Two positions in a list of subjects, {@code first < second}. */
    public record Pair(int first, int second) {
    }

    /**
     * The pair of overlapping subjects in {@code subjects} that a pairwise scan (for each i, for
     * each j after it) would meet first, or null when no two overlap; found through an
     * {@link OverlapIndex}, so a list of N subjects costs about N lookups, not N²/2 comparisons.
     */
    public static Pair firstOverlappingPair(List<String> subjects) {
        OverlapIndex<Integer> index = new OverlapIndex<>();
        for (int i = 0; i < subjects.size(); i++) {
            index.add(subjects.get(i), i);
        }
        int[] min = new int[1];
        for (int i = 0; i < subjects.size(); i++) {
            int self = i;
            min[0] = Integer.MAX_VALUE;
            // before the first overlapping pair only a subject's own entry overlaps it, so every
            // other index found here is after i (an earlier one would have ended the scan there)
            index.anyOverlapping(subjects.get(i), j -> {
                if (j != self && j < min[0]) {
                    min[0] = j;
                }
                return false;
            });
            if (min[0] != Integer.MAX_VALUE) {
                assert min[0] > i;
                return new Pair(i, min[0]);
            }
        }
        return null;
    }

    /** True if every subject {@code sub} matches is also matched by {@code sup}. */
    public static boolean isSubset(String sub, String sup) {
        String[] a = sub.split("\\.", -1);
        String[] b = sup.split("\\.", -1);
        for (int i = 0; i < b.length; i++) {
            if (b[i].equals(">")) {
                return a.length > i;
            }
            if (i >= a.length) {
                return false;
            }
            if (b[i].equals("*")) {
                if (a[i].equals(">")) {
                    return false;
                }
                continue;
            }
            if (!a[i].equals(b[i])) {
                return false;
            }
        }
        return a.length == b.length;
    }
}
