package io.weft.engine.node;

import io.weft.engine.ServerLog;
import io.weft.engine.ServerOptions;
import io.weft.engine.cluster.GroupTransports;
import io.weft.engine.cluster.RouteGroupTransports;
import io.weft.engine.jetstream.DefaultStoreFactory;
import io.weft.engine.jetstream.JetStream;
import io.weft.engine.jetstream.JetStreamHost;
import io.weft.engine.jetstream.cluster.ReplicatedStreamLog;
import io.weft.engine.jetstream.consumer.Consumers;
import io.weft.engine.jetstream.meta.MetaGroup;
import io.weft.engine.route.InternalTraffic;
import io.weft.engine.route.RouteHost;
import io.weft.engine.route.Routes;
import io.weft.engine.server.LocalInterest;
import io.weft.engine.server.Account;
import io.weft.engine.server.Server;
import io.weft.engine.server.ServerService;
import io.weft.net.Env;
import java.io.IOException;
import java.util.Collection;
import java.util.List;

/**
 * One weft server as a whole: it assembles the accounts and the core server ({@link Server}:
 * clients, subjects, delivery) and, with {@code -js}, {@link JetStream} with its consumers, and
 * (later) routes and the meta group. Nothing it assembles imports another part back: JetStream
 * sees the server through a {@link JetStreamHost}, and the server sees JetStream as a
 * {@link ServerService}. The wiring lives here and nowhere else.
 */
public final class Node {
    private final Env env;
    private final ServerLog log;
    private final Server server;
    private volatile JetStream jetStream;
    /** The routes, or null when no cluster is configured. */
    private final Routes routes;
    /** The Raft groups' transport over the routes, or null when no cluster is configured. */
    private final RouteGroupTransports groupTransports;
    /** The meta group's transports when a caller wired them ({@link #groupTransports(GroupTransports, List)}). */
    private volatile GroupTransports metaTransports;
    private volatile List<String> metaMembers = List.of();
    private volatile java.util.function.UnaryOperator<MetaGroup.Settings> metaTweak = x -> x;
    /** Opens replicated streams' logs; null: {@link ReplicatedStreamLog#factory(Env)}. */
    private volatile io.weft.engine.jetstream.GroupLog.Factory groupLogs;

    public Node(Env env, ServerOptions options, ServerLog log) {
        if (options.auth.accounts.containsKey(InternalTraffic.ACCOUNT)) {
            throw new IllegalArgumentException("account name \"" + InternalTraffic.ACCOUNT + "\" is reserved");
        }
        this.env = env;
        this.log = log;
        this.server = new Server(env, options, log);
        // built before anything subscribes, so the routes count every client subscription
        this.routes = Routes.configured(options) ? new Routes(routeHost(server)) : null;
        this.groupTransports = routes == null ? null : new RouteGroupTransports(env, log);
        if (routes != null) {
            routes.internalTraffic(groupTransports);
        }
        server.addService(new ServerService() {
            @Override
            public boolean servesJetStream() {
                JetStream js = jetStream;
                return js != null && js.isRunning();
            }

            @Override
            public void configReloaded() {
                if (routes != null) {
                    routes.reloaded();
                }
                JetStream js = jetStream;
                if (js != null) {
                    js.accountsChanged();
                }
            }

            @Override
            public void lameDuck() {
                if (routes != null) {
                    routes.lameDuck();
                }
            }

            @Override
            public void stop() {
                if (routes != null) {
                    routes.stop();
                }
                JetStream js = jetStream;
                if (js != null) {
                    js.shutdown();
                }
            }
        });
    }

    /**
     * Starts JetStream (when configured) and then the server: JetStream first, as nats-server does,
     * so that the first client already finds its streams.
     */
    public void start() throws IOException {
        ServerOptions o = server.options();
        String bad = clusterConfigError(o);
        if (bad != null) {
            throw new IOException(bad);
        }
        if (o.jetstream) {
            JetStream js = new JetStream(jetStreamHost(server), new DefaultStoreFactory(env.disk()), new Consumers());
            // replicated streams run their Raft groups through this (the meta group opens them)
            io.weft.engine.jetstream.GroupLog.Factory logs = groupLogs;
            js.groupLogs(logs != null ? logs : ReplicatedStreamLog.factory(env));
            GroupTransports gt = metaTransports;
            if (gt != null && Routes.configured(o)) {
                String name = o.serverName;
                js.cluster(gt, metaTweak.apply(MetaGroup.Settings.of(name, o.clusterName,
                        JetStream.storeRoot(o) + "/$SYS/_js_/_meta_", metaMembers,
                        n -> n.equals(name) ? o.serverTags : List.of())), o.jetstreamUniqueTag);
            } else if (routes != null && !o.routes.isEmpty()) {
                // the meta group starts once the configured routes have named its members (MetaBootstrap)
                js.clusterLater(groupTransports, o.jetstreamUniqueTag);
            } else if (routes != null) {
                log.warn("JetStream runs on this server alone: cluster.routes lists no server, so no meta group is "
                        + "started (list every JetStream server of the cluster in each server's routes block)");
            }
            js.start();
            jetStream = js;
        }
        if (routes != null) {
            server.clusterAdvert(routes.clientAdvert());
        }
        server.start();
        if (routes != null) {
            // after the client listener, as nats-server: route INFO advertises the bound client port
            routes.start();
            JetStream js = jetStream;
            if (js != null && js.metaPending()) {
                new MetaBootstrap(env, log, o, routes, js).start();
            }
        }
    }

