package io.weft.net;

import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;

/**
 * The server side of TLS: a certificate and key from PEM files, optionally a CA file to verify
 * client certificates with, protocol, cipher and curve restrictions, and a handshake timeout.
 * {@link #handshake} turns an accepted plain connection into a TLS one. Real network only: the
 * simulator's connections do not do TLS.
 */
public final class TlsServer {
    /**
     * What a {@code tls {}} block says.
     *
     * @param caFile null for none (then client certificates cannot be verified)
     * @param cipherSuites Go or IANA names; empty for the JDK's defaults
     * @param curves Go names ({@code CurveP256}, {@code X25519}, ...); empty for the defaults
     * @param minVersion {@code 1.2} or {@code 1.3}; null for 1.2
     * @param pinnedCerts SHA-256 (lower-case hex) of the DER SubjectPublicKeyInfo of the accepted client certificates, as
     *                    nats-server pins them; empty for any
     */
    public record Settings(Path certFile, Path keyFile, Path caFile, boolean verify, Duration timeout,
                           List<String> cipherSuites, List<String> curves, String minVersion, Set<String> pinnedCerts) {
        public Settings {
            cipherSuites = List.copyOf(cipherSuites);
            curves = List.copyOf(curves);
            pinnedCerts = Set.copyOf(pinnedCerts);
        }
    }

    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "tls-handshake-timer");
        t.setDaemon(true);
        return t;
    });

    private final SSLContext context;
    private final Settings settings;
    private final String[] protocols;
    private final String[] suites;
    private final String[] groups;
    private final javax.net.ssl.KeyManager[] keyManagers;
    /** For dialling with {@code insecure}: the same key, and no check of the peer's certificate. Made on first use. */
    private volatile SSLContext insecureContext;

    private TlsServer(SSLContext context, javax.net.ssl.KeyManager[] keyManagers, Settings settings, String[] protocols,
                      String[] suites, String[] groups) {
        this.context = context;
        this.keyManagers = keyManagers;
        this.settings = settings;
        this.protocols = protocols;
        this.suites = suites;
        this.groups = groups;
    }

    /** Loads the files and checks every setting; the message of a failure says what is wrong, as nats-server would. */
    public static TlsServer load(Settings s) throws IOException, GeneralSecurityException {
        List<X509Certificate> chain = Pem.certificates(s.certFile());
        PrivateKey key = Pem.privateKey(s.keyFile());
        checkPair(chain.get(0), key);
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        char[] pw = new char[0];
        ks.setKeyEntry("server", key, pw, chain.toArray(Certificate[]::new));
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, pw);
        TrustManagerFactory tmf = null;
        if (s.caFile() != null) {
            KeyStore ts = KeyStore.getInstance("PKCS12");
            ts.load(null, null);
            int i = 0;
            for (X509Certificate ca : Pem.certificates(s.caFile())) {
                ts.setCertificateEntry("ca" + i++, ca);
            }
            tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ts);
        } else if (s.verify()) {
            // as nats-server: without a ca_file, client certificates are verified against the system roots
            tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init((KeyStore) null);
        }
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), tmf == null ? null : tmf.getTrustManagers(), new SecureRandom());
        String[] protocols = switch (s.minVersion() == null ? "1.2" : s.minVersion()) {
            case "1.2" -> new String[] {"TLSv1.3", "TLSv1.2"};
            case "1.3" -> new String[] {"TLSv1.3"};
            default -> throw new GeneralSecurityException("unsupported TLS version: " + s.minVersion() + " (1.2 or 1.3)");
        };
        String[] suites = null;
        if (!s.cipherSuites().isEmpty()) {
            Set<String> supported = Set.of(ctx.getSupportedSSLParameters().getCipherSuites());
            Set<String> chosen = new LinkedHashSet<>();
            for (String name : s.cipherSuites()) {
                String jdk = jdkCipherName(name);
                if (!supported.contains(jdk)) {
                    throw new GeneralSecurityException("unrecognized cipher suite: \"" + name + "\"");
                }
                chosen.add(jdk);
            }
            // as Go: the TLS 1.3 suites are not configurable and stay on
            for (String tls13 : new String[] {"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"}) {
                if (supported.contains(tls13)) {
                    chosen.add(tls13);
                }
            }
            suites = chosen.toArray(String[]::new);
        }
        String[] groups = null;
        if (!s.curves().isEmpty()) {
            List<String> g = new ArrayList<>();
            for (String c : s.curves()) {
                g.add(switch (c.toLowerCase(Locale.ROOT)) {
                    case "curvep256", "p256", "p-256", "secp256r1" -> "secp256r1";
                    case "curvep384", "p384", "p-384", "secp384r1" -> "secp384r1";
                    case "curvep521", "p521", "p-521", "secp521r1" -> "secp521r1";
                    case "x25519" -> "x25519";
                    default -> throw new GeneralSecurityException("unrecognized curve preference \"" + c + "\"");
                });
            }
            groups = g.toArray(String[]::new);
        }
        return new TlsServer(ctx, kmf.getKeyManagers(), s, protocols, suites, groups);
    }

    /** Go writes the ChaCha20 suites without the {@code _SHA256} IANA and the JDK put at the end. */
    private static String jdkCipherName(String name) {
        String n = name.trim().toUpperCase(Locale.ROOT);
        return n.endsWith("_CHACHA20_POLY1305") ? n + "_SHA256" : n;
    }

    /** As Go's X509KeyPair: the key must be the certificate's (a signature made with one verifies with the other). */
    private static void checkPair(X509Certificate cert, PrivateKey key) throws GeneralSecurityException {
        String alg = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "Ed25519", "EdDSA" -> "Ed25519";
            case "Ed448" -> "Ed448";
            case "RSASSA-PSS" -> null;
            default -> null;
        };
        if (alg == null) {
            return;
        }
        byte[] probe = "weft key pair check".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        boolean ok;
        try {
            Signature signer = Signature.getInstance(alg);
            signer.initSign(key);
            signer.update(probe);
            byte[] sig = signer.sign();
            Signature verifier = Signature.getInstance(alg);
            verifier.initVerify(cert.getPublicKey());
            verifier.update(probe);
            ok = verifier.verify(sig);
        } catch (GeneralSecurityException e) {
            ok = false;
        }
        if (!ok) {
            throw new GeneralSecurityException("private key does not match public key");
        }
    }

    /** The negotiated TLS version (Go's form: "1.2", "1.3") and cipher suite of a connection. */
    public record Session(String version, String cipherSuite) {
    }

    /** The TLS session of a connection whose handshake has completed; null for a plain connection. */
    public static Session session(Conn conn) {
        if (!(conn instanceof TlsConn tls)) {
            return null;
        }
        String p = tls.protocol();
        return new Session(p != null && p.startsWith("TLSv") ? p.substring(4) : String.valueOf(p), tls.cipherSuite());
    }

    /**
     * The identities a verified client certificate gives, in the order {@code verify_and_map}
     * tries them: its email subject alternative names, its DNS names, then its subject DN in RFC
     * 2253 form ({@code CN=alice,O=Acme}). Empty for a connection that is not TLS or has no certificate.
     */
    public static List<String> peerIdentities(Conn conn) {
        List<String> out = new ArrayList<>();
        if (!(conn instanceof TlsConn tls)) {
            return out;
        }
        Certificate[] chain = tls.peerCertificates();
        if (chain.length == 0 || !(chain[0] instanceof X509Certificate leaf)) {
            return out;
        }
        try {
            java.util.Collection<List<?>> sans = leaf.getSubjectAlternativeNames();
            if (sans != null) {
                for (int type : new int[] {1, 2}) { // rfc822Name, dNSName
                    for (List<?> san : sans) {
                        if (san.size() >= 2 && Integer.valueOf(type).equals(san.get(0)) && san.get(1) instanceof String s) {
                            out.add(s);
                        }
                    }
                }
            }
        } catch (java.security.cert.CertificateParsingException ignored) {
            // no usable SANs: the DN still identifies it
        }
        out.add(leaf.getSubjectX500Principal().getName(javax.security.auth.x500.X500Principal.RFC2253));
        return out;
    }

    /** The client's certificates, leaf first, each in PEM form; empty for a plain connection or none sent. */
    public static List<String> peerCertificatesPem(Conn conn) {
        List<String> out = new ArrayList<>();
        if (!(conn instanceof TlsConn tls)) {
            return out;
        }
        java.util.Base64.Encoder b64 = java.util.Base64.getMimeEncoder(64, new byte[] {'\n'});
        for (Certificate c : tls.peerCertificates()) {
            try {
                out.add("-----BEGIN CERTIFICATE-----\n" + b64.encodeToString(c.getEncoded()) + "\n-----END CERTIFICATE-----\n");
            } catch (java.security.cert.CertificateEncodingException e) {
                // a certificate the JDK cannot encode again is left out
            }
        }
        return out;
    }

    public SSLContext context() {
        return context;
    }

    public Settings settings() {
        return settings;
    }

    public boolean verify() {
        return settings.verify();
    }

    public Duration timeout() {
        return settings.timeout();
    }

    /** The engine for one accepted connection. */
    SSLEngine newEngine() {
        SSLEngine e = context.createSSLEngine();
        e.setUseClientMode(false);
        SSLParameters p = e.getSSLParameters();
        p.setProtocols(protocols);
        if (suites != null) {
            p.setCipherSuites(suites);
        }
        if (groups != null) {
            p.setNamedGroups(groups);
        }
        p.setNeedClientAuth(settings.verify());
        e.setSSLParameters(p);
        return e;
    }

    /**
     * Runs the server side of the handshake on an accepted connection and returns the TLS
     * connection. A handshake that does not end within the timeout, a client certificate that
     * does not verify or is not pinned, fails with an IOException; the plain connection is then
     * closed.
     */
    public Conn handshake(Conn plain) throws IOException {
        return handshake(plain, newEngine());
    }

    /**
     * The client side of the handshake, for a connection this server dialled (a route): it
     * presents the same certificate, and checks the peer's against {@code ca_file} (the JVM's
     * trust store without one) and against {@code host} (a DNS name or an IP address its
     * certificate must name), as Go's TLS client does; {@code insecure} skips both checks.
     * Timeout and pinned certificates apply as on the server side.
     */
    public Conn handshakeClient(Conn plain, String host, int port, boolean insecure) throws IOException {
        SSLEngine e;
        try {
            e = (insecure ? insecureContext() : context).createSSLEngine(host, port);
        } catch (GeneralSecurityException ex) {
            plain.close();
            throw new IOException(ex.getMessage(), ex);
        }
        e.setUseClientMode(true);
        SSLParameters p = e.getSSLParameters();
        p.setProtocols(protocols);
        if (suites != null) {
            p.setCipherSuites(suites);
        }
        if (groups != null) {
            p.setNamedGroups(groups);
        }
        if (!insecure) {
            p.setEndpointIdentificationAlgorithm("HTTPS");
        }
        e.setSSLParameters(p);
        return handshake(plain, e);
    }

    private SSLContext insecureContext() throws GeneralSecurityException {
        SSLContext c = insecureContext;
        if (c == null) {
            javax.net.ssl.X509TrustManager any = new javax.net.ssl.X509TrustManager() {
                @Override
                public void checkClientTrusted(X509Certificate[] chain, String authType) {
                }

                @Override
                public void checkServerTrusted(X509Certificate[] chain, String authType) {
                }

                @Override
                public X509Certificate[] getAcceptedIssuers() {
                    return new X509Certificate[0];
                }
            };
            c = SSLContext.getInstance("TLS");
            c.init(keyManagers, new javax.net.ssl.TrustManager[] {any}, new SecureRandom());
            insecureContext = c;
        }
        return c;
    }

    private Conn handshake(Conn plain, SSLEngine engine) throws IOException {
        TlsConn tls = new TlsConn(plain, engine);
        AtomicBoolean timedOut = new AtomicBoolean();
        Duration t = settings.timeout();
        ScheduledFuture<?> timer = t == null || t.isZero() || t.isNegative() ? null : TIMER.schedule(() -> {
            timedOut.set(true);
            plain.close();
        }, t.toNanos(), TimeUnit.NANOSECONDS);
        try {
            tls.handshake();
        } catch (IOException | RuntimeException e) {
            plain.close();
            if (timedOut.get()) {
                throw new IOException("TLS handshake timeout", e);
            }
            throw e instanceof IOException io ? io : new IOException(e.getMessage(), e);
        } finally {
            if (timer != null) {
                timer.cancel(false);
            }
        }
        if (timedOut.get()) {
            plain.close();
            throw new IOException("TLS handshake timeout");
        }
        if (!settings.pinnedCerts().isEmpty()) {
            Certificate[] peer = tls.peerCertificates();
            String sha = null;
            if (peer.length > 0) {
                try {
                    sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(peer[0].getPublicKey().getEncoded()));
                } catch (GeneralSecurityException e) {
                    sha = null;
                }
            }
            if (sha == null || !settings.pinnedCerts().contains(sha)) {
                plain.close();
                throw new IOException("peer certificate is not pinned (sha256 " + sha + ")");
            }
        }
        return tls;
    }
}
