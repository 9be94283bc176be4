package io.weft.server.it;

import static io.weft.server.it.Clients.WAIT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nats.client.Connection;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.Subscription;
import io.weft.server.it.TestServers.Target;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Client TLS against a real weft process with jnats: certificates made in the test by the JDK's
 * keytool (see {@link TestCerts}); TLS after INFO and TLS first; verified client certificates;
 * PKCS#1, SEC1 and PKCS#8 keys; the {@code --tls*} flags; and the same configurations against
 * nats-server 2.15.1, compared by what the clients observe.
 */
class TlsTest {
    static TestCerts certs;

    @BeforeAll
    static void makeCerts() throws Exception {
        certs = TestCerts.get();
    }

    /**
     * A {@code tls} block. The handshake timeout is 10 s, not the default 2 s: the test machine is
     * shared and a loaded JVM can take longer than 2 s over a handshake.
     */
    static String tlsBlock(TestCerts.Identity id, Path key, String extra) {
        return "tls { cert_file: \"" + id.chainPem() + "\", key_file: \"" + key + "\", timeout: 10"
                + (extra.isEmpty() ? "" : ", " + extra) + " }\n";
    }

    static Options.Builder tlsOptions(TestServer s, SSLContext ctx) {
        return new Options.Builder().server("tls://localhost:" + s.port()).sslContext(ctx).connectionTimeout(WAIT)
                .maxReconnects(0).noReconnect();
    }

    /** Connects, or fails with the server's log in the message. */
    static Connection connect(TestServer s, Options.Builder b) throws Exception {
        try {
            return Nats.connect(b.build());
        } catch (Exception e) {
            throw new AssertionError("connect failed: " + e + "\nserver log:\n" + s.stderr(), e);
        }
    }

