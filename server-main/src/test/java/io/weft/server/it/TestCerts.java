package io.weft.server.it;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Key;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Certificates made for a test with the JDK's own {@code keytool} (run as a process): a test CA,
 * server and client certificates it signs (the server's for {@code localhost} and
 * {@code 127.0.0.1}), and a second, untrusted CA with its own server and client certificates.
 * Keys are written as PEM in the forms nats-server reads: PKCS#8, PKCS#1 (RSA) and SEC1 (EC).
 */
final class TestCerts {
    static final String PASS = "changeit";
    final Path dir;

    /** One CA and what it signed, as PEM files and PKCS#12 stores. */
    record Authority(Path caPem, Path caStore) {
    }

    /** A certificate signed by a CA: the chain (leaf, then CA) and its key in PEM, and the PKCS#12 store. */
    record Identity(Path chainPem, Path keyPem, Path store) {
    }

    final Authority ca;
    final Authority rogue;
    final Identity server;
    final Identity serverEc;
    final Identity client;
    /** A second client the test CA signed (CN=bob), for pinning. */
    final Identity client2;
    final Identity rogueServer;
    final Identity rogueClient;
    /** A route's certificate: a server presents it both when it accepts a route and when it dials one (both EKUs). */
    final Identity route;
    /** The same from the untrusted CA. */
    final Identity rogueRoute;
    /** The RSA server key in PKCS#1 ({@code RSA PRIVATE KEY}) form. */
    final Path serverKeyPkcs1;
    /** The EC server key in SEC1 ({@code EC PRIVATE KEY}) form. */
    final Path serverEcKeySec1;

    private static TestCerts shared;

    /** The certificates, made once per test JVM. */
    static synchronized TestCerts get() throws Exception {
        if (shared == null) {
            Path dir = Files.createTempDirectory("weft-certs-");
            dir.toFile().deleteOnExit();
            shared = new TestCerts(dir);
        }
        return shared;
    }

    private TestCerts(Path dir) throws Exception {
        this.dir = dir;
        ca = authority("ca", "CN=Weft Test CA, O=Weft");
        rogue = authority("rogue", "CN=Rogue CA, O=Elsewhere");
        server = identity(ca, "server", "CN=localhost, O=Weft", "RSA", "SAN=dns:localhost,ip:127.0.0.1", "EKU=serverAuth");
        serverEc = identity(ca, "server-ec", "CN=localhost, O=Weft", "EC", "SAN=dns:localhost,ip:127.0.0.1", "EKU=serverAuth");
        client = identity(ca, "client", "CN=alice, O=Weft", "RSA", "SAN=email:alice@weft.test", "EKU=clientAuth");
        client2 = identity(ca, "client2", "CN=bob, O=Weft", "RSA", "SAN=email:bob@weft.test", "EKU=clientAuth");
        rogueServer = identity(rogue, "rogue-server", "CN=localhost, O=Elsewhere", "RSA",
                "SAN=dns:localhost,ip:127.0.0.1", "EKU=serverAuth");
        rogueClient = identity(rogue, "rogue-client", "CN=mallory, O=Elsewhere", "RSA", "SAN=email:m@x.test", "EKU=clientAuth");
        route = identity(ca, "route", "CN=localhost, O=Weft", "RSA", "SAN=dns:localhost,ip:127.0.0.1",
                "EKU=serverAuth,clientAuth");
        rogueRoute = identity(rogue, "rogue-route", "CN=localhost, O=Elsewhere", "RSA", "SAN=dns:localhost,ip:127.0.0.1",
                "EKU=serverAuth,clientAuth");
        serverKeyPkcs1 = dir.resolve("server-key-pkcs1.pem");
        byte[] pkcs8 = key(server.store(), "server").getEncoded();
        Files.writeString(serverKeyPkcs1, pem("RSA PRIVATE KEY", Der.pkcs8Inner(pkcs8)));
        serverEcKeySec1 = dir.resolve("server-ec-key-sec1.pem");
        Files.writeString(serverEcKeySec1, pem("EC PRIVATE KEY", Der.sec1WithCurve(key(serverEc.store(), "server-ec").getEncoded())));
    }

    private Authority authority(String name, String dn) throws Exception {
        Path store = dir.resolve(name + ".p12");
        keytool("-genkeypair", "-alias", name, "-keyalg", "RSA", "-keysize", "2048", "-dname", dn, "-validity", "3",
                "-ext", "bc:c", "-ext", "KU=keyCertSign,cRLSign", "-keystore", store.toString(), "-storetype", "PKCS12",
                "-storepass", PASS, "-keypass", PASS);
        Path pem = dir.resolve(name + ".pem");
        keytool("-exportcert", "-rfc", "-alias", name, "-keystore", store.toString(), "-storepass", PASS, "-file", pem.toString());
        return new Authority(pem, store);
    }

