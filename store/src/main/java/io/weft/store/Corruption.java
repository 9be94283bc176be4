package io.weft.store;

/**
 * A record the store found damaged (bad CRC, impossible length, unreadable block). The sequences in
 * {@code [firstSeq, lastSeq]} are never served; 0 means the sequence could not be known. {@code where}
 * names the file and offset for the log and {@code /jsz}.
 */
public record Corruption(long firstSeq, long lastSeq, String where, String reason) {
}
