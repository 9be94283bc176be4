package io.weft.engine.server;

/**
 * Told each time a client subscription is added to or removed from an account, on the thread
 * that does it (after the sublist lock is released); routes count these to announce interest on
 * 0 -> 1 and N -> 0. Remote and internal subscriptions are not reported.
 */
@FunctionalInterface
public interface LocalInterest {
    /** {@code delta} is +1 (added) or -1 (removed); {@code queue} null for a plain subscription. */
    void changed(Account account, String subject, String queue, int delta);
}
