package io.weft.store;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The store's invariants are asserts: this fails if the tests ever run without {@code -ea}. */
class AssertionsEnabledTest {
    @Test
    void testsRunWithAssertions() {
        assertTrue(FileStore.class.desiredAssertionStatus(), "surefire must run with -ea");
    }

    @Test
    void aBrokenInvariantFails() throws Exception {
        MemDisk disk = new MemDisk();
        FileStore fs = FileStore.open(disk, "/s", null);
        fs.begin();
        // batches do not nest: an invariant FileStore asserts
        assertThrows(AssertionError.class, fs::begin);
        fs.rollback();
        fs.close();
    }
}
