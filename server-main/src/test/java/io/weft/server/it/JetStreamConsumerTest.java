package io.weft.server.it;

import static io.weft.server.it.Clients.connect;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nats.client.Connection;
import io.nats.client.ConsumerContext;
import io.nats.client.FetchConsumer;
import io.nats.client.IterableConsumer;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.MessageConsumer;
import io.nats.client.OrderedConsumerContext;
import io.nats.client.PullSubscribeOptions;
import io.nats.client.PushSubscribeOptions;
import io.nats.client.StreamContext;
import io.nats.client.Subscription;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.ConsumerInfo;
import io.nats.client.api.DeliverPolicy;
import io.nats.client.api.OrderedConsumerConfiguration;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Consumers through jnats against a real server started with {@code -js}. */
class JetStreamConsumerTest {
    static TestServer server;
    static Path storeDir;

    @BeforeAll
    static void startServer() throws Exception {
        storeDir = Files.createTempDirectory("weft-jsc-");
        server = TestServers.start("", "-js", "-sd", storeDir.toString());
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(Message m) {
        return new String(m.getData(), StandardCharsets.UTF_8);
    }

    private static void stream(JetStreamManagement jsm, String name, StorageType storage, String... subjects) throws Exception {
        jsm.addStream(StreamConfiguration.builder().name(name).subjects(subjects).storageType(storage).build());
    }

    private static void publish(JetStream js, String subject, int n) throws Exception {
        for (int i = 1; i <= n; i++) {
            js.publish(subject, bytes("m" + i));
        }
    }

    @Test
    void pushDurableWithAcks() throws Exception {
        try (Connection nc = connect(server)) {
            JetStreamManagement jsm = nc.jetStreamManagement();
            JetStream js = nc.jetStream();
            stream(jsm, "PUSH", StorageType.Memory, "push.>");
            publish(js, "push.a", 3);
            JetStreamSubscription sub = js.subscribe("push.a", PushSubscribeOptions.builder().durable("pd")
                    .configuration(ConsumerConfiguration.builder().ackPolicy(AckPolicy.Explicit).build()).build());
            List<Message> got = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                Message m = sub.nextMessage(Duration.ofSeconds(5));
                assertNotNull(m, "message " + i);
                got.add(m);
            }
            assertEquals("m1", text(got.get(0)));
            assertEquals(1, got.get(0).metaData().streamSequence());
            assertEquals(2, got.get(0).metaData().pendingCount());
            got.get(0).ack();
            got.get(1).ackSync(Duration.ofSeconds(5));
            got.get(2).term();
            Clients.await(() -> info(jsm, "PUSH", "pd").getNumAckPending() == 0);
            ConsumerInfo ci = info(jsm, "PUSH", "pd");
            assertEquals(0, ci.getNumAckPending());
            assertEquals(3, ci.getAckFloor().getStreamSequence());
            assertEquals(3, ci.getDelivered().getConsumerSequence());
        }
    }

