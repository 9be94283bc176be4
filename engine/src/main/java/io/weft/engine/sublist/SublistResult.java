package io.weft.engine.sublist;

import java.util.Collections;
import java.util.List;

/**
 * The subscribers interested in one literal subject: an immutable snapshot, safe to share
 * between threads and to keep in the match cache.
 *
 * @param <T> the stored entry type
 */
public final class SublistResult<T> {

    private static final SublistResult<Object> EMPTY = new SublistResult<>(List.of(), List.of());

    private final List<T> plainSubs;
    private final List<List<T>> queueGroups;

    /** Wraps lists that nobody else holds; they are exposed read-only. */
    SublistResult(List<T> plainSubs, List<List<T>> queueGroups) {
        this.plainSubs = Collections.unmodifiableList(plainSubs);
        this.queueGroups = Collections.unmodifiableList(queueGroups);
    }

    /** The result with no subscribers. */
    @SuppressWarnings("unchecked")
    public static <T> SublistResult<T> empty() {
        return (SublistResult<T>) EMPTY;
    }

    /** Plain (non-queue) subscribers: each gets a copy of the message. */
    public List<T> plainSubs() {
        return plainSubs;
    }

    /**
     * Queue groups, one non-empty list per queue name (members from every matching subject
     * merged); the caller delivers to one member of each.
     */
    public List<List<T>> queueGroups() {
        return queueGroups;
    }

    /** True when nobody is interested. */
    public boolean isEmpty() {
        return plainSubs.isEmpty() && queueGroups.isEmpty();
    }

    /** Plain subscribers plus queue groups, as nats-server counts fanout. */
    public int fanout() {
        return plainSubs.size() + queueGroups.size();
    }

    @Override
    public String toString() {
        return "SublistResult[plain=" + plainSubs + ", queues=" + queueGroups + "]";
    }
}
