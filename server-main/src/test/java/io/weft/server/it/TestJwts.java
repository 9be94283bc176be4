package io.weft.server.it;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.nats.client.NKey;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Base64;

/**
 * A small test-only NATS JWT (v2) encoder: claims as JSON, header
 * {@code {"typ":"JWT","alg":"ed25519-nkey"}}, Ed25519 signature by the issuer's nkey, all base64url
 * without padding, as nsc writes them. Also writes {@code .creds} files in nsc's layout.
 */
final class TestJwts {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

    private TestJwts() {
    }

    static String pub(NKey key) {
        try {
            return new String(key.getPublicKey());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Claims with {@code iss}, {@code sub}, {@code iat} (now), {@code name} and {@code nats.type}/{@code version}. */
    static ObjectNode claims(NKey issuer, String subject, String name, String type) {
        ObjectNode c = JSON.createObjectNode();
        c.put("iat", System.currentTimeMillis() / 1000);
        c.put("iss", pub(issuer));
        c.put("name", name);
        c.put("sub", subject);
        ObjectNode nats = c.putObject("nats");
        nats.put("type", type);
        nats.put("version", 2);
        return c;
    }

    /** nsc's default account limits (everything unlimited, JetStream disabled). */
    static ObjectNode defaultAccountLimits(ObjectNode account) {
        ObjectNode l = ((ObjectNode) account.get("nats")).putObject("limits");
        l.put("subs", -1).put("data", -1).put("payload", -1).put("imports", -1).put("exports", -1)
                .put("wildcards", true).put("conn", -1).put("leaf", -1);
        return l;
    }

    /** nsc's default user limits. */
    static ObjectNode defaultUserLimits(ObjectNode user) {
        ObjectNode n = (ObjectNode) user.get("nats");
        n.putObject("pub");
        n.putObject("sub");
        n.put("subs", -1).put("data", -1).put("payload", -1);
        return n;
    }

    static String encode(ObjectNode claims, NKey signer) {
        return encode("{\"typ\":\"JWT\",\"alg\":\"ed25519-nkey\"}", claims, signer);
    }

    static String encode(String header, ObjectNode claims, NKey signer) {
        try {
            claims.remove("jti");
            byte[] body = JSON.writeValueAsBytes(claims);
            String jti = Base64.getEncoder().withoutPadding().encodeToString(MessageDigest.getInstance("SHA-256").digest(body))
                    .replaceAll("[^A-Za-z0-9]", "A").substring(0, 32).toUpperCase(java.util.Locale.ROOT);
            claims.put("jti", jti);
            String signingInput = B64.encodeToString(header.getBytes(StandardCharsets.UTF_8)) + "."
                    + B64.encodeToString(JSON.writeValueAsBytes(claims));
            return signingInput + "." + B64.encodeToString(signer.sign(signingInput.getBytes(StandardCharsets.US_ASCII)));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A {@code .creds} file as nsc writes it: the user JWT and the seed that signs the nonce. */
    static Path creds(Path dir, String name, String userJwt, NKey seedOf) throws IOException {
        String text = "-----BEGIN NATS USER JWT-----\n" + userJwt + "\n------END NATS USER JWT------\n\n"
                + "************************* IMPORTANT *************************\n"
                + "NKEY Seed printed below can be used to sign and prove identity.\n"
                + "NKEYs are sensitive and should be treated as secrets.\n\n"
                + "-----BEGIN USER NKEY SEED-----\n" + new String(seedOf.getSeed()) + "\n------END USER NKEY SEED------\n\n"
                + "*************************************************************\n";
        Path p = dir.resolve(name + ".creds");
        Files.writeString(p, text);
        return p;
    }
}
