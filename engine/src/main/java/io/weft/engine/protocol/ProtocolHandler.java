package io.weft.engine.protocol;

/**
 * Receives the operations that {@link ProtocolParser} finds in a byte stream. Server-side
 * connections get CONNECT/PUB/HPUB/SUB/UNSUB/PING/PONG; client-side ones (sim clients, bench) get
 * INFO/MSG/HMSG/PING/PONG/+OK/-ERR. Byte ranges handed over are only valid during the call: copy
 * what must outlive it. Any operation a handler does not expect throws {@link ProtocolException}
 * from its default method, which the parser passes on.
 */
public interface ProtocolHandler {

    default void onConnect(String json) throws ProtocolException {
        throw ProtocolException.unknownOperation();
    }

    /** PUB: {@code payload[off, off+len)} is the message body. {@code reply} is null when absent. */
    default void onPub(String subject, String reply, byte[] payload, int off, int len) throws ProtocolException {
        throw ProtocolException.unknownOperation();
    }

    /**
     * HPUB: {@code data[off, off+totalLen)} holds the header block ({@code headerLen} bytes,
     * starting with {@code NATS/1.0}) followed by the body.
     */
    default void onHpub(String subject, String reply, byte[] data, int off, int headerLen, int totalLen)
            throws ProtocolException {
        throw ProtocolException.unknownOperation();
    }

    /** SUB: {@code queue} is null when absent. */
    default void onSub(String subject, String queue, String sid) throws ProtocolException {
        throw ProtocolException.unknownOperation();
    }

    /** UNSUB: {@code max} is -1 when absent. */
    default void onUnsub(String sid, long max) throws ProtocolException {
        throw ProtocolException.unknownOperation();
    }

    default void onPing() throws ProtocolException {
        throw ProtocolException.unknownOperation();
    }

    default void onPong() throws ProtocolException {
        throw ProtocolException.unknownOperation();
    }

    default void onInfo(String json) throws ProtocolException {
        throw ProtocolException.unknownOperation();
    }

    /** MSG: {@code reply} is null when absent. */
    default void onMsg(String subject, String sid, String reply, byte[] payload, int off, int len)
            throws ProtocolException {
        throw ProtocolException.unknownOperation();
    }

    /** HMSG: layout as in {@link #onHpub}. */
    default void onHmsg(String subject, String sid, String reply, byte[] data, int off, int headerLen, int totalLen)
            throws ProtocolException {
        throw ProtocolException.unknownOperation();
    }

    default void onOk() throws ProtocolException {
        throw ProtocolException.unknownOperation();
    }

    /** -ERR: {@code message} without the surrounding quotes. */
    default void onErr(String message) throws ProtocolException {
        throw ProtocolException.unknownOperation();
    }

    /**
     * Called as soon as an HPUB or HMSG op name has been read, before its arguments. nats-server
     * closes a client that did not negotiate headers at this point, without -ERR (log:
     * "message headers not supported"); a handler does the same by throwing
     * {@code ProtocolException.silentClose("message headers not supported")}. Default: allowed.
     */
    default void checkHeadersAllowed() throws ProtocolException {
    }

    /**
     * Called by the parser when a callback above threw a {@link ProtocolException} whose
     * {@link ProtocolException#closes()} is false (e.g. a permissions violation): the parser has
     * already moved past that operation, so if this method returns normally parsing goes on with
     * the next one. The default rethrows, which ends the {@code parse} call.
     */
    default void onRecoverableError(ProtocolException error) throws ProtocolException {
        throw error;
    }
}
