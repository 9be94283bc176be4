package io.weft.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.weft.store.Subjects;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

/**
 * The subject rules have one home ({@link Subjects}) but three readings, kept as their callers
 * relied on them: the validated one (sublist, permissions), the store's filter reading, and the
 * token-by-token one of JetStream's configuration checks. They came from three classes
 * ({@code engine.subject.Subjects}, {@code store.SubjectFilter}, {@code jetstream.SubjectOverlap});
 * this checks that on valid subjects and filters the readings give the same answers, so that a
 * caller may pick any of them for valid input. Tokens come from a small alphabet so that matches
 * and overlaps are common.
 */
class SubjectRulesProperties {

    @Provide
    Arbitrary<String> patterns() {
        Arbitrary<String> token = Arbitraries.frequencyOf(
                Tuple.of(8, Arbitraries.of("a", "b", "c")),
                Tuple.of(3, Arbitraries.just("*")));
        return Arbitraries.lazyOf(() -> token.list().ofMinSize(1).ofMaxSize(4).flatMap(t ->
                Arbitraries.of(false, true).map(tail -> {
                    List<String> tokens = new ArrayList<>(t);
                    if (tail) {
                        tokens.add(">");
                    }
                    return String.join(".", tokens);
                })));
    }

    @Provide
    Arbitrary<String> literals() {
        return Arbitraries.of("a", "b", "c").list().ofMinSize(1).ofMaxSize(5).map(t -> String.join(".", t));
    }

    @Property(tries = 3000)
    void filterReadingMatchesAsTheSublist(@ForAll("patterns") String filter, @ForAll("literals") String subject) {
        assertEquals(Subjects.matches(filter, subject), Subjects.matchesFilter(filter, subject),
                filter + " ~ " + subject);
        assertEquals(!Subjects.hasWildcard(filter), Subjects.isLiteral(filter), filter);
    }

    @Property(tries = 3000)
    void tokenReadingOverlapsAsTheValidatedOne(@ForAll("patterns") String a, @ForAll("patterns") String b) {
        assertEquals(Subjects.overlaps(a, b), Subjects.tokensOverlap(a, b), a + " overlaps " + b);
    }

    @Property(tries = 3000)
    void tokenReadingSubsetsAsTheValidatedOne(@ForAll("patterns") String a, @ForAll("patterns") String b) {
        assertEquals(Subjects.isSubsetMatch(a, b), Subjects.tokensSubset(a, b), a + " within " + b);
    }
}
