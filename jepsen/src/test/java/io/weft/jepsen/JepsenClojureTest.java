package io.weft.jepsen;

import static org.junit.jupiter.api.Assertions.assertEquals;

import clojure.java.api.Clojure;
import clojure.lang.IFn;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Runs the harness's clojure.test namespaces (src/test/clojure): the pure parts, and the jnats
 * client against a real nats-server 2.15.1 on free loopback ports (no root, no namespaces).
 */
class JepsenClojureTest {

    private static Map<?, ?> run(String ns) {
        IFn require = Clojure.var("clojure.core", "require");
        require.invoke(Clojure.read("clojure.test"));
        require.invoke(Clojure.read(ns));
        return (Map<?, ?>) Clojure.var("clojure.test", "run-tests").invoke(Clojure.read(ns));
    }

    private static void assertPassed(Map<?, ?> r) {
        long fail = ((Number) r.get(Clojure.read(":fail"))).longValue();
        long error = ((Number) r.get(Clojure.read(":error"))).longValue();
        long test = ((Number) r.get(Clojure.read(":test"))).longValue();
        assertEquals(0, fail + error, "clojure.test failures and errors (see the output above): " + r);
        org.junit.jupiter.api.Assertions.assertTrue(test > 0, "no tests ran: " + r);
    }

    @Test
    void pureParts() {
        assertPassed(run("weft.jepsen.pure-test"));
    }

    @Test
    void clientAgainstNatsServer() {
        assertPassed(run("weft.jepsen.client-test"));
    }
}
