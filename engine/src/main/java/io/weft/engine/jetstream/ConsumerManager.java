package io.weft.engine.jetstream;

import java.io.IOException;
import java.util.function.Function;

/**
 * The consumer side of JetStream as the stream side sees it: handles every
 * {@code $JS.API.CONSUMER.*} request and recreates persisted consumers at start-up.
 */
public interface ConsumerManager {

    /**
     * Handles one {@code $JS.API.CONSUMER.>} request (create, durable create, info, names, list,
     * delete, pause, MSG.NEXT...) made in {@code account} (which a request naming no existing
     * stream needs, e.g. for its "no responders" status; may be null). {@code streams} finds a
     * stream of the requesting account by name (null when absent). Returns the typed reply to
     * publish on {@code reply} (shaped by {@link ApiReply}), or null when there is none (MSG.NEXT
     * delivers messages to {@code reply} itself; a malformed subject gets no answer).
     */
    ApiReply api(String subject, String reply, byte[] body, Function<String, ConsumerSource> streams,
                 io.weft.engine.server.Account account);

    /**
     * As {@link #api}; {@code levelNotMet} when the request's {@code Nats-Required-Api-Level} is
     * above weft's level: every well-formed request then fails with 412/10185 (a pull request with
     * a {@code 412} status), as nats-server 2.12+ answers.
     */
    default ApiReply api(String subject, String reply, byte[] body, Function<String, ConsumerSource> streams,
                         io.weft.engine.server.Account account, boolean levelNotMet) {
        return api(subject, reply, body, streams, account);
    }

    /**
     * A replicated stream's replica became its ready leader: runs its durable consumers from the
     * records every replica applied ({@link ConsumerSource#consumerRecords}). The default has none.
     */
    default void resume(ConsumerSource stream) {
    }

    /** As {@link #api} without an account, giving the reply's JSON (null when there is none). */
    default byte[] handleApi(String subject, String reply, byte[] body, Function<String, ConsumerSource> streams) {
        return handleApi(subject, reply, body, streams, null);
    }

    /** As {@link #api}, giving the reply's JSON (null when there is none). */
    default byte[] handleApi(String subject, String reply, byte[] body, Function<String, ConsumerSource> streams,
                             io.weft.engine.server.Account account) {
        ApiReply r = api(subject, reply, body, streams, account);
        return r == null ? null : r.json();
    }

    /**
     * A stopped single-server stream's durable consumers as records (their files' meta and state
     * payloads), for the stream becoming replicated: they go into its group's first snapshot.
     */
    default java.util.List<StreamReplica.ConsumerRecord> records(ConsumerSource stream) throws IOException {
        return java.util.List.of();
    }

    /**
     * Writes {@code records} (a replicated stream's consumer records) as the consumer files of
     * {@code stream}, a single-server stream not started yet: the stream scaled down to R1.
     */
    default void writeFiles(ConsumerSource stream, java.util.List<StreamReplica.ConsumerRecord> records) throws IOException {
    }

    /** Recreates, with their state, the consumers that a file-backed stream had persisted. */
    void recover(ConsumerSource stream) throws IOException;
}
