package io.weft.server.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamSubscription;
import io.nats.client.KeyValue;
import io.nats.client.Message;
import io.nats.client.MessageTtl;
import io.nats.client.PublishOptions;
import io.nats.client.PushSubscribeOptions;
import io.nats.client.api.KeyValueConfiguration;
import io.nats.client.api.KeyValueEntry;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.api.StreamState;
import io.nats.client.impl.Headers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Subject delete markers ({@code subject_delete_marker_ttl}, nats-server 2.11, ADR-43) and KV
 * per-key TTL with limit markers (ADR-48) through jnats: the same calls against nats-server 2.15.1
 * and weft must give the same messages (sequences, subjects, marker headers) and the same KV view.
 * Each scenario watches the stream with an ordered consumer started before anything expires, so
 * what is compared does not depend on when each server's expiry timer happens to fire.
 */
class SubjectDeleteMarkerTest extends JsReferencePair {

    /** One message as the comparison sees it: sequence, subject, the marker headers, the payload. */
    static String describe(Message m) {
        Headers h = m.getHeaders();
        StringBuilder sb = new StringBuilder().append(m.metaData().streamSequence()).append(' ').append(m.getSubject());
        if (h != null) {
            for (String k : List.of("Nats-Marker-Reason", "Nats-TTL", "Nats-Rollup", "KV-Operation")) {
                if (h.getFirst(k) != null) {
                    sb.append(' ').append(k).append('=').append(h.getFirst(k));
                }
            }
        }
        return sb.append(" '").append(new String(m.getData())).append('\'').toString();
    }

    /** The next {@code n} messages of an ordered consumer (up to {@code seconds} in all). */
    static List<String> watch(JetStreamSubscription sub, int n, int seconds) throws InterruptedException {
        List<String> out = new ArrayList<>();
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        while (out.size() < n && System.nanoTime() < end) {
            Message m = sub.nextMessage(Duration.ofMillis(200));
            if (m != null) {
                out.add(describe(m));
            }
        }
        return out;
    }

    /** Polls until the stream is empty (up to {@code seconds}); its state then, or what it was at the end. */
    static String drained(JetStreamManagement jsm, String stream, int seconds) throws Exception {
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        StreamState st = jsm.getStreamInfo(stream).getStreamState();
        while (st.getMsgCount() > 0 && System.nanoTime() < end) {
            Thread.sleep(100);
            st = jsm.getStreamInfo(stream).getStreamState();
        }
        return "msgs " + st.getMsgCount() + " last " + st.getLastSequence();
    }

    static String publishTtl(JetStream js, String subject, String data, String ttl) throws Exception {
        Headers h = new Headers();
        if (ttl != null) {
            h.put("Nats-TTL", ttl);
        }
        return "seq " + js.publish(io.nats.client.impl.NatsMessage.builder().subject(subject).headers(h)
                .data(data).build()).getSeqno();
    }

    @Test
    void maxAgeLeavesAMarkerForTheLastMessageOfASubject() throws Exception {
        List<Object> seen = both(nc -> {
            List<Object> out = new ArrayList<>();
            JetStreamManagement jsm = nc.jetStreamManagement();
            JetStream js = nc.jetStream();
            var si = jsm.addStream(StreamConfiguration.builder().name("SDMAGE").subjects("age.>")
                    .storageType(StorageType.File).maxAge(Duration.ofSeconds(1))
                    .subjectDeleteMarkerTtl(Duration.ofSeconds(1)).build());
            out.add("config ttl " + si.getConfiguration().getAllowMessageTtl() + " rollup "
                    + si.getConfiguration().getAllowRollup() + " sdm " + si.getConfiguration().getSubjectDeleteMarkerTtl()
                    + " req.level " + si.getConfiguration().getMetadata().get("_nats.req.level"));
            JetStreamSubscription sub = js.subscribe("age.>", PushSubscribeOptions.builder().ordered(true).build());
            js.publish("age.a", "a1".getBytes());
            js.publish("age.a", "a2".getBytes());
            js.publish("age.b", "b1".getBytes());
            out.addAll(watch(sub, 5, 10));
            out.add(drained(jsm, "SDMAGE", 10));
            out.add("after " + watch(sub, 1, 1));
            jsm.deleteStream("SDMAGE");
            return out;
        });
        assertTrue(seen.contains("4 age.a Nats-Marker-Reason=MaxAge Nats-TTL=1s Nats-Rollup=sub ''"), seen.toString());
        assertTrue(seen.contains("msgs 0 last 5"), seen.toString());
    }

