package io.weft.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

final class StoreAssertions {
    private StoreAssertions() {
    }

    static void assertSameMessage(StoredMessage want, StoredMessage got) {
        assertEquals(want.seq(), got.seq());
        assertEquals(want.subject(), got.subject(), "subject of " + want.seq());
        assertArrayEquals(want.headers(), got.headers(), "headers of " + want.seq());
        assertArrayEquals(want.data(), got.data(), "data of " + want.seq());
        assertEquals(want.timestampNanos(), got.timestampNanos(), "time of " + want.seq());
    }
}
