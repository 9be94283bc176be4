package io.weft.engine.monitor;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.List;

/**
 * {@code /accstatz}: per-account connection and traffic counts, in nats-server 2.15.1's shape. The
 * traffic counts include connections that have closed; weft has no gateways, leaf nodes, and
 * routes carry no per-account counts, so those sub-blocks are zero.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record Accstatz(String serverId, String now, List<AccountStat> accountStatz) {

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record AccountStat(String acc, String name, long conns, long leafnodes, long totalConns,
                              long numSubscriptions, Data sent, Data received, long slowConsumers) {
    }

    /** Messages and bytes, in all and by the kind of connection they came from or went to. */
    public record Data(long msgs, long bytes, MsgBytes gateways, MsgBytes routes, MsgBytes leafs) {
        public Data(long msgs, long bytes) {
            this(msgs, bytes, MsgBytes.ZERO, MsgBytes.ZERO, MsgBytes.ZERO);
        }
    }

    /** Messages and bytes of one kind of connection. */
    public record MsgBytes(long msgs, long bytes) {
        static final MsgBytes ZERO = new MsgBytes(0, 0);
    }
}