    @Test
    void anExpiredTtlLeavesAMarkerAndShortTtlsAreRaised() throws Exception {
        List<Object> seen = both(nc -> {
            List<Object> out = new ArrayList<>();
            JetStreamManagement jsm = nc.jetStreamManagement();
            JetStream js = nc.jetStream();
            jsm.addStream(StreamConfiguration.builder().name("SDMTTL").subjects("ttl.>")
                    .storageType(StorageType.File).allowMessageTtl()
                    .subjectDeleteMarkerTtl(Duration.ofSeconds(2)).build());
            JetStreamSubscription sub = js.subscribe("ttl.>", PushSubscribeOptions.builder().ordered(true).build());
            out.add(publishTtl(js, "ttl.a", "a", "1s"));
            out.add(publishTtl(js, "ttl.keep", "k", null));
            out.add(publishTtl(js, "ttl.c", "c1", "2s"));
            out.add(publishTtl(js, "ttl.c", "c2", "3s"));
            out.add("stored ttl " + jsm.getMessage("SDMTTL", 1).getHeaders().getFirst("Nats-TTL")
                    + " / " + jsm.getMessage("SDMTTL", 4).getHeaders().getFirst("Nats-TTL"));
            out.addAll(watch(sub, 6, 12));
            out.add(drained(jsm, "SDMTTL", 10).equals("msgs 1 last 6") ? "only keep left" : "not yet");
            long end = System.nanoTime() + 8_000_000_000L;
            StreamState st = jsm.getStreamInfo("SDMTTL").getStreamState();
            while (st.getMsgCount() > 1 && System.nanoTime() < end) {
                Thread.sleep(100);
                st = jsm.getStreamInfo("SDMTTL").getStreamState();
            }
            out.add("left " + st.getMsgCount() + " last " + st.getLastSequence());
            try {
                out.add("last of ttl.a: " + jsm.getLastMessage("SDMTTL", "ttl.a").getSeq());
            } catch (JetStreamApiException e) {
                out.add("last of ttl.a: " + e.getApiErrorCode());
            }
            jsm.deleteStream("SDMTTL");
            return out;
        });
        assertTrue(seen.contains("stored ttl 2 / 3s"), seen.toString());
        assertTrue(seen.contains("5 ttl.a Nats-Marker-Reason=MaxAge Nats-TTL=2s Nats-Rollup=sub ''"), seen.toString());
        assertTrue(seen.contains("left 1 last 6"), seen.toString());
    }

    @Test
    void kvKeysExpireByTtlAndLeaveLimitMarkers() throws Exception {
        List<Object> seen = both(nc -> {
            List<Object> out = new ArrayList<>();
            nc.keyValueManagement().create(KeyValueConfiguration.builder().name("kvsdm").storageType(StorageType.File)
                    .limitMarker(Duration.ofSeconds(1)).build());
            var status = nc.keyValueManagement().getStatus("kvsdm");
            out.add("limit marker " + status.getLimitMarkerTtl());
            KeyValue kv = nc.keyValue("kvsdm");
            JetStreamSubscription sub = nc.jetStream().subscribe("$KV.kvsdm.>",
                    PushSubscribeOptions.builder().ordered(true).build());
            out.add("create k rev " + kv.create("k", "v".getBytes(), MessageTtl.seconds(1)));
            out.add("put keep rev " + kv.put("keep", "x".getBytes()));
            out.add("put p rev " + kv.put("p", "y".getBytes()));
            kv.purge("p", MessageTtl.seconds(1));
            KeyValueEntry before = kv.get("k");
            out.add("k before " + (before == null ? "none" : new String(before.getValue())));
            out.addAll(watch(sub, 5, 10));
            long end = System.nanoTime() + 10_000_000_000L;
            while (jsmMsgs(nc) > 1 && System.nanoTime() < end) {
                Thread.sleep(100);
            }
            out.add("msgs " + jsmMsgs(nc));
            KeyValueEntry after = kv.get("k");
            out.add("k after " + (after == null ? "none" : after.getOperation()));
            out.add("keys " + kv.keys());
            out.add("create k again rev " + kv.create("k", "w".getBytes()));
            nc.keyValueManagement().delete("kvsdm");
            return out;
        });
        assertTrue(seen.contains("5 $KV.kvsdm.k Nats-Marker-Reason=MaxAge Nats-TTL=1s Nats-Rollup=sub ''"),
                seen.toString());
        assertTrue(seen.contains("keys [keep]"), seen.toString());
    }

    private static long jsmMsgs(Connection nc) throws Exception {
        return nc.jetStreamManagement().getStreamInfo("KV_kvsdm").getStreamState().getMsgCount();
    }
}
