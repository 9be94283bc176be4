package io.weft.server.it;

import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamSubscription;
import io.nats.client.KeyValue;
import io.nats.client.Message;
import io.nats.client.PullSubscribeOptions;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.CompressionOption;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.ConsumerInfo;
import io.nats.client.api.KeyValueConfiguration;
import io.nats.client.api.KeyValueEntry;
import io.nats.client.api.KeyValueWatcher;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.api.StreamInfo;
import io.nats.client.api.SubjectTransform;
import io.nats.client.impl.NatsKeyValueWatchSubscription;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static io.weft.server.it.Clients.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Features of the nats-server 2.10 API that the reference 2.9.10 lacks (first_seq, subject_transform,
 * metadata, compression, filter_subjects, multi-filter KV watch and keys). Skipped on nats-server;
 * the expectations come from the 2.10 documentation (ADR-31/36, the stream configuration table).
 */
class JetStream210Test {
    static JsServer server;
    static Connection nc;
    static JetStreamManagement jsm;
    static JetStream js;

    @BeforeAll
    static void start() throws Exception {
        assumeTrue(TestServers.target() == TestServers.Target.WEFT,
                "2.10 features: nats-server 2.9.10 (the reference here) does not have them");
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

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void firstSequenceMetadataAndCompression() throws Exception {
        StreamInfo si = jsm.addStream(StreamConfiguration.builder().name("F210").subjects("f210.>")
                .storageType(StorageType.File).firstSequence(1000).metadata(Map.of("owner", "team-a"))
                .compressionOption(CompressionOption.S2).build());
        assertEquals(1000, si.getConfiguration().getFirstSequence());
        assertEquals("team-a", si.getConfiguration().getMetadata().get("owner"));
        assertEquals(CompressionOption.S2, si.getConfiguration().getCompressionOption());
        assertEquals(1000, js.publish("f210.a", b("x")).getSeqno());
        byte[] compressible = "abcdefgh".repeat(4096).getBytes(StandardCharsets.UTF_8);
        long seq = js.publish("f210.b", compressible).getSeqno();
        assertEquals(1001, seq);
        assertEquals(new String(compressible, StandardCharsets.UTF_8),
                new String(jsm.getMessage("F210", seq).getData(), StandardCharsets.UTF_8));
        StreamInfo after = jsm.getStreamInfo("F210");
        assertEquals(1000, after.getStreamState().getFirstSequence());
        assertEquals(1001, after.getStreamState().getLastSequence());
    }

    @Test
    void subjectTransformRewritesStoredSubjects() throws Exception {
        jsm.addStream(StreamConfiguration.builder().name("T210").subjects("in210.>").storageType(StorageType.Memory)
                .subjectTransform(SubjectTransform.builder().source("in210.>").destination("stored210.>").build()).build());
        js.publish("in210.x.y", b("moved"));
        assertEquals("stored210.x.y", jsm.getMessage("T210", 1).getSubject());
        assertEquals("moved", new String(jsm.getLastMessage("T210", "stored210.x.y").getData(), StandardCharsets.UTF_8));
    }

    @Test
    void consumerWithSeveralFilterSubjects() throws Exception {
        jsm.addStream(StreamConfiguration.builder().name("M210").subjects("m210.*").storageType(StorageType.Memory).build());
        for (String s : List.of("a", "b", "c", "a", "c", "b")) {
            js.publish("m210." + s, b(s));
        }
        ConsumerInfo ci = jsm.addOrUpdateConsumer("M210", ConsumerConfiguration.builder().durable("ab")
                .filterSubjects("m210.a", "m210.b").ackPolicy(AckPolicy.Explicit).metadata(Map.of("k", "v")).build());
        assertEquals(List.of("m210.a", "m210.b"), ci.getConsumerConfiguration().getFilterSubjects());
        assertEquals("v", ci.getConsumerConfiguration().getMetadata().get("k"));
        assertEquals(4, ci.getNumPending());
        JetStreamSubscription sub = js.subscribe(null, PullSubscribeOptions.bind("M210", "ab"));
        List<Message> got = sub.fetch(10, Duration.ofSeconds(2));
        assertEquals(List.of("a", "b", "a", "b"), got.stream().map(m -> new String(m.getData(), StandardCharsets.UTF_8)).toList());
        assertEquals(List.of(1L, 2L, 4L, 6L), got.stream().map(m -> m.metaData().streamSequence()).toList());
    }

    @Test
    void keyValueWatchAndKeysWithSeveralFilters() throws Exception {
        nc.keyValueManagement().create(KeyValueConfiguration.builder().name("KV210").storageType(StorageType.Memory).build());
        KeyValue kv = nc.keyValue("KV210");
        kv.put("a.1", "x");
        kv.put("b.1", "y");
        kv.put("c.1", "z");
        assertEquals(List.of("a.1", "c.1"), kv.keys(List.of("a.*", "c.*")).stream().sorted().toList());
        List<String> seen = new CopyOnWriteArrayList<>();
        CountDownLatch end = new CountDownLatch(1);
        try (NatsKeyValueWatchSubscription w = kv.watch(List.of("a.*", "b.*"), new KeyValueWatcher() {
            @Override
            public void watch(KeyValueEntry e) {
                seen.add(e.getKey());
            }

            @Override
            public void endOfData() {
                end.countDown();
            }
        })) {
            assertTrue(end.await(10, TimeUnit.SECONDS));
            kv.put("c.2", "no");
            kv.put("b.2", "yes");
            assertTrue(await(() -> seen.contains("b.2")));
            Clients.settle();
            assertEquals(List.of("a.1", "b.1", "b.2"), seen);
        }
    }
}
