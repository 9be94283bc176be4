package io.weft.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nats.client.Connection;
import io.nats.client.ErrorListener;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamOptions;
import io.nats.client.JetStreamStatusException;
import io.nats.client.JetStreamSubscription;
import io.nats.client.KeyValue;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.PullRequestOptions;
import io.nats.client.PullSubscribeOptions;
import io.nats.client.Subscription;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.CompressionOption;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.ConsumerInfo;
import io.nats.client.api.KeyValueConfiguration;
import io.nats.client.api.Republish;
import io.nats.client.api.RetentionPolicy;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.api.StreamInfo;
import io.nats.client.api.StreamInfoOptions;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The behaviours jnats's own test suite relies on (issue 19), each checked with jnats against weft
 * and, with the very same assertions, against nats-server 2.15.1 ({@link TestServers#newestNatsServer()}),
 * so that a passing run also shows the expectation is nats-server's and not weft's own.
 */
class ClientCompatibilityTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Map<TestServers.Target, JsServer> SERVERS = new EnumMap<>(TestServers.Target.class);
    static final Map<TestServers.Target, Connection> CONNECTIONS = new EnumMap<>(TestServers.Target.class);
    static final AtomicInteger N = new AtomicInteger();

    static Stream<TestServers.Target> targets() {
        return Stream.of(TestServers.Target.WEFT, TestServers.Target.NATS_NEWEST);
    }

    @BeforeAll
    static void start() throws Exception {
        for (TestServers.Target t : targets().toList()) {
            JsServer s = JsServer.start(t, "");
            SERVERS.put(t, s);
            CONNECTIONS.put(t, Clients.connect(s.server));
        }
    }

    @AfterAll
    static void stop() throws Exception {
        for (Connection c : CONNECTIONS.values()) {
            c.close();
        }
        for (JsServer s : SERVERS.values()) {
            s.close();
        }
    }

    static Connection nc(TestServers.Target t) {
        return CONNECTIONS.get(t);
    }

    static String unique(String prefix) {
        return prefix + N.incrementAndGet();
    }

    static void memoryStream(JetStreamManagement jsm, String name, String... subjects) throws Exception {
        jsm.addStream(StreamConfiguration.builder().name(name).subjects(subjects).storageType(StorageType.Memory).build());
    }

    // ------------------------------------------------------------------ consumer create

    @ParameterizedTest(name = "{0}")
    @MethodSource("targets")
    void consumerCreateOfAnExistingConsumer(TestServers.Target t) throws Exception {
        JetStreamManagement jsm = nc(t).jetStreamManagement();
        String stream = unique("CC");
        memoryStream(jsm, stream, stream + ".*");

        // the 2.9 create API with a name only (an ephemeral): update before create is 10149, and a
        // second create is 10148 even with the same config (the first got the 5 s inactive threshold)
        ConsumerConfiguration named = ConsumerConfiguration.builder().name("E").build();
        assertEquals(10149, assertThrows(JetStreamApiException.class, () -> jsm.updateConsumer(stream, named)).getApiErrorCode());
        assertEquals("E", jsm.createConsumer(stream, named).getName());
        assertEquals(10148, assertThrows(JetStreamApiException.class, () -> jsm.createConsumer(stream, named)).getApiErrorCode());
        ConsumerInfo updated = jsm.updateConsumer(stream, ConsumerConfiguration.builder().name("E").description("d").build());
        assertEquals("d", updated.getConsumerConfiguration().getDescription());

        // with a filter: the same
        ConsumerConfiguration filtered = ConsumerConfiguration.builder().name("F").filterSubject(stream + ".A").build();
        jsm.createConsumer(stream, filtered);
        assertEquals(10148, assertThrows(JetStreamApiException.class, () -> jsm.createConsumer(stream, filtered)).getApiErrorCode());

        // the pre-2.9 durable API: the same config again is fine, a different one is 10148
        JetStreamManagement pre290 = nc(t).jetStreamManagement(JetStreamOptions.builder().optOut290ConsumerCreate(true).build());
        ConsumerConfiguration durable = ConsumerConfiguration.builder().durable("D").filterSubject(stream + ".A").build();
        assertEquals(10149, assertThrows(JetStreamApiException.class, () -> pre290.updateConsumer(stream, durable)).getApiErrorCode());
        pre290.createConsumer(stream, durable);
        assertEquals(stream + ".A", pre290.createConsumer(stream, durable).getConsumerConfiguration().getFilterSubject());
        ConsumerConfiguration other = ConsumerConfiguration.builder().durable("D").filterSubject(stream + ".B").build();
        assertEquals(10148, assertThrows(JetStreamApiException.class, () -> pre290.createConsumer(stream, other)).getApiErrorCode());
        assertEquals(stream + ".C", pre290.updateConsumer(stream,
                ConsumerConfiguration.builder().durable("D").filterSubjects(stream + ".C").build()).getConsumerConfiguration().getFilterSubject());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("targets")
    void consumerFilterOutsideTheStreamSubjectsIsAllowed(TestServers.Target t) throws Exception {
        JetStreamManagement jsm = nc(t).jetStreamManagement();
        String stream = unique("FO");
        memoryStream(jsm, stream, stream + ".*");
        ConsumerInfo ci = jsm.addOrUpdateConsumer(stream, ConsumerConfiguration.builder().durable("D")
                .filterSubject("elsewhere.>").build());
        assertEquals("elsewhere.>", ci.getConsumerConfiguration().getFilterSubject());
        assertEquals(0, ci.getNumPending());
        ConsumerInfo multi = jsm.addOrUpdateConsumer(stream, ConsumerConfiguration.builder().durable("M")
                .filterSubjects("elsewhere.a", stream + ".x").build());
        assertEquals(List.of("elsewhere.a", stream + ".x"), multi.getConsumerConfiguration().getFilterSubjects());
        // a deliver subject the stream captures is still a cycle
        JetStreamApiException cycle = assertThrows(JetStreamApiException.class, () -> jsm.addOrUpdateConsumer(stream,
                ConsumerConfiguration.builder().durable("P").deliverSubject(stream + ".deliver").build()));
        assertEquals(10081, cycle.getApiErrorCode());
    }

    // ------------------------------------------------------------------ stream update

    @ParameterizedTest(name = "{0}")
    @MethodSource("targets")
    void streamUpdateOfRetentionCompressionAndMaxConsumers(TestServers.Target t) throws Exception {
        Connection nc = nc(t);
        JetStreamManagement jsm = nc.jetStreamManagement();
        JetStream js = nc.jetStream();
        String stream = unique("UP");
        StreamConfiguration base = StreamConfiguration.builder().name(stream).subjects(stream + ".>")
                .storageType(StorageType.File).build();
        jsm.addStream(base);
        js.publish(stream + ".a", "one".getBytes(StandardCharsets.UTF_8));
        js.publish(stream + ".a", "two".getBytes(StandardCharsets.UTF_8));
        // a consumer that acknowledged the first message only
        jsm.addOrUpdateConsumer(stream, ConsumerConfiguration.builder().durable("C").ackPolicy(AckPolicy.Explicit).build());
        JetStreamSubscription sub = js.subscribe(null, PullSubscribeOptions.bind(stream, "C"));
        List<Message> got = sub.fetch(1, Duration.ofSeconds(5));
        assertEquals(1, got.size());
        got.get(0).ackSync(Duration.ofSeconds(5));

        // limits -> interest: allowed; the message every consumer acknowledged goes, the other stays
        StreamInfo si = jsm.updateStream(StreamConfiguration.builder(base).retentionPolicy(RetentionPolicy.Interest).build());
        assertEquals(RetentionPolicy.Interest, si.getConfiguration().getRetentionPolicy());
        assertTrue(Clients.await(() -> messages(jsm, stream) == 1), "messages after the switch: " + messages(jsm, stream));
        // interest -> limits: allowed; to or from a work queue: not
        jsm.updateStream(StreamConfiguration.builder(base).retentionPolicy(RetentionPolicy.Limits).build());
        JetStreamApiException wq = assertThrows(JetStreamApiException.class, () ->
                jsm.updateStream(StreamConfiguration.builder(base).retentionPolicy(RetentionPolicy.WorkQueue).build()));
        assertEquals(10052, wq.getApiErrorCode());
        assertTrue(wq.getMessage().contains("to/from workqueue"), wq.getMessage());

        // compression both ways, with the stored messages still readable
        si = jsm.updateStream(StreamConfiguration.builder(base).compressionOption(CompressionOption.S2).build());
        assertEquals(CompressionOption.S2, si.getConfiguration().getCompressionOption());
        js.publish(stream + ".b", "three three three three three three three three three three three three three".getBytes(StandardCharsets.UTF_8));
        si = jsm.updateStream(StreamConfiguration.builder(base).compressionOption(CompressionOption.None).build());
        assertEquals(CompressionOption.None, si.getConfiguration().getCompressionOption());
        assertEquals("two", new String(jsm.getLastMessage(stream, stream + ".a").getData(), StandardCharsets.UTF_8));
        assertTrue(new String(jsm.getLastMessage(stream, stream + ".b").getData(), StandardCharsets.UTF_8).startsWith("three"));

        // max_consumers may change (2.12.5+): the consumer above the new limit stays, a new one is refused
        si = jsm.updateStream(StreamConfiguration.builder(base).maxConsumers(1).build());
        assertEquals(1, si.getConfiguration().getMaxConsumers());
        assertEquals(10026, assertThrows(JetStreamApiException.class, () -> jsm.addOrUpdateConsumer(stream,
                ConsumerConfiguration.builder().durable("C2").build())).getApiErrorCode());
        sub.unsubscribe();
    }

    static long messages(JetStreamManagement jsm, String stream) {
        try {
            return jsm.getStreamInfo(stream).getStreamState().getMsgCount();
        } catch (Exception e) {
            return -1;
        }
    }

    // ------------------------------------------------------------------ republish

    @ParameterizedTest(name = "{0}")
    @MethodSource("targets")
    void republishToADollarDestinationFeedsAKeyValueBucket(TestServers.Target t) throws Exception {
        Connection nc = nc(t);
        JetStreamManagement jsm = nc.jetStreamManagement();
        String bucket = unique("sb-");
        String subject = unique("rp");
        jsm.addStream(StreamConfiguration.builder().name(bucket).subjects(subject + ".>").storageType(StorageType.Memory)
                .republish(Republish.builder().source(">").destination("$KV." + bucket + ".>").build()).build());
        nc.keyValueManagement().create(KeyValueConfiguration.builder().name(bucket).storageType(StorageType.Memory).build());
        KeyValue kv = nc.keyValue(bucket);

        nc.publish(subject + ".one", "uno".getBytes(StandardCharsets.UTF_8));
        nc.jetStream().publish(subject + ".two", "dos".getBytes(StandardCharsets.UTF_8));
        kv.put(subject + ".three", "tres");
        assertTrue(Clients.await(() -> {
            try {
                return kv.get(subject + ".one") != null;
            } catch (Exception e) {
                return false;
            }
        }), "the core publish was republished into the bucket");
        assertEquals("uno", kv.get(subject + ".one").getValueAsString());
        assertEquals("dos", kv.get(subject + ".two").getValueAsString());
        assertEquals("tres", kv.get(subject + ".three").getValueAsString());
        assertEquals(bucket, kv.get(subject + ".one").getBucket());
    }

    // ------------------------------------------------------------------ stream info subject paging

    @ParameterizedTest(name = "{0}")
    @MethodSource("targets")
    void streamInfoSubjectsComeInPagesOfAHundredThousand(TestServers.Target t) throws Exception {
        Connection nc = nc(t);
        JetStreamManagement jsm = nc.jetStreamManagement();
        String stream = unique("PG");
        memoryStream(jsm, stream, stream + ".>");
        int total = 101_000;
        for (int i = 0; i < total; i++) {
            nc.publish(stream + "." + i, null);
        }
        nc.flush(Duration.ofSeconds(30));
        assertTrue(Clients.await(() -> messages(jsm, stream) == total, Duration.ofSeconds(60)), "stored: " + messages(jsm, stream));

        try (JsApiExchange x = JsApiExchange.open(SERVERS.get(t).port())) {
            JsonNode first = info(x, stream, 0);
            assertEquals(total, first.get("total").asInt());
            assertEquals(0, first.get("offset").asInt());
            assertEquals(100_000, first.get("limit").asInt());
            assertEquals(100_000, first.path("state").path("subjects").size());
            JsonNode second = info(x, stream, 100_000);
            assertEquals(total, second.get("total").asInt());
            assertEquals(100_000, second.get("offset").asInt());
            assertEquals(1_000, second.path("state").path("subjects").size());
            second.path("state").path("subjects").fieldNames().forEachRemaining(s ->
                    assertTrue(!first.path("state").path("subjects").has(s), s + " on both pages"));
            JsonNode beyond = info(x, stream, 200_000);
            assertTrue(beyond.path("state").path("subjects").isMissingNode(), beyond.path("state").toString());
            assertEquals(200_000, beyond.get("offset").asInt());
            JsonNode none = requestJson(x, "$JS.API.STREAM.INFO." + stream, "{\"subjects_filter\":\"nothing.here\"}");
            assertEquals(0, none.get("total").asInt());
            assertEquals(0, none.get("limit").asInt());
        }
        // jnats reads the pages and gets every subject once
        StreamInfo si = jsm.getStreamInfo(stream, StreamInfoOptions.filterSubjects(stream + ".>"));
        assertEquals(total, si.getStreamState().getSubjects().size());
        assertTrue(si.getStreamState().getSubjects().stream().allMatch(s -> s.getCount() == 1));
        jsm.deleteStream(stream);
    }

    static JsonNode info(JsApiExchange x, String stream, int offset) throws Exception {
        return requestJson(x, "$JS.API.STREAM.INFO." + stream, "{\"subjects_filter\":\">\",\"offset\":" + offset + "}");
    }

    static JsonNode requestJson(JsApiExchange x, String subject, String body) throws Exception {
        JsApiExchange.Reply r = x.request(subject, null, body, Duration.ofSeconds(30));
        assertNotNull(r, "no reply to " + subject);
        return JSON.readTree(r.payload());
    }

    // ------------------------------------------------------------------ pulls

    /** A pull request jnats's builder refuses to make: no_wait with an idle heartbeat. */
    static final class NoWaitWithHeartbeat extends PullRequestOptions {
        NoWaitWithHeartbeat() {
            super(PullRequestOptions.builder(1));
        }

        @Override
        public String toJson() {
            return "{\"batch\":1,\"no_wait\":true,\"idle_heartbeat\":1000000}";
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("targets")
    void aNoWaitPullWithAHeartbeatIsABadRequest(TestServers.Target t) throws Exception {
        Connection nc = nc(t);
        JetStreamManagement jsm = nc.jetStreamManagement();
        String stream = unique("BR");
        memoryStream(jsm, stream, stream + ".*");
        JetStreamSubscription sub = nc.jetStream().subscribe(stream + ".a", PullSubscribeOptions.builder().build());
        sub.pull(new NoWaitWithHeartbeat());
        JetStreamStatusException e = assertThrows(JetStreamStatusException.class, () -> sub.nextMessage(Duration.ofSeconds(5)));
        assertEquals(400, e.getStatus().getCode());
        assertTrue(e.getStatus().getMessage().contains("Bad Request"), e.getStatus().getMessage());
        sub.unsubscribe();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("targets")
    void pullMaxBytesCountsSubjectReplyHeadersAndPayload(TestServers.Target t) throws Exception {
        Connection nc = nc(t);
        JetStreamManagement jsm = nc.jetStreamManagement();
        String stream = unique("MB");
        memoryStream(jsm, stream, stream + ".*");
        byte[] payload = new byte[100];
        for (int i = 0; i < 10; i++) {
            nc.jetStream().publish(stream + ".x", payload);
        }
        jsm.addOrUpdateConsumer(stream, ConsumerConfiguration.builder().durable("C").ackPolicy(AckPolicy.None).build());
        JetStreamSubscription sub = nc.jetStream().subscribe(null, PullSubscribeOptions.bind(stream, "C"));
        long maxBytes = 500;
        sub.pull(PullRequestOptions.builder(10).maxBytes(maxBytes).expiresIn(Duration.ofSeconds(2)).build());
        List<Message> got = new ArrayList<>();
        long used = 0;
        while (true) {
            Message m;
            try {
                m = sub.nextMessage(Duration.ofMillis(2500));
            } catch (JetStreamStatusException e) {
                break; // the 409 that ends the request, where jnats reports it
            }
            if (m == null) {
                break;
            }
            got.add(m);
            used += m.getSubject().length() + m.getReplyTo().length() + m.getData().length
                    + (m.getHeaders() == null ? 0 : m.getHeaders().serializedLength());
        }
        // counting the payload alone would have let 5 of the 100-byte messages through
        assertTrue(got.size() < 5, got.size() + " messages in " + maxBytes + " bytes");
        assertTrue(!got.isEmpty());
        assertTrue(used <= maxBytes, "used " + used);
        long each = used / got.size();
        assertTrue(used + each > maxBytes, "another message of " + each + " bytes would have fitted in " + maxBytes + " after " + used);
        sub.unsubscribe();
    }

    // ------------------------------------------------------------------ push interest

    @ParameterizedTest(name = "{0}")
    @MethodSource("targets")
    void aPushConsumerDeliversAsSoonAsItsSubscriberArrives(TestServers.Target t) throws Exception {
        Connection nc = nc(t);
        JetStreamManagement jsm = nc.jetStreamManagement();
        String stream = unique("PI");
        memoryStream(jsm, stream, stream + ".*");
        nc.jetStream().publish(stream + ".x", "hello".getBytes(StandardCharsets.UTF_8));
        List<Long> delays = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            String deliver = unique("deliver.pi");
            jsm.addOrUpdateConsumer(stream, ConsumerConfiguration.builder().durable("D" + i).deliverSubject(deliver)
                    .ackPolicy(AckPolicy.None).build());
            Thread.sleep(1_200); // past the first idle wake of a delivery loop that found no one listening
            long start = System.nanoTime();
            Subscription sub = nc.subscribe(deliver);
            Message m = sub.nextMessage(Duration.ofSeconds(5));
            long ms = (System.nanoTime() - start) / 1_000_000;
            assertNotNull(m, "nothing delivered to the late subscriber");
            delays.add(ms);
            sub.unsubscribe();
        }
        // nats-server takes about a millisecond; a loop that only polls for interest takes up to a second
        assertTrue(delays.stream().allMatch(d -> d < 150), "delivery after subscribe took " + delays + " ms");
    }

    // ------------------------------------------------------------------ max payload

    @ParameterizedTest(name = "{0}")
    @MethodSource("targets")
    void aMaximumPayloadViolationResetsTheConnection(TestServers.Target t) throws Exception {
        try (JsServer s = JsServer.start(t, "max_payload: 1000\n")) {
            List<String> errors = new CopyOnWriteArrayList<>();
            List<Exception> exceptions = new CopyOnWriteArrayList<>();
            ErrorListener el = new ErrorListener() {
                @Override
                public void errorOccurred(Connection conn, String error) {
                    errors.add(error);
                }

                @Override
                public void exceptionOccurred(Connection conn, Exception exp) {
                    exceptions.add(exp);
                }
            };
            Options options = Options.builder().server(s.url()).noReconnect().clientSideLimitChecks(false).errorListener(el).build();
            try (Connection nc = Nats.connect(options)) {
                nc.publish("subject", null, null, new byte[1001]);
                assertTrue(Clients.await(() -> errors.stream().anyMatch(e -> e.contains("Maximum Payload Violation"))
                        && exceptions.stream().anyMatch(e -> e instanceof SocketException), Duration.ofSeconds(2)),
                        "errors " + errors + ", exceptions " + exceptions);
            }
        }
    }
}
