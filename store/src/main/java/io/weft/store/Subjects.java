package io.weft.store;

/**
 * The token rules of NATS subjects, as nats-server applies them.
 *
 * <p>A subject is a non-empty sequence of tokens separated by {@code '.'}. Tokens are never empty
 * and contain no whitespace (space, tab, CR, LF, form feed). A token that is exactly {@code "*"}
 * matches any one token; a token that is exactly {@code ">"} matches one or more tokens and may
 * only be the last token. A {@code '*'} or {@code '>'} inside a longer token (for example
 * {@code "b*"}) is an ordinary character, as in nats-server.
 *
 * <p>The one home of these rules for every module: the engine's sublist, permissions, protocol
 * checks and JetStream configuration, and the store's filtered reads. It lives in {@code store}
 * because the store sits below the engine and needs the filter rules too ({@code net} must not know
 * NATS). Three readings exist, each kept exactly as its callers relied on it:
 * <ul>
 *   <li>{@link #matches}, {@link #isSubsetMatch}, {@link #overlaps}: validated (invalid subjects
 *       never match), for client subjects and permissions;</li>
 *   <li>{@link #matchesFilter}, {@link #isAll}, {@link #isLiteral}: a stream or consumer filter
 *       against stored subjects (null, empty and {@code ">"} take everything);</li>
 *   <li>{@link #tokensOverlap}, {@link #tokensSubset}: token by token without validation, for
 *       JetStream configuration checks, which validate their subjects first.</li>
 * </ul>
 * On valid subjects the readings agree ({@code SubjectRulesProperties} in {@code fuzz} checks it).
 *
 * <p>All methods are static and stateless.
 */
public final class Subjects {

    /** Token separator. */
    public static final char SEPARATOR = '.';
    /** Single-token wildcard. */
    public static final String PWC = "*";
    /** Multi-token (tail) wildcard. */
    public static final String FWC = ">";

    private Subjects() {
    }

    /** Whitespace that nats-server refuses in the subjects of a configuration (streams, transforms). */
    static boolean isSpace(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
    }

    /** The blanks that separate a SUB's arguments: no subject or queue name from the wire holds one. */
    private static boolean isWireBlank(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r';
    }

    /**
     * A subject as nats-server's {@code IsValidSubject} takes it (stream and consumer subjects): no
     * empty token, no whitespace, {@code '>'} only as the whole last token.
     */
    public static boolean isValidSubject(String subject) {
        return classify(subject, true) >= 0;
    }

    /**
     * A subject a client may subscribe to, as nats-server's sublist takes it: no empty token,
     * {@code '>'} only as the whole last token. Any other byte is part of the subject, control bytes
     * and a form feed included (nats-server 2.9.10 and 2.15.1 deliver {@code SUB a.\f}).
     */
    public static boolean isValidSubscribeSubject(String subject) {
        return classify(subject, false) >= 0;
    }

    /** A valid subject without wildcard tokens. */
    public static boolean isValidLiteralSubject(String subject) {
        return classify(subject, true) == 0;
    }

    /**
     * What a pedantic {@code PUB} requires (else nats-server answers
     * {@code -ERR 'Invalid Publish Subject'}): a valid literal subject.
     */
    public static boolean isValidPublishSubject(String subject) {
        return isValidLiteralSubject(subject);
    }

