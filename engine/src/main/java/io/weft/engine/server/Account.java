package io.weft.engine.server;

import io.weft.engine.sublist.Sublist;
import io.weft.engine.sublist.SublistResult;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;

/**
 * An isolated subject space: its own sublist; clients of one account never see another's messages.
 * Server-side services (JetStream) subscribe and publish inside an account through
 * {@link #subscribe} and {@link #publish}, and see exactly what a client of the account would.
 */
public final class Account {
    public static final String GLOBAL = "$G";

    private final String name;
    final Sublist<Subscription> sublist = new Sublist<>();
    final Router router;
    /** Told of client subscriptions added and removed (the routes); null when clustering is off. */
    private volatile LocalInterest localInterest;
    final LongAdder clients = new LongAdder();
    private final ReentrantLock randomLock = new ReentrantLock();
    private final SplittableRandom random;
    final Router.QueuePick pick = this::nextInt;

    private final AtomicLong batchTokens;

    /** Literal subject -> what to run when a subscription that matches it is added. */
    private final java.util.concurrent.ConcurrentHashMap<String, java.util.concurrent.CopyOnWriteArrayList<Runnable>> interestWatchers =
            new java.util.concurrent.ConcurrentHashMap<>();

    Account(String name, long seed, AtomicLong batchTokens) {
        this.name = name;
        this.router = new Router(name, sublist);
        this.random = new SplittableRandom(seed);
        this.batchTokens = batchTokens;
        sublist.onInsert(this::subscribed);
        sublist.onRemove(this::unsubscribed);
    }

    /** The account's {@code msg_trace} (W3C trace context tracing), null when not configured. */
    volatile io.weft.engine.auth.AuthConfig.MsgTraceConfig msgTrace;

    /** The account's subject mappings, in file order; the first whose source matches applies. */
    private volatile List<io.weft.engine.mapping.Mapping> mappings = List.of();
    /** The cluster this server is in ("" when not clustered), for cluster-scoped mappings. */
    private volatile String clusterName = "";

    void mappings(List<io.weft.engine.mapping.Mapping> mappings, String clusterName) {
        this.mappings = mappings == null ? List.of() : List.copyOf(mappings);
        this.clusterName = clusterName == null ? "" : clusterName;
    }

    /**
     * The subject a client's message to {@code subject} is delivered on: the first mapping whose
     * source matches decides (by weight among its destinations); without one the subject itself.
     */
    String mapped(String subject) {
        List<io.weft.engine.mapping.Mapping> m = mappings;
        if (m.isEmpty()) {
            return subject;
        }
        for (int i = 0, n = m.size(); i < n; i++) {
            io.weft.engine.mapping.Mapping mapping = m.get(i);
            if (mapping.matches(subject)) {
                return mapping.map(subject, clusterName, this::nextInt);
            }
        }
        return subject;
    }

    void localInterest(LocalInterest listener) {
        this.localInterest = listener;
    }

    /** Tells {@code listener} of every announced subscription already here (it was set after they were made). */
    void announceExisting(LocalInterest listener) {
        if (listener == null) {
            return;
        }
        for (Subscription sub : sublist.all()) {
            if (announced(sub)) {
                listener.changed(this, sub.subject(), sub.queue(), +1);
            }
        }
    }

    /**
     * Whether the routes announce this subscription to the cluster: every client subscription, and
     * JetStream's per-stream and per-consumer ones (stream subjects, acks, flow control, direct
     * get), as nats-server 2.15.1 announces them in the stream's account; the account's JetStream
     * API handlers ({@code $JS.API.>}, which nats-server keeps in its system account) only when
     * subscribed with {@link #subscribeAnnounced} (a clustered JetStream).
     */
    static boolean announced(Subscription sub) {
        if (sub instanceof ClientSubscription) {
            return true;
        }
        if (sub instanceof ShadowSubscription shadow) {
            return announced(shadow.target); // in the exporter's account, as its target is in the importer's
        }
        if (sub instanceof ImportSubscription imp) {
            return imp.routed;
        }
        if (!(sub instanceof InternalSubscription is)) {
            return false;
        }
        if (is.announce) {
            return true;
        }
        String s = sub.subject();
        boolean api = s.startsWith("$JS.API.") || (s.startsWith("$JS.") && s.indexOf(".API.") > 0);
        return sub.queue() != null || !api;
    }

