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
     * delete, pause, MSG.NEXT...). {@code streams} finds a stream of the requesting account by name
     * (null when absent). Returns the complete JSON reply to publish on {@code reply}, or null when
     * the handler answers by itself (MSG.NEXT delivers messages to {@code reply}).
     */
    byte[] handleApi(String subject, String reply, byte[] body, Function<String, ConsumerSource> streams);

    /**
     * As {@link #handleApi(String, String, byte[], Function)} for a request made in {@code account}
     * (which a request naming no existing stream needs, e.g. for its "no responders" status).
     */
    default byte[] handleApi(String subject, String reply, byte[] body, Function<String, ConsumerSource> streams,
                             io.weft.engine.server.Account account) {
        return handleApi(subject, reply, body, streams);
    }

    /** Recreates, with their state, the consumers that a file-backed stream had persisted. */
    void recover(ConsumerSource stream) throws IOException;
}
