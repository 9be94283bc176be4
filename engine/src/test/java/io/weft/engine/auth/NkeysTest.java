package io.weft.engine.auth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.net.Entropy;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Random;
import org.junit.jupiter.api.Test;

class NkeysTest {
    // Seed/public pairs printed in the NATS documentation (nk -gen user, nsc list keys).
    static final String DOC_USER_SEED = "SUACSSL3UAHUDXKFSNVUZRF5UHPMWZ6BFDTJ7M6USDXIEDNPPQYYYCU3VY";
    static final String DOC_USER_PUB = "UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4";
    static final String NSC_USER_SEED = "SUAP2AY6UAWHOXJBWDNRNKJ2DHNC5VA2DFJZTF6C6PMLKUCOS2H2E2BA2E";
    static final String NSC_USER_PUB = "UAWBXLSZVZHNDIURY52F6WETFCFZLXYUEFJAHRXDW7D2K4445IY4BVXP";
    static final String NSC_ACCOUNT_SEED = "SAAACXWSQIKJ4L2SEAUZJR3BCNSRCN32V5UJSABCSEP35Q7LQRPV6F4JPI";
    static final String NSC_ACCOUNT_PUB = "AD2M34WBNGQFYK37IDX53DPRG74RLLT7FFWBOBMBUXMAVBCVAU5VKWIY";
    static final String NSC_OPERATOR_SEED = "SOAJ3JDZBE6JKJO277CQP5RIAA7I7HBI44RDCMTIV3TQRYQX35OTXSMHAE";
    static final String NSC_OPERATOR_PUB = "ODSWWTKZLRDFBPXNMNAY7XB2BIJ45SV756BHUT7GX6JQH6W7AHVAFX6C";
    // Signature of this nonce by DOC_USER_SEED, made by Python's cryptography package and
    // accepted by nats-server 2.9.10 in a CONNECT (see README-facts.md).
    static final String NONCE = "PJEWaEhyQIAo5qk";
    static final String NONCE_SIG = "qVOvRyMN8T_EjSZpAvmsFOogaSKMm3Mozxq1ODXH-K2tl6xrp9oUkxvEI-ky0_skPbHaWs_QoAo0VP7SOCGQBA";

    @Test
    void derivesDocumentedPublicKeysFromSeeds() {
        assertEquals(DOC_USER_PUB, Nkeys.publicKeyFromSeed(DOC_USER_SEED));
        assertEquals(NSC_USER_PUB, Nkeys.publicKeyFromSeed(NSC_USER_SEED));
        assertEquals(NSC_ACCOUNT_PUB, Nkeys.publicKeyFromSeed(NSC_ACCOUNT_SEED));
        assertEquals(NSC_OPERATOR_PUB, Nkeys.publicKeyFromSeed(NSC_OPERATOR_SEED));
        assertEquals(Nkeys.Type.USER, Nkeys.seedType(DOC_USER_SEED));
        assertEquals(Nkeys.Type.ACCOUNT, Nkeys.seedType(NSC_ACCOUNT_SEED));
        assertEquals(Nkeys.Type.OPERATOR, Nkeys.seedType(NSC_OPERATOR_SEED));
    }

    @Test
    void validatesDocumentedPublicUserKeys() {
        assertTrue(Nkeys.isValidPublicUserKey(DOC_USER_PUB));
        assertTrue(Nkeys.isValidPublicUserKey("UDBD5FNQPSLIO6CDMIS5D4EBNFKYWVDNULQTFTUZJXWFNYLGFF52VZN7"));
        assertFalse(Nkeys.isValidPublicUserKey(NSC_ACCOUNT_PUB), "account key is not a user key");
        assertFalse(Nkeys.isValidPublicUserKey(DOC_USER_SEED), "a seed is not a public key");
        assertFalse(Nkeys.isValidPublicUserKey(""));
        assertFalse(Nkeys.isValidPublicUserKey(null));
        assertFalse(Nkeys.isValidPublicUserKey(DOC_USER_PUB.substring(1)));
        assertFalse(Nkeys.isValidPublicUserKey(DOC_USER_PUB.toLowerCase()));
    }

