package io.weft.net;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;

/** An open file: positional reads and writes, and fsync. */
public interface DiskFile extends Closeable {
    /** Reads into {@code dst} from {@code position}; returns bytes read or -1 at end of file. */
    int read(ByteBuffer dst, long position) throws IOException;

    /** Writes all of {@code src} at {@code position}. */
    void write(ByteBuffer src, long position) throws IOException;

    long size() throws IOException;

    void truncate(long size) throws IOException;

    /** Makes every write so far durable, and the file's size with them (fdatasync; timestamps need not be). */
    void force() throws IOException;

    @Override
    void close() throws IOException;
}
