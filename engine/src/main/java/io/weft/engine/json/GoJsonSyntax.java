package io.weft.engine.json;

/**
 * Checks JSON text the way Go's {@code encoding/json} scanner does and names the first problem in
 * Go's words (nats-server repeats them in a pull request's {@code 400 Bad Request - <detail>}).
 */
public final class GoJsonSyntax {
    private final String s;
    private int i;

    private GoJsonSyntax(String s) {
        this.s = s;
    }

    /** Go's syntax error text for {@code text}, or null when it is one well-formed JSON value. */
    public static String problem(String text) {
        GoJsonSyntax g = new GoJsonSyntax(text);
        try {
            g.value("looking for beginning of value");
            g.space();
            if (g.i < g.s.length()) {
                throw g.bad("after top-level value");
            }
            return null;
        } catch (Problem p) {
            return p.getMessage();
        } catch (StackOverflowError deep) {
            return "exceeded max depth"; // hostile nesting: refused, never allowed to take the caller down
        }
    }

    /**
     * The error Go's {@code json.Decoder} reports for a body holding zero or more JSON values (what
     * nats-server decodes API requests with), in nats-server's words: a syntax error gets
     * {@code " at offset N"} (N the bytes read up to and including the bad character), a value cut
     * short is {@code "unexpected EOF"}. Null when every value is well formed.
     */
    public static String decoderProblem(String text) {
        GoJsonSyntax g = new GoJsonSyntax(text);
        try {
            while (true) {
                g.space();
                if (g.i >= g.s.length()) {
                    return null;
                }
                g.value("looking for beginning of value");
            }
        } catch (Problem p) {
            if (g.i >= g.s.length()) {
                return "unexpected EOF";
            }
            int offset = text.substring(0, g.i + 1).getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
            return p.getMessage() + " at offset " + offset;
        }
    }

    /**
     * The texts of the well-formed JSON values a decoder reads from {@code text}, in order, up to
     * the first syntax problem ({@link #decoderProblem} names it) or the end.
     */
    public static java.util.List<String> values(String text) {
        GoJsonSyntax g = new GoJsonSyntax(text);
        java.util.List<String> out = new java.util.ArrayList<>();
        try {
            while (true) {
                g.space();
                if (g.i >= g.s.length()) {
                    return out;
                }
                int start = g.i;
                g.value("looking for beginning of value");
                out.add(text.substring(start, g.i));
            }
        } catch (Problem p) {
            return out;
        }
    }

    private static final class Problem extends RuntimeException {
        Problem(String m) {
            super(m, null, false, false);
        }
    }

    private Problem bad(String context) {
        if (i >= s.length()) {
            return new Problem("unexpected end of JSON input");
        }
        return new Problem("invalid character " + quote(s.charAt(i)) + " " + context);
    }

    /** Go's quoteChar: '\'' for a quote, otherwise a Go-quoted rune between single quotes. */
    static String quote(char c) {
        if (c == '\'') {
            return "'\\''";
        }
        if (c == '"') {
            return "'\"'";
        }
        String q = switch (c) {
            case '\n' -> "\\n";
            case '\r' -> "\\r";
            case '\t' -> "\\t";
            case '\b' -> "\\b";
            case '\f' -> "\\f";
            case '\\' -> "\\\\";
            default -> c < 0x20 || c == 0x7f ? String.format("\\x%02x", (int) c) : String.valueOf(c);
        };
        return "'" + q + "'";
    }

    private void space() {
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            i++;
        }
    }

    private char peek(String context) {
        if (i >= s.length()) {
            throw bad(context);
        }
        return s.charAt(i);
    }

    private void value(String context) {
        space();
        char c = peek(context);
        switch (c) {
            case '{' -> object();
            case '[' -> array();
            case '"' -> string();
            case 't' -> literal("true");
            case 'f' -> literal("false");
            case 'n' -> literal("null");
            default -> {
                if (c == '-' || (c >= '0' && c <= '9')) {
                    number();
                } else {
                    throw bad(context);
                }
            }
        }
    }

    private void object() {
        i++;
        space();
        if (peek("looking for beginning of object key string") == '}') {
            i++;
            return;
        }
        while (true) {
            space();
            if (peek("looking for beginning of object key string") != '"') {
                throw bad("looking for beginning of object key string");
            }
            string();
            space();
            if (peek("after object key") != ':') {
                throw bad("after object key");
            }
            i++;
            value("looking for beginning of value");
            space();
            char c = peek("after object key:value pair");
            i++;
            if (c == '}') {
                return;
            }
            if (c != ',') {
                i--;
                throw bad("after object key:value pair");
            }
        }
    }

    private void array() {
        i++;
        space();
        if (peek("looking for beginning of value") == ']') {
            i++;
            return;
        }
        while (true) {
            value("looking for beginning of value");
            space();
            char c = peek("after array element");
            i++;
            if (c == ']') {
                return;
            }
            if (c != ',') {
                i--;
                throw bad("after array element");
            }
        }
    }

    private void string() {
        i++;
        while (true) {
            char c = peek("in string literal");
            i++;
            if (c == '"') {
                return;
            }
            if (c < 0x20) {
                i--;
                throw bad("in string literal");
            }
            if (c == '\\') {
                char e = peek("in string escape code");
                if ("\"\\/bfnrt".indexOf(e) >= 0) {
                    i++;
                } else if (e == 'u') {
                    i++;
                    for (int k = 0; k < 4; k++) {
                        char h = peek("in \\u hexadecimal character escape");
                        if (Character.digit(h, 16) < 0 || h > 'f') {
                            throw bad("in \\u hexadecimal character escape");
                        }
                        i++;
                    }
                } else {
                    throw bad("in string escape code");
                }
            }
        }
    }

    private void literal(String word) {
        i++;
        for (int k = 1; k < word.length(); k++) {
            String context = "in literal " + word + " (expecting " + quote(word.charAt(k)) + ")";
            if (peek(context) != word.charAt(k)) {
                throw bad(context);
            }
            i++;
        }
    }

    private boolean digitAt() {
        return i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9';
    }

    private void number() {
        if (s.charAt(i) == '-') {
            i++;
            if (!digitAt()) {
                throw bad("in numeric literal");
            }
        }
        if (s.charAt(i) == '0') {
            i++;
        } else {
            while (digitAt()) {
                i++;
            }
        }
        if (i < s.length() && s.charAt(i) == '.') {
            i++;
            if (!digitAt()) {
                throw bad("after decimal point in numeric literal");
            }
            while (digitAt()) {
                i++;
            }
        }
        if (i < s.length() && (s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
            i++;
            if (i < s.length() && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
                i++;
            }
            if (!digitAt()) {
                throw bad("in exponent of numeric literal");
            }
            while (digitAt()) {
                i++;
            }
        }
    }
}
