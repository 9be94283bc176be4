package io.weft.engine.monitor;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonInclude.Include;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.List;

/**
 * {@code /connz}. {@code connections} is null only in nats-server's reply for an unknown
 * {@code acc=} (which also has an empty {@code server_id}).
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record Connz(
        String serverId,
        String now,
        int numConnections,
        int total,
        int offset,
        int limit,
        List<ConnInfo> connections) {

    /** One connection. Optional values are null (or empty) when nats-server omits them. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record ConnInfo(
            long cid,
            String kind,
            String type,
            String ip,
            int port,
            String start,
            String lastActivity,
            @JsonInclude(Include.NON_NULL) String stop,
            @JsonInclude(Include.NON_EMPTY) String reason,
            @JsonInclude(Include.NON_EMPTY) String rtt,
            String uptime,
            String idle,
            long pendingBytes,
            long inMsgs,
            long outMsgs,
            long inBytes,
            long outBytes,
            @JsonInclude(Include.NON_DEFAULT) long stalls,
            long subscriptions,
            @JsonInclude(Include.NON_EMPTY) String name,
            @JsonInclude(Include.NON_EMPTY) String lang,
            @JsonInclude(Include.NON_EMPTY) String version,
            @JsonInclude(Include.NON_EMPTY) String tlsVersion,
            @JsonInclude(Include.NON_EMPTY) String tlsCipherSuite,
            @JsonInclude(Include.NON_DEFAULT) boolean tlsFirst,
            @JsonInclude(Include.NON_EMPTY) String authorizedUser,
            @JsonInclude(Include.NON_EMPTY) String account,
            @JsonInclude(Include.NON_EMPTY) List<String> subscriptionsList,
            @JsonInclude(Include.NON_EMPTY) List<SubDetail> subscriptionsListDetail,
            @JsonInclude(Include.NON_EMPTY) String nameTag) {
    }
}
