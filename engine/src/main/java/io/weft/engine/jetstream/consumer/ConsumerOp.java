package io.weft.engine.jetstream.consumer;

import java.util.List;

/**
 * One change to a consumer's durable state (what {@code state.dat} holds: delivered, ack floor,
 * pending acks and their delivery counts), as a value. {@link Consumer} decides an op from its
 * current state (the ack subject it was sent, the message it chose, the clock it read) and
 * {@link ConsumerApply} applies it; nothing else writes that state. Each op carries what its
 * application needs (times included), so a replicated log can carry the same ops to another
 * server's copy of the consumer later.
 */
sealed interface ConsumerOp {
    /** The consumer was positioned by its deliver policy (creation). */
    record Positioned(long nextSeq, long lastStreamSeq, List<Long> lastPerSubject) implements ConsumerOp {
    }

    /**
     * Stream message {@code seq} was delivered as consumer sequence {@code cseq} (always the next
     * one), its {@code deliveryCount}-th delivery; with acks it is pending until {@code deadline}.
     */
    record Delivered(long seq, long cseq, int deliveryCount, long deadline, long mono, long wall) implements ConsumerOp {
    }

    /** An explicit ack (or the ack half of {@code +NXT}) of a pending message. */
    record Acked(long seq, long wall) implements ConsumerOp {
    }

    /** An ack-all consumer's ack of {@code seq} and every pending message below it. */
    record AckedAll(long seq, long cseq, long wall) implements ConsumerOp {
    }

    /** An ack or term of a message that is not pending (given up, or acknowledged before). */
    record LateAck(long seq, long wall) implements ConsumerOp {
    }

    /** {@code -NAK}: the pending message falls due again at {@code deadline}. */
    record Nakked(long seq, long deadline) implements ConsumerOp {
    }

    /** {@code +WPI}: the pending message's ack wait starts again. */
    record Progressed(long seq, long deadline) implements ConsumerOp {
    }

    /** {@code +TERM} of a pending message: never delivered again, counted as acknowledged. */
    record Termed(long seq, long wall) implements ConsumerOp {
    }

    /** The message ran out of deliveries (max_deliver): no longer pending, its count kept. */
    record GaveUp(long seq, long wall) implements ConsumerOp {
    }

    /** A pending message is gone from the stream (deleted, or a damaged record). */
    record Dropped(long seq) implements ConsumerOp {
    }

    /** The stream was purged below {@code firstSeq}; {@code gone} are pending messages removed above it. */
    record Purged(long firstSeq, List<Long> gone) implements ConsumerOp {
    }

    /**
     * {@code $JS.API.CONSUMER.RESET}: delivery starts again at stream sequence {@code seq} with
     * consumer sequence 1; nothing is pending, every delivery count is forgotten, and the ack floor
     * sits just below {@code seq}.
     */
    record Reset(long seq) implements ConsumerOp {
    }
}
