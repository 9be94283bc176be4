package io.weft.server.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.JetStream;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.PullSubscribeOptions;
import io.nats.client.PushSubscribeOptions;
import io.nats.client.Subscription;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import static io.weft.server.it.Clients.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Consumer behaviour clients depend on, through jnats and raw pull requests: ordered consumers,
 * idle heartbeats, ack wait redelivery, the max-deliveries advisory, pull request status replies
 * (404/408/409), deliver groups and headers-only deliveries.
 */
class ConsumerBehaviourTest {
    static JsServer server;
    static Connection nc;
    static JetStreamManagement jsm;
    static JetStream js;
    static final AtomicInteger N = new AtomicInteger();
    static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void start() throws Exception {
        server = JsServer.start("");
        nc = Clients.connect(Clients.options(server.server).errorListener(new Clients.RecordingErrors()));
        jsm = nc.jetStreamManagement();
        js = nc.jetStream();
    }

    @AfterAll
    static void stop() throws Exception {
        if (nc != null) {
            nc.close();
        }
        if (server != null) {
            server.close();
        }
    }

    static String stream(int messages) throws Exception {
        String name = "CT" + N.incrementAndGet();
        jsm.addStream(StreamConfiguration.builder().name(name).subjects(name + ".>").storageType(StorageType.Memory).build());
        for (int i = 0; i < messages; i++) {
            js.publish(name + ".s" + (i % 2), ("m" + i).getBytes(StandardCharsets.UTF_8));
        }
        return name;
    }

    static String text(Message m) {
        return new String(m.getData(), StandardCharsets.UTF_8);
    }

    @Test
    void orderedConsumerDeliversEverythingInOrder() throws Exception {
        String name = stream(200);
        JetStreamSubscription sub = js.subscribe(name + ".>", PushSubscribeOptions.builder().ordered(true).build());
        for (int i = 0; i < 200; i++) {
            Message m = sub.nextMessage(Duration.ofSeconds(5));
            assertNotNull(m, "message " + i);
            assertEquals("m" + i, text(m));
            assertEquals(i + 1, m.metaData().streamSequence());
        }
        sub.unsubscribe();
    }

    @Test
    void idleHeartbeatsAndFlowControlOnPushConsumers() throws Exception {
        String name = stream(0);
        String deliver = "hb." + name;
        Subscription raw = nc.subscribe(deliver);
        nc.flush(Duration.ofSeconds(5));
        jsm.addOrUpdateConsumer(name, ConsumerConfiguration.builder().durable("hb").deliverSubject(deliver)
                .idleHeartbeat(Duration.ofMillis(200)).flowControl(Duration.ofMillis(200)).ackPolicy(AckPolicy.None).build());
        Message hb = raw.nextMessage(Duration.ofSeconds(5));
        assertNotNull(hb, "an idle heartbeat within 5 s");
        assertTrue(hb.isStatusMessage(), hb.toString());
        assertEquals(100, hb.getStatus().getCode());
        assertEquals("Idle Heartbeat", hb.getStatus().getMessage());
    }

    @Test
    void ackWaitRedeliversAndMaxDeliverAdvises() throws Exception {
        String name = stream(1);
        Subscription advisories = nc.subscribe("$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES." + name + ".*");
        nc.flush(Duration.ofSeconds(5));
        jsm.addOrUpdateConsumer(name, ConsumerConfiguration.builder().durable("slow").ackPolicy(AckPolicy.Explicit)
                .ackWait(Duration.ofMillis(400)).maxDeliver(2).build());
        JetStreamSubscription sub = js.subscribe(null, PullSubscribeOptions.bind(name, "slow"));
        List<Message> first = sub.fetch(1, Duration.ofSeconds(2));
        assertEquals(1, first.size());
        assertEquals(1, first.getFirst().metaData().deliveredCount());
        List<Message> second = new ArrayList<>();
        for (int i = 0; i < 10 && second.isEmpty(); i++) {
            second.addAll(sub.fetch(1, Duration.ofMillis(500)));
        }
        assertEquals(1, second.size(), "redelivered after ack_wait");
        assertEquals(1, second.getFirst().metaData().streamSequence());
        assertEquals(2, second.getFirst().metaData().deliveredCount());
        // the advisory is sent when the server next looks for work after ack_wait ran out again
        assertTrue(sub.fetch(1, Duration.ofMillis(900)).isEmpty(), "no third delivery");
        Message advisory = advisories.nextMessage(Duration.ofSeconds(5));
        assertNotNull(advisory, "max deliveries advisory");
        JsonNode a = JSON.readTree(advisory.getData());
        assertEquals("io.nats.jetstream.advisory.v1.max_deliver", a.get("type").asText());
        assertEquals(name, a.get("stream").asText());
        assertEquals("slow", a.get("consumer").asText());
        assertEquals(1, a.get("stream_seq").asLong());
        assertEquals(2, a.get("deliveries").asLong());
        assertEquals(1, jsm.getConsumerInfo(name, "slow").getRedelivered());
    }

