package io.weft.engine.auth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.net.Entropy;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The published test vectors: RFC 8439 section 2.5.2 (Poly1305), RFC 7748 section 6.1 (X25519),
 * and the worked example of Bernstein's "Cryptography in NaCl" (sections 2 to 9: Alice's secret
 * key, Bob's public key, the nonce, firstkey, secondkey, the key stream and the 131-byte box).
 */
class NaclBoxTest {
    static final HexFormat HEX = HexFormat.of();

    static final byte[] ALICE_SK = HEX.parseHex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
    static final byte[] ALICE_PK = HEX.parseHex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
    static final byte[] BOB_SK = HEX.parseHex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
    static final byte[] BOB_PK = HEX.parseHex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
    static final byte[] SHARED = HEX.parseHex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
    static final byte[] FIRSTKEY = HEX.parseHex("1b27556473e985d462cd51197a9a46c76009549eac6474f206c4ee0844f68389");
    static final byte[] SECONDKEY = HEX.parseHex("dc908dda0b9344a953629b733820778880f3ceb421bb61b91cbd4c3e66256ce4");
    static final byte[] NONCE = HEX.parseHex("69696ee955b62b73cd62bda875fc73d68219e0036b7a0b37");
    static final byte[] MESSAGE = HEX.parseHex(
            "be075fc53c81f2d5cf141316ebeb0c7b5228c52a4c62cbd44b66849b64244ffc"
            + "e5ecbaaf33bd751a1ac728d45e6c61296cdc3c01233561f41db66cce314adb31"
            + "0e3be8250c46f06dceea3a7fa1348057e2f6556ad6b1318a024a838f21af1fde"
            + "048977eb48f59ffd4924ca1c60902e52f0a089bc76897040e082f93776384864"
            + "5e0705");
    static final byte[] BOXED = HEX.parseHex(
            "f3ffc7703f9400e52a7dfb4b3d3305d98e993b9f48681273c29650ba32fc76ce"
            + "48332ea7164d96a4476fb8c531a1186ac0dfc17c98dce87b4da7f011ec48c972"
            + "71d2c20f9b928fe2270d6fb863d51738b48eeee314a7cc8ab932164548e526ae"
            + "90224368517acfeabd6bb3732bc0e9da99832b61ca01b6de56244a9e88d5f9b3"
            + "7973f622a43d14a6599b1f654cb45a74e355a5");

    @Test
    void poly1305Rfc8439Section252() {
        byte[] key = HEX.parseHex("85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b");
        byte[] msg = "Cryptographic Forum Research Group".getBytes(StandardCharsets.US_ASCII);
        assertEquals("a8061dc1305136c6c22b8baf0c0127a9", HEX.formatHex(NaclBox.poly1305(key, msg, 0, msg.length)));
    }

    @Test
    void x25519Rfc7748Section61() {
        assertArrayEquals(ALICE_PK, NaclBox.publicKey(ALICE_SK));
        assertArrayEquals(BOB_PK, NaclBox.publicKey(BOB_SK));
        assertArrayEquals(SHARED, NaclBox.x25519(ALICE_SK, BOB_PK));
        assertArrayEquals(SHARED, NaclBox.x25519(BOB_SK, ALICE_PK));
    }

    @Test
    void hsalsa20NaclPaperFirstAndSecondKey() {
        assertArrayEquals(FIRSTKEY, NaclBox.hsalsa20(SHARED, new byte[16]));
        assertArrayEquals(FIRSTKEY, NaclBox.sharedKey(BOB_PK, ALICE_SK));
        assertArrayEquals(FIRSTKEY, NaclBox.sharedKey(ALICE_PK, BOB_SK));
        assertArrayEquals(SECONDKEY, NaclBox.hsalsa20(FIRSTKEY, java.util.Arrays.copyOf(NONCE, 16)));
    }

    @Test
    void xsalsa20NaclPaperStreamStart() {
        assertEquals("eea6a7251c1e72916d11c2cb214d3c252539121d8e234e652d651fa4c8cff880",
                HEX.formatHex(NaclBox.xsalsa20Stream(FIRSTKEY, NONCE, 32)));
        // a longer stream starts with the same bytes (block counter from 0)
        byte[] longer = NaclBox.xsalsa20Stream(FIRSTKEY, NONCE, 200);
        assertArrayEquals(NaclBox.xsalsa20Stream(FIRSTKEY, NONCE, 32), java.util.Arrays.copyOf(longer, 32));
    }

