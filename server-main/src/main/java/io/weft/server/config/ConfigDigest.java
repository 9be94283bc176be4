package io.weft.server.config;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * {@code /varz config_digest}: nats-server 2.15 hashes (SHA-256) the JSON that Go's
 * {@code encoding/json} Encoder writes for the parsed configuration map, and prints
 * {@code "sha256:<hex>"}. This writes the same bytes for weft's parse tree: object keys sorted by
 * their UTF-8 bytes, integers as written after size suffixes, floats in Go's shortest form
 * ({@code 1e+21}, {@code 1e-7}), strings with Go's escapes ({@code <}, {@code >} and {@code &} as
 * {@code \u003c}..., U+2028/2029 escaped) and a final newline. Variables defined in the file are
 * keys of the map, as in nats-server's.
 */
public final class ConfigDigest {
    private ConfigDigest() {
    }

    public static String of(ConfigMap root) {
        StringBuilder sb = new StringBuilder(1024);
        write(sb, root);
        sb.append('\n');
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(sb.toString().getBytes(StandardCharsets.UTF_8));
            return "sha256:" + HexFormat.of().formatHex(hash);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing from the JDK", e);
        }
    }

    /** Go's JSON text of the value (without the Encoder's newline); visible for tests. */
    static String json(ConfigValue v) {
        StringBuilder sb = new StringBuilder();
        write(sb, v);
        return sb.toString();
    }

    private static void write(StringBuilder sb, ConfigValue v) {
        switch (v) {
            case ConfigMap m -> {
                List<ConfigMap.Entry> entries = new ArrayList<>(m.entries());
                entries.sort((a, b) -> Arrays.compareUnsigned(a.key().getBytes(StandardCharsets.UTF_8),
                        b.key().getBytes(StandardCharsets.UTF_8)));
                sb.append('{');
                boolean first = true;
                for (ConfigMap.Entry e : entries) {
                    if (!first) {
                        sb.append(',');
                    }
                    first = false;
                    string(sb, e.key());
                    sb.append(':');
                    write(sb, e.value());
                }
                sb.append('}');
            }
            case ConfigList l -> {
                sb.append('[');
                for (int i = 0; i < l.items().size(); i++) {
                    if (i > 0) {
                        sb.append(',');
                    }
                    write(sb, l.items().get(i));
                }
                sb.append(']');
            }
            case ConfigScalar s -> {
                switch (s.kind()) {
                    case STRING -> string(sb, (String) s.value());
                    case INTEGER -> sb.append(((Number) s.value()).longValue());
                    case FLOAT -> sb.append(goFloat(((Number) s.value()).doubleValue()));
                    case BOOLEAN -> sb.append(((Boolean) s.value()) ? "true" : "false");
                }
            }
        }
    }

    /** A float64 as Go's encoding/json writes it: shortest digits, exponent form outside [1e-6, 1e21). */
    static String goFloat(double d) {
        if (Double.isNaN(d) || Double.isInfinite(d)) {
            throw new IllegalArgumentException("Go's JSON has no " + d);
        }
        if (d == 0) {
            return (1 / d < 0) ? "-0" : "0";
        }
        double abs = Math.abs(d);
        // Double.toString gives the shortest decimal that reads back the same (JDK 19+), as Go's 'g' -1
        BigDecimal exact = new BigDecimal(Double.toString(d)).stripTrailingZeros();
        if (abs >= 1e-6 && abs < 1e21) {
            return exact.toPlainString();
        }
        String digits = exact.unscaledValue().abs().toString();
        int exp = digits.length() - 1 - exact.scale();
        StringBuilder sb = new StringBuilder();
        if (d < 0) {
            sb.append('-');
        }
        sb.append(digits.charAt(0));
        if (digits.length() > 1) {
            sb.append('.').append(digits, 1, digits.length());
        }
        sb.append('e').append(exp < 0 ? '-' : '+');
        int e = Math.abs(exp);
        // Go writes at least two exponent digits, then drops the zero of e-0N (but keeps e+0N)
        if (e < 10 && exp > 0) {
            sb.append('0');
        }
        sb.append(e);
        return sb.toString();
    }

    private static void string(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                case '<', '>', '&', '\u2028', '\u2029' -> sb.append(String.format("\\u%04x", (int) c));
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else if (Character.isSurrogate(c) && !(Character.isHighSurrogate(c) && i + 1 < s.length()
                            && Character.isLowSurrogate(s.charAt(i + 1)))
                            && !(Character.isLowSurrogate(c) && i > 0 && Character.isHighSurrogate(s.charAt(i - 1)))) {
                        sb.append("\ufffd"); // a lone surrogate is invalid UTF-8 to Go
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }
}
