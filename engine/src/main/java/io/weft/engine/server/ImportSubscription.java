package io.weft.engine.server;

/**
 * A subscription that carries messages across accounts: a stream import (in the exporting
 * account, on the imported subject), a service import (in the importing account, on its local
 * subject), or the responses of a service import (in the exporting account, on its reply prefix).
 * The {@link Router} hands a request-side one the messages that enter at this server (never those
 * that came over a route: the server where a request entered forwards it, to local and remote
 * interest alike). A response-side one ({@link #routed}) also takes what routes bring, and is
 * announced to them: a responder on another server answers in the exporting account, and its
 * answer must come back to the server that holds the request's pending entry. Stream imports are
 * {@link ShadowSubscription}s instead.
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
    /** Takes messages that came over a route, and is announced to the routes (a service import's responses). */
    final boolean routed;

    ImportSubscription(String subject, Forward forward) {
        this(subject, forward, false);
    }

    ImportSubscription(String subject, Forward forward, boolean routed) {
        super(subject, null);
        this.forward = forward;
        this.routed = routed;
    }
}
