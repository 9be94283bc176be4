package io.weft.store;

/**
 * A stream store's counters. With no messages, {@code firstSeq} is {@code lastSeq + 1} and both
 * times are 0. {@code numDeleted} counts interior gaps (deleted sequences between first and last).
 */
public record StoreState(long msgs, long bytes, long firstSeq, long firstTimeNanos, long lastSeq,
                         long lastTimeNanos, long numSubjects, long numDeleted) {
}
