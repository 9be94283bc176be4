package io.weft.net;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/** A connected socket channel in blocking mode. */
final class RealConn implements Conn {
    private final SocketChannel ch;
    private final InetSocketAddress remote;
    private final InetSocketAddress local;

    RealConn(SocketChannel ch) throws IOException {
        this.ch = ch;
        ch.configureBlocking(true);
        ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
        this.remote = (InetSocketAddress) ch.getRemoteAddress();
        this.local = (InetSocketAddress) ch.getLocalAddress();
    }

    @Override
    public int read(byte[] buf, int off, int len) throws IOException {
        return ch.read(ByteBuffer.wrap(buf, off, len));
    }

    @Override
    public void write(ByteBuffer[] buffers) throws IOException {
        int last = buffers.length - 1;
        while (last >= 0 && !buffers[last].hasRemaining()) {
            last--;
        }
        if (last < 0) {
            return;
        }
        int first = 0;
        while (first <= last) {
            ch.write(buffers, first, last - first + 1);
            while (first <= last && !buffers[first].hasRemaining()) {
                first++;
            }
        }
    }

    @Override
    public String remoteHost() {
        return remote.getAddress() != null ? remote.getAddress().getHostAddress() : remote.getHostString();
    }

    @Override
    public int remotePort() {
        return remote.getPort();
    }

    @Override
    public String localHost() {
        return local.getAddress() != null ? local.getAddress().getHostAddress() : local.getHostString();
    }

    @Override
    public int localPort() {
        return local.getPort();
    }

    @Override
    public void close() {
        try {
            ch.close();
        } catch (IOException ignored) {
            // nothing useful to do: the peer sees the close either way
        }
    }
}
