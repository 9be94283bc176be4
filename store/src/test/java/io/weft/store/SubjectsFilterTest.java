package io.weft.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class SubjectsFilterTest {
    /** The plain definition: split into tokens and compare one by one. */
    private static boolean naive(String filter, String subject) {
        String[] f = filter.split("\\.", -1);
        String[] s = subject.split("\\.", -1);
        for (int i = 0; i < f.length; i++) {
            if (f[i].equals(">")) {
                return s.length > i;
            }
            if (i >= s.length || !(f[i].equals("*") || f[i].equals(s[i]))) {
                return false;
            }
        }
        return f.length == s.length;
    }

    @Test
    void examples() {
        assertTrue(Subjects.matchesFilter(null, "a"));
        assertTrue(Subjects.matchesFilter(">", "a.b"));
        assertTrue(Subjects.matchesFilter("a.*", "a.b"));
        assertFalse(Subjects.matchesFilter("a.*", "a.b.c"));
        assertFalse(Subjects.matchesFilter("a.*", "a"));
        assertTrue(Subjects.matchesFilter("a.>", "a.b.c"));
        assertFalse(Subjects.matchesFilter("a.>", "a"));
        assertTrue(Subjects.matchesFilter("*.b.>", "x.b.c"));
        assertFalse(Subjects.matchesFilter("*.b.>", "x.bb.c"));
        assertTrue(Subjects.matchesFilter("$KV.bucket.>", "$KV.bucket.key.sub"));
        assertFalse(Subjects.matchesFilter("ab.*", "a.b"));
    }

    @Test
    void agreesWithTheTokenDefinition() {
        String[] tokens = {"a", "b", "ab", "*", ">"};
        String[] subjectTokens = {"a", "b", "ab", "c"};
        Random rnd = new Random(5);
        for (int t = 0; t < 20000; t++) {
            StringBuilder f = new StringBuilder();
            int fl = 1 + rnd.nextInt(4);
            for (int i = 0; i < fl; i++) {
                String tok = tokens[rnd.nextInt(i == fl - 1 ? 5 : 4)];
                f.append(i > 0 ? "." : "").append(tok);
            }
            StringBuilder s = new StringBuilder();
            int sl = 1 + rnd.nextInt(5);
            for (int i = 0; i < sl; i++) {
                s.append(i > 0 ? "." : "").append(subjectTokens[rnd.nextInt(4)]);
            }
            assertEquals(naive(f.toString(), s.toString()), Subjects.matchesFilter(f.toString(), s.toString()),
                    f + " vs " + s);
        }
    }
}