    @Test
    void corruptedCharacterFailsTheChecksum() {
        for (int i = 1; i < DOC_USER_PUB.length(); i += 7) {
            char c = DOC_USER_PUB.charAt(i);
            String corrupted = DOC_USER_PUB.substring(0, i) + (c == 'A' ? 'B' : 'A') + DOC_USER_PUB.substring(i + 1);
            assertFalse(Nkeys.isValidPublicUserKey(corrupted), corrupted);
        }
        String badSeed = DOC_USER_SEED.substring(0, 10) + (DOC_USER_SEED.charAt(10) == 'A' ? 'B' : 'A') + DOC_USER_SEED.substring(11);
        NkeyException e = assertThrows(NkeyException.class, () -> Nkeys.decodeSeed(badSeed));
        assertTrue(e.getMessage().contains("checksum"), e.getMessage());
    }

    @Test
    void wrongPrefixIsRejectedEvenWithAValidChecksum() {
        byte[] raw = Nkeys.decodePublicKey(Nkeys.Type.USER, DOC_USER_PUB);
        String asAccount = Nkeys.encodePublicKey(Nkeys.Type.ACCOUNT, raw);
        assertTrue(asAccount.startsWith("A"));
        assertArrayEquals(raw, Nkeys.decodePublicKey(Nkeys.Type.ACCOUNT, asAccount));
        assertThrows(NkeyException.class, () -> Nkeys.decodePublicKey(Nkeys.Type.USER, asAccount));
        // A body whose prefix byte is no known type, with a correct CRC.
        byte[] body = new byte[35];
        body[0] = (byte) (25 << 3); // 'Z'
        int crc = Nkeys.crc16(body, 33);
        body[33] = (byte) crc;
        body[34] = (byte) (crc >>> 8);
        String unknown = Nkeys.base32Encode(body);
        assertThrows(NkeyException.class, () -> Nkeys.decodePublicKey(Nkeys.Type.USER, unknown));
        // A public key handed over as a seed.
        assertThrows(NkeyException.class, () -> Nkeys.decodeSeed(DOC_USER_PUB));
    }

    @Test
    void crc16IsXmodem() {
        // Standard check value of CRC-16/XMODEM over "123456789".
        byte[] check = "123456789".getBytes(StandardCharsets.US_ASCII);
        assertEquals(0x31C3, Nkeys.crc16(check, check.length));
    }

    @Test
    void base32RoundTripsAndRejectsForeignCharacters() {
        Random random = new Random(7);
        for (int n = 0; n < 40; n++) {
            byte[] data = new byte[n];
            random.nextBytes(data);
            String text = Nkeys.base32Encode(data);
            assertFalse(text.contains("="));
            assertArrayEquals(data, Nkeys.base32Decode(text));
        }
        assertEquals("MZXW6YTBOI", Nkeys.base32Encode("foobar".getBytes(StandardCharsets.US_ASCII))); // RFC 4648 vector
        assertThrows(NkeyException.class, () -> Nkeys.base32Decode("MZXW6YTBO1"));
    }

    @Test
    void seedEncodeDecodeRoundTrip() {
        byte[] raw = Nkeys.decodeSeed(DOC_USER_SEED);
        assertEquals(32, raw.length);
        assertEquals(DOC_USER_SEED, Nkeys.encodeSeed(Nkeys.Type.USER, raw));
        assertEquals(NSC_OPERATOR_SEED, Nkeys.encodeSeed(Nkeys.Type.OPERATOR, Nkeys.decodeSeed(NSC_OPERATOR_SEED)));
    }

    @Test
    void signatureMadeByAnotherImplementationVerifies() {
        assertTrue(Nkeys.verifyNonceSignature(DOC_USER_PUB, NONCE, NONCE_SIG));
        // Ed25519 is deterministic: our signature is the same bytes.
        assertEquals(NONCE_SIG, Nkeys.encodeSignature(Nkeys.sign(DOC_USER_SEED, NONCE.getBytes(StandardCharsets.US_ASCII))));
    }