    private static ConsumerInfo info(JetStreamManagement jsm, String stream, String consumer) {
        try {
            return jsm.getConsumerInfo(stream, consumer);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void nakRedeliversAndMaxDeliverAdvisory() throws Exception {
        try (Connection nc = connect(server)) {
            JetStreamManagement jsm = nc.jetStreamManagement();
            JetStream js = nc.jetStream();
            stream(jsm, "REDO", StorageType.Memory, "redo.>");
            Subscription adv = nc.subscribe("$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.REDO.>");
            nc.flush(Duration.ofSeconds(2));
            js.publish("redo.a", bytes("x"));
            JetStreamSubscription sub = js.subscribe("redo.a", PushSubscribeOptions.builder().durable("rd")
                    .configuration(ConsumerConfiguration.builder().ackPolicy(AckPolicy.Explicit)
                            .ackWait(Duration.ofMillis(300)).maxDeliver(3).build()).build());
            Message first = sub.nextMessage(Duration.ofSeconds(5));
            first.nak();
            Message second = sub.nextMessage(Duration.ofSeconds(5));
            assertEquals(2, second.metaData().deliveredCount());
            Message third = sub.nextMessage(Duration.ofSeconds(5)); // after ack_wait
            assertEquals(3, third.metaData().deliveredCount());
            Message a = adv.nextMessage(Duration.ofSeconds(5));
            assertNotNull(a, "max deliveries advisory");
            assertTrue(new String(a.getData()).contains("\"deliveries\":3"), new String(a.getData()));
            assertNull(sub.nextMessage(Duration.ofMillis(600)), "no fourth delivery");
            assertEquals(1, info(jsm, "REDO", "rd").getDelivered().getStreamSequence());
        }
    }

    @Test
    void pullFetchIterateConsume() throws Exception {
        try (Connection nc = connect(server)) {
            JetStreamManagement jsm = nc.jetStreamManagement();
            JetStream js = nc.jetStream();
            stream(jsm, "PULL", StorageType.File, "pull.>");
            publish(js, "pull.a", 20);
            JetStreamSubscription sub = js.subscribe("pull.a", PullSubscribeOptions.builder().durable("old").build());
            List<Message> batch = sub.fetch(5, Duration.ofSeconds(2));
            assertEquals(5, batch.size());
            batch.forEach(Message::ack);

            StreamContext sc = nc.getStreamContext("PULL");
            ConsumerContext cc = sc.createOrUpdateConsumer(ConsumerConfiguration.builder().durable("simple")
                    .ackPolicy(AckPolicy.Explicit).build());
            int n = 0;
            try (FetchConsumer fc = cc.fetchMessages(7)) {
                Message m;
                while ((m = fc.nextMessage()) != null) {
                    m.ack();
                    n++;
                }
            }
            assertEquals(7, n);
            try (IterableConsumer it = cc.iterate()) {
                for (int i = 8; i <= 12; i++) {
                    Message m = it.nextMessage(Duration.ofSeconds(5));
                    assertNotNull(m);
                    assertEquals("m" + i, text(m));
                    m.ack();
                }
            }
            // iterate() prefetches past what it returned; consume with its own consumer from sequence 13
            ConsumerContext c2 = sc.createOrUpdateConsumer(ConsumerConfiguration.builder().durable("second")
                    .deliverPolicy(DeliverPolicy.ByStartSequence).startSequence(13).ackPolicy(AckPolicy.Explicit).build());
            List<String> seen = new CopyOnWriteArrayList<>();
            MessageConsumer mc = c2.consume(m -> {
                seen.add(text(m));
                m.ack();
            });
            assertTrue(Clients.await(() -> seen.size() >= 8), "consume got " + seen);
            mc.stop();
            assertEquals("m13", seen.get(0));
            ConsumerInfo ci = info(jsm, "PULL", "second");
            assertEquals(20, ci.getDelivered().getStreamSequence());
            assertEquals(0, ci.getNumPending());
            // an empty fetch comes back without messages (no_wait/expires status handled by jnats)
            try (FetchConsumer fc = c2.fetch(io.nats.client.FetchConsumeOptions.builder().maxMessages(3).expiresIn(1000).build())) {
                assertNull(fc.nextMessage());
            }
        }
    }

    @Test
    void orderedConsumerAndFilters() throws Exception {
        try (Connection nc = connect(server)) {
            JetStreamManagement jsm = nc.jetStreamManagement();
            JetStream js = nc.jetStream();
            stream(jsm, "ORD", StorageType.Memory, "ord.>");
            for (int i = 0; i < 30; i++) {
                js.publish("ord." + (i % 3), bytes("v" + i));
            }
            StreamContext sc = nc.getStreamContext("ORD");
            OrderedConsumerContext oc = sc.createOrderedConsumer(new OrderedConsumerConfiguration().filterSubject("ord.1"));
            List<String> got = new ArrayList<>();
            try (IterableConsumer it = oc.iterate()) {
                for (int i = 0; i < 10; i++) {
                    Message m = it.nextMessage(Duration.ofSeconds(5));
                    assertNotNull(m);
                    got.add(text(m));
                }
            }
            assertEquals("v1", got.get(0));
            assertEquals("v28", got.get(9));

            JetStreamSubscription ordered = js.subscribe("ord.>", PushSubscribeOptions.builder().ordered(true).build());
            for (int i = 0; i < 30; i++) {
                Message m = ordered.nextMessage(Duration.ofSeconds(5));
                assertNotNull(m, "ordered push " + i);
                assertEquals(i + 1, m.metaData().streamSequence());
            }
            ordered.unsubscribe();

            ConsumerContext multi = sc.createOrUpdateConsumer(ConsumerConfiguration.builder().name("multi")
                    .filterSubjects("ord.0", "ord.2").build());
            int count = 0;
            try (FetchConsumer fc = multi.fetch(io.nats.client.FetchConsumeOptions.builder().maxMessages(100).expiresIn(1000).build())) {
                Message m;
                while ((m = fc.nextMessage()) != null) {
                    assertTrue(!m.getSubject().equals("ord.1"));
                    count++;
                }
            }
            assertEquals(20, count);
        }
    }

    @Test
    void deliverPolicies() throws Exception {
        try (Connection nc = connect(server)) {
            JetStreamManagement jsm = nc.jetStreamManagement();
            JetStream js = nc.jetStream();
            stream(jsm, "POL", StorageType.Memory, "pol.>");
            js.publish("pol.a", bytes("a1"));
            js.publish("pol.b", bytes("b1"));
            js.publish("pol.a", bytes("a2"));
            StreamContext sc = nc.getStreamContext("POL");
            assertEquals("a2", text(sc.createOrUpdateConsumer(ConsumerConfiguration.builder().name("last")
                    .deliverPolicy(DeliverPolicy.Last).build()).next(Duration.ofSeconds(2))));
            assertEquals("b1", text(sc.createOrUpdateConsumer(ConsumerConfiguration.builder().name("seq")
                    .deliverPolicy(DeliverPolicy.ByStartSequence).startSequence(2).build()).next(Duration.ofSeconds(2))));
            ConsumerContext lps = sc.createOrUpdateConsumer(ConsumerConfiguration.builder().name("lps")
                    .deliverPolicy(DeliverPolicy.LastPerSubject).filterSubject("pol.>").build());
            assertEquals("b1", text(lps.next(Duration.ofSeconds(2))));
            assertEquals("a2", text(lps.next(Duration.ofSeconds(2))));
            ConsumerContext fresh = sc.createOrUpdateConsumer(ConsumerConfiguration.builder().name("new")
                    .deliverPolicy(DeliverPolicy.New).build());
            js.publish("pol.c", bytes("c1"));
            assertEquals("c1", text(fresh.next(Duration.ofSeconds(2))));
            JetStreamApiException e = assertThrows(JetStreamApiException.class, () -> sc.createOrUpdateConsumer(
                    ConsumerConfiguration.builder().name("lps").deliverPolicy(DeliverPolicy.All).filterSubject("pol.>").build()));
            assertEquals(10012, e.getApiErrorCode());
        }
    }

    @Test
    void durableSurvivesRestart() throws Exception {
        Path dir = Files.createTempDirectory("weft-jsc-restart-");
        TestServer s1 = TestServers.start("", "-js", "-sd", dir.toString());
        try (Connection nc = connect(s1)) {
            JetStreamManagement jsm = nc.jetStreamManagement();
            JetStream js = nc.jetStream();
            stream(jsm, "DUR", StorageType.File, "dur.>");
            publish(js, "dur.a", 10);
            JetStreamSubscription sub = js.subscribe("dur.a", PullSubscribeOptions.builder().durable("keep").build());
            List<Message> got = sub.fetch(4, Duration.ofSeconds(2));
            assertEquals(4, got.size());
            for (Message m : got) {
                m.ackSync(Duration.ofSeconds(5));
            }
        } finally {
            s1.close();
        }
        TestServer s2 = TestServers.start("", "-js", "-sd", dir.toString());
        try (Connection nc = connect(s2)) {
            JetStreamManagement jsm = nc.jetStreamManagement();
            ConsumerInfo ci = jsm.getConsumerInfo("DUR", "keep");
            assertEquals(4, ci.getAckFloor().getStreamSequence());
            assertEquals(6, ci.getNumPending());
            ConsumerContext cc = nc.getStreamContext("DUR").getConsumerContext("keep");
            Message m = cc.next(Duration.ofSeconds(3));
            assertEquals("m5", text(m));
        } finally {
            s2.close();
        }
    }

    @Test
    void keyValueWatchKeysAndHistoryUseConsumers() throws Exception {
        try (Connection nc = connect(server)) {
            io.nats.client.KeyValueManagement kvm = nc.keyValueManagement();
            kvm.create(io.nats.client.api.KeyValueConfiguration.builder().name("kvc").maxHistoryPerKey(5)
                    .storageType(StorageType.Memory).build());
            io.nats.client.KeyValue kv = nc.keyValue("kvc");
            kv.put("a", bytes("1"));
            kv.put("b", bytes("2"));
            kv.put("a", bytes("3"));
            assertEquals(List.of("a", "b"), kv.keys().stream().sorted().toList());
            assertEquals(2, kv.history("a").size());
            List<String> watched = new CopyOnWriteArrayList<>();
            io.nats.client.api.KeyValueWatcher w = new io.nats.client.api.KeyValueWatcher() {
                @Override
                public void watch(io.nats.client.api.KeyValueEntry e) {
                    watched.add(e.getKey() + "=" + (e.getValue() == null ? "" : new String(e.getValue())));
                }

                @Override
                public void endOfData() {
                    watched.add("EOD");
                }
            };
            io.nats.client.impl.NatsKeyValueWatchSubscription sub = kv.watchAll(w);
            assertTrue(Clients.await(() -> watched.contains("EOD")), "end of data: " + watched);
            assertEquals(List.of("b=2", "a=3", "EOD"), watched);
            kv.put("c", bytes("4"));
            kv.delete("b");
            assertTrue(Clients.await(() -> watched.size() >= 5), "live updates: " + watched);
            assertEquals("c=4", watched.get(3));
            assertEquals("b=", watched.get(4));
            sub.unsubscribe();
        }
    }

    @Test
    void objectStoreReadGoesThroughFlowControl() throws Exception {
        try (Connection nc = connect(server)) {
            nc.objectStoreManagement().create(io.nats.client.api.ObjectStoreConfiguration.builder("objc")
                    .storageType(StorageType.Memory).build());
            io.nats.client.ObjectStore os = nc.objectStore("objc");
            byte[] data = new byte[5 * 1024 * 1024];
            new java.util.Random(7).nextBytes(data);
            os.put("blob", new java.io.ByteArrayInputStream(data));
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            os.get("blob", out);
            assertTrue(java.util.Arrays.equals(data, out.toByteArray()), "5 MB read back intact (flow control answered)");
        }
    }

    @Test
    void workQueueAcksRemoveMessagesAndEphemeralsExpire() throws Exception {
        try (Connection nc = connect(server)) {
            JetStreamManagement jsm = nc.jetStreamManagement();
            JetStream js = nc.jetStream();
            jsm.addStream(StreamConfiguration.builder().name("WQ").subjects("wq.>").storageType(StorageType.File)
                    .retentionPolicy(io.nats.client.api.RetentionPolicy.WorkQueue).build());
            publish(js, "wq.job", 5);
            ConsumerContext cc = nc.getStreamContext("WQ").createOrUpdateConsumer(ConsumerConfiguration.builder()
                    .durable("worker").ackPolicy(AckPolicy.Explicit).build());
            try (FetchConsumer fc = cc.fetchBytes(60)) {
                Message m;
                int n = 0;
                while ((m = fc.nextMessage()) != null) {
                    m.ackSync(Duration.ofSeconds(5));
                    n++;
                }
                assertTrue(n >= 1 && n < 5, "max_bytes limits the batch: " + n);
            }
            assertTrue(Clients.await(() -> {
                try {
                    return jsm.getStreamInfo("WQ").getStreamState().getMsgCount() < 5;
                } catch (Exception e) {
                    return false;
                }
            }), "acknowledged work is removed from the stream");

            stream(jsm, "EPH", StorageType.Memory, "eph.>");
            JetStreamSubscription eph = js.subscribe("eph.a", PushSubscribeOptions.builder()
                    .configuration(ConsumerConfiguration.builder().ackPolicy(AckPolicy.Explicit)
                            .inactiveThreshold(Duration.ofMillis(300)).build()).build());
            String name = eph.getConsumerInfo().getName();
            eph.unsubscribe();
            assertTrue(Clients.await(() -> {
                try {
                    jsm.getConsumerInfo("EPH", name);
                    return false;
                } catch (JetStreamApiException e) {
                    return e.getApiErrorCode() == 10014;
                } catch (Exception e) {
                    return false;
                }
            }), "an ephemeral without interest is deleted after its inactive threshold");
        }
    }
}
