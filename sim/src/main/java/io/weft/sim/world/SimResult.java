package io.weft.sim.world;

import java.util.List;

/**
 * The result of one seeded run: the trace hash that identifies it, whether every check passed and,
 * if not, why; plus how much simulated and real time it took.
 */
public record SimResult(String scenario, long seed, long traceHash, List<String> failures,
                        long virtualNanos, long workloadNanos, long steps, long realNanos, List<History.Entry> history) {
    // virtualNanos: virtual time at the end of the run (shutdown included);
    // workloadNanos: virtual time when the scenario's main program returned

    public boolean passed() {
        return failures.isEmpty();
    }

    /** The trace hash as 16 hex digits. */
    public String traceHex() {
        return String.format("%016x", traceHash);
    }

    /** {@code seed N trace HASH result pass|fail}. */
    public String line() {
        return "seed " + seed + " trace " + traceHex() + " result " + (passed() ? "pass" : "fail");
    }
}
