package io.weft.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamOptions;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.PullSubscribeOptions;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.ConsumerInfo;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The drain of the Jepsen queue workload, in five real processes without faults: an R5 stream, a
 * durable pull consumer whose 1000 pending acks (max_ack_pending) all ran out their ack wait, then
 * readers on every node fetching 100 at a time and acking each message with a double ack. Every
 * message must be read and the ack floor must reach the last one; the stream group must keep its
 * leader as seen from every node. (The 300 s composite Jepsen run ended with the consumer stuck at
 * max_ack_pending and the group leaderless on four nodes after such a drain.)
 */
class ReplicatedAckStormProcessTest {
    private static final int MSGS = 3000;

    @Test
    @Timeout(240)
    void doubleAcksOfAFullAckPendingSetDrainTheConsumer() throws Exception {
        try (WeftCluster c = WeftCluster.start(5)) {
            c.awaitRoutes();
            ClusteredStreamProcessTest.awaitMetaLeader(c);
            try (Connection nc = ClusteredStreamProcessTest.connect(c.node(0))) {
                JetStreamManagement jsm = nc.jetStreamManagement(JetStreamOptions.builder().requestTimeout(Duration.ofSeconds(10)).build());
                jsm.addStream(StreamConfiguration.builder().name("Q").subjects("q").storageType(StorageType.File)
                        .replicas(5).build());
                assertTrue(hasLeader(c, 0), "the new stream elects a leader");
                jsm.addOrUpdateConsumer("Q", ConsumerConfiguration.builder().durable("readers").filterSubject("q")
                        .ackPolicy(AckPolicy.Explicit).ackWait(Duration.ofSeconds(5)).build());
                JetStream js = nc.jetStream(JetStreamOptions.builder().requestTimeout(Duration.ofSeconds(10)).build());
                for (int i = 1; i <= MSGS; i++) {
                    js.publishAsync("q", Integer.toString(i).getBytes(StandardCharsets.UTF_8));
                    if (i % 500 == 0) {
                        js.publish("q", new byte[0]); // a barrier: the async acks before it are in
                    }
                }
                // fill the ack pending set and let every ack wait run out
                JetStreamSubscription sub = js.subscribe("q", PullSubscribeOptions.bind("Q", "readers"));
                int got = 0;
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (got < 1000 && System.nanoTime() < deadline) {
                    got += sub.fetch(1000 - got, Duration.ofSeconds(2)).size();
                }
                assertEquals(1000, got, "the first fetches fill max_ack_pending");
                Thread.sleep(6000);
            }
            // the drain: every node in turn, 100 per fetch, a double ack for each
            List<Connection> conns = new ArrayList<>();
            List<JetStreamSubscription> subs = new ArrayList<>();
            Set<String> seen = new TreeSet<>();
            try {
                for (int i = 0; i < c.size(); i++) {
                    Connection nc = ClusteredStreamProcessTest.connect(c.node(i));
                    conns.add(nc);
                    subs.add(nc.jetStream(JetStreamOptions.builder().requestTimeout(Duration.ofSeconds(5)).build())
                            .subscribe("q", PullSubscribeOptions.bind("Q", "readers")));
                }
                long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
                int expected = MSGS + MSGS / 500; // the barriers are messages too
                for (int i = 0; seen.size() < expected && System.nanoTime() < deadline; i++) {
                    for (Message m : subs.get(i % subs.size()).fetch(100, Duration.ofSeconds(1))) {
                        seen.add(m.metaData().streamSequence() + "");
                        try {
                            m.ackSync(Duration.ofSeconds(5));
                        } catch (Exception e) {
                            // not acked: it comes again
                        }
                    }
                }
                assertEquals(expected, seen.size(), "every message read; " + describe(c));
                try (Connection nc = ClusteredStreamProcessTest.connect(c.node(0))) {
                    long floor = 0;
                    long until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
                    while (floor < expected && System.nanoTime() < until) {
                        ConsumerInfo ci = nc.jetStreamManagement().getConsumerInfo("Q", "readers");
                        floor = ci.getAckFloor().getStreamSequence();
                        Thread.sleep(200);
                    }
                    assertEquals(expected, floor, "the ack floor reaches the last message; " + describe(c));
                }
                for (int i = 0; i < c.size(); i++) {
                    assertTrue(hasLeader(c, i), c.name(i) + " sees the stream's leader; " + describe(c));
                }
            } finally {
                for (Connection nc : conns) {
                    nc.close();
                }
            }
        }
    }

    /** Whether the stream's info asked on node {@code i} names a leader within 10 s. */
    private static boolean hasLeader(WeftCluster c, int i) throws Exception {
        long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        try (Connection nc = ClusteredStreamProcessTest.connect(c.node(i))) {
            while (System.nanoTime() < until) {
                var info = ClusteredStreamProcessTest.streamInfo(nc, "Q");
                if (info != null && !info.path("cluster").path("leader").asText("").isEmpty()) {
                    return true;
                }
                Thread.sleep(200);
            }
        }
        return false;
    }

    private static String describe(WeftCluster c) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < c.size(); i++) {
            try (Connection nc = ClusteredStreamProcessTest.connect(c.node(i))) {
                sb.append('\n').append(c.name(i)).append(": ").append(ClusteredStreamProcessTest.streamInfo(nc, "Q").path("cluster"));
                sb.append(" consumer ").append(ClusteredStreamProcessTest.request(nc, "$JS.API.CONSUMER.INFO.Q.readers", ""));
            } catch (Exception e) {
                sb.append('\n').append(c.name(i)).append(": ").append(e);
            }
        }
        return sb + ClusteredStreamProcessTest.logs(c);
    }
}
