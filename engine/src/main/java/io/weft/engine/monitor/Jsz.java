package io.weft.engine.monitor;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonInclude.Include;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.List;

/**
 * {@code /jsz}, in nats-server 2.15.1's key order: the usage figures first, then the envelope. With
 * JetStream off nats-server still answers 200, with {@code "disabled": true} and zeroed limits;
 * with it on, {@code disabled} is absent and {@code config} has the limits and store directory.
 * {@code total} is the number of JetStream-enabled accounts.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record Jsz(
        long memory,
        long storage,
        long reservedMemory,
        long reservedStorage,
        long accounts,
        long haAssets,
        Api api,
        String serverId,
        String now,
        @JsonInclude(Include.NON_DEFAULT) boolean disabled,
        Config config,
        long streams,
        long consumers,
        long messages,
        long bytes,
        @JsonInclude(Include.NON_NULL) MetaCluster metaCluster,
        @JsonInclude(Include.NON_EMPTY) List<AccountDetail> accountDetails,
        long total) {

    /**
     * {@code meta_cluster} of a clustered server, in nats-server 2.15's key order: the cluster's
     * name, the meta leader's server name and peer id (16 hex digits, weft's {@code PeerIds}), the
     * other members, the group's size and quorum, and the API requests waiting for the meta
     * leader (weft answers them in its request lanes, so none queue: 0).
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record MetaCluster(@JsonInclude(Include.NON_EMPTY) String name, @JsonInclude(Include.NON_EMPTY) String leader,
                              @JsonInclude(Include.NON_EMPTY) String peer,
                              @JsonInclude(Include.NON_EMPTY) List<PeerInfo> replicas, long clusterSize,
                              long quorumNeeded, long pending, long pendingRequests, long pendingInfos) {
    }

    /** One member of {@code meta_cluster.replicas}: {@code active} in nanoseconds since it was last heard. */
    public record PeerInfo(String name, boolean current, @JsonInclude(Include.NON_DEFAULT) boolean offline, long active,
                           @JsonInclude(Include.NON_DEFAULT) long lag, String peer) {
    }

    /** One account of {@code ?accounts=1} (or {@code streams=1}...). */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record AccountDetail(String name, String id, long memory, long storage, long reservedMemory,
                                long reservedStorage, long accounts, long haAssets, Api api,
                                @JsonInclude(Include.NON_EMPTY) List<StreamDetail> streamDetail) {
    }

    /**
     * One stream of {@code ?streams=1}. {@code config} only with {@code config=1}; {@code corruptions}
     * (weft only) lists damaged store records, omitted when there are none.
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record StreamDetail(String name, String created, Cluster cluster,
                               @JsonInclude(Include.NON_NULL) JsonNode config, JsonNode state,
                               @JsonInclude(Include.NON_EMPTY) List<JsonNode> consumerDetail,
                               @JsonInclude(Include.NON_EMPTY) List<Corrupt> corruptions) {
    }

    /** The stream's cluster block: on one server, just the leader (this server). */
    public record Cluster(String leader) {
    }

    /** A damaged record range as /jsz reports it. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Corrupt(long firstSeq, long lastSeq, String where, String reason) {
    }

    /**
     * The {@code config} block: the limits in force, the store directory, the sync policy when one
     * is configured ({@code sync_interval} nanoseconds, or {@code sync_always}), the domain, and
     * {@code strict} (weft always refuses unknown fields in API requests, as strict mode does).
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Config(long maxMemory, long maxStorage, @JsonInclude(Include.NON_EMPTY) String storeDir,
                         @JsonInclude(Include.NON_DEFAULT) long syncInterval,
                         @JsonInclude(Include.NON_DEFAULT) boolean syncAlways,
                         @JsonInclude(Include.NON_EMPTY) String domain,
                         @JsonInclude(Include.NON_DEFAULT) boolean strict) {
        /** The zeroed block of a server without JetStream. */
        public static final Config NONE = new Config(0, 0, "", 0, false, "", false);
    }

    /** The {@code stats} block of /varz's {@code jetstream}. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Stats(long memory, long storage, long reservedMemory, long reservedStorage, long accounts,
                        long haAssets, Api api) {
    }

    /** JetStream API level (ADR-44) and request counters. */
    public record Api(int level, long total, long errors) {
    }
}
