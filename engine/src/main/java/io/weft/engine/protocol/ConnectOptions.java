package io.weft.engine.protocol;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;

/**
 * The JSON argument of CONNECT. Absent strings are null; {@code echo} defaults to true, other
 * booleans to false, {@code protocol} to 0. Unknown fields are ignored; keys match
 * case-insensitively (as Go's encoding/json does).
 */
public record ConnectOptions(
        boolean verbose,
        boolean pedantic,
        boolean tlsRequired,
        String authToken,
        String user,
        String pass,
        String name,
        String lang,
        String version,
        int protocol,
        boolean echo,
        boolean headers,
        boolean noResponders,
        String nkey,
        String sig,
        String jwt) {

    /**
     * The deepest nesting of arrays and objects a CONNECT may have, the outermost object counting
     * as one: Go's encoding/json limit, so nats-server 2.15.1 and weft accept and refuse the same
     * documents (only a raised {@code max_control_line} lets one get that deep). Jackson's own
     * default (1,000) would refuse documents nats-server accepts.
     */
    public static final int MAX_DEPTH = 10_000;

    /** Log text for a CONNECT nested deeper than {@link #MAX_DEPTH}: nats-server's (Go's) words. */
    public static final String TOO_DEEP = "exceeded max depth";

    /** Immutable, so safe to share. Jackson builds trees without recursion, so depth costs no stack. */
    private static final ObjectReader READER = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH).build())
                    .build())
            .build().reader()
            .with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    public static final ConnectOptions DEFAULTS = new ConnectOptions(true, true, false, null, null, null, null,
            null, null, 0, true, false, false, null, null, null);

    /**
     * Parses a CONNECT argument. nats-server closes the connection without an -ERR when this
     * fails, so the exception {@link ProtocolException#sendsErr() sends nothing}; its message
     * is for the log (Go's wording for type errors; the JSON parser's own for syntax errors).
     */
    public static ConnectOptions parse(String json) throws ProtocolException {
        JsonNode root;
        try {
            root = READER.readTree(json);
        } catch (StreamConstraintsException e) {
            // as nats-server: closed without -ERR, the reason in the log
            throw ProtocolException.silentClose(e.getOriginalMessage().startsWith("Document nesting depth")
                    ? TOO_DEEP : "invalid CONNECT JSON: " + e.getOriginalMessage());
        } catch (JacksonException e) {
            throw ProtocolException.silentClose("invalid CONNECT JSON: " + e.getOriginalMessage());
        }
        if (root == null || root.isMissingNode()) {
            throw ProtocolException.silentClose("unexpected end of JSON input");
        }
        if (root.isNull()) {
            return DEFAULTS;
        }
        if (!root.isObject()) {
            throw ProtocolException.silentClose("json: cannot unmarshal " + goType(root)
                    + " into Go value of type server.ClientOpts");
        }
        // nats-server starts from verbose, pedantic and echo on, then applies what the client sent
        boolean verbose = DEFAULTS.verbose(), pedantic = DEFAULTS.pedantic(), tlsRequired = false, echo = true,
                headers = false,
                noResponders = false;
        String authToken = null, user = null, pass = null, name = null, lang = null, version = null, nkey = null,
                sig = null, jwt = null;
        int protocol = 0;
        for (Iterator<Map.Entry<String, JsonNode>> it = root.properties().iterator(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            String key = f.getKey().toLowerCase(Locale.ROOT);
            JsonNode v = f.getValue();
            switch (key) {
                case "verbose" -> verbose = bool(key, v, verbose);
                case "pedantic" -> pedantic = bool(key, v, pedantic);
                case "tls_required" -> tlsRequired = bool(key, v, tlsRequired);
                case "echo" -> echo = bool(key, v, echo);
                case "headers" -> headers = bool(key, v, headers);
                case "no_responders" -> noResponders = bool(key, v, noResponders);
                case "auth_token" -> authToken = str(key, v, authToken);
                case "user" -> user = str(key, v, user);
                case "pass" -> pass = str(key, v, pass);
                case "name" -> name = str(key, v, name);
                case "lang" -> lang = str(key, v, lang);
                case "version" -> version = str(key, v, version);
                case "nkey" -> nkey = str(key, v, nkey);
                case "sig" -> sig = str(key, v, sig);
                case "jwt" -> jwt = str(key, v, jwt);
                case "protocol" -> protocol = integer(key, v, protocol);
                default -> {
                    // unknown fields are ignored, as nats-server does
                }
            }
        }
        return new ConnectOptions(verbose, pedantic, tlsRequired, authToken, user, pass, name, lang, version,
                protocol, echo, headers, noResponders, nkey, sig, jwt);
    }

    /** The JSON a client sends; null strings are left out. */
    public String toJson() {
        StringBuilder sb = new StringBuilder(128);
        sb.append("{\"verbose\":").append(verbose).append(",\"pedantic\":").append(pedantic)
                .append(",\"tls_required\":").append(tlsRequired);
        field(sb, "auth_token", authToken);
        field(sb, "user", user);
        field(sb, "pass", pass);
        field(sb, "name", name);
        field(sb, "lang", lang);
        field(sb, "version", version);
        sb.append(",\"protocol\":").append(protocol).append(",\"echo\":").append(echo)
                .append(",\"headers\":").append(headers).append(",\"no_responders\":").append(noResponders);
        field(sb, "nkey", nkey);
        field(sb, "sig", sig);
        field(sb, "jwt", jwt);
        return sb.append('}').toString();
    }

    private static void field(StringBuilder sb, String name, String value) {
        if (value != null) {
            sb.append(",\"").append(name).append("\":");
            Json.quote(sb, value);
        }
    }

    private static boolean bool(String key, JsonNode v, boolean current) throws ProtocolException {
        if (v.isNull()) {
            return current;
        }
        if (!v.isBoolean()) {
            throw typeError(key, v, "bool");
        }
        return v.booleanValue();
    }

    private static String str(String key, JsonNode v, String current) throws ProtocolException {
        if (v.isNull()) {
            return current;
        }
        if (!v.isTextual()) {
            throw typeError(key, v, "string");
        }
        return v.textValue();
    }

    private static int integer(String key, JsonNode v, int current) throws ProtocolException {
        if (v.isNull()) {
            return current;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw typeError(key, v, "int");
        }
        return v.intValue();
    }

    private static ProtocolException typeError(String key, JsonNode v, String goType) {
        String what = v.isNumber() && goType.equals("int") ? "number " + v.asText() : goType(v);
        return ProtocolException.silentClose("json: cannot unmarshal " + what + " into Go struct field ClientOpts."
                + key + " of type " + goType);
    }

    private static String goType(JsonNode v) {
        if (v.isTextual()) {
            return "string";
        }
        if (v.isNumber()) {
            return "number";
        }
        if (v.isBoolean()) {
            return "bool";
        }
        if (v.isArray()) {
            return "array";
        }
        if (v.isObject()) {
            return "object";
        }
        return "null";
    }
}
