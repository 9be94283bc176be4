package io.weft.store;

import java.io.Closeable;
import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * The storage of one stream: an append-only sequence of messages with deletes and purges. Stream
 * semantics (limits, retention, dedupe, headers) live above this in the engine; the store keeps
 * messages, their indexes and their durability.
 *
 * <p>Sequences start at 1 (or wherever {@link #skipTo} put them) and grow by one per append; they
 * are never reused, even after a purge. A {@code filter} argument is a NATS subject filter
 * ({@code *} and {@code >} wildcards); {@code null} or {@code ">"} means every subject.
 *
 * <p>Thread safety: every method may be called from any thread; implementations lock internally.
 * Appends are made durable only by {@link #sync()} (the file store writes to the OS on append and
 * fsyncs on sync; the memory store is never durable). The caller groups appends and calls
 * {@code sync()} once per group: that is the group commit.
 */
public interface MessageStore extends Closeable {

    /** Appends a message and returns its sequence. Not durable until {@link #sync()}. */
    long append(String subject, byte[] headers, byte[] data, long timestampNanos) throws IOException;

    /**
     * Appends a message at a sequence and timestamp someone else chose (the stream's decision, and
     * later a replicated log's leader), which must be the next one: {@code seq == state().lastSeq() + 1}.
     * Anything else is a bug in the caller (a follower out of step with its leader) and throws
     * {@link IllegalStateException} before anything is written. Not durable until {@link #sync()}.
     * The default appends and checks afterwards; the stores check first.
     */
    default void appendAt(long seq, String subject, byte[] headers, byte[] data, long timestampNanos) throws IOException {
        long next = state().lastSeq() + 1;
        if (seq != next) {
            throw new IllegalStateException("append at " + seq + " but the next sequence is " + next);
        }
        long got = append(subject, headers, data, timestampNanos);
        assert got == seq : "appended at " + got + ", expected " + seq;
    }

    /**
     * Makes the next appended sequence {@code nextSeq}, if that is beyond the last one. Used for
     * {@code first_seq} and for purges that set a sequence. Removes every message below it.
     */
    void skipTo(long nextSeq) throws IOException;

    /** The message at {@code seq}, or null if it was never stored, was removed, or is out of range. */
    StoredMessage load(long seq) throws IOException;

    /** The first message with sequence {@code >= fromSeq} whose subject matches {@code filter}, or null. */
    StoredMessage loadNext(String filter, long fromSeq) throws IOException;

    /** The message with the highest sequence whose subject matches {@code filter}, or null. */
    StoredMessage loadLast(String filter) throws IOException;

    /**
     * Removes one message. With {@code erase} its bytes are overwritten on disk before the removal is
     * reported (secure delete). Returns false if there was no such message.
     */
    boolean remove(long seq, boolean erase) throws IOException;

    /**
     * Removes messages matching {@code filter} (null = all). If {@code upToSeq > 0} only those with
     * sequence {@code < upToSeq}; if {@code keep > 0} keeps the newest {@code keep} of each matching
     * subject set (for an unfiltered purge, the newest {@code keep} messages overall). Returns how
     * many were removed. An unfiltered purge with neither bound empties the store but keeps the
     * sequence counter, so the next append gets {@code lastSeq + 1}.
     */
    long purge(String filter, long upToSeq, long keep) throws IOException;

    /**
     * The bytes one message counts for in {@link StoreState#bytes()} and stream limits. The
     * default is the memory store's accounting; the file store counts its record overhead as
     * nats-server's file store does, so limits and account usage match it.
     */
    default long sizeOf(String subject, int headerLength, int dataLength) {
        return StoredMessage.recordSize(subject, headerLength, dataLength);
    }

    /** Current counters. Cheap (no scan). */
    StoreState state();

    /** Deleted sequences between first and last, ascending. */
    List<Long> deletedSequences();

    /** State of one literal subject, or null if it has no messages. */
    SubjectState subjectState(String subject);

    /** Message count per subject for every subject matching {@code filter}, in subject order. */
    Map<String, SubjectState> subjects(String filter);

    /**
     * How many messages with sequence {@code >= fromSeq} match {@code filter}; with
     * {@code lastPerSubject} only the last message of each subject counts.
     */
    long numPending(long fromSeq, String filter, boolean lastPerSubject);

    /** The first sequence whose timestamp is {@code >= timeNanos}, or lastSeq + 1 if none. */
    long sequenceAtOrAfter(long timeNanos) throws IOException;

    /** Makes every append and removal so far durable. */
    void sync() throws IOException;

    /**
     * Hands every append and removal so far to the operating system without forcing it to disk
     * (a killed process then loses none of it; a machine crash may): what an ack means under
     * {@code sync_interval} or {@code persist_mode: async}. The memory store has nothing to write.
     */
    default void writeOut() throws IOException {
    }

    /**
     * Opens a batch: the appends and removals until {@link #commit} become durable together, or
     * none of them stays. Batches do not nest; the caller holds whatever keeps other writers out
     * of this store until the batch ends.
     */
    default void begin() {
    }

    /**
     * Ends the batch with a {@link #sync()}. When that fails the batch is rolled back (as by
     * {@link #rollback}) before the exception is thrown: nothing the batch wrote is served, counted
     * or durable, and the next append gets the sequence the batch's first append had.
     */
    default void commit() throws IOException {
        sync();
    }

    /** Undoes everything since {@link #begin} (files cut back to where the batch began). */
    default void rollback() {
    }

    /** Damaged records found at recovery or on read, oldest first. Never served. */
    List<Corruption> corruptions();

    /**
     * Calls {@code listener} (under the store's lock: it must not call back) for each damage found
     * from now on, by a read at run time; what recovery found is in {@link #corruptions()} already.
     */
    default void onCorruption(java.util.function.Consumer<Corruption> listener) {
    }

    /** Closes and deletes every file of this store. */
    void destroy() throws IOException;

    @Override
    void close() throws IOException;
}
