package io.weft.engine.monitor;

import io.weft.store.SubjectBytes;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The query string of a monitoring request, decoded as Go's {@code url.ParseQuery} does (first
 * value of each key wins when read), with typed readers that fail with nats-server's messages,
 * which quote Go's {@code strconv} errors.
 */
public final class MonitorQuery {
    private final Map<String, String> values;

    private MonitorQuery(Map<String, String> values) {
        this.values = values;
    }

    /** An empty query. */
    public static MonitorQuery empty() {
        return new MonitorQuery(Map.of());
    }

    /** Parses {@code a=1&b=x%20y}; {@code raw} may be null. Pairs that do not decode are skipped. */
    public static MonitorQuery parse(String raw) {
        Map<String, String> map = new LinkedHashMap<>();
        if (raw != null && !raw.isEmpty()) {
            for (String pair : raw.split("&", -1)) {
                if (pair.isEmpty()) {
                    continue;
                }
                int eq = pair.indexOf('=');
                String k = decode(eq < 0 ? pair : pair.substring(0, eq));
                String v = eq < 0 ? "" : decode(pair.substring(eq + 1));
                if (k != null && v != null) {
                    map.putIfAbsent(k, v);
                }
            }
        }
        return new MonitorQuery(map);
    }

    /** Builds a query from already decoded values (tests, internal callers). */
    public static MonitorQuery of(Map<String, String> values) {
        return new MonitorQuery(new LinkedHashMap<>(values));
    }

    /** The value, or "" when absent. */
    public String get(String key) {
        return values.getOrDefault(key, "");
    }

    public boolean has(String key) {
        return !get(key).isEmpty();
    }

    /** An int in Go's {@code strconv.Atoi} syntax; {@code dflt} when absent or empty. */
    public long getInt(String key, long dflt) throws MonitorException {
        String v = get(key);
        if (v.isEmpty()) {
            return dflt;
        }
        int i = 0;
        if (v.charAt(0) == '+' || v.charAt(0) == '-') {
            i = 1;
        }
        if (i == v.length() || !allDigits(v, i)) {
            throw new MonitorException("Error decoding int for '" + key + "': strconv.Atoi: parsing "
                    + quote(v) + ": invalid syntax");
        }
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new MonitorException("Error decoding int for '" + key + "': strconv.Atoi: parsing "
                    + quote(v) + ": value out of range");
        }
    }

    /** An unsigned 64-bit integer in Go's {@code strconv.ParseUint} syntax; 0 when absent or empty. */
    public long getUint64(String key) throws MonitorException {
        String v = get(key);
        if (v.isEmpty()) {
            return 0;
        }
        if (!allDigits(v, 0)) {
            throw new MonitorException("Error decoding uint64 for '" + key + "': strconv.ParseUint: parsing "
                    + quote(v) + ": invalid syntax");
        }
        try {
            return Long.parseUnsignedLong(v);
        } catch (NumberFormatException e) {
            throw new MonitorException("Error decoding uint64 for '" + key + "': strconv.ParseUint: parsing "
                    + quote(v) + ": value out of range");
        }
    }

    /** A boolean in Go's {@code strconv.ParseBool} syntax (1 t T TRUE true True and the false forms); false when absent. */
    public boolean getBool(String key) throws MonitorException {
        String v = get(key);
        if (v.isEmpty()) {
            return false;
        }
        return switch (v) {
            case "1", "t", "T", "TRUE", "true", "True" -> true;
            case "0", "f", "F", "FALSE", "false", "False" -> false;
            default -> throw new MonitorException("Error decoding boolean for '" + key
                    + "': strconv.ParseBool: parsing " + quote(v) + ": invalid syntax");
        };
    }

    private static boolean allDigits(String v, int from) {
        for (int i = from; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return from < v.length();
    }

    /** Go's {@code %q} for the common cases: double quotes, with quotes, backslashes and controls escaped. */
    static String quote(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x7f) {
                        sb.append(String.format("\\x%02x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }

    /** Percent-decoding with '+' as space; null when an escape is malformed (Go drops such pairs). */
    private static String decode(String s) {
        if (s.indexOf('%') < 0 && s.indexOf('+') < 0) {
            return s;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '+') {
                out.write(' ');
            } else if (c == '%') {
                if (i + 2 >= s.length()) {
                    return null;
                }
                int hi = Character.digit(s.charAt(i + 1), 16);
                int lo = Character.digit(s.charAt(i + 2), 16);
                if (hi < 0 || lo < 0) {
                    return null;
                }
                out.write(hi * 16 + lo);
                i += 2;
            } else {
                int end = Character.isHighSurrogate(c) && i + 1 < s.length() ? i + 2 : i + 1;
                byte[] b = s.substring(i, end).getBytes(StandardCharsets.UTF_8);
                out.write(b, 0, b.length);
                i = end - 1;
            }
        }
        return SubjectBytes.decode(out.toByteArray()); // %ff is a byte of a subject
    }
}