    /** Publishes and receives one message through the connection, proving the TLS stream carries traffic both ways. */
    static void roundTrip(Connection c) throws Exception {
        Subscription sub = c.subscribe("tls.echo");
        c.flush(WAIT);
        byte[] big = new byte[200_000];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) i;
        }
        c.publish("tls.echo", big);
        c.publish("tls.echo", "small".getBytes(StandardCharsets.UTF_8));
        Message m = sub.nextMessage(WAIT);
        assertNotNull(m);
        assertEquals(big.length, m.getData().length);
        assertEquals((byte) 199_999, m.getData()[199_999]);
        Message m2 = sub.nextMessage(WAIT);
        assertNotNull(m2);
        assertEquals("small", new String(m2.getData(), StandardCharsets.UTF_8));
    }

    @Test
    void tlsConnectWithTheTestCa() throws Exception {
        try (TestServer s = TestServers.start(Target.WEFT, tlsBlock(certs.server, certs.server.keyPem(), ""))) {
            try (Connection c = Nats.connect(tlsOptions(s, TestCerts.clientContext(certs.ca, null)).build())) {
                assertTrue(c.getServerInfo().isTLSRequired());
                roundTrip(c);
            }
            assertEquals("tls_required=true", tlsFields(s));
        }
    }

    @Test
    void anUntrustedServerCertificateFails() throws Exception {
        try (TestServer s = TestServers.start(Target.WEFT, tlsBlock(certs.rogueServer, certs.rogueServer.keyPem(), ""))) {
            assertThrows(Exception.class, () -> Nats.connect(tlsOptions(s, TestCerts.clientContext(certs.ca, null)).build()));
            assertTrue(s.awaitOutput("TLS handshake error", WAIT), s.stderr());
            // and the server goes on serving clients that do trust it
            try (Connection c = Nats.connect(tlsOptions(s, TestCerts.clientContext(certs.rogue, null)).build())) {
                roundTrip(c);
            }
        }
    }

    @Test
    void aPlainClientGetsNothingPastInfo() throws Exception {
        try (TestServer s = TestServers.start(Target.WEFT, tlsBlock(certs.server, certs.server.keyPem(), ""))) {
            try (Socket raw = new Socket("127.0.0.1", s.port())) {
                raw.setSoTimeout(10_000);
                InputStream in = raw.getInputStream();
                String info = readLine(in);
                assertTrue(info.startsWith("INFO ") && info.contains("\"tls_required\":true"), info);
                raw.getOutputStream().write("CONNECT {}\r\nPING\r\n".getBytes(StandardCharsets.US_ASCII));
                // not a ClientHello: the handshake fails and the connection ends, never a PONG
                byte[] rest = in.readAllBytes();
                assertFalse(new String(rest, StandardCharsets.ISO_8859_1).contains("PONG"));
            }
            assertTrue(s.awaitOutput("TLS handshake error", WAIT), s.stderr());
        }
    }

    @Test
    void verifiedClientCertificates() throws Exception {
        String conf = tlsBlock(certs.server, certs.server.keyPem(), "ca_file: \"" + certs.ca.caPem() + "\", verify: true");
        try (TestServer s = TestServers.start(Target.WEFT, conf)) {
            try (Connection c = connect(s, tlsOptions(s, TestCerts.clientContext(certs.ca, certs.client)))) {
                roundTrip(c);
            }
            assertEquals("tls_required=true tls_verify=true", tlsFields(s));
            assertThrows(Exception.class, () -> Nats.connect(tlsOptions(s, TestCerts.clientContext(certs.ca, null)).build()));
            assertThrows(Exception.class, () -> Nats.connect(tlsOptions(s, TestCerts.clientContext(certs.ca, certs.rogueClient)).build()));
        }
    }

    @Test
    void handshakeFirst() throws Exception {
        String conf = tlsBlock(certs.server, certs.server.keyPem(), "handshake_first: true");
        try (TestServer s = TestServers.start(Target.WEFT, conf)) {
            try (Connection c = connect(s, tlsOptions(s, TestCerts.clientContext(certs.ca, null)).tlsFirst())) {
                roundTrip(c);
            }
            // a client waiting for INFO first gets nothing in plain text
            try (Socket raw = new Socket("127.0.0.1", s.port())) {
                raw.setSoTimeout(1_000);
                assertThrows(java.net.SocketTimeoutException.class, () -> raw.getInputStream().read());
            }
        }
    }

    @Test
    void keysInEveryPemFormNatsServerReads() throws Exception {
        for (String conf : List.of(tlsBlock(certs.server, certs.serverKeyPkcs1, ""),
                tlsBlock(certs.serverEc, certs.serverEcKeySec1, ""), tlsBlock(certs.serverEc, certs.serverEc.keyPem(), ""))) {
            try (TestServer s = TestServers.start(Target.WEFT, conf);
                    Connection c = Nats.connect(tlsOptions(s, TestCerts.clientContext(certs.ca, null)).build())) {
                roundTrip(c);
            }
        }
    }

    @Test
    void badFilesStopTheStartNamingTheProblem(@TempDir Path dir) throws Exception {
        Path wrongKey = dir.resolve("wrong.conf");
        Files.writeString(wrongKey, tlsBlock(certs.server, certs.client.keyPem(), ""));
        TestServers.Result r = TestServers.runWeft(Duration.ofSeconds(60), "serve", "-c", wrongKey.toString(), "-p", "-1");
        assertEquals(1, r.exitCode(), r.output());
        assertTrue(r.output().contains("private key does not match public key"), r.output());
        Path missing = dir.resolve("missing.conf");
        Files.writeString(missing, "tls { cert_file: \"" + dir.resolve("nope.pem") + "\", key_file: \"" + certs.server.keyPem() + "\" }\n");
        r = TestServers.runWeft(Duration.ofSeconds(60), "serve", "-t", "-c", missing.toString());
        assertEquals(1, r.exitCode(), r.output());
        assertTrue(r.output().contains("no such file or directory"), r.output());
        Path noKey = dir.resolve("nokey.conf");
        Files.writeString(noKey, "tls { cert_file: \"" + certs.server.chainPem() + "\" }\n");
        r = TestServers.runWeft(Duration.ofSeconds(60), "serve", "-t", "-c", noKey.toString());
        assertEquals(1, r.exitCode(), r.output());
        assertTrue(r.output().contains("missing 'key_file' in TLS configuration"), r.output());
        r = TestServers.runWeft(Duration.ofSeconds(60), "serve", "-p", "-1", "--tls");
        assertEquals(1, r.exitCode(), r.output());
        assertTrue(r.output().contains("TLS Server certificate must be present and valid"), r.output());
    }

    @Test
    void tlsFlags() throws Exception {
        try (TestServer s = TestServers.start(Target.WEFT, "", "--tlsverify", "--tlscert", certs.server.chainPem().toString(),
                "--tlskey", certs.server.keyPem().toString(), "--tlscacert", certs.ca.caPem().toString())) {
            // flags cannot set the handshake timeout, so the server keeps nats-server's 2 s: on a
            // loaded machine a cold JVM's first handshake can take longer, so a good client gets
            // three tries (the refusal below must still fail every time)
            Connection c = null;
            for (int attempt = 1; c == null; attempt++) {
                try {
                    c = Nats.connect(tlsOptions(s, TestCerts.clientContext(certs.ca, certs.client)).build());
                } catch (java.io.IOException e) {
                    if (attempt == 3) {
                        throw new AssertionError("connect failed 3 times: " + e + "\nserver log:\n" + s.stderr(), e);
                    }
                }
            }
            try (Connection open = c) {
                roundTrip(open);
            }
            assertEquals("tls_required=true tls_verify=true", tlsFields(s));
            assertThrows(Exception.class, () -> Nats.connect(tlsOptions(s, TestCerts.clientContext(certs.ca, null)).build()));
        }
    }

    /**
     * {@code verify_and_map}: the client is the user its certificate names (alice by her email
     * SAN, bob by his subject DN) and lands in that user's account; a CONNECT that names a user
     * itself is refused; the same on nats-server 2.15.1.
     */
    @Test
    void verifyAndMapBindsTheCertificatesUser() throws Exception {
        String conf = tlsBlock(certs.server, certs.server.keyPem(), "ca_file: \"" + certs.ca.caPem() + "\", verify_and_map: true")
                + "accounts {\n  A: { users: [ {user: \"alice@weft.test\"} ] }\n  B: { users: [ {user: \"CN=bob,O=Weft\"} ] }\n}\n";
        Map<String, String> weft = mapped(Target.WEFT, conf);
        Map<String, String> nats = mapped(Target.NATS_NEWEST, conf);
        assertEquals("ok", weft.get("alice"), weft.toString());
        assertEquals("ok", weft.get("bob"), weft.toString());
        assertEquals("fails", weft.get("no-cert"), weft.toString());
        assertEquals("isolated", weft.get("accounts"), weft.toString());
        assertEquals("alice-same-account", weft.get("alice-twice"), weft.toString());
        assertEquals("fails", weft.get("alice-naming-a-user"), weft.toString());
        assertEquals(nats, weft);
    }

    private static Map<String, String> mapped(Target target, String conf) throws Exception {
        Map<String, String> seen = new LinkedHashMap<>();
        try (TestServer s = TestServers.start(target, conf)) {
            SSLContext alice = TestCerts.clientContext(certs.ca, certs.client);
            SSLContext bob = TestCerts.clientContext(certs.ca, certs.client2);
            try (Connection c = Nats.connect(tlsOptions(s, alice).userInfo("alice@weft.test", "x").build())) {
                seen.put("alice-naming-a-user", "ok");
            } catch (Exception e) {
                seen.put("alice-naming-a-user", "fails");
            }
            try (Connection a = connect(s, tlsOptions(s, alice));
                    Connection a2 = connect(s, tlsOptions(s, alice));
                    Connection b = connect(s, tlsOptions(s, bob))) {
                seen.put("alice", "ok");
                seen.put("bob", "ok");
                Subscription bobSub = b.subscribe("m.x");
                Subscription a2Sub = a2.subscribe("m.x");
                b.flush(WAIT);
                a2.flush(WAIT);
                a.publish("m.x", new byte[] {1});
                a.flush(WAIT);
                seen.put("alice-twice", a2Sub.nextMessage(WAIT) != null ? "alice-same-account" : "lost");
                seen.put("accounts", bobSub.nextMessage(Duration.ofMillis(300)) == null ? "isolated" : "leaked");
            } catch (AssertionError e) {
                seen.put("alice", "fails: " + e.getMessage());
            }
            try (Connection c = Nats.connect(tlsOptions(s, TestCerts.clientContext(certs.ca, null)).build())) {
                seen.put("no-cert", "ok");
            } catch (Exception e) {
                seen.put("no-cert", "fails");
            }
        }
        return seen;
    }

    /** A reload (SIGHUP) reads the certificate files again: new clients get the new certificate. */
    @Test
    void reloadTakesARenewedCertificate() throws Exception {
        try (TestServer s = TestServers.start(Target.WEFT, tlsBlock(certs.rogueServer, certs.rogueServer.keyPem(), ""))) {
            SSLContext trusting = TestCerts.clientContext(certs.ca, null);
            assertThrows(Exception.class, () -> Nats.connect(tlsOptions(s, trusting).build()));
            try (Connection before = connect(s, tlsOptions(s, TestCerts.clientContext(certs.rogue, null)))) {
                s.rewriteConfig(tlsBlock(certs.server, certs.server.keyPem(), ""));
                s.signal("HUP");
                assertTrue(s.awaitOutput("Reloaded server configuration", WAIT), s.stderr());
                try (Connection after = connect(s, tlsOptions(s, trusting))) {
                    roundTrip(after);
                }
                // a connection made before the reload keeps its session
                roundTrip(before);
            }
        }
    }

    /**
     * Monitoring over HTTPS ({@code https_port} in the file, {@code -ms} on the command line) with
     * the tls block's certificate, as nats-server; /varz reports the port; the errors for HTTPS
     * without TLS and for both HTTP and HTTPS are nats-server's.
     */
    @Test
    void httpsMonitoring(@TempDir Path dir) throws Exception {
        int https = TestServers.freePorts(1)[0];
        Path conf = dir.resolve("https.conf");
        Files.writeString(conf, tlsBlock(certs.server, certs.server.keyPem(), "") + "https_port: " + https + "\n");
        java.net.http.HttpClient http = java.net.http.HttpClient.newBuilder().sslContext(TestCerts.clientContext(certs.ca, null))
                .connectTimeout(WAIT).build();
        try (TestServer s = TestServers.startWithoutConfig(Target.WEFT, "-c", conf.toString())) {
            java.net.http.HttpResponse<String> r = http.send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create("https://localhost:" + https + "/varz")).timeout(WAIT).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode());
            assertTrue(r.body().contains("\"https_port\": " + https) || r.body().contains("\"https_port\":" + https), r.body());
            assertTrue(r.body().contains("\"tls_timeout\": 10") || r.body().contains("\"tls_timeout\":10"), r.body());
            assertTrue(s.awaitOutput("Starting https monitor on", WAIT), s.stderr());
            // a client that does not trust the CA gets no answer
            java.net.http.HttpClient untrusting = java.net.http.HttpClient.newBuilder()
                    .sslContext(TestCerts.clientContext(certs.rogue, null)).connectTimeout(WAIT).build();
            assertThrows(java.io.IOException.class, () -> untrusting.send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create("https://localhost:" + https + "/varz")).timeout(WAIT).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString()));
        }
        TestServers.Result r = TestServers.runWeft(Duration.ofSeconds(60), "serve", "-p", "-1", "-ms", "-1");
        assertEquals(1, r.exitCode(), r.output());
        assertTrue(r.output().contains("TLS cert and key required for HTTPS"), r.output());
        r = TestServers.runWeft(Duration.ofSeconds(60), "serve", "-p", "-1", "-m", "-1", "-c", conf.toString());
        assertEquals(1, r.exitCode(), r.output());
        assertTrue(r.output().contains("can't specify both HTTP"), r.output());
    }

    /**
     * A raw JDK TLS client (after the plain INFO) with its own protocol, cipher and curve limits:
     * returns "PONG" when the handshake and a CONNECT/PING went through, else the failure.
     */
    static String rawTls(TestServer s, SSLContext ctx, String protocol, String cipher, String group) throws Exception {
        try (Socket plain = new Socket("127.0.0.1", s.port())) {
            plain.setSoTimeout(15_000);
            readLine(plain.getInputStream());
            javax.net.ssl.SSLSocket tls = (javax.net.ssl.SSLSocket) ctx.getSocketFactory().createSocket(plain, "localhost", s.port(), true);
            javax.net.ssl.SSLParameters p = tls.getSSLParameters();
            if (protocol != null) {
                p.setProtocols(new String[] {protocol});
            }
            if (cipher != null) {
                p.setCipherSuites(new String[] {cipher});
            }
            if (group != null) {
                p.setNamedGroups(new String[] {group});
            }
            tls.setSSLParameters(p);
            try {
                tls.startHandshake();
                tls.getOutputStream().write("CONNECT {\"verbose\":false}\r\nPING\r\n".getBytes(StandardCharsets.US_ASCII));
                tls.getOutputStream().flush();
                String line = readLine(tls.getInputStream());
                return line.isEmpty() ? "closed" : line;
            } catch (java.io.IOException e) {
                return "failed: " + e.getMessage();
            }
        }
    }

    /** min_version, curve_preferences and timeout: what the handshake may use, and how long it may take. */
    @Test
    void versionCurveAndTimeoutRestrictions() throws Exception {
        String conf = "tls { cert_file: \"" + certs.serverEc.chainPem() + "\", key_file: \"" + certs.serverEc.keyPem()
                + "\", min_version: \"1.3\", curve_preferences: [CurveP384], timeout: 3 }\n";
        SSLContext trusting = TestCerts.clientContext(certs.ca, null);
        try (TestServer s = TestServers.start(Target.WEFT, conf)) {
            assertEquals("PONG", rawTls(s, trusting, "TLSv1.3", null, "secp384r1"));
            assertTrue(rawTls(s, trusting, "TLSv1.2", null, null).startsWith("failed"), "TLS 1.2 refused");
            assertTrue(rawTls(s, trusting, "TLSv1.3", null, "x25519").startsWith("failed"), "only P-384 offered");
            // a client that connects and never starts the handshake is cut after the timeout
            try (Socket idle = new Socket("127.0.0.1", s.port())) {
                idle.setSoTimeout(20_000);
                readLine(idle.getInputStream());
                long start = System.nanoTime();
                assertEquals(-1, idle.getInputStream().read());
                long waited = (System.nanoTime() - start) / 1_000_000;
                assertTrue(waited >= 2_000, "closed after " + waited + " ms");
            }
            assertTrue(s.awaitOutput("TLS handshake timeout", WAIT), s.stderr());
        }
    }

    /** The lower-case hex SHA-256 of a certificate's DER SubjectPublicKeyInfo: what {@code pinned_certs} lists. */
    private static String spkiSha256(Path pem) throws Exception {
        java.security.cert.X509Certificate cert = (java.security.cert.X509Certificate) java.security.cert.CertificateFactory
                .getInstance("X.509").generateCertificate(Files.newInputStream(pem));
        return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                .digest(cert.getPublicKey().getEncoded()));
    }

    /** cipher_suites (Go names, TLS 1.2) and pinned_certs (SHA-256 of the client's SubjectPublicKeyInfo). */
    @Test
    void cipherSuitesAndPinnedCertificates() throws Exception {
        String conf = tlsBlock(certs.server, certs.server.keyPem(), "ca_file: \"" + certs.ca.caPem()
                + "\", verify: true, cipher_suites: [TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305], "
                + "pinned_certs: [\"" + spkiSha256(certs.client.chainPem()).toUpperCase(java.util.Locale.ROOT) + "\"]");
        try (TestServer s = TestServers.start(Target.WEFT, conf)) {
            SSLContext asAlice = TestCerts.clientContext(certs.ca, certs.client);
            assertEquals("PONG", rawTls(s, asAlice, "TLSv1.2", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", null));
            assertEquals("PONG", rawTls(s, asAlice, "TLSv1.2", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", null));
            assertTrue(rawTls(s, asAlice, "TLSv1.2", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", null).startsWith("failed"));
            // TLS 1.3 suites stay on, as in Go
            assertEquals("PONG", rawTls(s, asAlice, "TLSv1.3", null, null));
            // bob's certificate is signed by the same CA but not pinned
            String bob = rawTls(s, TestCerts.clientContext(certs.ca, certs.client2), "TLSv1.3", null, null);
            assertTrue(!bob.equals("PONG"), bob);
            assertTrue(s.awaitOutput("not pinned", WAIT), s.stderr());
        }
    }

    /**
     * The same pin (the SubjectPublicKeyInfo's hash, in upper case as an operator may paste it) on
     * weft and on nats-server 2.15.1: both let alice in and keep bob out; a pin that is not 64 hex
     * digits stops both at start.
     */
    @Test
    void pinnedCertificatesAsNatsServer() throws Exception {
        String pin = spkiSha256(certs.client.chainPem()).toUpperCase(java.util.Locale.ROOT);
        String conf = tlsBlock(certs.server, certs.server.keyPem(), "ca_file: \"" + certs.ca.caPem()
                + "\", verify: true, pinned_certs: [\"" + pin + "\"]");
        for (Target t : List.of(Target.WEFT, Target.NATS_NEWEST)) {
            try (TestServer s = TestServers.start(t, conf)) {
                assertEquals("PONG", rawTls(s, TestCerts.clientContext(certs.ca, certs.client), "TLSv1.3", null, null), t.name());
                String bob = rawTls(s, TestCerts.clientContext(certs.ca, certs.client2), "TLSv1.3", null, null);
                assertTrue(!bob.equals("PONG"), t + ": " + bob);
            }
        }
        // the whole certificate's hash (what weft once pinned) is not a SubjectPublicKeyInfo hash
        java.security.cert.X509Certificate alice = (java.security.cert.X509Certificate) java.security.cert.CertificateFactory
                .getInstance("X.509").generateCertificate(Files.newInputStream(certs.client.chainPem()));
        String whole = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(alice.getEncoded()));
        try (TestServer s = TestServers.start(Target.WEFT, tlsBlock(certs.server, certs.server.keyPem(), "ca_file: \""
                + certs.ca.caPem() + "\", verify: true, pinned_certs: [\"" + whole + "\"]"))) {
            assertTrue(!rawTls(s, TestCerts.clientContext(certs.ca, certs.client), "TLSv1.3", null, null).equals("PONG"));
        }
    }

    /**
     * The same configurations and certificates on weft and on nats-server 2.15.1: the INFO's TLS
     * fields and whether each kind of client gets through must agree.
     */
    @Test
    void differentialAgainstNatsServer() throws Exception {
        Map<String, String> confs = new LinkedHashMap<>();
        confs.put("tls", tlsBlock(certs.server, certs.server.keyPem(), ""));
        confs.put("verify", tlsBlock(certs.server, certs.server.keyPem(), "ca_file: \"" + certs.ca.caPem() + "\", verify: true"));
        confs.put("first", tlsBlock(certs.serverEc, certs.serverEcKeySec1, "handshake_first: true"));
        List<String> diffs = new ArrayList<>();
        for (Map.Entry<String, String> e : confs.entrySet()) {
            Map<String, String> weft = observe(Target.WEFT, e.getValue(), e.getKey().equals("first"));
            Map<String, String> nats = observe(Target.NATS_NEWEST, e.getValue(), e.getKey().equals("first"));
            if (!weft.equals(nats)) {
                diffs.add(e.getKey() + ": weft " + weft + " nats-server " + nats);
            }
        }
        assertEquals(List.of(), diffs);
    }

    private static Map<String, String> observe(Target target, String conf, boolean first) throws Exception {
        Map<String, String> seen = new LinkedHashMap<>();
        try (TestServer s = TestServers.start(target, conf)) {
            Map<String, SSLContext> clients = new LinkedHashMap<>();
            clients.put("trusting", TestCerts.clientContext(certs.ca, null));
            clients.put("with-cert", TestCerts.clientContext(certs.ca, certs.client));
            clients.put("rogue-cert", TestCerts.clientContext(certs.ca, certs.rogueClient));
            clients.put("untrusting", TestCerts.clientContext(certs.rogue, null));
            if (!first) {
                seen.put("plain INFO", tlsFields(s));
            }
            for (Map.Entry<String, SSLContext> c : clients.entrySet()) {
                Options.Builder b = tlsOptions(s, c.getValue());
                if (first) {
                    b.tlsFirst();
                }
                try (Connection conn = Nats.connect(b.build())) {
                    roundTrip(conn);
                    seen.put(c.getKey(), "ok tls_required=" + conn.getServerInfo().isTLSRequired()
                            + " tls_available=" + conn.getServerInfo().isTLSAvailable());
                } catch (Exception ex) {
                    seen.put(c.getKey(), "fails");
                }
            }
        }
        return seen;
    }

    /** The TLS fields of the plain INFO a server sends before the handshake, as "name=value ...". */
    static String tlsFields(TestServer s) throws Exception {
        try (Socket raw = new Socket("127.0.0.1", s.port())) {
            raw.setSoTimeout(10_000);
            String info = readLine(raw.getInputStream());
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"(tls_[a-z]+)\":(true|false)").matcher(info);
            List<String> out = new ArrayList<>();
            while (m.find()) {
                out.add(m.group(1) + "=" + m.group(2));
            }
            return String.join(" ", out);
        }
    }

    private static String readLine(InputStream in) throws java.io.IOException {
        StringBuilder sb = new StringBuilder();
        int b;
        while ((b = in.read()) >= 0 && b != '\n') {
            sb.append((char) b);
        }
        return sb.toString().trim();
    }
}