    @Test
    void signVerifyRoundTripAndTamperedSignatureRejected() {
        byte[] data = "some nonce".getBytes(StandardCharsets.US_ASCII);
        byte[] sig = Nkeys.sign(NSC_USER_SEED, data);
        assertEquals(64, sig.length);
        assertTrue(Nkeys.verify(NSC_USER_PUB, data, sig));
        assertFalse(Nkeys.verify(DOC_USER_PUB, data, sig), "other key");
        assertFalse(Nkeys.verify(NSC_USER_PUB, "other nonce".getBytes(StandardCharsets.US_ASCII), sig), "other data");
        for (int i = 0; i < sig.length; i += 9) {
            byte[] tampered = sig.clone();
            tampered[i] ^= 0x01;
            assertFalse(Nkeys.verify(NSC_USER_PUB, data, tampered), "bit flipped at " + i);
        }
        assertFalse(Nkeys.verify(NSC_USER_PUB, data, java.util.Arrays.copyOf(sig, 63)));
        assertFalse(Nkeys.verify("UNOTAKEY", data, sig));
    }

    @Test
    void signatureTextFormsAsNatsServerAcceptsThem() {
        byte[] sig = Nkeys.sign(DOC_USER_SEED, NONCE.getBytes(StandardCharsets.US_ASCII));
        assertTrue(Nkeys.verifyNonceSignature(DOC_USER_PUB, NONCE, Base64.getUrlEncoder().withoutPadding().encodeToString(sig)));
        assertTrue(Nkeys.verifyNonceSignature(DOC_USER_PUB, NONCE, Base64.getEncoder().encodeToString(sig)));
        // nats-server 2.9.10 refuses padded base64url, and unpadded standard base64 when it holds + or /.
        assertFalse(Nkeys.verifyNonceSignature(DOC_USER_PUB, NONCE, Base64.getUrlEncoder().encodeToString(sig)));
        String stdNoPad = Base64.getEncoder().withoutPadding().encodeToString(sig);
        if (stdNoPad.contains("+") || stdNoPad.contains("/")) {
            assertFalse(Nkeys.verifyNonceSignature(DOC_USER_PUB, NONCE, stdNoPad));
        }
        assertFalse(Nkeys.verifyNonceSignature(DOC_USER_PUB, NONCE, "not base64!"));
        assertFalse(Nkeys.verifyNonceSignature(DOC_USER_PUB, NONCE, ""));
        assertFalse(Nkeys.verifyNonceSignature(DOC_USER_PUB, NONCE, null));
        assertFalse(Nkeys.verifyNonceSignature(DOC_USER_PUB, null, NONCE_SIG));
        assertFalse(Nkeys.verifyNonceSignature(DOC_USER_PUB, "another nonce", NONCE_SIG));
    }

    @Test
    void createsUserKeyPairsFromEntropy() {
        Nkeys.KeyPair a = Nkeys.createUser(seeded(1));
        Nkeys.KeyPair again = Nkeys.createUser(seeded(1));
        Nkeys.KeyPair b = Nkeys.createUser(seeded(2));
        assertEquals(a, again, "same entropy, same key");
        assertNotEquals(a.publicKey(), b.publicKey());
        assertTrue(a.seed().startsWith("SU"));
        assertEquals(58, a.seed().length());
        assertEquals(56, a.publicKey().length());
        assertTrue(Nkeys.isValidPublicUserKey(a.publicKey()));
        assertEquals(a.publicKey(), Nkeys.publicKeyFromSeed(a.seed()));
        byte[] data = {1, 2, 3};
        assertTrue(Nkeys.verify(a.publicKey(), data, Nkeys.sign(a.seed(), data)));
        assertFalse(a.toString().contains(a.seed()), "toString must not leak the seed");
    }

    static Entropy seeded(long seed) {
        Random random = new Random(seed);
        return new Entropy() {
            @Override
            public long nextLong() {
                return random.nextLong();
            }

            @Override
            public int nextInt(int bound) {
                return random.nextInt(bound);
            }

            @Override
            public void nextBytes(byte[] bytes) {
                random.nextBytes(bytes);
            }
        };
    }
}
