package io.weft.store;

/** How many messages one subject has in the store, and its first and last sequence. */
public record SubjectState(long msgs, long firstSeq, long lastSeq) {
}
