package io.weft.engine.jetstream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;

/**
 * Message counters (nats-server 2.12, ADR-49): a stream with {@code allow_msg_counter} takes
 * publishes with a {@code Nats-Incr} header (a signed integer of any size, as Go's
 * {@code big.Int.SetString(s, 10)} reads it) and stores on the subject the sum of the increment
 * and the subject's previous value, as the body {@code {"val":"<sum>"}}.
 */
final class MsgCounter {
    private static final ObjectMapper JSON = new ObjectMapper();

    private MsgCounter() {
    }

    /** The increment, or null if {@code v} is not one ({@code +5}, {@code -3}, {@code 12}; no spaces, no fraction). */
    static BigInteger parse(String v) {
        int i = 0;
        if (i < v.length() && (v.charAt(i) == '+' || v.charAt(i) == '-')) {
            i++;
        }
        if (i == v.length()) {
            return null;
        }
        for (int j = i; j < v.length(); j++) {
            if (v.charAt(j) < '0' || v.charAt(j) > '9') {
                return null;
            }
        }
        return new BigInteger(v.charAt(0) == '+' ? v.substring(1) : v);
    }

    /**
     * The value a counter message holds: 0 for none, null when its body is not a counter (not a
     * JSON object whose {@code val} is a string; 10172).
     */
    static BigInteger value(byte[] body) {
        if (body == null) {
            return BigInteger.ZERO;
        }
        JsonNode n;
        try {
            n = JSON.readTree(body);
        } catch (IOException e) {
            return null;
        }
        if (n == null || n.isNull()) {
            return BigInteger.ZERO;
        }
        if (!n.isObject()) {
            return null;
        }
        JsonNode val = n.get("val");
        if (val == null || val.isNull()) {
            return BigInteger.ZERO;
        }
        if (!val.isTextual()) {
            return null;
        }
        BigInteger b = parse(val.asText());
        return b == null ? BigInteger.ZERO : b; // Go leaves an unreadable value as no value
    }

    /** The body of a counter message holding {@code sum}. */
    static byte[] body(BigInteger sum) {
        return ("{\"val\":\"" + sum + "\"}").getBytes(StandardCharsets.US_ASCII);
    }

    /** The value text of a body {@link #body} made (for the PubAck's {@code val}). */
    static String text(byte[] body) {
        String s = new String(body, StandardCharsets.US_ASCII);
        int a = s.indexOf(":\"");
        int b = s.lastIndexOf('"');
        return a < 0 || b <= a + 1 ? "0" : s.substring(a + 2, b);
    }
}
