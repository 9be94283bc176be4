package io.weft.engine.jetstream;

import io.weft.engine.server.Account;
import io.weft.engine.server.InternalSubscription;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;

/** One JetStream-enabled account: its streams, its limits and its API counters. */
public final class JsAccount {
    private final JetStream js;
    private final Account account;
    private final Limits limits;
    private final ConcurrentSkipListMap<String, Stream> streams = new ConcurrentSkipListMap<>();
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

    void put(Stream s) {
        streams.put(s.name(), s);
    }

    void remove(Stream s) {
        streams.remove(s.name(), s);
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
     * storage type (nats-server's 10047/10028 when it does not fit).
     */
    void checkReservation(StreamConfig cfg) throws JsApiException {
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
            if (!s.name().equals(cfg.name()) && s.config().memoryStorage() == mem && s.config().maxBytes() > 0) {
                reserved += s.config().maxBytes();
            }
        }
        if (reserved + cfg.maxBytes() > accountMax) {
            throw (mem ? JsErrors.MEMORY_RESOURCES_EXCEEDED : JsErrors.STORAGE_RESOURCES_EXCEEDED).exception();
        }
    }

    void checkConsumerLimit() throws JsApiException {
        if (limits.maxConsumers() > 0 && consumerCount() >= limits.maxConsumers()) {
            throw JsErrors.MAXIMUM_CONSUMERS.exception();
        }
    }
}
