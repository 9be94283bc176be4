package io.weft.engine.auth;

import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Reply subjects a client may publish to under {@code allow_responses}: when a message with
 * reply subject R is delivered to the client, {@link #grant} lets it publish to exactly R (not
 * to subjects below it) up to {@code max} times until {@code expires} after the grant. A new
 * grant of the same R starts over. Time is passed in by the caller, read from its Clock.
 *
 * <p>Memory is bounded: expired permits are pruned as grants arrive, and beyond
 * {@link #capacity} the oldest permits are dropped. Thread-safe (grants come from publishers'
 * threads, uses from the client's own reader); one lock per client, never global.
 */
public final class ResponsePermits {
    /** Default bound on live permits per client. */
    public static final int DEFAULT_CAPACITY = 65_536;

    private final int maxMsgs;
    private final long expiresNanos; // <= 0: no time limit
    private final int capacity;
    private final ReentrantLock lock = new ReentrantLock();
    /** Insertion order is grant order, so the eldest entry expires first. */
    private final LinkedHashMap<String, Permit> permits = new LinkedHashMap<>();

    /**
     * @param maxMsgs publishes allowed per grant; 0 or less means no count limit
     * @param expires lifetime of a grant; null, zero or negative means no time limit
     */
    public ResponsePermits(int maxMsgs, Duration expires, int capacity) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("capacity must be positive");
        }
        this.maxMsgs = maxMsgs;
        this.expiresNanos = expires == null ? 0 : expires.toNanos();
        this.capacity = capacity;
    }

    public ResponsePermits(Permissions.ResponsePermission permission) {
        this(permission.maxMsgs(), permission.expires(), DEFAULT_CAPACITY);
    }

    /** Records that a message with reply subject {@code reply} was delivered to the client. */
    public void grant(String reply, long nowNanos) {
        if (reply == null || reply.isEmpty()) {
            return;
        }
        lock.lock();
        try {
            pruneExpired(nowNanos);
            permits.remove(reply);
            permits.put(reply, new Permit(nowNanos, maxMsgs));
            if (permits.size() > capacity) {
                Iterator<String> eldest = permits.keySet().iterator();
                eldest.next();
                eldest.remove();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Consumes one use of the permit for {@code subject}; false when there is none left. */
    public boolean tryUse(String subject, long nowNanos) {
        lock.lock();
        try {
            Permit permit = permits.get(subject);
            if (permit == null) {
                return false;
            }
            if (expired(permit, nowNanos)) {
                permits.remove(subject);
                return false;
            }
            if (maxMsgs > 0) {
                permit.remaining--;
                if (permit.remaining <= 0) {
                    permits.remove(subject);
                }
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Live permits (expired ones may linger until the next grant). */
    public int size() {
        lock.lock();
        try {
            return permits.size();
        } finally {
            lock.unlock();
        }
    }

    public int capacity() {
        return capacity;
    }

    private void pruneExpired(long nowNanos) {
        if (expiresNanos <= 0) {
            return;
        }
        Iterator<Map.Entry<String, Permit>> it = permits.entrySet().iterator();
        while (it.hasNext()) {
            if (!expired(it.next().getValue(), nowNanos)) {
                break;
            }
            it.remove();
        }
    }

    private boolean expired(Permit permit, long nowNanos) {
        return expiresNanos > 0 && nowNanos - permit.grantedNanos > expiresNanos;
    }

    private static final class Permit {
        final long grantedNanos;
        int remaining;

        Permit(long grantedNanos, int remaining) {
            this.grantedNanos = grantedNanos;
            this.remaining = remaining;
        }
    }
}
