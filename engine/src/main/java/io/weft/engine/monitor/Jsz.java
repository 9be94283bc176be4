package io.weft.engine.monitor;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonInclude.Include;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

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
        long bytes) {

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
