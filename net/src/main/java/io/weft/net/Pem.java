package io.weft.net;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * PEM files as nats-server reads them: certificate chains ({@code CERTIFICATE} blocks, leaf
 * first) and unencrypted private keys in PKCS#8 ({@code PRIVATE KEY}: RSA, EC, Ed25519), PKCS#1
 * ({@code RSA PRIVATE KEY}) or SEC1 ({@code EC PRIVATE KEY}) form. Other blocks (an
 * {@code EC PARAMETERS} block before the key, say) are skipped; text outside blocks is ignored.
 */
public final class Pem {
    private static final Pattern BLOCK = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]+)-----\\s*(.*?)-----END \\1-----", Pattern.DOTALL);
    /** rsaEncryption, 1.2.840.113549.1.1.1 */
    private static final byte[] OID_RSA = {0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01};
    /** id-ecPublicKey, 1.2.840.10045.2.1 */
    private static final byte[] OID_EC = {0x06, 0x07, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x02, 0x01};

    private Pem() {
    }

    record Block(String type, byte[] der) {
    }

    static List<Block> blocks(String text) {
        List<Block> out = new ArrayList<>();
        Matcher m = BLOCK.matcher(text);
        while (m.find()) {
            String body = m.group(2);
            if (body.contains(":")) {
                // headers such as Proc-Type: 4,ENCRYPTED (an encrypted legacy key)
                out.add(new Block(m.group(1) + " (with headers)", new byte[0]));
                continue;
            }
            out.add(new Block(m.group(1), Base64.getMimeDecoder().decode(body.replaceAll("\\s", ""))));
        }
        return out;
    }

    /** Every certificate of the file, in order. Fails when there is none. */
    public static List<X509Certificate> certificates(Path file) throws IOException, GeneralSecurityException {
        List<X509Certificate> certs = new ArrayList<>();
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        for (Block b : blocks(Files.readString(file, StandardCharsets.ISO_8859_1))) {
            if (b.type().equals("CERTIFICATE")) {
                certs.add((X509Certificate) cf.generateCertificate(new ByteArrayInputStream(b.der())));
            }
        }
        if (certs.isEmpty()) {
            throw new CertificateException("no certificate found in " + file);
        }
        return certs;
    }

    /** The first private key of the file. */
    public static PrivateKey privateKey(Path file) throws IOException, GeneralSecurityException {
        for (Block b : blocks(Files.readString(file, StandardCharsets.ISO_8859_1))) {
            switch (b.type()) {
                case "PRIVATE KEY" -> {
                    return pkcs8(b.der());
                }
                case "RSA PRIVATE KEY" -> {
                    return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(
                            seq(cat(new byte[] {0x02, 0x01, 0x00}, seq(cat(OID_RSA, new byte[] {0x05, 0x00})), tlv(0x04, b.der())))));
                }
                case "EC PRIVATE KEY" -> {
                    byte[] curve = sec1Curve(b.der());
                    return KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(
                            seq(cat(new byte[] {0x02, 0x01, 0x00}, seq(cat(OID_EC, curve)), tlv(0x04, b.der())))));
                }
                case "ENCRYPTED PRIVATE KEY" -> throw new GeneralSecurityException(
                        "encrypted private keys are not supported (" + file + ")");
                default -> {
                    if (b.type().endsWith("PRIVATE KEY (with headers)")) {
                        throw new GeneralSecurityException("encrypted private keys are not supported (" + file + ")");
                    }
                }
            }
        }
        throw new GeneralSecurityException("no private key found in " + file);
    }

    private static PrivateKey pkcs8(byte[] der) throws GeneralSecurityException {
        GeneralSecurityException last = null;
        for (String alg : new String[] {"RSA", "EC", "Ed25519", "Ed448", "RSASSA-PSS"}) {
            try {
                return KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException e) {
                last = e;
            }
        }
        throw new GeneralSecurityException("unsupported PKCS#8 private key: " + last.getMessage(), last);
    }

    /** The named-curve OID (its full TLV) from the {@code [0] parameters} of a SEC1 ECPrivateKey. */
    private static byte[] sec1Curve(byte[] der) throws GeneralSecurityException {
        // ECPrivateKey ::= SEQUENCE { version INTEGER, privateKey OCTET STRING, [0] parameters, [1] publicKey }
        int[] seq = header(der, 0);
        int p = seq[0];
        int end = seq[0] + seq[1];
        while (p < end) {
            int tag = der[p] & 0xff;
            int[] h = header(der, p);
            if (tag == 0xa0) {
                byte[] oid = new byte[h[1]];
                System.arraycopy(der, h[0], oid, 0, h[1]);
                if (oid.length == 0 || oid[0] != 0x06) {
                    throw new GeneralSecurityException("EC private key without a named curve");
                }
                return oid;
            }
            p = h[0] + h[1];
        }
        throw new GeneralSecurityException("EC private key without curve parameters");
    }

    /** For the TLV at {@code off}: {start of contents, length}. */
    private static int[] header(byte[] der, int off) throws GeneralSecurityException {
        if (off + 2 > der.length) {
            throw new GeneralSecurityException("truncated DER");
        }
        int len = der[off + 1] & 0xff;
        int p = off + 2;
        if (len >= 0x80) {
            int n = len & 0x7f;
            if (n == 0 || n > 3 || p + n > der.length) {
                throw new GeneralSecurityException("bad DER length");
            }
            len = 0;
            for (int i = 0; i < n; i++) {
                len = (len << 8) | (der[p++] & 0xff);
            }
        }
        if (p + len > der.length) {
            throw new GeneralSecurityException("truncated DER");
        }
        return new int[] {p, len};
    }

    private static byte[] seq(byte[] body) {
        return tlv(0x30, body);
    }

    private static byte[] tlv(int tag, byte[] body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(body.length + 6);
        out.write(tag);
        int n = body.length;
        if (n < 0x80) {
            out.write(n);
        } else if (n < 0x100) {
            out.write(0x81);
            out.write(n);
        } else if (n < 0x10000) {
            out.write(0x82);
            out.write(n >> 8);
            out.write(n);
        } else {
            out.write(0x83);
            out.write(n >> 16);
            out.write(n >> 8);
            out.write(n);
        }
        out.writeBytes(body);
        return out.toByteArray();
    }

    private static byte[] cat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}
