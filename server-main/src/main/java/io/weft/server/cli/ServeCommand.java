package io.weft.server.cli;

import io.weft.engine.ServerOptions;
import io.weft.server.config.ConfigException;
import io.weft.server.config.ConfigParser;
import io.weft.server.config.MappedConfig;
import io.weft.server.config.OptionsMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;

/**
 * Flag parsing for {@code weft serve}, with nats-server's flags and semantics: {@code -flag} and
 * {@code --flag} are the same, values come as {@code -p 4222} or {@code -p=4222}, boolean flags
 * may be written {@code -D=false}, parsing stops at {@code --}, and flags override the config file.
 */
public final class ServeCommand {
    private static final Set<String> SIGNALS = Set.of("ldm", "stop", "quit", "term", "reopen", "reload");

    private final Function<String, String> env;

    /** Uses the process environment for {@code $VARIABLES} and {@code WEFT_*} defaults. */
    public ServeCommand() {
        this(System::getenv);
    }

    public ServeCommand(Function<String, String> env) {
        this.env = env;
    }

    private enum Kind { VALUE, BOOL }

    private interface Setter {
        void apply(ServeArgs a, String flag, String value);
    }

    private record Flag(Kind kind, Setter setter, String... names) {
    }

    private static final List<Flag> FLAGS = List.of(
            new Flag(Kind.VALUE, (a, f, v) -> a.host = v, "a", "addr", "net"),
            new Flag(Kind.VALUE, (a, f, v) -> a.port = intArg(f, v), "p", "port"),
            new Flag(Kind.VALUE, (a, f, v) -> a.serverName = v, "n", "name", "server_name"),
            new Flag(Kind.VALUE, (a, f, v) -> a.pidFile = v, "P", "pid"),
            new Flag(Kind.VALUE, (a, f, v) -> a.httpPort = intArg(f, v), "m", "http_port"),
            new Flag(Kind.VALUE, (a, f, v) -> a.httpsPort = intArg(f, v), "ms", "https_port"),
            new Flag(Kind.VALUE, (a, f, v) -> a.configFile = v, "c", "config"),
            new Flag(Kind.BOOL, (a, f, v) -> a.testConfig = bool(f, v), "t"),
            new Flag(Kind.VALUE, (a, f, v) -> a.signal = signal(f, v), "sl", "signal"),
            new Flag(Kind.VALUE, (a, f, v) -> a.clientAdvertise = v, "client_advertise"),
            new Flag(Kind.VALUE, (a, f, v) -> a.logFile = v, "l", "log"),
            new Flag(Kind.BOOL, (a, f, v) -> a.logTime = bool(f, v), "T", "logtime"),
            new Flag(Kind.BOOL, (a, f, v) -> a.debug = bool(f, v), "D", "debug"),
            new Flag(Kind.BOOL, (a, f, v) -> a.trace = bool(f, v), "V", "trace", "VV"),
            new Flag(Kind.BOOL, (a, f, v) -> {
                a.debug = bool(f, v);
                a.trace = a.debug;
            }, "DV", "DVV"),
            new Flag(Kind.BOOL, (a, f, v) -> a.jetstream = bool(f, v), "js", "jetstream"),
            new Flag(Kind.VALUE, (a, f, v) -> a.storeDir = v, "sd", "store_dir"),
            new Flag(Kind.VALUE, (a, f, v) -> a.user = v, "user"),
            new Flag(Kind.VALUE, (a, f, v) -> a.password = v, "pass"),
            new Flag(Kind.VALUE, (a, f, v) -> a.token = v, "auth"),
            new Flag(Kind.BOOL, (a, f, v) -> a.help = bool(f, v), "h", "help"),
            new Flag(Kind.BOOL, (a, f, v) -> a.version = bool(f, v), "v", "version"),
            new Flag(Kind.BOOL, (a, f, v) -> a.tls = bool(f, v), "tls"),
            new Flag(Kind.BOOL, (a, f, v) -> a.tlsVerify = bool(f, v), "tlsverify"),
            new Flag(Kind.BOOL, (a, f, v) -> a.help = bool(f, v), "help_tls"),
            new Flag(Kind.VALUE, (a, f, v) -> a.tlsCert = v, "tlscert"),
            new Flag(Kind.VALUE, (a, f, v) -> a.tlsKey = v, "tlskey"),
            new Flag(Kind.VALUE, (a, f, v) -> a.tlsCaCert = v, "tlscacert"),
            new Flag(Kind.VALUE, (a, f, v) -> a.cluster = v, "cluster", "cluster_listen"),
            new Flag(Kind.VALUE, (a, f, v) -> a.clusterName = v, "cluster_name"),
            new Flag(Kind.VALUE, (a, f, v) -> a.routes = v, "routes"),
            new Flag(Kind.VALUE, (a, f, v) -> a.connectRetries = intArg(f, v), "connect_retries"),
            new Flag(Kind.BOOL, (a, f, v) -> a.noAdvertise = bool(f, v), "no_advertise"),
            new Flag(Kind.VALUE, (a, f, v) -> a.clusterAdvertise = v, "cluster_advertise"),
            new Flag(Kind.VALUE, ServeCommand::ignored, "remote_syslog", "r", "log_size_limit", "max_traced_msg_len",
                    "ports_file_dir", "profile"),
            new Flag(Kind.BOOL, ServeCommand::ignored, "s", "syslog"));

