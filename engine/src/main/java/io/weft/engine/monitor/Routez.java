package io.weft.engine.monitor;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonInclude.Include;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.List;

/** {@code /routez}: no routes until clustering exists. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record Routez(String serverId, String now, int numRoutes, List<Object> routes) {
}
