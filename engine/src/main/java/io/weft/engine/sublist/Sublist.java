package io.weft.engine.sublist;

import io.weft.store.Subjects;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The subject index: a trie of subject tokens, each level with literal children and optional
 * {@code *} and {@code >} children, holding plain and queue subscriptions at the node where
 * their subject ends.
 *
 * <h2>Concurrency</h2>
 * {@link #match} is called for every published message by many reader threads. It first looks
 * in a bounded match cache without any lock; on a miss it walks the trie under the read lock
 * and stores the result in the cache <em>while still holding the read lock</em>. Insert and
 * remove take the write lock, change the trie and drop the cached results the changed entry
 * matches before releasing it. Since writers exclude cache fills, the cache never holds a
 * result older than the last completed write. Results are immutable snapshots.
 *
 * <h2>Cache eviction</h2>
 * When the cache grows past its bound, one thread sweeps it with a second-chance (CLOCK)
 * policy: entries hit since the last sweep survive once, others go first. No randomness, so
 * simulated runs stay reproducible.
 *
 * <h2>Memory</h2>
 * Per node: one object with five references; child maps, subscriber sets and queue maps are
 * created only when needed, and a node holding a single plain subscriber stores it directly.
 * Nodes left empty by a remove are pruned.
 *
 * @param <T> the stored entry type
 */
public final class Sublist<T extends SublistEntry> {

    /** nats-server's cache bound. */
    public static final int DEFAULT_CACHE_MAX = 1024;
    /** Removes in one batch above which the whole cache is dropped instead of scanned. */
    private static final int BATCH_CLEAR_THRESHOLD = 32;

    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final Node<T> root = new Node<>();
    private final int cacheMax;
    private final int cacheSweep;
    private final ConcurrentHashMap<String, CacheEntry<T>> cache;
    private final AtomicBoolean sweeping = new AtomicBoolean();

    private final LongAdder matches = new LongAdder();
    private final LongAdder cacheHits = new LongAdder();
    // Written only under the write lock; volatile so that readers without a lock see them.
    private volatile int count;
    private volatile long inserts;
    private volatile long removes;

    /** A sublist with a match cache of {@link #DEFAULT_CACHE_MAX} entries. */
    public Sublist() {
        this(DEFAULT_CACHE_MAX);
    }

    /**
     * @param cacheMax bound of the match cache; 0 disables the cache (every match walks the
     *                 trie under the read lock)
     */
    public Sublist(int cacheMax) {
        if (cacheMax < 0) {
            throw new IllegalArgumentException("cacheMax < 0");
        }
        this.cacheMax = cacheMax;
        this.cacheSweep = Math.max(1, cacheMax / 4);
        this.cache = cacheMax > 0 ? new ConcurrentHashMap<>(cacheMax * 2) : null;
    }

    // ------------------------------------------------------------------ writes

    /**
     * Stores an entry. An entry equal to one already stored is ignored.
     *
     * @throws IllegalArgumentException if the subject is not a valid subject ("Invalid Subject")
     *                                  or the queue name is not valid
     */
    public void insert(T entry) {
        String subject = entry.subject();
        if (!Subjects.isValidSubscribeSubject(subject)) {
            throw new IllegalArgumentException("Invalid Subject");
        }
        String queue = entry.queue();
        if (queue != null && !Subjects.isValidQueueName(queue)) {
            throw new IllegalArgumentException("Invalid Queue Name");
        }
        String[] tokens = Subjects.tokenize(subject);
        boolean added = false;
        ReentrantReadWriteLock.WriteLock w = lock.writeLock();
        w.lock();
        try {
            Node<T> n = root;
            for (String t : tokens) {
                n = n.childForInsert(t);
            }
            if (n.add(entry, queue)) {
                count++;
                inserts++;
                assert count >= 0 && count == inserts - removes : "count " + count + " after " + inserts + " inserts, " + removes + " removes";
                invalidate(subject);
                added = true;
            }
        } finally {
            w.unlock();
        }
        java.util.function.Consumer<? super T> l = insertListener;
        if (added && l != null) {
            l.accept(entry);
        }
    }

    private volatile java.util.function.Consumer<? super T> insertListener;

    /**
     * Calls {@code listener} (on the inserting thread, after the write lock is released, so it
     * sees the entry in matches) for every entry newly stored; one listener per sublist, which
     * must be quick and must not insert. Used to wake whoever waits for interest on a subject.
     */
    public void onInsert(java.util.function.Consumer<? super T> listener) {
        this.insertListener = listener;
    }

    private volatile java.util.function.Consumer<? super T> removeListener;

    /**
     * Calls {@code listener} (on the removing thread, after the write lock is released) for every
     * entry removed; one listener per sublist, quick, must not remove. Used to tell routes of
     * interest that went away.
     */
    public void onRemove(java.util.function.Consumer<? super T> listener) {
        this.removeListener = listener;
    }

    /** Removes an entry; false when it was not stored. */
    public boolean remove(T entry) {
        ReentrantReadWriteLock.WriteLock w = lock.writeLock();
        boolean removed;
        w.lock();
        try {
            removed = removeLocked(entry);
            if (removed) {
                invalidate(entry.subject());
            }
        } finally {
            w.unlock();
        }
        java.util.function.Consumer<? super T> l = removeListener;
        if (removed && l != null) {
            l.accept(entry);
        }
        return removed;
    }

    /**
     * Removes many entries under one acquisition of the write lock (a closing connection).
     *
     * @return how many were stored and are now removed
     */
    public int removeBatch(Collection<? extends T> entries) {
        java.util.function.Consumer<? super T> l = removeListener;
        List<T> gone = l == null ? null : new java.util.ArrayList<>();
        try {
            return removeBatchLocked(entries, gone);
        } finally {
            if (gone != null) {
                gone.forEach(l);
            }
        }
    }

    private int removeBatchLocked(Collection<? extends T> entries, List<T> gone) {
        ReentrantReadWriteLock.WriteLock w = lock.writeLock();
        w.lock();
        try {
            int removed = 0;
            boolean clearAll = entries.size() > BATCH_CLEAR_THRESHOLD;
            for (T e : entries) {
                if (removeLocked(e)) {
                    if (gone != null) {
                        gone.add(e);
                    }
                    removed++;
                    if (!clearAll) {
                        invalidate(e.subject());
                    }
                }
            }
            if (clearAll && removed > 0 && cache != null) {
                cache.clear();
            }
            return removed;
        } finally {
            w.unlock();
        }
    }

    private boolean removeLocked(T entry) {
        String subject = entry.subject();
        if (subject == null || !Subjects.isValidSubscribeSubject(subject)) {
            return false;
        }
        String[] tokens = Subjects.tokenize(subject);
        @SuppressWarnings("unchecked")
        Node<T>[] path = (Node<T>[]) new Node<?>[tokens.length + 1];
        Node<T> n = root;
        path[0] = n;
        for (int i = 0; i < tokens.length; i++) {
            n = n.child(tokens[i]);
            if (n == null) {
                return false;
            }
            path[i + 1] = n;
        }
        if (!n.delete(entry, entry.queue())) {
            return false;
        }
        for (int i = tokens.length; i > 0 && path[i].isEmpty(); i--) {
            path[i - 1].detach(tokens[i - 1]);
        }
        count--;
        removes++;
        // only a stored entry is removed, so the count never goes below zero, and an emptied tree
        // keeps no node behind (every emptied node on the path was detached above)
        assert count >= 0 && count == inserts - removes : "count " + count + " after " + inserts + " inserts, " + removes + " removes";
        assert count > 0 || root.isEmpty() : "sublist empty but nodes remain";
        return true;
    }

    /** Drops cached results the changed subject can match. Caller holds the write lock. */
    private void invalidate(String subject) {
        if (cache == null || cache.isEmpty()) {
            return;
        }
        if (!Subjects.hasWildcard(subject)) {
            cache.remove(subject);
            return;
        }
        cache.keySet().removeIf(key -> Subjects.matches(subject, key));
    }

    // ------------------------------------------------------------------ reads

    /**
     * The entries whose subjects match a literal subject. A subject with an empty token matches
     * nothing. Lock-free on a cache hit.
     */
    public SublistResult<T> match(String literalSubject) {
        matches.increment();
        if (cache != null) {
            CacheEntry<T> e = cache.get(literalSubject);
            if (e != null) {
                cacheHits.increment();
                if (!e.referenced) {
                    e.referenced = true;
                }
                return e.result;
            }
        }
        String[] tokens = Subjects.tokenize(literalSubject);
        for (String t : tokens) {
            if (t.isEmpty()) {
                return SublistResult.empty();
            }
        }
        SublistResult<T> result;
        ReentrantReadWriteLock.ReadLock r = lock.readLock();
        r.lock();
        try {
            Collector<T> c = new Collector<>();
            collect(root, tokens, 0, c);
            result = c.result();
            if (cache != null) {
                cache.put(literalSubject, new CacheEntry<>(result));
            }
        } finally {
            r.unlock();
        }
        if (cache != null && cache.size() > cacheMax) {
            sweep();
        }
        return result;
    }

    /** True when at least one entry matches the literal subject. */
    public boolean hasInterest(String literalSubject) {
        return !match(literalSubject).isEmpty();
    }

    private static <T> void collect(Node<T> level, String[] tokens, int from, Collector<T> c) {
        Node<T> n = level;
        for (int i = from; i < tokens.length; i++) {
            if (n.fwc != null) {
                c.add(n.fwc);
            }
            if (n.pwc != null) {
                collect(n.pwc, tokens, i + 1, c);
            }
            Node<T> next = n.literals == null ? null : n.literals.get(tokens[i]);
            if (next == null) {
                return;
            }
            n = next;
        }
        c.add(n);
    }

    /**
     * The stored entries whose subjects can match some subject that {@code pattern} matches
     * (the pattern may contain wildcards): for interest propagation and {@code /subsz?test}.
     * Order: depth first, literal children before {@code *} before {@code >}.
     */
    public List<T> reverseMatch(String pattern) {
        if (!Subjects.isValidSubject(pattern)) {
            return List.of();
        }
        String[] tokens = Subjects.tokenize(pattern);
        List<T> out = new ArrayList<>();
        ReentrantReadWriteLock.ReadLock r = lock.readLock();
        r.lock();
        try {
            reverse(root, tokens, 0, out);
        } finally {
            r.unlock();
        }
        return List.copyOf(out);
    }

    private static <T> void reverse(Node<T> n, String[] tokens, int i, List<T> out) {
        if (i == tokens.length) {
            n.appendTo(out);
            return;
        }
        String t = tokens[i];
        if (t.equals(Subjects.FWC)) {
            // The pattern takes one or more tokens here: everything below this level.
            if (n.literals != null) {
                for (Node<T> child : n.literals.values()) {
                    appendAll(child, out);
                }
            }
            if (n.pwc != null) {
                appendAll(n.pwc, out);
            }
            if (n.fwc != null) {
                appendAll(n.fwc, out);
            }
            return;
        }
        if (t.equals(Subjects.PWC)) {
            if (n.literals != null) {
                for (Node<T> child : n.literals.values()) {
                    reverse(child, tokens, i + 1, out);
                }
            }
        } else if (n.literals != null) {
            Node<T> child = n.literals.get(t);
            if (child != null) {
                reverse(child, tokens, i + 1, out);
            }
        }
        if (n.pwc != null) {
            reverse(n.pwc, tokens, i + 1, out);
        }
        if (n.fwc != null) {
            n.fwc.appendTo(out);
        }
    }

    private static <T> void appendAll(Node<T> n, List<T> out) {
        n.appendTo(out);
        if (n.literals != null) {
            for (Node<T> child : n.literals.values()) {
                appendAll(child, out);
            }
        }
        if (n.pwc != null) {
            appendAll(n.pwc, out);
        }
        if (n.fwc != null) {
            appendAll(n.fwc, out);
        }
    }

    /** Every stored entry (for {@code /subsz?subs=1}), depth first. */
    public List<T> all() {
        List<T> out = new ArrayList<>();
        ReentrantReadWriteLock.ReadLock r = lock.readLock();
        r.lock();
        try {
            appendAll(root, out);
        } finally {
            r.unlock();
        }
        return List.copyOf(out);
    }

    /** Number of stored entries. */
    public int count() {
        return count;
    }

    /** Number of results in the match cache. */
    public int cacheCount() {
        return cache == null ? 0 : cache.size();
    }

    /** True when the trie holds no node at all (everything removed and pruned). */
    public boolean isTrieEmpty() {
        ReentrantReadWriteLock.ReadLock r = lock.readLock();
        r.lock();
        try {
            return root.isEmpty();
        } finally {
            r.unlock();
        }
    }

    /** Statistics as /subsz reports them. */
    public SublistStats stats() {
        long cacheCount = 0;
        long total = 0;
        long max = 0;
        if (cache != null) {
            for (CacheEntry<T> e : cache.values()) {
                cacheCount++;
                int f = e.result.fanout();
                total += f;
                max = Math.max(max, f);
            }
        }
        return SublistStats.of(count, cacheCount, inserts, removes, matches.sum(), cacheHits.sum(),
                max, total);
    }

    // ------------------------------------------------------------------ cache eviction

    private void sweep() {
        if (!sweeping.compareAndSet(false, true)) {
            return;
        }
        try {
            int target = cacheMax - cacheSweep;
            // Two passes at most: the first spares referenced entries (and clears their bit),
            // the second evicts whatever is left over the target.
            for (int pass = 0; pass < 2 && cache.size() > target; pass++) {
                Iterator<CacheEntry<T>> it = cache.values().iterator();
                while (it.hasNext() && cache.size() > target) {
                    CacheEntry<T> e = it.next();
                    if (pass == 0 && e.referenced) {
                        e.referenced = false;
                    } else {
                        it.remove();
                    }
                }
            }
        } finally {
            sweeping.set(false);
        }
    }

    private static final class CacheEntry<T> {
        final SublistResult<T> result;
        volatile boolean referenced;

        CacheEntry(SublistResult<T> result) {
            this.result = result;
        }
    }

    // ------------------------------------------------------------------ trie

    /** Builds one match result, merging queue members of the same name across nodes. */
    private static final class Collector<T> {
        private final List<T> plain = new ArrayList<>();
        private LinkedHashMap<String, List<T>> queues;

        void add(Node<T> n) {
            n.appendPlainTo(plain);
            if (n.queues != null) {
                if (queues == null) {
                    queues = new LinkedHashMap<>();
                }
                for (Map.Entry<String, Object> q : n.queues.entrySet()) {
                    appendMembers(q.getValue(), queues.computeIfAbsent(q.getKey(), k -> new ArrayList<>()));
                }
            }
        }

        SublistResult<T> result() {
            if (plain.isEmpty() && queues == null) {
                return SublistResult.empty();
            }
            List<List<T>> groups = new ArrayList<>(queues == null ? 0 : queues.size());
            if (queues != null) {
                for (List<T> g : queues.values()) {
                    groups.add(List.copyOf(g));
                }
            }
            return new SublistResult<>(plain, groups);
        }
    }

    /** More than one subscriber in one slot; insertion ordered, so iteration is deterministic. */
    private static final class Bag<T> extends LinkedHashSet<T> {
        Bag() {
            super(4);
        }
    }

    @SuppressWarnings("unchecked")
    private static <T> void appendMembers(Object slot, List<T> out) {
        if (slot == null) {
            return;
        }
        if (slot instanceof Bag<?> bag) {
            out.addAll((Bag<T>) bag);
        } else {
            out.add((T) slot);
        }
    }

    /** Adds to a slot (null, one entry, or a Bag); returns the new slot or null if unchanged. */
    private static Object slotAdd(Object slot, Object entry) {
        if (slot == null) {
            return entry;
        }
        if (slot instanceof Bag<?> bag) {
            @SuppressWarnings("unchecked")
            Bag<Object> b = (Bag<Object>) bag;
            return b.add(entry) ? b : null;
        }
        if (slot.equals(entry)) {
            return null;
        }
        Bag<Object> b = new Bag<>();
        b.add(slot);
        b.add(entry);
        return b;
    }

    /** Sentinel: the entry was not in the slot. */
    private static final Object ABSENT = new Object();

    /** Removes from a slot; returns the new slot (null when empty) or ABSENT if not found. */
    private static Object slotRemove(Object slot, Object entry) {
        if (slot == null) {
            return ABSENT;
        }
        if (slot instanceof Bag<?> bag) {
            if (!bag.remove(entry)) {
                return ABSENT;
            }
            if (bag.size() == 1) {
                return bag.iterator().next();
            }
            return bag;
        }
        return slot.equals(entry) ? null : ABSENT;
    }

    private static final class Node<T> {
        HashMap<String, Node<T>> literals;
        Node<T> pwc;
        Node<T> fwc;
        /** null, one entry, or a Bag of plain subscribers. */
        Object plain;
        /** Queue name to slot (one entry or a Bag); null when no queue subscriber. */
        LinkedHashMap<String, Object> queues;

        Node<T> child(String token) {
            if (token.equals(Subjects.PWC)) {
                return pwc;
            }
            if (token.equals(Subjects.FWC)) {
                return fwc;
            }
            return literals == null ? null : literals.get(token);
        }

        Node<T> childForInsert(String token) {
            if (token.equals(Subjects.PWC)) {
                if (pwc == null) {
                    pwc = new Node<>();
                }
                return pwc;
            }
            if (token.equals(Subjects.FWC)) {
                if (fwc == null) {
                    fwc = new Node<>();
                }
                return fwc;
            }
            if (literals == null) {
                literals = new HashMap<>(2);
            }
            Node<T> n = literals.get(token);
            if (n == null) {
                n = new Node<>();
                literals.put(token, n);
            }
            return n;
        }

        void detach(String token) {
            if (token.equals(Subjects.PWC)) {
                pwc = null;
            } else if (token.equals(Subjects.FWC)) {
                fwc = null;
            } else if (literals != null) {
                literals.remove(token);
                if (literals.isEmpty()) {
                    literals = null;
                }
            }
        }

        boolean add(T entry, String queue) {
            if (queue == null) {
                Object s = slotAdd(plain, entry);
                if (s == null) {
                    return false;
                }
                plain = s;
                return true;
            }
            if (queues == null) {
                queues = new LinkedHashMap<>(4);
            }
            Object s = slotAdd(queues.get(queue), entry);
            if (s == null) {
                return false;
            }
            queues.put(queue, s);
            return true;
        }

        boolean delete(T entry, String queue) {
            if (queue == null) {
                Object s = slotRemove(plain, entry);
                if (s == ABSENT) {
                    return false;
                }
                plain = s;
                return true;
            }
            if (queues == null) {
                return false;
            }
            Object s = slotRemove(queues.get(queue), entry);
            if (s == ABSENT) {
                return false;
            }
            if (s == null) {
                queues.remove(queue);
                if (queues.isEmpty()) {
                    queues = null;
                }
            } else {
                queues.put(queue, s);
            }
            return true;
        }

        boolean isEmpty() {
            return literals == null && pwc == null && fwc == null && plain == null && queues == null;
        }

        void appendPlainTo(List<T> out) {
            appendMembers(plain, out);
        }

        void appendTo(List<T> out) {
            appendMembers(plain, out);
            if (queues != null) {
                for (Object slot : queues.values()) {
                    appendMembers(slot, out);
                }
            }
        }
    }
}
