package io.weft.net;

/** Randomness. Real entropy is secure; simulated entropy is seeded and replayable. */
public interface Entropy {
    long nextLong();

    /** Uniform in [0, bound). */
    int nextInt(int bound);

    void nextBytes(byte[] bytes);
}
