package io.weft.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The contract again, with the file store closed and reopened (recovered from its files) at every
 * checkpoint; everything the reopened store answers is checked against the store before the restart.
 */
class FileStoreRestartContractTest extends MessageStoreContract {
    private MemDisk disk;
    private static final String DIR = "data/jetstream/$G/streams/ORDERS/msgs";

    @Override
    protected MessageStore create() throws IOException {
        disk = new MemDisk();
        return FileStore.open(disk, DIR, new FileStoreConfig(2048, true));
    }

    @Override
    protected MessageStore reopen(MessageStore s) throws IOException {
        StoreState before = s.state();
        List<Long> deleted = s.deletedSequences();
        var subjects = s.subjects(null);
        List<StoredMessage> all = new ArrayList<>();
        for (StoredMessage m = s.loadNext(null, 0); m != null; m = s.loadNext(null, m.seq() + 1)) {
            all.add(m);
        }
        s.close();
        disk.crash(null); // close() synced everything: a crash now must lose nothing
        FileStore r = FileStore.open(disk, DIR, new FileStoreConfig(2048, true));
        assertEquals(before, r.state());
        assertEquals(deleted, r.deletedSequences());
        assertEquals(subjects, r.subjects(null));
        List<StoredMessage> again = new ArrayList<>();
        for (StoredMessage m = r.loadNext(null, 0); m != null; m = r.loadNext(null, m.seq() + 1)) {
            again.add(m);
        }
        assertEquals(all.size(), again.size());
        for (int i = 0; i < all.size(); i++) {
            StoreAssertions.assertSameMessage(all.get(i), again.get(i));
        }
        assertEquals(List.of(), r.corruptions());
        return r;
    }
}
