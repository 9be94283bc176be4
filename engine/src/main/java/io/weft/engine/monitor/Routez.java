package io.weft.engine.monitor;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonInclude.Include;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.List;

/**
 * {@code /routez}, shaped as nats-server 2.15's: one entry per route connection, in the order the
 * routes came up; {@code subscriptions_list} only with {@code ?subs=1}, {@code
 * subscriptions_list_detail} instead with {@code ?subs=detail} (each left out when empty, as
 * nats-server's omitempty does).
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record Routez(String serverId, String serverName, String now, int numRoutes, List<RouteInfo> routes) {

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record RouteInfo(
            long rid,
            String remoteId,
            String remoteName,
            boolean didSolicit,
            boolean isConfigured,
            String ip,
            int port,
            String start,
            String lastActivity,
            String rtt,
            String uptime,
            String idle,
            int pendingSize,
            long inMsgs,
            long outMsgs,
            long inBytes,
            long outBytes,
            int subscriptions,
            @JsonInclude(Include.NON_EMPTY) List<String> subscriptionsList,
            @JsonInclude(Include.NON_EMPTY) List<SubDetail> subscriptionsListDetail,
            String compression) {
    }
}
