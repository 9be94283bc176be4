package io.weft.engine.jetstream;

import java.io.IOException;

/**
 * The seam between a stream's decisions and its store: ops go in, in order, and each is applied by
 * {@link StreamApply} (the store's one writer) once the log holds it. Durability is the log's:
 * {@link #commit} returns when everything appended since {@link #begin} would survive a crash, and
 * only then may the stream answer the publishers.
 *
 * <p>{@link LocalStreamLog} is the log of a stream on one server: the store is the log, an op is
 * applied as it is appended, and {@code commit} is the store's group commit (one fsync per batch).
 * A replicated implementation (Raft) will append the op to its own log, apply it on every replica
 * once a quorum holds it, and return from {@code commit} at that point; the leader's decisions then
 * read a view that includes its appended but not yet applied ops. Callers hold the stream's lock.
 */
public interface StreamLog {

    /** Opens a batch: the ops until {@link #commit} become durable together, or none of them does. */
    void begin();

    /** Appends {@code op} as the next entry; returns what applying it did. Not durable until {@link #commit} (or {@link #sync}). */
    StreamOp.Applied append(StreamOp op) throws IOException;

    /**
     * Makes the batch durable. On failure the batch is undone (the store and the stream's state as
     * at {@link #begin}) and the exception says why.
     */
    void commit() throws IOException;

    /** Ends a batch that appended nothing that needs keeping, undoing whatever it appended. */
    void rollback();

    /** Makes every op so far durable (the {@code sync_interval} timer; ops outside a batch). */
    void sync() throws IOException;

    /** Hands the ops so far to the operating system, not forced to disk ({@link io.weft.store.MessageStore#writeOut}). */
    default void writeOut() throws IOException {
    }

    /** Index of the last op appended (1 for the first, 0 for none, counted since this log was opened). */
    long lastIndex();

    /** Makes everything durable and closes the store; with {@code delete}, deletes it instead. */
    void close(boolean delete) throws IOException;
}
