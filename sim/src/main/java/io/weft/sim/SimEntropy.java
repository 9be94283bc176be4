package io.weft.sim;

import io.weft.net.Entropy;
import java.util.SplittableRandom;

/** Seeded randomness for one node: the same seed gives the same sequence. */
public final class SimEntropy implements Entropy {
    private final SplittableRandom random;

    public SimEntropy(long seed) {
        this.random = new SplittableRandom(seed);
    }

    @Override
    public long nextLong() {
        return random.nextLong();
    }

    @Override
    public int nextInt(int bound) {
        return random.nextInt(bound);
    }

    @Override
    public void nextBytes(byte[] bytes) {
        random.nextBytes(bytes);
    }
}
