package io.weft.engine.monitor;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonInclude.Include;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/**
 * One subscription in {@code /connz?subs=detail} and {@code /subsz?subs=1}. {@code account} is
 * present in /subsz and for closed connections, absent for open ones in /connz (as nats-server).
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record SubDetail(
        @JsonInclude(Include.NON_EMPTY) String account,
        String subject,
        @JsonInclude(Include.NON_EMPTY) String qgroup,
        String sid,
        long msgs,
        @JsonInclude(Include.NON_DEFAULT) long max,
        long cid) {
}
