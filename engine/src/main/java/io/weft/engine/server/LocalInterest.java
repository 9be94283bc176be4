package io.weft.engine.server;

/**
 * Told each time a subscription the cluster should hear of is added to or removed from an
 * account, on the thread that does it (after the sublist lock is released); routes count these to
 * announce interest on 0 -> 1 and N -> 0. Client subscriptions and JetStream's per-stream and
 * per-consumer ones are reported (see {@code Account.announced}); remote ones and the JetStream API
 * handlers are not.
 */
@FunctionalInterface
public interface LocalInterest {
    /** {@code delta} is +1 (added) or -1 (removed); {@code queue} null for a plain subscription. */
    void changed(Account account, String subject, String queue, int delta);
}
