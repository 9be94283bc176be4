package io.weft.sim.check;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * An append-only log (a stream): {@code append} (input: the value; output: the sequence the
 * log assigned, 1 for the first entry as in JetStream, or nil when the client did not learn it)
 * and {@code read} (output: the whole log as a list, oldest first).
 */
public final class AppendLogModel implements Model<AppendLogModel.State> {

    /** The log's entries, oldest first (immutable). */
    public record State(List<Object> entries) {
        public State {
            entries = List.copyOf(entries);
        }
    }

    @Override
    public boolean readOnly(Operation op) {
        return op.f().equals("read");
    }

    @Override
    public State init() {
        return new State(List.of());
    }

    @Override
    public Optional<State> step(State state, Operation op) {
        switch (op.f()) {
            case "append" -> {
                long seq = state.entries().size() + 1L;
                if (!op.indeterminate() && op.output() != null && !Objects.equals(op.output(), seq)) {
                    return Optional.empty();
                }
                List<Object> next = new ArrayList<>(state.entries().size() + 1);
                next.addAll(state.entries());
                next.add(op.input());
                return Optional.of(new State(next));
            }
            case "read" -> {
                if (op.indeterminate() || Objects.equals(op.output(), state.entries())) {
                    return Optional.of(state);
                }
                return Optional.empty();
            }
            default -> throw new IllegalArgumentException("append log has no operation " + op.f() + ": " + op);
        }
    }
}
