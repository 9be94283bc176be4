package io.weft.server.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.weft.server.it.TestServer;
import io.weft.server.it.TestServers;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code /varz config_digest}: nats-server 2.15.1 reads each file and prints its digest; weft's
 * {@link ConfigDigest} of its own parse of the same file must be the same string. The files mix
 * what the encoding depends on: key order and case, variables, size suffixes, floats (one small
 * enough for Go's exponent form), booleans written as yes/no, nested blocks, arrays, includes,
 * strings with {@code < > &}, quotes, backslashes and non-ASCII letters.
 */
class ConfigDigestDifferentialTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static String natsDigest(String confText) throws Exception {
        try (TestServer s = TestServers.start(TestServers.Target.NATS_NEWEST, confText)) {
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + s.monitorPort() + "/varz")).build(),
                    HttpResponse.BodyHandlers.ofString());
            JsonNode varz = JSON.readTree(r.body());
            return varz.get("config_digest").asText();
        }
    }

    private static String weftDigest(Path file) {
        return ConfigDigest.of(new ConfigParser().parseFile(file));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "server_name: weftref\naccounts {\n  A { users: [ {user: alice, password: pa} ] }\n"
                + "  B { users: [ {user: bob, password: pb} ] }\n}\n",
        "# variables, sizes, floats, booleans\nPASS: \"p<&>ss\\\"q\\\\\"\nmax_payload: 2MB\nmax_pending: 64mb\n"
                + "ping_interval: \"30s\"\ndebug = yes\ntrace: no\nlogtime: false\n"
                + "authorization {\n  user: \"ad<min>\u00e9\"\n  password: $PASS\n  timeout: 1.5\n}\n"
                + "write_deadline: \"3s\"\n",
        "\"max_connections\": 100\n\"authorization\": { \"token\": \"t&k\", \"timeout\": 0.0000001 }\n"
                + "Server_Name = Zed\n",
        "jetstream {\n  max_memory_store: 1G\n  max_file_store: 10GB\n  store_dir: \"/tmp/weft-digest\"\n}\n"
                + "no_auth_user: u1\naccounts: { X: { users: [ {user: u1, password: p1}, {user: u2, password: p2} ],"
                + " jetstream: enabled } }\n",
    })
    void sameDigestAsNatsServer(String conf) throws Exception {
        Path f = Files.createTempFile("weft-digest-", ".conf");
        Files.writeString(f, conf);
        String nats = natsDigest(conf);
        assertTrue(nats.matches("sha256:[0-9a-f]{64}"), nats);
        assertEquals(nats, weftDigest(f), conf);
    }

    @Test
    void includedFilesAreMergedBeforeHashing() throws Exception {
        // nats-server resolves an include against the including file's directory, and the harness
        // writes its file to the temporary directory: the included file goes there too
        Path inc = Files.createTempFile("weft-digest-inc-", ".conf");
        Files.writeString(inc, "authorization { user: a, password: b }\n");
        String main = "include ./" + inc.getFileName() + "\nmax_payload: 512KB\n";
        Path f = Files.createTempFile("weft-digest-main-", ".conf");
        Files.writeString(f, main);
        assertEquals(natsDigest(main), weftDigest(f));
    }

    @Test
    void goFloats() {
        assertEquals("1.5", ConfigDigest.goFloat(1.5));
        assertEquals("1e-7", ConfigDigest.goFloat(1e-7));
        assertEquals("1.25e-10", ConfigDigest.goFloat(1.25e-10));
        assertEquals("0.000001", ConfigDigest.goFloat(1e-6));
        assertEquals("1e+21", ConfigDigest.goFloat(1e21));
        assertEquals("123456789012345680000", ConfigDigest.goFloat(1.2345678901234568e20));
        assertEquals("2", ConfigDigest.goFloat(2.0));
        assertEquals("-0.5", ConfigDigest.goFloat(-0.5));
    }
}
