package io.weft.net;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.AsynchronousServerSocketChannel;
import java.nio.channels.AsynchronousSocketChannel;

/** JDK asynchronous socket channels used in a blocking style: a waiting virtual thread parks only itself. */
public final class RealNetwork implements Network {
    @Override
    public Listener listen(String host, int port) throws IOException {
        AsynchronousServerSocketChannel server = AsynchronousServerSocketChannel.open();
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
        AsynchronousSocketChannel ch = AsynchronousSocketChannel.open();
        try {
            RealConn.await(ch.connect(new InetSocketAddress(host, port)));
            return new RealConn(ch);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }
}
