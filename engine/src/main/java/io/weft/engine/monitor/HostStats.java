package io.weft.engine.monitor;

/**
 * Process figures for /varz ({@code mem}, {@code cpu}, {@code cores}, {@code gomaxprocs}). The
 * engine cannot read them (they are not deterministic); server-main supplies the real ones.
 */
public interface HostStats {
    /** Resident memory of the process in bytes. */
    long memoryBytes();

    /** CPU use of the process in percent of one core. */
    double cpuPercent();

    /** Processor cores of the machine. */
    int cores();

    /** Carrier threads available to run virtual threads (Go's GOMAXPROCS). */
    int maxProcs();

    /** Zeros: for tests and simulation. */
    HostStats NONE = new HostStats() {
        @Override public long memoryBytes() { return 0; }
        @Override public double cpuPercent() { return 0; }
        @Override public int cores() { return 0; }
        @Override public int maxProcs() { return 0; }
    };
}
