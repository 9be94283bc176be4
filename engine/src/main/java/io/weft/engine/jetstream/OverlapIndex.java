package io.weft.engine.jetstream;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Subject filters (wildcards allowed) with an owner each, in a trie of their tokens, answering
 * "which stored filters overlap this one" with exactly the rule of {@link io.weft.store.Subjects#tokensOverlap}
 * while walking only the branches the filter can reach: a literal token follows its own branch
 * and the {@code *} and {@code >} branches, a {@code *} fans out one level, a {@code >} (or a
 * stored {@code >}) takes a whole subtree. Checking N new subjects against M stored ones costs
 * about N lookups, not N × M comparisons. The same filter may be stored more than once (by one
 * owner or several). Not thread-safe: the owner of an index locks around it.
 */
public final class OverlapIndex<V> {
    private final Node<V> root = new Node<>();

    /** A depth marking a step that takes every filter at and below its node. */
    private static final int WHOLE = -1;

    private record Step<V>(Node<V> node, int depth) {
    }

    private static final class Node<V> {
        /** Null until the node has a child (most nodes are leaves). */
        Map<String, Node<V>> children;
        /** Owners of the filters that end at this node. */
        List<V> ends;
        /** Filters stored at and below this node. */
        int count;

        Node<V> child(String token) {
            return children == null ? null : children.get(token);
        }

        Node<V> childOrNew(String token) {
            if (children == null) {
                children = new HashMap<>(4);
            }
            return children.computeIfAbsent(token, k -> new Node<>());
        }

        void forEachChild(java.util.function.BiConsumer<String, Node<V>> f) {
            if (children != null) {
                children.forEach(f);
            }
        }
    }

    /** Stores {@code filter} for {@code owner}. */
    public void add(String filter, V owner) {
        Node<V> n = root;
        n.count++;
        for (String t : tokens(filter)) {
            n = n.childOrNew(t);
            n.count++;
        }
        if (n.ends == null) {
            n.ends = new ArrayList<>(1);
        }
        n.ends.add(owner);
    }

    /** Removes one copy of {@code filter} stored for {@code owner}; false if there is none. */
    public boolean remove(String filter, V owner) {
        String[] t = tokens(filter);
        List<Node<V>> path = new ArrayList<>(t.length + 1);
        Node<V> n = root;
        path.add(n);
        for (String x : t) {
            n = n.child(x);
            if (n == null) {
                return false;
            }
            path.add(n);
        }
        if (n.ends == null || !n.ends.remove(owner)) {
            return false;
        }
        for (int i = path.size() - 1; i >= 0; i--) {
            Node<V> p = path.get(i);
            p.count--;
            if (i > 0 && p.count == 0) {
                path.get(i - 1).children.remove(t[i - 1]); // a parent of a node has its map
            }
        }
        return true;
    }

    /** How many filters are stored. */
    public int size() {
        return root.count;
    }

    /**
     * Offers the owner of every stored filter that overlaps {@code filter} to {@code hit} (once per
     * stored copy, in no particular order) until {@code hit} returns true; returns whether it did.
     */
    public boolean anyOverlapping(String filter, Predicate<? super V> hit) {
        return visit(root, tokens(filter), hit);
    }

    /** Whether some stored filter of an owner other than {@code self} overlaps {@code filter}. */
    public boolean overlapsOther(String filter, V self) {
        return anyOverlapping(filter, v -> !v.equals(self));
    }

    /** Walks the trie with an explicit stack (a filter may have very many tokens). */
    private static <V> boolean visit(Node<V> root, String[] t, Predicate<? super V> hit) {
        ArrayDeque<Step<V>> todo = new ArrayDeque<>();
        todo.push(new Step<>(root, 0));
        while (!todo.isEmpty()) {
            Step<V> s = todo.pop();
            Node<V> n = s.node();
            int i = s.depth();
            if (i == WHOLE) {
                if (offer(n.ends, hit)) {
                    return true;
                }
                n.forEachChild((k, c) -> todo.push(new Step<>(c, WHOLE)));
            } else if (i == t.length) {
                // only stored filters of the same length: a '>' needs a token to stand on
                if (offer(n.ends, hit)) {
                    return true;
                }
            } else if (t[i].equals(">")) {
                n.forEachChild((k, c) -> todo.push(new Step<>(c, WHOLE)));
            } else {
                pushMatching(n, t[i], i, todo);
            }
        }
        return false;
    }

    /** The branches below {@code n} that token {@code tok} (not {@code >}) at depth {@code i} can meet. */
    private static <V> void pushMatching(Node<V> n, String tok, int i, ArrayDeque<Step<V>> todo) {
        Node<V> full = n.child(">");
        if (full != null) {
            todo.push(new Step<>(full, WHOLE));
        }
        if (tok.equals("*")) {
            n.forEachChild((k, c) -> {
                if (!k.equals(">")) {
                    todo.push(new Step<>(c, i + 1));
                }
            });
            return;
        }
        Node<V> lit = n.child(tok);
        if (lit != null) {
            todo.push(new Step<>(lit, i + 1));
        }
        Node<V> star = n.child("*");
        if (star != null) {
            todo.push(new Step<>(star, i + 1));
        }
    }

    private static <V> boolean offer(List<V> owners, Predicate<? super V> hit) {
        if (owners != null) {
            for (V v : owners) {
                if (hit.test(v)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The tokens as {@link io.weft.store.Subjects#tokensOverlap} sees them (empty tokens included). */
    private static String[] tokens(String filter) {
        return filter.split("\\.", -1);
    }

    /** Two positions in a list of subjects, {@code first < second}. */
    public record Pair(int first, int second) {
    }

    /**
     * The pair of overlapping subjects in {@code subjects} that a pairwise scan (for each i, for
     * each j after it) would meet first, or null when no two overlap; found through an
     * {@code OverlapIndex}, so a list of N subjects costs about N lookups, not N²/2 comparisons.
     */
    public static Pair firstOverlappingPair(List<String> subjects) {
        OverlapIndex<Integer> index = new OverlapIndex<>();
        for (int i = 0; i < subjects.size(); i++) {
            index.add(subjects.get(i), i);
        }
        int[] min = new int[1];
        for (int i = 0; i < subjects.size(); i++) {
            int self = i;
            min[0] = Integer.MAX_VALUE;
            // before the first overlapping pair only a subject's own entry overlaps it, so every
            // other index found here is after i (an earlier one would have ended the scan there)
            index.anyOverlapping(subjects.get(i), j -> {
                if (j != self && j < min[0]) {
                    min[0] = j;
                }
                return false;
            });
            if (min[0] != Integer.MAX_VALUE) {
                assert min[0] > i;
                return new Pair(i, min[0]);
            }
        }
        return null;
    }
}
