package io.weft.server;

import java.io.IOException;
import java.net.BindException;
import java.util.Locale;

/**
 * The fatal log line for a port that cannot be listened on, worded as nats-server 2.15.1 words
 * it, so the address at fault is always named:
 * {@code Error listening on port: 0.0.0.0:4222, "listen tcp 0.0.0.0:4222: bind: address already in use"}
 * for the client port, and
 * {@code Can't start monitoring: can't listen to the monitor port: listen tcp 0.0.0.0:8222: bind: address already in use}
 * for the monitoring port.
 */
final class ListenFailure {
    private ListenFailure() {
    }

    static String clientPort(String host, int port, IOException e) {
        String where = hostPort(host, port);
        return "Error listening on port: " + where + ", \"" + goError(where, e) + "\"";
    }

    static String monitorPort(String host, int port, IOException e) {
        return "Can't start monitoring: can't listen to the monitor port: " + goError(hostPort(host, port), e);
    }

    /** Go's {@code net.OpError} text: {@code listen tcp HOST:PORT: bind: <errno text in lower case>}. */
    static String goError(String where, IOException e) {
        String text = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        int paren = text.indexOf(" (");
        if (paren > 0 && text.endsWith(")")) {
            text = text.substring(0, paren); // "Address already in use (Bind failed)" of older JDKs
        }
        if (!text.isEmpty()) {
            text = text.substring(0, 1).toLowerCase(Locale.ROOT) + text.substring(1);
        }
        return "listen tcp " + where + ": " + (e instanceof BindException ? "bind: " : "") + text;
    }

    static String hostPort(String host, int port) {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
}
