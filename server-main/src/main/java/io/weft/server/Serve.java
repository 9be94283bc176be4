package io.weft.server;

import io.weft.engine.ServerOptions;
import io.weft.engine.node.Node;
import io.weft.engine.server.Server;
import io.weft.net.Env;
import io.weft.server.cli.ServeArgs;
import io.weft.server.cli.ServeCommand;
import io.weft.server.cli.UsageException;
import io.weft.server.config.ConfigException;
import io.weft.server.config.MappedConfig;
import io.weft.server.monitor.MonitorHttpServer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** {@code weft serve}: resolve flags and config, start the server, handle signals until it stops. */
final class Serve {
    private Serve() {
    }

    static String versionLine() {
        return "weft: v" + Server.WEFT_VERSION + " (nats-server " + Server.COMPAT_VERSION + " compatible)";
    }

    static int run(String[] argv, PrintStream out, PrintStream err) {
        ServeArgs args;
        try {
            args = ServeCommand.parse(List.of(argv));
        } catch (UsageException e) {
            err.println(e.withHint());
            return 1;
        }
        if (args.help) {
            out.print(ServeCommand.usage());
            return 0;
        }
        if (args.version) {
            out.println(versionLine());
            return 0;
        }
        if (args.signal != null) {
            return Signals.send(args.signal, err);
        }
        ServeCommand command = new ServeCommand();
        MappedConfig mapped;
        try {
            if (args.testConfig) {
                out.println(command.checkConfig(args));
                return 0;
            }
            mapped = command.resolveWithWarnings(args);
        } catch (ConfigException | UsageException e) {
            err.println("weft: " + e.getMessage());
            return 1;
        }
        ServerOptions opts = mapped.options();
        NatsLog log;
        try {
            log = new NatsLog(opts.debug, opts.trace, opts.logTime, opts.logFile);
        } catch (IOException e) {
            err.println("weft: cannot open log file " + opts.logFile + ": " + e.getMessage());
            return 1;
        }
        return serve(command, args, mapped, log);
    }

    private static int serve(ServeCommand command, ServeArgs args, MappedConfig mapped, NatsLog log) {
        ServerOptions opts = mapped.options();
        log.notice("Starting weft (nats-server compatible)");
        log.notice("  Version:  " + Server.WEFT_VERSION + " (protocol of nats-server " + Server.COMPAT_VERSION + ")");
        log.notice("  Java:     " + Runtime.version());
        Env env = OffsetClock.wrap(Env.real(), System.getenv(OffsetClock.VARIABLE), log);
        JetStreamDefaults.apply(opts);
        String clusterError = Node.clusterConfigError(opts);
        if (clusterError != null) {
            // nats-server refuses to start the same way (its validateJetStreamOptions)
            log.fatal(clusterError);
            stopNetwork(env);
            return 1;
        }
        Node node = new Node(env, opts, log);
        Server server = node.server();
        log.notice("  Name:     " + server.serverName());
        log.notice("  ID:       " + server.serverId());
        if (!opts.configFile.isEmpty()) {
            log.notice("Using configuration file: " + opts.configFile);
        }
        for (String w : mapped.warnings()) {
            log.warn(w);
        }
        if (opts.jetstream) {
            if (!opts.storeDir.isEmpty()) {
                try {
                    Files.createDirectories(Path.of(opts.storeDir));
                } catch (IOException e) {
                    log.fatal("Can't create JetStream store directory " + opts.storeDir + ": " + e.getMessage());
                    return 1;
                }
            }
            if (mapped.jetstreamSyncInterval() != null) {
                opts.jetstreamSyncInterval = mapped.jetstreamSyncInterval();
            }
        }
        // before listening, as nats-server does, so whoever sees the port open also finds the pid
        // file and can signal the server (a HUP or USR2 arriving before the handlers would be
        // taken by the JVM: HUP ends it, USR2 is ignored)
        String sysName = opts.effectiveSystemAccount();
        boolean fullResolver = opts.auth.operatorMode != null && opts.auth.operatorMode.resolver() != null;
        if (fullResolver && sysName != null && !opts.auth.accounts.containsKey(sysName)) {
            // as nats-server: the system account's JWT can be pushed later
            log.notice("Using bootstrapping system account");
        } else if (sysName != null && !opts.systemAccount.isEmpty() && !opts.auth.accounts.containsKey(sysName)) {
            // nats-server's start error for a system_account no accounts block defines
            log.fatal("error resolving system account: account missing");
            return 1;
        }
        io.weft.engine.sys.SystemServices sys = new io.weft.engine.sys.SystemServices(node,
                MonitorHttpServer.monitorFor(node));
        sys.start();
        writePid(opts, log);
        Signals.install(server, command, args, log);
        MonitorHttpServer monitor = null;
        try {
            node.start();
        } catch (IOException e) {
            log.fatal(node.jetStream() == null && opts.jetstream ? "Can't start JetStream or listen: " + e.getMessage()
                    : ListenFailure.clientPort(opts.host, opts.port, e));
            node.shutdown();
            removePid(opts);
            stopNetwork(env);
            return 1;
        }
        if (opts.httpPort != 0 || opts.httpsPort != 0) {
            try {
                monitor = new MonitorHttpServer(node, log);
                monitor.start();
            } catch (IOException e) {
                log.fatal(ListenFailure.monitorPort(opts.httpHost, opts.httpsPort != 0 ? opts.httpsPort : opts.httpPort, e));
                server.shutdown();
                removePid(opts);
                return 1;
            }
        }
        log.notice("Server is ready");
        try {
            server.awaitShutdown();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (monitor != null) {
            monitor.stop();
        }
        removePid(opts);
        stopNetwork(env);
        return 0;
    }

    /**
     * After the server (JetStream stores flushed and closed) has shut down: stops the socket
     * threads, which would otherwise hold the JVM's exit for about 300 ms (it waits for threads
     * inside native code, and those sit in epoll_wait).
     */
    private static void stopNetwork(Env env) {
        if (env.network() instanceof io.weft.net.RealNetwork rn) {
            try {
                rn.shutdown(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static void writePid(ServerOptions opts, NatsLog log) {
        if (opts.pidFile.isEmpty()) {
            return;
        }
        try {
            Files.writeString(Path.of(opts.pidFile), Long.toString(ProcessHandle.current().pid()), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            log.error("Could not write pidfile: " + e.getMessage());
        }
    }

    private static void removePid(ServerOptions opts) {
        if (!opts.pidFile.isEmpty()) {
            try {
                Files.deleteIfExists(Path.of(opts.pidFile));
            } catch (IOException ignored) {
                // best effort at exit
            }
        }
    }
}
