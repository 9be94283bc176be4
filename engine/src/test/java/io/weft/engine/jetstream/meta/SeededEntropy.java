package io.weft.engine.jetstream.meta;

import io.weft.net.Entropy;
import java.util.SplittableRandom;

/** A replayable {@link Entropy} for tests. */
final class SeededEntropy implements Entropy {
    private final SplittableRandom r;

    SeededEntropy(long seed) {
        r = new SplittableRandom(seed);
    }

    @Override
    public synchronized long nextLong() {
        return r.nextLong();
    }

    @Override
    public synchronized int nextInt(int bound) {
        return r.nextInt(bound);
    }

    @Override
    public synchronized void nextBytes(byte[] bytes) {
        r.nextBytes(bytes);
    }
}
