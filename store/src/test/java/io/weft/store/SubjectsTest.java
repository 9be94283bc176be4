package io.weft.store;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SubjectsTest {

    @Test
    void validSubjects() {
        for (String s : new String[] {"foo", "foo.bar", "foo.*", "*", ">", "foo.>", "*.*.east.>",
                "foo.b*r", "foo.*-", "a.b>", "$SYS.REQ", "_INBOX.x.y", "location.Malmö", "fo\u0000o"}) {
            assertTrue(Subjects.isValidSubject(s), s);
        }
    }

    @Test
    void invalidSubjects() {
        // Cases checked against nats-server 2.9.10: SUB answers -ERR 'Invalid Subject'; a stream
        // config refuses the whitespace ones too (nats-server 2.15.1: 10052 "invalid subject").
        for (String s : new String[] {"", "a..b", ".a", "a.", ".", "a.>.b", ">.a", "> .a", "a b",
                "a\tb", "a\nb", "a\rb", "a\fb", "foo.>.>"}) {
            assertFalse(Subjects.isValidSubject(s), s);
            assertEquals(s.indexOf('\f') >= 0, Subjects.isValidSubscribeSubject(s), s);
        }
        assertFalse(Subjects.isValidSubject(null));
        assertFalse(Subjects.isValidSubscribeSubject(null));
    }

    @Test
    void aSubscriptionTakesEveryByteButTheSeparators() {
        // nats-server 2.9.10 and 2.15.1 deliver SUB a.\f, a.\x00, a.\x7f and invalid UTF-8 (as lone surrogates here)
        for (String s : new String[] {"a.\f", "a.\u0000", "a.\u0001", "a.\u007f", "a.\u000b", "a.\udcff", "\udcfe.>"}) {
            assertTrue(Subjects.isValidSubscribeSubject(s), s);
        }
        assertTrue(Subjects.isValidQueueName("a\fb"));
        assertTrue(Subjects.isValidQueueName("q\udcff"));
    }

    @Test
    void literalAndPublishSubjects() {
        assertTrue(Subjects.isValidLiteralSubject("foo.bar"));
        assertTrue(Subjects.isValidLiteralSubject("foo.b*"), "'*' inside a token is a plain character");
        assertTrue(Subjects.isValidLiteralSubject("a.b>"));
        assertFalse(Subjects.isValidLiteralSubject("foo.*"));
        assertFalse(Subjects.isValidLiteralSubject("foo.>"));
        assertFalse(Subjects.isValidLiteralSubject("*"));
        assertFalse(Subjects.isValidLiteralSubject("a..b"));
        // Pedantic PUB, checked against nats-server 2.9.10 ("Invalid Publish Subject").
        assertFalse(Subjects.isValidPublishSubject("a.*"));
        assertFalse(Subjects.isValidPublishSubject("a.>"));
        assertFalse(Subjects.isValidPublishSubject("a..b"));
        assertTrue(Subjects.isValidPublishSubject("a.b*"));
        assertTrue(Subjects.isValidPublishSubject("a"));
        assertTrue(Subjects.hasWildcard("a.*"));
        assertFalse(Subjects.hasWildcard("a.b"));
        assertFalse(Subjects.hasWildcard("a..*"), "invalid subjects have no wildcard");
    }

    @Test
    void queueNames() {
        // nats-server 2.9.10 accepts any non-blank queue token, wildcards and dots included.
        assertTrue(Subjects.isValidQueueName("workers"));
        assertTrue(Subjects.isValidQueueName("q.*.x"));
        assertTrue(Subjects.isValidQueueName(">"));
        assertTrue(Subjects.isValidQueueName("q*"));
        assertFalse(Subjects.isValidQueueName(""));
        assertFalse(Subjects.isValidQueueName(null));
        assertFalse(Subjects.isValidQueueName("a b"));
        assertFalse(Subjects.isValidQueueName("a\tb"));
    }

    @Test
    void tokenize() {
        assertArrayEquals(new String[] {"a", "b", "c"}, Subjects.tokenize("a.b.c"));
        assertArrayEquals(new String[] {"a", "", "b"}, Subjects.tokenize("a..b"));
        assertArrayEquals(new String[] {"", ""}, Subjects.tokenize("."));
        assertEquals(3, Subjects.numTokens("a.b.c"));
        assertEquals(0, Subjects.numTokens(""));
    }

    @Test
    void matching() {
        assertTrue(Subjects.matches("foo", "foo"));
        assertFalse(Subjects.matches("foo", "foo.bar"));
        assertFalse(Subjects.matches("foo.bar", "foo"));
        assertTrue(Subjects.matches("time.*.east", "time.us.east"));
        assertTrue(Subjects.matches("time.*.east", "time.eu.east"));
        assertFalse(Subjects.matches("time.*.east", "time.us.east.atlanta"));
        assertFalse(Subjects.matches("time.New*.east", "time.NewYork.east"), "'*' inside a token is literal");
        assertTrue(Subjects.matches("time.us.>", "time.us.east"));
        assertTrue(Subjects.matches("time.us.>", "time.us.east.atlanta"));
        assertFalse(Subjects.matches("time.us.>", "time.us"));
        assertTrue(Subjects.matches("*.*.east.>", "time.us.east.atlanta"));
        assertTrue(Subjects.matches(">", "a"));
        assertTrue(Subjects.matches(">", "a.b.c"));
        assertTrue(Subjects.matches("*", "a"));
        assertFalse(Subjects.matches("*", "a.b"));
        assertFalse(Subjects.matches("a.*.>", "a.b"), "checked against nats-server: no delivery");
        assertTrue(Subjects.matches("a.*.>", "a.b.c"));
        assertFalse(Subjects.matches(">", "a..b"), "empty tokens never match");
        assertFalse(Subjects.matches(">", "a."));
        assertFalse(Subjects.matches("a.*", "a."));
        assertFalse(Subjects.matches("foo", ""));
        assertTrue(Subjects.matches("a.*", "a.*"), "a wildcard token in the subject is compared as text");
        assertTrue(Subjects.matches("a.b*", "a.b*"));
        assertFalse(Subjects.matches("a.b", "a.B"), "case sensitive");
    }

    @Test
    void subsetMatch() {
        assertTrue(Subjects.isSubsetMatch("foo.bar", "foo.bar"));
        assertTrue(Subjects.isSubsetMatch("foo.bar", "foo.*"));
        assertTrue(Subjects.isSubsetMatch("foo.bar", "foo.>"));
        assertTrue(Subjects.isSubsetMatch("foo.*", "foo.>"));
        assertTrue(Subjects.isSubsetMatch("foo.*.baz", "foo.>"));
        assertTrue(Subjects.isSubsetMatch("foo.>", "foo.>"));
        assertTrue(Subjects.isSubsetMatch("foo.>", ">"));
        assertTrue(Subjects.isSubsetMatch("foo.*", "*.*"));
        assertTrue(Subjects.isSubsetMatch("foo.*.>", "foo.>"));
        assertFalse(Subjects.isSubsetMatch("foo.>", "foo.*.>"), "foo.a is not in foo.*.>");
        assertTrue(Subjects.isSubsetMatch("foo.*.>", "foo.*.>"));
        assertFalse(Subjects.isSubsetMatch("foo.>", "foo.*"));
        assertFalse(Subjects.isSubsetMatch("foo.*", "foo.bar"));
        assertFalse(Subjects.isSubsetMatch("foo", "foo.>"));
        assertFalse(Subjects.isSubsetMatch(">", "*"));
        assertFalse(Subjects.isSubsetMatch("foo.bar", "foo.baz"));
        assertFalse(Subjects.isSubsetMatch("foo.bar.baz", "foo.*"));
        assertFalse(Subjects.isSubsetMatch("a..b", ">"), "invalid subject");
    }

    @Test
    void overlaps() {
        assertTrue(Subjects.overlaps("foo.bar", "foo.bar"));
        assertTrue(Subjects.overlaps("foo.*", "*.bar"));
        assertTrue(Subjects.overlaps("foo.>", "*.bar.baz"));
        assertTrue(Subjects.overlaps(">", "a"));
        assertTrue(Subjects.overlaps("a.*.c", "a.b.>"));
        assertTrue(Subjects.overlaps("a.>", "a.*.>"));
        assertFalse(Subjects.overlaps("foo.*", "bar.*"));
        assertFalse(Subjects.overlaps("foo.*", "foo.*.*"));
        assertFalse(Subjects.overlaps("foo.>", "foo"));
        assertFalse(Subjects.overlaps("foo.bar", "foo.baz"));
        assertFalse(Subjects.overlaps("a.*.c", "a.b.d"));
        assertFalse(Subjects.overlaps("a..b", "a..b"), "invalid subject");
        assertEquals(Subjects.overlaps("a.*", "*.b"), Subjects.overlaps("*.b", "a.*"));
    }
}