    @Test
    void pullRequestStatusReplies() throws Exception {
        String name = stream(0);
        jsm.addOrUpdateConsumer(name, ConsumerConfiguration.builder().durable("p").ackPolicy(AckPolicy.Explicit)
                .maxPullWaiting(1).maxBatch(2).build());
        String next = "$JS.API.CONSUMER.MSG.NEXT." + name + ".p";
        Subscription inbox = nc.subscribe("pull." + name + ".>");
        nc.flush(Duration.ofSeconds(5));

        nc.publish(next, "pull." + name + ".1", "{\"batch\":1,\"no_wait\":true}".getBytes(StandardCharsets.UTF_8));
        assertStatus(inbox.nextMessage(Duration.ofSeconds(5)), 404, "No Messages");

        nc.publish(next, "pull." + name + ".2", "{\"batch\":5,\"expires\":1000000000}".getBytes(StandardCharsets.UTF_8));
        Message tooBig = inbox.nextMessage(Duration.ofSeconds(5));
        assertStatus(tooBig, 409, "Exceeded MaxRequestBatch of 2");

        nc.publish(next, "pull." + name + ".3", "{\"batch\":1,\"expires\":2000000000}".getBytes(StandardCharsets.UTF_8));
        nc.flush(Duration.ofSeconds(5));
        nc.publish(next, "pull." + name + ".4", "{\"batch\":1,\"expires\":2000000000}".getBytes(StandardCharsets.UTF_8));
        Message exceeded = inbox.nextMessage(Duration.ofSeconds(5));
        assertStatus(exceeded, 409, "Exceeded MaxWaiting");
        assertEquals("pull." + name + ".4", exceeded.getSubject());

        Message timeout = inbox.nextMessage(Duration.ofSeconds(5));
        assertStatus(timeout, 408, "Request Timeout");
        assertEquals("pull." + name + ".3", timeout.getSubject());

        // a waiting request is served by a later publish
        nc.publish(next, "pull." + name + ".5", "{\"batch\":1,\"expires\":3000000000}".getBytes(StandardCharsets.UTF_8));
        nc.flush(Duration.ofSeconds(5));
        js.publish(name + ".late", "late".getBytes(StandardCharsets.UTF_8));
        Message late = inbox.nextMessage(Duration.ofSeconds(5));
        assertNotNull(late);
        assertEquals(name + ".late", late.getSubject());
        assertEquals("late", text(late));
        assertTrue(late.getReplyTo().startsWith("$JS.ACK." + name + ".p.1.1.1."), late.getReplyTo());
    }

    private static void assertStatus(Message m, int code, String text) {
        assertNotNull(m, "expected a " + code + " status");
        assertTrue(m.isStatusMessage(), "status message expected, got " + m);
        assertEquals(code, m.getStatus().getCode(), m.getStatus().toString());
        assertEquals(text, m.getStatus().getMessage());
    }

    @Test
    void deliverGroupSharesMessagesAndHeadersOnlyCarriesSize() throws Exception {
        String name = stream(40);
        Set<String> got = ConcurrentHashMap.newKeySet();
        AtomicInteger deliveries = new AtomicInteger();
        Dispatcher d = nc.createDispatcher();
        PushSubscribeOptions opts = PushSubscribeOptions.builder().durable("grp").deliverGroup("workers")
                .configuration(ConsumerConfiguration.builder().ackPolicy(AckPolicy.None).build()).build();
        js.subscribe(name + ".>", "workers", d, m -> {
            got.add(text(m));
            deliveries.incrementAndGet();
        }, false, opts);
        js.subscribe(name + ".>", "workers", d, m -> {
            got.add(text(m));
            deliveries.incrementAndGet();
        }, false, opts);
        assertTrue(await(() -> got.size() == 40), "all 40 delivered, got " + got.size());
        Clients.settle();
        assertEquals(40, deliveries.get(), "each message once across the group");

        String deliver = "ho." + name;
        Subscription raw = nc.subscribe(deliver);
        nc.flush(Duration.ofSeconds(5));
        jsm.addOrUpdateConsumer(name, ConsumerConfiguration.builder().durable("ho").deliverSubject(deliver)
                .headersOnly(true).ackPolicy(AckPolicy.None).filterSubject(name + ".s1").build());
        Message m = raw.nextMessage(Duration.ofSeconds(5));
        assertNotNull(m);
        assertEquals(0, m.getData().length);
        assertEquals("2", m.getHeaders().getFirst("Nats-Msg-Size"), "size of \"m1\"");
        assertEquals(name + ".s1", m.getSubject());
    }
}
