package io.weft.engine.auth;

/** An nkey (public key, seed or signature) that is malformed or does not verify. */
public final class NkeyException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public NkeyException(String message) {
        super(message);
    }

    public NkeyException(String message, Throwable cause) {
        super(message, cause);
    }
}
