package io.weft.engine.jetstream.consumer;

/**
 * A message a consumer will publish once it has released its lock. {@code shownSubject}, when
 * not null, is the subject subscribers see (the stream message's own), while {@code subject}
 * decides who receives it (deliver subject or pull reply).
 */
record Outbound(String subject, String reply, byte[] headers, byte[] payload, String shownSubject) {
    Outbound(String subject, String reply, byte[] headers, byte[] payload) {
        this(subject, reply, headers, payload, null);
    }
}
