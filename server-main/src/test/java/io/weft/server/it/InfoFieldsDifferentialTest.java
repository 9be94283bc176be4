package io.weft.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The INFO fields of nats-server 2.11+ against weft and nats-server 2.15.1: {@code xkey} (the
 * server's curve key) in every INFO, and after a protocol-1 CONNECT a second INFO with
 * {@code connect_info: true} and {@code remote_account}, none after a protocol-0 CONNECT.
 * {@code api_lvl}: 2.15.1 sends 5; weft sends 2 (the level it implements in full).
 */
@Timeout(60)
class InfoFieldsDifferentialTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String CONF = "accounts { A: { users: [{user: a, password: a}] } }\n";

    /** The INFO objects the server sent for one CONNECT (+PING), in order. */
    static List<JsonNode> infos(TestServer s, int protocol) throws Exception {
        try (Socket sock = new Socket()) {
            sock.connect(new InetSocketAddress("127.0.0.1", s.port()), 5000);
            sock.setSoTimeout(400);
            String connect = "CONNECT {\"verbose\":false,\"headers\":true,\"protocol\":" + protocol
                    + ",\"user\":\"a\",\"pass\":\"a\"}\r\nPING\r\n";
            sock.getOutputStream().write(connect.getBytes(StandardCharsets.US_ASCII));
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            InputStream in = sock.getInputStream();
            byte[] buf = new byte[8192];
            try {
                for (int n; (n = in.read(buf)) > 0; ) {
                    got.write(buf, 0, n);
                }
            } catch (SocketTimeoutException quiet) {
                // the server said all it had to say
            }
            List<JsonNode> out = new ArrayList<>();
            String text = got.toString(StandardCharsets.UTF_8);
            assertTrue(text.contains("PONG"), text);
            for (String line : text.split("\r\n")) {
                if (line.startsWith("INFO ")) {
                    out.add(JSON.readTree(line.substring(5)));
                }
            }
            return out;
        }
    }

    static void check(TestServers.Target target) throws Exception {
        try (TestServer s = TestServers.start(target, CONF)) {
            List<JsonNode> p1 = infos(s, 1);
            assertEquals(2, p1.size(), target + ": " + p1);
            for (JsonNode i : p1) {
                assertTrue(i.path("xkey").asText().startsWith("X") && i.path("xkey").asText().length() == 56,
                        target + " xkey: " + i);
            }
            assertEquals(p1.get(0).path("xkey"), p1.get(1).path("xkey"));
            assertTrue(p1.get(0).path("connect_info").isMissingNode(), target + ": " + p1.get(0));
            assertTrue(p1.get(0).path("remote_account").isMissingNode(), target + ": " + p1.get(0));
            assertTrue(p1.get(1).path("connect_info").asBoolean(false), target + ": " + p1.get(1));
            assertEquals("A", p1.get(1).path("remote_account").asText(), target + ": " + p1.get(1));
            assertEquals(p1.get(0).path("client_id"), p1.get(1).path("client_id"));
            if (target.isNats()) {
                assertTrue(p1.get(0).path("api_lvl").asInt() >= 1, p1.get(0).toString());
            } else {
                assertEquals(2, p1.get(0).path("api_lvl").asInt(), "weft announces level 2: " + p1.get(0));
            }
            List<JsonNode> p0 = infos(s, 0);
            assertEquals(1, p0.size(), target + " protocol 0: " + p0);
        }
    }

    @Test
    void natsServer() throws Exception {
        check(TestServers.Target.NATS_NEWEST);
    }

    @Test
    void weft() throws Exception {
        check(TestServers.Target.WEFT);
    }
}
