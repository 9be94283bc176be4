package io.weft.engine.monitor;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonInclude.Include;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.List;

/**
 * {@code /jsz}. With JetStream off nats-server still answers 200, with {@code "disabled": true}
 * and zeroed limits; with it on, {@code disabled} is absent and {@code config} has the limits
 * and store directory.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record Jsz(
        String serverId,
        String now,
        @JsonInclude(Include.NON_DEFAULT) boolean disabled,
        Config config,
        long memory,
        long storage,
        long reservedMemory,
        long reservedStorage,
        long accounts,
        long haAssets,
        Api api,
        long streams,
        long consumers,
        long messages,
        long bytes,
        @JsonInclude(Include.NON_EMPTY) List<AccountDetail> accountDetails) {

    /** The document without account details. */
    public Jsz(String serverId, String now, boolean disabled, Config config, long memory, long storage,
               long reservedMemory, long reservedStorage, long accounts, long haAssets, Api api, long streams,
               long consumers, long messages, long bytes) {
        this(serverId, now, disabled, config, memory, storage, reservedMemory, reservedStorage, accounts, haAssets,
                api, streams, consumers, messages, bytes, List.of());
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

    /** JetStream limits. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Config(long maxMemory, long maxStorage, @JsonInclude(Include.NON_EMPTY) String storeDir,
                         @JsonInclude(Include.NON_EMPTY) String domain) {
    }

    /** The {@code stats} block of /varz's {@code jetstream}. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Stats(long memory, long storage, long reservedMemory, long reservedStorage, long accounts,
                        long haAssets, Api api) {
    }

    /** JetStream API request counters. */
    public record Api(long total, long errors) {
    }
}
