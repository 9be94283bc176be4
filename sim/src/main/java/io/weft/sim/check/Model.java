package io.weft.sim.check;

import java.util.List;
import java.util.Optional;

/**
 * A sequential specification for {@link Linearizability}. States must be immutable and have
 * value equality ({@code equals}/{@code hashCode}): the checker memoizes (linearized set, state).
 *
 * @param <S> the state type
 */
public interface Model<S> {
    /** The state before any operation. */
    S init();

    /**
     * The state after {@code op} takes effect in {@code state}, or empty when it cannot take
     * effect there (for a determinate operation: its recorded output disagrees with the model).
     * For an indeterminate operation ({@link Operation#indeterminate()}) the output is unknown
     * and must not be checked.
     */
    Optional<S> step(S state, Operation op);

    /**
     * True when {@code op} never changes the state (a read). An indeterminate read-only
     * operation constrains nothing, so the checker drops it (as Knossos does) instead of trying
     * it at every point. The default, false, is always safe.
     */
    default boolean readOnly(Operation op) {
        return false;
    }

    /**
     * Independent parts of the history that can be checked one by one (a keyed model splits by
     * key); each part is checked from {@link #init()}. The default is the whole history.
     */
    default List<List<Operation>> partition(List<Operation> ops) {
        return List.of(ops);
    }
}
