package io.weft.net;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.AsynchronousChannelGroup;
import java.nio.channels.AsynchronousServerSocketChannel;
import java.nio.channels.AsynchronousSocketChannel;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * JDK asynchronous socket channels used in a blocking style: a waiting virtual thread parks only
 * itself. The channels belong to a channel group of this network's own (created on first use)
 * rather than the JDK's default one, so that {@link #shutdown()} can stop its threads: a JVM
 * exits only after waiting about 300 ms for every platform thread still inside native code, and
 * the default group's threads sit in {@code epoll_wait} for the life of the process.
 */
public final class RealNetwork implements Network {
    private final ReentrantLock lock = new ReentrantLock();
    private AsynchronousChannelGroup group;

    private AsynchronousChannelGroup group() throws IOException {
        lock.lock();
        try {
            if (group == null) {
                int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
                group = AsynchronousChannelGroup.withFixedThreadPool(threads, r -> {
                    Thread t = new Thread(r, "weft-net-io");
                    t.setDaemon(true);
                    return t;
                });
            }
            return group;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Listener listen(String host, int port) throws IOException {
        AsynchronousServerSocketChannel server = AsynchronousServerSocketChannel.open(group());
        try {
            server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            server.bind(new InetSocketAddress(host, port), 4096);
        } catch (IOException e) {
            server.close();
            throw e;
        }
        return new RealListener(server);
    }

    @Override
    public Conn connect(String host, int port) throws IOException {
        AsynchronousSocketChannel ch = AsynchronousSocketChannel.open(group());
        try {
            RealConn.await(ch.connect(new InetSocketAddress(host, port)));
            return new RealConn(ch);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /**
     * Closes every channel still open and stops the group's threads, waiting up to
     * {@code timeoutMillis} for them to leave: call it last, when the process is about to exit.
     */
    public void shutdown(long timeoutMillis) throws InterruptedException {
        AsynchronousChannelGroup g;
        lock.lock();
        try {
            g = group;
            group = null;
        } finally {
            lock.unlock();
        }
        if (g == null) {
            return;
        }
        try {
            g.shutdownNow();
        } catch (IOException ignored) {
            // the channels are being closed anyway
        }
        g.awaitTermination(timeoutMillis, TimeUnit.MILLISECONDS);
    }
}
