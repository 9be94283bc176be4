package io.weft.sim;

import io.weft.net.Spawner;

/** Starts a node's threads on the simulator, their names prefixed with the node's name. */
public final class SimSpawner implements Spawner {
    private final SimScheduler scheduler;
    private final String prefix;
    private final String group;

    public SimSpawner(SimScheduler scheduler, String prefix) {
        this(scheduler, prefix, null);
    }

    /** Threads spawned here belong to scheduler group {@code group} (paused, killed with the node). */
    public SimSpawner(SimScheduler scheduler, String prefix, String group) {
        this.scheduler = scheduler;
        this.prefix = prefix;
        this.group = group;
    }

    @Override
    public Thread spawn(String name, Runnable task) {
        return scheduler.spawn(prefix + name, group, task);
    }
}
