package io.weft.raft.storage;

/**
 * Thrown when a caller reads an entry that recovery found corrupt or missing (a damaged range of
 * {@link io.weft.raft.LogDamage}) and that has not been repaired yet.
 */
public final class DamagedEntryException extends IllegalStateException {
    private final long index;

    public DamagedEntryException(long index) {
        super("log entry " + index + " is damaged (corrupt or missing on disk) and not yet repaired");
        this.index = index;
    }

    public long index() {
        return index;
    }
}
