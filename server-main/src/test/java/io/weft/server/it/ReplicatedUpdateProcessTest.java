package io.weft.server.it;

import static io.weft.server.it.ClusteredStreamProcessTest.awaitLeader;
import static io.weft.server.it.ClusteredStreamProcessTest.awaitMetaLeader;
import static io.weft.server.it.ClusteredStreamProcessTest.connect;
import static io.weft.server.it.ClusteredStreamProcessTest.index;
import static io.weft.server.it.ClusteredStreamProcessTest.logs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import com.fasterxml.jackson.databind.JsonNode;
import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamOptions;
import io.nats.client.KeyValue;
import io.nats.client.KeyValueManagement;
import io.nats.client.api.KeyValueConfiguration;
import io.nats.client.api.KeyValueStatus;
import io.nats.client.api.PublishAck;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.api.StreamInfo;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * STREAM.UPDATE of an R3 stream in three real {@code weft serve} processes, by jnats: a subject
 * added and max_msgs lowered. The answer carries the new configuration and the trimmed state; each
 * server's own replica ({@code /jsz?streams=true&config=true}, which reports what that server
 * holds) has the new configuration and the same messages; the new subject is captured; after kill
 * -9 of the stream leader and its restart, every server still has the new configuration, and the
 * restarted one catches up to it. (Scaling is PeerChangeProcessTest's.)
 */
class ReplicatedUpdateProcessTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @Test
    @Timeout(150)
    void anR3UpdateReachesEveryServerAndSurvivesKillingTheLeader() throws Exception {
        try (WeftCluster c = WeftCluster.start(3)) {
            c.awaitRoutes();
            awaitMetaLeader(c);
            StreamConfiguration created = StreamConfiguration.builder().name("UPD").subjects("upd.>")
                    .storageType(StorageType.File).replicas(3).build();
            try (Connection nc = connect(c.node(0))) {
                nc.jetStreamManagement().addStream(created);
            }
            String leader = awaitLeader(c, 0, "UPD").path("cluster").path("leader").asText();
            int other = (index(c, leader) + 1) % 3;
            try (Connection nc = connect(c.node(other))) {
                JetStream js = nc.jetStream(JetStreamOptions.builder().requestTimeout(Duration.ofSeconds(5)).build());
                for (int k = 1; k <= 10; k++) {
                    assertEquals(k, js.publish("upd." + k, ("m" + k).getBytes(StandardCharsets.UTF_8)).getSeqno());
                }
                JetStreamManagement jsm = nc.jetStreamManagement();
                StreamInfo si = jsm.updateStream(StreamConfiguration.builder(created).subjects("upd.>", "extra")
                        .maxMessages(5).description("after the update").build());
                assertEquals(List.of("upd.>", "extra"), si.getConfiguration().getSubjects());
                assertEquals(5, si.getConfiguration().getMaxMsgs());
                assertEquals("after the update", si.getConfiguration().getDescription());
                assertEquals(5, si.getStreamState().getMsgCount(), "the answer shows the trimmed state");
                assertEquals(6, si.getStreamState().getFirstSequence());
                PublishAck extra = publishSoon(js, "extra", "x11");
                assertEquals(11, extra.getSeqno(), "the stream leader captures the new subject");
                assertEquals("UPD", extra.getStream());
            }
            for (int i = 0; i < 3; i++) {
                awaitView(c, i, 7, 11);
            }

            // kill -9 of the stream leader: the survivors keep the configuration, a new leader takes publishes
            int dead = index(c, leader);
            int survivor = (dead + 1) % 3;
            c.kill(dead);
            try (Connection nc = connect(c.node(survivor))) {
                JetStream js = nc.jetStream(JetStreamOptions.builder().requestTimeout(Duration.ofSeconds(2)).build());
                long deadline = System.nanoTime() + WAIT.toNanos();
                long seq = 0;
                while (seq == 0 && System.nanoTime() < deadline) {
                    try {
                        seq = js.publish("extra", "x12".getBytes(StandardCharsets.UTF_8)).getSeqno();
                    } catch (java.io.IOException | JetStreamApiException e) {
                        Thread.sleep(200); // no leader yet
                    }
                }
                assertEquals(12, seq, "no new leader took the publish" + logs(c));
            }
            for (int i = 0; i < 3; i++) {
                if (i != dead) {
                    awaitView(c, i, 8, 12);
                }
            }
            c.restart(dead);
            awaitView(c, dead, 8, 12);
            String now = awaitLeader(c, dead, "UPD").path("cluster").path("leader").asText();
            assertNotEquals("", now);
            // STREAM.INFO through every server names the same configuration
            for (int i = 0; i < 3; i++) {
                try (Connection nc = connect(c.node(i))) {
                    StreamInfo si = nc.jetStreamManagement().getStreamInfo("UPD");
                    assertEquals(5, si.getConfiguration().getMaxMsgs(), c.name(i));
                    assertEquals(List.of("upd.>", "extra"), si.getConfiguration().getSubjects(), c.name(i));
                    assertEquals(12, si.getStreamState().getLastSequence(), c.name(i));
                }
            }
        }
    }

    /**
     * jnats {@code KeyValueManagement.update} of an R3 bucket lowers its history from 5 to 2: the
     * bucket's stream is updated through the meta leader, every server's replica keeps the same two
     * newest revisions of each key (max_msgs_per_subject applied at the configuration's log point),
     * and the bucket keeps working.
     */
    @Test
    @Timeout(150)
    void anR3BucketsHistoryLoweredByAnUpdateIsTrimmedAlikeOnEveryServer() throws Exception {
        try (WeftCluster c = WeftCluster.start(3)) {
            c.awaitRoutes();
            awaitMetaLeader(c);
            try (Connection nc = connect(c.node(1))) {
                KeyValueManagement kvm = nc.keyValueManagement();
                kvm.create(KeyValueConfiguration.builder().name("CFG").storageType(StorageType.File).replicas(3)
                        .maxHistoryPerKey(5).build());
                KeyValue kv = nc.keyValue("CFG");
                for (int r = 1; r <= 4; r++) {
                    kv.put("a", "a" + r);
                    kv.put("b", "b" + r);
                }
                assertEquals(4, kv.history("a").size());
                KeyValueStatus st = kvm.update(KeyValueConfiguration.builder(kvm.getStatus("CFG").getConfiguration())
                        .maxHistoryPerKey(2).build());
                assertEquals(2, st.getMaxHistoryPerKey());
                assertEquals(List.of("a3", "a4"), kv.history("a").stream().map(e -> e.getValueAsString()).toList());
                kv.put("a", "a5");
                assertEquals(List.of("a4", "a5"), kv.history("a").stream().map(e -> e.getValueAsString()).toList());
                assertEquals("b4", kv.get("b").getValueAsString());
            }
            for (int i = 0; i < 3; i++) {
                long deadline = System.nanoTime() + WAIT.toNanos();
                JsonNode seen = null;
                while (System.nanoTime() < deadline) {
                    seen = detail(c, i, "KV_CFG");
                    if (seen != null && seen.path("config").path("max_msgs_per_subject").asLong() == 2
                            && seen.path("state").path("messages").asLong() == 4
                            && seen.path("state").path("last_seq").asLong() == 9) {
                        break;
                    }
                    Thread.sleep(100);
                }
                assertEquals(2, seen.path("config").path("max_msgs_per_subject").asLong(), c.name(i) + ": " + seen);
                assertEquals(4, seen.path("state").path("messages").asLong(), c.name(i) + ": a4, a5, b3, b4: " + seen);
                assertEquals(9, seen.path("state").path("last_seq").asLong(), c.name(i) + ": " + seen);
            }
        }
    }

    /**
     * A publish to a subject the update just added: the stream leader subscribes once its replica
     * applied the update, and that interest reaches this client's server one route hop later (as
     * with nats-server, whose answer also comes before the interest is everywhere), so a "no
     * responders" in that moment is tried again, for at most 5 s.
     */
    private static PublishAck publishSoon(JetStream js, String subject, String value) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (true) {
            try {
                return js.publish(subject, value.getBytes(StandardCharsets.UTF_8));
            } catch (java.io.IOException | JetStreamApiException e) {
                // jnats reports a 503 status (no responders) as either, its text carrying the code
                boolean noResponders = e instanceof JetStreamApiException a ? a.getErrorCode() == 503
                        : String.valueOf(e.getMessage()).contains("503");
                if (!noResponders || System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(50);
            }
        }
    }

    /** Server {@code i}'s own replica of {@code stream} as {@code /jsz?streams=true&config=true} shows it, or null. */
    private static JsonNode detail(WeftCluster c, int i, String stream) throws Exception {
        JsonNode z = ClusterDiscoveryTest.http(c.node(i), "/jsz?streams=true&config=true");
        for (JsonNode a : z.path("account_details")) {
            for (JsonNode s : a.path("stream_detail")) {
                if (s.path("name").asText().equals(stream)) {
                    return s;
                }
            }
        }
        return null;
    }

    /**
     * Waits until server {@code i}'s own replica of UPD ({@code /jsz} detail) has the updated
     * configuration and holds messages {@code first..last}.
     */
    private static void awaitView(WeftCluster c, int i, long first, long last) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        JsonNode seen = null;
        while (System.nanoTime() < deadline) {
            JsonNode z = ClusterDiscoveryTest.http(c.node(i), "/jsz?streams=true&config=true");
            seen = null;
            for (JsonNode a : z.path("account_details")) {
                for (JsonNode s : a.path("stream_detail")) {
                    if (s.path("name").asText().equals("UPD")) {
                        seen = s;
                    }
                }
            }
            if (seen != null) {
                List<String> subjects = new ArrayList<>();
                seen.path("config").path("subjects").forEach(x -> subjects.add(x.asText()));
                if (seen.path("config").path("max_msgs").asLong() == 5 && subjects.equals(List.of("upd.>", "extra"))
                        && "after the update".equals(seen.path("config").path("description").asText())
                        && seen.path("state").path("messages").asLong() == 5
                        && seen.path("state").path("first_seq").asLong() == first
                        && seen.path("state").path("last_seq").asLong() == last) {
                    return;
                }
            }
            Thread.sleep(100);
        }
        throw new AssertionError(c.name(i) + " never showed the update with " + first + ".." + last + ": " + seen + logs(c));
    }
}
