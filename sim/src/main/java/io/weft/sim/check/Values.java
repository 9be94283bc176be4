package io.weft.sim.check;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Operation values: normalisation (so that {@code 1} and {@code 1L} are equal in models and memo
 * keys), an EDN-like printer and a parser for the strings of {@link io.weft.sim.world.History}.
 */
public final class Values {
    private Values() {
    }

    /** Integral numbers become {@code Long}, lists become immutable lists of normalised values. */
    public static Object norm(Object v) {
        if (v instanceof Integer || v instanceof Short || v instanceof Byte) {
            return ((Number) v).longValue();
        }
        if (v instanceof List<?> l) {
            List<Object> out = new ArrayList<>(l.size());
            for (Object o : l) {
                out.add(norm(o));
            }
            return java.util.Collections.unmodifiableList(out);
        }
        if (v instanceof KV kv) {
            return new KV(norm(kv.key()), norm(kv.value()));
        }
        return v;
    }

    /** EDN-like text: nil, numbers, "strings", [vectors], {maps}. */
    public static String edn(Object v) {
        StringBuilder sb = new StringBuilder();
        edn(v, sb);
        return sb.toString();
    }

    static void edn(Object v, StringBuilder sb) {
        if (v == null) {
            sb.append("nil");
        } else if (v instanceof Number || v instanceof Boolean) {
            sb.append(v);
        } else if (v instanceof CharSequence s) {
            sb.append('"');
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c == '"' || c == '\\') {
                    sb.append('\\');
                }
                sb.append(c);
            }
            sb.append('"');
        } else if (v instanceof KV kv) {
            sb.append('[');
            edn(kv.key(), sb);
            sb.append(' ');
            edn(kv.value(), sb);
            sb.append(']');
        } else if (v instanceof List<?> l) {
            sb.append('[');
            for (int i = 0; i < l.size(); i++) {
                if (i > 0) {
                    sb.append(' ');
                }
                edn(l.get(i), sb);
            }
            sb.append(']');
        } else if (v instanceof Map<?, ?> m) {
            sb.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!first) {
                    sb.append(", ");
                }
                first = false;
                edn(e.getKey(), sb);
                sb.append(' ');
                edn(e.getValue(), sb);
            }
            sb.append('}');
        } else {
            sb.append(v);
        }
    }

    /**
     * Parses the value strings the simulated clients record: empty or {@code nil} is null, an
     * integer is a Long, {@code [a b ...]} is a list (nested allowed), anything else stays a string.
     */
    public static Object parse(String s) {
        if (s == null) {
            return null;
        }
        int[] pos = {0};
        Object v = parseOne(s.strip(), pos);
        return pos[0] >= s.strip().length() ? v : s;
    }

    private static Object parseOne(String s, int[] pos) {
        skipSpace(s, pos);
        if (pos[0] >= s.length()) {
            return null;
        }
        if (s.charAt(pos[0]) == '[') {
            pos[0]++;
            List<Object> out = new ArrayList<>();
            while (true) {
                skipSpace(s, pos);
                if (pos[0] >= s.length()) {
                    return java.util.Collections.unmodifiableList(out);
                }
                if (s.charAt(pos[0]) == ']') {
                    pos[0]++;
                    return java.util.Collections.unmodifiableList(out);
                }
                out.add(parseOne(s, pos));
            }
        }
        int start = pos[0];
        while (pos[0] < s.length() && !Character.isWhitespace(s.charAt(pos[0]))
                && s.charAt(pos[0]) != ']' && s.charAt(pos[0]) != '[') {
            pos[0]++;
        }
        String tok = s.substring(start, pos[0]);
        if (tok.equals("nil")) {
            return null;
        }
        try {
            return Long.parseLong(tok);
        } catch (NumberFormatException e) {
            return tok;
        }
    }

    private static void skipSpace(String s, int[] pos) {
        while (pos[0] < s.length() && (Character.isWhitespace(s.charAt(pos[0])) || s.charAt(pos[0]) == ',')) {
            pos[0]++;
        }
    }
}
