package io.weft.server;

import io.weft.engine.ServerOptions;
import io.weft.engine.server.Server;
import io.weft.server.cli.ServeArgs;
import io.weft.server.cli.ServeCommand;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Signal handling as nats-server does it: TERM and INT stop, HUP reloads the configuration,
 * USR1 reopens the log file, USR2 enters lame duck mode. {@code --signal CMD[=PID]} sends them.
 */
final class Signals {
    private static final Map<String, String> COMMANDS = Map.of(
            "stop", "KILL", "quit", "INT", "term", "TERM", "reopen", "USR1", "reload", "HUP", "ldm", "USR2");

    private Signals() {
    }

    /**
     * The variable that moves HotSpot's thread suspend/resume signal off USR2 (its default on
     * Linux). JFR's sampler suspends threads with that signal, so while it is USR2 every sample
     * reaches weft's USR2 handler and puts the server into lame duck mode. bin/weft sets it.
     */
    static final String SUSPEND_SIGNAL_ENV = "_JAVA_SR_SIGNUM";

    static void install(Server server, ServeCommand command, ServeArgs args, NatsLog log) {
        String suspend = System.getenv(SUSPEND_SIGNAL_ENV);
        if (suspend == null || suspend.isBlank() || suspend.trim().equals("12")) {
            log.warn("The JVM suspends threads with USR2, the lame duck signal: a profiler such as JFR would put "
                    + "this server into lame duck mode. Start weft with bin/weft, or set " + SUSPEND_SIGNAL_ENV
                    + "=39 in its environment");
        }
        Signal.handle(new Signal("TERM"), s -> stop(server, log, "terminated"));
        if (Signal.handle(new Signal("INT"), s -> stop(server, log, "interrupt")) == SignalHandler.SIG_IGN) {
            log.warn("SIGINT was ignored when this server started (a background job?): the JVM keeps it ignored, so "
                    + "SIGINT will not stop it. Start weft with bin/weft, which resets it");
        }
        SignalHandler before = Signal.handle(new Signal("HUP"), s -> Thread.ofVirtual().start(() -> reload(server, command, args, log)));
        if (before == SignalHandler.SIG_IGN) {
            // the JVM keeps a signal ignored at its start ignored (nohup does that); bin/weft resets it
            log.warn("SIGHUP was ignored when this server started (nohup?): the JVM keeps it ignored, so SIGHUP and "
                    + "--signal reload will not reload the configuration. Start weft with bin/weft, which resets it, "
                    + "or without nohup");
        }
        Signal.handle(new Signal("USR1"), s -> {
            try {
                log.reopen();
                log.notice("File log re-opened"); // nats-server 2.9.10's wording
            } catch (IOException e) {
                log.error("Failed to reopen log file: " + e.getMessage());
            }
        });
        Signal.handle(new Signal("USR2"), s -> Thread.ofVirtual().start(() -> {
            try {
                server.enterLameDuckMode();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }));
    }

    private static void stop(Server server, NatsLog log, String why) {
        log.notice("Trapped \"" + why + "\" signal");
        Thread.ofVirtual().start(server::shutdown);
    }

    static void reload(Server server, ServeCommand command, ServeArgs args, NatsLog log) {
        log.notice("Trapped \"hangup\" signal");
        if (args.configFile == null || args.configFile.isEmpty()) {
            log.error("Failed to reload server configuration: can only reload config when a file is provided using -c or --config");
            return;
        }
        try {
            ServerOptions next = command.resolve(args);
            log.configure(next.debug, next.trace, next.logTime, next.logFile);
            server.reload(next);
        } catch (Exception e) {
            log.error("Failed to reload server configuration: " + e.getMessage());
        }
    }

    /** {@code --signal CMD[=PID|=PIDFILE]}: sends the signal to a running weft. */
    static int send(ServeArgs.SignalRequest request, PrintStream err) {
        String cmd = request.signal();
        String target = request.pidOrFile();
        String signal = COMMANDS.get(cmd);
        if (signal == null) {
            err.println("weft: unknown signal \"" + cmd + "\" (use one of stop, quit, term, reopen, reload, ldm)");
            return 1;
        }
        List<Long> pids = new ArrayList<>();
        if (target != null && !target.isEmpty()) {
            if (target.chars().allMatch(Character::isDigit)) {
                pids.add(Long.parseLong(target));
            } else {
                try {
                    pids.add(Long.parseLong(Files.readString(Path.of(target), StandardCharsets.US_ASCII).trim()));
                } catch (IOException | NumberFormatException e) {
                    err.println("weft: cannot read pid from " + target + ": " + e.getMessage());
                    return 1;
                }
            }
        } else {
            long self = ProcessHandle.current().pid();
            ProcessHandle.allProcesses()
                    .filter(p -> p.pid() != self)
                    .filter(p -> p.info().commandLine().map(c -> c.contains("io.weft.server.Main")
                            && !c.contains("--signal") && !c.contains("-sl")).orElse(false))
                    .forEach(p -> pids.add(p.pid()));
            if (pids.isEmpty()) {
                err.println("weft: no weft process is running");
                return 1;
            }
            if (pids.size() > 1) {
                err.println("weft: multiple weft processes are running " + pids + "; give one as " + cmd + "=PID");
                return 1;
            }
        }
        for (long pid : pids) {
            try {
                Process p = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
                if (p.waitFor() != 0) {
                    err.println("weft: could not signal process " + pid);
                    return 1;
                }
            } catch (IOException e) {
                err.println("weft: could not signal process " + pid + ": " + e.getMessage());
                return 1;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return 1;
            }
        }
        return 0;
    }
}
