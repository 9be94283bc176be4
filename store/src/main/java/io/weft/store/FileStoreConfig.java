package io.weft.store;

/**
 * Settings of one {@link FileStore}.
 *
 * @param blockSizeBytes a segment file is closed (forced) and a new one started once appending a
 *                       record would take it past this size; a record larger than this gets a
 *                       segment to itself
 * @param compressS2     payloads are stored compressed in the S2 (Snappy-compatible) block format
 *                       when that makes them smaller
 */
public record FileStoreConfig(long blockSizeBytes, boolean compressS2) {
    /** Eight MiB segments, as nats-server uses for streams; no compression. */
    public static final long DEFAULT_BLOCK_SIZE = 8L * 1024 * 1024;

    public FileStoreConfig {
        if (blockSizeBytes < 256 || blockSizeBytes > (1L << 31)) {
            throw new IllegalArgumentException("block size must be between 256 bytes and 2 GiB: " + blockSizeBytes);
        }
    }

    public static FileStoreConfig defaults() {
        return new FileStoreConfig(DEFAULT_BLOCK_SIZE, false);
    }
}