    private static void ignored(ServeArgs a, String flag, String value) {
        a.warnings.add("flag -" + flag + " is not supported yet; ignored");
    }

    private static Flag lookup(String name) {
        for (Flag f : FLAGS) {
            for (String n : f.names()) {
                if (n.equals(name)) {
                    return f;
                }
            }
        }
        return null;
    }

    /** Parses the arguments that follow {@code weft serve}. */
    public static ServeArgs parse(List<String> args) {
        ServeArgs a = new ServeArgs();
        int i = 0;
        while (i < args.size()) {
            String arg = args.get(i++);
            if (arg.equals("--")) {
                break;
            }
            if (!arg.startsWith("-") || arg.equals("-")) {
                throw new UsageException("unrecognized command: \"" + arg + "\"");
            }
            String body = arg.startsWith("--") ? arg.substring(2) : arg.substring(1);
            if (body.isEmpty() || body.startsWith("-") || body.startsWith("=")) {
                throw new UsageException("bad flag syntax: " + arg);
            }
            String name = body;
            String value = null;
            int eq = body.indexOf('=');
            if (eq >= 0) {
                name = body.substring(0, eq);
                value = body.substring(eq + 1);
            }
            Flag flag = lookup(name);
            if (flag == null) {
                throw new UsageException("flag provided but not defined: -" + name);
            }
            if (flag.kind() == Kind.VALUE && value == null) {
                if (i >= args.size()) {
                    throw new UsageException("flag needs an argument: -" + name);
                }
                value = args.get(i++);
            }
            flag.setter().apply(a, name, value);
        }
        if (i < args.size()) {
            throw new UsageException("unrecognized command: \"" + args.get(i) + "\"");
        }
        if (a.testConfig && a.configFile == null && !a.help && !a.version) {
            throw new UsageException("must specify [-c, --config] option to check configuration file syntax");
        }
        return a;
    }

