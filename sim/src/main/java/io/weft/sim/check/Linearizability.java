package io.weft.sim.check;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

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
 * their call, or never (they are not needed for success).
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

    private record Memo(BitSet linearized, Object state) {
    }

    private record Frame<S>(Entry call, S before) {
    }

    private static final class Search<S> {
        private final Model<S> model;
        private final List<Operation> ops;
        private final long maxSteps;
        private final Entry head = new Entry(null, -1, false, Long.MIN_VALUE);

        Search(Model<S> model, List<Operation> ops, long maxSteps) {
            this.model = model;
            this.ops = new ArrayList<>(ops);
            this.ops.sort(Comparator.comparingLong(Operation::call));
            this.maxSteps = maxSteps;
        }

        Result run() {
            int determinate = build();
            S state = model.init();
            BitSet linearized = new BitSet(ops.size());
            Set<Memo> seen = new HashSet<>();
            Deque<Frame<S>> stack = new ArrayDeque<>();
            List<Operation> best = List.of();
            Operation stuck = null;
            long steps = 0;
            Entry e = head.next;
            while (determinate > 0) {
                if (++steps > maxSteps) {
                    return new Result(Verdict.UNKNOWN, List.of(), null, ops, steps);
                }
                if (e != null && e.call) {
                    Optional<S> next = model.step(state, e.op);
                    if (next.isPresent()) {
                        linearized.set(e.slot);
                        if (seen.add(new Memo((BitSet) linearized.clone(), next.get()))) {
                            stack.push(new Frame<>(e, state));
                            state = next.get();
                            lift(e);
                            if (!e.op.indeterminate()) {
                                determinate--;
                            }
                            e = head.next;
                            continue;
                        }
                        linearized.clear(e.slot);
                    }
                    e = e.next;
                    continue;
                }
                // a return entry (or, defensively, the end): its operation is not placed yet
                if (stuck == null || stack.size() > best.size()) {
                    best = placed(stack);
                    stuck = e == null ? null : e.op;
                }
                if (stack.isEmpty()) {
                    return new Result(Verdict.NOT_LINEARIZABLE, best, stuck, ops, steps);
                }
                Frame<S> f = stack.pop();
                state = f.before();
                linearized.clear(f.call().slot);
                unlift(f.call());
                if (!f.call().op.indeterminate()) {
                    determinate++;
                }
                e = f.call().next;
            }
            return new Result(Verdict.LINEARIZABLE, placed(stack), null, List.of(), steps);
        }

        /** Builds the entry list; returns the number of determinate operations. */
        private int build() {
            List<Entry> entries = new ArrayList<>();
            int determinate = 0;
            for (int i = 0; i < ops.size(); i++) {
                Operation op = ops.get(i);
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
