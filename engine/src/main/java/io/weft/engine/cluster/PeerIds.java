package io.weft.engine.cluster;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A server's Raft peer id: a positive, non-zero 63-bit number derived from its {@code server_name}
 * alone, so every node computes the same id for a peer without asking it, and the id survives
 * restarts and address changes. nats-server likewise derives its peer ids from a hash of the
 * server name ({@code cluster-facts.md}). Shown to operators as 16 hex digits ({@link #hex}).
 */
public final class PeerIds {
    private PeerIds() {
    }

    public static long of(String serverName) {
        if (serverName == null || serverName.isEmpty()) {
            throw new IllegalArgumentException("a clustered server needs a server_name");
        }
        byte[] d;
        try {
            d = MessageDigest.getInstance("SHA-256").digest(serverName.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (d[i] & 0xff);
        }
        v &= Long.MAX_VALUE;
        return v == 0 ? 1 : v;
    }

    public static String hex(long id) {
        return HexFormat.of().toHexDigits(id);
    }
}
