package io.weft.server.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The full resolver's directory at start: its {@code .jwt} files, and preloads merged as nats-server's saveIfNewer. */
class JwtDirectoryLoaderTest {
    @TempDir
    Path dir;

    /** A token with only the payload that matters here (the signature is checked later, by OperatorMode). */
    private static String token(String jti, long iat) {
        Base64.Encoder b = Base64.getUrlEncoder().withoutPadding();
        return b.encodeToString("{}".getBytes(StandardCharsets.UTF_8)) + "."
                + b.encodeToString(("{\"jti\":\"" + jti + "\",\"iat\":" + iat + "}").getBytes(StandardCharsets.UTF_8)) + ".sig";
    }

    @Test
    void filesAreReadAndPreloadsReplaceOnlyOlderOnes() throws Exception {
        Files.writeString(dir.resolve("AOLD.jwt"), token("a", 100) + "\n");
        Files.writeString(dir.resolve("ANEW.jwt"), token("b", 300));
        Files.writeString(dir.resolve("ASAME.jwt"), token("c", 100));
        Files.writeString(dir.resolve("AGONE.jwt.deleted"), token("d", 100));
        Files.writeString(dir.resolve("notes.txt"), "x");
        Map<String, String> out = JwtDirectoryLoader.merge(dir.toString(), Map.of(
                "AOLD", token("a2", 200), "ANEW", token("b2", 200), "ASAME", token("c", 500), "AFRESH", token("e", 1)));
        assertEquals(token("a2", 200), out.get("AOLD"), "a newer preload replaces the file's");
        assertEquals(token("b", 300), out.get("ANEW"), "an older preload does not");
        assertEquals(token("c", 100), out.get("ASAME"), "the same JWT (jti) is kept");
        assertEquals(token("e", 1), out.get("AFRESH"));
        assertEquals(4, out.size(), out.keySet().toString());
    }

    @Test
    void aMissingDirectoryHoldsNothing() throws Exception {
        assertEquals(Map.of("A", "t"), JwtDirectoryLoader.merge(dir.resolve("none").toString(), Map.of("A", "t")));
    }
}
