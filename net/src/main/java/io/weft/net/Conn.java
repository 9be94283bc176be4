package io.weft.net;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;

/** One byte stream connection: blocking reads, gathered writes, and writes that never wait. */
public interface Conn extends Closeable {
    /** Reads up to {@code len} bytes, blocking until at least one arrives; -1 at end of stream. */
    int read(byte[] buf, int off, int len) throws IOException;

    /**
     * Writes every remaining byte of the buffers, in order, blocking as long as it takes. Bytes a
     * {@link #tryWrite} left behind go first.
     */
    void write(ByteBuffer[] buffers) throws IOException;

    /**
     * Hands the buffer's remaining bytes to the connection without ever waiting. Returns true when
     * all of them are already on their way; false when the network had no room for some: the
     * connection keeps those (the buffer's contents must then stay untouched) and the next
     * {@link #write} or {@link #flush} sends them first. Call it only when nothing is left behind
     * from an earlier call, and never concurrently with another write on the same connection.
     */
    boolean tryWrite(ByteBuffer buffer) throws IOException;

    /** Blocks until bytes an earlier {@link #tryWrite} left behind are sent; at once if there are none. */
    void flush() throws IOException;

    /**
     * Ends this side's bytes after everything written so far, bytes a {@link #tryWrite} left
     * behind included: the peer reads them all, then end of stream. Reads go on working. Closing
     * at once instead, with unread bytes from the peer, can reset the connection and lose what the
     * peer had not read yet.
     */
    void shutdownOutput() throws IOException;

    String remoteHost();

    int remotePort();

    String localHost();

    int localPort();

    /** Closes both directions; a blocked read or write fails. Idempotent. */
    @Override
    void close();
}
