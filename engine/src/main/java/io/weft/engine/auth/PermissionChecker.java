package io.weft.engine.auth;

import io.weft.store.Subjects;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Publish and subscribe permissions of one user, compiled for the hot path. Semantics are
 * nats-server 2.9's, checked on the real binary (README-facts.md):
 * <ul>
 * <li>no permission block (null) allows everything; an absent or empty allow list allows
 *     everything not denied; a non-empty allow list allows only what it matches; deny wins;
 * <li>{@code allow_responses} without an explicit publish allow list denies publishing except to
 *     granted reply subjects (see {@link ResponsePermits}); explicit allows still apply;
 * <li>a subscribe subject is matched literally against the entries: {@code foo.>} is allowed by
 *     an allow entry {@code foo.*}, {@code foo.*} is refused by a deny entry {@code foo.>}, and a
 *     deny entry narrower than an allowed wildcard subscription does not refuse it but filters
 *     delivery ({@link #canDeliver});
 * <li>entries {@code "subject queue"} govern queue subscriptions: when such entries match the
 *     subject, the queue name decides (matched as a subject against the entries' queue patterns);
 *     otherwise the plain entries decide. Plain subscriptions only see plain entries.
 * </ul>
 * Thread-safe. Publish and delivery results are cached per subject in bounded lock-free maps.
 */
public final class PermissionChecker {
    /** Cache entries per map before it is cleared (nats-server keeps a similar bounded cache). */
    static final int CACHE_LIMIT = 1024;

    private final Permissions permissions;
    private final List<String> pubAllow; // null = everything
    private final List<String> pubDeny;
    private final Entries subAllow; // null = everything
    private final Entries subDeny;
    private final ConcurrentHashMap<String, Boolean> publishCache = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Boolean> deliverCache = new ConcurrentHashMap<>();

    private PermissionChecker(Permissions permissions) {
        this.permissions = permissions;
        if (permissions == null) {
            pubAllow = null;
            pubDeny = List.of();
            subAllow = null;
            subDeny = Entries.EMPTY;
            return;
        }
        Permissions.SubjectPermission pub = permissions.publish();
        List<String> allow = pub == null ? null : nonEmptyOrNull(pub.allow());
        if (allow == null && permissions.response() != null) {
            allow = List.of(); // allow_responses implicitly denies other publishes
        }
        pubAllow = allow;
        pubDeny = pub == null || pub.deny() == null ? List.of() : List.copyOf(pub.deny());
        Permissions.SubjectPermission sub = permissions.subscribe();
        List<String> subAllowList = sub == null ? null : nonEmptyOrNull(sub.allow());
        subAllow = subAllowList == null ? null : Entries.parse(subAllowList);
        subDeny = sub == null || sub.deny() == null ? Entries.EMPTY : Entries.parse(sub.deny());
    }

    /** Compiles {@code permissions}; null yields a checker that allows everything. */
    public static PermissionChecker of(Permissions permissions) {
        return new PermissionChecker(permissions);
    }

    /** The permissions this checker was compiled from (null = allow all). */
    public Permissions permissions() {
        return permissions;
    }

    /** True when nothing is restricted (the caller may skip all checks). */
    public boolean allowsAll() {
        return permissions == null;
    }

    /** {@code allow_responses} settings, or null. */
    public Permissions.ResponsePermission responsePermission() {
        return permissions == null ? null : permissions.response();
    }

    /**
     * May the client PUB to {@code subject}? Reply subjects granted by allow_responses are not
     * included: when this is false, also try {@link ResponsePermits#tryUse}.
     */
    public boolean canPublish(String subject) {
        if (permissions == null) {
            return true;
        }
        Boolean cached = publishCache.get(subject);
        if (cached != null) {
            return cached;
        }
        boolean allowed = (pubAllow == null || matchesAny(pubAllow, subject))
                && !matchesAny(pubDeny, subject);
        remember(publishCache, subject, allowed);
        return allowed;
    }

    /** May the client SUB to {@code subject} (in {@code queue}, null or empty for a plain sub)? */
    public boolean canSubscribe(String subject, String queue) {
        if (permissions == null) {
            return true;
        }
        boolean queued = queue != null && !queue.isEmpty();
        boolean allowed = true;
        if (subAllow != null) {
            allowed = subAllow.decides(subject, queued ? queue : null);
        }
        if (allowed && subDeny.size() > 0) {
            allowed = !subDeny.decides(subject, queued ? queue : null);
        }
        return allowed;
    }

    /**
     * May a message on {@code subject} be delivered to this client? False only when a subscribe
     * deny entry matches it (a wildcard subscription wider than a deny entry is allowed, but the
     * denied subjects are filtered out of its deliveries).
     */
    public boolean canDeliver(String subject) {
        if (subDeny.plain.isEmpty()) {
            return true;
        }
        Boolean cached = deliverCache.get(subject);
        if (cached != null) {
            return cached;
        }
        boolean allowed = !matchesAny(subDeny.plain, subject);
        remember(deliverCache, subject, allowed);
        return allowed;
    }

    private static void remember(ConcurrentHashMap<String, Boolean> cache, String subject, boolean allowed) {
        if (cache.size() >= CACHE_LIMIT) {
            cache.clear();
        }
        cache.put(subject, allowed);
    }

    /** Number of cached publish results (for tests of the bound). */
    int publishCacheSize() {
        return publishCache.size();
    }

    private static List<String> nonEmptyOrNull(List<String> list) {
        return list == null || list.isEmpty() ? null : List.copyOf(list);
    }

    /** Entries of one list, split into plain subjects and {@code "subject queue"} pairs. */
    private record Entries(List<String> plain, List<QueueEntry> queues) {
        static final Entries EMPTY = new Entries(List.of(), List.of());

        static Entries parse(List<String> raw) {
            List<String> plain = new ArrayList<>();
            List<QueueEntry> queues = new ArrayList<>();
            for (String entry : raw) {
                String[] parts = entry.trim().split("\\s+");
                if (parts.length >= 2) {
                    queues.add(new QueueEntry(parts[0], parts[1]));
                } else if (!parts[0].isEmpty()) {
                    plain.add(parts[0]);
                }
            }
            return new Entries(List.copyOf(plain), List.copyOf(queues));
        }

        int size() {
            return plain.size() + queues.size();
        }

        /**
         * True when this list speaks for the subscription: for a queue subscription whose subject
         * matches queue entries, whether the queue matches one of them; otherwise whether a plain
         * entry matches the subject.
         */
        boolean decides(String subject, String queue) {
            if (queue != null) {
                boolean anyQueueEntry = false;
                for (QueueEntry entry : queues) {
                    if (Subjects.matches(entry.subject(), subject)) {
                        anyQueueEntry = true;
                        if (Subjects.matches(entry.queue(), queue)) {
                            return true;
                        }
                    }
                }
                if (anyQueueEntry) {
                    return false;
                }
            }
            return matchesAny(plain, subject);
        }
    }

    private record QueueEntry(String subject, String queue) {
    }

    /**
     * True when any pattern matches {@code subject}. The subject is read literally, token by token,
     * even when it holds wildcards: that is how nats-server checks a wildcard SUB (README-facts.md).
     */
    private static boolean matchesAny(Iterable<String> patterns, String subject) {
        for (String pattern : patterns) {
            if (Subjects.matches(pattern, subject)) {
                return true;
            }
        }
        return false;
    }
}
