package io.weft.engine.jetstream.meta;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Placement as nats-server's selectPeerGroup: the cluster, tags, {@code !tag}, {@code unique_tag},
 * offline and never-seen servers, load balancing, the 10005 texts, and the same choice for the same
 * seed.
 */
class PlacementTest {
    static Placement.Candidate c(long id, String cluster, String... tags) {
        return new Placement.Candidate(id, "n" + id, cluster, List.of(tags), true, false);
    }

    static List<Long> placed(Placement.Result r) {
        return assertInstanceOf(Placement.Placed.class, r, () -> r.toString()).peers();
    }

    static String failed(Placement.Result r) {
        return assertInstanceOf(Placement.Failed.class, r, () -> r.toString()).description();
    }

    static final List<Placement.Candidate> FIVE = List.of(c(1, "C", "az:1", "ssd"), c(2, "C", "az:1"),
            c(3, "C", "az:2", "ssd"), c(4, "C", "az:3", "ssd"), c(5, "D", "az:1"));

    @Test
    void theSameSeedPicksTheSamePeers() {
        Placement.Request r = new Placement.Request(3, "C", List.of(), "");
        List<Long> first = placed(Placement.select(r, FIVE, Map.of(), new SeededEntropy(11)));
        List<Placement.Candidate> reordered = new ArrayList<>(FIVE);
        java.util.Collections.reverse(reordered);
        assertEquals(first, placed(Placement.select(r, reordered, Map.of(), new SeededEntropy(11))),
                "the order the candidates came in does not matter");
        Set<List<Long>> seen = new HashSet<>();
        for (long seed = 0; seed < 40; seed++) {
            List<Long> p = placed(Placement.select(r, FIVE, Map.of(), new SeededEntropy(seed)));
            assertEquals(3, new HashSet<>(p).size());
            assertTrue(p.stream().allMatch(x -> x != 5), "n5 is in another cluster");
            seen.add(p);
        }
        assertTrue(seen.size() > 1, "ties fall differently for different seeds");
    }

    @Test
    void aReplacementDoesNotShareAUniqueTagWithTheMembersThatStay() {
        // group {1 (az:1), 3 (az:2), 4 (az:3)}; 4 goes: the candidates are 2 (az:1) and a sixth (az:3)
        List<Placement.Candidate> six = new ArrayList<>(FIVE);
        six.add(c(6, "C", "az:3"));
        List<Placement.Candidate> staying = List.of(FIVE.get(0), FIVE.get(2));
        List<Placement.Candidate> others = six.stream().filter(x -> x.peer() == 2 || x.peer() == 6).toList();
        for (long seed = 0; seed < 20; seed++) {
            assertEquals(List.of(6L), placed(Placement.select(new Placement.Request(1, "C", List.of(), "az:", staying),
                    others, Map.of(), new SeededEntropy(seed))), "az:1 is held by n1, which stays");
        }
        assertEquals("no suitable peers for placement, server tag not unique", failed(Placement.select(
                new Placement.Request(1, "C", List.of(), "az:", staying), List.of(FIVE.get(1)), Map.of(),
                new SeededEntropy(1))));
        // without unique_tag anything goes
        assertEquals(List.of(2L), placed(Placement.select(new Placement.Request(1, "C", List.of(), "", staying),
                List.of(FIVE.get(1)), Map.of(), new SeededEntropy(1))));
    }

    @Test
    void tagsAndUniqueTagsNarrowTheChoice() {
        assertEquals(Set.of(1L, 3L, 4L), new HashSet<>(placed(Placement.select(
                new Placement.Request(3, "C", List.of("ssd"), ""), FIVE, Map.of(), new SeededEntropy(1)))));
        assertEquals(List.of(2L), placed(Placement.select(
                new Placement.Request(1, "C", List.of("!ssd"), ""), FIVE, Map.of(), new SeededEntropy(1))));
        for (long seed = 0; seed < 20; seed++) {
            List<Long> p = placed(Placement.select(new Placement.Request(3, "C", List.of(), "az:"), FIVE, Map.of(),
                    new SeededEntropy(seed)));
            assertTrue(p.contains(3L) && p.contains(4L) && (p.contains(1L) ^ p.contains(2L)), "one per az: " + p);
        }
        assertEquals("no suitable peers for placement, server tag not unique",
                failed(Placement.select(new Placement.Request(4, "C", List.of(), "az:"), FIVE, Map.of(),
                        new SeededEntropy(1))));
        assertEquals("no suitable peers for placement, tags not matched ['gpu']",
                failed(Placement.select(new Placement.Request(1, "C", List.of("gpu"), ""), FIVE, Map.of(),
                        new SeededEntropy(1))));
        assertEquals("no suitable peers for placement, tags excluded ['az:1']",
                failed(Placement.select(new Placement.Request(1, "D", List.of("!az:1"), ""), FIVE, Map.of(),
                        new SeededEntropy(1))));
        assertEquals("no suitable peers for placement",
                failed(Placement.select(new Placement.Request(3, "NOPE", List.of(), ""), FIVE, Map.of(),
                        new SeededEntropy(1))));
        assertEquals("no suitable peers for placement, exclude tag set", failed(Placement.select(
                new Placement.Request(1, "E", List.of(), ""), List.of(c(9, "E", "!jetstream")), Map.of(),
                new SeededEntropy(1))));
    }

    @Test
    void offlineServersAreLastAndAQuorumMustBeOnline() {
        List<Placement.Candidate> three = List.of(c(1, "C"), new Placement.Candidate(2, "n2", "C", List.of(), true, true),
                new Placement.Candidate(3, "n3", "C", List.of(), false, false));
        assertEquals(List.of(1L), placed(Placement.select(new Placement.Request(1, "C", List.of(), ""), three, Map.of(),
                new SeededEntropy(3))), "the online one first");
        assertEquals("no suitable peers for placement, peer offline", failed(Placement.select(
                new Placement.Request(3, "C", List.of(), ""), three, Map.of(), new SeededEntropy(3))),
                "n3 was never heard from");
        List<Placement.Candidate> twoOff = List.of(c(1, "C"), new Placement.Candidate(2, "n2", "C", List.of(), true, true),
                new Placement.Candidate(3, "n3", "C", List.of(), true, true));
        assertEquals("no suitable peers for placement, peer offline", failed(Placement.select(
                new Placement.Request(3, "C", List.of(), ""), twoOff, Map.of(), new SeededEntropy(3))),
                "three fit, but one online is no quorum of three");
    }

    @Test
    void theLeastLoadedServersWin() {
        Map<Long, int[]> load = new TreeMap<>();
        load.put(1L, new int[] {5, 0});
        load.put(3L, new int[] {1, 1});
        load.put(4L, new int[] {3, 3});
        for (long seed = 0; seed < 10; seed++) {
            assertEquals(List.of(2L), placed(Placement.select(new Placement.Request(1, "C", List.of(), ""), FIVE, load,
                    new SeededEntropy(seed))), "R1: fewest streams");
            assertEquals(Set.of(1L, 2L), new HashSet<>(placed(Placement.select(new Placement.Request(2, "C", List.of(), ""),
                    FIVE, load, new SeededEntropy(seed)))), "R>1: fewest replicated streams first");
        }
    }
}
