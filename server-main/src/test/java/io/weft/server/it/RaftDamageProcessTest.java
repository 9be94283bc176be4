package io.weft.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamOptions;
import io.nats.client.api.MessageInfo;
import io.nats.client.api.PublishAck;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A bit flipped in the middle of one replica's Raft log of an R3 stream, while that server is
 * down (the Jepsen file fault of NATS #7549): the restarted server logs the damage as an error,
 * `/healthz` does not call it healthy while the damage stands, its peers repair it, it logs the
 * repair, and once the untouched leader is killed the two remaining replicas, the repaired one
 * among them, still serve every acknowledged message at its sequence.
 */
class RaftDamageProcessTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @Test
    @Timeout(120)
    void aBitFlipInOneReplicasRaftLogIsReportedRepairedAndLosesNothing() throws Exception {
        try (WeftCluster c = WeftCluster.start(3)) {
            c.awaitRoutes();
            ClusteredStreamProcessTest.awaitMetaLeader(c);
            try (Connection nc = ClusteredStreamProcessTest.connect(c.node(0))) {
                ClusteredStreamProcessTest.createR3(nc, "D", "d.>");
            }
            String leader = ClusteredStreamProcessTest.awaitLeader(c, 0, "D").path("cluster").path("leader").asText();
            int lead = ClusteredStreamProcessTest.index(c, leader);
            int damaged = (lead + 1) % 3;
            Map<Long, String> acked = new TreeMap<>();
            publish(c, lead, acked, 0, 300);
            c.kill(damaged);

            Path raftDir = c.storeDir(damaged).resolve("jetstream/$G/streams/D/raft");
            Path segment;
            try (Stream<Path> files = Files.list(raftDir)) {
                segment = files.filter(p -> p.getFileName().toString().endsWith(".log"))
                        .max(Comparator.comparingLong(p -> p.toFile().length()))
                        .orElseThrow(() -> new AssertionError("no Raft log segment in " + raftDir));
            }
            long offset = segment.toFile().length() / 2;
            try (RandomAccessFile raf = new RandomAccessFile(segment.toFile(), "rw")) {
                raf.seek(offset);
                int b = raf.read();
                raf.seek(offset);
                raf.write(b ^ 0x10);
            }
            publish(c, lead, acked, 300, 50); // the damaged replica also has to catch up on these

            c.restart(damaged);
            TestServer d = c.node(damaged);
            assertTrue(d.awaitOutput("Raft log is damaged", WAIT), "the damage was not logged: " + d.stderr());
            assertTrue(d.stderr().lines().anyMatch(l -> l.contains("[ERR]") && l.contains("'$G > D'")
                    && l.contains("Raft log is damaged")), d.stderr());
            assertTrue(d.awaitOutput("repaired from the peers", WAIT), "no repair logged: " + d.stderr()
                    + ClusteredStreamProcessTest.logs(c));
            JsonNode health = awaitHealthy(d);
            assertEquals("ok", health.path("status").asText(), health.toString());

            // the untouched leader goes: the repaired replica and the third one hold everything acked
            c.kill(lead);
            int survivor = (lead + 2) % 3;
            JsonNode info = awaitLeaderWithOneReplica(c, survivor, "D");
            assertTrue(info.path("state").path("last_seq").asLong() >= 350, info.toString());
            List<String> wrong = new ArrayList<>();
            try (Connection nc = ClusteredStreamProcessTest.connect(c.node(damaged))) {
                JetStreamManagement jsm = nc.jetStreamManagement();
                for (Map.Entry<Long, String> e : acked.entrySet()) {
                    MessageInfo mi = jsm.getMessage("D", e.getKey());
                    String got = new String(mi.getData(), StandardCharsets.UTF_8);
                    if (!got.equals(e.getValue())) {
                        wrong.add(e.getKey() + ": " + got + " != " + e.getValue());
                    }
                }
            }
            assertEquals(List.of(), wrong, "acked messages lost or changed" + ClusteredStreamProcessTest.logs(c));
        }
    }

    private static void publish(WeftCluster c, int node, Map<Long, String> acked, int from, int count) throws Exception {
        try (Connection nc = ClusteredStreamProcessTest.connect(c.node(node))) {
            JetStream js = nc.jetStream(JetStreamOptions.builder().requestTimeout(Duration.ofSeconds(5)).build());
            for (int i = from; i < from + count; i++) {
                String v = "value-" + i + "-" + "x".repeat(i % 40);
                PublishAck a = publishRetrying(js, "d." + (i % 5), v);
                assertEquals(null, acked.put(a.getSeqno(), v), "two acks at " + a.getSeqno());
            }
        }
    }

    private static PublishAck publishRetrying(JetStream js, String subject, String v) throws Exception {
        // only a refusal is retried (certainly not stored); a timeout fails the test, since the
        // message might be stored at a sequence the test would not know
        JetStreamApiException last = null;
        for (int attempt = 0; attempt < 20; attempt++) {
            try {
                return js.publish(subject, v.getBytes(StandardCharsets.UTF_8));
            } catch (JetStreamApiException e) {
                last = e;
                Thread.sleep(200);
            }
        }
        throw last;
    }

    private static JsonNode awaitHealthy(TestServer s) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        JsonNode last = null;
        while (System.nanoTime() < deadline) {
            last = ClusterDiscoveryTest.http(s, "/healthz");
            if ("ok".equals(last.path("status").asText())) {
                return last;
            }
            Thread.sleep(200);
        }
        return last;
    }

    /** Waits until node {@code i} sees a leader of {@code stream} with one other replica listed. */
    private static JsonNode awaitLeaderWithOneReplica(WeftCluster c, int i, String stream) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        JsonNode last = null;
        try (Connection nc = ClusteredStreamProcessTest.connect(c.node(i))) {
            while (System.nanoTime() < deadline) {
                last = ClusteredStreamProcessTest.streamInfo(nc, stream);
                if (last != null && !last.has("error") && !last.path("cluster").path("leader").asText("").isEmpty()) {
                    return last;
                }
                Thread.sleep(200);
            }
        }
        throw new AssertionError("no leader of " + stream + " after the kill: " + last + ClusteredStreamProcessTest.logs(c));
    }
}
