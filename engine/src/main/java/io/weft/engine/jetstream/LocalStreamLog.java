package io.weft.engine.jetstream;

import java.io.IOException;

/**
 * The log of a stream on one server: the stream's store is the log. An op is applied as it is
 * appended (the store's write is the log write), and a batch's commit is the store's group commit:
 * one fsync for the batch, before any PubAck leaves. Same durability as before the seam: an ack
 * means fsynced unless the operator chose {@code sync_interval}.
 */
final class LocalStreamLog implements StreamLog {
    private final StreamApply apply;

    LocalStreamLog(StreamApply apply) {
        this.apply = apply;
    }

    @Override
    public void begin() {
        apply.begin();
    }

    @Override
    public StreamOp.Applied append(StreamOp op) throws IOException {
        // the store is the log: the entry's index is the next one the apply step expects
        return apply.apply(apply.appliedIndex() + 1, op);
    }

    @Override
    public void commit() throws IOException {
        apply.commit();
    }

    @Override
    public void rollback() {
        apply.rollback();
    }

    @Override
    public void writeOut() throws IOException {
        apply.writeOut();
    }

    @Override
    public void sync() throws IOException {
        apply.sync();
    }

    @Override
    public long lastIndex() {
        return apply.appliedIndex();
    }

    @Override
    public void close(boolean delete) throws IOException {
        apply.close(delete);
    }
}
