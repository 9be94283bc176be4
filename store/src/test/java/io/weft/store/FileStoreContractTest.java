package io.weft.store;

import java.io.IOException;

/** The contract on a file store that never restarts: the in-memory paths and the write buffer. */
class FileStoreContractTest extends MessageStoreContract {
    @Override
    protected MessageStore create() throws IOException {
        return FileStore.open(new MemDisk(), "streams/s1/msgs", new FileStoreConfig(4096, false));
    }
}
