package io.weft.engine.mapping;

/** A mapping (or import) that cannot be compiled; the message is nats-server's wording. */
public final class MappingException extends Exception {
    public MappingException(String message) {
        super(message);
    }
}