    private Identity identity(Authority by, String name, String dn, String alg, String... exts) throws Exception {
        Path store = dir.resolve(name + ".p12");
        List<String> gen = new ArrayList<>(List.of("-genkeypair", "-alias", name, "-keyalg", alg, "-dname", dn,
                "-validity", "3", "-keystore", store.toString(), "-storetype", "PKCS12", "-storepass", PASS, "-keypass", PASS));
        if (alg.equals("EC")) {
            gen.addAll(List.of("-groupname", "secp256r1"));
        } else {
            gen.addAll(List.of("-keysize", "2048"));
        }
        keytool(gen.toArray(String[]::new));
        Path csr = dir.resolve(name + ".csr");
        keytool("-certreq", "-alias", name, "-keystore", store.toString(), "-storepass", PASS, "-file", csr.toString());
        Path crt = dir.resolve(name + ".crt");
        String caAlias = by.caStore().getFileName().toString().replace(".p12", "");
        List<String> sign = new ArrayList<>(List.of("-gencert", "-alias", caAlias, "-keystore", by.caStore().toString(),
                "-storepass", PASS, "-infile", csr.toString(), "-outfile", crt.toString(), "-rfc", "-validity", "2"));
        for (String e : exts) {
            sign.add("-ext");
            sign.add(e);
        }
        keytool(sign.toArray(String[]::new));
        Path chain = dir.resolve(name + "-chain.pem");
        Files.writeString(chain, Files.readString(crt) + Files.readString(by.caPem()));
        // the signed chain back into the store, so the client side can present it
        keytool("-importcert", "-noprompt", "-alias", caAlias, "-file", by.caPem().toString(), "-keystore", store.toString(),
                "-storepass", PASS);
        keytool("-importcert", "-noprompt", "-alias", name, "-file", chain.toString(), "-keystore", store.toString(),
                "-storepass", PASS, "-keypass", PASS);
        Path keyPem = dir.resolve(name + "-key.pem");
        Files.writeString(keyPem, pem("PRIVATE KEY", key(store, name).getEncoded()));
        return new Identity(chain, keyPem, store);
    }

    private static PrivateKey key(Path store, String alias) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store)) {
            ks.load(in, PASS.toCharArray());
        }
        Key k = ks.getKey(alias, PASS.toCharArray());
        return (PrivateKey) k;
    }

    static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    private static void keytool(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        cmd.addAll(Arrays.asList(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IllegalStateException("keytool " + cmd + " failed: " + out);
        }
    }

    /** A client context that trusts {@code trusted} and, when {@code me} is not null, presents that identity. */
    static SSLContext clientContext(Authority trusted, Identity me) throws Exception {
        KeyStore ts = KeyStore.getInstance("PKCS12");
        ts.load(null, null);
        ts.setCertificateEntry("ca", java.security.cert.CertificateFactory.getInstance("X.509")
                .generateCertificate(Files.newInputStream(trusted.caPem())));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ts);
        KeyManagerFactory kmf = null;
        if (me != null) {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(me.store())) {
                ks.load(in, PASS.toCharArray());
            }
            kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, PASS.toCharArray());
        }
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return ctx;
    }

    /** Just enough DER to turn the JDK's PKCS#8 keys into the PKCS#1 and SEC1 files openssl writes. */
    static final class Der {
        private Der() {
        }

        /** {start of contents, length, end} of the TLV at off. */
        static int[] tlv(byte[] d, int off) {
            int len = d[off + 1] & 0xff;
            int p = off + 2;
            if (len >= 0x80) {
                int n = len & 0x7f;
                len = 0;
                for (int i = 0; i < n; i++) {
                    len = (len << 8) | (d[p++] & 0xff);
                }
            }
            return new int[] {p, len, p + len};
        }

        /** The privateKey OCTET STRING's contents of a PKCS#8 PrivateKeyInfo (its third element). */
        static byte[] pkcs8Inner(byte[] pkcs8) {
            int[] seq = tlv(pkcs8, 0);
            int[] version = tlv(pkcs8, seq[0]);
            int[] alg = tlv(pkcs8, version[2]);
            int[] key = tlv(pkcs8, alg[2]);
            return Arrays.copyOfRange(pkcs8, key[0], key[2]);
        }

        /** The curve OID (whole TLV) from a PKCS#8 EC key's AlgorithmIdentifier. */
        static byte[] curve(byte[] pkcs8) {
            int[] seq = tlv(pkcs8, 0);
            int[] version = tlv(pkcs8, seq[0]);
            int[] alg = tlv(pkcs8, version[2]);
            int[] algOid = tlv(pkcs8, alg[0]);
            return Arrays.copyOfRange(pkcs8, algOid[2], alg[2]);
        }

        /** SEC1 ECPrivateKey with the named curve in {@code [0]}, as {@code openssl ec} writes it. */
        static byte[] sec1WithCurve(byte[] pkcs8) {
            byte[] inner = pkcs8Inner(pkcs8);
            int[] seq = tlv(inner, 0);
            int[] version = tlv(inner, seq[0]);
            int[] d = tlv(inner, version[2]);
            byte[] curve = curve(pkcs8);
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            body.write(inner, seq[0], d[2] - seq[0]);
            body.write(0xa0);
            body.write(curve.length);
            body.writeBytes(curve);
            byte[] b = body.toByteArray();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.write(0x30);
            if (b.length < 0x80) {
                out.write(b.length);
            } else {
                out.write(0x81);
                out.write(b.length);
            }
            out.writeBytes(b);
            return out.toByteArray();
        }
    }
}
