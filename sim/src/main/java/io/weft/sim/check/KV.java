package io.weft.sim.check;

/** A value for one key of a keyed model ({@link KeyedModel}); prints as {@code [key value]}. */
public record KV(Object key, Object value) {
    @Override
    public String toString() {
        return Values.edn(this);
    }
}
