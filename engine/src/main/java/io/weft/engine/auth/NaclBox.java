package io.weft.engine.auth;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.spec.NamedParameterSpec;
import java.security.spec.XECPrivateKeySpec;
import java.security.spec.XECPublicKeySpec;
import java.util.Arrays;
import javax.crypto.KeyAgreement;

/**
 * NaCl's {@code crypto_box} (Curve25519, XSalsa20 and Poly1305), written from the published
 * descriptions: Bernstein's "Salsa20 specification" (the core and its rounds), "Extending the
 * Salsa20 nonce" (HSalsa20 and XSalsa20), "Cryptography in NaCl" (how box and secretbox put them
 * together) and RFC 8439 section 2.5 (Poly1305). Curve25519 is the JDK's X25519 ({@code XDH}).
 *
 * <p>A box is {@code tag(16) || ciphertext}; the ciphertext is the message XORed with the XSalsa20
 * key stream after its first 32 bytes, which are the one-time Poly1305 key.
 *
 * <p>No state, no randomness: callers supply the 24-byte nonce.
 */
public final class NaclBox {
    public static final int KEY_LENGTH = 32;
    public static final int NONCE_LENGTH = 24;
    public static final int TAG_LENGTH = 16;

    private static final int[] SIGMA = {0x61707865, 0x3320646e, 0x79622d32, 0x6b206574}; // "expand 32-byte k"
    private static final BigInteger P1305 = BigInteger.ONE.shiftLeft(130).subtract(BigInteger.valueOf(5));
    private static final BigInteger MASK128 = BigInteger.ONE.shiftLeft(128).subtract(BigInteger.ONE);
    private static final BigInteger CLAMP = new BigInteger("0ffffffc0ffffffc0ffffffc0fffffff", 16);

    private NaclBox() {
    }

    // ---------------------------------------------------------------- Salsa20

    /** The 20 rounds (10 double rounds: a column round, then a row round) on 16 words in place. */
    private static void rounds(int[] x) {
        for (int i = 0; i < 10; i++) {
            quarter(x, 0, 4, 8, 12);
            quarter(x, 5, 9, 13, 1);
            quarter(x, 10, 14, 2, 6);
            quarter(x, 15, 3, 7, 11);
            quarter(x, 0, 1, 2, 3);
            quarter(x, 5, 6, 7, 4);
            quarter(x, 10, 11, 8, 9);
            quarter(x, 15, 12, 13, 14);
        }
    }

    /** The quarter round on (y0, y1, y2, y3) = x[a], x[b], x[c], x[d]. */
    private static void quarter(int[] x, int a, int b, int c, int d) {
        x[b] ^= Integer.rotateLeft(x[a] + x[d], 7);
        x[c] ^= Integer.rotateLeft(x[b] + x[a], 9);
        x[d] ^= Integer.rotateLeft(x[c] + x[b], 13);
        x[a] ^= Integer.rotateLeft(x[d] + x[c], 18);
    }

    /** The 16 input words of the 32-byte-key expansion: constants on the diagonal, key, then the 16 bytes {@code in}. */
    private static int[] input(byte[] key, byte[] in16) {
        int[] x = new int[16];
        x[0] = SIGMA[0];
        x[5] = SIGMA[1];
        x[10] = SIGMA[2];
        x[15] = SIGMA[3];
        for (int i = 0; i < 4; i++) {
            x[1 + i] = le32(key, 4 * i);
            x[11 + i] = le32(key, 16 + 4 * i);
            x[6 + i] = le32(in16, 4 * i);
        }
        return x;
    }

    /** HSalsa20: the rounds without the final addition; words 0, 5, 10, 15, 6, 7, 8, 9 out. */
    static byte[] hsalsa20(byte[] key, byte[] in16) {
        int[] x = input(key, in16);
        rounds(x);
        byte[] out = new byte[32];
        int[] pick = {0, 5, 10, 15, 6, 7, 8, 9};
        for (int i = 0; i < 8; i++) {
            putLe32(out, 4 * i, x[pick[i]]);
        }
        return out;
    }

    /** {@code len} bytes of the Salsa20 key stream for a 32-byte key and an 8-byte nonce, block counter from 0. */
    static byte[] salsa20Stream(byte[] key, byte[] nonce8, int len) {
        byte[] out = new byte[len];
        byte[] in = new byte[16];
        System.arraycopy(nonce8, 0, in, 0, 8);
        long counter = 0;
        for (int off = 0; off < len; off += 64, counter++) {
            for (int i = 0; i < 8; i++) {
                in[8 + i] = (byte) (counter >>> (8 * i));
            }
            int[] start = input(key, in);
            int[] x = start.clone();
            rounds(x);
            byte[] block = new byte[64];
            for (int i = 0; i < 16; i++) {
                putLe32(block, 4 * i, x[i] + start[i]);
            }
            System.arraycopy(block, 0, out, off, Math.min(64, len - off));
        }
        return out;
    }

    /** XSalsa20: Salsa20 under the HSalsa20 subkey of the nonce's first 16 bytes, with its last 8. */
    static byte[] xsalsa20Stream(byte[] key, byte[] nonce24, int len) {
        byte[] sub = hsalsa20(key, Arrays.copyOfRange(nonce24, 0, 16));
        return salsa20Stream(sub, Arrays.copyOfRange(nonce24, 16, 24), len);
    }

    // ---------------------------------------------------------------- Poly1305

