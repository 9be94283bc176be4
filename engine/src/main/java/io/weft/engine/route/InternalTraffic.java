package io.weft.engine.route;

/**
 * The receiver of the cluster's internal traffic (the Raft groups' messages): the routes tell it
 * when a weft peer's route comes up or goes, and hand it every message of the reserved account
 * {@link #ACCOUNT} that such a peer sends. That account never enters a sublist: no interest is
 * announced or accepted for it, no client of any account can see or send its messages, and a peer
 * that is not weft (nats-server) is never sent any of it (see {@code docs/cluster-protocol.md}).
 *
 * <p>Calls come on route threads (a route's reader for {@link #received}); they must not block.
 */
public interface InternalTraffic {
    /** The reserved account of internal traffic on the wire ({@code RMSG $NRG <subject> <size>}). */
    String ACCOUNT = "$NRG";

    /**
     * The version of the internal traffic this server speaks, announced in its route INFO as
     * {@code "weft_nrg": 1}; a peer whose INFO lacks it is not weft and gets none of it.
     */
    int VERSION = 1;

    /** A route to a weft peer is registered (a replaced duplicate's {@link #peerDown} may come after). */
    void peerUp(InternalPeer route);

    /** A route to a weft peer closed. */
    void peerDown(InternalPeer route);

    /** One message of {@link #ACCOUNT} from a weft peer; {@code data[off, off+len)} is the payload (copy it). */
    void received(InternalPeer route, String subject, byte[] data, int off, int len);
}
