package io.weft.engine.server;

import io.weft.engine.sublist.Sublist;
import io.weft.engine.sublist.SublistResult;
import java.util.List;

/**
 * Where a published message goes, decided in one place for every publisher (a client's PUB, the
 * server's own publish, a JetStream delivery): the subject is matched once in the account's
 * sublist, the message is handed to every plain subscription, then to one member of each queue
 * group (starting at a random member, trying the next while one declines: echo off, a permission,
 * a closing connection). Client and internal subscriptions are handled alike; route and leaf
 * subscriptions will be further kinds of {@link Subscription}.
 */
final class Router {
    /** What {@link #route} returns when nothing at all is subscribed to the subject. */
    static final int NO_INTEREST = -1;

    /** Picks the queue member to try first; each publisher brings its own source. */
    @FunctionalInterface
    interface QueuePick {
        /** A number in {@code [0, bound)}, bound at least 2. */
        int next(int bound);
    }

    private final Sublist<Subscription> sublist;

    Router(Sublist<Subscription> sublist) {
        this.sublist = sublist;
    }

    /**
     * Hands a message laid out as header block then payload ({@code data[off, off+totalLen)}, the
     * first {@code hdrLen} bytes the headers) to the subscribers of {@code routeSubject}, showing
     * them {@code subject} (the same, except when JetStream delivers a stream message to a
     * consumer's subject). {@code publisher} is the client that sent it (null: the server);
     * {@code batch} defers writer wake-ups to the producer's flush (null: none). Returns how many
     * subscribers received it, a queue group counting once, or {@link #NO_INTEREST}.
     */
    int route(String routeSubject, String subject, String reply, byte[] data, int off, int hdrLen, int totalLen,
              ClientConnection publisher, Deliveries batch, QueuePick pick) {
        SublistResult<Subscription> result = sublist.match(routeSubject);
        // indexed loops: no iterator objects per message (the lists are random access)
        List<Subscription> plain = result.plainSubs();
        List<List<Subscription>> groups = result.queueGroups();
        if (plain.isEmpty() && groups.isEmpty()) {
            return NO_INTEREST;
        }
        int delivered = 0;
        for (int i = 0, n = plain.size(); i < n; i++) {
            if (deliver(plain.get(i), subject, reply, data, off, hdrLen, totalLen, publisher, batch)) {
                delivered++;
            }
        }
        for (int i = 0, n = groups.size(); i < n; i++) {
            List<Subscription> group = groups.get(i);
            int size = group.size();
            if (size == 0) {
                continue;
            }
            int start = size == 1 ? 0 : pick.next(size);
            for (int j = 0; j < size; j++) {
                if (deliver(group.get((start + j) % size), subject, reply, data, off, hdrLen, totalLen, publisher,
                        batch)) {
                    delivered++;
                    break;
                }
            }
        }
        return delivered;
    }

    /** Hands one message to one subscriber; false when nothing was delivered. */
    private static boolean deliver(Subscription sub, String subject, String reply, byte[] data, int off, int hdrLen,
                                   int totalLen, ClientConnection publisher, Deliveries batch) {
        if (sub instanceof ClientSubscription c) {
            return c.client.deliver(c, subject, reply, data, off, hdrLen, totalLen, publisher, batch);
        }
        InternalSubscription internal = (InternalSubscription) sub; // the only other kind (sealed)
        internal.delivered.incrementAndGet();
        internal.handler.onMessage(subject, reply, data, off, hdrLen, totalLen);
        return true;
    }
}
