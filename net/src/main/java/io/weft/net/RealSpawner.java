package io.weft.net;

/** Starts real virtual threads. */
public final class RealSpawner implements Spawner {
    @Override
    public Thread spawn(String name, Runnable task) {
        return Thread.ofVirtual().name(name).start(task);
    }
}
