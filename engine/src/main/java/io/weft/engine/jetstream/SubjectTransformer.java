package io.weft.engine.jetstream;

import io.weft.store.Subjects;
import java.util.ArrayList;
import java.util.List;

/**
 * A subject mapping as streams use it ({@code subject_transform}, {@code republish}): a source
 * filter and a destination whose tokens are literals, {@code $N} or {@code {{wildcard(N)}}} (the
 * N-th {@code *} of the source), or a trailing {@code >} (the rest of a source ending in {@code >}).
 */
public final class SubjectTransformer {
    private final String src;
    private final String[] srcTokens;
    /** Per destination token: -1 literal, 0 the '>' tail, N the N-th '*' wildcard. */
    private final int[] refs;
    private final String[] destTokens;

    private SubjectTransformer(String src, String[] srcTokens, int[] refs, String[] destTokens) {
        this.src = src;
        this.srcTokens = srcTokens;
        this.refs = refs;
        this.destTokens = destTokens;
    }

    /** Null if {@code dest} is not a valid destination for {@code src}. */
    public static SubjectTransformer of(String src, String dest) {
        String s = src == null || src.isEmpty() ? ">" : src;
        String[] st = s.split("\\.", -1);
        int stars = 0;
        boolean tail = st[st.length - 1].equals(">");
        for (String t : st) {
            if (t.equals("*")) {
                stars++;
            }
        }
        String[] dt = dest.split("\\.", -1);
        int[] refs = new int[dt.length];
        int nextStar = 1;
        boolean explicit = false;
        for (int i = 0; i < dt.length; i++) {
            String t = dt[i];
            int ref = -1;
            if (t.equals(">")) {
                if (!tail || i != dt.length - 1) {
                    return null;
                }
                ref = 0;
            } else if (t.equals("*")) {
                if (explicit || nextStar > stars) {
                    return null;
                }
                ref = nextStar++;
            } else if (t.startsWith("$") && isInteger(t.substring(1))) {
                // "$N" is a reference; any other token starting with '$' ("$KV", "$RP") is a literal
                ref = number(t.substring(1));
                explicit = true;
            } else if (t.startsWith("{{") && t.endsWith("}}")) {
                String f = t.substring(2, t.length() - 2).trim();
                if (!f.toLowerCase(java.util.Locale.ROOT).startsWith("wildcard(") || !f.endsWith(")")) {
                    return null;
                }
                ref = number(f.substring(9, f.length() - 1).trim());
                explicit = true;
            }
            if (ref != -1 && ref != 0 && (ref < 1 || ref > stars)) {
                return null;
            }
            refs[i] = ref;
        }
        return new SubjectTransformer(s, st, refs, dt);
    }

    private static boolean isInteger(String s) {
        return s.matches("[+-]?[0-9]+");
    }

    private static int number(String s) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            return -2;
        }
    }

    public boolean matches(String subject) {
        return Subjects.matchesFilter(src, subject);
    }

    /** The transformed subject, or null if {@code subject} does not match the source. */
    public String apply(String subject) {
        if (!matches(subject)) {
            return null;
        }
        String[] t = subject.split("\\.", -1);
        List<String> stars = new ArrayList<>();
        String rest = "";
        for (int i = 0; i < srcTokens.length; i++) {
            if (srcTokens[i].equals("*")) {
                stars.add(t[i]);
            } else if (srcTokens[i].equals(">")) {
                rest = String.join(".", java.util.Arrays.copyOfRange(t, i, t.length));
                break;
            }
        }
        StringBuilder sb = new StringBuilder(subject.length() + 16);
        for (int i = 0; i < destTokens.length; i++) {
            if (i > 0) {
                sb.append('.');
            }
            int r = refs[i];
            if (r == -1) {
                sb.append(destTokens[i]);
            } else if (r == 0) {
                sb.append(rest);
            } else {
                sb.append(stars.get(r - 1));
            }
        }
        return sb.toString();
    }
}
