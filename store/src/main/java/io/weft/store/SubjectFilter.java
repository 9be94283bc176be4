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
        String[] f = filter.split("\\.", -1);
        String[] s = subject.split("\\.", -1);
        for (int i = 0; i < f.length; i++) {
            if (f[i].equals(">")) {
                return s.length > i;
            }
            if (i >= s.length || !(f[i].equals("*") || f[i].equals(s[i]))) {
                return false;
            }
        }
        return f.length == s.length;
    }

    public static boolean isAll(String filter) {
        return filter == null || filter.isEmpty() || filter.equals(">");
    }

    public static boolean isLiteral(String filter) {
        return filter != null && filter.indexOf('*') < 0 && filter.indexOf('>') < 0;
    }
}
