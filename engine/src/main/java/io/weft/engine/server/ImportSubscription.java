package io.weft.engine.server;

/**
 * A subscription that carries messages across accounts: a stream import (in the exporting
 * account, on the imported subject), a service import (in the importing account, on its local
 * subject), or the responses of a service import (in the exporting account, on its reply prefix).
 * The {@link Router} hands it messages that enter at this server (never those that came over a
 * route: the server where a message entered forwards it, to local and remote interest alike).
 */
final class ImportSubscription extends Subscription {
    /**
     * Forwards one message matched on {@code routeSubject} and shown as {@code subject} (the same,
     * except for a JetStream delivery, which shows the stream's subject); returns how many
     * received it, or {@link Router#NO_INTEREST}.
     */
    @FunctionalInterface
    interface Forward {
        int forward(String routeSubject, String subject, String reply, byte[] data, int off, int hdrLen, int totalLen,
                    ClientConnection publisher, Deliveries batch);
    }

    final Forward forward;

    ImportSubscription(String subject, Forward forward) {
        super(subject, null);
        this.forward = forward;
    }
}
