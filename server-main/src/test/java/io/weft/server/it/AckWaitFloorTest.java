package io.weft.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.Subscription;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.ConsumerInfo;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Issue 18, item 2: an ack wait of -1 or 1 ns once made weft redeliver one message 842,978 times
 * in 3 s. Now, as nats-server 2.15.1: a negative ack wait is refused (10183), and the smallest one
 * it accepts (1 ns) redelivers at most about once a millisecond. Both servers are driven the same
 * way with jnats and a raw request; deliveries of one never-acked message are counted over a 2 s
 * window and must stay under one per millisecond, a bound the storm exceeded by two orders of
 * magnitude (about 560,000 in 2 s). No timing of speed is asserted.
 */
class AckWaitFloorTest {
    static final Duration WINDOW = Duration.ofSeconds(2);
    /** One delivery per millisecond of the window, plus the first delivery. */
    static final long BOUND = WINDOW.toMillis() + 1;

    @Test
    void weftRefusesNegativeAckWaitsAndPacesTheSmallest() throws Exception {
        try (JsServer weft = JsServer.start(TestServers.Target.WEFT, "")) {
            check(weft.url(), weft.port(), "weft");
        }
    }

    @Test
    void natsServer215DoesTheSame() throws Exception {
        try (JsServer ns = JsServer.start(TestServers.Target.NATS_NEWEST, "")) {
            check(ns.url(), ns.port(), "nats-server 2.15.1");
        }
    }

    private static void check(String url, int port, String who) throws Exception {
        try (JsApiExchange x = JsApiExchange.open(port)) {
            x.request("$JS.API.STREAM.CREATE.AW", null, "{\"name\":\"AW\",\"subjects\":[\"aw.>\"],\"storage\":\"memory\"}",
                    Duration.ofSeconds(5));
            for (String ackWait : new String[] {"-1", "-1000000000"}) {
                JsApiExchange.Reply r = x.request("$JS.API.CONSUMER.CREATE.AW", null, "{\"stream_name\":\"AW\",\"config\":"
                        + "{\"ack_policy\":\"explicit\",\"ack_wait\":" + ackWait + ",\"deliver_subject\":\"aw.none\"}}",
                        Duration.ofSeconds(5));
                assertNotNull(r, who + ": no reply");
                JsonNode err = new ObjectMapper().readTree(r.payload()).path("error");
                assertEquals(10183, err.path("err_code").asInt(), who + " ack_wait " + ackWait + ": " + r.payloadText());
                assertEquals(400, err.path("code").asInt(), who + ": " + r.payloadText());
                assertEquals("consumer ack wait needs to be positive", err.path("description").asText(), who);
            }
        }
        try (Connection nc = Nats.connect(Options.builder().server(url).connectionTimeout(Duration.ofSeconds(5))
                .noReconnect().build())) {
            JetStreamManagement jsm = nc.jetStreamManagement();
            jsm.addStream(StreamConfiguration.builder().name("AW1").subjects("aw1.>").storageType(StorageType.Memory).build());
            nc.jetStream().publish("aw1.x", "once".getBytes(StandardCharsets.UTF_8));
            Subscription sub = nc.subscribe("awd.deliver");
            nc.flush(Duration.ofSeconds(5));
            ConsumerInfo ci = jsm.addOrUpdateConsumer("AW1", ConsumerConfiguration.builder().durable("tiny")
                    .ackPolicy(AckPolicy.Explicit).ackWait(Duration.ofNanos(1)).deliverSubject("awd.deliver").build());
            assertEquals(Duration.ofNanos(1), ci.getConsumerConfiguration().getAckWait(), who + " keeps the 1 ns ack wait");
            long deliveries = 0;
            long end = System.nanoTime() + WINDOW.toNanos();
            while (System.nanoTime() < end && deliveries <= 100 * BOUND) {
                if (sub.nextMessage(Duration.ofMillis(50)) != null) {
                    deliveries++;
                }
            }
            assertTrue(deliveries >= 2, who + ": the never-acked message is redelivered (" + deliveries + ")");
            assertTrue(deliveries <= BOUND, who + ": " + deliveries + " deliveries of one message in " + WINDOW
                    + ", more than one per millisecond");
        } catch (JetStreamApiException e) {
            throw new AssertionError(who + ": " + e, e);
        }
    }
}
