package io.weft.server.it;

import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.PublishOptions;
import io.nats.client.PullSubscribeOptions;
import io.nats.client.PurgeOptions;
import io.nats.client.PushSubscribeOptions;
import io.nats.client.api.AccountStatistics;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.ConsumerInfo;
import io.nats.client.api.DeliverPolicy;
import io.nats.client.api.DiscardPolicy;
import io.nats.client.api.MessageInfo;
import io.nats.client.api.PublishAck;
import io.nats.client.api.PurgeResponse;
import io.nats.client.api.RetentionPolicy;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.api.StreamInfo;
import io.nats.client.api.StreamInfoOptions;
import io.nats.client.impl.Headers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Stream and consumer management through jnats' {@code JetStreamManagement}, publish acks and the
 * errors a client sees. Expected api error codes are nats-server 2.9.10's.
 */
class JetStreamApiTest {
    static final int STREAM_NOT_FOUND = 10059;
    static final int CONSUMER_NOT_FOUND = 10014;
    static final int WRONG_LAST_SEQUENCE = 10071;
    static final int WRONG_LAST_MSG_ID = 10070;
    static final int EXPECTED_STREAM_MISMATCH = 10060;
    static final int MESSAGE_SIZE_EXCEEDED = 10054;
    static final int SUBJECTS_OVERLAP = 10065;
    static final int STREAM_NAME_IN_USE = 10058;
    static final int NO_MESSAGE_FOUND = 10037;
    static final int MAXIMUM_MESSAGES_EXCEEDED = 10077;

    static JsServer server;
    static Connection nc;
    static JetStreamManagement jsm;
    static JetStream js;
    static final AtomicInteger N = new AtomicInteger();