    /**
     * A queue group name as nats-server accepts it on {@code SUB}: non-empty and without the
     * blanks that separate arguments (a form feed or any other byte is part of the name). Dots and
     * wildcard characters are allowed (queue permissions match them like subjects).
     */
    public static boolean isValidQueueName(String queue) {
        if (queue == null || queue.isEmpty()) {
            return false;
        }
        for (int i = 0; i < queue.length(); i++) {
            if (isWireBlank(queue.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    /** True when the subject is valid and has a {@code *} or {@code >} token. */
    public static boolean hasWildcard(String subject) {
        return classify(subject, true) > 0;
    }

    /**
     * -1 invalid, 0 valid literal, 1 valid with wildcards. One pass, no allocation. Without
     * {@code formFeed}, only the wire's blanks are refused.
     */
    private static int classify(String s, boolean formFeed) {
        if (s == null || s.isEmpty()) {
            return -1;
        }
        int n = s.length();
        int tokenStart = 0;
        boolean wildcard = false;
        for (int i = 0; i <= n; i++) {
            if (i == n || s.charAt(i) == SEPARATOR) {
                int len = i - tokenStart;
                if (len == 0) {
                    return -1;
                }
                if (len == 1) {
                    char c = s.charAt(tokenStart);
                    if (c == '>') {
                        if (i != n) {
                            return -1;
                        }
                        wildcard = true;
                    } else if (c == '*') {
                        wildcard = true;
                    }
                }
                tokenStart = i + 1;
            } else if (formFeed ? isSpace(s.charAt(i)) : isWireBlank(s.charAt(i))) {
                return -1;
            }
        }
        return wildcard ? 1 : 0;
    }

    /** Splits a subject into its tokens (empty tokens are kept, so "a..b" gives three). */
    public static String[] tokenize(String subject) {
        int count = 1;
        for (int i = 0; i < subject.length(); i++) {
            if (subject.charAt(i) == SEPARATOR) {
                count++;
            }
        }
        String[] tokens = new String[count];
        int start = 0;
        int k = 0;
        for (int i = 0; i < subject.length(); i++) {
            if (subject.charAt(i) == SEPARATOR) {
                tokens[k++] = subject.substring(start, i);
                start = i + 1;
            }
        }
        tokens[k] = subject.substring(start);
        return tokens;
    }

    /** Number of tokens of a subject. */
    public static int numTokens(String subject) {
        if (subject.isEmpty()) {
            return 0;
        }
        int count = 1;
        for (int i = 0; i < subject.length(); i++) {
            if (subject.charAt(i) == SEPARATOR) {
                count++;
            }
        }
        return count;
    }

    /**
     * Wildcard match: does {@code pattern} (which may contain {@code *} and {@code >}) match the
     * literal subject? Tokens of {@code literalSubject} are compared as plain strings, so a
     * {@code "*"} token there only matches a {@code "*"} or wildcard token of the pattern.
     * Empty tokens in either argument never match.
     */
    public static boolean matches(String pattern, String literalSubject) {
        int pn = pattern.length();
        int sn = literalSubject.length();
        int pi = 0;
        int si = 0;
        while (true) {
            int pe = indexOfSep(pattern, pi);
            int se = indexOfSep(literalSubject, si);
            int plen = pe - pi;
            int slen = se - si;
            if (plen == 0 || slen == 0) {
                return false;
            }
            if (plen == 1 && pattern.charAt(pi) == '>') {
                // '>' must be the pattern's last token and needs at least one subject token.
                return pe == pn && !hasEmptyToken(literalSubject, si);
            }
            boolean tokenOk = (plen == 1 && pattern.charAt(pi) == '*')
                    || (plen == slen && pattern.regionMatches(pi, literalSubject, si, plen));
            if (!tokenOk) {
                return false;
            }
            boolean pDone = pe == pn;
            boolean sDone = se == sn;
            if (pDone || sDone) {
                return pDone && sDone;
            }
            pi = pe + 1;
            si = se + 1;
        }
    }

    private static int indexOfSep(String s, int from) {
        int i = s.indexOf(SEPARATOR, from);
        return i < 0 ? s.length() : i;
    }

    private static boolean hasEmptyToken(String s, int from) {
        int prev = from - 1;
        for (int i = from; i <= s.length(); i++) {
            if (i == s.length() || s.charAt(i) == SEPARATOR) {
                if (i - prev == 1) {
                    return true;
                }
                prev = i;
            }
        }
        return false;
    }

    /**
     * Is every literal subject matched by {@code subject} also matched by {@code pattern}? Both
     * may contain wildcards. Used for permissions (is a subscription inside an allowed subject)
     * and stream subject overlap. Invalid subjects give false.
     */
    public static boolean isSubsetMatch(String subject, String pattern) {
        if (!isValidSubject(subject) || !isValidSubject(pattern)) {
            return false;
        }
        String[] s = tokenize(subject);
        String[] p = tokenize(pattern);
        for (int i = 0; i < p.length; i++) {
            if (i >= s.length) {
                return false;
            }
            String pt = p[i];
            String st = s[i];
            if (pt.equals(FWC)) {
                return true; // s has at least one token from here on, p accepts any tail
            }
            if (st.equals(FWC)) {
                return false; // s matches tails of every length, p does not
            }
            if (pt.equals(PWC)) {
                continue; // any single token of s (literal or '*') is covered
            }
            if (st.equals(PWC) || !st.equals(pt)) {
                return false;
            }
        }
        return s.length == p.length;
    }

    /**
     * Can some literal subject be matched by both {@code a} and {@code b}? (nats-server calls
     * this a subject collision.) Invalid subjects give false.
     */
    public static boolean overlaps(String a, String b) {
        if (!isValidSubject(a) || !isValidSubject(b)) {
            return false;
        }
        String[] x = tokenize(a);
        String[] y = tokenize(b);
        int n = Math.min(x.length, y.length);
        for (int i = 0; i < n; i++) {
            String xt = x[i];
            String yt = y[i];
            if (xt.equals(FWC) || yt.equals(FWC)) {
                return true;
            }
            if (xt.equals(PWC) || yt.equals(PWC)) {
                continue;
            }
            if (!xt.equals(yt)) {
                return false;
            }
        }
        return x.length == y.length;
    }

    // ---------------------------------------------------------------- filters of stored subjects

    /** True if {@code filter} is null, {@code ">"}, or matches {@code subject} token by token. */
    public static boolean matchesFilter(String filter, String subject) {
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

    // ---------------------------------------------------------------- JetStream configuration checks

    /**
     * Whether two subject filters can both match some subject (nats-server's "subjects collide"),
     * compared token by token without validating them.
     */
    public static boolean tokensOverlap(String a, String b) {
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

    /** True if every subject {@code sub} matches is also matched by {@code sup}, token by token without validating them. */
    public static boolean tokensSubset(String sub, String sup) {
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
