package io.weft.sim.net;

import io.weft.net.Conn;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicBoolean;

/** One end of a simulated connection. */
public final class SimConn implements Conn {
    private final Pipe in;
    private final Pipe out;
    private final String localHost;
    private final int localPort;
    private final String remoteHost;
    private final int remotePort;
    private final AtomicBoolean closed = new AtomicBoolean();

    SimConn(Pipe in, Pipe out, String localHost, int localPort, String remoteHost, int remotePort) {
        this.in = in;
        this.out = out;
        this.localHost = localHost;
        this.localPort = localPort;
        this.remoteHost = remoteHost;
        this.remotePort = remotePort;
    }

    @Override
    public int read(byte[] buf, int off, int len) throws IOException {
        return in.read(buf, off, len);
    }

    /** Bytes a {@link #tryWrite} could not place, sent first by the next write or flush. */
    private byte[] behind;

    @Override
    public boolean tryWrite(ByteBuffer buffer) throws IOException {
        if (behind != null) {
            throw new IllegalStateException("tryWrite with bytes still left behind");
        }
        byte[] data = new byte[buffer.remaining()];
        buffer.get(data);
        if (out.tryWrite(data)) {
            return true;
        }
        behind = data;
        return false;
    }

    @Override
    public void flush() throws IOException {
        byte[] b = behind;
        if (b != null) {
            behind = null;
            out.write(b);
        }
    }

    @Override
    public void write(ByteBuffer[] buffers) throws IOException {
        flush();
        int total = 0;
        for (ByteBuffer b : buffers) {
            total += b.remaining();
        }
        byte[] data = new byte[total];
        int at = 0;
        for (ByteBuffer b : buffers) {
            int n = b.remaining();
            b.get(data, at, n);
            at += n;
        }
        out.write(data);
    }

    @Override
    public void shutdownOutput() throws IOException {
        flush();
        out.closeWrite();
    }

    /** Writes bytes (a convenience for simulated clients). */
    public void write(byte[] data, int off, int len) throws IOException {
        byte[] copy = new byte[len];
        System.arraycopy(data, off, copy, 0, len);
        out.write(copy);
    }

    /** True once neither direction can carry bytes any more. */
    boolean finished() {
        return in.finished() && out.finished();
    }

    /** Resets the connection: both ends fail, bytes in flight are lost. */
    public void reset() {
        in.reset();
        out.reset();
    }

    @Override
    public String remoteHost() {
        return remoteHost;
    }

    @Override
    public int remotePort() {
        return remotePort;
    }

    @Override
    public String localHost() {
        return localHost;
    }

    @Override
    public int localPort() {
        return localPort;
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            out.closeWrite();
            in.closeRead();
        }
    }
}
