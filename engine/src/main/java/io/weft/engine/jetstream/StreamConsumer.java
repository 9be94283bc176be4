package io.weft.engine.jetstream;

/**
 * What a stream needs from each of its consumers. Implemented by the consumer code; the stream
 * calls these from its own threads, so none of them may block for long.
 */
public interface StreamConsumer {
    String name();

    /** True if this consumer's filter(s) select {@code subject}. */
    boolean wants(String subject);

    /** Messages up to {@code lastSeq} are stored (and, with durable acks, synced): deliver them. */
    void signal(long lastSeq);

    /**
     * For interest and work-queue retention: true while this consumer has not yet acknowledged
     * {@code seq} (which has {@code subject}) and would still deliver or redeliver it.
     */
    boolean needsAck(long seq, String subject);

    /**
     * For the work-queue sweep of a replicated stream's new leader: true when this consumer wants
     * {@code subject} and has acknowledged {@code seq} for good: at or below its ack floor, and not a
     * message it gave up on at max_deliver (a work queue keeps those until acked or termed).
     */
    default boolean ackedAtOrBelowFloor(long seq, String subject) {
        return false;
    }

    /** The stream sequence of this consumer's ack floor (0: none), bounding {@link #ackedAtOrBelowFloor}. */
    default long ackFloorSeq() {
        return 0;
    }

    /** The stream removed messages (purge, delete, limits): forget pending state below {@code firstSeq} and any sequence no longer stored. */
    void purged(long firstSeq);

    /** Stops delivery and releases subscriptions and timers; with {@code delete} also removes persisted state. */
    void stop(boolean delete);

    /** Numbers for stream info and /jsz: pending acks, waiting pulls and so on are the consumer's business. */
    long numAckPending();
}
