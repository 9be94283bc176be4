package io.weft.engine.jetstream;

import io.weft.engine.ServerLog;
import io.weft.engine.server.Account;
import io.weft.net.Env;
import io.weft.store.MessageStore;
import java.util.Collection;

/**
 * What a consumer needs from the stream it reads. Implemented by the stream. Lookups and
 * registration are thread-safe.
 */
public interface ConsumerSource {
    String streamName();

    /**
     * The stream's subjects, against which consumers check their filters (must overlap one) and
     * their deliver subject (must not be captured: a cycle). Null or empty skips those checks.
     */
    default java.util.List<String> subjects() {
        return null;
    }

    Retention retention();

    /** True for {@code storage: memory}; consumers of memory streams keep no state on disk. */
    boolean memoryStorage();

    /** The stream's messages (read them; never append or remove through here). */
    MessageStore store();

    /** Highest sequence a consumer may deliver now (appended and, with durable acks, synced). */
    long lastDeliverableSeq();

    /** The account the stream lives in: consumers subscribe and publish (deliveries, advisories) there. */
    Account account();

    Env env();

    ServerLog log();

    /**
     * A directory (on {@code env().disk()}) where the named consumer may keep its config and state,
     * created on demand; null for memory streams.
     */
    String consumerDir(String consumer);

    /** The stream's {@code consumer_limits}: default/max {@code inactive_threshold} in nanos (0 = none). */
    long consumerLimitInactiveThresholdNanos();

    /** The stream's {@code consumer_limits.max_ack_pending} (0 = none). */
    int consumerLimitMaxAckPending();

    /**
     * Registers a consumer; fails with the stream's {@code max_consumers} error when full, or for a
     * work-queue stream whose consumers' filters would overlap.
     */
    void attach(StreamConsumer consumer, String... filters) throws JsApiException;

    /**
     * For a replicated stream, where its durable consumers keep their config and state (the stream's
     * Raft log) instead of files; null for a local stream.
     */
    default ConsumerRecords consumerRecords() {
        return null;
    }

    /**
     * The {@code cluster} object of this stream's consumers' info (the stream's own: a consumer of
     * a replicated stream lives in the stream's Raft group), or null when not clustered. It may
     * wait for the group's thread: call it holding no consumer lock.
     */
    default com.fasterxml.jackson.databind.node.ObjectNode clusterInfo() {
        return null;
    }

    /** Unregisters (after {@link StreamConsumer#stop}). */
    void detach(StreamConsumer consumer);

    StreamConsumer consumer(String name);

    /** Registered consumers in name order. */
    Collection<StreamConsumer> consumers();

    /**
     * A consumer acknowledged or terminated {@code seq} (a message given up at max deliveries is
     * kept until then). The stream applies its retention: a work queue removes it, interest retention
     * removes it once no consumer {@link StreamConsumer#needsAck needs} it.
     */
    void acknowledged(long seq);

    /**
     * A consumer stopped needing messages it needed before (it was reset past them): with interest
     * retention the stream drops every message no consumer needs now.
     */
    default void interestMayHaveGone() {
    }
}
