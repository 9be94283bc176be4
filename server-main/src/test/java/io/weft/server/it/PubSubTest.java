package io.weft.server.it;

import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.JetStreamStatusException;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Subscription;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static io.weft.server.it.Clients.WAIT;
import static io.weft.server.it.Clients.await;
import static io.weft.server.it.Clients.connect;
import static io.weft.server.it.Clients.options;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Core messaging through jnats against one server without auth. */
class PubSubTest {
    static TestServer server;

    @BeforeAll
    static void startServer() {
        server = TestServers.start("max_payload: 65536\n");
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

    @Test
    void publishAndSubscribeDeliversPayloadSubjectAndOrder() throws Exception {
        try (Connection sub = connect(server); Connection pub = connect(server)) {
            Subscription s = sub.subscribe("ps.basic");
            sub.flush(WAIT);
            for (int i = 0; i < 50; i++) {
                pub.publish("ps.basic", bytes("m" + i));
            }
            pub.flush(WAIT);
            for (int i = 0; i < 50; i++) {
                Message m = s.nextMessage(WAIT);
                assertNotNull(m, "message " + i);
                assertEquals("ps.basic", m.getSubject());
                assertEquals("m" + i, text(m));
            }
            assertNull(s.nextMessage(Duration.ofMillis(100)));
            // a subscriber does not see other subjects
            pub.publish("ps.basic.other", bytes("x"));
            pub.publish("ps.basicx", bytes("x"));
            pub.flush(WAIT);
            assertNull(s.nextMessage(Duration.ofMillis(150)));
        }
    }

    @Test
    void emptyPayloadAndReplyToAreDelivered() throws Exception {
        try (Connection nc = connect(server)) {
            Subscription s = nc.subscribe("ps.empty");
            nc.flush(WAIT);
            nc.publish("ps.empty", "ps.reply.here", new byte[0]);
            Message m = s.nextMessage(WAIT);
            assertNotNull(m);
            assertEquals(0, m.getData().length);
            assertEquals("ps.reply.here", m.getReplyTo());
        }
    }

    @Test
    void wildcardStarMatchesExactlyOneToken() throws Exception {
        try (Connection nc = connect(server)) {
            Subscription s = nc.subscribe("wc.*.b");
            nc.flush(WAIT);
            for (String subj : List.of("wc.x.b", "wc.b", "wc.x.y.b", "wc.x.b.c", "wc.yy.b", "wc..b".replace("..", ".z."))) {
                nc.publish(subj, bytes(subj));
            }
            nc.flush(WAIT);
            List<String> got = drain(s);
            assertEquals(List.of("wc.x.b", "wc.yy.b", "wc.z.b"), got);
        }
    }

    @Test
    void wildcardGreaterThanMatchesOneOrMoreTrailingTokens() throws Exception {
        try (Connection nc = connect(server)) {
            Subscription s = nc.subscribe("fwc.a.>");
            Subscription all = nc.subscribe(">");
            nc.flush(WAIT);
            for (String subj : List.of("fwc.a", "fwc.a.b", "fwc.a.b.c.d", "fwc.b.c", "fwc.ab.c")) {
                nc.publish(subj, bytes(subj));
            }
            nc.flush(WAIT);
            assertEquals(List.of("fwc.a.b", "fwc.a.b.c.d"), drain(s));
            List<String> everything = drain(all);
            assertTrue(everything.containsAll(List.of("fwc.a", "fwc.a.b", "fwc.a.b.c.d", "fwc.b.c", "fwc.ab.c")), everything.toString());
            all.unsubscribe();
        }
    }

    @Test
    void overlappingSubscriptionsOnOneConnectionEachGetACopy() throws Exception {
        try (Connection nc = connect(server)) {
            Subscription a = nc.subscribe("ov.x");
            Subscription b = nc.subscribe("ov.*");
            Subscription c = nc.subscribe("ov.>");
            nc.flush(WAIT);
            nc.publish("ov.x", bytes("1"));
            nc.flush(WAIT);
            assertEquals(List.of("1"), drain(a));
            assertEquals(List.of("1"), drain(b));
            assertEquals(List.of("1"), drain(c));
        }
    }

    /** Collects what arrives within a short window, as the payload strings. */
    private static List<String> drain(Subscription s) throws InterruptedException {
        List<String> out = new ArrayList<>();
        Message m;
        while ((m = s.nextMessage(Duration.ofMillis(200))) != null) {
            out.add(text(m));
        }
        return out;
    }

    @Test
    void queueGroupSpreadsMessagesOverMembersWithoutDuplicates() throws Exception {
        int total = 300;
        List<Connection> members = new ArrayList<>();
        try (Connection pub = connect(server)) {
            List<Set<String>> seen = new ArrayList<>();
            AtomicInteger delivered = new AtomicInteger();
            AtomicInteger plain = new AtomicInteger();
            for (int i = 0; i < 3; i++) {
                Connection c = connect(server);
                members.add(c);
                Set<String> mine = ConcurrentHashMap.newKeySet();
                seen.add(mine);
                Dispatcher d = c.createDispatcher(m -> {
                    mine.add(text(m));
                    delivered.incrementAndGet();
                });
                d.subscribe("qg.work", "workers");
                c.flush(WAIT);
            }
            // a plain subscriber on the same subject still sees every message
            Dispatcher pd = pub.createDispatcher(m -> plain.incrementAndGet());
            pd.subscribe("qg.work");
            pub.flush(WAIT);
            for (int i = 0; i < total; i++) {
                pub.publish("qg.work", bytes("job-" + i));
            }
            pub.flush(WAIT);
            assertTrue(await(() -> delivered.get() >= total && plain.get() >= total),
                    "queue got " + delivered.get() + ", plain got " + plain.get());
            Clients.settle();
            assertEquals(total, delivered.get(), "each message goes to exactly one queue member");
            assertEquals(total, plain.get());
            Set<String> union = new HashSet<>();
            int sum = 0;
            for (Set<String> mine : seen) {
                assertFalse(mine.isEmpty(), "every member gets some messages: " + sizes(seen));
                sum += mine.size();
                union.addAll(mine);
            }
            assertEquals(total, sum, "no duplicates across members");
            assertEquals(total, union.size());
        } finally {
            for (Connection c : members) {
                c.close();
            }
        }
    }

    private static List<Integer> sizes(List<Set<String>> seen) {
        return seen.stream().map(Set::size).toList();
    }

    @Test
    void requestReplyWithDispatcherResponder() throws Exception {
        try (Connection responder = connect(server); Connection requester = connect(server)) {
            Dispatcher d = responder.createDispatcher(m -> responder.publish(m.getReplyTo(), bytes("echo:" + text(m))));
            d.subscribe("rr.echo");
            responder.flush(WAIT);
            for (int i = 0; i < 20; i++) {
                Message reply = requester.request("rr.echo", bytes("q" + i), WAIT);
                assertNotNull(reply, "reply " + i);
                assertEquals("echo:q" + i, text(reply));
            }
            CompletableFuture<Message> f = requester.request("rr.echo", bytes("async"));
            assertEquals("echo:async", text(f.get(10, TimeUnit.SECONDS)));
        }
    }

    @Test
    void requestReplyWithHandWrittenInboxAndSyncResponder() throws Exception {
        try (Connection responder = connect(server); Connection requester = connect(server)) {
            Subscription service = responder.subscribe("rr.sync");
            responder.flush(WAIT);
            String inbox = requester.createInbox();
            Subscription replies = requester.subscribe(inbox);
            requester.flush(WAIT);
            requester.publish("rr.sync", inbox, bytes("ping"));
            Message req = service.nextMessage(WAIT);
            assertNotNull(req);
            assertEquals(inbox, req.getReplyTo());
            responder.publish(req.getReplyTo(), bytes("pong"));
            Message rep = replies.nextMessage(WAIT);
            assertNotNull(rep);
            assertEquals("pong", text(rep));
        }
    }

    @Test
    void headersRoundTrip() throws Exception {
        try (Connection nc = connect(server)) {
            assertTrue(nc.getServerInfo().isHeadersSupported());
            Subscription s = nc.subscribe("hdr.x");
            nc.flush(WAIT);
            Headers h = new Headers();
            h.add("X-One", "1");
            h.add("X-Multi", "a", "b");
            h.add("Trace-Id", "abc-123");
            nc.publish(NatsMessage.builder().subject("hdr.x").headers(h).data(bytes("body")).build());
            nc.publish(NatsMessage.builder().subject("hdr.x").headers(h).data(new byte[0]).build());
            Message m = s.nextMessage(WAIT);
            assertNotNull(m);
            assertTrue(m.hasHeaders());
            assertEquals("body", text(m));
            assertEquals(List.of("1"), m.getHeaders().get("X-One"));
            assertEquals(List.of("a", "b"), m.getHeaders().get("X-Multi"));
            assertEquals(List.of("abc-123"), m.getHeaders().get("Trace-Id"));
            Message empty = s.nextMessage(WAIT);
            assertNotNull(empty);
            assertArrayEquals(new byte[0], empty.getData());
            assertEquals(List.of("abc-123"), empty.getHeaders().get("Trace-Id"));
        }
    }

    @Test
    void requestWithoutRespondersFailsFastWithNoResponders() throws Exception {
        try (Connection nc = connect(server)) {
            long start = System.nanoTime();
            CompletableFuture<Message> f = nc.request("nr.nobody", bytes("hello"));
            // jnats (default options) cancels the future when the server answers 503 no responders
            assertThrows(CancellationException.class, () -> f.get(10, TimeUnit.SECONDS));
            assertTrue(f.isCancelled());
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5), "503 arrives before any timeout");
        }
        try (Connection nc = connect(options(server).reportNoResponders())) {
            CompletableFuture<Message> f = nc.request("nr.nobody", bytes("hello"));
            ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(10, TimeUnit.SECONDS));
            JetStreamStatusException status = assertInstanceOf(JetStreamStatusException.class, e.getCause());
            assertEquals(503, status.getStatus().getCode());
        }
    }

    @Test
    void unsubscribeWithMaxStopsAfterThatManyMessages() throws Exception {
        try (Connection nc = connect(server)) {
            Subscription s = nc.subscribe("um.x");
            s.unsubscribe(5);
            nc.flush(WAIT);
            for (int i = 0; i < 10; i++) {
                nc.publish("um.x", bytes("m" + i));
            }
            nc.flush(WAIT);
            List<String> got = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                Message m = s.nextMessage(WAIT);
                assertNotNull(m, "message " + i);
                got.add(text(m));
            }
            assertEquals(List.of("m0", "m1", "m2", "m3", "m4"), got);
            assertFalse(s.isActive(), "the subscription ends after its max");
        }
        // the server side enforces the max too: a dispatcher counts what it actually receives
        try (Connection nc = connect(server)) {
            AtomicInteger n = new AtomicInteger();
            Dispatcher d = nc.createDispatcher();
            Subscription s = d.subscribe("um.y", m -> n.incrementAndGet());
            d.unsubscribe(s, 3);
            nc.flush(WAIT);
            for (int i = 0; i < 10; i++) {
                nc.publish("um.y", bytes("m" + i));
            }
            nc.flush(WAIT);
            Clients.settle();
            assertEquals(3, n.get());
        }
    }

    @Test
    void drainingASubscriptionDeliversWhatWasPendingThenStops() throws Exception {
        try (Connection nc = connect(server); Connection pub = connect(server)) {
            Subscription s = nc.subscribe("dr.sub");
            nc.flush(WAIT);
            for (int i = 0; i < 200; i++) {
                pub.publish("dr.sub", bytes("m" + i));
            }
            pub.flush(WAIT);
            nc.flush(WAIT); // all 200 are now at the client, none consumed yet
            CompletableFuture<Boolean> drained = s.drain(WAIT);
            List<String> got = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                Message m = s.nextMessage(WAIT);
                assertNotNull(m, "pending message " + i + " still delivered while draining");
                got.add(text(m));
            }
            assertTrue(drained.get(10, TimeUnit.SECONDS));
            assertEquals("m199", got.get(199));
            assertFalse(s.isActive());
            // the server no longer routes to it: a fresh subscriber sees the late message, nc stays up
            Subscription probe = pub.subscribe("dr.sub");
            pub.flush(WAIT);
            pub.publish("dr.sub", bytes("late"));
            assertEquals("late", text(probe.nextMessage(WAIT)));
            assertEquals(Connection.Status.CONNECTED, nc.getStatus());
        }
    }

    @Test
    void drainingADispatcherRunsItsPendingHandlers() throws Exception {
        try (Connection nc = connect(server); Connection pub = connect(server)) {
            List<String> got = new CopyOnWriteArrayList<>();
            Dispatcher d = nc.createDispatcher(m -> {
                try {
                    Thread.sleep(1); // slow handler so messages are pending when we drain
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                got.add(text(m));
            });
            d.subscribe("dr.disp");
            nc.flush(WAIT);
            for (int i = 0; i < 200; i++) {
                pub.publish("dr.disp", bytes("m" + i));
            }
            pub.flush(WAIT);
            nc.flush(WAIT);
            assertTrue(d.drain(WAIT).get(10, TimeUnit.SECONDS));
            assertEquals(200, got.size());
            pub.publish("dr.disp", bytes("late"));
            pub.flush(WAIT);
            Clients.settle();
            assertEquals(200, got.size(), "nothing arrives after drain");
            assertEquals(Connection.Status.CONNECTED, nc.getStatus());
        }
    }

    @Test
    void drainingAConnectionFinishesInFlightWorkAndCloses() throws Exception {
        try (Connection pub = connect(server)) {
            Connection nc = Nats.connect(options(server).build());
            AtomicInteger n = new AtomicInteger();
            Dispatcher d = nc.createDispatcher(m -> n.incrementAndGet());
            d.subscribe("dr.conn");
            Subscription sync = nc.subscribe("dr.conn");
            nc.flush(WAIT);
            for (int i = 0; i < 100; i++) {
                pub.publish("dr.conn", bytes("m" + i));
            }
            pub.flush(WAIT);
            nc.flush(WAIT);
            CompletableFuture<Boolean> drained = nc.drain(WAIT);
            int syncCount = 0;
            while (sync.nextMessage(Duration.ofMillis(200)) != null) {
                syncCount++;
            }
            assertTrue(drained.get(10, TimeUnit.SECONDS));
            assertEquals(100, n.get());
            assertEquals(100, syncCount);
            assertTrue(await(() -> nc.getStatus() == Connection.Status.CLOSED));
        }
    }

    @Test
    void payloadOverMaxPayloadIsRefusedByTheClient() throws Exception {
        try (Connection nc = connect(server)) {
            assertEquals(65536, nc.getServerInfo().getMaxPayload());
            assertEquals(65536, nc.getMaxPayload());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> nc.publish("mp.x", new byte[65537]));
            assertTrue(e.getMessage().toLowerCase().contains("payload"), e.getMessage());
            // exactly max_payload is accepted and delivered
            Subscription s = nc.subscribe("mp.x");
            nc.flush(WAIT);
            nc.publish("mp.x", new byte[65536]);
            Message m = s.nextMessage(WAIT);
            assertNotNull(m);
            assertEquals(65536, m.getData().length);
            assertEquals(Connection.Status.CONNECTED, nc.getStatus());
        }
    }

    @Test
    void noEchoSuppressesOwnMessagesOnly() throws Exception {
        try (Connection quiet = connect(options(server).noEcho()); Connection other = connect(server)) {
            Subscription s = quiet.subscribe("ne.x");
            quiet.flush(WAIT);
            quiet.publish("ne.x", bytes("self"));
            quiet.flush(WAIT);
            other.publish("ne.x", bytes("other"));
            other.flush(WAIT);
            assertEquals(List.of("other"), drain(s));
        }
    }
}
