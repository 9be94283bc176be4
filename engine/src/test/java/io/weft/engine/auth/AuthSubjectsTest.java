package io.weft.engine.auth;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class AuthSubjectsTest {

    @Test
    void literalPatternsMatchOnlyThemselves() {
        assertTrue(AuthSubjects.matches("foo", "foo"));
        assertTrue(AuthSubjects.matches("foo.bar", "foo.bar"));
        assertFalse(AuthSubjects.matches("foo", "foo.bar"));
        assertFalse(AuthSubjects.matches("foo.bar", "foo"));
        assertFalse(AuthSubjects.matches("foo.bar", "foo.baz"));
        assertFalse(AuthSubjects.matches("foo.ba", "foo.bar"));
        assertFalse(AuthSubjects.matches("foo.bar", "foo.ba"));
        assertFalse(AuthSubjects.matches("", ""));
    }

    @Test
    void starMatchesExactlyOneToken() {
        assertTrue(AuthSubjects.matches("*", "foo"));
        assertFalse(AuthSubjects.matches("*", "foo.bar"));
        assertTrue(AuthSubjects.matches("foo.*", "foo.bar"));
        assertFalse(AuthSubjects.matches("foo.*", "foo"));
        assertFalse(AuthSubjects.matches("foo.*", "foo.bar.baz"));
        assertTrue(AuthSubjects.matches("foo.*.baz", "foo.x.baz"));
        assertFalse(AuthSubjects.matches("foo.*.baz", "foo.x.bar"));
        assertTrue(AuthSubjects.matches("*.*", "a.b"));
    }

    @Test
    void fullWildcardMatchesOneOrMoreTrailingTokens() {
        assertTrue(AuthSubjects.matches(">", "foo"));
        assertTrue(AuthSubjects.matches(">", "foo.bar.baz"));
        assertTrue(AuthSubjects.matches("foo.>", "foo.bar"));
        assertTrue(AuthSubjects.matches("foo.>", "foo.bar.baz"));
        assertFalse(AuthSubjects.matches("foo.>", "foo"));
        assertFalse(AuthSubjects.matches("foo.>", "bar.baz"));
        assertTrue(AuthSubjects.matches("*.>", "a.b"));
        assertFalse(AuthSubjects.matches("*.>", "a"));
    }

    @Test
    void wildcardCharactersInTheSubjectAreReadLiterally() {
        // nats-server matches a wildcard SUB subject against permission entries this way.
        assertTrue(AuthSubjects.matches("foo.*", "foo.>"));
        assertTrue(AuthSubjects.matches("foo.>", "foo.*"));
        assertTrue(AuthSubjects.matches("foo.>", "foo.>"));
        assertFalse(AuthSubjects.matches("foo.*", "*.*"));
        assertFalse(AuthSubjects.matches("foo.>", ">"));
        assertFalse(AuthSubjects.matches("foo.bar", "foo.*"));
    }

    @Test
    void matchesAnyChecksEveryPattern() {
        assertTrue(AuthSubjects.matchesAny(List.of("a", "b.*"), "b.c"));
        assertFalse(AuthSubjects.matchesAny(List.of("a", "b.*"), "c"));
        assertFalse(AuthSubjects.matchesAny(List.of(), "c"));
    }
}
