package io.weft.engine.auth;

/**
 * The small subject matcher that permissions need. A pattern is an allow or deny entry (it may
 * hold the wildcards {@code *} and {@code >}); the other side is taken token by token literally,
 * even when it holds wildcard characters itself. That literal reading is what nats-server does
 * when it checks a wildcard SUB against the permission lists (see README-facts.md).
 *
 * <p>Kept apart so that it can later be swapped for {@code io.weft.engine.subject.Subjects}.
 */
public final class AuthSubjects {
    private AuthSubjects() {
    }

    /** True when {@code subject}, read literally, is matched by {@code pattern}. */
    public static boolean matches(String pattern, String subject) {
        if (pattern.isEmpty() || subject.isEmpty()) {
            return false;
        }
        int p = 0;
        int s = 0;
        while (true) {
            // Each round starts with at least one token left on both sides.
            int pEnd = tokenEnd(pattern, p);
            int sEnd = tokenEnd(subject, s);
            boolean pLast = pEnd == pattern.length();
            boolean sLast = sEnd == subject.length();
            int pTokenLength = pEnd - p;
            boolean wildcardToken = pTokenLength == 1;
            if (wildcardToken && pLast && pattern.charAt(p) == '>') {
                return true;
            }
            if (!(wildcardToken && pattern.charAt(p) == '*')
                    && (pTokenLength != sEnd - s || !pattern.regionMatches(p, subject, s, pTokenLength))) {
                return false;
            }
            if (pLast || sLast) {
                return pLast && sLast;
            }
            p = pEnd + 1;
            s = sEnd + 1;
        }
    }

    /** True when any of {@code patterns} matches {@code subject}. */
    public static boolean matchesAny(Iterable<String> patterns, String subject) {
        for (String pattern : patterns) {
            if (matches(pattern, subject)) {
                return true;
            }
        }
        return false;
    }

    private static int tokenEnd(String text, int from) {
        int dot = text.indexOf('.', from);
        return dot < 0 ? text.length() : dot;
    }
}