    @Test
    void boxNaclPaperExample() {
        assertArrayEquals(BOXED, NaclBox.box(MESSAGE, NONCE, BOB_PK, ALICE_SK));
        assertArrayEquals(MESSAGE, NaclBox.boxOpen(BOXED, NONCE, ALICE_PK, BOB_SK));
        assertArrayEquals(BOXED, NaclBox.secretbox(MESSAGE, NONCE, FIRSTKEY));
    }

    @Test
    void tamperedBoxesDoNotOpen() {
        for (int i = 0; i < BOXED.length; i += 7) {
            byte[] bad = BOXED.clone();
            bad[i] ^= 1;
            assertNull(NaclBox.boxOpen(bad, NONCE, ALICE_PK, BOB_SK), "flipped byte " + i);
        }
        byte[] otherNonce = NONCE.clone();
        otherNonce[23] ^= 1;
        assertNull(NaclBox.boxOpen(BOXED, otherNonce, ALICE_PK, BOB_SK));
        assertNull(NaclBox.boxOpen(new byte[10], NONCE, ALICE_PK, BOB_SK));
    }

    @Test
    void xkeysSealAndOpenBetweenTwoPairs() {
        Entropy entropy = entropy(7);
        Nkeys.KeyPair server = XKeys.create(entropy);
        Nkeys.KeyPair service = XKeys.create(entropy);
        assertTrue(server.publicKey().startsWith("X"));
        assertTrue(server.seed().startsWith("SX"));
        assertTrue(XKeys.isValidPublicKey(server.publicKey()));
        assertEquals(server.publicKey(), Nkeys.publicKeyFromSeed(server.seed()));
        byte[] msg = "eyJhbGciOi...".getBytes(StandardCharsets.US_ASCII);
        byte[] sealed = XKeys.seal(msg, service.publicKey(), server.seed(), entropy);
        assertEquals("xkv1", new String(sealed, 0, 4, StandardCharsets.US_ASCII));
        assertEquals(4 + 24 + 16 + msg.length, sealed.length);
        assertArrayEquals(msg, XKeys.open(sealed, server.publicKey(), service.seed()));
        Nkeys.KeyPair stranger = XKeys.create(entropy);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> XKeys.open(sealed, stranger.publicKey(), service.seed()));
        assertEquals("nkeys: could not decrypt input", e.getMessage());
        byte[] v2 = sealed.clone();
        v2[3] = '2';
        assertThrows(IllegalArgumentException.class, () -> XKeys.open(v2, server.publicKey(), service.seed()));
    }

    @Test
    void xkeysWithTheNaclPaperKeys() {
        String alice = Nkeys.encodeSeed(Nkeys.Type.CURVE, ALICE_SK);
        String bob = Nkeys.encodeSeed(Nkeys.Type.CURVE, BOB_SK);
        assertEquals(Nkeys.encodePublicKey(Nkeys.Type.CURVE, BOB_PK), XKeys.publicKey(bob));
        byte[] sealed = XKeys.seal(MESSAGE, XKeys.publicKey(bob), alice, NONCE);
        assertArrayEquals(BOXED, java.util.Arrays.copyOfRange(sealed, 28, sealed.length));
        assertArrayEquals(MESSAGE, XKeys.open(sealed, XKeys.publicKey(alice), bob));
    }

    @Test
    void adrExampleXkeyIsAValidCurveKey() {
        assertTrue(XKeys.isValidPublicKey("XAB3NANV3M6N7AHSQP2U5FRWKKUT7EG2ZXXABV4XVXYQRJGM4S2CZGHT"));
    }

    static Entropy entropy(long seed) {
        Random r = new Random(seed);
        return new Entropy() {
            public long nextLong() {
                return r.nextLong();
            }

            public int nextInt(int bound) {
                return r.nextInt(bound);
            }

            public void nextBytes(byte[] bytes) {
                r.nextBytes(bytes);
            }
        };
    }
}
