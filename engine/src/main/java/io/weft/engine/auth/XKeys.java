package io.weft.engine.auth;

import io.weft.net.Entropy;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * NATS "xkeys": X25519 keys in nkeys text form ({@code X...} public keys, {@code SX...} seeds,
 * prefix byte 0xB8), and the sealed messages made with them. A sealed message is the four ASCII
 * bytes {@code xkv1}, the 24-byte nonce, then the NaCl box ({@link NaclBox#box}) from the sender's
 * private key to the recipient's public key. The seed's 32 bytes are the X25519 private scalar.
 */
public final class XKeys {
    private static final byte[] VERSION = "xkv1".getBytes(StandardCharsets.US_ASCII);

    private XKeys() {
    }

    /** A new curve key pair whose private key comes from {@code entropy}. */
    public static Nkeys.KeyPair create(Entropy entropy) {
        byte[] raw = new byte[32];
        entropy.nextBytes(raw);
        String seed = Nkeys.encodeSeed(Nkeys.Type.CURVE, raw);
        return new Nkeys.KeyPair(Nkeys.Type.CURVE, seed, publicKey(seed));
    }

    /** The {@code X...} public key of an {@code SX...} seed. */
    public static String publicKey(String seed) {
        return Nkeys.encodePublicKey(Nkeys.Type.CURVE, NaclBox.publicKey(privateKey(seed)));
    }

    /** True when {@code key} is a well-formed public curve key. */
    public static boolean isValidPublicKey(String key) {
        return Nkeys.isValidPublicKey(Nkeys.Type.CURVE, key);
    }

    /** Seals {@code msg} from {@code senderSeed} to {@code recipient} (an {@code X...} key), nonce from {@code entropy}. */
    public static byte[] seal(byte[] msg, String recipient, String senderSeed, Entropy entropy) {
        byte[] nonce = new byte[NaclBox.NONCE_LENGTH];
        entropy.nextBytes(nonce);
        return seal(msg, recipient, senderSeed, nonce);
    }

    /** As {@link #seal(byte[], String, String, Entropy)} with a given nonce (for tests). */
    static byte[] seal(byte[] msg, String recipient, String senderSeed, byte[] nonce) {
        byte[] box = NaclBox.box(msg, nonce, Nkeys.decodePublicKey(Nkeys.Type.CURVE, recipient), privateKey(senderSeed));
        byte[] out = new byte[VERSION.length + nonce.length + box.length];
        System.arraycopy(VERSION, 0, out, 0, VERSION.length);
        System.arraycopy(nonce, 0, out, VERSION.length, nonce.length);
        System.arraycopy(box, 0, out, VERSION.length + nonce.length, box.length);
        return out;
    }

    /**
     * Opens a message sealed by {@code sender} (an {@code X...} key) to {@code recipientSeed};
     * throws IllegalArgumentException with nkeys' words when it cannot.
     */
    public static byte[] open(byte[] sealed, String sender, String recipientSeed) {
        int head = VERSION.length + NaclBox.NONCE_LENGTH;
        if (sealed == null || sealed.length <= head) {
            throw new IllegalArgumentException("nkeys: invalid encrypted data");
        }
        if (!Arrays.equals(sealed, 0, VERSION.length, VERSION, 0, VERSION.length)) {
            throw new IllegalArgumentException("nkeys: encrypted input is not appropriate version");
        }
        byte[] senderKey;
        try {
            senderKey = Nkeys.decodePublicKey(Nkeys.Type.CURVE, sender);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("nkeys: invalid sender");
        }
        byte[] nonce = Arrays.copyOfRange(sealed, VERSION.length, head);
        byte[] msg = NaclBox.boxOpen(Arrays.copyOfRange(sealed, head, sealed.length), nonce, senderKey,
                privateKey(recipientSeed));
        if (msg == null) {
            throw new IllegalArgumentException("nkeys: could not decrypt input");
        }
        return msg;
    }

    private static byte[] privateKey(String seed) {
        if (Nkeys.seedType(seed) != Nkeys.Type.CURVE) {
            throw new NkeyException("not a curve seed");
        }
        return Nkeys.decodeSeed(seed);
    }
}
