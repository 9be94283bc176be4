package io.weft.engine.jetstream.meta;

/**
 * An entry of the meta log: what the meta leader decided, applied in log order by every member.
 * The set is append-only in its encoding ({@link MetaCodec}): a tag once used keeps its meaning.
 */
public sealed interface MetaOp {
    /** Assigns a new stream (a no-op if the same assignment exists; refused if another with that name does). */
    record AddStream(StreamAssignment stream) implements MetaOp {
    }

    /** Replaces an existing stream's configuration (peers, group and creation stay the assignment's). */
    record UpdateStream(StreamAssignment stream) implements MetaOp {
    }

    /** Removes a stream and every consumer assignment under it. */
    record DeleteStream(String account, String name) implements MetaOp {
    }

    /** Assigns a consumer of an existing stream (replaces one of the same name). */
    record AddConsumer(ConsumerAssignment consumer) implements MetaOp {
    }

    /** Removes a consumer assignment. */
    record DeleteConsumer(String account, String stream, String name) implements MetaOp {
    }
}
