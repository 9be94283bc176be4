package io.weft.sim;

import io.weft.net.Spawner;

/** Starts a node's threads on the simulator, their names prefixed with the node's name. */
public final class SimSpawner implements Spawner {
    private final SimScheduler scheduler;
    private final String prefix;

    public SimSpawner(SimScheduler scheduler, String prefix) {
        this.scheduler = scheduler;
        this.prefix = prefix;
    }

    @Override
    public Thread spawn(String name, Runnable task) {
        return scheduler.spawn(prefix + name, task);
    }
}
