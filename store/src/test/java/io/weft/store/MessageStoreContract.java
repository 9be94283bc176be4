package io.weft.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Behaviour every {@link MessageStore} shares. Subclasses make the store and may "reopen" it at the
 * marked points (a file store closes and reopens, so every assertion after it also checks recovery).
 */
abstract class MessageStoreContract {
    protected MessageStore store;

    protected abstract MessageStore create() throws IOException;

    /** Called at points where the state must survive a restart; returns the store to continue with. */
    protected MessageStore reopen(MessageStore s) throws IOException {
        return s;
    }

    @BeforeEach
    void setUp() throws IOException {
        store = create();
    }

    @AfterEach
    void tearDown() throws IOException {
        store.close();
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private long put(String subject, String data, long ts) throws IOException {
        return store.append(subject, new byte[0], b(data), ts);
    }

    @Test
    void appendAndLoad() throws IOException {
        byte[] hdr = b("NATS/1.0\r\nA: b\r\n\r\n");
        assertEquals(1, store.append("foo.a", hdr, b("one"), 100));
        assertEquals(2, store.append("foo.b", null, b("two"), 200));
        assertEquals(3, store.append("bar", new byte[0], new byte[0], 300));
        store.sync();
        store = reopen(store);
        StoredMessage m = store.load(1);
        assertEquals(1, m.seq());
        assertEquals("foo.a", m.subject());
        assertArrayEquals(hdr, m.headers());
        assertArrayEquals(b("one"), m.data());
        assertEquals(100, m.timestampNanos());
        assertEquals(0, store.load(2).headers().length);
        assertEquals(0, store.load(3).data().length);
        assertNull(store.load(0));
        assertNull(store.load(4));
        StoreState st = store.state();
        long bytes = store.sizeOf("foo.a", hdr.length, 3) + store.sizeOf("foo.b", 0, 3) + store.sizeOf("bar", 0, 0);
        assertEquals(new StoreState(3, bytes, 1, 100, 3, 300, 3, 0), st);
    }

    @Test
    void emptyStoreState() throws IOException {
        assertEquals(new StoreState(0, 0, 1, 0, 0, 0, 0, 0), store.state());
        assertNull(store.loadNext(null, 1));
        assertNull(store.loadLast(">"));
        assertEquals(List.of(), store.deletedSequences());
        assertEquals(0, store.numPending(1, null, false));
        assertEquals(1, store.sequenceAtOrAfter(5));
    }

    @Test
    void loadNextWithFilters() throws IOException {
        put("a.x", "1", 1);
        put("b.x", "2", 2);
        put("a.y", "3", 3);
        put("a.x.z", "4", 4);
        put("b.y", "5", 5);
        store = reopen(store);
        assertEquals(1, store.loadNext(null, 1).seq());
        assertEquals(2, store.loadNext(">", 2).seq());
        assertEquals(3, store.loadNext("a.*", 2).seq());
        assertEquals(4, store.loadNext("a.>", 4).seq());
        assertEquals(5, store.loadNext("*.y", 4).seq());
        assertEquals(3, store.loadNext("a.y", 1).seq());
        assertNull(store.loadNext("a.y", 4));
        assertNull(store.loadNext("c.>", 1));
        assertNull(store.loadNext(null, 6));
        assertEquals(1, store.loadNext("a.x", 0).seq());
        store.remove(3, false);
        assertEquals(4, store.loadNext("a.>", 2).seq());
        assertEquals(5, store.loadNext("*.y", 1).seq());
    }

    @Test
    void wildcardLoadNextFindsSparseMatchesFarAhead() throws IOException {
        for (int i = 0; i < 2000; i++) {
            put("busy." + (i % 7), "x", i);
        }
        long rare = put("rare.one", "r", 2000);
        for (int i = 0; i < 500; i++) {
            put("busy.z", "x", 2001 + i);
        }
        long rare2 = put("rare.two", "r", 3000);
        store = reopen(store);
        assertEquals(rare, store.loadNext("rare.*", 1).seq());
        assertEquals(rare2, store.loadNext("rare.>", rare + 1).seq());
        assertNull(store.loadNext("rare.*", rare2 + 1));
        assertEquals(2, store.numPending(1, "rare.*", false));
        assertEquals(1, store.numPending(rare + 1, "rare.>", false));
        assertEquals(500 + 2000 / 7 + 1, store.numPending(1, "busy.z", false) + store.numPending(1, "busy.0", false));
    }

    @Test
    void loadLast() throws IOException {
        put("a.x", "1", 1);
        put("b.x", "2", 2);
        put("a.y", "3", 3);
        put("b.y", "4", 4);
        store = reopen(store);
        assertEquals(4, store.loadLast(null).seq());
        assertEquals(3, store.loadLast("a.*").seq());
        assertEquals(2, store.loadLast("b.x").seq());
        assertEquals(4, store.loadLast("*.y").seq());
        assertNull(store.loadLast("c"));
        store.remove(4, false);
        assertEquals(3, store.loadLast(null).seq());
        assertEquals(3, store.loadLast("*.y").seq());
    }

    @Test
    void removeLeavesGapsAndKeepsLastSeq() throws IOException {
        for (int i = 1; i <= 6; i++) {
            put("s." + (i % 2), "m" + i, i * 10L);
        }
        assertTrue(store.remove(3, false));
        assertFalse(store.remove(3, false));
        assertFalse(store.remove(42, false));
        assertTrue(store.remove(6, true));
        assertTrue(store.remove(1, false));
        store.sync();
        store = reopen(store);
        assertNull(store.load(3));
        assertNull(store.load(6));
        StoreState st = store.state();
        assertEquals(3, st.msgs());
        assertEquals(2, st.firstSeq());
        assertEquals(20, st.firstTimeNanos());
        assertEquals(6, st.lastSeq());
        assertEquals(60, st.lastTimeNanos());
        assertEquals(2, st.numDeleted());
        assertEquals(List.of(3L, 6L), store.deletedSequences());
        assertEquals(7, store.append("s.1", null, b("x"), 70));
    }

    @Test
    void removingEverythingKeepsTheCounter() throws IOException {
        put("a", "1", 1);
        put("a", "2", 2);
        store.remove(1, false);
        store.remove(2, false);
        store.sync();
        store = reopen(store);
        StoreState st = store.state();
        assertEquals(0, st.msgs());
        assertEquals(3, st.firstSeq());
        assertEquals(2, st.lastSeq());
        assertEquals(3, put("a", "3", 3));
    }

    @Test
    void purgeAllKeepsSequenceCounter() throws IOException {
        for (int i = 1; i <= 10; i++) {
            put("p." + i, "x", i);
        }
        assertEquals(10, store.purge(null, 0, 0));
        store.sync();
        store = reopen(store);
        StoreState st = store.state();
        assertEquals(0, st.msgs());
        assertEquals(0, st.bytes());
        assertEquals(11, st.firstSeq());
        assertEquals(10, st.lastSeq());
        assertEquals(0, st.numSubjects());
        assertEquals(Map.of(), store.subjects(null));
        assertEquals(11, put("p.1", "y", 11));
        assertEquals(11, store.loadNext(null, 1).seq());
    }

    @Test
    void purgeUpToSequence() throws IOException {
        for (int i = 1; i <= 10; i++) {
            put("u", "x", i);
        }
        assertEquals(4, store.purge(">", 5, 0));
        store = reopen(store);
        assertEquals(5, store.state().firstSeq());
        assertEquals(6, store.state().msgs());
        assertEquals(0, store.purge(null, 3, 0));
    }

    @Test
    void purgeKeepUnfiltered() throws IOException {
        for (int i = 1; i <= 10; i++) {
            put("k." + (i % 3), "x", i);
        }
        assertEquals(7, store.purge(null, 0, 3));
        store = reopen(store);
        assertEquals(3, store.state().msgs());
        assertEquals(8, store.state().firstSeq());
        assertEquals(0, store.purge(null, 0, 5));
    }

    @Test
    void purgeFilteredWithKeepAndUpTo() throws IOException {
        // a.1: 1,4,7,10  a.2: 2,5,8  b: 3,6,9
        for (int i = 1; i <= 10; i++) {
            String subject = i % 3 == 0 ? "b" : "a." + (i % 3 == 1 ? 1 : 2);
            put(subject, "x", i);
        }
        assertEquals(3, store.purge("a.*", 0, 2));
        store = reopen(store);
        assertEquals(new SubjectState(2, 7, 10), store.subjectState("a.1"));
        assertEquals(new SubjectState(2, 5, 8), store.subjectState("a.2"));
        assertEquals(new SubjectState(3, 3, 9), store.subjectState("b"));
        assertEquals(2, store.purge("b", 9, 0));
        assertEquals(new SubjectState(1, 9, 9), store.subjectState("b"));
        assertEquals(List.of(6L), store.deletedSequences());
        assertEquals(5, store.state().firstSeq());
        assertEquals(2, store.purge("a.1", 0, 0));
        store.sync();
        store = reopen(store);
        assertNull(store.subjectState("a.1"));
        assertEquals(3, store.state().msgs());
        assertEquals(10, store.state().lastSeq());
    }

    @Test
    void skipToOnEmptyAndNonEmpty() throws IOException {
        store.skipTo(100);
        store.sync();
        store = reopen(store);
        assertEquals(99, store.state().lastSeq());
        assertEquals(100, store.state().firstSeq());
        assertEquals(100, put("s", "x", 1));
        put("s", "y", 2);
        put("s", "z", 3);
        store.skipTo(102);
        store.sync();
        store = reopen(store);
        assertEquals(1, store.state().msgs());
        assertEquals(102, store.state().firstSeq());
        assertEquals(102, store.state().lastSeq());
        store.skipTo(500);
        store.sync();
        store = reopen(store);
        assertEquals(0, store.state().msgs());
        assertEquals(500, store.state().firstSeq());
        assertEquals(500, put("s", "w", 4));
    }

    @Test
    void subjectsAndSubjectState() throws IOException {
        put("z.1", "x", 1);
        put("a.1", "x", 2);
        put("m.2", "x", 3);
        put("a.1", "x", 4);
        store = reopen(store);
        Map<String, SubjectState> all = store.subjects(null);
        assertEquals(List.of("a.1", "m.2", "z.1"), List.copyOf(all.keySet()));
        assertEquals(new SubjectState(2, 2, 4), all.get("a.1"));
        assertEquals(List.of("a.1", "z.1"), List.copyOf(store.subjects("*.1").keySet()));
        assertEquals(new SubjectState(1, 3, 3), store.subjectState("m.2"));
        assertNull(store.subjectState("m.*"));
        assertNull(store.subjectState("nope"));
        assertEquals(3, store.state().numSubjects());
    }

    @Test
    void numPendingVariants() throws IOException {
        for (int i = 1; i <= 3000; i++) {
            put("n." + (i % 4), "x", i);
        }
        store.remove(10, false);
        store.remove(2500, false);
        store = reopen(store);
        assertEquals(2998, store.numPending(1, null, false));
        assertEquals(2998 - 9, store.numPending(11, ">", false));
        assertEquals(3000 - 2500, store.numPending(2500, null, false));
        assertEquals(0, store.numPending(3001, null, false));
        assertEquals(750, store.numPending(1, "n.1", false));
        assertEquals(749, store.numPending(1, "n.2", false)); // 10 was n.2
        assertEquals(2998, store.numPending(0, "n.*", false));
        assertEquals(4, store.numPending(1, "n.*", true));
        assertEquals(1, store.numPending(3000, "n.*", true));
        assertEquals(1, store.numPending(1, "n.3", true));
        assertEquals(0, store.numPending(1, "x.*", true));
    }

    @Test
    void sequenceAtOrAfterTime() throws IOException {
        for (int i = 1; i <= 10; i++) {
            put("t", "x", i * 100L);
        }
        store.remove(5, false);
        store = reopen(store);
        assertEquals(1, store.sequenceAtOrAfter(0));
        assertEquals(3, store.sequenceAtOrAfter(300));
        assertEquals(4, store.sequenceAtOrAfter(301));
        assertEquals(6, store.sequenceAtOrAfter(450));
        assertEquals(11, store.sequenceAtOrAfter(1001));
    }

    @Test
    void largeAndBinaryPayloads() throws IOException {
        byte[] big = new byte[3 * 1024 * 1024 + 17];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) (i * 31 + (i >> 9));
        }
        long s1 = store.append("big", null, big, 1);
        long s2 = store.append("small", null, b("tail"), 2);
        store.sync();
        store = reopen(store);
        assertArrayEquals(big, store.load(s1).data());
        assertArrayEquals(b("tail"), store.load(s2).data());
        StoredMessage m = store.loadNext("small", 1);
        assertNotNull(m);
        assertEquals(s2, m.seq());
    }

    @Test
    void noCorruptionsInAHealthyStore() throws IOException {
        put("a", "1", 1);
        store.sync();
        store = reopen(store);
        assertEquals(List.of(), store.corruptions());
    }
    /** Subjects are bytes: invalid UTF-8 and non-ASCII subjects are kept apart and come back byte for byte. */
    @Test
    void subjectsAreKeptByteForByte() throws IOException {
        String fe = SubjectBytes.decode(new byte[] {'a', '.', (byte) 0xFE});
        String ff = SubjectBytes.decode(new byte[] {'a', '.', (byte) 0xFF});
        String e = SubjectBytes.decode(new byte[] {'a', '.', (byte) 0xC3, (byte) 0xA9});
        String fffd = "a.\uFFFD";
        put(fe, "fe", 1);
        put(ff, "ff", 2);
        put(e, "e", 3);
        put(fffd, "fffd", 4);
        store.sync();
        store = reopen(store);
        assertEquals(4, store.subjects(null).size());
        assertEquals(2, store.loadLast(ff).seq());
        assertEquals(1, store.loadLast(fe).seq());
        assertEquals(4, store.loadLast(fffd).seq());
        assertEquals(1, store.subjectState(ff).msgs());
        assertEquals(ff, store.load(2).subject());
        assertArrayEquals(new byte[] {'a', '.', (byte) 0xFF}, SubjectBytes.encode(store.load(2).subject()));
        assertEquals(e, store.loadNext("a.*", 3).subject());
        assertEquals(4, store.numPending(1, "a.*", false));
        // sizes count the subject's bytes (two for the é), as nats-server does
        assertEquals(store.sizeOf("a.xy", 0, 1), store.sizeOf(e, 0, 1));
    }

    @Test
    void appendAtTakesOnlyTheNextSequence() throws IOException {
        store.appendAt(1, "a", null, b("one"), 100);
        store.skipTo(10);
        // a follower out of step is refused before anything is written
        org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> store.appendAt(12, "a", null, b("gap"), 200));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> store.appendAt(9, "a", null, b("old"), 200));
        assertEquals(9, store.state().lastSeq());
        store.appendAt(10, "b", null, b("ten"), 300);
        store.sync();
        store = reopen(store);
        assertEquals(10, store.state().lastSeq());
        assertEquals("ten", new String(store.load(10).data(), StandardCharsets.UTF_8));
        assertNull(store.load(11));
        assertEquals(11, store.append("c", null, b("next"), 400));
    }
}
