package io.weft.raft;

/** A message (or conf change) whose bytes are short, malformed, or fail their CRC32C. */
public final class CorruptMessageException extends IllegalArgumentException {
    public CorruptMessageException(String message) {
        super(message);
    }
}
