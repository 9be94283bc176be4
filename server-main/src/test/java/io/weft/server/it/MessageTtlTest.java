package io.weft.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.Message;
import io.nats.client.MessageTtl;
import io.nats.client.PublishOptions;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.api.StreamInfo;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Per-message TTL (nats-server 2.11, ADR-43) through jnats' own API ({@code MessageTtl},
 * {@code allowMessageTtl}): the same calls against nats-server 2.15.1 and weft must be seen alike;
 * the restart case runs on weft alone (its store directory is reopened).
 */
class MessageTtlTest extends JsReferencePair {

    static String publish(JetStream js, String subject, String ttlHeader) {
        Headers h = new Headers();
        if (ttlHeader != null) {
            h.put("Nats-TTL", ttlHeader);
        }
        try {
            return "seq " + js.publish(NatsMessage.builder().subject(subject).headers(h).data("x").build()).getSeqno();
        } catch (JetStreamApiException e) {
            return "error " + e.getApiErrorCode() + " " + e.getErrorDescription();
        } catch (Exception e) {
            return "failed " + e;
        }
    }

    static String stored(JetStreamManagement jsm, String stream, long seq) throws Exception {
        try {
            Headers h = jsm.getMessage(stream, seq).getHeaders();
            return seq + ": stored" + (h == null ? "" : " ttl " + h.getFirst("Nats-TTL"));
        } catch (JetStreamApiException e) {
            return seq + ": error " + e.getApiErrorCode();
        }
    }


    /** The error part of a raw STREAM.CREATE reply, or "created". */
    static String rawCreate(Connection nc, String body) throws Exception {
        Message r = nc.request("$JS.API.STREAM.CREATE.SDM", body.getBytes(), Duration.ofSeconds(3));
        String json = new String(r.getData());
        int e = json.indexOf("\"error\":");
        return e < 0 ? "created" : json.substring(e, json.indexOf('}', e) + 1);
    }


    @Test
    void aTtlNeedsAllowMsgTtlAndAValidValue() throws Exception {
        List<Object> seen = both(nc -> {
            List<Object> out = new ArrayList<>();
            JetStreamManagement jsm = nc.jetStreamManagement();
            JetStream js = nc.jetStream();
            jsm.addStream(StreamConfiguration.builder().name("PLAIN").subjects("plain.>").storageType(StorageType.File).build());
            out.add("plain 5s: " + publish(js, "plain.a", "5s"));
            out.add("plain abc: " + publish(js, "plain.a", "abc"));
            try {
                js.publish("plain.a", "y".getBytes(), PublishOptions.builder().messageTtlSeconds(2).build());
                out.add("plain jnats ttl: stored");
            } catch (JetStreamApiException e) {
                out.add("plain jnats ttl: " + e.getApiErrorCode() + " " + e.getErrorDescription());
            }
            StreamInfo si = jsm.addStream(StreamConfiguration.builder().name("TTL").subjects("ttl.>")
                    .storageType(StorageType.File).allowMessageTtl().build());
            out.add("allow_msg_ttl " + si.getConfiguration().getAllowMessageTtl()
                    + " req.level " + si.getConfiguration().getMetadata().get("_nats.req.level"));
            for (String v : List.of("1s", "2", "never", "1m30s", "1.5s", "1000ms", "+1s", "01", "", "abc", "0", "0s",
                    "-1", "999ms", "0.5s", "1e3", "1S", "30x", "9999999999999999999")) {
                out.add("'" + v + "': " + publish(js, "ttl.v", v));
            }
            out.add("update off: " + apiError(() -> jsm.updateStream(StreamConfiguration.builder().name("TTL")
                    .subjects("ttl.>").storageType(StorageType.File).build())));
            out.add("update on: " + apiError(() -> jsm.updateStream(StreamConfiguration.builder().name("PLAIN")
                    .subjects("plain.>").storageType(StorageType.File).allowMessageTtl().build())));
            out.add("plain after on: " + publish(js, "plain.a", "5s"));
            out.add("info " + jsm.getStreamInfo("PLAIN").getConfiguration().getAllowMessageTtl());
            // jnats checks subject_delete_marker_ttl itself: the server's rules through raw requests
            out.add("sdm negative: " + rawCreate(nc, "{\"name\":\"SDM\",\"subjects\":[\"sdm.>\"],"
                    + "\"allow_msg_ttl\":true,\"subject_delete_marker_ttl\":-1}"));
            out.add("sdm 500ms: " + rawCreate(nc, "{\"name\":\"SDM\",\"subjects\":[\"sdm.>\"],"
                    + "\"allow_msg_ttl\":true,\"subject_delete_marker_ttl\":500000000}"));
            jsm.deleteStream("PLAIN");
            jsm.deleteStream("TTL");
            return out;
        });
        assertEquals("plain 5s: error 10166 per-message TTL is disabled", seen.get(0), seen.toString());
        assertEquals("plain abc: error 10165 invalid per-message TTL", seen.get(1), seen.toString());
        assertTrue(seen.contains("update off: error 10052 message TTL status can not be disabled"), seen.toString());
    }

