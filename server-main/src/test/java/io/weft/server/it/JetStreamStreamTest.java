package io.weft.server.it;

import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.Message;
import io.nats.client.PublishOptions;
import io.nats.client.JetStreamSubscription;
import io.nats.client.PullSubscribeOptions;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.DiscardPolicy;
import io.nats.client.api.RetentionPolicy;
import io.nats.client.api.MessageInfo;
import io.nats.client.api.PublishAck;
import io.nats.client.PurgeOptions;
import io.nats.client.api.PurgeResponse;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.api.StreamInfo;
import io.nats.client.api.StreamInfoOptions;
import io.nats.client.api.MessageGetRequest;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static io.weft.server.it.Clients.connect;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Streams through jnats against a real server started with {@code -js}. */
class JetStreamStreamTest {
    static TestServer server;
    static Path storeDir;

    @BeforeAll
    static void startServer() throws Exception {
        storeDir = Files.createTempDirectory("weft-js-");
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

    private static StreamConfiguration.Builder stream(String name, String... subjects) {
        return StreamConfiguration.builder().name(name).subjects(subjects).storageType(StorageType.Memory);
    }

    private static int errCode(ThrowingRunnable r) throws Exception {
        JetStreamApiException e = assertThrows(JetStreamApiException.class, r::run);
        return e.getApiErrorCode();
    }

    @FunctionalInterface
    interface ThrowingRunnable {
        void run() throws Exception;
    }

    @Test
    void createPublishInfo() throws Exception {
        try (Connection nc = connect(server)) {
            JetStreamManagement jsm = nc.jetStreamManagement();
            StreamInfo created = jsm.addStream(StreamConfiguration.builder().name("ORDERS").subjects("orders.*")
                    .storageType(StorageType.File).build());
            assertEquals("ORDERS", created.getConfiguration().getName());
            assertEquals(0, created.getStreamState().getMsgCount());
            JetStream js = nc.jetStream();
            PublishAck a1 = js.publish("orders.a", bytes("one"));
            PublishAck a2 = js.publish("orders.b", bytes("two"));
            assertEquals("ORDERS", a1.getStream());
            assertEquals(1, a1.getSeqno());
            assertEquals(2, a2.getSeqno());
            assertFalse(a2.isDuplicate());
            StreamInfo info = jsm.getStreamInfo("ORDERS");
            assertEquals(2, info.getStreamState().getMsgCount());
            assertEquals(1, info.getStreamState().getFirstSequence());
            assertEquals(2, info.getStreamState().getLastSequence());
            assertEquals(2, info.getStreamState().getSubjectCount());
            // same config again is fine, a different one is 10058
            jsm.addStream(StreamConfiguration.builder().name("ORDERS").subjects("orders.*").storageType(StorageType.File).build());
            assertEquals(10058, errCode(() -> jsm.addStream(StreamConfiguration.builder().name("ORDERS")
                    .subjects("orders.>").storageType(StorageType.File).build())));
            assertEquals(10065, errCode(() -> jsm.addStream(stream("OVER", "orders.x").build())));
            assertEquals(10059, errCode(() -> jsm.getStreamInfo("NOPE")));
            MessageInfo mi = jsm.getMessage("ORDERS", 2);
            assertEquals("orders.b", mi.getSubject());
            assertArrayEquals(bytes("two"), mi.getData());
            assertTrue(jsm.getStreamNames().contains("ORDERS"));
        }
    }

    @Test
    void dedupeAndExpectations() throws Exception {
        try (Connection nc = connect(server)) {
            JetStreamManagement jsm = nc.jetStreamManagement();
            jsm.addStream(stream("EXP", "exp.>").build());
            JetStream js = nc.jetStream();
            PublishAck first = js.publish("exp.a", bytes("x"), PublishOptions.builder().messageId("m1").build());
            PublishAck dup = js.publish("exp.a", bytes("x"), PublishOptions.builder().messageId("m1").build());
            assertEquals(first.getSeqno(), dup.getSeqno());
            assertTrue(dup.isDuplicate());
            assertEquals(10060, errCode(() -> js.publish("exp.a", bytes("x"),
                    PublishOptions.builder().expectedStream("OTHER").build())));
            assertEquals(10071, errCode(() -> js.publish("exp.a", bytes("x"),
                    PublishOptions.builder().expectedLastSequence(7).build())));
            assertEquals(10070, errCode(() -> js.publish("exp.a", bytes("x"),
                    PublishOptions.builder().expectedLastMsgId("nope").build())));
            assertEquals(10071, errCode(() -> js.publish("exp.b", bytes("x"),
                    PublishOptions.builder().expectedLastSubjectSequence(3).build())));
            PublishAck ok = js.publish("exp.a", bytes("y"), PublishOptions.builder().expectedLastSequence(1)
                    .expectedLastMsgId("m1").expectedStream("EXP").build());
            assertEquals(2, ok.getSeqno());
            PublishAck ok2 = js.publish("exp.b", bytes("z"), PublishOptions.builder().expectedLastSubjectSequence(0).build());
            assertEquals(3, ok2.getSeqno());
            assertEquals(1, jsm.getStreamInfo("EXP").getStreamState().getMsgCount() - 2);
        }
    }

    @Test
    void limitsDiscardAndRollup() throws Exception {
        try (Connection nc = connect(server)) {
            JetStreamManagement jsm = nc.jetStreamManagement();
            JetStream js = nc.jetStream();
            jsm.addStream(stream("LIM", "lim.>").maxMessages(3).build());
            for (int i = 0; i < 5; i++) {
                js.publish("lim.a", bytes("m" + i));
            }
            StreamInfo li = jsm.getStreamInfo("LIM");
            assertEquals(3, li.getStreamState().getMsgCount());
            assertEquals(3, li.getStreamState().getFirstSequence());

            jsm.addStream(stream("NEW", "new.>").maxMessages(2).discardPolicy(DiscardPolicy.New).build());
            js.publish("new.a", bytes("1"));
            js.publish("new.a", bytes("2"));
            assertEquals(10077, errCode(() -> js.publish("new.a", bytes("3"))));

            jsm.addStream(stream("PER", "per.>").maxMessagesPerSubject(1).build());
            js.publish("per.a", bytes("1"));
            js.publish("per.a", bytes("2"));
            js.publish("per.b", bytes("3"));
            assertEquals(2, jsm.getStreamInfo("PER").getStreamState().getMsgCount());

            jsm.addStream(stream("ROLL", "roll.>").allowRollup(true).build());
            js.publish("roll.a", bytes("1"));
            js.publish("roll.a", bytes("2"));
            js.publish("roll.b", bytes("3"));
            Headers h = new Headers().add("Nats-Rollup", "sub");
            js.publish(NatsMessage.builder().subject("roll.a").headers(h).data(bytes("4")).build());
            assertEquals(2, jsm.getStreamInfo("ROLL").getStreamState().getMsgCount());
            Headers all = new Headers().add("Nats-Rollup", "all");
            js.publish(NatsMessage.builder().subject("roll.c").headers(all).data(bytes("5")).build());
            assertEquals(1, jsm.getStreamInfo("ROLL").getStreamState().getMsgCount());
            assertEquals(10111, errCode(() -> js.publish(NatsMessage.builder().subject("lim.a").headers(
                    new Headers().add("Nats-Rollup", "sub")).data(bytes("x")).build())));

            jsm.addStream(stream("SIZE", "size").maximumMessageSize(10).build());
            assertEquals(10054, errCode(() -> js.publish("size", new byte[11])));
        }
    }

    @Test
    void purgeDeleteGetAndDirect() throws Exception {
        try (Connection nc = connect(server)) {
            JetStreamManagement jsm = nc.jetStreamManagement();
            JetStream js = nc.jetStream();
            jsm.addStream(stream("PG", "pg.>").allowDirect(true).build());
            for (int i = 1; i <= 6; i++) {
                js.publish("pg." + (i % 2 == 0 ? "even" : "odd"), bytes("v" + i));
            }
            assertTrue(jsm.deleteMessage("PG", 2));
            // deleting an interior sequence again: 10043 (checked against nats-server 2.9.10)
            assertEquals(10043, errCode(() -> jsm.deleteMessage("PG", 2)));
            StreamInfo si = jsm.getStreamInfo("PG", StreamInfoOptions.builder().deletedDetails().filterSubjects("pg.>").build());
            assertEquals(List.of(2L), si.getStreamState().getDeleted());
            assertEquals(2, si.getStreamState().getSubjects().size());
            MessageInfo last = jsm.getLastMessage("PG", "pg.odd");
            assertEquals(5, last.getSeq());
            MessageInfo next = jsm.getNextMessage("PG", 2, "pg.even");
            assertEquals(4, next.getSeq());
            assertEquals(10037, errCode(() -> jsm.getMessage("PG", 99)));
            // direct get (allow_direct): jnats uses $JS.API.DIRECT.GET
            MessageInfo direct = jsm.getMessage("PG", MessageGetRequest.lastForSubject("pg.even"));
            assertEquals(6, direct.getSeq());
            assertArrayEquals(bytes("v6"), direct.getData());
            PurgeResponse pr = jsm.purgeStream("PG", PurgeOptions.builder().subject("pg.odd").keep(1).build());
            assertEquals(2, pr.getPurged());
            pr = jsm.purgeStream("PG");
            assertEquals(3, pr.getPurged());
            StreamInfo empty = jsm.getStreamInfo("PG");
            assertEquals(0, empty.getStreamState().getMsgCount());
            assertEquals(6, empty.getStreamState().getLastSequence());
            assertTrue(jsm.deleteStream("PG"));
            assertEquals(10059, errCode(() -> jsm.deleteStream("PG")));
        }
    }

    @Test
    void updateRules() throws Exception {
        try (Connection nc = connect(server)) {
            JetStreamManagement jsm = nc.jetStreamManagement();
            jsm.addStream(stream("UPD", "upd.a").build());
            StreamInfo u = jsm.updateStream(stream("UPD", "upd.a", "upd.b").maxMessages(10).description("d").build());
            assertEquals(List.of("upd.a", "upd.b"), u.getConfiguration().getSubjects());
            assertEquals(10, u.getConfiguration().getMaxMsgs());
            assertEquals(10052, errCode(() -> jsm.updateStream(StreamConfiguration.builder().name("UPD")
                    .subjects("upd.a").storageType(StorageType.File).build())));
            assertEquals(10059, errCode(() -> jsm.updateStream(stream("NOUPD", "x.y").build())));
            nc.jetStream().publish("upd.b", bytes("ok"));
            assertEquals(1, jsm.getStreamInfo("UPD").getStreamState().getMsgCount());
        }
    }

    @Test
    void accountInfo() throws Exception {
        try (Connection nc = connect(server)) {
            JetStreamManagement jsm = nc.jetStreamManagement();
            var ai = jsm.getAccountStatistics();
            assertTrue(ai.getApi().getTotal() > 0);
            assertNotNull(ai.getLimits());
            Message m = nc.request("$JS.API.STREAM.CREATE.BAD", bytes("{bad"), Duration.ofSeconds(5));
            String body = new String(m.getData(), StandardCharsets.UTF_8);
            assertTrue(body.contains("\"err_code\":10025"), body);
            assertNull(m.getHeaders());
            // unknown API subjects go unanswered, without a "no responders" status (as nats-server)
            assertNull(nc.request("$JS.API.STREAM.FROB.X", null, Duration.ofMillis(300)));
        }
    }

    @Test
    void workQueueAndInterestRetentionFollowAcks() throws Exception {
        try (Connection nc = connect(server)) {
            JetStreamManagement jsm = nc.jetStreamManagement();
            JetStream js = nc.jetStream();
            jsm.addStream(stream("WQ", "wq.>").retentionPolicy(RetentionPolicy.WorkQueue).build());
            for (int i = 0; i < 3; i++) {
                js.publish("wq.a", bytes("job" + i));
            }
            JetStreamSubscription sub = js.subscribe("wq.>", PullSubscribeOptions.builder().durable("workers").build());
            List<Message> got = sub.fetch(3, Duration.ofSeconds(3));
            assertEquals(3, got.size());
            for (Message m : got) {
                m.ackSync(Duration.ofSeconds(5));
            }
            assertTrue(Clients.await(() -> msgs(jsm, "WQ") == 0), "acked work is removed");
            // a second unfiltered consumer on a work queue is refused
            int code = errCode(() -> jsm.addOrUpdateConsumer("WQ", ConsumerConfiguration.builder().durable("other")
                    .ackPolicy(AckPolicy.Explicit).build()));
            assertEquals(10099, code);

            jsm.addStream(stream("INTR", "intr.>").retentionPolicy(RetentionPolicy.Interest).build());
            jsm.addOrUpdateConsumer("INTR", ConsumerConfiguration.builder().durable("c1").ackPolicy(AckPolicy.Explicit).build());
            js.publish("intr.a", bytes("1"));
            js.publish("intr.a", bytes("2"));
            assertEquals(2, msgs(jsm, "INTR"));
            JetStreamSubscription isub = js.subscribe(null, PullSubscribeOptions.bind("INTR", "c1"));
            List<Message> im = isub.fetch(2, Duration.ofSeconds(3));
            assertEquals(2, im.size());
            im.get(0).ackSync(Duration.ofSeconds(5));
            assertTrue(Clients.await(() -> msgs(jsm, "INTR") == 1), "the acked message goes, the other stays");
        }
    }

    private static long msgs(JetStreamManagement jsm, String stream) {
        try {
            return jsm.getStreamInfo(stream).getStreamState().getMsgCount();
        } catch (Exception e) {
            return -1;
        }
    }

    @Test
    void killDashNineKeepsEveryAcknowledgedMessage() throws Exception {
        Path dir = Files.createTempDirectory("weft-js-kill-");
        try (TestServer own = TestServers.start("", "-js", "-sd", dir.toString())) {
            List<java.util.concurrent.CompletableFuture<PublishAck>> acks = new java.util.ArrayList<>();
            try (Connection nc = connect(own)) {
                JetStreamManagement jsm = nc.jetStreamManagement();
                jsm.addStream(StreamConfiguration.builder().name("DUR").subjects("dur.>").storageType(StorageType.File)
                        .description("kept").build());
                jsm.addStream(stream("VOLATILE", "vol").build());
                JetStream js = nc.jetStream();
                for (int i = 1; i <= 500; i++) {
                    acks.add(js.publishAsync("dur." + (i % 5), bytes("m" + i)));
                }
                for (var f : acks) {
                    f.get(10, java.util.concurrent.TimeUnit.SECONDS);
                }
                assertTrue(jsm.deleteMessage("DUR", 7));
            }
            own.restart(); // SIGKILL, then the same command line
            try (Connection nc = connect(own)) {
                JetStreamManagement jsm = nc.jetStreamManagement();
                StreamInfo info = jsm.getStreamInfo("DUR");
                assertEquals("kept", info.getConfiguration().getDescription());
                assertEquals(499, info.getStreamState().getMsgCount());
                assertEquals(500, info.getStreamState().getLastSequence());
                for (int seq : new int[] {1, 6, 8, 250, 500}) {
                    assertArrayEquals(bytes("m" + seq), jsm.getMessage("DUR", seq).getData());
                }
                assertEquals(10037, errCode(() -> jsm.getMessage("DUR", 7)));
                assertEquals(10059, errCode(() -> jsm.getStreamInfo("VOLATILE")), "memory streams do not survive");
                assertEquals(501, nc.jetStream().publish("dur.x", bytes("after")).getSeqno());
            }
            assertTrue(own.stderr().contains("Starting restore for stream '$G > DUR'"), own.stderr());
            assertTrue(own.stderr().contains("Restored 499 messages for stream '$G > DUR'"), own.stderr());
        }
    }

    @Test
    void jszAndInfoAnnounceJetStream() throws Exception {
        try (Connection nc = connect(server)) {
            assertTrue(nc.getServerInfo().isJetStreamAvailable(), "INFO says jetstream: true");
            JetStreamManagement jsm = nc.jetStreamManagement();
            jsm.addStream(stream("JSZ", "jsz.>").build());
            nc.jetStream().publish("jsz.a", bytes("x"));
        }
        var http = java.net.http.HttpClient.newHttpClient();
        var resp = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(
                "http://127.0.0.1:" + server.monitorPort() + "/jsz?streams=1&config=1")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals(200, resp.statusCode());
        var doc = new com.fasterxml.jackson.databind.ObjectMapper().readTree(resp.body());
        assertTrue(doc.get("streams").asLong() >= 1, resp.body());
        assertTrue(doc.get("messages").asLong() >= 1, resp.body());
        assertTrue(doc.get("api").get("total").asLong() >= 2, resp.body());
        assertTrue(doc.get("config").get("store_dir").asText().endsWith("/jetstream"), resp.body());
        boolean found = false;
        for (var s : doc.get("account_details").get(0).get("stream_detail")) {
            if (s.get("name").asText().equals("JSZ")) {
                found = true;
                assertEquals("memory", s.get("config").get("storage").asText());
                assertEquals(1, s.get("state").get("messages").asLong());
            }
        }
        assertTrue(found, resp.body());
    }
}
