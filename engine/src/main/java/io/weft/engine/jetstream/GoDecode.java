package io.weft.engine.jetstream;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.weft.engine.json.GoJsonQuote;
import io.weft.engine.json.GoJsonSyntax;
import java.io.IOException;
import java.math.BigInteger;
import io.weft.store.SubjectBytes;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * What Go's {@code encoding/json} says when nats-server 2.15 decodes a request body into one of its
 * structs (strict mode: unknown fields are refused). A {@link Shape} describes the Go struct; {@link
 * #problem} returns the error text nats-server puts after {@code "invalid JSON: "} (err_code
 * 10025), or null when Go would decode the body. The first error in document order wins, as
 * 2.15.1 answers. Only the shape is checked here; the parsers read the values afterwards.
 */
public final class GoDecode {
    private static final JsonFactory FACTORY = new JsonFactory();

    private GoDecode() {
    }

    /** The Go type a JSON value is decoded into. */
    public sealed interface Shape permits Num, Str, Bool, Slice, MapOf, Struct, Enum, Any {
        /** Go's name of the type, as its errors print it. */
        String go();
    }

    /** An integer type (int, int32, int64, uint64, time.Duration) and its range. */
    public record Num(String go, BigInteger min, BigInteger max) implements Shape {
    }

    public record Str() implements Shape {
        @Override
        public String go() {
            return "string";
        }
    }

    public record Bool() implements Shape {
        @Override
        public String go() {
            return "bool";
        }
    }

    public record Slice(Shape elem) implements Shape {
        @Override
        public String go() {
            return "[]" + elem.go();
        }
    }

    public record MapOf(Shape value) implements Shape {
        @Override
        public String go() {
            return "map[string]" + value.go();
        }
    }

    /** A struct: its JSON field names (matched case-insensitively, as Go does) and their shapes. */
    public record Struct(String go, Map<String, Shape> fields) implements Shape {
        public Struct {
            Map<String, Shape> lower = new LinkedHashMap<>();
            fields.forEach((k, v) -> lower.put(k.toLowerCase(Locale.ROOT), v));
            fields = java.util.Collections.unmodifiableMap(lower);
        }
    }

    /**
     * A type with its own UnmarshalJSON: {@code accepted} raw literals decode, anything else
     * (null included) fails with {@code error} where {@code %q} is Go's quoting of the literal.
     */
    public record Enum(String go, Set<String> accepted, String error) implements Shape {
    }

    /** Not checked here (its parser reports its own errors). */
    public record Any(String go) implements Shape {
    }

