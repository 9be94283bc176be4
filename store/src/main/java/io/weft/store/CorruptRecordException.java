package io.weft.store;

import java.io.IOException;

/** A read found a damaged record. The store has recorded it in {@link MessageStore#corruptions()}. */
public final class CorruptRecordException extends IOException {
    private final transient Corruption corruption;

    public CorruptRecordException(Corruption corruption) {
        super("corrupt record " + corruption.firstSeq() + " at " + corruption.where() + ": " + corruption.reason());
        this.corruption = corruption;
    }

    public Corruption corruption() {
        return corruption;
    }
}
