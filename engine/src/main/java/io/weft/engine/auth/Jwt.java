package io.weft.engine.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * A decoded and signature-checked NATS JWT (the nats-io/jwt v2 format): three base64url parts
 * {@code header.payload.signature}; the header is {@code {"typ":"JWT","alg":"ed25519-nkey"}}; the
 * signature is Ed25519 over the ASCII bytes of {@code header.payload} by the nkey named in the
 * payload's {@code iss}. Times ({@code iat}, {@code exp}, {@code nbf}) are Unix seconds.
 * {@link #decode} checks the form and the signature only; the caller checks who the issuer is
 * and, with its own clock, the validity window ({@link #validAt}).
 *
 * @param claims the whole payload
 * @param nats the payload's {@code nats} object (empty object when absent)
 */
public record Jwt(String token, JsonNode claims, JsonNode nats, String type, String issuer, String subject,
                  long issuedAt, long expires, long notBefore) {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    /** Longest token accepted; nats-server has no explicit limit but CONNECT lines are bounded anyway. */
    private static final int MAX_LENGTH = 1 << 20;

    /** Why a JWT was not accepted; the message is for the log. */
    public static final class JwtException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        public JwtException(String message) {
            super(message);
        }
    }

    private static final String HEADER = Base64.getUrlEncoder().withoutPadding()
            .encodeToString("{\"typ\":\"JWT\",\"alg\":\"ed25519-nkey\"}".getBytes(StandardCharsets.US_ASCII));

    /**
     * Encodes {@code claims} signed by {@code seed}: sets {@code iss} to the seed's public key and
     * {@code jti} to the base32 (no padding) SHA-512/256 of the claims as they were without it,
     * as nats-io/jwt does (the hash only has to be unique; nobody recomputes it).
     */
    public static String encode(com.fasterxml.jackson.databind.node.ObjectNode claims, String seed) {
        claims.put("iss", Nkeys.publicKeyFromSeed(seed));
        claims.remove("jti");
        try {
            byte[] digest = java.security.MessageDigest.getInstance("SHA-512/256").digest(MAPPER.writeValueAsBytes(claims));
            com.fasterxml.jackson.databind.node.ObjectNode ordered = MAPPER.createObjectNode();
            ordered.put("jti", base32(digest));
            ordered.setAll(claims);
            String payload = Base64.getUrlEncoder().withoutPadding().encodeToString(MAPPER.writeValueAsBytes(ordered));
            String signed = HEADER + "." + payload;
            byte[] sig = Nkeys.sign(seed, signed.getBytes(StandardCharsets.US_ASCII));
            return signed + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(sig);
        } catch (java.io.IOException | java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("cannot encode JWT", e);
        }
    }

    private static String base32(byte[] bytes) {
        StringBuilder sb = new StringBuilder();
        int buffer = 0;
        int bits = 0;
        for (byte b : bytes) {
            buffer = (buffer << 8) | (b & 0xff);
            bits += 8;
            while (bits >= 5) {
                sb.append(Nkeys.ALPHABET.charAt((buffer >> (bits - 5)) & 31));
                bits -= 5;
            }
        }
        if (bits > 0) {
            sb.append(Nkeys.ALPHABET.charAt((buffer << (5 - bits)) & 31));
        }
        return sb.toString();
    }

    /** Decodes {@code token} and verifies its signature by its issuer; throws {@link JwtException}. */
    public static Jwt decode(String token) {
        if (token == null || token.isEmpty()) {
            throw new JwtException("empty JWT");
        }
        if (token.length() > MAX_LENGTH) {
            throw new JwtException("JWT too long");
        }
        String[] parts = token.trim().split("\\.", -1);
        if (parts.length != 3) {
            throw new JwtException("expected 3 chunks"); // nats-io/jwt's words
        }
        JsonNode header = json(base64(parts[0], "header"), "header");
        if (!header.path("typ").isTextual() || !"jwt".equalsIgnoreCase(header.path("typ").asText())) {
            throw new JwtException("not supported type \"" + header.path("typ").asText() + "\"");
        }
        String alg = header.path("alg").asText();
        if (!"ed25519-nkey".equalsIgnoreCase(alg)) {
            // "ed25519" is the v1 format, which weft does not read
            throw new JwtException("unexpected \"" + alg + "\" algorithm");
        }
        byte[] payloadBytes = base64(parts[1], "payload");
        JsonNode claims = json(payloadBytes, "payload");
        byte[] sig = base64(parts[2], "signature");
        String issuer = text(claims, "iss");
        if (issuer.isEmpty()) {
            throw new JwtException("no issuer");
        }
        byte[] signed = (parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII);
        boolean ok;
        try {
            ok = sig.length == 64 && Nkeys.verify(issuer, signed, sig);
        } catch (RuntimeException e) {
            throw new JwtException("issuer is not a valid public key: " + e.getMessage());
        }
        if (!ok) {
            throw new JwtException("claim failed V2 signature verification");
        }
        JsonNode nats = claims.path("nats");
        if (!nats.isObject()) {
            nats = MAPPER.createObjectNode();
        }
        return new Jwt(token.trim(), claims, nats, nats.path("type").asText(""), issuer, text(claims, "sub"),
                number(claims, "iat"), number(claims, "exp"), number(claims, "nbf"));
    }

    /**
     * Why the token is not valid at {@code nowSeconds} (expired, or not yet valid), or null when
     * it is. nats-server compares whole seconds: valid while {@code now <= exp}.
     */
    public String validAt(long nowSeconds) {
        if (expires > 0 && nowSeconds > expires) {
            return "claim is expired";
        }
        if (notBefore > 0 && nowSeconds < notBefore) {
            return "claim is not yet valid";
        }
        return null;
    }

    /** The first character of the issuer key: {@code O} operator, {@code A} account. */
    public char issuerKind() {
        return issuer.charAt(0);
    }

    private static byte[] base64(String part, String what) {
        try {
            return Base64.getUrlDecoder().decode(part);
        } catch (IllegalArgumentException e) {
            throw new JwtException("the " + what + " is not valid base64url: " + e.getMessage());
        }
    }

    private static JsonNode json(byte[] bytes, String what) {
        JsonNode node;
        try {
            node = MAPPER.readTree(bytes);
        } catch (java.io.IOException | RuntimeException e) {
            throw new JwtException("the " + what + " is not valid JSON");
        }
        if (node == null || !node.isObject()) {
            throw new JwtException("the " + what + " is not a JSON object");
        }
        return node;
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            return "";
        }
        if (!v.isTextual()) {
            throw new JwtException("\"" + field + "\" is not a string");
        }
        return v.asText();
    }

    private static long number(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            return 0;
        }
        if (!v.isIntegralNumber() || !v.canConvertToLong()) {
            throw new JwtException("\"" + field + "\" is not an integer");
        }
        return v.asLong();
    }
}
