package io.weft.engine.server;

/**
 * Something assembled beside the core server by the {@code Node} (JetStream today; routes and the
 * meta group later), as the core server sees it: told when the configuration is reloaded and when
 * the server stops, and asked what INFO may announce. The server never knows what it is, so the
 * core package imports none of its neighbours.
 */
public interface ServerService {
    /**
     * Whether INFO may announce JetStream: only once the $JS API is answered, so that clients do
     * not try it and time out.
     */
    default boolean servesJetStream() {
        return false;
    }

    /** After a reload replaced the options and created the accounts it names. */
    default void configReloaded() {
    }

    /** Lame duck mode started; the clients were just told (INFO with {@code ldm}). */
    default void lameDuck() {
    }

    /** A client's CONNECT was accepted: it is bound to its account and user (on its reader's thread). */
    default void clientConnected(ClientConnection c) {
    }

    /** A client that had connected is closed ({@link ClientConnection#closeReason} says why). */
    default void clientClosed(ClientConnection c) {
    }

    /** At shutdown, after every client was closed and before the server reports it exited. */
    default void stop() {
    }
}