    @Test
    void messagesExpireAtTheirTtlAndNeverOutlivesMaxAge() throws Exception {
        List<Object> seen = both(nc -> {
            List<Object> out = new ArrayList<>();
            JetStreamManagement jsm = nc.jetStreamManagement();
            JetStream js = nc.jetStream();
            jsm.addStream(StreamConfiguration.builder().name("EXP").subjects("exp.>").storageType(StorageType.File)
                    .allowMessageTtl().build());
            js.publish("exp.a", "one".getBytes(), PublishOptions.builder().messageTtlSeconds(1).build());
            js.publish("exp.b", "two".getBytes(), PublishOptions.builder().messageTtl(MessageTtl.seconds(30)).build());
            js.publish("exp.c", "three".getBytes(), PublishOptions.builder().messageTtl(MessageTtl.never()).build());
            js.publish("exp.d", "four".getBytes());
            for (long s = 1; s <= 4; s++) {
                out.add("before " + stored(jsm, "EXP", s));
            }
            Thread.sleep(2200);
            for (long s = 1; s <= 4; s++) {
                out.add("after " + stored(jsm, "EXP", s));
            }
            out.add("msgs " + jsm.getStreamInfo("EXP").getStreamState().getMsgCount()
                    + " first " + jsm.getStreamInfo("EXP").getStreamState().getFirstSequence());
            // max_age removes what has a TTL (even a longer one) but spares `never`
            jsm.addStream(StreamConfiguration.builder().name("AGE").subjects("age.>").storageType(StorageType.File)
                    .allowMessageTtl().maxAge(Duration.ofSeconds(1)).build());
            js.publish("age.a", "n".getBytes(), PublishOptions.builder().messageTtl(MessageTtl.never()).build());
            js.publish("age.b", "t".getBytes(), PublishOptions.builder().messageTtlSeconds(20).build());
            js.publish("age.c", "p".getBytes());
            js.publish("age.d", "n2".getBytes(), PublishOptions.builder().messageTtl(MessageTtl.never()).build());
            Thread.sleep(2500);
            for (long s = 1; s <= 4; s++) {
                out.add("aged " + stored(jsm, "AGE", s));
            }
            out.add("aged msgs " + jsm.getStreamInfo("AGE").getStreamState().getMsgCount());
            jsm.deleteStream("EXP");
            jsm.deleteStream("AGE");
            return out;
        });
        assertTrue(seen.contains("before 1: stored ttl 1s"), seen.toString());
        assertTrue(seen.contains("after 1: error 10037"), seen.toString());
        assertTrue(seen.contains("after 3: stored ttl never"), seen.toString());
        assertTrue(seen.contains("aged 1: stored ttl never"), seen.toString());
        assertTrue(seen.contains("aged 2: error 10037"), seen.toString());
    }

