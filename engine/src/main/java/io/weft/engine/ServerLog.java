package io.weft.engine;

/**
 * Where the engine writes its log lines. The implementation (in server-main) formats them in
 * nats-server's style and decides which levels are shown.
 */
public interface ServerLog {
    void fatal(String message);

    void error(String message);

    void warn(String message);

    void notice(String message);

    void debug(String message);

    void trace(String message);

    boolean isDebug();

    boolean isTrace();

    /** A log that drops everything (tests). */
    static ServerLog silent() {
        return new ServerLog() {
            @Override public void fatal(String m) { }
            @Override public void error(String m) { }
            @Override public void warn(String m) { }
            @Override public void notice(String m) { }
            @Override public void debug(String m) { }
            @Override public void trace(String m) { }
            @Override public boolean isDebug() { return false; }
            @Override public boolean isTrace() { return false; }
        };
    }
}
