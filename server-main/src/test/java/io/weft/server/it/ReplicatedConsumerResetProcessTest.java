package io.weft.server.it;

import static io.weft.server.it.ClusteredStreamProcessTest.awaitMetaLeader;
import static io.weft.server.it.ClusteredStreamProcessTest.connect;
import static io.weft.server.it.ClusteredStreamProcessTest.index;
import static io.weft.server.it.ClusteredStreamProcessTest.logs;
import static io.weft.server.it.ClusteredStreamProcessTest.request;
import static io.weft.server.it.ReplicatedFeaturesDifferentialTest.awaitLeader;
import static io.weft.server.it.ReplicatedFeaturesDifferentialTest.fetchAndAck;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nats.client.Connection;
import io.nats.client.Message;
import io.nats.client.Subscription;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Consumer reset on an R3 stream in three real {@code weft serve} processes: asked through a
 * server that does not lead, it is answered once (by the stream's leader, whose consumer it is),
 * and it is committed by the stream's group before that answer, so after kill -9 of the leader the
 * new leader's consumer delivers from where the reset put it.
 */
class ReplicatedConsumerResetProcessTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Every reply to one reset request within two seconds. */
    static List<JsonNode> reset(Connection nc, String body) throws Exception {
        String inbox = nc.createInbox();
        Subscription sub = nc.subscribe(inbox);
        nc.publish("$JS.API.CONSUMER.RESET.R.D", inbox, body.getBytes(StandardCharsets.UTF_8));
        List<JsonNode> out = new ArrayList<>();
        long until = System.nanoTime() + Duration.ofSeconds(2).toNanos();
        while (System.nanoTime() < until) {
            Message m = sub.nextMessage(Duration.ofMillis(200));
            if (m != null) {
                out.add(m.isStatusMessage() ? JSON.createObjectNode().put("status", m.getStatus().getCode())
                        : JSON.readTree(m.getData()));
            }
        }
        sub.unsubscribe();
        return out;
    }

    static List<String> values(int from, int to) {
        List<String> v = new ArrayList<>();
        for (int i = from; i <= to; i++) {
            v.add("v" + i);
        }
        return v;
    }

    @Test
    @Timeout(180)
    void aResetIsCommittedBeforeItIsAnsweredAndSurvivesTheLeader() throws Exception {
        try (WeftCluster c = WeftCluster.start(3)) {
            c.awaitRoutes();
            awaitMetaLeader(c);
            String leader;
            try (Connection nc = connect(c.node(0))) {
                JsonNode s = request(nc, "$JS.API.STREAM.CREATE.R",
                        "{\"name\":\"R\",\"subjects\":[\"r.>\"],\"storage\":\"file\",\"num_replicas\":3}");
                assertFalse(s == null || s.has("error"), String.valueOf(s));
                leader = awaitLeader(nc, "R", "");
            }
            int dead = index(c, leader);
            int other = (dead + 1) % 3;
            try (Connection nc = connect(c.node(other))) {
                JsonNode created = request(nc, "$JS.API.CONSUMER.DURABLE.CREATE.R.D",
                        "{\"stream_name\":\"R\",\"config\":{\"durable_name\":\"D\",\"ack_policy\":\"explicit\"}}");
                assertFalse(created == null || created.has("error"), String.valueOf(created));
                for (int i = 1; i <= 10; i++) {
                    ReplicatedFeaturesDifferentialTest.retryPublish(nc, "r.x", "v" + i);
                }
                assertEquals(values(1, 6), fetchAndAck(nc, "R", "D", 6));
                List<JsonNode> replies = reset(nc, "{\"seq\":3}");
                assertEquals(1, replies.size(), "one answer, the leader's: " + replies);
                JsonNode r = replies.get(0);
                assertEquals("io.nats.jetstream.api.v1.consumer_reset_response", r.path("type").asText(), r.toString());
                assertEquals(3, r.path("reset_seq").asLong(), r.toString());
                assertEquals(2, r.path("ack_floor").path("stream_seq").asLong(), r.toString());
                assertEquals(8, r.path("num_pending").asLong(), r.toString());
                assertEquals(leader, r.path("cluster").path("leader").asText(), r.toString());
                // a refused reset is answered once as well
                List<JsonNode> refused = reset(nc, "{\"seq\":-1}");
                assertEquals(1, refused.size(), String.valueOf(refused));
                assertEquals(10025, refused.get(0).path("error").path("err_code").asInt(), String.valueOf(refused));
            }

            c.kill(dead);
            try (Connection nc = connect(c.node(other))) {
                String next = awaitLeader(nc, "R", leader);
                assertNotEquals(leader, next);
                assertEquals(values(3, 10), fetchAndAck(nc, "R", "D", 8),
                        "the new leader's consumer starts where the committed reset put it" + logs(c));
                List<JsonNode> back = reset(nc, "");
                assertEquals(1, back.size(), String.valueOf(back));
                assertEquals(11, back.get(0).path("reset_seq").asLong(), back.toString());
                assertEquals(next, back.get(0).path("cluster").path("leader").asText(), back.toString());
            }
            c.restart(dead);
            try (Connection nc = connect(c.node(dead))) {
                List<JsonNode> again = new ArrayList<>();
                long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (System.nanoTime() < until && again.isEmpty()) {
                    again = reset(nc, "{\"seq\":9}");
                }
                assertEquals(1, again.size(), String.valueOf(again));
                assertEquals(9, again.get(0).path("reset_seq").asLong(), again.toString());
                assertEquals(values(9, 10), fetchAndAck(nc, "R", "D", 2));
            }
        }
    }
}
