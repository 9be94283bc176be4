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

    /**
     * Gives an existing stream a new peer group (a peer removed and replaced, or a change of its
     * replicas), and with {@code config} non-null a new configuration and subjects too (a scaling
     * update), at the next revision. Refused ({@link Assignments.Outcome#STALE}) unless the stream is
     * still at {@code expectRevision}: the meta leader chose the peers against that assignment.
     */
    record SetPeers(String account, String name, java.util.List<Long> peers, String config,
                    java.util.List<String> subjects, long expectRevision, String group) implements MetaOp {
        /** The group keeps its Raft group name. */
        public SetPeers(String account, String name, java.util.List<Long> peers, String config,
                        java.util.List<String> subjects, long expectRevision) {
            this(account, name, peers, config, subjects, expectRevision, null);
        }

        public SetPeers {
            peers = java.util.List.copyOf(peers);
            subjects = subjects == null ? null : java.util.List.copyOf(subjects);
            if (peers.isEmpty()) {
                throw new IllegalArgumentException("a stream needs at least one peer");
            }
        }
    }
}
