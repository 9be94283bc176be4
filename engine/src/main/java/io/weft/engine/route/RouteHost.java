package io.weft.engine.route;

import io.weft.engine.ServerLog;
import io.weft.engine.ServerOptions;
import io.weft.engine.server.Account;
import io.weft.engine.server.LocalInterest;
import io.weft.net.Env;
import java.util.Collection;

/** What the routes need of the server they run in; the {@code Node} answers it. */
public interface RouteHost {
    Env env();

    ServerLog log();

    ServerOptions options();

    String serverId();

    String serverName();

    /** The account of that name, created on first use (a peer's RS+ may name one not configured here). */
    Account account(String name);

    Collection<Account> accounts();

    /** A route closed as stale (unanswered PINGs) or as a slow consumer, for /varz. */
    void countRouteClose(boolean stale);

    /** The bound client port (for the {@code connect_urls} this server advertises). */
    int clientPort();

    /** The cluster's {@code connect_urls} changed: clients that take async INFO get it again. */
    void clientInfoChanged();

    /** Registers the one listener told of client subscriptions added and removed. */
    void onLocalInterest(LocalInterest listener);

    /**
     * Delivers a message that arrived over route {@code rid} in {@code acc} (tracing this server's
     * hop of it when it asks to be traced); returns the deliveries as the account's router counts them.
     */
    default int deliverRouted(Account acc, String subject, String reply, java.util.List<String> queues, byte[] data,
                              int off, int hdrLen, int totalLen, io.weft.engine.server.Deliveries batch,
                              io.weft.engine.server.RouteSink from, long rid) {
        return acc.publishFromRoute(subject, reply, queues, data, off, hdrLen, totalLen, batch);
    }
}
