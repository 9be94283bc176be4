package io.weft.raft.driver;

import io.weft.raft.Message;

import java.util.function.Consumer;

/**
 * Carries Raft messages between replicas. Delivery is best effort: a message may be dropped,
 * delayed or duplicated (Raft retries), but {@link #send} never blocks the driver.
 */
public interface Transport extends AutoCloseable {
    /** Starts receiving; every message that arrives is handed to {@code inbound}. */
    void start(Consumer<Message> inbound) throws java.io.IOException;

    /** Queues {@code m} for {@code m.to()}; drops it when that peer's queue is full or unknown. */
    void send(Message m);

    @Override
    void close();
}