    private void unsubscribed(Subscription sub) {
        LocalInterest l = localInterest;
        if (l != null && announced(sub)) {
            l.changed(this, sub.subject(), sub.queue(), -1);
        }
        if (!streamImports.isEmpty() || !shadows.isEmpty()) {
            dropShadows(sub);
        }
    }

    // ---------------------------------------------------------------- stream imports

    /**
     * A stream import into this account: what {@code exporter} publishes on {@code subject} comes
     * here on {@code local} (its image under {@code to}).
     */
    record StreamImport(Account exporter, String subject, String local, io.weft.engine.mapping.SubjectTransform to,
                        boolean allowTrace) {
    }

    /** This account's stream imports; each subscriber that meets one gets a shadow in its exporter. */
    private volatile List<StreamImport> streamImports = List.of();
    /**
     * The shadows each subscriber of this account has in exporters (an empty list: none), or
     * {@link #GONE} when its removal's listener ran before its insert's. Changed under
     * {@link #shadowLock} only, which is never held while another sublist is changed.
     */
    private final java.util.concurrent.ConcurrentHashMap<Subscription, List<ShadowSubscription>> shadows =
            new java.util.concurrent.ConcurrentHashMap<>();
    /** Compared by identity only. */
    private static final List<ShadowSubscription> GONE = java.util.Collections.unmodifiableList(new java.util.ArrayList<>());
    private final ReentrantLock shadowLock = new ReentrantLock();
    /** How deep shadows of shadows go on this thread (chained stream imports; cycles are refused at load). */
    private static final ThreadLocal<int[]> SHADOW_DEPTH = ThreadLocal.withInitial(() -> new int[1]);

    /**
     * Replaces this account's stream imports: the shadows of the old ones are removed, every
     * current subscriber gets shadows for the new ones (a configuration reload).
     */
    void streamImports(List<StreamImport> imports) {
        List<List<ShadowSubscription>> old;
        shadowLock.lock();
        try {
            old = new java.util.ArrayList<>(shadows.values());
            shadows.clear();
            streamImports = List.copyOf(imports);
        } finally {
            shadowLock.unlock();
        }
        for (List<ShadowSubscription> list : old) {
            for (ShadowSubscription sh : list) {
                sh.exporter.sublist.remove(sh);
            }
        }
        if (!imports.isEmpty()) {
            for (Subscription sub : sublist.all()) {
                addShadows(sub);
            }
        }
    }

    private static boolean shadowable(Subscription sub) {
        return sub instanceof ClientSubscription || sub instanceof InternalSubscription || sub instanceof ShadowSubscription;
    }

    /**
     * Gives {@code sub} a shadow in the exporter of each stream import whose subjects meet its
     * own: on the subscriber's own subject when it lies inside an unmapped import (nothing to check
     * per message), else on the whole imported subject, checked against the subscriber's subject
     * as each message is mapped.
     */
    private void addShadows(Subscription sub) {
        List<StreamImport> imports = streamImports;
        if (imports.isEmpty() || !shadowable(sub)) {
            return;
        }
        int[] depth = SHADOW_DEPTH.get();
        String x = sub.subject();
        List<ShadowSubscription> made = new java.util.ArrayList<>(1);
        for (StreamImport si : imports) {
            if (depth[0] >= Router.MAX_IMPORT_DEPTH || si.exporter() == this
                    || !io.weft.store.Subjects.overlaps(x, si.local())) {
                continue;
            }
            boolean unmapped = si.local().equals(si.subject());
            String on;
            boolean filter;
            if (unmapped && io.weft.store.Subjects.isSubsetMatch(x, si.subject())) {
                on = x;
                filter = false;
            } else {
                on = si.subject();
                filter = !io.weft.store.Subjects.isSubsetMatch(si.local(), x);
            }
            made.add(new ShadowSubscription(on, sub, si.to(), this, si.exporter(), si.subject(), si.allowTrace(), filter));
        }
        shadowLock.lock();
        try {
            if (shadows.get(sub) == GONE) {
                shadows.remove(sub); // removed before this listener ran
                return;
            }
            shadows.put(sub, made);
        } finally {
            shadowLock.unlock();
        }
        if (made.isEmpty()) {
            return;
        }
        depth[0]++;
        try {
            for (ShadowSubscription sh : made) {
                sh.exporter.sublist.insert(sh);
                boolean current;
                shadowLock.lock();
                try {
                    current = shadows.get(sub) == made;
                } finally {
                    shadowLock.unlock();
                }
                if (!current) {
                    sh.exporter.sublist.remove(sh); // the subscriber went while its shadows were being made
                }
            }
        } finally {
            depth[0]--;
        }
    }

