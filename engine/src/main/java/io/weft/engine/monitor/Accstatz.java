package io.weft.engine.monitor;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonInclude.Include;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.List;

/** {@code /accstatz}: per-account connection and traffic counts. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record Accstatz(String serverId, String now, List<AccountStat> accountStatz) {

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record AccountStat(String acc, long conns, long leafnodes, long totalConns, Data sent, Data received,
                              long slowConsumers) {
    }

    /** Messages and bytes. */
    public record Data(long msgs, long bytes) {
    }
}
