package io.weft.engine.monitor;

/** A bad monitoring request: the message is the plain-text body of the HTTP 400 reply, worded as nats-server words it. */
public final class MonitorException extends Exception {
    public MonitorException(String message) {
        super(message, null, false, false);
    }
}
