package io.weft.engine.server;

/**
 * A subscriber inside the server (JetStream's streams, consumers and API). It is called on the
 * publishing thread with the publisher's buffer: it must copy what it keeps and must not block.
 * {@code data[off, off+hdrLen)} is the header block (hdrLen 0 when none), the payload follows up
 * to {@code off+totalLen}.
 */
@FunctionalInterface
public interface InternalHandler {
    void onMessage(String subject, String reply, byte[] data, int off, int hdrLen, int totalLen);

    /**
     * A handler that reads {@link MsgTrace#current()} itself (a stream's capture of published
     * messages): the router hands it traced messages, trace-only ones too, with the trace current.
     */
    @FunctionalInterface
    interface Traced extends InternalHandler {
    }
}
