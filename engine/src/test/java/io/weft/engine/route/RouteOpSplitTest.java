package io.weft.engine.route;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.api.Test;

/** The route reader splits op arguments at runs of spaces and tabs, as the regex it replaced did. */
class RouteOpSplitTest {
    @Test
    void splitsAtRunsOfSpacesAndTabs() {
        assertArrayEquals(new String[] {"$G", "foo.bar", "+", "_INBOX.1", "q1", "q2", "16"},
                RouteConnection.split("$G foo.bar + _INBOX.1 q1  q2\t16"));
        assertArrayEquals(new String[] {"a", "b"}, RouteConnection.split(" \ta \t b\t "));
        assertArrayEquals(new String[0], RouteConnection.split(""));
        assertArrayEquals(new String[0], RouteConnection.split(" \t "));
        assertArrayEquals(new String[] {"x"}, RouteConnection.split("x"));
    }
}
