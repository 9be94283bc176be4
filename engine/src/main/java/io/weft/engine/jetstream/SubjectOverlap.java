package io.weft.engine.jetstream;

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