    private void dropShadows(Subscription sub) {
        if (!shadowable(sub)) {
            return;
        }
        List<ShadowSubscription> list;
        shadowLock.lock();
        try {
            list = shadows.remove(sub);
            if (list == null && !streamImports.isEmpty()) {
                shadows.put(sub, GONE); // its insert listener has not run yet: it must add nothing
            }
        } finally {
            shadowLock.unlock();
        }
        if (list == null || list == GONE) {
            return;
        }
        for (ShadowSubscription sh : list) {
            sh.exporter.sublist.remove(sh);
        }
    }

    /**
     * Adds interest a route's peer announced; messages that match go to {@code route} (queue
     * interest with {@code weight} members).
     */
    public RemoteSubscription addRemote(RouteSink route, String subject, String queue, int weight) {
        RemoteSubscription sub = new RemoteSubscription(route, subject, queue, weight);
        sublist.insert(sub);
        return sub;
    }

    /** Removes remote interest ({@code RS-}, or the route dropped). */
    public void removeRemote(RemoteSubscription sub) {
        sublist.remove(sub);
    }

    /** Removes many remote interests at once (a route that dropped). */
    public void removeRemote(java.util.Collection<RemoteSubscription> subs) {
        sublist.removeBatch(subs);
    }

    /**
     * Delivers a message that arrived over a route ({@code RMSG}/{@code HMSG}) to this server's
     * own subscribers: plain ones, and one local member of each queue group named in
     * {@code queues}; never to another route. Returns how many received it.
     */
    public int publishFromRoute(String subject, String reply, java.util.List<String> queues, byte[] data, int off,
                                int hdrLen, int totalLen) {
        return publishFromRoute(subject, reply, queues, data, off, hdrLen, totalLen, null);
    }

    /**
     * As above, deferring the subscribers' writer wake-ups to {@code batch} (from
     * {@link #newDeliveries()}; the route's reader flushes it before it waits for more bytes).
     */
    public int publishFromRoute(String subject, String reply, java.util.List<String> queues, byte[] data, int off,
                                int hdrLen, int totalLen, Deliveries batch) {
        return Math.max(0, router.route(subject, subject, reply, data, off, hdrLen, totalLen, null, batch, pick,
                true, queues));
    }

    /**
     * Runs {@code onInterest} each time a subscription (client, internal or remote) that would
     * receive {@code literalSubject} is added, on the subscribing thread; it must be quick (a
     * JetStream push consumer wakes its delivery loop, as nats-server reacts to interest on a
     * deliver subject). Close the handle to stop watching.
     */
    public AutoCloseable watchInterest(String literalSubject, Runnable onInterest) {
        interestWatchers.computeIfAbsent(literalSubject, k -> new java.util.concurrent.CopyOnWriteArrayList<>()).add(onInterest);
        return () -> interestWatchers.computeIfPresent(literalSubject, (k, list) -> {
            list.remove(onInterest);
            return list.isEmpty() ? null : list;
        });
    }

    private void subscribed(Subscription sub) {
        LocalInterest l = localInterest;
        if (l != null && announced(sub)) {
            l.changed(this, sub.subject(), sub.queue(), +1);
        }
        if (!streamImports.isEmpty()) {
            addShadows(sub);
        }
        if (interestWatchers.isEmpty()) {
            return;
        }
        String subject = sub.subject();
        if (subject.indexOf('*') < 0 && subject.indexOf('>') < 0) {
            List<Runnable> exact = interestWatchers.get(subject);
            if (exact != null) {
                exact.forEach(Runnable::run);
            }
            return;
        }
        for (java.util.Map.Entry<String, java.util.concurrent.CopyOnWriteArrayList<Runnable>> e : interestWatchers.entrySet()) {
            if (io.weft.store.Subjects.matchesFilter(subject, e.getKey())) {
                e.getValue().forEach(Runnable::run);
            }
        }
    }

