package io.weft.sim.check;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Many independent objects, one per key, each following {@code inner} (Jepsen's "independent",
 * Porcupine's partitioning). Operation inputs are {@link KV}{@code (key, value)}; outputs may be
 * a {@code KV} or the bare value. The history is split by key and each key is checked on its
 * own, which keeps the search small: linearizability is compositional.
 */
public final class KeyedModel<S> implements Model<S> {
    private final Model<S> inner;

    public KeyedModel(Model<S> inner) {
        this.inner = inner;
    }

    @Override
    public S init() {
        return inner.init();
    }

    @Override
    public Optional<S> step(S state, Operation op) {
        return inner.step(state, unwrap(op));
    }

    @Override
    public boolean readOnly(Operation op) {
        return inner.readOnly(unwrap(op));
    }

    @Override
    public List<List<Operation>> partition(List<Operation> ops) {
        Map<Object, List<Operation>> byKey = new LinkedHashMap<>();
        for (Operation op : ops) {
            if (!(op.input() instanceof KV kv)) {
                throw new IllegalArgumentException("keyed operation without a [key value] input: " + op);
            }
            byKey.computeIfAbsent(kv.key(), k -> new ArrayList<>()).add(unwrap(op));
        }
        List<List<Operation>> parts = new ArrayList<>();
        for (List<Operation> part : byKey.values()) {
            parts.addAll(inner.partition(part));
        }
        return parts;
    }

    /** The key of an operation, or null when it has none. */
    public static Object keyOf(Operation op) {
        return op.input() instanceof KV kv ? kv.key() : null;
    }

    private static Operation unwrap(Operation op) {
        Object in = op.input() instanceof KV kv ? kv.value() : op.input();
        Object out = op.output() instanceof KV kv ? kv.value() : op.output();
        return in == op.input() && out == op.output() ? op : op.withValues(in, out);
    }
}
