package io.weft.engine.jetstream;

import java.io.IOException;
import java.util.List;

/**
 * Where the durable consumers of a replicated stream keep their config and state: records in the
 * stream's own Raft log ({@link StreamOp.ConsumerPut}, {@link StreamOp.ConsumerState},
 * {@link StreamOp.ConsumerDelete}), applied by every replica ({@link StreamReplica#consumers}), so
 * the replica that leads next runs the consumers from them. Only the stream's ready leader writes;
 * a write returns once its op is committed (durable on a quorum) and applied here.
 */
public interface ConsumerRecords {

    /** Creates or replaces consumer {@code name}'s record; fails if this replica does not lead or the op was not stored. */
    void put(String name, byte[] meta, byte[] state) throws IOException;

    /**
     * Replaces consumer {@code name}'s state; false (nothing written) if this replica no longer leads
     * (a deposed leader's consumer state must not be logged after the new leader's).
     */
    boolean state(String name, byte[] state) throws IOException;

    /** Deletes consumer {@code name}'s record; fails if this replica does not lead or the op was not stored. */
    void delete(String name) throws IOException;

    /** Consumer {@code name}'s applied record, or null. */
    StreamReplica.ConsumerRecord get(String name);

    /** Every applied record, in name order. */
    List<StreamReplica.ConsumerRecord> all();
}
