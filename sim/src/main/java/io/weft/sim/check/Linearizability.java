package io.weft.sim.check;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Linearizability checker in the Wing-Gong / Lowe style with memoization of (linearized set,
 * model state), as in Knossos and Porcupine.
 *
 * <p>The history becomes a doubly linked list of call and return entries in real-time order. The
 * search walks it from the head: at a call entry it tries to let that operation take effect now
 * (the model accepts it and the pair (linearized set, state) was not explored before); if so it
 * lifts the operation's call and return out of the list, pushes it and starts again from the
 * head; otherwise it moves on to the next entry. Reaching a return entry means that operation
 * had to take effect before this point and could not: the search backtracks by popping the
 * last operation, restoring it into the list and trying the entry after its call. The history is
 * linearizable once every determinate operation is placed.
 *
 * <p>Indeterminate (info) operations have no return entry: they may be placed anywhere after
 * their call, or never (they are not needed for success). Indeterminate read-only operations
 * are dropped ({@link Model#readOnly}). Because info operations never constrain what comes next,
 * the memo subsumes: a configuration is skipped when one with the same determinate operations
 * placed, the same state and no more info operations used (counted per class of equal f and
 * input, which are interchangeable) was already visited; and each configuration tries the
 * determinate candidates before the info ones, so the configurations with fewer info operations
 * used come first.
 */
public final class Linearizability {

    /** The outcome of a check. */
    public enum Verdict { LINEARIZABLE, NOT_LINEARIZABLE, UNKNOWN }

    /**
     * @param verdict         the outcome ({@code UNKNOWN}: the step budget ran out)
     * @param linearization   a full linearization when linearizable; otherwise the longest
     *                        linearizable prefix found in the failing part, in the order placed
     * @param stuck           when not linearizable: the operation that could not be placed
     *                        after that longest prefix (its return came first); else null
     * @param part            the failing part's operations (the whole history unless the model
     *                        partitions it), in call order; empty when linearizable
     * @param steps           search steps taken (all parts)
     */
    public record Result(Verdict verdict, List<Operation> linearization, Operation stuck, List<Operation> part,
                         long steps) {
        public boolean linearizable() {
            return verdict == Verdict.LINEARIZABLE;
        }

        /** A readable account: the verdict, the longest prefix, the stuck operation. */
        public String describe() {
            StringBuilder sb = new StringBuilder(verdict.name().toLowerCase().replace('_', '-'));
            sb.append(" (").append(steps).append(" steps)");
            if (verdict == Verdict.NOT_LINEARIZABLE) {
                sb.append("\n  could not place: ").append(stuck);
                sb.append("\n  after the longest linearizable prefix (").append(linearization.size()).append(" ops):");
                for (Operation o : linearization) {
                    sb.append("\n    ").append(o);
                }
                sb.append("\n  operations of the failing part:");
                for (Operation o : part) {
                    sb.append("\n    ").append(o);
                }
            }
            return sb.toString();
        }

        @Override
        public String toString() {
            return describe();
        }
    }

    /** Default step budget: far above what a few hundred operations need. */
    public static final long DEFAULT_MAX_STEPS = 50_000_000L;

    private Linearizability() {
    }

    public static <S> Result check(Model<S> model, OpHistory history) {
        return check(model, history.operations(), DEFAULT_MAX_STEPS);
    }

    public static <S> Result check(Model<S> model, List<Operation> ops) {
        return check(model, ops, DEFAULT_MAX_STEPS);
    }

    /** Checks every part of {@code model.partition(ops)}; the first failing part decides. */
    public static <S> Result check(Model<S> model, List<Operation> ops, long maxSteps) {
        long steps = 0;
        List<Operation> all = new ArrayList<>();
        boolean unknown = false;
        Result unknownResult = null;
        for (List<Operation> part : model.partition(ops)) {
            Result r = new Search<>(model, part, maxSteps - steps).run();
            steps += r.steps();
            switch (r.verdict()) {
                case NOT_LINEARIZABLE -> {
                    // report the caller's operations (a keyed model's parts have their keys stripped)
                    Map<Integer, Operation> original = byId(ops);
                    return new Result(r.verdict(), restore(r.linearization(), original),
                            r.stuck() == null ? null : original.getOrDefault(r.stuck().id(), r.stuck()),
                            restore(r.part(), original), steps);
                }
                case UNKNOWN -> {
                    unknown = true;
                    unknownResult = r;
                }
                case LINEARIZABLE -> all.addAll(r.linearization());
            }
            if (steps >= maxSteps) {
                unknown = true;
                break;
            }
        }
        if (unknown) {
            return new Result(Verdict.UNKNOWN, List.of(), null, unknownResult == null ? List.of() : unknownResult.part(), steps);
        }
        return new Result(Verdict.LINEARIZABLE, all, null, List.of(), steps);
    }

    /** One call or return in the linked list. */
    private static final class Entry {
        final Operation op;
        final int slot;
        final boolean call;
        final long position;
        Entry match;
        Entry prev;
        Entry next;

        Entry(Operation op, int slot, boolean call, long position) {
            this.op = op;
            this.slot = slot;
            this.call = call;
            this.position = position;
        }
    }

    /** The determinate operations placed and the state; info sets are kept per key. */
    private record Memo(BitSet determinate, Object state) {
    }

    private record Frame<S>(Entry call, S before, boolean infoPass) {
    }

    private static final class Search<S> {
        private final Model<S> model;
        private final List<Operation> ops;
        private final long maxSteps;
        private final Entry head = new Entry(null, -1, false, Long.MIN_VALUE);
        private int[] infoClass;
        private int infoClasses;

        Search(Model<S> model, List<Operation> ops, long maxSteps) {
            this.model = model;
            this.ops = new ArrayList<>(ops.size());
            for (Operation op : ops) {
                if (!(op.indeterminate() && model.readOnly(op))) {
                    this.ops.add(op);
                }
            }
            this.ops.sort(Comparator.comparingLong(Operation::call));
            this.maxSteps = maxSteps;
        }

        Result run() {
            int determinate = build();
            S state = model.init();
            BitSet placedDeterminate = new BitSet(ops.size());
            int[] infoUsed = new int[infoClasses];
            Map<Memo, List<int[]>> seen = new HashMap<>();
            Deque<Frame<S>> stack = new ArrayDeque<>();
            List<Operation> best = List.of();
            Operation stuck = null;
            long steps = 0;
            Entry e = head.next;
            // each configuration first tries the determinate operations that may come next, then
            // (second pass over the same window) the info ones: configurations with fewer info
            // operations placed are visited first, so the memo subsumes the others
            boolean infoPass = false;
            while (determinate > 0) {
                if (++steps > maxSteps) {
                    return new Result(Verdict.UNKNOWN, List.of(), null, ops, steps);
                }
                if (e != null && e.call) {
                    if (e.op.indeterminate() == infoPass) {
                        Optional<S> next = model.step(state, e.op);
                        if (next.isPresent()) {
                            mark(e, placedDeterminate, infoUsed, true);
                            if (firstVisit(seen, placedDeterminate, infoUsed, next.get())) {
                                stack.push(new Frame<>(e, state, infoPass));
                                state = next.get();
                                lift(e);
                                if (!infoPass) {
                                    determinate--;
                                }
                                e = head.next;
                                infoPass = false;
                                continue;
                            }
                            mark(e, placedDeterminate, infoUsed, false);
                        }
                    }
                    e = e.next;
                    continue;
                }
                // a return entry (or, defensively, the end): nothing after it may come next
                if (!infoPass) {
                    infoPass = true;
                    e = head.next;
                    continue;
                }
                // its operation had to be placed by now and could not: backtrack
                if (stuck == null || stack.size() > best.size()) {
                    best = placed(stack);
                    stuck = e == null ? null : e.op;
                }
                if (stack.isEmpty()) {
                    return new Result(Verdict.NOT_LINEARIZABLE, best, stuck, ops, steps);
                }
                Frame<S> f = stack.pop();
                state = f.before();
                infoPass = f.infoPass();
                mark(f.call(), placedDeterminate, infoUsed, false);
                unlift(f.call());
                if (!infoPass) {
                    determinate++;
                }
                e = f.call().next;
            }
            return new Result(Verdict.LINEARIZABLE, placed(stack), null, List.of(), steps);
        }

        /**
         * Memoization with subsumption. A configuration is (determinate operations placed, info
         * operations placed, state). Info operations with the same f and input are
         * interchangeable once called, and they never constrain what may come next (no return
         * entry), so the info part is kept as a count per such class; a configuration with the
         * same determinate set and state and no more info operations used in any class has
         * every completion this one has: if such a one was visited, this one need not be.
         * Records this configuration when it is new.
         */
        private static boolean firstVisit(Map<Memo, List<int[]>> seen, BitSet determinate, int[] infoUsed, Object state) {
            List<int[]> earlier = seen.get(new Memo(determinate, state));
            if (earlier == null) {
                earlier = new ArrayList<>(1);
                seen.put(new Memo((BitSet) determinate.clone(), state), earlier);
            } else {
                for (int[] used : earlier) {
                    if (atMost(used, infoUsed)) {
                        return false;
                    }
                }
            }
            earlier.add(infoUsed.clone());
            return true;
        }

        private static boolean atMost(int[] a, int[] b) {
            for (int i = 0; i < a.length; i++) {
                if (a[i] > b[i]) {
                    return false;
                }
            }
            return true;
        }

        private void mark(Entry e, BitSet determinate, int[] infoUsed, boolean placed) {
            if (e.op.indeterminate()) {
                infoUsed[infoClass[e.slot]] += placed ? 1 : -1;
            } else if (placed) {
                determinate.set(e.slot);
            } else {
                determinate.clear(e.slot);
            }
        }

        /** Builds the entry list; returns the number of determinate operations. */
        private int build() {
            List<Entry> entries = new ArrayList<>();
            int determinate = 0;
            Map<List<Object>, Integer> classes = new HashMap<>();
            infoClass = new int[ops.size()];
            for (int i = 0; i < ops.size(); i++) {
                Operation op = ops.get(i);
                if (op.indeterminate()) {
                    infoClass[i] = classes.computeIfAbsent(java.util.Arrays.asList(op.f(), op.input()), k -> classes.size());
                }
                Entry c = new Entry(op, i, true, op.call());
                entries.add(c);
                if (!op.indeterminate()) {
                    determinate++;
                    Entry r = new Entry(op, i, false, op.ret());
                    c.match = r;
                    r.match = c;
                    entries.add(r);
                }
            }
            infoClasses = classes.size();
            entries.sort(Comparator.comparingLong((Entry x) -> x.position).thenComparing(x -> x.call ? 1 : 0));
            Entry last = head;
            for (Entry x : entries) {
                last.next = x;
                x.prev = last;
                last = x;
            }
            return determinate;
        }

        private static void lift(Entry call) {
            call.prev.next = call.next;
            if (call.next != null) {
                call.next.prev = call.prev;
            }
            Entry ret = call.match;
            if (ret != null) {
                ret.prev.next = ret.next;
                if (ret.next != null) {
                    ret.next.prev = ret.prev;
                }
            }
        }

        private static void unlift(Entry call) {
            Entry ret = call.match;
            if (ret != null) {
                ret.prev.next = ret;
                if (ret.next != null) {
                    ret.next.prev = ret;
                }
            }
            call.prev.next = call;
            if (call.next != null) {
                call.next.prev = call;
            }
        }

        private List<Operation> placed(Deque<Frame<S>> stack) {
            List<Operation> out = new ArrayList<>(stack.size());
            stack.descendingIterator().forEachRemaining(f -> out.add(f.call().op));
            return out;
        }
    }

    private static List<Operation> restore(List<Operation> ops, Map<Integer, Operation> original) {
        List<Operation> out = new ArrayList<>(ops.size());
        for (Operation o : ops) {
            out.add(original.getOrDefault(o.id(), o));
        }
        return out;
    }

    /** Maps operation ids to operations (for reports over partitioned histories). */
    private static Map<Integer, Operation> byId(List<Operation> ops) {
        Map<Integer, Operation> m = new HashMap<>();
        for (Operation o : ops) {
            m.put(o.id(), o);
        }
        return m;
    }
}
