package io.weft.engine.sublist;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static io.weft.engine.sublist.TestSub.plain;
import static io.weft.engine.sublist.TestSub.queue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SublistTest {

    private static Set<TestSub> set(List<TestSub> l) {
        Set<TestSub> s = new HashSet<>(l);
        assertEquals(l.size(), s.size(), "no duplicates in " + l);
        return s;
    }

    @Test
    void literalMatch() {
        Sublist<TestSub> sl = new Sublist<>();
        TestSub a = plain("a", "foo.bar");
        TestSub b = plain("b", "foo.bar");
        TestSub c = plain("c", "foo.baz");
        sl.insert(a);
        sl.insert(b);
        sl.insert(c);
        assertEquals(3, sl.count());
        assertEquals(List.of(a, b), sl.match("foo.bar").plainSubs());
        assertEquals(List.of(c), sl.match("foo.baz").plainSubs());
        assertTrue(sl.match("foo").isEmpty());
        assertTrue(sl.match("foo.bar.baz").isEmpty());
        assertTrue(sl.match("foo.bar").queueGroups().isEmpty());
    }

    @Test
    void partialWildcard() {
        Sublist<TestSub> sl = new Sublist<>();
        TestSub east = plain("east", "time.*.east");
        TestSub lit = plain("lit", "time.us.east");
        TestSub star = plain("star", "*");
        sl.insert(east);
        sl.insert(lit);
        sl.insert(star);
        assertEquals(Set.of(east, lit), set(sl.match("time.us.east").plainSubs()));
        assertEquals(Set.of(east), set(sl.match("time.eu.east").plainSubs()));
        assertTrue(sl.match("time.us.east.atlanta").isEmpty());
        assertEquals(Set.of(star), set(sl.match("time").plainSubs()));
    }

    @Test
    void fullWildcard() {
        Sublist<TestSub> sl = new Sublist<>();
        TestSub usAll = plain("usAll", "time.us.>");
        TestSub all = plain("all", ">");
        TestSub mixed = plain("mixed", "*.*.east.>");
        sl.insert(usAll);
        sl.insert(all);
        sl.insert(mixed);
        assertEquals(Set.of(usAll, all), set(sl.match("time.us.east").plainSubs()));
        assertEquals(Set.of(usAll, all, mixed), set(sl.match("time.us.east.atlanta").plainSubs()));
        assertEquals(Set.of(all), set(sl.match("time.us").plainSubs()), "'>' needs one token at least");
        assertEquals(Set.of(all), set(sl.match("x").plainSubs()));
        assertTrue(sl.match("a..b").isEmpty(), "empty token matches nothing");
        assertTrue(sl.match("").isEmpty());
    }

    @Test
    void wildcardCharactersInsideTokensAreLiteral() {
        Sublist<TestSub> sl = new Sublist<>();
        TestSub s = plain("s", "foo.b*");
        sl.insert(s);
        assertTrue(sl.match("foo.bar").isEmpty());
        assertEquals(List.of(s), sl.match("foo.b*").plainSubs());
    }

    @Test
    void wildcardTokensInPublishedSubjectMatchAsText() {
        // nats-server 2.9.10, non-pedantic: PUB a.* reaches SUB a.* and SUB a.>, not SUB a.b.
        Sublist<TestSub> sl = new Sublist<>();
        TestSub ab = plain("ab", "a.b");
        TestSub astar = plain("astar", "a.*");
        TestSub afwc = plain("afwc", "a.>");
        sl.insert(ab);
        sl.insert(astar);
        sl.insert(afwc);
        assertEquals(Set.of(astar, afwc), set(sl.match("a.*").plainSubs()));
        assertEquals(Set.of(afwc), set(sl.match("a.>.x").plainSubs()));
    }

    @Test
    void queueGroupsMergeAcrossSubjects() {
        Sublist<TestSub> sl = new Sublist<>();
        TestSub q1 = queue("q1", "foo.bar", "workers");
        TestSub q2 = queue("q2", "foo.*", "workers");
        TestSub q3 = queue("q3", "foo.>", "other");
        TestSub p = plain("p", "foo.bar");
        sl.insert(q1);
        sl.insert(q2);
        sl.insert(q3);
        sl.insert(p);
        SublistResult<TestSub> r = sl.match("foo.bar");
        assertEquals(List.of(p), r.plainSubs());
        assertEquals(2, r.queueGroups().size());
        Set<Set<TestSub>> groups = new HashSet<>();
        for (List<TestSub> g : r.queueGroups()) {
            groups.add(set(g));
        }
        assertEquals(Set.of(Set.of(q1, q2), Set.of(q3)), groups);
        assertEquals(3, r.fanout());
        SublistResult<TestSub> r2 = sl.match("foo.baz");
        assertTrue(r2.plainSubs().isEmpty());
        assertEquals(2, r2.queueGroups().size());
    }

    @Test
    void removeAndPrune() {
        Sublist<TestSub> sl = new Sublist<>();
        TestSub a = plain("a", "foo.bar");
        TestSub b = queue("b", "foo.*", "q");
        TestSub c = plain("c", "foo.>");
        TestSub d = plain("d", "foo.bar");
        for (TestSub s : List.of(a, b, c, d)) {
            sl.insert(s);
        }
        assertTrue(sl.remove(a));
        assertFalse(sl.remove(a), "second remove finds nothing");
        assertFalse(sl.remove(plain("x", "foo.bar")), "equal subject, other subscription");
        assertFalse(sl.remove(plain("y", "nope.nope")));
        assertFalse(sl.remove(queue("z", "foo.*", "q")));
        assertEquals(Set.of(d, c), set(sl.match("foo.bar").plainSubs()));
        assertEquals(List.of(List.of(b)), sl.match("foo.bar").queueGroups());
        assertTrue(sl.remove(b));
        assertTrue(sl.remove(c));
        assertTrue(sl.remove(d));
        assertEquals(0, sl.count());
        assertTrue(sl.match("foo.bar").isEmpty());
        assertTrue(sl.isTrieEmpty(), "empty nodes are pruned");
    }

    @Test
    void duplicateInsertIsIgnored() {
        Sublist<TestSub> sl = new Sublist<>();
        TestSub a = plain("a", "foo");
        sl.insert(a);
        sl.insert(a);
        assertEquals(1, sl.count());
        assertEquals(List.of(a), sl.match("foo").plainSubs());
        assertEquals(1, sl.stats().numInserts());
    }

    @Test
    void invalidSubjectsAreRefused() {
        Sublist<TestSub> sl = new Sublist<>();
        for (String bad : new String[] {"", "a..b", "a.>.b", ".a", "a.", "a b"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> sl.insert(plain("bad", bad)), bad);
            assertEquals("Invalid Subject", e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> sl.insert(queue("bad", "foo", "a b")));
        assertThrows(IllegalArgumentException.class, () -> sl.insert(queue("bad", "foo", "")));
        assertEquals(0, sl.count());
        assertTrue(sl.isTrieEmpty());
    }

    @Test
    void cacheInvalidatedByWildcardInsertAndRemove() {
        Sublist<TestSub> sl = new Sublist<>();
        TestSub lit = plain("lit", "a.b.c");
        sl.insert(lit);
        assertEquals(List.of(lit), sl.match("a.b.c").plainSubs());
        assertTrue(sl.match("a.x.c").isEmpty());
        assertTrue(sl.match("z.z").isEmpty());
        assertEquals(3, sl.cacheCount());
        SublistResult<TestSub> cached = sl.match("a.b.c");
        assertSame(cached, sl.match("a.b.c"), "served from the cache");

        TestSub star = plain("star", "a.*.c");
        sl.insert(star);
        assertEquals(1, sl.cacheCount(), "only the entries a.*.c matches are dropped");
        assertEquals(Set.of(lit, star), set(sl.match("a.b.c").plainSubs()));
        assertEquals(List.of(star), sl.match("a.x.c").plainSubs());

        TestSub fwc = queue("fwc", "a.>", "g");
        sl.insert(fwc);
        assertEquals(List.of(List.of(fwc)), sl.match("a.b.c").queueGroups());
        assertEquals(List.of(List.of(fwc)), sl.match("a.x.c").queueGroups());
        assertTrue(sl.match("z.z").isEmpty());

        assertTrue(sl.remove(star));
        assertEquals(List.of(lit), sl.match("a.b.c").plainSubs());
        assertTrue(sl.match("a.x.c").plainSubs().isEmpty());
        assertTrue(sl.remove(fwc));
        assertTrue(sl.match("a.x.c").isEmpty());
        assertTrue(sl.remove(lit));
        assertTrue(sl.match("a.b.c").isEmpty());
    }

    @Test
    void cacheInvalidatedByLiteralInsert() {
        Sublist<TestSub> sl = new Sublist<>();
        assertTrue(sl.match("foo").isEmpty());
        TestSub a = plain("a", "foo");
        sl.insert(a);
        assertEquals(List.of(a), sl.match("foo").plainSubs());
        sl.removeBatch(List.of(a));
        assertTrue(sl.match("foo").isEmpty());
    }

    @Test
    void removeBatchLargeClearsCache() {
        Sublist<TestSub> sl = new Sublist<>();
        List<TestSub> subs = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            TestSub s = plain("s" + i, "x." + (i % 10));
            subs.add(s);
            sl.insert(s);
        }
        TestSub keep = plain("keep", "x.*");
        sl.insert(keep);
        assertEquals(11, sl.match("x.3").plainSubs().size());
        assertEquals(100, sl.removeBatch(subs));
        assertEquals(0, sl.removeBatch(subs));
        assertEquals(List.of(keep), sl.match("x.3").plainSubs());
        assertEquals(1, sl.count());
    }

    @Test
    void cacheIsBoundedAndKeepsHotEntries() {
        Sublist<TestSub> sl = new Sublist<>(64);
        TestSub s = plain("s", "hot");
        sl.insert(s);
        for (int i = 0; i < 1000; i++) {
            assertEquals(List.of(s), sl.match("hot").plainSubs());
            assertTrue(sl.match("cold." + i).isEmpty());
            assertTrue(sl.cacheCount() <= 64, "cache bounded: " + sl.cacheCount());
        }
        long before = sl.stats().cacheHits();
        sl.match("hot");
        assertEquals(before + 1, sl.stats().cacheHits(), "a constantly hit entry survives sweeps");
    }

    @Test
    void noCacheMode() {
        Sublist<TestSub> sl = new Sublist<>(0);
        TestSub s = plain("s", "a.*");
        sl.insert(s);
        assertEquals(List.of(s), sl.match("a.b").plainSubs());
        assertEquals(0, sl.cacheCount());
        assertEquals(0.0, sl.stats().cacheHitRate());
    }

    @Test
    void statistics() {
        Sublist<TestSub> sl = new Sublist<>();
        TestSub a = plain("a", "foo.*");
        TestSub b = plain("b", "foo.bar");
        TestSub q = queue("q", "foo.bar", "g");
        sl.insert(a);
        sl.insert(b);
        sl.insert(q);
        sl.remove(b);
        sl.match("foo.bar"); // miss: fanout 2 (a + group g)
        sl.match("foo.bar"); // hit
        sl.match("foo.baz"); // miss: fanout 1
        sl.match("foo.baz"); // hit
        SublistStats st = sl.stats();
        assertEquals(2, st.numSubscriptions());
        assertEquals(2, st.numCache());
        assertEquals(3, st.numInserts());
        assertEquals(1, st.numRemoves());
        assertEquals(4, st.numMatches());
        assertEquals(0.5, st.cacheHitRate(), 1e-9);
        assertEquals(2, st.maxFanout());
        assertEquals(1.5, st.avgFanout(), 1e-9);
        SublistStats sum = st.plus(SublistStats.ZERO).plus(st);
        assertEquals(4, sum.numSubscriptions());
        assertEquals(0.5, sum.cacheHitRate(), 1e-9);
        assertEquals(1.5, sum.avgFanout(), 1e-9);
        assertEquals(2, sum.maxFanout());
    }

    @Test
    void allAndReverseMatch() {
        Sublist<TestSub> sl = new Sublist<>();
        TestSub ab = plain("ab", "a.b");
        TestSub ac = queue("ac", "a.c", "q");
        TestSub astar = plain("astar", "a.*");
        TestSub afwc = plain("afwc", "a.>");
        TestSub abc = plain("abc", "a.b.c");
        TestSub x = plain("x", "x");
        List<TestSub> subs = List.of(ab, ac, astar, afwc, abc, x);
        for (TestSub s : subs) {
            sl.insert(s);
        }
        assertEquals(Set.copyOf(subs), set(sl.all()));
        assertEquals(Set.of(ab, astar, afwc), set(sl.reverseMatch("a.b")));
        assertEquals(Set.of(ab, ac, astar, afwc), set(sl.reverseMatch("a.*")));
        assertEquals(Set.of(ab, ac, astar, afwc, abc), set(sl.reverseMatch("a.>")));
        assertEquals(Set.copyOf(subs), set(sl.reverseMatch(">")));
        assertEquals(Set.of(x), set(sl.reverseMatch("*")));
        assertEquals(Set.of(afwc, abc), set(sl.reverseMatch("*.*.c")));
        assertTrue(sl.reverseMatch("a..b").isEmpty());
    }

    @Test
    void resultsAreImmutable() {
        Sublist<TestSub> sl = new Sublist<>();
        sl.insert(plain("a", "foo"));
        sl.insert(queue("q", "foo", "g"));
        SublistResult<TestSub> r = sl.match("foo");
        assertThrows(UnsupportedOperationException.class, () -> r.plainSubs().clear());
        assertThrows(UnsupportedOperationException.class, () -> r.queueGroups().clear());
        assertThrows(UnsupportedOperationException.class, () -> r.queueGroups().get(0).clear());
        assertThrows(UnsupportedOperationException.class, () -> sl.all().clear());
    }
}
