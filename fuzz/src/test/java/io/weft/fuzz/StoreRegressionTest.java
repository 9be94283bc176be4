package io.weft.fuzz;

import io.weft.fuzz.StoreProperties.Kind;
import io.weft.fuzz.StoreProperties.Op;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Samples {@link StoreProperties} once found, kept as fixed regressions. */
class StoreRegressionTest {
    /**
     * A roll compacts segment 1 (dropping deleted 1 and 3), then a crash tears the in-place erase of
     * 4: the damaged region lies between messages 2 and 5, but only 4 was there, and it was deleted.
     */
    @Test
    void tornEraseAfterCompactionIsNotCorruption() throws Exception {
        List<Op> ops = List.of(new Op(Kind.APPEND, 0, 0), new Op(Kind.REMOVE, 0, 0), new Op(Kind.APPEND, 0, 0),
            new Op(Kind.REMOVE, 0, 0), new Op(Kind.REMOVE, 0, 0), new Op(Kind.REMOVE, 0, 0),
            new Op(Kind.REMOVE, 0, 0), new Op(Kind.REMOVE, 0, 0), new Op(Kind.APPEND, 0, 30),
            new Op(Kind.REMOVE, 0, 0), new Op(Kind.APPEND, 1, 53), new Op(Kind.APPEND, 1, 8),
            new Op(Kind.PURGE_UP_TO, 7, 90), new Op(Kind.APPEND, 680, 1), new Op(Kind.SYNC, 6, 175),
            new Op(Kind.SYNC, 227, 66), new Op(Kind.APPEND, 40, 10), new Op(Kind.SYNC, 23, 690),
            new Op(Kind.REMOVE, 1, 2), new Op(Kind.APPEND, 643, 86), new Op(Kind.ERASE, 223, 452),
            new Op(Kind.ERASE, 259, 278), new Op(Kind.CRASH, 2, 1000));
        new StoreProperties().fileStoreAgreesWithModelThroughCrashes(ops, 700, true, 2804);
    }
}
