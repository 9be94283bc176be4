package io.weft.engine.protocol;

/**
 * A protocol violation. {@link #getMessage()} is the text sent to the peer inside
 * {@code -ERR '...'}, worded as nats-server words it. {@link #closes()} tells whether the
 * connection must be closed after sending it.
 */
public final class ProtocolException extends Exception {
    private final boolean closes;

    public ProtocolException(String message, boolean closes) {
        super(message, null, false, false);
        this.closes = closes;
    }

    public boolean closes() {
        return closes;
    }

    public static ProtocolException unknownOperation() {
        return new ProtocolException("Unknown Protocol Operation", true);
    }
}
