package io.weft.store;

/** NATS subject-filter matching for the store, which sits below the engine's subject code. */
public final class SubjectFilter {
    private SubjectFilter() {
    }

    /** True if {@code filter} is null, {@code ">"}, or matches {@code subject} token by token. */
    public static boolean matches(String filter, String subject) {
        if (isAll(filter)) {
            return true;
        }
        if (isLiteral(filter)) {
            return filter.equals(subject);
        }
        // walk both token by token without allocating
        int f = 0;
        int s = 0;
        int fl = filter.length();
        int sl = subject.length();
        while (true) {
            int fe = filter.indexOf('.', f);
            if (fe < 0) {
                fe = fl;
            }
            if (s > sl) {
                return false; // subject ran out of tokens
            }
            int se = subject.indexOf('.', s);
            if (se < 0) {
                se = sl;
            }
            int ftLen = fe - f;
            if (ftLen == 1 && filter.charAt(f) == '>') {
                return se > s || s < sl;
            }
            boolean star = ftLen == 1 && filter.charAt(f) == '*';
            if (!star && (ftLen != se - s || !filter.regionMatches(f, subject, s, ftLen))) {
                return false;
            }
            if (star && se == s) {
                return false; // '*' needs a non-empty token
            }
            boolean fDone = fe == fl;
            boolean sDone = se == sl;
            if (fDone || sDone) {
                return fDone && sDone;
            }
            f = fe + 1;
            s = se + 1;
        }
    }

    public static boolean isAll(String filter) {
        return filter == null || filter.isEmpty() || filter.equals(">");
    }

    public static boolean isLiteral(String filter) {
        return filter != null && filter.indexOf('*') < 0 && filter.indexOf('>') < 0;
    }
}
