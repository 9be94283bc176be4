package io.weft.store;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Permissions rely on {@link Subjects#matches} reading wildcard characters of the subject literally. */
class SubjectsLiteralReadingTest {

    @Test
    void wildcardCharactersInTheSubjectAreReadLiterally() {
        // nats-server matches a wildcard SUB subject against permission entries this way.
        assertTrue(Subjects.matches("foo.*", "foo.>"));
        assertTrue(Subjects.matches("foo.>", "foo.*"));
        assertTrue(Subjects.matches("foo.>", "foo.>"));
        assertFalse(Subjects.matches("foo.*", "*.*"));
        assertFalse(Subjects.matches("foo.>", ">"));
        assertFalse(Subjects.matches("foo.bar", "foo.*"));
        assertFalse(Subjects.matches("", ""));
        assertTrue(Subjects.matches("*.>", "a.b"));
        assertFalse(Subjects.matches("*.>", "a"));
    }
}
