package io.weft.engine.protocol;

/** A NATS header block that does not follow {@code NATS/1.0[ code[ description]]\r\n(Key: value\r\n)*\r\n}. */
public final class MalformedHeadersException extends IllegalArgumentException {
    public MalformedHeadersException(String message) {
        super(message);
    }
}
