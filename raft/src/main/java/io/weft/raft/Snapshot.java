package io.weft.raft;

/**
 * The state machine as of {@code index} (whose term is {@code term}), with the membership then.
 * {@code data} is the application's encoding; Raft never looks inside it.
 */
public record Snapshot(long index, long term, ConfState conf, byte[] data) {
    public static final Snapshot EMPTY = new Snapshot(0, 0, ConfState.of(java.util.List.of()), new byte[0]);

    public boolean isEmpty() {
        return index == 0;
    }
}
