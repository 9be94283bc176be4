package io.weft.engine.auth;

import io.weft.net.Entropy;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.SecureRandomSpi;
import java.security.Signature;
import java.security.interfaces.EdECPublicKey;
import java.security.spec.EdECPoint;
import java.security.spec.EdECPrivateKeySpec;
import java.security.spec.EdECPublicKeySpec;
import java.security.spec.NamedParameterSpec;
import java.util.Arrays;
import java.util.Base64;

/**
 * The NATS nkeys text encoding of Ed25519 keys, and signing and verification with them.
 *
 * <p>A public key is base32 (RFC 4648 alphabet, no padding) of one prefix byte, the 32-byte
 * Ed25519 public key and a CRC16 (XMODEM polynomial 0x1021, initial value 0) of the preceding
 * bytes, stored little-endian: 35 bytes, 56 characters, the first of which names the type
 * ({@code U} user, {@code A} account, {@code N} server, {@code O} operator, {@code C} cluster).
 * A seed is two prefix bytes carrying {@code S} and the type, the 32-byte Ed25519 seed and the
 * CRC: 36 bytes, 58 characters ({@code SU...} for a user seed).
 *
 * <p>Only the JDK's Ed25519 provider is used. Stateless; every method is thread-safe.
 */
public final class Nkeys {
    private Nkeys() {
    }

    /** Key roles and the prefix byte of each (the letter's base32 value shifted left by 3). */
    public enum Type {
        USER('U'), ACCOUNT('A'), SERVER('N'), OPERATOR('O'), CLUSTER('C'),
        /** An X25519 key for encryption ({@link XKeys}), not for signatures. */
        CURVE('X');

        private final char letter;
        private final int prefix;

        Type(char letter) {
            this.letter = letter;
            this.prefix = ALPHABET.indexOf(letter) << 3;
        }

        public char letter() {
            return letter;
        }

        int prefix() {
            return prefix;
        }

        static Type ofPrefix(int prefixByte) {
            for (Type type : values()) {
                if (type.prefix == prefixByte) {
                    return type;
                }
            }
            return null;
        }
    }

    /** A freshly made key pair in nkeys text form. */
    public record KeyPair(Type type, String seed, String publicKey) {
        @Override
        public String toString() {
            return "KeyPair[" + type + ", " + publicKey + "]";
        }
    }

    static final String ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    private static final int SEED_PREFIX = 18 << 3; // 'S'
    private static final int KEY_LENGTH = 32;
    private static final int SIGNATURE_LENGTH = 64;
    private static final BigInteger FIELD_PRIME = BigInteger.TWO.pow(255).subtract(BigInteger.valueOf(19));

    // ---------------------------------------------------------------- public keys

    /** The 32 raw key bytes of a public key of the given type; throws NkeyException when invalid. */
    public static byte[] decodePublicKey(Type expected, String key) {
        byte[] raw = decodeChecked(key, 1 + KEY_LENGTH + 2);
        Type type = Type.ofPrefix(raw[0] & 0xff);
        if (type == null) {
            throw new NkeyException("invalid public key prefix");
        }
        if (type != expected) {
            throw new NkeyException("expected a " + expected + " public key, got " + type);
        }
        return Arrays.copyOfRange(raw, 1, 1 + KEY_LENGTH);
    }

    /** True when {@code key} is a well-formed public user key ({@code U...} with a valid CRC). */
    public static boolean isValidPublicUserKey(String key) {
        try {
            decodePublicKey(Type.USER, key);
            return true;
        } catch (NkeyException e) {
            return false;
        }
    }

