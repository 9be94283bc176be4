package io.weft.engine.server;

/**
 * Interest a route's peer announced ({@code RS+}): the {@link Router} sends matching messages to
 * its {@link RouteSink}, never one that itself came from a route (one hop). A queue interest has a
 * weight, the number of members the peer has in that group; the router picks among all members of
 * a group cluster-wide with each remote interest counting as that many members.
 */
public final class RemoteSubscription extends Subscription {
    final RouteSink route;
    private volatile int weight;

    RemoteSubscription(RouteSink route, String subject, String queue, int weight) {
        super(subject, queue);
        this.route = route;
        this.weight = Math.max(1, weight);
    }

    /** How many queue members the peer has (1 for a plain interest). */
    public int weight() {
        return weight;
    }

    /** A new member count from a repeated {@code RS+} (at least 1). */
    public void weight(int w) {
        this.weight = Math.max(1, w);
    }
}
