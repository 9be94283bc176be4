package io.weft.sim.check;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A read/write/compare-and-set register. Operations: {@code read} (output: the value read, nil
 * when never written), {@code write} (input: the value), {@code cas} (input: {@code [expected
 * new]}; an ok cas swapped, a failed cas is a {@code fail} and so never took effect).
 */
public final class RegisterModel implements Model<RegisterModel.State> {

    /** The register's value ({@code null}: never written). */
    public record State(Object value) {
    }

    private final Object initial;

    public RegisterModel() {
        this(null);
    }

    public RegisterModel(Object initial) {
        this.initial = Values.norm(initial);
    }

    @Override
    public boolean readOnly(Operation op) {
        return op.f().equals("read");
    }

    @Override
    public State init() {
        return new State(initial);
    }

    @Override
    public Optional<State> step(State state, Operation op) {
        switch (op.f()) {
            case "read" -> {
                if (op.indeterminate() || Objects.equals(op.output(), state.value())) {
                    return Optional.of(state);
                }
                return Optional.empty();
            }
            case "write" -> {
                return Optional.of(new State(op.input()));
            }
            case "cas" -> {
                if (!(op.input() instanceof List<?> l) || l.size() != 2) {
                    throw new IllegalArgumentException("cas needs [expected new], got " + op);
                }
                if (Objects.equals(l.get(0), state.value())) {
                    return Optional.of(new State(l.get(1)));
                }
                return Optional.empty();
            }
            default -> throw new IllegalArgumentException("register has no operation " + op.f() + ": " + op);
        }
    }
}