    @BeforeAll
    static void start() throws Exception {
        server = JsServer.start("max_payload: 65536\n");
        nc = Clients.connect(server.server);
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

    /** A unique stream name and its subject prefix. */
    static String unique(String base) {
        return base + N.incrementAndGet();
    }

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static StreamInfo stream(String name, String... subjects) throws Exception {
        return jsm.addStream(StreamConfiguration.builder().name(name).subjects(subjects).storageType(StorageType.File).build());
    }

    @Test
    void streamLifecycleInfoListUpdateDelete() throws Exception {
        String name = unique("LIFE");
        StreamInfo si = jsm.addStream(StreamConfiguration.builder().name(name).subjects(name + ".>")
                .description("life").maxMessages(100).maxBytes(1 << 20).maxAge(Duration.ofHours(1))
                .maxMsgSize(512).storageType(StorageType.File).build());
        StreamConfiguration cfg = si.getConfiguration();
        assertEquals(name, cfg.getName());
        assertEquals(List.of(name + ".>"), cfg.getSubjects());
        assertEquals("life", cfg.getDescription());
        assertEquals(RetentionPolicy.Limits, cfg.getRetentionPolicy());
        assertEquals(DiscardPolicy.Old, cfg.getDiscardPolicy());
        assertEquals(100, cfg.getMaxMsgs());
        assertEquals(1 << 20, cfg.getMaxBytes());
        assertEquals(Duration.ofHours(1), cfg.getMaxAge());
        assertEquals(512, cfg.getMaximumMessageSize());
        assertEquals(1, cfg.getReplicas());
        assertEquals(0, si.getStreamState().getMsgCount());
        assertNotNull(si.getCreateTime());

        // creating the same stream again with the same config is idempotent; with another config it is not
        assertEquals(name, jsm.addStream(cfg).getConfiguration().getName());
        JetStreamApiException inUse = assertThrows(JetStreamApiException.class, () -> jsm.addStream(
                StreamConfiguration.builder(cfg).maxMessages(5).build()));
        assertEquals(STREAM_NAME_IN_USE, inUse.getApiErrorCode(), inUse.getMessage());

        for (int i = 0; i < 5; i++) {
            js.publish(name + ".a" + (i % 2), b("m" + i));
        }
        StreamInfo full = jsm.getStreamInfo(name, StreamInfoOptions.allSubjects());
        assertEquals(5, full.getStreamState().getMsgCount());
        assertEquals(1, full.getStreamState().getFirstSequence());
        assertEquals(5, full.getStreamState().getLastSequence());
        assertEquals(2, full.getStreamState().getSubjectCount());
        Map<String, Long> subjects = new java.util.TreeMap<>();
        full.getStreamState().getSubjects().forEach(s -> subjects.put(s.getName(), s.getCount()));
        assertEquals(Map.of(name + ".a0", 3L, name + ".a1", 2L), subjects);

        assertTrue(jsm.getStreamNames().contains(name));
        assertTrue(jsm.getStreams().stream().anyMatch(s -> s.getConfiguration().getName().equals(name)));
        assertEquals(List.of(name), jsm.getStreamNames(name + ".a0"));

        StreamInfo updated = jsm.updateStream(StreamConfiguration.builder(cfg).maxMessages(3).description("smaller").build());
        assertEquals(3, updated.getConfiguration().getMaxMsgs());
        assertEquals("smaller", updated.getConfiguration().getDescription());
        assertEquals(3, updated.getStreamState().getMsgCount(), "lowering max_msgs trims the oldest");
        assertEquals(3, updated.getStreamState().getFirstSequence());

        // storage type is not editable
        JetStreamApiException notEditable = assertThrows(JetStreamApiException.class, () -> jsm.updateStream(
                StreamConfiguration.builder(updated.getConfiguration()).storageType(StorageType.Memory).build()));
        assertEquals(10052, notEditable.getApiErrorCode(), notEditable.getMessage()); // stream configuration update can not change ...

        assertTrue(jsm.deleteStream(name));
        JetStreamApiException missing = assertThrows(JetStreamApiException.class, () -> jsm.getStreamInfo(name));
        assertEquals(STREAM_NOT_FOUND, missing.getApiErrorCode());
        assertEquals(404, missing.getErrorCode());
        JetStreamApiException delMissing = assertThrows(JetStreamApiException.class, () -> jsm.deleteStream(name));
        assertEquals(STREAM_NOT_FOUND, delMissing.getApiErrorCode());
        JetStreamApiException updMissing = assertThrows(JetStreamApiException.class, () -> jsm.updateStream(cfg));
        assertEquals(STREAM_NOT_FOUND, updMissing.getApiErrorCode());
    }

    @Test
    void overlappingSubjectsAreRejected() throws Exception {
        String a = unique("OVA");
        stream(a, a + ".>");
        String b = unique("OVB");
        JetStreamApiException overlap = assertThrows(JetStreamApiException.class, () -> stream(b, a + ".x"));
        assertEquals(SUBJECTS_OVERLAP, overlap.getApiErrorCode(), overlap.getMessage());
        JetStreamApiException overlapWide = assertThrows(JetStreamApiException.class, () -> stream(b, a + ".*.x"));
        assertEquals(SUBJECTS_OVERLAP, overlapWide.getApiErrorCode(), overlapWide.getMessage());
        // a leading wildcard also collides with $JS.>: nats-server 2.15 refuses it for that first
        JetStreamApiException api = assertThrows(JetStreamApiException.class, () -> stream(b, "*." + "x"));
        assertEquals(10052, api.getApiErrorCode(), api.getMessage());
        assertFalse(jsm.getStreamNames().contains(b));
    }

    @Test
    void publishAcksDuplicatesAndExpectations() throws Exception {
        String name = unique("PUB");
        jsm.addStream(StreamConfiguration.builder().name(name).subjects(name + ".*")
                .duplicateWindow(Duration.ofMinutes(1)).storageType(StorageType.Memory).build());
        PublishAck a1 = js.publish(name + ".a", b("one"));
        assertEquals(name, a1.getStream());
        assertEquals(1, a1.getSeqno());
        assertFalse(a1.isDuplicate());

        PublishOptions id1 = PublishOptions.builder().messageId("id-1").build();
        PublishAck d1 = js.publish(name + ".a", b("two"), id1);
        assertEquals(2, d1.getSeqno());
        PublishAck d2 = js.publish(name + ".a", b("two again"), id1);
        assertTrue(d2.isDuplicate());
        assertEquals(2, d2.getSeqno(), "a duplicate acks with the original sequence");
        assertEquals(2, jsm.getStreamInfo(name).getStreamState().getMsgCount());

        // expected last sequence
        PublishAck ok = js.publish(name + ".a", b("three"), PublishOptions.builder().expectedLastSequence(2).build());
        assertEquals(3, ok.getSeqno());
        JetStreamApiException wrongSeq = assertThrows(JetStreamApiException.class,
                () -> js.publish(name + ".a", b("x"), PublishOptions.builder().expectedLastSequence(2).build()));
        assertEquals(WRONG_LAST_SEQUENCE, wrongSeq.getApiErrorCode());
        assertTrue(wrongSeq.getMessage().contains("wrong last sequence: 3"), wrongSeq.getMessage());
        assertEquals(400, wrongSeq.getErrorCode());

        // expected last subject sequence
        js.publish(name + ".b", b("b1"));
        JetStreamApiException wrongSubj = assertThrows(JetStreamApiException.class, () -> js.publish(name + ".b", b("x"),
                PublishOptions.builder().expectedLastSubjectSequence(1).build()));
        assertEquals(WRONG_LAST_SEQUENCE, wrongSubj.getApiErrorCode());
        assertTrue(wrongSubj.getMessage().contains("wrong last sequence: 4"), wrongSubj.getMessage());
        assertEquals(5, js.publish(name + ".b", b("b2"), PublishOptions.builder().expectedLastSubjectSequence(4).build()).getSeqno());

        // expected last message id: compared with the id of the last stored message (empty when it had none)
        JetStreamApiException noLastId = assertThrows(JetStreamApiException.class, () -> js.publish(name + ".a", b("x"),
                PublishOptions.builder().expectedLastMsgId("id-1").build()));
        assertEquals(WRONG_LAST_MSG_ID, noLastId.getApiErrorCode(), noLastId.getMessage());
        assertTrue(noLastId.getMessage().startsWith("wrong last msg ID:  ["), noLastId.getMessage());
        assertEquals(6, js.publish(name + ".a", b("id-1b"), PublishOptions.builder().messageId("id-1b").build()).getSeqno());
        JetStreamApiException wrongId = assertThrows(JetStreamApiException.class, () -> js.publish(name + ".a", b("x"),
                PublishOptions.builder().expectedLastMsgId("nope").build()));
        assertEquals(WRONG_LAST_MSG_ID, wrongId.getApiErrorCode(), wrongId.getMessage());
        assertTrue(wrongId.getMessage().contains("wrong last msg ID: id-1b"), wrongId.getMessage());
        js.publish(name + ".a", b("after id"), PublishOptions.builder().expectedLastMsgId("id-1b").messageId("id-2").build());

        // expected stream
        JetStreamApiException wrongStream = assertThrows(JetStreamApiException.class, () -> js.publish(name + ".a", b("x"),
                PublishOptions.builder().expectedStream("OTHER").build()));
        assertEquals(EXPECTED_STREAM_MISMATCH, wrongStream.getApiErrorCode(), wrongStream.getMessage());
        assertEquals(8, js.publish(name + ".a", b("y"), PublishOptions.builder().expectedStream(name).build()).getSeqno());

        // nothing stored by the failed publishes
        assertEquals(8, jsm.getStreamInfo(name).getStreamState().getMsgCount());

        // headers survive storage
        Headers h = new Headers().add("X-Test", "v1", "v2");
        PublishAck withHeaders = js.publish(name + ".h", h, b("with headers"));
        MessageInfo got = jsm.getMessage(name, withHeaders.getSeqno());
        assertEquals(List.of("v1", "v2"), got.getHeaders().get("X-Test"));
        assertEquals("with headers", new String(got.getData(), StandardCharsets.UTF_8));
    }

    @Test
    void publishErrorsForMissingStreamAndSizes() throws Exception {
        // no stream listens: the request has no responders
        Exception none = assertThrows(Exception.class, () -> js.publish(unique("nostream") + ".x", b("x")));
        assertTrue(String.valueOf(none.getMessage()).contains("503") || String.valueOf(none.getMessage()).toLowerCase().contains("no responders"),
                none.toString());

        String name = unique("SIZE");
        jsm.addStream(StreamConfiguration.builder().name(name).subjects(name).maxMsgSize(100).storageType(StorageType.Memory).build());
        js.publish(name, new byte[100 - name.length()]);
        JetStreamApiException tooBig = assertThrows(JetStreamApiException.class, () -> js.publish(name, new byte[200]));
        assertEquals(MESSAGE_SIZE_EXCEEDED, tooBig.getApiErrorCode(), tooBig.getMessage());

        // over the server's max_payload: jnats refuses before sending (it knows max_payload from INFO)
        assertEquals(65536, nc.getServerInfo().getMaxPayload());
        assertThrows(IllegalArgumentException.class, () -> js.publish(name, new byte[70000]));
        // a raw publish over max_payload gets the core protocol error and the connection is closed
        try (RawClient raw = RawClient.connected(server.port(), "{\"verbose\":false,\"headers\":true}")) {
            raw.send("PUB " + name + " _INBOX.raw 70000\r\n");
            assertTrue(raw.awaitText("-ERR 'Maximum Payload Violation'", Duration.ofSeconds(5)), raw.text());
        }
        assertTrue(nc.getStatus() == Connection.Status.CONNECTED);
    }

    @Test
    void discardNewAndMaxMsgsPerSubject() throws Exception {
        String name = unique("DISC");
        jsm.addStream(StreamConfiguration.builder().name(name).subjects(name + ".*").maxMessages(3)
                .discardPolicy(DiscardPolicy.New).storageType(StorageType.Memory).build());
        for (int i = 0; i < 3; i++) {
            js.publish(name + ".a", b("m" + i));
        }
        JetStreamApiException full = assertThrows(JetStreamApiException.class, () -> js.publish(name + ".a", b("x")));
        assertEquals(MAXIMUM_MESSAGES_EXCEEDED, full.getApiErrorCode(), full.getMessage());

        String per = unique("PER");
        jsm.addStream(StreamConfiguration.builder().name(per).subjects(per + ".*").maxMessagesPerSubject(2)
                .storageType(StorageType.File).build());
        for (int i = 0; i < 5; i++) {
            js.publish(per + ".a", b("a" + i));
            js.publish(per + ".b", b("b" + i));
        }
        StreamInfo si = jsm.getStreamInfo(per);
        assertEquals(4, si.getStreamState().getMsgCount());
        assertEquals("a4", new String(jsm.getLastMessage(per, per + ".a").getData(), StandardCharsets.UTF_8));
        assertEquals(7, jsm.getFirstMessage(per, per + ".a").getSeq());
    }

    @Test
    void messageGetDeleteAndPurgeVariants() throws Exception {
        String name = unique("MSG");
        stream(name, name + ".*");
        for (int i = 1; i <= 10; i++) {
            js.publish(name + (i % 2 == 0 ? ".even" : ".odd"), b("m" + i));
        }
        MessageInfo m3 = jsm.getMessage(name, 3);
        assertEquals(3, m3.getSeq());
        assertEquals(name + ".odd", m3.getSubject());
        assertEquals("m3", new String(m3.getData(), StandardCharsets.UTF_8));
        assertNotNull(m3.getTime());
        assertEquals(10, jsm.getLastMessage(name, name + ".even").getSeq());
        assertEquals(4, jsm.getNextMessage(name, 3, name + ".even").getSeq());

        JetStreamApiException noMsg = assertThrows(JetStreamApiException.class, () -> jsm.getMessage(name, 99));
        assertEquals(NO_MESSAGE_FOUND, noMsg.getApiErrorCode(), noMsg.getMessage());
        assertEquals(404, noMsg.getErrorCode());
        JetStreamApiException noSubj = assertThrows(JetStreamApiException.class, () -> jsm.getLastMessage(name, name + ".none"));
        assertEquals(NO_MESSAGE_FOUND, noSubj.getApiErrorCode());

        assertTrue(jsm.deleteMessage(name, 3));
        assertTrue(jsm.deleteMessage(name, 5, false), "delete without erase");
        JetStreamApiException gone = assertThrows(JetStreamApiException.class, () -> jsm.getMessage(name, 3));
        assertEquals(NO_MESSAGE_FOUND, gone.getApiErrorCode());
        JetStreamApiException delAgain = assertThrows(JetStreamApiException.class, () -> jsm.deleteMessage(name, 3));
        assertEquals(10043, delAgain.getApiErrorCode(), delAgain.getMessage()); // as nats-server 2.9.10 answers
        assertTrue(delAgain.getMessage().contains("sequence 3 not found"), delAgain.getMessage());
        StreamInfo si = jsm.getStreamInfo(name, StreamInfoOptions.builder().deletedDetails().build());
        assertEquals(8, si.getStreamState().getMsgCount());
        assertEquals(2, si.getStreamState().getDeletedCount());
        assertEquals(List.of(3L, 5L), si.getStreamState().getDeleted());

        PurgeResponse bySubject = jsm.purgeStream(name, PurgeOptions.subject(name + ".odd"));
        assertTrue(bySubject.isSuccess());
        assertEquals(3, bySubject.getPurged(), "odd 1,7,9 remain of 1,3,5,7,9");
        PurgeResponse keep = jsm.purgeStream(name, PurgeOptions.builder().subject(name + ".even").keep(2).build());
        assertEquals(3, keep.getPurged());
        assertEquals(List.of(8L, 10L), remainingSeqs(name));
        js.publish(name + ".odd", b("m11"));
        PurgeResponse upTo = jsm.purgeStream(name, PurgeOptions.builder().sequence(10).build());
        assertEquals(1, upTo.getPurged(), "up to (not including) 10");
        assertEquals(List.of(10L, 11L), remainingSeqs(name));
        PurgeResponse all = jsm.purgeStream(name);
        assertEquals(2, all.getPurged());
        StreamInfo after = jsm.getStreamInfo(name);
        assertEquals(0, after.getStreamState().getMsgCount());
        assertEquals(12, after.getStreamState().getFirstSequence());
        assertEquals(11, after.getStreamState().getLastSequence());
        assertEquals(12, js.publish(name + ".odd", b("m12")).getSeqno(), "sequences continue after a purge");
    }

    private static List<Long> remainingSeqs(String stream) throws Exception {
        List<Long> seqs = new ArrayList<>();
        StreamInfo si = jsm.getStreamInfo(stream);
        for (long s = si.getStreamState().getFirstSequence(); s <= si.getStreamState().getLastSequence(); s++) {
            try {
                seqs.add(jsm.getMessage(stream, s).getSeq());
            } catch (JetStreamApiException e) {
                assertEquals(NO_MESSAGE_FOUND, e.getApiErrorCode());
            }
        }
        return seqs;
    }

    @Test
    void consumerManagementAndErrors() throws Exception {
        String name = unique("CONS");
        stream(name, name + ".>");
        for (int i = 0; i < 6; i++) {
            js.publish(name + ".x", b("m" + i));
        }
        ConsumerInfo ci = jsm.addOrUpdateConsumer(name, ConsumerConfiguration.builder().durable("dur")
                .ackPolicy(AckPolicy.Explicit).ackWait(Duration.ofSeconds(30)).maxDeliver(5)
                .filterSubject(name + ".x").build());
        assertEquals("dur", ci.getName());
        assertEquals(name, ci.getStreamName());
        assertEquals(6, ci.getNumPending());
        assertEquals(AckPolicy.Explicit, ci.getConsumerConfiguration().getAckPolicy());
        assertEquals(DeliverPolicy.All, ci.getConsumerConfiguration().getDeliverPolicy());
        assertEquals(Duration.ofSeconds(30), ci.getConsumerConfiguration().getAckWait());
        assertEquals(5, ci.getConsumerConfiguration().getMaxDeliver());

        assertEquals(List.of("dur"), jsm.getConsumerNames(name));
        assertEquals(1, jsm.getConsumers(name).size());
        assertEquals(1, jsm.getStreamInfo(name).getStreamState().getConsumerCount());

        // pull: fetch, ack, counters
        JetStreamSubscription pull = js.subscribe(name + ".x", PullSubscribeOptions.bind(name, "dur"));
        List<Message> batch = pull.fetch(4, Duration.ofSeconds(3));
        assertEquals(4, batch.size());
        assertEquals("m0", new String(batch.getFirst().getData(), StandardCharsets.UTF_8));
        assertEquals(1, batch.getFirst().metaData().streamSequence());
        assertEquals(1, batch.getFirst().metaData().deliveredCount());
        batch.get(0).ackSync(Duration.ofSeconds(5));
        batch.get(1).ackSync(Duration.ofSeconds(5));
        ConsumerInfo mid = jsm.getConsumerInfo(name, "dur");
        assertEquals(2, mid.getNumAckPending());
        assertEquals(2, mid.getNumPending());
        assertEquals(4, mid.getDelivered().getStreamSequence());
        assertEquals(2, mid.getAckFloor().getStreamSequence());
        batch.get(2).nak();
        // the nak travels on the ack subject, the pull request on another: their order at the
        // server is not defined, so fetch everything left and look for the redelivery
        List<Message> rest = new ArrayList<>();
        for (int i = 0; i < 5 && rest.size() < 3; i++) {
            rest.addAll(pull.fetch(3 - rest.size(), Duration.ofSeconds(1)));
        }
        assertEquals(List.of(3L, 5L, 6L), rest.stream().map(m -> m.metaData().streamSequence()).sorted().toList());
        Message again = rest.stream().filter(m -> m.metaData().streamSequence() == 3).findFirst().orElseThrow();
        assertEquals(2, again.metaData().deliveredCount());
        pull.unsubscribe();

        // an ephemeral push consumer gets everything from the start
        JetStreamSubscription push = js.subscribe(name + ".x", PushSubscribeOptions.builder()
                .configuration(ConsumerConfiguration.builder().ackPolicy(AckPolicy.None).build()).build());
        Set<String> seen = new TreeSet<>();
        for (int i = 0; i < 6; i++) {
            Message m = push.nextMessage(Duration.ofSeconds(5));
            assertNotNull(m, "push message " + i);
            seen.add(new String(m.getData(), StandardCharsets.UTF_8));
        }
        assertEquals(Set.of("m0", "m1", "m2", "m3", "m4", "m5"), seen);
        assertEquals(2, jsm.getConsumerNames(name).size());
        push.unsubscribe();

        JetStreamApiException missing = assertThrows(JetStreamApiException.class, () -> jsm.getConsumerInfo(name, "nope"));
        assertEquals(CONSUMER_NOT_FOUND, missing.getApiErrorCode());
        assertEquals(404, missing.getErrorCode());
        JetStreamApiException missingStream = assertThrows(JetStreamApiException.class,
                () -> jsm.getConsumerInfo(unique("NOSTREAM"), "dur"));
        assertEquals(STREAM_NOT_FOUND, missingStream.getApiErrorCode());
        JetStreamApiException delMissing = assertThrows(JetStreamApiException.class, () -> jsm.deleteConsumer(name, "nope"));
        assertEquals(CONSUMER_NOT_FOUND, delMissing.getApiErrorCode());
        assertTrue(jsm.deleteConsumer(name, "dur"));
        assertFalse(jsm.getConsumerNames(name).contains("dur"));

        // a durable whose filter does not match the stream's subjects: 2.9 refused it (10093),
        // nats-server 2.15 (and weft) accept it
        ConsumerConfiguration outside = ConsumerConfiguration.builder().durable("bad").filterSubject("elsewhere.>").build();
        if (TestServers.target() == TestServers.Target.NATS_SERVER) {
            JetStreamApiException badFilter = assertThrows(JetStreamApiException.class, () -> jsm.addOrUpdateConsumer(name, outside));
            assertEquals(10093, badFilter.getApiErrorCode(), badFilter.getMessage());
        } else {
            assertEquals("elsewhere.>", jsm.addOrUpdateConsumer(name, outside).getConsumerConfiguration().getFilterSubject());
        }
    }

    @Test
    void workQueueRetentionRemovesAckedMessages() throws Exception {
        String name = unique("WQ");
        jsm.addStream(StreamConfiguration.builder().name(name).subjects(name + ".*")
                .retentionPolicy(RetentionPolicy.WorkQueue).storageType(StorageType.File).build());
        for (int i = 0; i < 4; i++) {
            js.publish(name + ".job", b("job" + i));
        }
        jsm.addOrUpdateConsumer(name, ConsumerConfiguration.builder().durable("worker").ackPolicy(AckPolicy.Explicit).build());
        JetStreamSubscription sub = js.subscribe(null, PullSubscribeOptions.bind(name, "worker"));
        List<Message> jobs = sub.fetch(4, Duration.ofSeconds(3));
        assertEquals(4, jobs.size());
        for (Message m : jobs) {
            m.ackSync(Duration.ofSeconds(5));
        }
        assertTrue(Clients.await(() -> {
            try {
                return jsm.getStreamInfo(name).getStreamState().getMsgCount() == 0;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }), "acked work-queue messages are removed");
        // a second unfiltered consumer on a work queue is refused
        JetStreamApiException second = assertThrows(JetStreamApiException.class, () -> jsm.addOrUpdateConsumer(name,
                ConsumerConfiguration.builder().durable("worker2").ackPolicy(AckPolicy.Explicit).build()));
        assertEquals(10099, second.getApiErrorCode(), second.getMessage());
    }

    @Test
    void interestRetentionKeepsMessagesUntilEveryConsumerAcked() throws Exception {
        String name = unique("INTR");
        jsm.addStream(StreamConfiguration.builder().name(name).subjects(name + ".*")
                .retentionPolicy(RetentionPolicy.Interest).storageType(StorageType.File).build());
        jsm.addOrUpdateConsumer(name, ConsumerConfiguration.builder().durable("a").ackPolicy(AckPolicy.Explicit).build());
        jsm.addOrUpdateConsumer(name, ConsumerConfiguration.builder().durable("b").ackPolicy(AckPolicy.Explicit).build());
        for (int i = 0; i < 3; i++) {
            js.publish(name + ".x", b("i" + i));
        }
        for (Message m : js.subscribe(null, PullSubscribeOptions.bind(name, "a")).fetch(3, Duration.ofSeconds(3))) {
            m.ackSync(Duration.ofSeconds(5));
        }
        Clients.settle();
        assertEquals(3, jsm.getStreamInfo(name).getStreamState().getMsgCount(), "b has not acked yet");
        for (Message m : js.subscribe(null, PullSubscribeOptions.bind(name, "b")).fetch(3, Duration.ofSeconds(3))) {
            m.ackSync(Duration.ofSeconds(5));
        }
        assertTrue(Clients.await(() -> {
            try {
                return jsm.getStreamInfo(name).getStreamState().getMsgCount() == 0;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }), "acked by every consumer: removed");
    }

    @Test
    void maxAgeExpiresMessagesInFileAndMemoryStreams() throws Exception {
        for (StorageType storage : List.of(StorageType.File, StorageType.Memory)) {
            String name = unique("AGE");
            jsm.addStream(StreamConfiguration.builder().name(name).subjects(name + ".*").maxAge(Duration.ofMillis(1000))
                    .storageType(storage).build());
            js.publish(name + ".a", b("old"));
            assertEquals(1, jsm.getStreamInfo(name).getStreamState().getMsgCount());
            assertTrue(Clients.await(() -> {
                try {
                    return jsm.getStreamInfo(name).getStreamState().getMsgCount() == 0;
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, Duration.ofSeconds(6)), storage + ": expired after max_age");
            assertEquals(2, js.publish(name + ".a", b("new")).getSeqno());
            assertEquals(2, jsm.getStreamInfo(name).getStreamState().getFirstSequence());
        }
    }

    @Test
    void accountInfoCountsStreamsAndConsumers() throws Exception {
        try (JsServer own = JsServer.start(""); Connection c = Clients.connect(own.server)) {
            JetStreamManagement m = c.jetStreamManagement();
            AccountStatistics empty = m.getAccountStatistics();
            assertEquals(0, empty.getStreams());
            assertEquals(0, empty.getConsumers());
            m.addStream(StreamConfiguration.builder().name("ACC").subjects("acc.>").storageType(StorageType.Memory).build());
            c.jetStream().publish("acc.1", b("12345"));
            m.addOrUpdateConsumer("ACC", ConsumerConfiguration.builder().durable("d").build());
            AccountStatistics stats = m.getAccountStatistics();
            assertEquals(1, stats.getStreams());
            assertEquals(1, stats.getConsumers());
            assertTrue(stats.getMemory() > 0, "memory in use: " + stats.getMemory());
            assertEquals(0, stats.getStorage());

            // stream data in a file stream survives a restart
            m.addStream(StreamConfiguration.builder().name("DUR").subjects("dur.>").storageType(StorageType.File).build());
            for (int i = 0; i < 50; i++) {
                c.jetStream().publish("dur." + (i % 5), b("d" + i));
            }
            m.deleteMessage("DUR", 7);
        }
        // (own is closed here; a separate restart check follows)
        try (JsServer own = JsServer.start("")) {
            try (Connection c = Clients.connect(own.server)) {
                JetStreamManagement m = c.jetStreamManagement();
                m.addStream(StreamConfiguration.builder().name("DUR").subjects("dur.>").storageType(StorageType.File).build());
                for (int i = 0; i < 50; i++) {
                    c.jetStream().publish("dur." + (i % 5), b("d" + i));
                }
                m.deleteMessage("DUR", 7);
                m.addOrUpdateConsumer("DUR", ConsumerConfiguration.builder().durable("keep").build());
            }
            own.server.restart();
            try (Connection c = Clients.connect(own.server)) {
                JetStreamManagement m = c.jetStreamManagement();
                StreamInfo si = m.getStreamInfo("DUR");
                assertEquals(49, si.getStreamState().getMsgCount());
                assertEquals(50, si.getStreamState().getLastSequence());
                assertEquals("d49", new String(m.getMessage("DUR", 50).getData(), StandardCharsets.UTF_8));
                assertThrows(JetStreamApiException.class, () -> m.getMessage("DUR", 7));
                assertEquals(List.of("keep"), m.getConsumerNames("DUR"));
                assertEquals(51, c.jetStream().publish("dur.0", b("after")).getSeqno());
            }
        }
    }

    @Test
    void badNamesAndConfigsAreRefused() throws Exception {
        // jnats validates names client-side; the server's own checks are in JetStreamDifferentialTest
        assertThrows(IllegalArgumentException.class, () -> StreamConfiguration.builder().name("a.b").build());
        String name = unique("CFG");
        JetStreamApiException noSubjectsOverlapSelf = assertThrows(JetStreamApiException.class,
                () -> jsm.addStream(StreamConfiguration.builder().name(name).subjects("$JS.API.>").build()));
        assertTrue(noSubjectsOverlapSelf.getApiErrorCode() > 0, noSubjectsOverlapSelf.getMessage());
        assertNull(jsm.getStreamNames().stream().filter(name::equals).findFirst().orElse(null));
        byte[] ignored = new byte[0];
        assertArrayEquals(new byte[0], ignored);
    }
}
