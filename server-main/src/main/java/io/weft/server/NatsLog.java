package io.weft.server;

import io.weft.engine.ServerLog;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Log lines in nats-server's layout: {@code [pid] 2006/01/02 15:04:05.000000 [INF] message}, to
 * stderr or a file. Debug and trace lines are shown only when enabled; levels can change at
 * reload.
 */
public final class NatsLog implements ServerLog {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy/MM/dd HH:mm:ss.SSSSSS");

    private final ReentrantLock lock = new ReentrantLock();
    private final String pidPrefix;
    private volatile boolean debug;
    private volatile boolean trace;
    private volatile boolean logTime;
    private volatile String file;
    private PrintStream out;

    public NatsLog(boolean debug, boolean trace, boolean logTime, String file) throws IOException {
        this.pidPrefix = "[" + ProcessHandle.current().pid() + "] ";
        this.debug = debug;
        this.trace = trace;
        this.logTime = logTime;
        this.out = open(file);
        this.file = file;
    }

    private static PrintStream open(String file) throws IOException {
        if (file == null || file.isEmpty()) {
            return System.err;
        }
        OutputStream os = new FileOutputStream(file, true);
        return new PrintStream(os, true, StandardCharsets.UTF_8);
    }

    /** Applies new levels and, if it changed, a new log file (config reload). */
    public void configure(boolean debug, boolean trace, boolean logTime, String file) throws IOException {
        this.debug = debug;
        this.trace = trace;
        this.logTime = logTime;
        String f = file == null ? "" : file;
        if (!f.equals(this.file == null ? "" : this.file)) {
            reopen(f);
        }
    }

    /** Reopens the log file (SIGUSR1, for log rotation). */
    public void reopen() throws IOException {
        reopen(file);
    }

    private void reopen(String f) throws IOException {
        PrintStream next = open(f);
        lock.lock();
        try {
            PrintStream prev = out;
            out = next;
            file = f;
            if (prev != System.err && prev != next) {
                prev.close();
            }
        } finally {
            lock.unlock();
        }
    }

    private void write(String level, String message) {
        StringBuilder sb = new StringBuilder(message.length() + 48).append(pidPrefix);
        if (logTime) {
            sb.append(LocalDateTime.now().format(TIME)).append(' ');
        }
        sb.append(level).append(' ').append(message);
        lock.lock();
        try {
            out.println(sb);
        } finally {
            lock.unlock();
        }
    }

    @Override public void fatal(String m) { write("[FTL]", m); }
    @Override public void error(String m) { write("[ERR]", m); }
    @Override public void warn(String m) { write("[WRN]", m); }
    @Override public void notice(String m) { write("[INF]", m); }

    @Override
    public void debug(String m) {
        if (debug) {
            write("[DBG]", m);
        }
    }

    @Override
    public void trace(String m) {
        if (trace) {
            write("[TRC]", m);
        }
    }

    @Override public boolean isDebug() { return debug; }
    @Override public boolean isTrace() { return trace; }
}
