package io.weft.engine.server;

import io.weft.engine.sublist.Sublist;
import io.weft.engine.sublist.SublistResult;
import java.util.ArrayList;
import java.util.List;

/**
 * Where a published message goes, decided in one place for every publisher (a client's PUB, the
 * server's own publish, a JetStream delivery): the subject is matched once in the account's
 * sublist, the message is handed to every plain subscription, then to one member of each queue
 * group (starting at a random member, trying the next while one declines: echo off, a permission,
 * a closing connection). Client and internal subscriptions are handled alike. Remote interest
 * ({@link RemoteSubscription}) is collected per route and sent once per route, with the names of
 * the queue groups picked there; a message that came from a route goes to no route.
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

    private final String account;
    private final Sublist<Subscription> sublist;

    Router(String account, Sublist<Subscription> sublist) {
        this.account = account;
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
        return route(routeSubject, subject, reply, data, off, hdrLen, totalLen, publisher, batch, pick, false, null, false);
    }

    /** How deep imports forward one message into further accounts (service imports may chain). */
    private static final ThreadLocal<int[]> IMPORT_DEPTH = ThreadLocal.withInitial(() -> new int[1]);
    /** Chained service imports past this depth are not followed (cycles are refused at load; this bounds the rest). */
    static final int MAX_IMPORT_DEPTH = 8;

    /** A route's peer and what one message carries to it: its plain interest, the queue groups picked there. */
    private static final class RouteTarget {
        final RouteSink sink;
        boolean plain;
        List<String> queues = List.of();

        RouteTarget(RouteSink sink) {
            this.sink = sink;
        }

        void addQueue(String q) {
            if (queues.isEmpty()) {
                queues = new ArrayList<>(2);
            }
            queues.add(q);
        }
    }

    private static RouteTarget target(List<RouteTarget> targets, RouteSink sink) {
        for (int i = 0, n = targets.size(); i < n; i++) {
            if (targets.get(i).sink == sink) {
                return targets.get(i);
            }
        }
        RouteTarget t = new RouteTarget(sink);
        targets.add(t);
        return t;
    }

    /**
     * As above; {@code fromRoute} when the message arrived over a route: it then goes to no
     * remote interest (one hop), to no queue group unless the sender named it in
     * {@code routedQueues}, and there only to a local member.
     */
    int route(String routeSubject, String subject, String reply, byte[] data, int off, int hdrLen, int totalLen,
              ClientConnection publisher, Deliveries batch, QueuePick pick, boolean fromRoute, List<String> routedQueues) {
        return route(routeSubject, subject, reply, data, off, hdrLen, totalLen, publisher, batch, pick, fromRoute,
                routedQueues, false);
    }

    /**
     * As above; with {@code skipImports} the message goes to no {@link ImportSubscription} (what a
     * stream import delivers into the importing account is not carried on by that account's own
     * imports, so imports never loop). A message that matches only imports that found no interest
     * counts as {@link #NO_INTEREST}, so a request through a service import nobody serves gets
     * its "no responders" status.
     */
    int route(String routeSubject, String subject, String reply, byte[] data, int off, int hdrLen, int totalLen,
              ClientConnection publisher, Deliveries batch, QueuePick pick, boolean fromRoute, List<String> routedQueues,
              boolean skipImports) {
        if (fromRoute) {
            int at = RoutedReply.shownSubject(reply);
            if (at >= 0) {
                // a JetStream delivery routed by its deliver subject, shown with the message's own
                subject = reply.substring(at + 1);
                reply = reply.substring(0, at);
            }
        }
        SublistResult<Subscription> result = sublist.match(routeSubject);
        // indexed loops: no iterator objects per message (the lists are random access)
        List<Subscription> plain = result.plainSubs();
        List<List<Subscription>> groups = result.queueGroups();
        if (plain.isEmpty() && groups.isEmpty()) {
            return NO_INTEREST;
        }
        int delivered = 0;
        boolean interest = !groups.isEmpty();
        List<RouteTarget> targets = null;
        // a message over a route is traced too when it asked to be (the route's reader made the trace current)
        MsgTrace trace = MsgTrace.current();
        for (int i = 0, n = plain.size(); i < n; i++) {
            Subscription s = plain.get(i);
            if (s instanceof ImportSubscription imp) {
                if ((fromRoute && !imp.routed) || skipImports) {
                    continue;
                }
                int[] depth = IMPORT_DEPTH.get();
                if (depth[0] >= MAX_IMPORT_DEPTH) {
                    continue;
                }
                depth[0]++;
                int r;
                try {
                    r = imp.forward.forward(routeSubject, subject, reply, data, off, hdrLen, totalLen, publisher, batch);
                } finally {
                    depth[0]--;
                }
                if (r != NO_INTEREST) {
                    interest = true;
                    delivered += r;
                    imp.delivered.incrementAndGet();
                }
                continue;
            }
            interest = true;
            if (s instanceof RemoteSubscription r) {
                if (!fromRoute) {
                    if (targets == null) {
                        targets = new ArrayList<>(2);
                    }
                    target(targets, r.route).plain = true;
                }
                continue;
            }
            if (deliver(s, routeSubject, subject, reply, data, off, hdrLen, totalLen, publisher, batch, trace)) {
                delivered++;
            }
        }
        for (int i = 0, n = groups.size(); i < n; i++) {
            List<Subscription> group = groups.get(i);
            int size = group.size();
            if (size == 0) {
                continue;
            }
            if (fromRoute) {
                if (routedQueues == null || !routedQueues.contains(group.get(0).queue())) {
                    continue;
                }
                int start = size == 1 ? 0 : pick.next(size);
                for (int j = 0; j < size; j++) {
                    Subscription s = group.get((start + j) % size);
                    if (!(s instanceof RemoteSubscription)
                            && deliver(s, routeSubject, subject, reply, data, off, hdrLen, totalLen, publisher, batch, trace)) {
                        delivered++;
                        break;
                    }
                }
                continue;
            }
            // every member counts once, a remote interest as many members as its weight: the pick
            // is uniform over the members cluster-wide
            int total = 0;
            for (int j = 0; j < size; j++) {
                total += group.get(j) instanceof RemoteSubscription r ? r.weight() : 1;
            }
            int start = 0;
            if (total > 1) {
                int at = pick.next(total);
                for (int j = 0; j < size; j++) {
                    at -= group.get(j) instanceof RemoteSubscription r ? r.weight() : 1;
                    if (at < 0) {
                        start = j;
                        break;
                    }
                }
            }
            for (int j = 0; j < size; j++) {
                Subscription s = group.get((start + j) % size);
                if (s instanceof RemoteSubscription r) {
                    if (trace != null && trace.traceOnly() && !trace.stopped && !r.route.tracesMessages()) {
                        continue; // a peer that does not trace would deliver a trace-only message
                    }
                    if (targets == null) {
                        targets = new ArrayList<>(2);
                    }
                    target(targets, r.route).addQueue(s.queue());
                    delivered++;
                    break;
                }
                if (deliver(s, routeSubject, subject, reply, data, off, hdrLen, totalLen, publisher, batch, trace)) {
                    delivered++;
                    break;
                }
            }
        }
        if (targets != null) {
            String routedReply = RoutedReply.replyShowing(routeSubject, subject, reply);
            for (int i = 0, n = targets.size(); i < n; i++) {
                RouteTarget t = targets.get(i);
                if (batch != null && batch.dropsForStalledRoute() && t.sink.stallAdvised()) {
                    continue; // no_fast_producer_stall: the stalled route misses it, the producer goes on
                }
                boolean sent;
                if (trace == null || trace.stopped) {
                    if (trace != null && trace.traceOnly()) {
                        continue; // the trace stopped at an account boundary: a trace-only message goes no further
                    }
                    sent = t.sink.sendMessage(account, routeSubject, routedReply, t.queues, data, off, hdrLen, totalLen);
                } else {
                    sent = sendTraced(t, trace, account, routeSubject, routedReply, data, off, hdrLen, totalLen);
                }
                if (sent && t.plain) {
                    delivered++;
                }
                if (batch != null && t.sink.stallAdvised()) {
                    batch.stallOn(t.sink); // a client producer waits, bounded, for a route that falls behind
                }
            }
        }
        return interest ? delivered : NO_INTEREST;
    }

    /**
     * A traced message to one route, as nats-server sends it: with its hop id in
     * {@code Nats-Trace-Hop} and a route egress event; to a peer that does not trace, a trace-only
     * message is not sent at all (the egress says so) and any other goes with an egress that says
     * no event will come from there.
     */
    private static boolean sendTraced(RouteTarget t, MsgTrace trace, String account, String routeSubject,
                                      String routedReply, byte[] data, int off, int hdrLen, int totalLen) {
        String nhop = trace.nextHop();
        boolean traces = t.sink.tracesMessages();
        if (!traces && trace.traceOnly()) {
            trace.routeEgress(t.sink.connectionId(), t.sink.remoteName(), nhop, MsgTrace.ONLY_NO_SUPPORT);
            return false;
        }
        MsgTrace.Rewritten out = MsgTrace.withHeader(data, off, hdrLen, totalLen, MsgTrace.HOP, nhop);
        boolean sent = t.sink.sendMessage(account, routeSubject, routedReply, t.queues, out.data(), 0, out.hdrLen(),
                out.data().length);
        if (sent) {
            trace.routeEgress(t.sink.connectionId(), t.sink.remoteName(), nhop, traces ? null : MsgTrace.NO_SUPPORT);
        }
        return sent;
    }

    /**
     * Hands one message to one subscriber; false when nothing was delivered. With a {@code trace}
     * the delivery is recorded as an egress (a trace-only message is recorded, not delivered); the
     * JetStream API is recorded as nats-server shows it, a service import into {@code $SYS}.
     */
    private static boolean deliver(Subscription sub, String routeSubject, String subject, String reply, byte[] data,
                                   int off, int hdrLen, int totalLen, ClientConnection publisher, Deliveries batch,
                                   MsgTrace trace) {
        if (sub instanceof ClientSubscription c) {
            if (trace == null) {
                return c.client.deliver(c, subject, reply, data, off, hdrLen, totalLen, publisher, batch);
            }
            if (trace.traceOnly()) {
                if (!trace.stopped && c.client.wouldDeliver(c, publisher)) {
                    trace.clientEgress(c.client, c.subject(), c.queue());
                    return true;
                }
                return false;
            }
            boolean done = c.client.deliver(c, subject, reply, data, off, hdrLen, totalLen, publisher, batch);
            if (done && !trace.stopped) {
                trace.clientEgress(c.client, c.subject(), c.queue());
            }
            return done;
        }
        if (sub instanceof ShadowSubscription shadow) {
            // a stream import: straight to the importing account's subscriber, on its subject there
            String local = shadow.mapped(routeSubject);
            if (local == null) {
                return false;
            }
            // a JetStream delivery (shown subject differs from the routed one) keeps showing the stream's
            String shown = routeSubject.equals(subject) ? local : subject;
            boolean done;
            if (trace == null || trace.stopped) {
                done = deliver(shadow.target, local, shown, reply, data, off, hdrLen, totalLen, publisher, batch, trace);
            } else {
                trace.streamExport(shadow.importer.name(), local);
                done = MsgTrace.crossing(trace, shadow.allowTrace, shadow.importSubject, data, off, hdrLen, totalLen,
                        (d, o, h, t) -> deliver(shadow.target, local, shown, reply, d, o, h, t, publisher, batch, trace)
                                ? 1 : NO_INTEREST) > 0;
            }
            if (done) {
                shadow.delivered.incrementAndGet();
            }
            return done;
        }
        if (!(sub instanceof InternalSubscription internal)) {
            return false; // imports are handled by route() itself
        }
        if (trace != null && !(internal.handler instanceof InternalHandler.Traced)) {
            if (jetStreamApi(internal.subject()) && !trace.stopped && trace.firstJetStreamApi()) {
                // weft's API may be several handlers in the account; nats-server imports it once from $SYS
                trace.serviceImport("$SYS", subject, subject);
            }
            if (trace.traceOnly()) {
                return true;
            }
            // the service's own publishes (its replies) are not part of this trace
            MsgTrace before = MsgTrace.swap(null);
            try {
                internal.delivered.incrementAndGet();
                internal.handler.onMessage(subject, reply, data, off, hdrLen, totalLen);
            } finally {
                MsgTrace.swap(before);
            }
            return true;
        }
        internal.delivered.incrementAndGet();
        internal.handler.onMessage(subject, reply, data, off, hdrLen, totalLen);
        return true;
    }

    private static boolean jetStreamApi(String subscribed) {
        return subscribed.startsWith("$JS.") && (subscribed.startsWith("$JS.API.") || subscribed.contains(".API."));
    }
}