    /**
     * Wires the node's Raft transports (call before {@link #start}): with a cluster and JetStream
     * configured, JetStream joins the meta group of {@code metaMembers} (every JetStream server's
     * {@code server_name}, this one's included) over {@code transports}. Without it JetStream runs on
     * this server alone, as before.
     */
    public void groupTransports(GroupTransports transports, List<String> metaMembers) {
        groupTransports(transports, metaMembers, x -> x);
    }

    /** As above, with {@code tweak} adjusting the meta group's settings (tests: faster timing). */
    public void groupTransports(GroupTransports transports, List<String> metaMembers,
                                java.util.function.UnaryOperator<MetaGroup.Settings> tweak) {
        this.metaTransports = transports;
        this.metaMembers = List.copyOf(metaMembers);
        this.metaTweak = tweak;
    }

    /**
     * Replaces how replicated streams open their logs (call before {@link #start}). Only for tests:
     * the simulator passes {@link ReplicatedStreamLog#factory(Env, java.util.function.UnaryOperator,
     * ReplicatedStreamLog.Options, boolean)} with a test-only bug switch on, to prove its checker
     * catches it. A production node never calls this and runs {@link ReplicatedStreamLog#factory(Env)}.
     */
    public void groupLogs(io.weft.engine.jetstream.GroupLog.Factory factory) {
        this.groupLogs = factory;
    }

    /**
     * Why a configuration cannot start, as nats-server says it, or null: clustered JetStream needs
     * {@code server_name} and {@code cluster.name}.
     */
    public static String clusterConfigError(ServerOptions o) {
        if (!o.jetstream || !Routes.configured(o)) {
            return null;
        }
        if (o.serverName == null || o.serverName.isEmpty()) {
            return "jetstream cluster requires `server_name` to be set";
        }
        if (o.clusterName == null || o.clusterName.isEmpty()) {
            return "jetstream cluster requires `cluster.name` to be set";
        }
        return null;
    }

    /** The routes, or null when no cluster is configured. */
    public Routes routes() {
        return routes;
    }

    /**
     * Where the node's Raft groups (the meta group, replicated streams and consumers) get their
     * transports: over the routes, to weft peers only. Null when no cluster is configured.
     */
    public GroupTransports groupTransports() {
        return groupTransports;
    }

    /** What the group transports carried and dropped; null when no cluster is configured. */
    public RouteGroupTransports.Stats groupTransportStats() {
        return groupTransports == null ? null : groupTransports.stats();
    }

    /** The routes' view of {@code server}. */
    public static RouteHost routeHost(Server server) {
        return new ServerView(server);
    }

    /** Closes the clients, then stops JetStream (its data stays on disk). */
    public void shutdown() {
        server.shutdown();
        if (routes != null) {
            routes.stop();
        }
        // a JetStream whose start failed (the server never ran) is stopped here
        JetStream js = jetStream;
        if (js != null) {
            js.shutdown();
        }
    }

    public void awaitShutdown() throws InterruptedException {
        server.awaitShutdown();
    }

    /** The core server. */
    public Server server() {
        return server;
    }

    /** The node's JetStream, or null when it is off (or not started yet). */
    public JetStream jetStream() {
        return jetStream;
    }

    public Env env() {
        return env;
    }

    public ServerLog log() {
        return log;
    }

    /** The bound client port. */
    public int port() {
        return server.port();
    }

    /** JetStream's view of {@code server}: what a {@link JetStreamHost} asks, answered by the server. */
    public static JetStreamHost jetStreamHost(Server server) {
        return new ServerView(server);
    }

    /** One forwarding view of the server for every part that sees it through a host interface. */
    private record ServerView(Server server) implements JetStreamHost, RouteHost {
        @Override
        public Env env() {
            return server.env();
        }

        @Override
        public ServerLog log() {
            return server.log();
        }

        @Override
        public ServerOptions options() {
            return server.options();
        }

        @Override
        public String serverId() {
            return server.serverId();
        }

        @Override
        public String serverName() {
            return server.serverName();
        }

        @Override
        public Account account(String name) {
            return server.account(name);
        }

        @Override
        public Collection<Account> accounts() {
            return server.accounts();
        }

        @Override
        public void countRouteClose(boolean stale) {
            if (stale) {
                server.countStale(Server.ConnKind.ROUTE);
            } else {
                server.countSlowConsumer(Server.ConnKind.ROUTE);
            }
        }

        @Override
        public int clientPort() {
            return server.port();
        }

        @Override
        public void clientInfoChanged() {
            server.sendInfoToClients();
        }

        @Override
        public void onLocalInterest(LocalInterest listener) {
            server.onLocalInterest(listener);
        }

        @Override
        public int deliverRouted(Account acc, String subject, String reply, java.util.List<String> queues, byte[] data,
                                 int off, int hdrLen, int totalLen, io.weft.engine.server.Deliveries batch,
                                 io.weft.engine.server.RouteSink from, long rid) {
            return server.deliverRouted(acc, subject, reply, queues, data, off, hdrLen, totalLen, batch, from, rid);
        }
    }
}
