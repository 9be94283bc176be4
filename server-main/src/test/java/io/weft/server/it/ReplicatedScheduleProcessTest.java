package io.weft.server.it;

import static io.weft.server.it.ClusteredStreamProcessTest.awaitMetaLeader;
import static io.weft.server.it.ClusteredStreamProcessTest.connect;
import static io.weft.server.it.ClusteredStreamProcessTest.index;
import static io.weft.server.it.ClusteredStreamProcessTest.logs;
import static io.weft.server.it.ClusteredStreamProcessTest.request;
import static io.weft.server.it.ReplicatedFeaturesDifferentialTest.awaitLeader;
import static io.weft.server.it.ReplicatedFeaturesDifferentialTest.publish;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.nats.client.Connection;
import io.nats.client.impl.Headers;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Message schedules (ADR-51) on a stream replicated over three weft processes: the leader alone
 * fires a schedule, its message goes through the group's log, so a one-shot schedule publishes
 * exactly once and is removed on every replica; a repeating one goes on firing under the next
 * leader after the first is killed, and a purge message ends it.
 */
class ReplicatedScheduleProcessTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @Test
    @Timeout(180)
    void theLeaderFiresSchedulesThroughTheLogAndTheNextLeaderGoesOn() throws Exception {
        try (WeftCluster c = WeftCluster.start(3)) {
            c.awaitRoutes();
            awaitMetaLeader(c);
            String leader;
            try (Connection nc = connect(c.node(0))) {
                JsonNode s = request(nc, "$JS.API.STREAM.CREATE.S", "{\"name\":\"S\",\"subjects\":[\"s.>\"],"
                        + "\"storage\":\"file\",\"num_replicas\":3,\"allow_msg_schedules\":true}");
                assertFalse(s == null || s.has("error"), String.valueOf(s));
                leader = awaitLeader(nc, "S", "");
                String past = "@at " + Instant.now().minusSeconds(60).toString();
                JsonNode ack = publish(nc, "s.once", new Headers().add("Nats-Schedule", past)
                        .add("Nats-Schedule-Target", "s.t.once"), "once");
                assertEquals(1, ack.path("seq").asLong(), ack.toString());
                awaitCount(nc, "s.t.once", 1);
                Thread.sleep(1500); // a second firing would show by now
                assertEquals(1, count(nc, "s.t.once"), "a one-shot schedule fires once" + logs(c));
                assertEquals(0, count(nc, "s.once"), "and is removed");
                ack = publish(nc, "s.rep", new Headers().add("Nats-Schedule", "@every 1s")
                        .add("Nats-Schedule-Target", "s.t.rep"), "tick");
                assertFalse(ack.has("error"), ack.toString());
                awaitCount(nc, "s.t.rep", 2);
            }
            int dead = index(c, leader);
            int survivor = (dead + 1) % 3;
            long before;
            try (Connection nc = connect(c.node(survivor))) {
                before = count(nc, "s.t.rep");
            }
            c.kill(dead);
            try (Connection nc = connect(c.node(survivor))) {
                String next = awaitLeader(nc, "S", leader);
                assertNotEquals(leader, next);
                awaitCount(nc, "s.t.rep", before + 2);
                JsonNode ack = null;
                for (int i = 0; i < 20 && (ack == null || ack.has("error")); i++) {
                    try {
                        ack = publish(nc, "s.cancel", new Headers().add("Nats-Schedule-Next", "purge")
                                .add("Nats-Scheduler", "s.rep"), "");
                    } catch (AssertionError | Exception e) {
                        Thread.sleep(250); // the new leader may not take publishes yet
                    }
                }
                assertTrue(ack != null && !ack.has("error"), String.valueOf(ack));
                Thread.sleep(500);
                long stopped = count(nc, "s.t.rep");
                Thread.sleep(2500);
                assertEquals(stopped, count(nc, "s.t.rep"), "a purged schedule fires no more" + logs(c));
                assertEquals(0, count(nc, "s.rep"));
            }
        }
    }

    /** How many messages the stream holds on {@code subject} (STREAM.INFO with a subjects filter). */
    private static long count(Connection nc, String subject) throws Exception {
        JsonNode info = request(nc, "$JS.API.STREAM.INFO.S", "{\"subjects_filter\":\"" + subject + "\"}");
        return info == null ? -1 : info.path("state").path("subjects").path(subject).asLong(0);
    }

    private static void awaitCount(Connection nc, String subject, long atLeast) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        long n = -1;
        while (System.nanoTime() < deadline) {
            try {
                n = count(nc, subject);
            } catch (Exception e) {
                n = -1; // no leader to answer yet
            }
            if (n >= atLeast) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError(subject + ": " + n + " messages, expected at least " + atLeast);
    }
}
