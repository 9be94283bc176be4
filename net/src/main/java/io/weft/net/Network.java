package io.weft.net;

import java.io.IOException;

/** Opens listening sockets and outgoing connections. */
public interface Network {
    /** Binds a listener; port 0 picks a free port (see {@link Listener#port()}). */
    Listener listen(String host, int port) throws IOException;

    /** Connects to a remote listener. */
    Conn connect(String host, int port) throws IOException;
}
