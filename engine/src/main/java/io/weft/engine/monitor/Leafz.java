package io.weft.engine.monitor;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonInclude.Include;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.List;

/** {@code /leafz} of a server without leaf nodes ({@code leafs} is null, as nats-server prints it). */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record Leafz(String serverId, String now, int leafnodes, List<Object> leafs) {
}
