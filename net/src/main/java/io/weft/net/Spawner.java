package io.weft.net;

/** Starts threads. Real: virtual threads. Simulated: virtual threads on the seeded scheduler. */
public interface Spawner {
    /** Starts {@code task} on a new (virtual) thread with the given name and returns it. */
    Thread spawn(String name, Runnable task);
}
