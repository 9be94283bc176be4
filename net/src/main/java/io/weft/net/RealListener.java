package io.weft.net;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;

/** A listening socket channel. */
final class RealListener implements Listener {
    private final ServerSocketChannel server;
    private final InetSocketAddress local;

    RealListener(ServerSocketChannel server) throws IOException {
        this.server = server;
        this.local = (InetSocketAddress) server.getLocalAddress();
    }

    @Override
    public Conn accept() throws IOException {
        return new RealConn(server.accept());
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
