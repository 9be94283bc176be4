package io.weft.engine.monitor;

/** The little subject matching /subsz?test= needs, kept here so monitoring depends on nothing else. */
final class SubjectMatch {
    private SubjectMatch() {
    }

    /** A literal subject: non-empty tokens, no wildcards, no whitespace. */
    static boolean isValidPublishSubject(String s) {
        if (s.isEmpty()) {
            return false;
        }
        String[] tokens = s.split("\\.", -1);
        for (String t : tokens) {
            if (t.isEmpty() || t.equals("*") || t.equals(">")) {
                return false;
            }
            for (int i = 0; i < t.length(); i++) {
                char c = t.charAt(i);
                if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f') {
                    return false;
                }
            }
        }
        return true;
    }

    /** Whether subscription subject {@code pattern} (may hold {@code *} and {@code >}) matches literal {@code subject}. */
    static boolean matches(String pattern, String subject) {
        String[] p = pattern.split("\\.", -1);
        String[] s = subject.split("\\.", -1);
        for (int i = 0; i < p.length; i++) {
            if (p[i].equals(">") && i == p.length - 1) {
                return s.length > i;
            }
            if (i >= s.length) {
                return false;
            }
            if (!p[i].equals("*") && !p[i].equals(s[i])) {
                return false;
            }
        }
        return p.length == s.length;
    }
}
