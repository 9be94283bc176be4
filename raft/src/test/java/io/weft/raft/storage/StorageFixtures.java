package io.weft.raft.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.weft.raft.Entry;
import io.weft.raft.LogDamage;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Entries and checks shared by the storage tests. */
final class StorageFixtures {
    static final String DIR = "node1/raft";

    private StorageFixtures() {
    }

    static Entry entry(long index, long term) {
        return new Entry(term, index, Entry.Kind.NORMAL, ("entry " + index + " term " + term).getBytes(StandardCharsets.UTF_8));
    }

    /** Entries lo..hi inclusive, all of {@code term}. */
    static List<Entry> entries(long lo, long hi, long term) {
        List<Entry> out = new ArrayList<>();
        for (long i = lo; i <= hi; i++) {
            out.add(entry(i, term));
        }
        return out;
    }

    static int recordLength(Entry e) {
        return LogRecords.OVERHEAD + e.data().length;
    }

    static String segment(long first) {
        return DIR + "/" + Segment.name(first);
    }

    /** Damage ranges as "lo-hi" strings, for readable assertions. */
    static List<String> ranges(LogDamage d) {
        List<String> out = new ArrayList<>();
        for (long[] r : d.ranges()) {
            out.add(r[0] + "-" + r[1]);
        }
        return out;
    }

    /** Asserts that the readable log is exactly {@code expected} from the first index on. */
    static void assertLog(DiskStorage s, List<Entry> expected) {
        assertEquals(expected.isEmpty() ? s.firstIndex() - 1 : expected.getLast().index(), s.lastIndex(), "last index");
        if (!expected.isEmpty()) {
            assertEquals(expected, s.entries(expected.getFirst().index(), s.lastIndex() + 1, Long.MAX_VALUE));
        }
    }
}
