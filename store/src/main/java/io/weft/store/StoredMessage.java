package io.weft.store;

/**
 * One message as a stream keeps it. {@code headers} is the raw NATS header block
 * ({@code NATS/1.0\r\n...\r\n\r\n}) or an empty array when the message had none; {@code data} is the
 * payload. {@code timestampNanos} is wall-clock nanoseconds since the epoch, taken when the stream
 * accepted the message.
 */
public record StoredMessage(long seq, String subject, byte[] headers, byte[] data, long timestampNanos) {
    public StoredMessage {
        headers = headers == null ? new byte[0] : headers;
        data = data == null ? new byte[0] : data;
    }

    /** Bytes the message counts for in stream limits (subject bytes + headers + payload), as nats-server counts them. */
    public long size() {
        return recordSize(subject, headers.length, data.length);
    }

    /**
     * nats-server's file store counts a record's fixed fields too: 4 (length) + 8 (seq) + 8 (time)
     * + 2 (subject length) + subject + [4 (header length) + headers] + data + 8 (hash).
     */
    public static long fileRecordSize(String subject, int headerLength, int dataLength) {
        long base = 22L + SubjectBytes.encodedLength(subject) + dataLength + 8;
        return headerLength == 0 ? base : base + 4 + headerLength;
    }

    /** nats-server's memory store counts a message as subject + headers + data + 16 bytes of bookkeeping. */
    public static long recordSize(String subject, int headerLength, int dataLength) {
        return (long) SubjectBytes.encodedLength(subject) + headerLength + dataLength + 16;
    }
}
