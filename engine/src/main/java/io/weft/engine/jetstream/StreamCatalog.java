package io.weft.engine.jetstream;

import java.util.List;

/**
 * Which streams an account has, and the decisions that change that: create, update, delete,
 * list, plus where each stream lives on disk. The {@code $JS.API} ({@link JsApi}) decodes a
 * request and shapes the reply; everything in between is the catalog's. Today's implementation is
 * {@link LocalStreamCatalog} (this server decides alone) and, in a cluster, {@link ClusteredStreamCatalog},
 * whose decisions are proposed to, and applied from, the cluster's meta log.
 *
 * <p>Every call comes from the request's API lane, which is the only one creating, updating or
 * deleting that stream (see {@link ApiLanes}); other streams change meanwhile.
 */
interface StreamCatalog {

    /**
     * What a create or update did: the stream as it now is, and whether anything changed (false:
     * a create of a stream that already exists with the same configuration).
     */
    record Change(Stream stream, Placed placed, boolean changed) {
        Change(Stream stream, boolean changed) {
            this(stream, null, changed);
        }
    }

    /**
     * A stream this server knows of but does not hold (clustered: the meta group placed it on
     * {@code server}), as a reply can show it: its configuration and creation time.
     */
    record Placed(StreamConfig config, long createdNanos, String server) {
    }

    /**
     * Creates ({@code create}) or updates the stream {@code subjectName} (the name in the request's
     * subject) with the decoded request {@code req}, with nats-server's checks in its order.
     */
    Change createOrUpdate(JsAccount jsa, String subjectName, StreamConfig req, boolean create) throws JsApiException;

    /** Deletes the stream and its data (10059 if it does not exist). */
    void delete(JsAccount jsa, String name) throws JsApiException;

    /** The account's streams, by name, that capture a subject overlapping {@code subject} (all when empty). */
    List<Stream> list(JsAccount jsa, String subject);

    /** Streams matching {@code subject} (all when empty) that live on other servers (clustered only). */
    default List<Placed> elsewhere(JsAccount jsa, String subject) {
        return List.of();
    }

    /** The directory holding every stream directory of {@code account}. */
    String streamsDir(String account);

    /** The directory of one stream: {@code meta.json} and {@code msgs/} (consumers under it). */
    String streamDir(String account, String stream);
}
