package io.weft.engine.jetstream;

import io.weft.store.MessageStore;
import java.io.IOException;

/** Creates (or reopens) the message store of one stream. */
public interface StoreFactory {
    /**
     * The store for {@code cfg}. {@code dir} is the stream's {@code msgs} directory for file
     * storage (an existing one is recovered), null for memory storage.
     */
    MessageStore open(StreamConfig cfg, String dir) throws IOException;
}
