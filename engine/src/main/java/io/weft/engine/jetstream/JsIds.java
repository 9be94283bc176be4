package io.weft.engine.jetstream;

import io.weft.net.Entropy;

/** Random alphanumeric names and ids (ephemeral consumer names, advisory ids), drawn from the Env's entropy. */
public final class JsIds {
    private static final String ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    /** Length of advisory ids, as nats-server's. */
    public static final int ID_LENGTH = 22;

    private JsIds() {
    }

    public static String random(Entropy entropy, int length) {
        StringBuilder sb = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            sb.append(ALNUM.charAt(entropy.nextInt(ALNUM.length())));
        }
        return sb.toString();
    }
}