    /** RFC 8439 Poly1305 of {@code msg} under the 32-byte one-time key (r, then s). */
    static byte[] poly1305(byte[] key, byte[] msg, int off, int len) {
        BigInteger r = leNumber(key, 0, 16).and(CLAMP);
        BigInteger s = leNumber(key, 16, 16);
        BigInteger acc = BigInteger.ZERO;
        for (int i = 0; i < len; i += 16) {
            int n = Math.min(16, len - i);
            BigInteger block = leNumber(msg, off + i, n).setBit(8 * n);
            acc = acc.add(block).multiply(r).mod(P1305);
        }
        BigInteger tag = acc.add(s).and(MASK128);
        byte[] out = new byte[16];
        byte[] be = tag.toByteArray();
        for (int i = 0; i < 16 && i < be.length; i++) {
            out[i] = be[be.length - 1 - i];
        }
        return out;
    }

    // ---------------------------------------------------------------- secretbox and box

    /** {@code crypto_secretbox}: tag || ciphertext of {@code msg} under a 32-byte key and 24-byte nonce. */
    public static byte[] secretbox(byte[] msg, byte[] nonce, byte[] key) {
        requireLength(nonce, NONCE_LENGTH, "nonce");
        requireLength(key, KEY_LENGTH, "key");
        byte[] stream = xsalsa20Stream(key, nonce, 32 + msg.length);
        byte[] out = new byte[TAG_LENGTH + msg.length];
        for (int i = 0; i < msg.length; i++) {
            out[TAG_LENGTH + i] = (byte) (msg[i] ^ stream[32 + i]);
        }
        byte[] tag = poly1305(Arrays.copyOf(stream, 32), out, TAG_LENGTH, msg.length);
        System.arraycopy(tag, 0, out, 0, TAG_LENGTH);
        return out;
    }

    /** {@code crypto_secretbox_open}: the message, or null when the box is too short or its tag does not verify. */
    public static byte[] secretboxOpen(byte[] box, byte[] nonce, byte[] key) {
        requireLength(nonce, NONCE_LENGTH, "nonce");
        requireLength(key, KEY_LENGTH, "key");
        if (box == null || box.length < TAG_LENGTH) {
            return null;
        }
        int n = box.length - TAG_LENGTH;
        byte[] stream = xsalsa20Stream(key, nonce, 32 + n);
        byte[] tag = poly1305(Arrays.copyOf(stream, 32), box, TAG_LENGTH, n);
        if (!MessageDigest.isEqual(tag, Arrays.copyOf(box, TAG_LENGTH))) {
            return null;
        }
        byte[] msg = new byte[n];
        for (int i = 0; i < n; i++) {
            msg[i] = (byte) (box[TAG_LENGTH + i] ^ stream[32 + i]);
        }
        return msg;
    }

    /** {@code crypto_box_beforenm}: HSalsa20 of the X25519 shared secret with a zero input. */
    public static byte[] sharedKey(byte[] theirPublic, byte[] ourPrivate) {
        return hsalsa20(x25519(ourPrivate, theirPublic), new byte[16]);
    }

    /** {@code crypto_box}: seals {@code msg} from {@code ourPrivate} to {@code theirPublic}. */
    public static byte[] box(byte[] msg, byte[] nonce, byte[] theirPublic, byte[] ourPrivate) {
        return secretbox(msg, nonce, sharedKey(theirPublic, ourPrivate));
    }

    /** {@code crypto_box_open}: the message, or null when it does not verify. */
    public static byte[] boxOpen(byte[] box, byte[] nonce, byte[] theirPublic, byte[] ourPrivate) {
        return secretboxOpen(box, nonce, sharedKey(theirPublic, ourPrivate));
    }

    // ---------------------------------------------------------------- X25519 (the JDK's)

    /** RFC 7748 X25519 of a 32-byte scalar (clamped by the JDK) and a 32-byte u-coordinate. */
    public static byte[] x25519(byte[] scalar, byte[] u) {
        requireLength(scalar, KEY_LENGTH, "private key");
        requireLength(u, KEY_LENGTH, "public key");
        try {
            KeyFactory kf = KeyFactory.getInstance("XDH");
            PrivateKey priv = kf.generatePrivate(new XECPrivateKeySpec(NamedParameterSpec.X25519, scalar.clone()));
            byte[] masked = u.clone();
            masked[31] &= 0x7f; // RFC 7748: the top bit of the u-coordinate is ignored
            PublicKey pub = kf.generatePublic(new XECPublicKeySpec(NamedParameterSpec.X25519, leNumber(masked, 0, 32)));
            KeyAgreement ka = KeyAgreement.getInstance("XDH");
            ka.init(priv);
            ka.doPhase(pub, true);
            return ka.generateSecret();
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("X25519 failed: " + e.getMessage(), e);
        }
    }

    /** The X25519 public key of a private scalar: its product with the base point u = 9. */
    public static byte[] publicKey(byte[] scalar) {
        byte[] nine = new byte[32];
        nine[0] = 9;
        return x25519(scalar, nine);
    }

    // ---------------------------------------------------------------- bytes

    private static int le32(byte[] b, int off) {
        return (b[off] & 0xff) | (b[off + 1] & 0xff) << 8 | (b[off + 2] & 0xff) << 16 | (b[off + 3] & 0xff) << 24;
    }

    private static void putLe32(byte[] b, int off, int v) {
        b[off] = (byte) v;
        b[off + 1] = (byte) (v >>> 8);
        b[off + 2] = (byte) (v >>> 16);
        b[off + 3] = (byte) (v >>> 24);
    }

    private static BigInteger leNumber(byte[] b, int off, int len) {
        byte[] be = new byte[len + 1]; // leading zero: never negative
        for (int i = 0; i < len; i++) {
            be[len - i] = b[off + i];
        }
        return new BigInteger(be);
    }

    private static void requireLength(byte[] b, int len, String what) {
        if (b == null || b.length != len) {
            throw new IllegalArgumentException(what + " must be " + len + " bytes");
        }
    }
}