    /** True when {@code key} is a well-formed public key of {@code type} (prefix and CRC). */
    public static boolean isValidPublicKey(Type type, String key) {
        try {
            decodePublicKey(type, key);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** Text form of a raw 32-byte public key. */
    public static String encodePublicKey(Type type, byte[] rawKey) {
        requireLength(rawKey, KEY_LENGTH, "public key");
        byte[] body = new byte[1 + KEY_LENGTH];
        body[0] = (byte) type.prefix();
        System.arraycopy(rawKey, 0, body, 1, KEY_LENGTH);
        return encodeChecked(body);
    }

    // ---------------------------------------------------------------- seeds

    /** The type encoded in a seed ({@code SU...} is USER). */
    public static Type seedType(String seed) {
        return seedTypeOf(decodeChecked(seed, 2 + KEY_LENGTH + 2));
    }

    /** The 32-byte Ed25519 seed inside an nkeys seed; throws NkeyException when invalid. */
    public static byte[] decodeSeed(String seed) {
        byte[] raw = decodeChecked(seed, 2 + KEY_LENGTH + 2);
        seedTypeOf(raw);
        return Arrays.copyOfRange(raw, 2, 2 + KEY_LENGTH);
    }

    /** Text form of a 32-byte Ed25519 seed. */
    public static String encodeSeed(Type type, byte[] rawSeed) {
        requireLength(rawSeed, KEY_LENGTH, "seed");
        byte[] body = new byte[2 + KEY_LENGTH];
        body[0] = (byte) (SEED_PREFIX | (type.prefix() >> 5));
        body[1] = (byte) ((type.prefix() & 31) << 3);
        System.arraycopy(rawSeed, 0, body, 2, KEY_LENGTH);
        return encodeChecked(body);
    }

    /** The public key (text form) belonging to a seed. */
    public static String publicKeyFromSeed(String seed) {
        byte[] raw = decodeChecked(seed, 2 + KEY_LENGTH + 2);
        Type type = seedTypeOf(raw);
        if (type == Type.CURVE) {
            return XKeys.publicKey(seed);
        }
        return encodePublicKey(type, rawPublicKey(Arrays.copyOfRange(raw, 2, 2 + KEY_LENGTH)));
    }

    /** A new key pair of the given type whose seed comes from {@code entropy}. */
    public static KeyPair create(Type type, Entropy entropy) {
        byte[] rawSeed = new byte[KEY_LENGTH];
        entropy.nextBytes(rawSeed);
        String seed = encodeSeed(type, rawSeed);
        return new KeyPair(type, seed, encodePublicKey(type, rawPublicKey(rawSeed)));
    }

    /** A new user key pair ({@code SU...}, {@code U...}). */
    public static KeyPair createUser(Entropy entropy) {
        return create(Type.USER, entropy);
    }

    // ---------------------------------------------------------------- signatures

    /** The 64-byte Ed25519 signature of {@code data} by the key of {@code seed}. */
    public static byte[] sign(String seed, byte[] data) {
        try {
            PrivateKey key = KeyFactory.getInstance("Ed25519")
                    .generatePrivate(new EdECPrivateKeySpec(NamedParameterSpec.ED25519, decodeSeed(seed)));
            Signature signer = Signature.getInstance("Ed25519");
            signer.initSign(key);
            signer.update(data);
            return signer.sign();
        } catch (GeneralSecurityException e) {
            throw new NkeyException("cannot sign", e);
        }
    }

    /** True when {@code signature} is a valid Ed25519 signature of {@code data} by {@code publicKey}. */
    public static boolean verify(String publicKey, byte[] data, byte[] signature) {
        if (signature == null || signature.length != SIGNATURE_LENGTH) {
            return false;
        }
        Type type = publicKeyType(publicKey);
        if (type == null) {
            return false;
        }
        try {
            PublicKey key = KeyFactory.getInstance("Ed25519")
                    .generatePublic(new EdECPublicKeySpec(NamedParameterSpec.ED25519, toPoint(decodePublicKey(type, publicKey))));
            Signature verifier = Signature.getInstance("Ed25519");
            verifier.initVerify(key);
            verifier.update(data);
            return verifier.verify(signature);
        } catch (GeneralSecurityException | NkeyException e) {
            return false;
        }
    }

    /**
     * Checks the {@code sig} field of a CONNECT: the signature of the nonce's ASCII bytes, as
     * nats-server accepts it: base64url without padding, or else standard base64 with padding.
     */
    public static boolean verifyNonceSignature(String publicKey, String nonce, String sig) {
        if (publicKey == null || nonce == null || sig == null || sig.isEmpty()) {
            return false;
        }
        byte[] signature = decodeSignature(sig);
        return signature != null && verify(publicKey, nonce.getBytes(StandardCharsets.US_ASCII), signature);
    }

    /** Text form of a signature as clients send it in CONNECT (base64url, no padding). */
    public static String encodeSignature(byte[] signature) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(signature);
    }

    /** Decodes a CONNECT {@code sig}: raw base64url first, then padded standard base64; null if neither. */
    static byte[] decodeSignature(String sig) {
        if (sig.indexOf('=') < 0) {
            try {
                return Base64.getUrlDecoder().decode(sig);
            } catch (IllegalArgumentException e) {
                // fall through to standard base64
            }
        }
        if (sig.length() % 4 != 0) {
            return null;
        }
        try {
            return Base64.getDecoder().decode(sig);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    // ---------------------------------------------------------------- internals

    private static Type publicKeyType(String key) {
        if (key == null || key.isEmpty()) {
            return null;
        }
        for (Type type : Type.values()) {
            if (type.letter() == key.charAt(0)) {
                return type;
            }
        }
        return null;
    }

    private static Type seedTypeOf(byte[] raw) {
        int b0 = raw[0] & 0xff;
        int b1 = raw[1] & 0xff;
        if ((b0 & 0xf8) != SEED_PREFIX) {
            throw new NkeyException("not a seed");
        }
        Type type = Type.ofPrefix(((b0 & 7) << 5) | ((b1 & 0xf8) >> 3));
        if (type == null || (b1 & 7) != 0) {
            throw new NkeyException("invalid seed type");
        }
        return type;
    }

    /** Derives the raw Ed25519 public key by letting the JDK generate a key pair from the fixed seed. */
    private static byte[] rawPublicKey(byte[] rawSeed) {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("Ed25519");
            generator.initialize(NamedParameterSpec.ED25519, new FixedBytes(rawSeed));
            EdECPublicKey pub = (EdECPublicKey) generator.generateKeyPair().getPublic();
            return fromPoint(pub.getPoint());
        } catch (GeneralSecurityException e) {
            throw new NkeyException("cannot derive public key", e);
        }
    }

    /** RFC 8032 encoding: y little-endian, top bit of the last byte = x is odd. */
    private static byte[] fromPoint(EdECPoint point) {
        byte[] bigEndian = point.getY().toByteArray();
        byte[] out = new byte[KEY_LENGTH];
        for (int i = 0; i < bigEndian.length && i < KEY_LENGTH; i++) {
            out[i] = bigEndian[bigEndian.length - 1 - i];
        }
        if (point.isXOdd()) {
            out[KEY_LENGTH - 1] |= (byte) 0x80;
        }
        return out;
    }

    private static EdECPoint toPoint(byte[] raw) {
        byte[] bigEndian = new byte[KEY_LENGTH];
        for (int i = 0; i < KEY_LENGTH; i++) {
            bigEndian[i] = raw[KEY_LENGTH - 1 - i];
        }
        boolean xOdd = (bigEndian[0] & 0x80) != 0;
        bigEndian[0] &= 0x7f;
        BigInteger y = new BigInteger(1, bigEndian);
        if (y.compareTo(FIELD_PRIME) >= 0) {
            throw new NkeyException("public key out of range");
        }
        return new EdECPoint(xOdd, y);
    }

    private static String encodeChecked(byte[] body) {
        int crc = crc16(body, body.length);
        byte[] full = Arrays.copyOf(body, body.length + 2);
        full[body.length] = (byte) crc;
        full[body.length + 1] = (byte) (crc >>> 8);
        return base32Encode(full);
    }

    private static byte[] decodeChecked(String text, int expectedBytes) {
        if (text == null) {
            throw new NkeyException("missing key");
        }
        byte[] raw = base32Decode(text);
        if (raw.length != expectedBytes) {
            throw new NkeyException("invalid key length");
        }
        int n = raw.length - 2;
        int stored = (raw[n] & 0xff) | (raw[n + 1] & 0xff) << 8;
        if (stored != crc16(raw, n)) {
            throw new NkeyException("invalid checksum");
        }
        return raw;
    }

    /** CRC16 as nkeys computes it: polynomial 0x1021, initial value 0, no reflection (XMODEM). */
    static int crc16(byte[] data, int length) {
        int crc = 0;
        for (int i = 0; i < length; i++) {
            crc ^= (data[i] & 0xff) << 8;
            for (int bit = 0; bit < 8; bit++) {
                crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1;
            }
            crc &= 0xffff;
        }
        return crc;
    }

    static String base32Encode(byte[] data) {
        StringBuilder out = new StringBuilder((data.length * 8 + 4) / 5);
        int buffer = 0;
        int bits = 0;
        for (byte b : data) {
            buffer = (buffer << 8) | (b & 0xff);
            bits += 8;
            while (bits >= 5) {
                bits -= 5;
                out.append(ALPHABET.charAt((buffer >>> bits) & 31));
            }
        }
        if (bits > 0) {
            out.append(ALPHABET.charAt((buffer << (5 - bits)) & 31));
        }
        return out.toString();
    }

    static byte[] base32Decode(String text) {
        byte[] out = new byte[text.length() * 5 / 8];
        int buffer = 0;
        int bits = 0;
        int n = 0;
        for (int i = 0; i < text.length(); i++) {
            int v = ALPHABET.indexOf(text.charAt(i));
            if (v < 0) {
                throw new NkeyException("invalid base32 character");
            }
            buffer = (buffer << 5) | v;
            bits += 5;
            if (bits >= 8) {
                bits -= 8;
                out[n++] = (byte) (buffer >>> bits);
            }
        }
        if (bits >= 5 || (buffer & ((1 << bits) - 1)) != 0) {
            throw new NkeyException("invalid base32 length or padding bits");
        }
        return out;
    }

    private static void requireLength(byte[] bytes, int length, String what) {
        if (bytes == null || bytes.length != length) {
            throw new NkeyException(what + " must be " + length + " bytes");
        }
    }

    /**
     * Hands the JDK key generator a fixed seed instead of fresh randomness (the generator takes its
     * 32 private bytes from the random source). Built on its own SPI so no system PRNG is touched.
     */
    private static final class FixedBytes extends SecureRandom {
        private static final long serialVersionUID = 1L;

        FixedBytes(byte[] bytes) {
            super(new FixedSpi(bytes), null);
        }
    }

    private static final class FixedSpi extends SecureRandomSpi {
        private static final long serialVersionUID = 1L;
        private final byte[] bytes;

        FixedSpi(byte[] bytes) {
            this.bytes = bytes.clone();
        }

        @Override
        protected void engineSetSeed(byte[] seed) {
            throw new UnsupportedOperationException();
        }

        @Override
        protected void engineNextBytes(byte[] out) {
            if (out.length != bytes.length) {
                throw new IllegalStateException("unexpected request for " + out.length + " bytes");
            }
            System.arraycopy(bytes, 0, out, 0, out.length);
        }

        @Override
        protected byte[] engineGenerateSeed(int numBytes) {
            throw new UnsupportedOperationException();
        }
    }
}
