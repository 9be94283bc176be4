package io.weft.server.it;

import static io.weft.server.it.ClusterDiscoveryTest.awaitPeers;
import static io.weft.server.it.ClusterTest.UP;
import static io.weft.server.it.ClusterTest.connect;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nats.client.Connection;
import io.nats.client.JetStreamManagement;
import io.nats.client.Message;
import io.nats.client.Subscription;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.api.StorageType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A weft node with JetStream in a cluster with a node without it (nats-server 2.15.1, or weft):
 * as nats-server 2.15.1 does (checked with two nats-servers), a push consumer's delivery to a
 * subscriber on the other node shows the stored message's own subject with the {@code $JS.ACK}
 * reply, the subscriber's ack travels back and is counted, and a publish on the other node reaches
 * the stream (its subjects are announced over the route; the API handlers are not).
 */
class ClusterJetStreamTest {
    @Test
    void pushDeliveryToANatsServerNode() throws Exception {
        crossNodePushConsumer(TestServers.Target.NATS_NEWEST);
    }

    @Test
    void pushDeliveryToAWeftNode() throws Exception {
        crossNodePushConsumer(TestServers.Target.WEFT);
    }

    private static void crossNodePushConsumer(TestServers.Target other) throws Exception {
        int[] cp = TestServers.freePorts(2);
        Path dir = Files.createTempDirectory("weft-cluster-js-");
        String conf = "server_name: J\njetstream { store_dir: \"" + dir + "\" }\n"
                + "cluster {\n  name: weft-test\n  listen: \"127.0.0.1:" + cp[0] + "\"\n}\n";
        String extra = other.isNats() ? "  pool_size: -1\n" : "";
        try (TestServer js = TestServers.start(TestServers.Target.WEFT, conf);
             TestServer plain = ClusterDiscoveryTest.node(other, "P", cp[1], extra, cp[0])) {
            awaitPeers(js, 1);
            awaitPeers(plain, 1);
            try (Connection onJs = connect(js); Connection onPlain = connect(plain)) {
                JetStreamManagement jsm = onJs.jetStreamManagement();
                jsm.addStream(StreamConfiguration.builder().name("S").subjects("orders.*")
                        .storageType(StorageType.Memory).build());
                Subscription dlv = onPlain.subscribe("dlv");
                onPlain.flush(Duration.ofSeconds(2));
                // the stream's subjects reach the plain node: a publish there is stored
                long deadline = System.nanoTime() + UP.toNanos();
                while (jsm.getStreamInfo("S").getStreamState().getMsgCount() == 0 && System.nanoTime() < deadline) {
                    onPlain.publish("orders.probe", "p".getBytes(StandardCharsets.UTF_8));
                    onPlain.flush(Duration.ofSeconds(2));
                    Thread.sleep(100);
                }
                long stored = jsm.getStreamInfo("S").getStreamState().getMsgCount();
                assertTrue(stored >= 1, "a publish on the plain node never reached the stream");
                // the deliver subject's interest is on the plain node; wait until the JetStream node sees it
                ClusterTest.awaitInterest(onJs, dlv, "dlv");
                jsm.addOrUpdateConsumer("S", ConsumerConfiguration.builder().durable("C").deliverSubject("dlv")
                        .ackPolicy(AckPolicy.Explicit).ackWait(Duration.ofSeconds(30)).build());
                onJs.publish("orders.new", "hello".getBytes(StandardCharsets.UTF_8));
                onJs.flush(Duration.ofSeconds(2));
                Message last = null;
                List<Message> got = new java.util.ArrayList<>();
                for (Message m = dlv.nextMessage(Duration.ofSeconds(5)); m != null; m = dlv.nextMessage(Duration.ofMillis(500))) {
                    got.add(m);
                    last = m;
                }
                assertNotNull(last, "nothing delivered across the route");
                assertEquals(stored + 1, got.size(), got.toString());
                for (Message m : got) {
                    assertTrue(m.getReplyTo().startsWith("$JS.ACK.S.C."), m.getReplyTo());
                    assertTrue(m.getReplyTo().indexOf('@') < 0, m.getReplyTo());
                    m.ack();
                }
                assertEquals("orders.new", last.getSubject());
                assertEquals("hello", new String(last.getData(), StandardCharsets.UTF_8));
                onPlain.flush(Duration.ofSeconds(2));
                // the acks crossed back: nothing pending
                deadline = System.nanoTime() + UP.toNanos();
                long pending = -1;
                while (System.nanoTime() < deadline) {
                    pending = jsm.getConsumerInfo("S", "C").getNumAckPending();
                    if (pending == 0) {
                        break;
                    }
                    Thread.sleep(100);
                }
                assertEquals(0, pending);
            }
        }
    }
}
