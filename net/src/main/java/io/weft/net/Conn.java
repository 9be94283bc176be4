package io.weft.net;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;

/** One byte stream connection: blocking reads and gathered writes. */
public interface Conn extends Closeable {
    /** Reads up to {@code len} bytes, blocking until at least one arrives; -1 at end of stream. */
    int read(byte[] buf, int off, int len) throws IOException;

    /** Writes every remaining byte of the buffers, in order, blocking as long as it takes. */
    void write(ByteBuffer[] buffers) throws IOException;

    String remoteHost();

    int remotePort();

    String localHost();

    int localPort();

    /** Closes both directions; a blocked read or write fails. Idempotent. */
    @Override
    void close();
}
