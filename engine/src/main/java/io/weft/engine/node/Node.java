package io.weft.engine.node;

import io.weft.engine.ServerLog;
import io.weft.engine.ServerOptions;
import io.weft.engine.jetstream.DefaultStoreFactory;
import io.weft.engine.jetstream.JetStream;
import io.weft.engine.jetstream.JetStreamHost;
import io.weft.engine.jetstream.consumer.Consumers;
import io.weft.engine.route.RouteHost;
import io.weft.engine.route.Routes;
import io.weft.engine.server.LocalInterest;
import io.weft.engine.server.Account;
import io.weft.engine.server.Server;
import io.weft.engine.server.ServerService;
import io.weft.net.Env;
import java.io.IOException;
import java.util.Collection;

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

    public Node(Env env, ServerOptions options, ServerLog log) {
        this.env = env;
        this.log = log;
        this.server = new Server(env, options, log);
        // built before anything subscribes, so the routes count every client subscription
        this.routes = Routes.configured(options) ? new Routes(routeHost(server)) : null;
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
        if (server.options().jetstream) {
            JetStream js = new JetStream(jetStreamHost(server), new DefaultStoreFactory(env.disk()), new Consumers());
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
        }
    }

    /** The routes, or null when no cluster is configured. */
    public Routes routes() {
        return routes;
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
    }
}
