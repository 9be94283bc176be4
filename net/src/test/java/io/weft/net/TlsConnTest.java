package io.weft.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** TLS over a real loopback Conn: a JDK SSLSocket client against {@link TlsServer#handshake}. */
class TlsConnTest {
    @TempDir
    static Path dir;
    static Path cert;
    static Path key;
    static SSLContext client;

    @BeforeAll
    static void selfSigned() throws Exception {
        Path store = dir.resolve("s.p12");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(), "-genkeypair",
                "-alias", "s", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=localhost", "-ext",
                "SAN=dns:localhost,ip:127.0.0.1", "-validity", "2", "-keystore", store.toString(), "-storetype", "PKCS12",
                "-storepass", "changeit", "-keypass", "changeit").redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0);
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store)) {
            ks.load(in, "changeit".toCharArray());
        }
        Certificate c = ks.getCertificate("s");
        cert = dir.resolve("cert.pem");
        key = dir.resolve("key.pem");
        Files.writeString(cert, pem("CERTIFICATE", c.getEncoded()));
        Files.writeString(key, pem("PRIVATE KEY", ks.getKey("s", "changeit".toCharArray()).getEncoded()));
        KeyStore ts = KeyStore.getInstance("PKCS12");
        ts.load(null, null);
        ts.setCertificateEntry("s", c);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ts);
        client = SSLContext.getInstance("TLS");
        client.init(null, tmf.getTrustManagers(), null);
    }

    static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder().encodeToString(der) + "\n-----END " + type + "-----\n";
    }

    static TlsServer server(Duration timeout) throws Exception {
        return TlsServer.load(new TlsServer.Settings(cert, key, null, false, timeout, List.of(), List.of(), null, Set.of()));
    }

    @Test
    void bytesBothWaysIncludingTryWriteToAPeerThatReadsLate() throws Exception {
        TlsServer tls = server(Duration.ofSeconds(10));
        try (Listener l = new RealNetwork().listen("127.0.0.1", 0)) {
            CompletableFuture<Conn> accepted = CompletableFuture.supplyAsync(() -> {
                try {
                    return tls.handshake(l.accept());
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            try (Socket plain = new Socket("127.0.0.1", l.port());
                    SSLSocket s = (SSLSocket) client.getSocketFactory().createSocket(plain, "localhost", l.port(), true)) {
                s.startHandshake();
                Conn conn = accepted.get(30, TimeUnit.SECONDS);
                s.getOutputStream().write("hello".getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
                byte[] buf = new byte[16];
                int n = conn.read(buf, 0, buf.length);
                assertEquals("hello", new String(buf, 0, n, StandardCharsets.US_ASCII));
                // 8 MB through tryWrite while the client is not reading: the call never waits, and
                // what it could not send goes out, in order, at flush
                byte[] big = new byte[8 << 20];
                for (int i = 0; i < big.length; i++) {
                    big[i] = (byte) (i * 31);
                }
                long start = System.nanoTime();
                boolean all = conn.tryWrite(ByteBuffer.wrap(big));
                assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(20));
                CompletableFuture<byte[]> read = CompletableFuture.supplyAsync(() -> {
                    try {
                        ByteArrayOutputStream out = new ByteArrayOutputStream();
                        InputStream in = s.getInputStream();
                        byte[] b = new byte[65536];
                        int r;
                        while ((r = in.read(b)) > 0) {
                            out.write(b, 0, r);
                        }
                        return out.toByteArray();
                    } catch (IOException e) {
                        throw new IllegalStateException(e);
                    }
                });
                if (!all) {
                    conn.flush();
                }
                conn.write(new ByteBuffer[] {ByteBuffer.wrap("tail".getBytes(StandardCharsets.US_ASCII))});
                conn.shutdownOutput();
                byte[] got = read.get(60, TimeUnit.SECONDS);
                assertEquals(big.length + 4, got.length);
                assertArrayEquals(big, java.util.Arrays.copyOf(got, big.length));
                assertEquals("tail", new String(got, big.length, 4, StandardCharsets.US_ASCII));
                conn.close();
            }
        }
    }

    @Test
    void aPeerThatNeverHandshakesIsCutAtTheTimeout() throws Exception {
        TlsServer tls = server(Duration.ofMillis(300));
        try (Listener l = new RealNetwork().listen("127.0.0.1", 0); Socket idle = new Socket("127.0.0.1", l.port())) {
            Conn plain = l.accept();
            IOException e = assertThrows(IOException.class, () -> tls.handshake(plain));
            assertTrue(e.getMessage().contains("timeout"), e.getMessage());
            idle.setSoTimeout(10_000);
            assertEquals(-1, idle.getInputStream().read());
        }
    }

    @Test
    void aKeyThatIsNotTheCertificatesIsRefused() throws Exception {
        Path other = dir.resolve("other-key.pem");
        java.security.KeyPairGenerator g = java.security.KeyPairGenerator.getInstance("EC");
        g.initialize(256);
        Files.writeString(other, pem("PRIVATE KEY", g.generateKeyPair().getPrivate().getEncoded()));
        Exception e = assertThrows(Exception.class, () -> TlsServer.load(new TlsServer.Settings(cert, other, null, false,
                Duration.ofSeconds(1), List.of(), List.of(), null, Set.of())));
        assertEquals("private key does not match public key", e.getMessage());
    }
}
