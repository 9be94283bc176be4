package io.weft.server.cli;

import java.util.ArrayList;
import java.util.List;

/**
 * The parsed flags of {@code weft serve}. Option fields are null when the flag was not given, so
 * that only given flags override the config file.
 */
public final class ServeArgs {
    /** {@code --signal SIGNAL[=PID]}: which signal to send, and the pid or pid file (null when not given). */
    public record SignalRequest(String signal, String pidOrFile) {
    }

    public String configFile;
    public String host;
    public Integer port;
    public String serverName;
    public Integer httpPort;
    public Integer httpsPort;
    public String clientAdvertise;
    public Boolean jetstream;
    public String storeDir;
    public Boolean debug;
    public Boolean trace;
    public Boolean logTime;
    public String logFile;
    public String pidFile;
    public String user;
    public String password;
    public String token;
    /** {@code --tls}, {@code --tlsverify}, {@code --tlscert}, {@code --tlskey}, {@code --tlscacert}. */
    public Boolean tls;
    public Boolean tlsVerify;
    public String tlsCert;
    public String tlsKey;
    public String tlsCaCert;

    /** {@code --cluster nats-route://host:port}: the route listener. */
    public String cluster;
    public String clusterName;
    /** {@code --cluster_advertise host:port}: the route URL advertised to peers. */
    public String clusterAdvertise;
    /** {@code --routes url,url}: explicit routes. */
    public String routes;
    public Boolean noAdvertise;
    public Integer connectRetries;

    public boolean help;
    public boolean version;
    /** {@code -t}: test the configuration file and exit. */
    public boolean testConfig;
    public SignalRequest signal;
    /** Flags accepted for compatibility but ignored for now (cluster, syslog, ...), as messages to log. */
    public final List<String> warnings = new ArrayList<>();
}
