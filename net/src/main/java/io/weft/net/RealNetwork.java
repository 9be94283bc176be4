package io.weft.net;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

/** Blocking JDK socket channels; on virtual threads a blocked read parks only its own thread. */
public final class RealNetwork implements Network {
    @Override
    public Listener listen(String host, int port) throws IOException {
        ServerSocketChannel server = ServerSocketChannel.open();
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
        SocketChannel ch = SocketChannel.open(new InetSocketAddress(host, port));
        return new RealConn(ch);
    }
}
