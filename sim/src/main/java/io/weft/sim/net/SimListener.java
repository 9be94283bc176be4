package io.weft.sim.net;

import io.weft.net.Conn;
import io.weft.net.Listener;
import java.io.IOException;
import java.net.SocketException;
import java.util.ArrayDeque;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/** A bound simulated port: connections queue here until accepted. */
final class SimListener implements Listener {
    private final SimNetwork network;
    private final String host;
    private final int port;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition arrived = lock.newCondition();
    private final ArrayDeque<SimConn> backlog = new ArrayDeque<>();
    private boolean closed;

    SimListener(SimNetwork network, String host, int port) {
        this.network = network;
        this.host = host;
        this.port = port;
    }

    /** Queues the server end of a new connection; false when the listener is closed. */
    boolean offer(SimConn conn) {
        lock.lock();
        try {
            if (closed) {
                return false;
            }
            backlog.addLast(conn);
            arrived.signal();
            return true;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Conn accept() throws IOException {
        lock.lock();
        try {
            while (backlog.isEmpty()) {
                if (closed) {
                    throw new SocketException("Socket closed");
                }
                arrived.await();
            }
            return backlog.pollFirst();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SocketException("Interrupted accept");
        } finally {
            lock.unlock();
        }
    }

    @Override
    public String host() {
        return host;
    }

    @Override
    public int port() {
        return port;
    }

    @Override
    public void close() {
        ArrayDeque<SimConn> dropped;
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            dropped = new ArrayDeque<>(backlog);
            backlog.clear();
            arrived.signalAll();
        } finally {
            lock.unlock();
        }
        for (SimConn c : dropped) {
            c.reset();
        }
        network.unbind(host, port, this);
    }
}
