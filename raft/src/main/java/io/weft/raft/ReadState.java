package io.weft.raft;

/**
 * A linearizable read is ready: once the application has applied {@code index}, it may answer
 * the read identified by {@code ctx} from its state machine.
 */
public record ReadState(long index, byte[] ctx) {}
