package io.weft.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The frame of the JetStream feature tests that run each step against nats-server 2.15.1 and
 * weft: one JetStream server of each per test class, a scenario run through jnats on both, and
 * the two results compared (the reference's is returned, for further checks).
 */
abstract class JsReferencePair {
    static JsServer reference;
    static JsServer weft;

    @BeforeAll
    static void start() {
        reference = JsServer.start(TestServers.Target.NATS_NEWEST, "");
        weft = JsServer.start(TestServers.Target.WEFT, "");
    }

    @AfterAll
    static void stop() {
        if (reference != null) {
            reference.close();
        }
        if (weft != null) {
            weft.close();
        }
    }

    interface Scenario {
        List<Object> run(Connection nc) throws Exception;
    }

    static List<Object> both(Scenario s) throws Exception {
        List<Object> ref;
        try (Connection nc = Clients.connect(reference.server)) {
            ref = s.run(nc);
        }
        List<Object> got;
        try (Connection nc = Clients.connect(weft.server)) {
            got = s.run(nc);
        }
        assertEquals(ref, got, "weft vs nats-server 2.15.1");
        return ref;
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }

    /** "ok", or the JetStream API error's code and description. */
    static String apiError(ThrowingRunnable r) throws Exception {
        try {
            r.run();
            return "ok";
        } catch (JetStreamApiException e) {
            return "error " + e.getApiErrorCode() + " " + e.getErrorDescription();
        }
    }
}
