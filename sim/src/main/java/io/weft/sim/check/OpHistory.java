package io.weft.sim.check;

import io.weft.sim.world.History;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * A Jepsen-style history: {@link Op} events in real-time order. Build it by hand (the builder
 * methods stamp consecutive times), from a simulator {@link History}, or by {@link #add}.
 * {@link #operations()} pairs invokes with completions for the checkers.
 */
public final class OpHistory {
    private final List<Op> ops = new ArrayList<>();
    private long nextTime;

    /** Appends an event; events must be added in the order they happened. */
    public OpHistory add(Op op) {
        ops.add(op);
        nextTime = Math.max(nextTime, op.time() + 1);
        return this;
    }

    public OpHistory invoke(int process, String f, Object value) {
        return add(new Op(process, Op.Type.INVOKE, f, value, nextTime));
    }

    public OpHistory ok(int process, String f, Object value) {
        return add(new Op(process, Op.Type.OK, f, value, nextTime));
    }

    public OpHistory fail(int process, String f, Object value) {
        return add(new Op(process, Op.Type.FAIL, f, value, nextTime));
    }

    public OpHistory info(int process, String f, Object value) {
        return add(new Op(process, Op.Type.INFO, f, value, nextTime));
    }

    public List<Op> ops() {
        return List.copyOf(ops);
    }

    public int size() {
        return ops.size();
    }

    /** All entries of a simulator history, values parsed by {@link Values#parse}. */
    public static OpHistory fromHistory(History history) {
        return fromHistory(history, e -> true);
    }

    /** The entries of a simulator history that {@code keep} accepts (e.g. one op name). */
    public static OpHistory fromHistory(History history, Predicate<History.Entry> keep) {
        OpHistory h = new OpHistory();
        for (History.Entry e : history.entries()) {
            if (keep.test(e)) {
                h.add(new Op(e.process(), Op.Type.valueOf(e.type().name()), e.op(), Values.parse(e.value()), e.time()));
            }
        }
        return h;
    }

    /** One event per line inside a vector, EDN-like (Jepsen's history.edn layout). */
    public String dump() {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < ops.size(); i++) {
            sb.append(i == 0 ? "" : "\n ").append(ops.get(i).toEdn());
        }
        return sb.append("]\n").toString();
    }

    @Override
    public String toString() {
        return dump();
    }

    /**
     * Pairs each invoke with the next completion of the same process. An ok gives a determinate
     * operation whose output is the ok's value (what a read returned; models ignore it where
     * there is no result, e.g. for a write); an info, an invoke never
     * completed, or an invoke followed by another invoke of the same process gives an
     * indeterminate one; a fail gives nothing. A completion without an invoke is ignored.
     * Operations are numbered 0.. in invoke order.
     */
    public List<Operation> operations() {
        List<Operation> out = new ArrayList<>();
        Map<Integer, Integer> pending = new HashMap<>();
        Operation[] byInvoke = new Operation[ops.size()];
        for (int i = 0; i < ops.size(); i++) {
            Op op = ops.get(i);
            Integer open = pending.get(op.process());
            if (op.type() == Op.Type.INVOKE) {
                if (open != null) {
                    byInvoke[open] = indeterminate(open);
                }
                pending.put(op.process(), i);
                continue;
            }
            if (open == null) {
                continue;
            }
            pending.remove(op.process());
            Op inv = ops.get(open);
            switch (op.type()) {
                case OK -> byInvoke[open] = new Operation(0, inv.process(), inv.f(), inv.value(),
                        op.value(), open, i, inv.time(), op.time(), false);
                case INFO -> byInvoke[open] = indeterminate(open);
                default -> byInvoke[open] = null;
            }
        }
        for (int open : pending.values()) {
            byInvoke[open] = indeterminate(open);
        }
        for (Operation o : byInvoke) {
            if (o != null) {
                out.add(new Operation(out.size(), o.process(), o.f(), o.input(), o.output(), o.call(), o.ret(),
                        o.invokeTime(), o.completeTime(), o.indeterminate()));
            }
        }
        return out;
    }

    private Operation indeterminate(int invokeIndex) {
        Op inv = ops.get(invokeIndex);
        return new Operation(0, inv.process(), inv.f(), inv.value(), null, invokeIndex, Long.MAX_VALUE,
                inv.time(), Long.MAX_VALUE, true);
    }
}
