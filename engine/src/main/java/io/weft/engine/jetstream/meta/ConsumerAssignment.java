package io.weft.engine.jetstream.meta;

import java.util.List;

/**
 * One consumer as the meta group assigns it: the stream it reads (by account and name), its name,
 * its configuration (compact JSON, opaque here), its peer group (a subset of the stream's, in
 * nats-server's way: consumer replicas inherit the stream's) and its creation time (nanoseconds).
 */
public record ConsumerAssignment(String account, String stream, String name, String config, List<Long> peers,
                                 long createdNanos) {
    public ConsumerAssignment {
        peers = List.copyOf(peers);
        if (peers.isEmpty()) {
            throw new IllegalArgumentException("a consumer assignment needs at least one peer");
        }
    }
}
