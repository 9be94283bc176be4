package io.weft.engine.jetstream;

import io.weft.net.Disk;
import io.weft.store.FileStore;
import io.weft.store.FileStoreConfig;
import io.weft.store.MemoryStore;
import io.weft.store.MessageStore;
import java.io.IOException;

/** Memory streams get a {@link MemoryStore}; file streams get a {@link FileStore} in their directory. */
public final class DefaultStoreFactory implements StoreFactory {
    /** nats-server's default block size for streams without limits (8 MiB here). */
    public static final long DEFAULT_BLOCK_SIZE = 8L * 1024 * 1024;

    private final Disk disk;

    public DefaultStoreFactory(Disk disk) {
        this.disk = disk;
    }

    /** True when file streams are really kept on disk. */
    public static boolean durableFileStreams() {
        return true;
    }

    @Override
    public MessageStore open(StreamConfig cfg, String dir) throws IOException {
        if (cfg.memoryStorage() || dir == null) {
            return new MemoryStore();
        }
        disk.mkdirs(dir);
        return FileStore.open(disk, dir, new FileStoreConfig(DEFAULT_BLOCK_SIZE, cfg.compressS2()));
    }
}
