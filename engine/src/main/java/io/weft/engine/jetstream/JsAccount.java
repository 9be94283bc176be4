package io.weft.engine.jetstream;

import io.weft.engine.server.Account;
import io.weft.engine.server.InternalSubscription;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One JetStream-enabled account: its streams, its limits and its API counters.
 *
 * <p>Creating or updating a stream reserves its name and subjects here in one short step under
 * {@code admission} ({@link #reserve}), against every stream of the account whether published or
 * still being built by another request; the slow part (store, files, subscriptions) then runs
 * outside any shared lock, and {@link #settle} ends the reservation. The subjects of all streams
 * live in an {@link OverlapIndex}, so the overlap check costs about one lookup per new subject.
 */
public final class JsAccount {
    private final JetStream js;
    private final Account account;
    private final Limits limits;
    private final ConcurrentSkipListMap<String, Stream> streams = new ConcurrentSkipListMap<>();
    /** Guards subjectOwners and pending, and makes changes to streams one step with them. */
    private final ReentrantLock admission = new ReentrantLock();
    /** The subjects of every stream, published or reserved, owned by the stream's name. */
    private final OverlapIndex<String> subjectOwners = new OverlapIndex<>();
    /** The configs that creates and updates in progress reserved, by stream name. */
    private final Map<String, StreamConfig> pending = new TreeMap<>();
    /** Makes the account's consumer count and the attachment of a new consumer one step. */
    final ReentrantLock consumerAdmission = new ReentrantLock();
    final List<InternalSubscription> apiSubs = new ArrayList<>();
    final AtomicLong apiTotal = new AtomicLong();
    final AtomicLong apiErrors = new AtomicLong();

    /** Account JetStream limits; -1 is unlimited. */
    public record Limits(long maxMemory, long maxStore, int maxStreams, int maxConsumers) {
        public static final Limits UNLIMITED = new Limits(-1, -1, -1, -1);
    }

    JsAccount(JetStream js, Account account, Limits limits) {
        this.js = js;
        this.account = account;
        this.limits = limits == null ? Limits.UNLIMITED : limits;
    }

    public Account account() {
        return account;
    }

    public Limits limits() {
        return limits;
    }

    public Stream stream(String name) {
        return name == null ? null : streams.get(name);
    }

    /** Streams in name order. */
    public Collection<Stream> streams() {
        return streams.values();
    }

    /** Publishes a stream: one a create reserved, or one recovered from disk (its subjects are indexed now). */
    void put(Stream s) {
        admission.lock();
        try {
            if (!pending.containsKey(s.name())) {
                for (String x : s.config().subjects()) {
                    subjectOwners.add(x, s.name());
                }
            }
            streams.put(s.name(), s);
        } finally {
            admission.unlock();
        }
    }

    /** Unpublishes a stream; its subjects stay taken until {@link #release} (after it stopped capturing them). */
    void remove(Stream s) {
        admission.lock();
        try {
            streams.remove(s.name(), s);
        } finally {
            admission.unlock();
        }
    }

    /** Frees the subjects of a removed, stopped stream. */
    void release(Stream s) {
        admission.lock();
        try {
            for (String x : new LinkedHashSet<>(s.config().subjects())) {
                subjectOwners.remove(x, s.name());
            }
        } finally {
            admission.unlock();
        }
    }

    /**
     * Reserves {@code cfg} for a create ({@code old} null) or for an update of a stream whose
     * config is {@code old}, in one step against every other stream, published or reserved, with
     * nats-server's checks in its order: subjects overlap (10065); then the stream count (10027)
     * for a create or {@link StreamConfig#checkUpdate} for an update; then the max_bytes
     * reservation. Until {@link #settle}, the old and the new subjects both stay taken. The caller
     * is the only request creating, updating or deleting this stream (its API lane).
     */
    void reserve(StreamConfig cfg, StreamConfig old) throws JsApiException {
        String name = cfg.name();
        admission.lock();
        try {
            assert !pending.containsKey(name) : "two reservations of " + name;
            for (String x : cfg.subjects()) {
                if (subjectOwners.overlapsOther(x, name)) {
                    throw JsErrors.STREAM_SUBJECT_OVERLAP.exception();
                }
            }
            if (old == null) {
                if (limits.maxStreams() > 0 && streamCountLocked() >= limits.maxStreams()) {
                    throw JsErrors.MAXIMUM_STREAMS.exception();
                }
            } else {
                cfg.checkUpdate(old);
            }
            checkReservation(cfg);
            Set<String> had = old == null ? Set.of() : Set.copyOf(old.subjects());
            for (String x : new LinkedHashSet<>(cfg.subjects())) {
                if (!had.contains(x)) {
                    subjectOwners.add(x, name);
                }
            }
            pending.put(name, cfg);
        } finally {
            admission.unlock();
        }
    }

    /**
     * Ends the reservation {@link #reserve} made, whether the create or update worked or not: the
     * stream keeps exactly the subjects it now has (none when it does not exist).
     */
    void settle(StreamConfig cfg, StreamConfig old) {
        String name = cfg.name();
        admission.lock();
        try {
            pending.remove(name);
            Stream s = streams.get(name);
            Set<String> now = s == null ? Set.of() : Set.copyOf(s.config().subjects());
            Set<String> held = new LinkedHashSet<>(cfg.subjects());
            if (old != null) {
                held.addAll(old.subjects());
            }
            for (String x : held) {
                if (!now.contains(x)) {
                    subjectOwners.remove(x, name);
                }
            }
        } finally {
            admission.unlock();
        }
    }

    /** Published streams plus those being created. */
    private int streamCountLocked() {
        int n = streams.size();
        for (String name : pending.keySet()) {
            if (!streams.containsKey(name)) {
                n++;
            }
        }
        return n;
    }

    public long apiTotal() {
        return apiTotal.get();
    }

    public long apiErrors() {
        return apiErrors.get();
    }

    /** Bytes used by memory streams (memory true) or file streams. */
    public long used(boolean memory) {
        long n = 0;
        for (Stream s : streams.values()) {
            if (s.config().memoryStorage() == memory) {
                n += s.state().bytes();
            }
        }
        return n;
    }

    public int consumerCount() {
        int n = 0;
        for (Stream s : streams.values()) {
            n += s.consumers().size();
        }
        return n;
    }

    /** Null when a message of {@code size} bytes fits the account's and the server's limits. */
    JsApiError checkStore(StreamConfig cfg, long size) {
        boolean mem = cfg.memoryStorage();
        long accountMax = mem ? limits.maxMemory() : limits.maxStore();
        long serverMax = mem ? js.maxMemory() : js.maxStore();
        if (accountMax < 0 && serverMax < 0) {
            return null;
        }
        long used = used(mem);
        if (accountMax >= 0 && used + size > accountMax) {
            return JsErrors.ACCOUNT_RESOURCES_EXCEEDED;
        }
        if (serverMax >= 0 && js.used(mem) + size > serverMax) {
            return JsErrors.INSUFFICIENT_RESOURCES;
        }
        return null;
    }

    /**
     * At create or update: a stream's max_bytes is reserved against the account's limit for its
     * storage type (nats-server's 10047/10028 when it does not fit). Called under admission.
     */
    private void checkReservation(StreamConfig cfg) throws JsApiException {
        boolean mem = cfg.memoryStorage();
        long accountMax = mem ? limits.maxMemory() : limits.maxStore();
        long serverMax = mem ? js.maxMemory() : js.maxStore();
        if (serverMax >= 0 && cfg.maxBytes() > serverMax) {
            throw (mem ? JsErrors.MEMORY_RESOURCES_EXCEEDED : JsErrors.STORAGE_RESOURCES_EXCEEDED).exception();
        }
        if (accountMax < 0 || cfg.maxBytes() <= 0) {
            return;
        }
        long reserved = 0;
        for (Stream s : streams.values()) {
            if (!s.name().equals(cfg.name()) && !pending.containsKey(s.name())) {
                reserved += reservedBytes(s.config(), mem);
            }
        }
        for (Map.Entry<String, StreamConfig> e : pending.entrySet()) {
            if (!e.getKey().equals(cfg.name())) {
                // an update in progress may yet fail: count the larger of its old and new reservation
                Stream s = streams.get(e.getKey());
                long was = s == null ? 0 : reservedBytes(s.config(), mem);
                reserved += Math.max(was, reservedBytes(e.getValue(), mem));
            }
        }
        if (reserved + cfg.maxBytes() > accountMax) {
            throw (mem ? JsErrors.MEMORY_RESOURCES_EXCEEDED : JsErrors.STORAGE_RESOURCES_EXCEEDED).exception();
        }
    }

    private static long reservedBytes(StreamConfig c, boolean mem) {
        return c.memoryStorage() == mem && c.maxBytes() > 0 ? c.maxBytes() : 0;
    }

    void checkConsumerLimit() throws JsApiException {
        if (limits.maxConsumers() > 0 && consumerCount() >= limits.maxConsumers()) {
            throw JsErrors.MAXIMUM_CONSUMERS.exception();
        }
    }
}
