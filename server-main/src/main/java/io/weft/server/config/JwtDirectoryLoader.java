package io.weft.server.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads the full resolver's directory at start: every {@code <public key>.jwt} file is an account
 * JWT (nats-server's layout; {@code .jwt.deleted} files are what a delete left and are skipped).
 * {@code resolver_preload} entries join them as nats-server stores them: a preloaded JWT replaces
 * the file's unless the file's is the same JWT or was issued later. The engine then writes what
 * differs back to the directory (through its Disk) and checks every JWT as any other account JWT.
 */
final class JwtDirectoryLoader {
    private static final ObjectMapper JSON = new ObjectMapper();

    private JwtDirectoryLoader() {
    }

    /** The account JWTs (public key -> JWT): the directory's, then the preloaded ones merged in. */
    static Map<String, String> merge(String dir, Map<String, String> preload) throws IOException {
        Map<String, String> out = new TreeMap<>();
        Path d = Path.of(dir);
        if (Files.isDirectory(d)) {
            try (var files = Files.list(d)) {
                for (Path f : files.sorted().toList()) {
                    String name = f.getFileName().toString();
                    if (!name.endsWith(".jwt") || !Files.isRegularFile(f)) {
                        continue;
                    }
                    out.put(name.substring(0, name.length() - ".jwt".length()),
                            Files.readString(f, StandardCharsets.UTF_8).trim());
                }
            }
        }
        for (Map.Entry<String, String> e : preload.entrySet()) {
            String existing = out.get(e.getKey());
            if (existing == null || replaces(e.getValue(), existing)) {
                out.put(e.getKey(), e.getValue());
            }
        }
        return new LinkedHashMap<>(out);
    }

    /** nats-server's saveIfNewer: the new JWT is kept unless it is the same one or older than what is there. */
    private static boolean replaces(String next, String existing) {
        JsonNode a = payload(next);
        JsonNode b = payload(existing);
        if (a == null || b == null) {
            return true; // an undecodable one is replaced; a bad new one is refused when checked
        }
        if (a.path("jti").asText("").equals(b.path("jti").asText("-"))) {
            return false;
        }
        return b.path("iat").asLong(0) <= a.path("iat").asLong(0);
    }

    private static JsonNode payload(String token) {
        String[] parts = token.split("\\.");
        if (parts.length != 3) {
            return null;
        }
        try {
            return JSON.readTree(Base64.getUrlDecoder().decode(parts[1]));
        } catch (IOException | IllegalArgumentException e) {
            return null;
        }
    }
}
