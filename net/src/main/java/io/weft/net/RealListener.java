package io.weft.net;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.InetSocketAddress;
import java.nio.channels.AsynchronousServerSocketChannel;
import java.nio.channels.AsynchronousSocketChannel;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

/** A listening socket channel. */
final class RealListener implements Listener {
    private final AsynchronousServerSocketChannel server;
    private final InetSocketAddress local;

    RealListener(AsynchronousServerSocketChannel server) throws IOException {
        this.server = server;
        this.local = (InetSocketAddress) server.getLocalAddress();
    }

    @Override
    public Conn accept() throws IOException {
        AsynchronousSocketChannel ch = await(server.accept());
        try {
            return new RealConn(ch);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /** Waits for an accept or connect, with the failure as the IOException it is. */
    static <T> T await(Future<T> f) throws IOException {
        try {
            return f.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IOException(e.getCause());
        } catch (InterruptedException e) {
            f.cancel(true);
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted");
        }
    }

    @Override
    public String host() {
        return local.getHostString();
    }

    @Override
    public int port() {
        return local.getPort();
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException ignored) {
            // closing a listener cannot fail in a way the caller could act on
        }
    }
}
