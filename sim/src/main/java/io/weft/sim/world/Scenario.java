package io.weft.sim.world;

import java.util.function.Consumer;

/** A named, seeded simulation with its own workload and checks. */
public interface Scenario {
    String name();

    String description();

    /** Runs the scenario for one seed; {@code eventLog} (may be null) receives the full trace. */
    SimResult run(long seed, Consumer<String> eventLog);
}