    /**
     * A batch for a server-side producer that delivers many messages in a row (a JetStream
     * consumer): pass it to {@link #deliverAs(String, String, String, byte[], byte[], Deliveries)}
     * and call {@link Deliveries#flush} after the last one, so each subscriber's writer is woken
     * once per batch rather than once per message. One thread per instance.
     */
    public Deliveries newDeliveries() {
        return new Deliveries(batchTokens);
    }

    /**
     * A batch for a route's reader: like a client's reader's, it stalls, bounded, on a local
     * subscriber past its stall gate (waiting through {@code clock}), so a route that delivers
     * faster than a subscriber reads slows down instead of cutting it as a slow consumer.
     */
    public Deliveries newRouteDeliveries(io.weft.net.Clock clock) {
        return Deliveries.forClient(batchTokens, clock, nanos -> { });
    }

    public String name() {
        return name;
    }

    public Sublist<?> sublist() {
        return sublist;
    }

    /**
     * The client subscriptions of this account as the routes announce them: per interest key
     * ({@code subject}, or {@code subject queue}) the number of client subscriptions (a plain
     * subject counts once however many clients hold it, as one {@code RS+} announces it; a queue
     * key counts its members, the weight its {@code RS+} carries). For checkers and monitoring.
     */
    public java.util.SortedMap<String, Integer> clientInterest() {
        java.util.SortedMap<String, Integer> out = new java.util.TreeMap<>();
        for (Subscription s : sublist.all()) {
            if (s instanceof ClientSubscription) {
                if (s.queue() == null) {
                    out.put(s.subject(), 1);
                } else {
                    out.merge(s.subject() + ' ' + s.queue(), 1, Integer::sum);
                }
            }
        }
        return out;
    }

    /**
     * The interest route peers announced here, per route: interest key (as in
     * {@link #clientInterest()}) to weight, summed over the route's remote subscriptions of that key
     * (so a key held twice for one route shows as a weight too high). For checkers and monitoring.
     */
    public java.util.Map<RouteSink, java.util.SortedMap<String, Integer>> remoteInterest() {
        java.util.Map<RouteSink, java.util.SortedMap<String, Integer>> out = new java.util.LinkedHashMap<>();
        for (Subscription s : sublist.all()) {
            if (s instanceof RemoteSubscription r) {
                String key = s.queue() == null ? s.subject() : s.subject() + ' ' + s.queue();
                out.computeIfAbsent(r.route, k -> new java.util.TreeMap<>()).merge(key, r.weight(), Integer::sum);
            }
        }
        return out;
    }

    public long clientCount() {
        return clients.sum();
    }

    /** Subscribes a server-side handler to {@code subject} (optionally in a queue group). */
    public InternalSubscription subscribe(String subject, String queue, InternalHandler handler) {
        InternalSubscription sub = new InternalSubscription(handler, subject, queue);
        sublist.insert(sub);
        return sub;
    }

    /**
     * As {@link #subscribe}, but announced to the routes whatever the subject: a clustered
     * JetStream's API handlers, so that a request reaches every server of the cluster (the one
     * that decides answers, as nats-server's API subscriptions in its system account do).
     */
    public InternalSubscription subscribeAnnounced(String subject, String queue, InternalHandler handler) {
        InternalSubscription sub = new InternalSubscription(handler, subject, queue, true);
        sublist.insert(sub);
        return sub;
    }

    public void unsubscribe(InternalSubscription handle) {
        if (handle != null) {
            sublist.remove(handle);
        }
    }

    /** True if any subscriber (client or internal) would receive a message on {@code subject}. */
    public boolean hasInterest(String subject) {
        SublistResult<Subscription> r = sublist.match(subject);
        return !r.plainSubs().isEmpty() || !r.queueGroups().isEmpty();
    }

