package io.weft.sim.check;

/**
 * An invoke paired with its completion, as the checkers see it. {@code call} and {@code ret} are
 * positions in the history (event indices), which order operations in real time; an
 * indeterminate operation (info, or an invoke never completed) has {@code ret == Long.MAX_VALUE}
 * and no output. Failed operations never become Operations: they did not take effect.
 */
public record Operation(int id, int process, String f, Object input, Object output,
                        long call, long ret, long invokeTime, long completeTime, boolean indeterminate) {

    public Operation {
        input = Values.norm(input);
        output = Values.norm(output);
    }

    /** The same operation with other input and output values (used to strip keys). */
    public Operation withValues(Object newInput, Object newOutput) {
        return new Operation(id, process, f, newInput, newOutput, call, ret, invokeTime, completeTime, indeterminate);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("#").append(id).append(" p").append(process).append(' ').append(f).append(' ');
        Values.edn(input, sb);
        if (indeterminate) {
            sb.append(" -> ?");
        } else {
            sb.append(" -> ");
            Values.edn(output, sb);
        }
        sb.append(" [").append(call).append(", ").append(indeterminate ? "inf" : String.valueOf(ret)).append(']');
        return sb.toString();
    }
}
