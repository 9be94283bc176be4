package io.weft.fuzz;

import io.weft.engine.jetstream.OverlapIndex;
import io.weft.store.Subjects;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The indexed overlap checks of stream creation ({@link OverlapIndex#firstOverlappingPair} within
 * one stream's subjects, {@link OverlapIndex} against other streams' subjects) give exactly the
 * answers of the pairwise scans they replaced, which compared every pair with
 * {@link io.weft.store.Subjects#tokensOverlap}. Subjects are drawn from a small alphabet so that overlaps are
 * common, with {@code *} and {@code >} anywhere (also where validation would refuse them) and the
 * odd empty token, since the index must agree with {@code overlaps} on any input.
 */
class SubjectOverlapProperties {

    @Provide
    Arbitrary<String> subjects() {
        Arbitrary<String> token = Arbitraries.frequencyOf(
                Tuple.of(8, Arbitraries.of("a", "b", "c")),
                Tuple.of(3, Arbitraries.just("*")),
                Tuple.of(2, Arbitraries.just(">")),
                Tuple.of(1, Arbitraries.just("")));
        return token.list().ofMinSize(1).ofMaxSize(4).map(t -> String.join(".", t));
    }

    @Provide
    Arbitrary<List<String>> subjectLists() {
        return subjects().list().ofMaxSize(14);
    }

    @Provide
    Arbitrary<List<List<String>>> streams() {
        return subjects().list().ofMaxSize(6).list().ofMaxSize(6);
    }

    /** The pairwise scan that StreamConfig.validate ran before: the first (i, j) in order. */
    private static OverlapIndex.Pair pairwise(List<String> subjects) {
        for (int i = 0; i < subjects.size(); i++) {
            for (int j = i + 1; j < subjects.size(); j++) {
                if (Subjects.tokensOverlap(subjects.get(i), subjects.get(j))) {
                    return new OverlapIndex.Pair(i, j);
                }
            }
        }
        return null;
    }

    @Property(tries = 1000)
    void firstOverlappingPairIsThePairwiseScansPair(@ForAll("subjectLists") List<String> subjects) {
        assertEquals(pairwise(subjects), OverlapIndex.firstOverlappingPair(subjects), subjects.toString());
    }

    @Property(tries = 1000)
    void indexFindsExactlyTheOverlappingFilters(@ForAll("subjectLists") List<String> stored, @ForAll("subjects") String probe) {
        OverlapIndex<Integer> index = new OverlapIndex<>();
        for (int i = 0; i < stored.size(); i++) {
            index.add(stored.get(i), i);
        }
        List<Integer> expected = new ArrayList<>();
        for (int i = 0; i < stored.size(); i++) {
            if (Subjects.tokensOverlap(stored.get(i), probe)) {
                expected.add(i);
            }
        }
        List<Integer> found = new ArrayList<>();
        index.anyOverlapping(probe, v -> {
            found.add(v);
            return false; // every one, not only the first
        });
        found.sort(null);
        assertEquals(expected, found, stored + " against " + probe);
    }

    /**
     * The create check of JsApi before (every new subject against every subject of every other
     * stream) and now (each new subject looked up in the account's index of all streams' subjects,
     * skipping the stream's own), also after some streams were removed from the index again.
     */
    @Property(tries = 1000)
    void createCheckAgreesWithThePairwiseCheck(@ForAll("streams") List<List<String>> existing,
            @ForAll("subjectLists") List<String> created, @ForAll("streams") List<List<String>> removed) {
        OverlapIndex<String> index = new OverlapIndex<>();
        List<List<String>> present = new ArrayList<>();
        for (int s = 0; s < existing.size(); s++) {
            existing.get(s).forEach(x -> index.add(x, "S" + present.size()));
            present.add(existing.get(s));
        }
        for (int s = 0; s < removed.size(); s++) {
            String owner = "R" + s;
            removed.get(s).forEach(x -> index.add(x, owner));
        }
        for (int s = 0; s < removed.size(); s++) {
            String owner = "R" + s;
            removed.get(s).forEach(x -> assertEquals(true, index.remove(x, owner)));
        }
        // the new stream's own earlier subjects (an update) are in the index under its name
        String self = "NEW";
        created.forEach(x -> index.add(x, self));
        boolean old = false;
        for (List<String> other : present) {
            for (String a : created) {
                for (String b : other) {
                    old |= Subjects.tokensOverlap(a, b);
                }
            }
        }
        boolean now = false;
        for (String a : created) {
            now |= index.overlapsOther(a, self);
        }
        assertEquals(old, now, created + " against " + present);
        int total = created.size() + present.stream().mapToInt(List::size).sum();
        assertEquals(total, index.size());
    }
}
