package io.weft.engine.jetstream;

/**
 * One change to a stream's messages, as decided and before it is applied: the entries of a
 * {@link StreamLog}. Every write of a stream's {@code MessageStore} is one of these, applied by
 * {@link StreamApply} alone. An op carries everything its application needs (the sequence and
 * timestamp the leader picked, the limits in force), so applying the same ops in the same order to
 * the same store gives the same store: what a follower of a replicated log needs.
 */
public sealed interface StreamOp {

    /** The discard-old limits an op applies after it (0 = no limit). */
    record Limits(long maxMsgsPerSubject, long maxMsgs, long maxBytes, boolean discardNew) {
        static Limits of(StreamConfig c) {
            return new Limits(c.maxMsgsPerSubject(), c.maxMsgs(), c.maxBytes(), c.discardNew());
        }
    }

    /** How a publish with {@code Nats-Rollup} replaces older messages. */
    enum Rollup { NONE, SUBJECT, ALL }

    /**
     * Stores a published message at {@code seq} (the next one) with timestamp {@code ts}; then the
     * rollup, the discard-old limits, and with {@code noInterest} (interest retention, no consumer
     * wants it) its removal at once. {@code msgId} (empty if none) enters the duplicate window.
     * {@code ttl} is the message's {@code Nats-TTL} in nanoseconds ({@link MsgTtl#NONE},
     * {@link MsgTtl#NEVER}): it expires at {@code ts + ttl}.
     */
    record Append(long seq, long ts, String subject, byte[] headers, byte[] data, String msgId,
                  long duplicateWindow, Rollup rollup, Limits limits, boolean noInterest, long ttl)
            implements StreamOp, PublishRules.Decision {
    }

    /**
     * An atomic batch ({@code allow_atomic}, {@code Nats-Batch-Id} {@code id}): its appends, at
     * consecutive sequences, stored together as one entry of the log, all or none of them. Each is
     * applied as an {@link Append} alone would be (rollup, limits, TTL); never empty.
     */
    record Batch(String id, java.util.List<Append> appends) implements StreamOp, PublishRules.BatchDecision {
        public Batch {
            appends = java.util.List.copyOf(appends);
            if (appends.isEmpty()) {
                throw new IllegalArgumentException("an empty batch");
            }
        }

        public Append first() {
            return appends.getFirst();
        }

        public Append last() {
            return appends.getLast();
        }
    }

    /** {@code first_seq}: the next sequence becomes {@code nextSeq}. */
    record SkipTo(long nextSeq) implements StreamOp {
    }

    /** Removes the messages matching {@code filter} (null = all) below {@code upToSeq} (0 = any), keeping the newest {@code keep}. */
    record Purge(String filter, long upToSeq, long keep) implements StreamOp {
    }

    /**
     * Removes one message: the API's delete (with {@code erase}, secure), a work queue's or interest
     * stream's removal after acks, a detach's interest sweep.
     */
    record Delete(long seq, boolean erase) implements StreamOp {
    }

    /** Applies every limit (after a config update): per subject, then messages, then bytes, whatever the discard policy. */
    record Trim(Limits limits) implements StreamOp {
    }

    /**
     * A replicated stream's configuration becomes {@code config}, of meta revision {@code revision}
     * (the stream leader logs it once the meta group committed an update): every replica takes it
     * at this point of the log, then applies its limits as {@link Trim} does (so the messages a
     * lowered limit removes are the same on every replica). An op of a revision not above the
     * replica's is applied as nothing (a newer one got there first).
     */
    record Config(long revision, StreamConfig config) implements StreamOp {
    }

    /**
     * A consumer of a replicated stream is created or replaced: its {@code meta} (config JSON and
     * creation time, as the consumer's {@code meta.dat} holds them) and its {@code state} (delivered,
     * ack floor, pending: as {@code state.dat} holds it). Every replica keeps the record, so the
     * replica that leads next runs the consumer from it. Never touches messages.
     */
    record ConsumerPut(String name, byte[] meta, byte[] state) implements StreamOp {
    }

    /** The durable state of consumer {@code name} (a replicated stream's) is now {@code state}. */
    record ConsumerState(String name, byte[] state) implements StreamOp {
    }

    /** Consumer {@code name} of a replicated stream is deleted. */
    record ConsumerDelete(String name) implements StreamOp {
    }

    /** What applying an op did: the sequence stored (0 if none) and how many messages went. */
    record Applied(long seq, long removed) {
    }
}