    private static int intArg(String flag, String v) {
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new UsageException("invalid value \"" + v + "\" for flag -" + flag + ": parse error");
        }
    }

    /** Go's strconv.ParseBool set, which nats-server's flag package uses for {@code -flag=value}. */
    private static boolean bool(String flag, String v) {
        if (v == null) {
            return true;
        }
        return switch (v) {
            case "1", "t", "T", "true", "TRUE", "True" -> true;
            case "0", "f", "F", "false", "FALSE", "False" -> false;
            default -> throw new UsageException("invalid boolean value \"" + v + "\" for -" + flag + ": parse error");
        };
    }

    private static ServeArgs.SignalRequest signal(String flag, String v) {
        String sig = v;
        String pid = null;
        int eq = v.indexOf('=');
        if (eq >= 0) {
            sig = v.substring(0, eq);
            pid = v.substring(eq + 1);
            if (pid.isEmpty()) {
                throw new UsageException("invalid value \"" + v + "\" for flag -" + flag + ": missing pid after '='");
            }
        }
        sig = sig.toLowerCase(Locale.ROOT);
        if (!SIGNALS.contains(sig)) {
            throw new UsageException("unknown signal \"" + sig + "\" (expected one of ldm, stop, quit, term, reopen, reload)");
        }
        return new ServeArgs.SignalRequest(sig, pid);
    }

    /**
     * {@code -t}: parses and maps the config file named by {@code -c}; returns the line to print when
     * it is valid (as nats-server: {@code configuration file F is valid}), throws ConfigException when not.
     */
    public String checkConfig(ServeArgs args) {
        if (args.configFile == null) {
            throw new UsageException("must specify [-c, --config] option to check configuration file syntax");
        }
        MappedConfig mapped = resolveWithWarnings(args);
        if (!mapped.strictErrors().isEmpty()) {
            throw new ConfigException(mapped.strictErrors());
        }
        return "configuration file " + args.configFile + " is valid";
    }

    /** Loads the config file named by {@code -c} (if any) over the defaults, then applies the flags. */
    public ServerOptions resolve(ServeArgs args) {
        return resolveWithWarnings(args).options();
    }

    /** As {@link #resolve}, also returning the config and flag warnings and the settings kept for later. */
    public MappedConfig resolveWithWarnings(ServeArgs args) {
        OptionsMapper mapper = new OptionsMapper(env);
        MappedConfig mapped;
        if (args.configFile != null) {
            io.weft.server.config.ConfigMap tree = new ConfigParser(env).parseFile(Path.of(args.configFile));
            mapped = mapper.map(tree);
            mapped.options().configFile = args.configFile;
            mapped.options().configDigest = io.weft.server.config.ConfigDigest.of(tree);
        } else {
            mapped = new MappedConfig(mapper.defaultOptions(), List.of(), null);
        }
        ServerOptions o = mapped.options();
        applyFlags(args, o);
        if (o.httpsPort != 0) {
            // nats-server's start-up errors for these, at start (exit 1) rather than later
            if (o.httpPort != 0) {
                throw new ConfigException(List.of("Can't start monitoring: can't specify both HTTP (" + o.httpPort
                        + ") and HTTPs (" + o.httpsPort + ") ports"));
            }
            if (o.tls == null) {
                throw new ConfigException(List.of("Can't start monitoring: TLS cert and key required for HTTPS"));
            }
        }
        if (o.httpHost.isEmpty()) {
            // as nats-server: monitoring listens where clients do unless http_host says otherwise,
            // so "-a 127.0.0.1" does not leave the monitoring port open on every interface
            o.httpHost = o.host;
        }
        List<String> warnings = new ArrayList<>(mapped.warnings());
        warnings.addAll(args.warnings);
        return new MappedConfig(o, warnings, mapped.jetstreamSyncInterval(), mapped.strictErrors());
    }

    /**
     * The TLS flags, over the file's {@code tls} block: {@code --tls} or {@code --tlsverify} turn
     * TLS on (verify also asks for client certificates), {@code --tlscert}, {@code --tlskey} and
     * {@code --tlscacert} replace the block's files.
     */
    private static void applyTlsFlags(ServeArgs a, ServerOptions o) {
        boolean on = Boolean.TRUE.equals(a.tls) || Boolean.TRUE.equals(a.tlsVerify);
        boolean files = a.tlsCert != null || a.tlsKey != null || a.tlsCaCert != null;
        if (!on && !(files && o.tls != null) && a.tlsVerify == null) {
            return;
        }
        io.weft.net.TlsServer.Settings base = o.tls != null ? o.tls.settings() : null;
        String cert = a.tlsCert != null ? a.tlsCert : base != null ? base.certFile().toString() : null;
        String key = a.tlsKey != null ? a.tlsKey : base != null ? base.keyFile().toString() : null;
        String ca = a.tlsCaCert != null ? a.tlsCaCert : base != null && base.caFile() != null ? base.caFile().toString() : null;
        boolean verify = a.tlsVerify != null ? a.tlsVerify : base != null && base.verify();
        if (cert == null || key == null) {
            // nats-server's wording for --tls without a certificate
            throw new ConfigException(List.of("TLS Server certificate must be present and valid"));
        }
        io.weft.net.TlsServer.Settings s = new io.weft.net.TlsServer.Settings(Path.of(cert), Path.of(key),
                ca == null ? null : Path.of(ca), verify, base != null ? base.timeout() : java.time.Duration.ofSeconds(2),
                base != null ? base.cipherSuites() : List.of(), base != null ? base.curves() : List.of(),
                base != null ? base.minVersion() : null, base != null ? base.pinnedCerts() : java.util.Set.of());
        try {
            o.tls = io.weft.net.TlsServer.load(s);
        } catch (java.io.IOException | java.security.GeneralSecurityException | RuntimeException e) {
            throw new ConfigException(List.of(OptionsMapper.tlsLoadError(e)));
        }
    }

    /** {@code --cluster}, {@code --cluster_name}, {@code --routes}, {@code --cluster_advertise}, {@code --no_advertise}, {@code --connect_retries}. */
    private static void applyClusterFlags(ServeArgs a, ServerOptions o) {
        if (a.cluster != null) {
            String hp = routeHostPort("cluster", a.cluster);
            String[] cred = userInfo(a.cluster);
            if (cred == null) {
                // as nats-server: the flag without credentials clears those of the config file
                o.clusterUser = null;
                o.clusterPassword = null;
            } else if (cred[1] == null) {
                throw new UsageException("expected cluster password to be set");
            } else {
                o.clusterUser = cred[0];
                o.clusterPassword = cred[1];
            }
            int colon = hp.lastIndexOf(':');
            String h = hp.substring(0, colon);
            o.clusterHost = h.startsWith("[") ? h.substring(1, h.length() - 1) : h;
            o.clusterPort = Integer.parseInt(hp.substring(colon + 1));
        }
        if (a.clusterName != null) {
            o.clusterName = a.clusterName;
        }
        if (a.routes != null) {
            java.util.List<String> urls = new java.util.ArrayList<>();
            java.util.Map<String, ServerOptions.RouteCredentials> creds = new java.util.LinkedHashMap<>();
            for (String u : a.routes.split(",")) {
                if (!u.isBlank()) {
                    String hp = routeHostPort("routes", u.trim());
                    urls.add(hp);
                    String[] cred = userInfo(u.trim());
                    if (cred != null) {
                        creds.put(hp, new ServerOptions.RouteCredentials(cred[0], cred[1] == null ? "" : cred[1]));
                    }
                }
            }
            o.routes = java.util.List.copyOf(urls);
            o.routeCredentials = java.util.Map.copyOf(creds);
        }
        if (a.clusterAdvertise != null) {
            o.clusterAdvertise = a.clusterAdvertise;
        }
        if (a.noAdvertise != null) {
            o.clusterNoAdvertise = a.noAdvertise;
        }
        if (a.connectRetries != null) {
            o.clusterConnectRetries = a.connectRetries;
        }
    }

    /** {@code nats-route://host:port} (or nats://, or host:port) as {@code host:port}. */
    private static String routeHostPort(String flag, String url) {
        String rest = url;
        int scheme = rest.indexOf("://");
        if (scheme >= 0) {
            rest = rest.substring(scheme + 3);
        }
        if (rest.endsWith("/")) {
            rest = rest.substring(0, rest.length() - 1);
        }
        int at = rest.lastIndexOf('@');
        if (at >= 0) {
            rest = rest.substring(at + 1);
        }
        int colon = rest.lastIndexOf(':');
        try {
            int p = Integer.parseInt(rest.substring(colon + 1));
            if (colon <= 0 || p < 0 || p > 65535) {
                throw new NumberFormatException();
            }
        } catch (NumberFormatException e) {
            throw new UsageException("flag -" + flag + ": could not parse route URL \"" + url + "\"");
        }
        return rest;
    }

    /** The {@code user[:password]} of a URL, percent-decoded: {user, password or null}; null without one. */
    private static String[] userInfo(String url) {
        String rest = url;
        int scheme = rest.indexOf("://");
        if (scheme >= 0) {
            rest = rest.substring(scheme + 3);
        }
        int at = rest.lastIndexOf('@');
        if (at < 0) {
            return null;
        }
        String info = rest.substring(0, at);
        int colon = info.indexOf(':');
        try {
            String user = java.net.URLDecoder.decode((colon < 0 ? info : info.substring(0, colon)).replace("+", "%2B"),
                    java.nio.charset.StandardCharsets.UTF_8);
            String pass = colon < 0 ? null : java.net.URLDecoder.decode(info.substring(colon + 1).replace("+", "%2B"),
                    java.nio.charset.StandardCharsets.UTF_8);
            return new String[] {user, pass};
        } catch (IllegalArgumentException e) {
            throw new UsageException("could not parse URL \"" + url + "\": invalid URL escape");
        }
    }

    private static void applyFlags(ServeArgs a, ServerOptions o) {
        applyTlsFlags(a, o);
        applyClusterFlags(a, o);
        if (a.host != null) {
            o.host = a.host;
        }
        if (a.port != null) {
            o.port = a.port;
        }
        if (a.serverName != null) {
            o.serverName = a.serverName;
        }
        if (a.httpPort != null) {
            o.httpPort = a.httpPort;
        }
        if (a.httpsPort != null) {
            o.httpsPort = a.httpsPort;
        }
        if (a.clientAdvertise != null) {
            o.clientAdvertise = a.clientAdvertise;
        }
        if (a.jetstream != null) {
            o.jetstream = a.jetstream;
        }
        if (a.storeDir != null) {
            o.storeDir = a.storeDir;
        }
        if (a.debug != null) {
            o.debug = a.debug;
        }
        if (a.trace != null) {
            o.trace = a.trace;
        }
        if (a.logTime != null) {
            o.logTime = a.logTime;
        }
        if (a.logFile != null) {
            o.logFile = a.logFile;
        }
        if (a.pidFile != null) {
            o.pidFile = a.pidFile;
        }
        if (a.user != null || a.password != null || a.token != null) {
            // Flags replace the single user/token; a reload replaces auth wholesale, so copy it.
            io.weft.engine.auth.AuthConfig auth = copyAuth(o.auth);
            if (a.user != null) {
                auth.user = a.user;
            }
            if (a.password != null) {
                auth.password = a.password;
            }
            if (a.token != null) {
                auth.token = a.token;
            }
            o.auth = auth;
        }
    }

    private static io.weft.engine.auth.AuthConfig copyAuth(io.weft.engine.auth.AuthConfig in) {
        io.weft.engine.auth.AuthConfig c = new io.weft.engine.auth.AuthConfig();
        c.token = in.token;
        c.user = in.user;
        c.password = in.password;
        c.defaultPermissions = in.defaultPermissions;
        c.users = new ArrayList<>(in.users);
        c.nkeys = new ArrayList<>(in.nkeys);
        c.accounts = new java.util.LinkedHashMap<>(in.accounts);
        c.noAuthUser = in.noAuthUser;
        c.timeoutSeconds = in.timeoutSeconds;
        c.certificateMapping = in.certificateMapping;
        return c;
    }

    /** The {@code weft serve --help} text (same flags as nats-server's usage). */
    public static String usage() {
        return """
                Usage: weft serve [options]

                Server options:
                    -a, --addr, --net <host>         Listen on this host address (default: 0.0.0.0)
                    -p, --port <port>                Client port (default: 4222; -1 picks a free one)
                    -n, --name, --server_name <name> Name of this server (default: generated)
                    -P, --pid <file>                 Write the process id to this file
                    -m, --http_port <port>           Serve HTTP monitoring on this port
                    -ms,--https_port <port>          Serve HTTPS monitoring on this port (needs TLS)
                    -c, --config <file>              Read this configuration file
                    -t                               Check the configuration file and exit
                    -sl,--signal <signal>[=<pid>]    Signal a running server (ldm, stop, quit, term, reopen, reload);
                                                     <pid> is a process id or the path of a pid file
                        --client_advertise <string>  Client URL advertised to other servers

                Logging options:
                    -l, --log <file>                 Log to this file instead of stderr
                    -T, --logtime                    Put a timestamp on log lines (default: true)
                    -D, --debug                      Log debug messages
                    -V, --trace                      Log the raw protocol
                    -VV                              Verbose trace
                    -DV                              Debug and trace
                    -DVV                             Debug and verbose trace

                JetStream options:
                    -js, --jetstream                 Turn JetStream on
                    -sd, --store_dir <dir>           Where JetStream stores its data

                Authorization options:
                        --user <user>                Connections must give this user
                        --pass <password>            ... and this password
                        --auth <token>               Connections must give this token

                TLS options:
                        --tls                        Enable TLS, do not verify clients (default: false)
                        --tlscert <file>             Server certificate file (PEM, chain allowed)
                        --tlskey <file>              Private key for server certificate (PEM)
                        --tlsverify                  Enable TLS, verify client certificates
                        --tlscacert <file>           Client certificate CA for verification

                Cluster options:
                        --routes <rurl-1, rurl-2>    Routes to solicit and connect
                        --cluster <cluster-url>      Cluster URL for solicited routes
                        --cluster_name <string>      Cluster Name, if not set one will be dynamically generated
                        --cluster_advertise <string> Cluster URL to advertise to other servers
                        --no_advertise <bool>        Do not advertise known cluster information to clients
                        --connect_retries <number>   For implicit routes, number of connect retries

                Accepted but not supported yet (ignored with a warning): -s/--syslog, -r/--remote_syslog, --log_size_limit, --max_traced_msg_len, --ports_file_dir,
                --profile.

                Common options:
                    -h, --help                       Show this message
                    -v, --version                    Show the version

                Flags may start with - or --, and take their value as "-p 4222" or "-p=4222".
                Flags override the values of the configuration file.
                """;
    }
}
