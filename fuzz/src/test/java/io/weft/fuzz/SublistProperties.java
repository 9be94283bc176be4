package io.weft.fuzz;

import io.weft.store.Subjects;
import io.weft.engine.sublist.Sublist;
import io.weft.engine.sublist.SublistEntry;
import io.weft.engine.sublist.SublistResult;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Properties of the subject rules and the sublist, checked against an independent naive model:
 * subjects are turned into regular expressions here (no use of {@link Subjects#matches}) and
 * interest is found by scanning a plain list.
 */
class SublistProperties {

    /** Tokens of generated subjects; the universe adds one more so '*' is told from literals. */
    private static final String[] ALPHABET = {"a", "b", "c"};
    private static final String[] UNIVERSE_TOKENS = {"a", "b", "c", "z"};
    private static final int MAX_TOKENS = 4;
    /** Every literal subject of 1..MAX_TOKENS+1 tokens over UNIVERSE_TOKENS (1364 subjects). */
    private static final List<String> UNIVERSE = universe();

    // ------------------------------------------------------------------ the naive model

    /** A subject with wildcards as a regular expression over literal subjects. */
    private static Pattern regex(String subject) {
        StringBuilder re = new StringBuilder();
        String[] parts = subject.split("\\.", -1);
        for (int i = 0; i < parts.length; i++) {
            if (i > 0) {
                re.append("\\.");
            }
            switch (parts[i]) {
                case "*" -> re.append("[^.]+");
                case ">" -> re.append("[^.]+(\\.[^.]+)*");
                default -> re.append(Pattern.quote(parts[i]));
            }
        }
        return Pattern.compile(re.toString());
    }

    private static boolean naiveMatch(String pattern, String literal) {
        return regex(pattern).matcher(literal).matches();
    }

    private static List<String> universe() {
        List<String> out = new ArrayList<>();
        List<String> level = List.of("");
        for (int len = 1; len <= MAX_TOKENS + 1; len++) {
            List<String> next = new ArrayList<>();
            for (String prefix : level) {
                for (String t : UNIVERSE_TOKENS) {
                    next.add(prefix.isEmpty() ? t : prefix + "." + t);
                }
            }
            out.addAll(next);
            level = next;
        }
        return out;
    }

    // ------------------------------------------------------------------ generators

    @Provide
    Arbitrary<String> subjects() {
        Arbitrary<String> token = Arbitraries.frequencyOf(
                Tuple.of(6, Arbitraries.of(ALPHABET)),
                Tuple.of(2, Arbitraries.just("*")));
        Arbitrary<List<String>> body = token.list().ofMinSize(1).ofMaxSize(MAX_TOKENS);
        Arbitrary<Boolean> tailWildcard = Arbitraries.integers().between(0, 4).map(i -> i == 0);
        return Combinators.combine(body, tailWildcard).as((tokens, fwc) -> {
            List<String> t = new ArrayList<>(tokens);
            if (fwc) {
                t.set(t.size() - 1, ">");
            }
            return String.join(".", t);
        });
    }

    @Provide
    Arbitrary<String> literals() {
        return Arbitraries.of(ALPHABET).list().ofMinSize(1).ofMaxSize(MAX_TOKENS + 1)
                .map(t -> String.join(".", t));
    }

    @Provide
    Arbitrary<List<String>> probes() {
        return literals().list().ofMaxSize(12);
    }

    @Provide
    Arbitrary<List<Spec>> specs() {
        Arbitrary<String> queue = Arbitraries.frequencyOf(
                Tuple.of(3, Arbitraries.just((String) null)),
                Tuple.of(1, Arbitraries.of("q1", "q2")));
        return Combinators.combine(subjects(), queue, Arbitraries.integers().between(0, 2))
                .as(Spec::new).list().ofMaxSize(40);
    }

    /** What to subscribe: subject, queue (or null) and whether a later step removes it (0). */
    record Spec(String subject, String queue, int fate) {
    }

    /** Identity-equal entry, like a client subscription (equal specs are still distinct subs). */
    static final class Sub implements SublistEntry {
        final Spec spec;

        Sub(Spec spec) {
            this.spec = spec;
        }

        @Override
        public String subject() {
            return spec.subject();
        }

        @Override
        public String queue() {
            return spec.queue();
        }

        @Override
        public String toString() {
            return spec.toString();
        }
    }

    // ------------------------------------------------------------------ properties

    @Property(tries = 300)
    void matchAgreesWithListScan(@ForAll("specs") List<Spec> specs,
                                 @ForAll("probes") List<String> probes,
                                 @ForAll boolean cached) {
        Sublist<Sub> sl = new Sublist<>(cached ? 16 : 0);
        List<Sub> live = new ArrayList<>();
        for (Spec s : specs) {
            Sub sub = new Sub(s);
            sl.insert(sub);
            live.add(sub);
        }
        List<String> all = new ArrayList<>(probes);
        all.add("a");
        all.add("a.b.c");
        checkAll(sl, live, all);
        // Remove the subs fated to go, one by one, checking after each (cache must follow).
        for (Sub sub : new ArrayList<>(live)) {
            if (sub.spec.fate() == 0) {
                assertTrue(sl.remove(sub));
                live.remove(sub);
                checkAll(sl, live, all);
            }
        }
        assertEquals(live.size(), sl.count());
        // Re-add some, then remove everything in one batch.
        for (Spec s : specs) {
            if (s.fate() == 1) {
                Sub sub = new Sub(s);
                sl.insert(sub);
                live.add(sub);
            }
        }
        checkAll(sl, live, all);
        assertEquals(live.size(), sl.removeBatch(live));
        assertEquals(0, sl.count());
        assertTrue(sl.isTrieEmpty());
        checkAll(sl, List.of(), all);
    }

    private static void checkAll(Sublist<Sub> sl, List<Sub> live, List<String> probes) {
        for (String subject : probes) {
            for (int round = 0; round < 2; round++) { // second round served from the cache
                check(sl.match(subject), live, subject);
            }
        }
    }

    private static void check(SublistResult<Sub> r, List<Sub> live, String subject) {
        Set<Sub> expectPlain = newIdentitySet();
        Map<String, Set<Sub>> expectQueues = new HashMap<>();
        for (Sub s : live) {
            if (naiveMatch(s.subject(), subject)) {
                if (s.queue() == null) {
                    expectPlain.add(s);
                } else {
                    expectQueues.computeIfAbsent(s.queue(), k -> newIdentitySet()).add(s);
                }
            }
        }
        Set<Sub> gotPlain = newIdentitySet();
        gotPlain.addAll(r.plainSubs());
        assertEquals(r.plainSubs().size(), gotPlain.size(), "duplicates for " + subject);
        assertEquals(expectPlain, gotPlain, "plain subs for " + subject);
        Map<String, Set<Sub>> gotQueues = new HashMap<>();
        for (List<Sub> group : r.queueGroups()) {
            assertTrue(!group.isEmpty(), "empty group");
            String name = group.get(0).queue();
            Set<Sub> members = newIdentitySet();
            for (Sub s : group) {
                assertEquals(name, s.queue(), "one queue name per group");
                members.add(s);
            }
            assertEquals(group.size(), members.size(), "duplicates in group");
            assertTrue(gotQueues.put(name, members) == null, "queue " + name + " split in two groups");
        }
        assertEquals(expectQueues, gotQueues, "queue groups for " + subject);
    }

    private static Set<Sub> newIdentitySet() {
        return Collections.newSetFromMap(new IdentityHashMap<>());
    }

    @Property(tries = 400)
    void subsetMatchAgreesWithBruteForce(@ForAll("subjects") String subject, @ForAll("subjects") String pattern) {
        Pattern s = regex(subject);
        Pattern p = regex(pattern);
        boolean expected = true;
        for (String x : UNIVERSE) {
            if (s.matcher(x).matches() && !p.matcher(x).matches()) {
                expected = false;
                break;
            }
        }
        assertEquals(expected, Subjects.isSubsetMatch(subject, pattern), subject + " within " + pattern);
    }

    @Property(tries = 400)
    void overlapsAgreesWithBruteForce(@ForAll("subjects") String a, @ForAll("subjects") String b) {
        Pattern x = regex(a);
        Pattern y = regex(b);
        boolean expected = false;
        for (String lit : UNIVERSE) {
            if (x.matcher(lit).matches() && y.matcher(lit).matches()) {
                expected = true;
                break;
            }
        }
        assertEquals(expected, Subjects.overlaps(a, b), a + " overlaps " + b);
        assertEquals(expected, Subjects.overlaps(b, a), "symmetric");
    }

    @Property(tries = 400)
    void matchesAgreesWithRegex(@ForAll("subjects") String pattern, @ForAll("literals") String literal) {
        assertEquals(naiveMatch(pattern, literal), Subjects.matches(pattern, literal), pattern + " ~ " + literal);
    }

    @Property(tries = 200)
    void reverseMatchFindsExactlyTheOverlappingSubs(@ForAll("specs") List<Spec> specs, @ForAll("subjects") String pattern) {
        Sublist<Sub> sl = new Sublist<>();
        List<Sub> live = new ArrayList<>();
        for (Spec s : specs) {
            Sub sub = new Sub(s);
            sl.insert(sub);
            live.add(sub);
        }
        Pattern p = regex(pattern);
        Set<Sub> expected = newIdentitySet();
        for (Sub s : live) {
            Pattern q = regex(s.subject());
            for (String lit : UNIVERSE) {
                if (p.matcher(lit).matches() && q.matcher(lit).matches()) {
                    expected.add(s);
                    break;
                }
            }
        }
        Set<Sub> got = newIdentitySet();
        got.addAll(sl.reverseMatch(pattern));
        assertEquals(expected, got, "reverse match of " + pattern);
        Set<Sub> everything = newIdentitySet();
        everything.addAll(sl.all());
        assertEquals(new HashSet<>(live).size(), everything.size());
    }
}
