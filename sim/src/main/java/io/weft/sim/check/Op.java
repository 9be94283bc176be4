package io.weft.sim.check;

import java.util.Locale;
import java.util.Objects;

/**
 * One history event, as in Jepsen: a process invokes an operation {@code f} with a value, and the
 * operation later completes {@code ok} (it took effect; the value is its result), {@code fail} (it
 * certainly did not take effect) or {@code info} (indeterminate: it may have taken effect at any
 * point after its invoke, or never). Time is informational (virtual ns); the order of events in
 * an {@link OpHistory} is what defines real-time precedence.
 */
public record Op(int process, Type type, String f, Object value, long time) {

    /** The kinds of events. */
    public enum Type {
        INVOKE, OK, FAIL, INFO;

        String keyword() {
            return ":" + name().toLowerCase(Locale.ROOT);
        }
    }

    public Op {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(f, "f");
        value = Values.norm(value);
    }

    /** {@code {:process 0, :type :ok, :f :write, :value 3, :time 1200}} */
    public String toEdn() {
        StringBuilder sb = new StringBuilder("{:process ").append(process)
                .append(", :type ").append(type.keyword())
                .append(", :f :").append(f)
                .append(", :value ");
        Values.edn(value, sb);
        sb.append(", :time ").append(time).append('}');
        return sb.toString();
    }

    @Override
    public String toString() {
        return toEdn();
    }
}