    /**
     * True if a client subscribed to {@code reply} asked for "no responders" statuses (CONNECT
     * {@code no_responders} and {@code headers}): nats-server answers a request that nothing serves
     * with a 503 only to such clients. A server-side service that knows it does not serve a request
     * (a pull request to a consumer that does not exist) uses it to answer as nats-server would.
     */
    public boolean wantsNoResponders(String reply) {
        for (Subscription sub : sublist.match(reply).plainSubs()) {
            if (sub instanceof ClientSubscription cs && cs.client.wantsNoResponders()) {
                return true;
            }
        }
        return false;
    }

    /**
     * Answers a request that nothing serves as nats-server 2.12+ does: {@code NATS/1.0 503} with
     * {@code Nats-Subject: <subject>}, only to a client whose CONNECT asked for it. For server-side
     * services that know they do not serve {@code subject} although a catch-all subscription of
     * theirs matched it.
     */
    public void answerNoResponders(String subject, String reply) {
        if (reply != null && !reply.isEmpty() && wantsNoResponders(reply)) {
            publish(reply, null, io.weft.engine.protocol.Headers.noResponders(subject), new byte[0]);
        }
    }

    /**
     * Publishes a message from the server itself to every matching subscriber of this account, as
     * if a client had sent it (one member per queue group). {@code headers} is a complete header
     * block or null. Returns how many subscribers (queue groups counting once) received it.
     */
    public int publish(String subject, String reply, byte[] headers, byte[] payload) {
        return publish(subject, reply, headers, payload, null);
    }

    /** As {@link #publish(String, String, byte[], byte[])} inside a producer's batch (null: none). */
    public int publish(String subject, String reply, byte[] headers, byte[] payload, Deliveries batch) {
        int hdrLen = headers == null ? 0 : headers.length;
        int payLen = payload == null ? 0 : payload.length;
        return route(subject, subject, reply, join(headers, payload), 0, hdrLen, hdrLen + payLen, batch);
    }

    /**
     * Delivers a message to the subscribers of {@code routeSubject} while showing them
     * {@code shownSubject} in the MSG line, as JetStream does when it hands a stream message to a
     * consumer's deliver subject or a pull request's reply subject.
     */
    public int deliverAs(String routeSubject, String shownSubject, String reply, byte[] headers, byte[] payload) {
        return deliverAs(routeSubject, shownSubject, reply, headers, payload, null);
    }

    /** As {@link #deliverAs(String, String, String, byte[], byte[])} inside a producer's batch (null: none). */
    public int deliverAs(String routeSubject, String shownSubject, String reply, byte[] headers, byte[] payload,
                         Deliveries batch) {
        int hdrLen = headers == null ? 0 : headers.length;
        int payLen = payload == null ? 0 : payload.length;
        return route(routeSubject, shownSubject, reply, join(headers, payload), 0, hdrLen, hdrLen + payLen, batch);
    }

    /**
     * A message laid out as header block then payload. Without headers the payload itself: delivery
     * copies the bytes into each subscriber's buffer, so no joined copy is needed.
     */
    private static byte[] join(byte[] headers, byte[] payload) {
        int hdrLen = headers == null ? 0 : headers.length;
        int payLen = payload == null ? 0 : payload.length;
        if (hdrLen == 0) {
            return payload == null ? new byte[0] : payload;
        }
        byte[] data = new byte[hdrLen + payLen];
        System.arraycopy(headers, 0, data, 0, hdrLen);
        if (payLen > 0) {
            System.arraycopy(payload, 0, data, hdrLen, payLen);
        }
        return data;
    }

    /** As {@link #publish(String, String, byte[], byte[])} over a buffer slice laid out as a message. */
    public int publish(String subject, String reply, byte[] data, int off, int hdrLen, int totalLen) {
        return route(subject, subject, reply, data, off, hdrLen, totalLen, null);
    }

    private int route(String routeSubject, String subject, String reply, byte[] data, int off, int hdrLen, int totalLen,
                      Deliveries batch) {
        return Math.max(0, router.route(routeSubject, subject, reply, data, off, hdrLen, totalLen, null, batch, pick));
    }

    int nextInt(int bound) {
        randomLock.lock();
        try {
            return random.nextInt(bound);
        } finally {
            randomLock.unlock();
        }
    }
}
