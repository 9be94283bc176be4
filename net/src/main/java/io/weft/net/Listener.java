package io.weft.net;

import java.io.Closeable;
import java.io.IOException;

/** A bound server socket. */
public interface Listener extends Closeable {
    /** Blocks until a connection arrives; throws once the listener is closed. */
    Conn accept() throws IOException;

    String host();

    int port();

    @Override
    void close();
}
