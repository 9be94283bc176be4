package io.weft.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nats.client.Connection;
import io.nats.client.Message;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Atomic batch publish on an R3 stream in three real {@code weft serve} processes: a batch
 * published through a node that does not lead is staged on the leader and stored on every replica
 * with one ack; a batch half staged when its leader is killed (kill -9) is lost whole (its commit,
 * sent to the new leader, is 10176 "incomplete" and nothing of it is stored), and the next batch
 * commits.
 */
class AtomicBatchClusterTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(20);

    private static String send(Connection nc, String id, int seq, boolean commit, String body) throws Exception {
        Headers h = new Headers();
        h.add("Nats-Batch-Id", id);
        h.add("Nats-Batch-Sequence", Integer.toString(seq));
        if (commit) {
            h.add("Nats-Batch-Commit", "1");
        }
        Message r = nc.request(NatsMessage.builder().subject("ab." + seq).headers(h).data(body.getBytes(StandardCharsets.UTF_8))
                .build(), Duration.ofSeconds(5));
        return r == null ? null : new String(r.getData(), StandardCharsets.UTF_8);
    }

    private static long messages(WeftCluster c, int i) throws Exception {
        try (Connection nc = ClusteredStreamProcessTest.connect(c.node(i))) {
            JsonNode info = ClusteredStreamProcessTest.streamInfo(nc, "AB");
            return info == null ? -1 : info.path("state").path("messages").asLong();
        }
    }

    private static void awaitMessages(WeftCluster c, int i, long n) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        long seen = -1;
        while (System.nanoTime() < deadline) {
            seen = messages(c, i);
            if (seen == n) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError(c.name(i) + " shows " + seen + " messages, not " + n);
    }

    @Test
    @Timeout(120)
    void r3BatchesAreStoredWholeAndALeaderCrashLosesAStagedBatchWhole() throws Exception {
        try (WeftCluster c = WeftCluster.start(3)) {
            c.awaitRoutes();
            ClusteredStreamProcessTest.awaitMetaLeader(c);
            String cfg = "{\"name\":\"AB\",\"subjects\":[\"ab.>\"],\"storage\":\"file\",\"num_replicas\":3,\"allow_atomic\":true}";
            try (Connection nc = ClusteredStreamProcessTest.connect(c.node(0))) {
                long deadline = System.nanoTime() + WAIT.toNanos();
                JsonNode created = null;
                while (System.nanoTime() < deadline && (created == null || created.has("error"))) {
                    created = ClusteredStreamProcessTest.request(nc, "$JS.API.STREAM.CREATE.AB", cfg);
                    if (created != null && created.has("error") && created.path("error").path("err_code").asInt() != 10008) {
                        break;
                    }
                    Thread.sleep(200);
                }
                assertTrue(created != null && created.path("config").path("allow_atomic").asBoolean(), String.valueOf(created));
            }
            String leader = ClusteredStreamProcessTest.awaitLeader(c, 0, "AB").path("cluster").path("leader").asText();
            int lead = ClusteredStreamProcessTest.index(c, leader);
            int other = (lead + 1) % 3;
            try (Connection nc = ClusteredStreamProcessTest.connect(c.node(other))) {
                assertEquals("", send(nc, "one", 1, false, "a"));
                assertEquals("", send(nc, "one", 2, false, "b"));
                assertEquals(0, messages(c, lead), "staged, not stored");
                String ack = send(nc, "one", 3, true, "c");
                JsonNode a = JSON.readTree(ack);
                assertEquals(3, a.path("seq").asLong(), ack);
                assertEquals("one", a.path("batch").asText(), ack);
                assertEquals(3, a.path("count").asLong(), ack);
                // half of the next batch staged on the leader, then the leader dies
                assertEquals("", send(nc, "two", 1, false, "d"));
                assertEquals("", send(nc, "two", 2, false, "e"));
            }
            for (int i = 0; i < 3; i++) {
                awaitMessages(c, i, 3);
            }
            c.kill(lead);
            int survivor = other;
            long deadline = System.nanoTime() + WAIT.toNanos();
            String commit = null;
            try (Connection nc = ClusteredStreamProcessTest.connect(c.node(survivor))) {
                while (System.nanoTime() < deadline) {
                    try {
                        commit = send(nc, "two", 3, true, "f");
                    } catch (Exception e) {
                        commit = null; // no leader yet: nobody answers
                    }
                    if (commit != null && !commit.contains("10008")) {
                        break;
                    }
                    Thread.sleep(200);
                }
                assertTrue(commit != null && commit.contains("\"err_code\":10176"), "commit after the crash: " + commit);
                assertEquals("", send(nc, "three", 1, false, "g"));
                JsonNode a = JSON.readTree(send(nc, "three", 2, true, "h"));
                assertEquals(5, a.path("seq").asLong(), a.toString());
                assertEquals(2, a.path("count").asLong(), a.toString());
            }
            for (int i = 0; i < 3; i++) {
                if (i != lead) {
                    awaitMessages(c, i, 5);
                }
            }
            c.restart(lead);
            awaitMessages(c, lead, 5);
        }
    }
}
