package io.weft.engine.cluster;

import io.weft.raft.driver.Transport;

/**
 * Where every Raft group of a node gets its {@link Transport}: the meta group and each replicated
 * stream or consumer open one per group, and all of them share the node's routes (DESIGN.md,
 * "Clustering": Raft messages travel over routes, on internal subjects no client can reach).
 * Replica ids are {@link PeerIds}: the same server has the same id in every group.
 *
 * <p>A transport opened here carries only its own group's messages: a message for group {@code g}
 * reaches the transport {@code open(g, to)} on the server whose peer id is {@code to}, if any.
 */
public interface GroupTransports {
    /** The transport of replica {@code self} of group {@code group}; closing it detaches it. */
    Transport open(String group, long self);

    /**
     * True if a route to replica {@code peer}'s server is up now (monitoring: whether a member is
     * online). A transport that cannot tell says false.
     */
    default boolean reachable(long peer) {
        return false;
    }
}
