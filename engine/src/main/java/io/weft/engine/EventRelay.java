package io.weft.engine;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Consumer;

/**
 * Hands text events (a Raft group's restart-hold changes) to one listener, in order; events that
 * come before the listener is set wait in a lock-free queue (no monitor on the driver's loop
 * thread, which the simulator runs on its own scheduler).
 */
public final class EventRelay {
    private volatile Consumer<String> listener;
    private final ConcurrentLinkedQueue<String> queue = new ConcurrentLinkedQueue<>();

    /** Sets the listener and hands it every event that waited. */
    public void listen(Consumer<String> l) {
        listener = l;
        drain();
    }

    public void add(String event) {
        queue.add(event);
        drain();
    }

    private void drain() {
        Consumer<String> l = listener;
        if (l == null) return;
        for (String e; (e = queue.poll()) != null; ) l.accept(e);
    }
}
