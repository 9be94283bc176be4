package io.weft.server.config;

/** Checks public nkeys (base32 of prefix byte, 32-byte key and a CRC16 checksum) without decoding more than needed. */
final class Nkeys {
    private static final String ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    /** The prefix byte of public user keys ('U'). */
    private static final int PREFIX_USER = 20 << 3;

    private Nkeys() {
    }

    /** True if {@code key} is a well-formed public user nkey with a valid checksum. */
    static boolean isValidPublicUserKey(String key) {
        if (key == null || key.length() != 56 || key.charAt(0) != 'U') {
            return false;
        }
        byte[] raw = base32Decode(key);
        if (raw == null || raw.length != 35 || (raw[0] & 0xff) != PREFIX_USER) {
            return false;
        }
        int expected = (raw[33] & 0xff) | (raw[34] & 0xff) << 8;
        return crc16(raw, 33) == expected;
    }

    private static byte[] base32Decode(String s) {
        byte[] out = new byte[s.length() * 5 / 8];
        int buffer = 0;
        int bits = 0;
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            int v = ALPHABET.indexOf(s.charAt(i));
            if (v < 0) {
                return null;
            }
            buffer = (buffer << 5) | v;
            bits += 5;
            if (bits >= 8) {
                bits -= 8;
                if (n < out.length) {
                    out[n++] = (byte) (buffer >> bits);
                }
            }
        }
        return out;
    }

    /** CRC-16/XMODEM (polynomial 0x1021, initial value 0). */
    private static int crc16(byte[] data, int len) {
        int crc = 0;
        for (int i = 0; i < len; i++) {
            crc ^= (data[i] & 0xff) << 8;
            for (int b = 0; b < 8; b++) {
                crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1;
                crc &= 0xffff;
            }
        }
        return crc;
    }
}
