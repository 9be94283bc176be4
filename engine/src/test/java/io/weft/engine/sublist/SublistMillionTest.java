package io.weft.engine.sublist;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A million subscriptions in, some matches, all out, and nothing left behind. */
class SublistMillionTest {

    private record Sub(String subject) implements SublistEntry {
        @Override
        public String queue() {
            return null;
        }
    }

    @Test
    void millionSubscriptions() {
        int n = 1_000_000;
        Sublist<Sub> sl = new Sublist<>();
        List<Sub> subs = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            Sub s = new Sub("a." + (i % 1000) + "." + i);
            subs.add(s);
            sl.insert(s);
        }
        Sub wide = new Sub("a.7.*");
        sl.insert(wide);
        assertEquals(n + 1, sl.count());
        for (int i = 0; i < n; i += 9973) {
            List<Sub> got = sl.match("a." + (i % 1000) + "." + i).plainSubs();
            if (i % 1000 == 7) {
                assertEquals(2, got.size());
            } else {
                assertEquals(List.of(subs.get(i)), got);
            }
        }
        assertEquals(2, sl.match("a.7.7").plainSubs().size());
        assertTrue(sl.match("a.7.8").plainSubs().equals(List.of(wide)));
        assertTrue(sl.match("a.1000.5").isEmpty());
        assertEquals(1000, sl.reverseMatch("a.3.*").size());

        for (int i = 0; i < n; i += 2) {
            assertTrue(sl.remove(subs.get(i)));
        }
        List<Sub> odd = new ArrayList<>(n / 2);
        for (int i = 1; i < n; i += 2) {
            odd.add(subs.get(i));
        }
        assertEquals(n / 2, sl.removeBatch(odd));
        assertTrue(sl.remove(wide));
        assertEquals(0, sl.count());
        assertTrue(sl.isTrieEmpty(), "every node pruned");
        assertTrue(sl.match("a.7.7").isEmpty());
        assertEquals(n + 1, sl.stats().numRemoves());
    }
}
