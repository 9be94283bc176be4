package io.weft.engine.monitor;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonInclude.Include;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.Map;

/** {@code /gatewayz} of a server without gateways. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record Gatewayz(String serverId, String now, Map<String, Object> outboundGateways,
                       Map<String, Object> inboundGateways) {
}