    /** A consumer created after a TTL ran out never gets the message; one reading before it does. */
    @Test
    void anExpiredMessageIsNotDelivered() throws Exception {
        List<Object> seen = both(nc -> {
            List<Object> out = new ArrayList<>();
            JetStreamManagement jsm = nc.jetStreamManagement();
            JetStream js = nc.jetStream();
            jsm.addStream(StreamConfiguration.builder().name("DLV").subjects("dlv.>").storageType(StorageType.File)
                    .allowMessageTtl().build());
            js.publish("dlv.a", "short".getBytes(), PublishOptions.builder().messageTtlSeconds(1).build());
            js.publish("dlv.b", "long".getBytes(), PublishOptions.builder().messageTtlSeconds(60).build());
            var early = js.subscribe("dlv.>", io.nats.client.PushSubscribeOptions.builder().ordered(true).build());
            for (int i = 0; i < 2; i++) {
                Message m = early.nextMessage(Duration.ofSeconds(3));
                out.add("early " + (m == null ? "none" : new String(m.getData())));
            }
            Thread.sleep(1800);
            var late = js.subscribe("dlv.>", io.nats.client.PushSubscribeOptions.builder().ordered(true).build());
            Message m = late.nextMessage(Duration.ofSeconds(3));
            out.add("late " + (m == null ? "none" : new String(m.getData()) + " seq " + m.metaData().streamSequence()));
            out.add("late next " + (late.nextMessage(Duration.ofMillis(300)) == null ? "none" : "more"));
            jsm.deleteStream("DLV");
            return out;
        });
        assertEquals(List.of("early short", "early long", "late long seq 2", "late next none"), seen);
    }

    /** A KV bucket without limit markers has no per-key TTL: jnats' create with a TTL is refused alike. */
    @Test
    void aKvKeyTtlWithoutLimitMarkersIsRefusedAlike() throws Exception {
        List<Object> seen = both(nc -> {
            List<Object> out = new ArrayList<>();
            nc.keyValueManagement().create(io.nats.client.api.KeyValueConfiguration.builder().name("kvttl")
                    .storageType(StorageType.File).build());
            io.nats.client.KeyValue kv = nc.keyValue("kvttl");
            out.add("create with ttl: " + apiError(() -> kv.create("k", "v".getBytes(), MessageTtl.seconds(5))));
            out.add("plain create: rev " + kv.create("k", "v".getBytes()));
            nc.keyValueManagement().delete("kvttl");
            return out;
        });
        assertEquals("create with ttl: error 10166 per-message TTL is disabled", seen.get(0), seen.toString());
    }

    /** The expiry comes from the stored header and timestamp after a restart. */
    @Test
    void aTtlSurvivesARestartOfWeft() throws Exception {
        try (JsServer own = JsServer.start(TestServers.Target.WEFT, "")) {
            try (Connection nc = Clients.connect(own.server)) {
                JetStreamManagement jsm = nc.jetStreamManagement();
                JetStream js = nc.jetStream();
                jsm.addStream(StreamConfiguration.builder().name("R").subjects("r.>").storageType(StorageType.File)
                        .allowMessageTtl().maxAge(Duration.ofSeconds(60)).build());
                js.publish("r.a", "soon".getBytes(), PublishOptions.builder().messageTtlSeconds(8).build());
                js.publish("r.b", "later".getBytes(), PublishOptions.builder().messageTtlSeconds(120).build());
                js.publish("r.c", "never".getBytes(), PublishOptions.builder().messageTtl(MessageTtl.never()).build());
            }
            long published = System.nanoTime();
            own.server.restart();
            try (Connection nc = Clients.connect(own.server)) {
                JetStreamManagement jsm = nc.jetStreamManagement();
                assertTrue(jsm.getStreamInfo("R").getConfiguration().getAllowMessageTtl());
                long left = 8_000 - (System.nanoTime() - published) / 1_000_000;
                if (left > 500) {
                    assertEquals("1: stored ttl 8s", stored(jsm, "R", 1), "served before its TTL");
                }
                Thread.sleep(Math.max(0, left) + 1200);
                assertEquals("1: error 10037", stored(jsm, "R", 1));
                assertEquals("2: stored ttl 120s", stored(jsm, "R", 2));
                assertEquals("3: stored ttl never", stored(jsm, "R", 3));
                assertFalse(jsm.getStreamInfo("R").getStreamState().getMsgCount() != 2);
            }
        }
    }
}
