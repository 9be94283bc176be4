package io.weft.engine.monitor;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonInclude.Include;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import io.weft.engine.json.GoFormat;
import java.util.Map;

/**
 * {@code /varz}: general server information, in nats-server 2.15.1's key order. Durations
 * {@code ping_interval} and {@code write_deadline} are nanoseconds, {@code auth_timeout} and
 * {@code tls_timeout} seconds, times Go RFC 3339 strings (see {@link GoFormat}).
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record Varz(
        String serverId,
        String serverName,
        String version,
        int proto,
        String go,
        String host,
        int port,
        @JsonInclude(Include.NON_DEFAULT) boolean authRequired,
        @JsonInclude(Include.NON_EMPTY) java.util.List<String> connectUrls,
        long maxConnections,
        long pingInterval,
        int pingMax,
        String httpHost,
        int httpPort,
        String httpBasePath,
        int httpsPort,
        double authTimeout,
        long maxControlLine,
        long maxPayload,
        long maxPending,
        Map<String, Object> cluster,
        Map<String, Object> gateway,
        Map<String, Object> leaf,
        Map<String, Object> mqtt,
        Map<String, Object> websocket,
        JetStreamVarz jetstream,
        double tlsTimeout,
        long writeDeadline,
        String start,
        String now,
        String uptime,
        long mem,
        int cores,
        int gomaxprocs,
        double cpu,
        long connections,
        long totalConnections,
        long routes,
        long remotes,
        long leafnodes,
        long inMsgs,
        long inBytes,
        long inClientMsgs,
        long inClientBytes,
        long outMsgs,
        long outBytes,
        long outClientMsgs,
        long outClientBytes,
        long slowConsumers,
        long staleConnections,
        long stalledClients,
        long subscriptions,
        Map<String, Long> httpReqStats,
        String configLoadTime,
        String configDigest,
        @JsonInclude(Include.NON_EMPTY) String systemAccount,
        ByKind slowConsumerStats,
        ByKind staleConnectionStats) {

    /** {@code slow_consumer_stats} and {@code stale_connection_stats}: counts by connection kind. */
    public record ByKind(long clients, long routes, long gateways, long leafs) {
    }

    /** The {@code jetstream} block: empty ({@code {}}) when JetStream is off. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record JetStreamVarz(
            @JsonInclude(Include.NON_NULL) Jsz.Config config,
            @JsonInclude(Include.NON_NULL) Jsz.Stats stats) {
        public static final JetStreamVarz DISABLED = new JetStreamVarz(null, null);
    }
}
