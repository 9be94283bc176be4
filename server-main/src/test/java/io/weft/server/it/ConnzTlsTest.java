package io.weft.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nats.client.Connection;
import io.nats.client.Options;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * /connz of a TLS client as nats-server 2.15.1 shows it: {@code tls_version} ("1.3"),
 * {@code tls_cipher_suite}, and {@code tls_first} only with {@code handshake_first}; the same
 * steps run against weft and 2.15.1 and the fields must agree (the cipher suite is the one the two
 * sides negotiated, so only its form is compared).
 */
class ConnzTlsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode connection(TestServers.Target t, boolean first) throws Exception {
        TestCerts certs = TestCerts.get();
        String conf = "tls { cert_file: \"" + certs.server.chainPem() + "\", key_file: \"" + certs.server.keyPem()
                + "\"" + (first ? ", handshake_first: true" : "") + " }\n";
        try (TestServer s = TestServers.start(t, conf)) {
            Options.Builder b = Options.builder().server("tls://127.0.0.1:" + s.port())
                    .sslContext(TestCerts.clientContext(certs.ca, null)).noReconnect();
            if (first) {
                b.tlsFirst();
            }
            try (Connection c = Clients.connect(b)) {
                c.flush(Clients.WAIT);
                HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + s.monitorPort() + "/connz")).build(),
                        HttpResponse.BodyHandlers.ofString());
                for (JsonNode n : JSON.readTree(r.body()).path("connections")) {
                    if (n.has("lang")) {
                        return n; // the jnats connection (not the harness's probe)
                    }
                }
                throw new AssertionError("no client connection in " + r.body());
            }
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void tlsFieldsAgreeWithNatsServer(boolean first) throws Exception {
        JsonNode nats = connection(TestServers.Target.NATS_NEWEST, first);
        JsonNode weft = connection(TestServers.Target.WEFT, first);
        assertEquals("1.3", nats.path("tls_version").asText(), nats.toString());
        assertEquals(nats.get("tls_version"), weft.get("tls_version"));
        assertTrue(weft.path("tls_cipher_suite").asText().startsWith("TLS_"), weft.toString());
        assertEquals(nats.get("tls_first"), weft.get("tls_first"));
        assertEquals(first, weft.path("tls_first").asBoolean());
        assertFalse(weft.has("tls_peer_certs"));
        java.util.List<String> a = new java.util.ArrayList<>();
        java.util.List<String> b = new java.util.ArrayList<>();
        nats.fieldNames().forEachRemaining(a::add);
        weft.fieldNames().forEachRemaining(b::add);
        assertEquals(a, b);
    }
}
