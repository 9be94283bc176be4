package io.weft.net;

/** Everything a node may reach outside its own memory, bundled so it can be swapped as a whole. */
public record Env(Clock clock, Network network, Disk disk, Entropy entropy, Spawner spawner) {
    /** The real environment: system clock, JDK sockets and files, secure randomness, virtual threads. */
    public static Env real() {
        RealSpawner spawner = new RealSpawner();
        return new Env(new RealClock(spawner), new RealNetwork(), new RealDisk(), new RealEntropy(), spawner);
    }
}
