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

    /** The stream removed messages (purge, delete, limits): forget pending state below {@code firstSeq} and any sequence no longer stored. */
    void purged(long firstSeq);

    /** Stops delivery and releases subscriptions and timers; with {@code delete} also removes persisted state. */
    void stop(boolean delete);

    /** Numbers for stream info and /jsz: pending acks, waiting pulls and so on are the consumer's business. */
    long numAckPending();
}
