package io.weft.engine.protocol;

/**
 * A protocol violation. {@link #getMessage()} is the text sent to the peer inside
 * {@code -ERR '...'}, worded as nats-server words it. {@link #closes()} tells whether the
 * connection must be closed after sending it.
 *
 * <p>Some violations make nats-server close the connection <em>without</em> sending any
 * {@code -ERR} (for example a PUB with the wrong number of arguments, or a CONNECT whose JSON
 * does not parse). For those {@link #sendsErr()} is false and the message is only the text for
 * the server log (nats-server's log wording where it could be matched).
 */
public final class ProtocolException extends Exception {
    /** Wire text nats-server 2.9 sends (and then closes) for a payload larger than max_payload. */
    public static final String MAX_PAYLOAD = "Maximum Payload Violation";
    /** Wire text nats-server 2.9 sends (and then closes) for an oversized control line; lower case as observed. */
    public static final String MAX_CONTROL_LINE = "maximum control line exceeded";
    public static final String UNKNOWN_OPERATION = "Unknown Protocol Operation";

    private final boolean closes;
    private final boolean sendsErr;

    public ProtocolException(String message, boolean closes) {
        this(message, closes, true);
    }

    public ProtocolException(String message, boolean closes, boolean sendsErr) {
        super(message, null, false, false);
        this.closes = closes;
        this.sendsErr = sendsErr;
    }

    public boolean closes() {
        return closes;
    }

    /** Whether {@code -ERR '<message>'} is sent to the peer before acting on {@link #closes()}. */
    public boolean sendsErr() {
        return sendsErr;
    }

    public static ProtocolException unknownOperation() {
        return new ProtocolException(UNKNOWN_OPERATION, true);
    }

    public static ProtocolException maxPayload() {
        return new ProtocolException(MAX_PAYLOAD, true);
    }

    public static ProtocolException maxControlLine() {
        return new ProtocolException(MAX_CONTROL_LINE, true);
    }

    /** A violation after which nats-server closes the connection without sending -ERR. */
    public static ProtocolException silentClose(String logText) {
        return new ProtocolException(logText, true, false);
    }
}
