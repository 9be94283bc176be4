package io.weft.net;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousSocketChannel;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

/**
 * A connected asynchronous socket channel, used in a blocking style: a virtual thread waiting on a
 * read or write parks on its future. The asynchronous channel is what makes {@link #tryWrite}
 * possible: its write is attempted at once in the caller's thread and only the part the socket
 * cannot take yet is left to finish in the background.
 */
final class RealConn implements Conn {
    private final AsynchronousSocketChannel ch;
    private final InetSocketAddress remote;
    private final InetSocketAddress local;
    /** A write that {@link #tryWrite} left running, and its buffer; only the (single) writer touches these. */
    private Future<Integer> behind;
    private ByteBuffer behindBuffer;

    RealConn(AsynchronousSocketChannel ch) throws IOException {
        this.ch = ch;
        ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
        this.remote = (InetSocketAddress) ch.getRemoteAddress();
        this.local = (InetSocketAddress) ch.getLocalAddress();
    }

    @Override
    public int read(byte[] buf, int off, int len) throws IOException {
        return await(ch.read(ByteBuffer.wrap(buf, off, len)));
    }

    @Override
    public void write(ByteBuffer[] buffers) throws IOException {
        flush();
        for (ByteBuffer b : buffers) {
            while (b.hasRemaining()) {
                await(ch.write(b));
            }
        }
    }

    @Override
    public boolean tryWrite(ByteBuffer buffer) throws IOException {
        if (behind != null) {
            throw new IllegalStateException("tryWrite with bytes still left behind");
        }
        while (buffer.hasRemaining()) {
            Future<Integer> f = ch.write(buffer);
            if (!f.isDone()) {
                behind = f;
                behindBuffer = buffer;
                return false;
            }
            await(f);
        }
        return true;
    }

    @Override
    public void flush() throws IOException {
        if (behind == null) {
            return;
        }
        Future<Integer> f = behind;
        ByteBuffer b = behindBuffer;
        behind = null;
        behindBuffer = null;
        await(f);
        while (b.hasRemaining()) {
            await(ch.write(b));
        }
    }

    @Override
    public void shutdownOutput() throws IOException {
        flush();
        ch.shutdownOutput();
    }

    /**
     * Waits for an asynchronous channel operation (read, write, accept, connect), with its failure
     * as the IOException it is. An interrupt cancels the operation, which closes the channel, as an
     * interrupted blocking channel is closed.
     */
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
