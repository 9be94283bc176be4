package io.weft.net;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.AsynchronousServerSocketChannel;
import java.nio.channels.AsynchronousSocketChannel;

/** A listening asynchronous socket channel; accept waits on its future. */
final class RealListener implements Listener {
    private final AsynchronousServerSocketChannel server;
    private final InetSocketAddress local;

    RealListener(AsynchronousServerSocketChannel server) throws IOException {
        this.server = server;
        this.local = (InetSocketAddress) server.getLocalAddress();
    }

    @Override
    public Conn accept() throws IOException {
        AsynchronousSocketChannel ch = RealConn.await(server.accept());
        try {
            return new RealConn(ch);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
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