    public static final Num INT = new Num("int", BigInteger.valueOf(Long.MIN_VALUE), BigInteger.valueOf(Long.MAX_VALUE));
    public static final Num INT64 = new Num("int64", BigInteger.valueOf(Long.MIN_VALUE), BigInteger.valueOf(Long.MAX_VALUE));
    public static final Num INT32 = new Num("int32", BigInteger.valueOf(Integer.MIN_VALUE), BigInteger.valueOf(Integer.MAX_VALUE));
    public static final Num UINT64 = new Num("uint64", BigInteger.ZERO, BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE));
    public static final Num DURATION = new Num("time.Duration", BigInteger.valueOf(Long.MIN_VALUE), BigInteger.valueOf(Long.MAX_VALUE));
    public static final Str STRING = new Str();
    public static final Bool BOOL = new Bool();

    /** A string enum nats-server decodes with {@code fmt.Errorf("can not unmarshal %q", data)}. */
    public static Enum enumOf(String go, String... values) {
        Set<String> raw = new java.util.HashSet<>();
        for (String v : values) {
            raw.add("\"" + v + "\"");
        }
        return new Enum(go, raw, "can not unmarshal %q");
    }

    /** True for a body Go's decoder reads as no value at all (nats-server then decodes a zero struct). */
    public static boolean isEmpty(byte[] body) {
        for (byte b : body) {
            if (b != ' ' && b != '\t' && b != '\r' && b != '\n') {
                return false;
            }
        }
        return true;
    }

    /**
     * The error nats-server reports after "invalid JSON: " for {@code body} decoded into {@code
     * shape}, or null. Go's decoder reads value after value into the same struct: each value's
     * syntax, then its fit, in order.
     */
    public static String problem(byte[] body, Struct shape) {
        String text = SubjectBytes.decode(body);
        String deep = deepProblem(text, shape);
        if (deep != null) {
            return deep;
        }
        for (String value : GoJsonSyntax.values(text)) {
            String e = fit(value, shape);
            if (e != null) {
                return e;
            }
        }
        return GoJsonSyntax.decoderProblem(text);
    }

    /**
     * The body as one object, read the way Go's decoder fills a struct from it: every value in turn,
     * later fields replacing earlier ones (null and empty bodies give an empty object). Call only
     * for a body {@link #problem} found decodable.
     */
    public static com.fasterxml.jackson.databind.node.ObjectNode merged(byte[] body,
            com.fasterxml.jackson.databind.ObjectMapper mapper) throws IOException {
        com.fasterxml.jackson.databind.node.ObjectNode all = mapper.createObjectNode();
        for (String value : GoJsonSyntax.values(SubjectBytes.decode(body))) {
            com.fasterxml.jackson.databind.JsonNode n = mapper.readTree(value);
            if (n != null && n.isObject()) {
                all.setAll((com.fasterxml.jackson.databind.node.ObjectNode) n);
            }
        }
        return all;
    }

    /** Nesting past this is judged by {@link #deepProblem} alone: the scanners below recurse. */
    static final int SCAN_DEPTH = 256;
    /** Go's decoder refuses nesting deeper than this. */
    static final int GO_MAX_DEPTH = 10_000;

    /**
     * For bodies nested deeper than {@link #SCAN_DEPTH} (never a real config): Go's answer found
     * without recursion ("exceeded max depth at offset N" past 10,000 levels, "unexpected EOF" for
     * one left open, an array where an object belongs), so hostile nesting cannot exhaust the stack.
     * Null for bodies of ordinary depth.
     */
    static String deepProblem(String text, Struct shape) {
        int depth = 0;
        int max = 0;
        boolean inString = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (inString) {
                if (c == '\\') {
                    i++;
                } else if (c == '"') {
                    inString = false;
                }
                continue;
            }
            if (c == '"') {
                inString = true;
            } else if (c == '[' || c == '{') {
                depth++;
                max = Math.max(max, depth);
                if (depth > GO_MAX_DEPTH) {
                    return "exceeded max depth at offset " + SubjectBytes.encode(text.substring(0, i + 1)).length;
                }
            } else if (c == ']' || c == '}') {
                depth--;
            }
        }
        if (max <= SCAN_DEPTH) {
            return null;
        }
        if (depth > 0 || inString) {
            return "unexpected EOF";
        }
        String lead = text.stripLeading();
        if (lead.startsWith("[")) {
            return "json: cannot unmarshal array into Go value of type server." + shape.go();
        }
        return "exceeded max depth";
    }

    /**
     * The error nats-server reports after "invalid JSON: " for a body it reads with Go's {@code
     * json.Unmarshal} instead of its strict decoder (consumer reset, for one): the body must be one
     * JSON value ({@code "unexpected end of JSON input"}, no offsets), unknown fields are ignored,
     * and the first value that does not fit its field is named. Null when it decodes.
     */
    public static String unmarshalProblem(byte[] body, Struct shape) {
        String text = SubjectBytes.decode(body);
        String deep = deepProblem(text, shape);
        if (deep != null) {
            return deep;
        }
        String syntax = GoJsonSyntax.problem(text);
        return syntax != null ? syntax : fit(text, shape, false);
    }

    /** Go's error for one well-formed value decoded into {@code shape}, or null. */
    private static String fit(String value, Struct shape) {
        return fit(value, shape, true);
    }

    /** As {@link #fit(String, Struct)}; {@code strict} refuses unknown fields. */
    private static String fit(String value, Struct shape, boolean strict) {
        try (JsonParser p = FACTORY.createParser(value)) {
            JsonToken t = p.nextToken();
            if (t == JsonToken.VALUE_NULL) {
                return null;
            }
            if (t != JsonToken.START_OBJECT) {
                return "json: cannot unmarshal " + kind(t, p, false) + " into Go value of type server." + shape.go();
            }
            return new Walk(p, strict).object(shape, shape.go());
        } catch (IOException e) {
            return String.valueOf(e.getMessage());
        }
    }

    /** One pass over the tokens; {@code first} keeps the first error met. */
    private static final class Walk {
        final JsonParser p;
        final boolean strict;

        Walk(JsonParser p, boolean strict) {
            this.p = p;
            this.strict = strict;
        }

        /** At START_OBJECT of a struct; returns the first error in it, leaving the parser at its END_OBJECT. */
        String object(Struct s, String path) throws IOException {
            String first = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String key = p.currentName();
                Shape f = s.fields().get(key.toLowerCase(Locale.ROOT));
                JsonToken t = p.nextToken();
                if (f == null) {
                    if (strict) {
                        first = first != null ? first : "json: unknown field " + quote(key);
                    }
                    p.skipChildren();
                    continue;
                }
                String e = value(f, t, path + "." + key, false);
                first = first != null ? first : e;
            }
            return first;
        }

        /** Checks the value at the current token {@code t}; leaves the parser on its last token. */
        String value(Shape f, JsonToken t, String path, boolean element) throws IOException {
            if (f instanceof Any) {
                p.skipChildren();
                return null;
            }
            if (f instanceof Enum en) {
                String raw = raw(t);
                return en.accepted().contains(raw) ? null : en.error().replace("%q", quote(raw)).replace("%v", raw);
            }
            if (t == JsonToken.VALUE_NULL) {
                return null;
            }
            switch (f) {
                case Num n -> {
                    if (t == JsonToken.VALUE_NUMBER_INT) {
                        BigInteger v = p.getBigIntegerValue();
                        if (v.compareTo(n.min()) >= 0 && v.compareTo(n.max()) <= 0) {
                            return null;
                        }
                    }
                    return mismatch(kind(t, p, true), path, f, element);
                }
                case Str x -> {
                    return t == JsonToken.VALUE_STRING ? null : mismatch(kind(t, p, false), path, f, element);
                }
                case Bool x -> {
                    return t == JsonToken.VALUE_TRUE || t == JsonToken.VALUE_FALSE ? null
                            : mismatch(kind(t, p, false), path, f, element);
                }
                case Slice sl -> {
                    if (t != JsonToken.START_ARRAY) {
                        return mismatch(kind(t, p, false), path, f, element);
                    }
                    String first = null;
                    int i = 0;
                    for (JsonToken et = p.nextToken(); et != JsonToken.END_ARRAY; et = p.nextToken()) {
                        String e = value(sl.elem(), et, path + "." + i++, true);
                        first = first != null ? first : e;
                    }
                    return first;
                }
                case MapOf m -> {
                    if (t != JsonToken.START_OBJECT) {
                        return mismatch(kind(t, p, false), path, f, element);
                    }
                    String first = null;
                    while (p.nextToken() == JsonToken.FIELD_NAME) {
                        String key = p.currentName();
                        String e = value(m.value(), p.nextToken(), path + "." + key, false);
                        first = first != null ? first : e;
                    }
                    return first;
                }
                case Struct st -> {
                    if (t != JsonToken.START_OBJECT) {
                        return mismatch(kind(t, p, false), path, new Any("server." + st.go()), element);
                    }
                    return object(st, path);
                }
                default -> throw new AssertionError(f);
            }
        }

        /** The literal as Go hands it to an UnmarshalJSON (strings re-quoted). */
        private String raw(JsonToken t) throws IOException {
            return switch (t) {
                case VALUE_STRING -> GoJsonQuote.json(p.getText());
                case START_OBJECT, START_ARRAY -> {
                    p.skipChildren();
                    yield t == JsonToken.START_OBJECT ? "{}" : "[]";
                }
                default -> p.getText();
            };
        }
    }

    private static String mismatch(String kind, String path, Shape f, boolean element) throws IOException {
        return "json: cannot unmarshal " + kind + " into " + (element ? "" : "Go struct field ") + path + " of type " + f.go();
    }

    /** Go's description of the JSON value that did not fit; numbers into numeric types carry the literal. */
    private static String kind(JsonToken t, JsonParser p, boolean numericTarget) throws IOException {
        String k = switch (t) {
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> numericTarget ? "number " + p.getText() : "number";
            case VALUE_STRING -> "string";
            case VALUE_TRUE, VALUE_FALSE -> "bool";
            case START_ARRAY -> "array";
            case START_OBJECT -> "object";
            default -> "null";
        };
        if (t == JsonToken.START_ARRAY || t == JsonToken.START_OBJECT) {
            p.skipChildren();
        }
        return k;
    }

    /** Go's {@code %q} of a string. */
    static String quote(String s) {
        return GoJsonQuote.go(s);
    }
}
