package io.weft.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.PullSubscribeOptions;
import io.nats.client.Subscription;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.ConsumerInfo;
import io.nats.client.api.RetentionPolicy;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * JetStream behaviour of nats-server 2.11+ that clients rely on, driven with jnats against
 * nats-server 2.15.1 and weft: each scenario runs the same client calls on both servers, records
 * what a client sees, asserts the facts on the reference and requires weft to see the same.
 */
class JetStreamLevelDifferentialTest {
    static JsServer reference;
    static JsServer weft;

    @BeforeAll
    static void start() {
        reference = JsServer.start(TestServers.Target.NATS_NEWEST, "");
        weft = JsServer.start(TestServers.Target.WEFT, "");
    }

    @AfterAll
    static void stop() {
        if (reference != null) {
            reference.close();
        }
        if (weft != null) {
            weft.close();
        }
    }

    static Connection connect(JsServer s) throws Exception {
        return Nats.connect(new Options.Builder().server(s.url()).connectionTimeout(Duration.ofSeconds(5)).build());
    }

    interface Scenario {
        List<Object> run(Connection nc) throws Exception;
    }

    /** Runs the scenario on both servers; returns the reference's observations after checking weft's equal them. */
    static List<Object> both(Scenario s) throws Exception {
        List<Object> ref;
        try (Connection nc = connect(reference)) {
            ref = s.run(nc);
        }
        List<Object> got;
        try (Connection nc = connect(weft)) {
            got = s.run(nc);
        }
        assertEquals(ref, got, "weft vs nats-server 2.15.1");
        return ref;
    }

    static Message awaitMessage(Subscription sub, long millis) throws InterruptedException {
        Message m = sub.nextMessage(Duration.ofMillis(millis));
        assertNotNull(m, "no message on " + sub.getSubject() + " within " + millis + " ms");
        return m;
    }

    static boolean stored(JetStreamManagement jsm, String stream, long seq) throws Exception {
        try {
            jsm.getMessage(stream, seq);
            return true;
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() == 10037) {
                return false;
            }
            throw e;
        }
    }

    static String floor(ConsumerInfo ci) {
        return "floor " + ci.getAckFloor().getConsumerSequence() + "/" + ci.getAckFloor().getStreamSequence()
                + " ack_pending " + ci.getNumAckPending() + " redelivered " + ci.getRedelivered()
                + " pending " + ci.getNumPending();
    }

    // ------------------------------------------------------------------ 1. max_deliver in a work queue

    /**
     * A work-queue message that ran out of max_deliver stays in the stream (the application reads it
     * after the MAX_DELIVERIES advisory to dead-letter it), the ack floor does not pass it, and a late
     * ack of it is what removes it.
     */
    @Test
    void workQueueKeepsAMessageThatRanOutOfDeliveries() throws Exception {
        List<Object> seen = both(nc -> {
            List<Object> out = new ArrayList<>();
            JetStreamManagement jsm = nc.jetStreamManagement();
            JetStream js = nc.jetStream();
            jsm.addStream(StreamConfiguration.builder().name("WQ").subjects("wq.>").storageType(StorageType.File)
                    .retentionPolicy(RetentionPolicy.WorkQueue).build());
            for (int i = 1; i <= 3; i++) {
                js.publish("wq.job", ("job " + i).getBytes());
            }
            jsm.addOrUpdateConsumer("WQ", ConsumerConfiguration.builder().durable("W").ackPolicy(AckPolicy.Explicit)
                    .maxDeliver(1).ackWait(Duration.ofMillis(300)).build());
            Subscription adv = nc.subscribe("$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.WQ.W");
            nc.flush(Duration.ofSeconds(2));
            JetStreamSubscription sub = js.subscribe(null, PullSubscribeOptions.bind("WQ", "W"));
            List<Message> got = sub.fetch(2, Duration.ofSeconds(3));
            out.add("fetched " + got.size());
            got.get(1).ack(); // seq 2 acknowledged; seq 1 runs out of its single delivery
            Message a = awaitMessage(adv, 3000);
            out.add("advisory for seq " + new String(a.getData()).replaceAll(".*\"stream_seq\":(\\d+).*", "$1"));
            Thread.sleep(100);
            out.add("stored 1: " + stored(jsm, "WQ", 1) + ", stored 2: " + stored(jsm, "WQ", 2));
            out.add(floor(jsm.getConsumerInfo("WQ", "W")));
            out.add("messages " + jsm.getStreamInfo("WQ").getStreamState().getMsgCount());
            got.get(0).ackSync(Duration.ofSeconds(2)); // the dead-lettering application is done with it
            out.add("after late ack: stored 1: " + stored(jsm, "WQ", 1));
            out.add(floor(jsm.getConsumerInfo("WQ", "W")));
            jsm.deleteStream("WQ");
            return out;
        });
        assertEquals("stored 1: true, stored 2: false", seen.get(2), seen.toString());
        assertEquals("after late ack: stored 1: false", seen.get(5), seen.toString());
        assertTrue(seen.get(3).toString().startsWith("floor 0/0 ack_pending 0"), seen.toString());
    }

    // ------------------------------------------------------------------ 2. pulls to consumers that are gone

    /** A status reply as a client sees it: code, text and the Nats-Subject header, and whether it came at once. */
    static String status(Subscription inbox, long startNanos) throws InterruptedException {
        Message m = inbox.nextMessage(Duration.ofSeconds(4));
        if (m == null) {
            return "no reply";
        }
        long ms = (System.nanoTime() - startNanos) / 1_000_000;
        String subj = m.getHeaders() == null ? null : m.getHeaders().getFirst("Nats-Subject");
        return (m.isStatusMessage() ? m.getStatus().getCode() + " " + m.getStatus().getMessage() : "message")
                + (subj == null ? "" : " Nats-Subject " + subj) + (ms < 1500 ? " (at once)" : " (after " + ms + " ms)");
    }

    static String pull(Connection nc, String stream, String consumer, String inbox) {
        nc.publish("$JS.API.CONSUMER.MSG.NEXT." + stream + "." + consumer, inbox,
                "{\"batch\":5,\"expires\":20000000000}".getBytes());
        return inbox;
    }

    /**
     * Waiting pull requests get 409 Consumer Deleted when their consumer or stream is deleted; a
     * new pull to a consumer or stream that does not exist gets the 503 "no responders" status at
     * once (the client asked for it in CONNECT, as jnats does), not silence until its expiry.
     */
    @Test
    void pullRequestsToDeletedConsumersAreAnsweredAtOnce() throws Exception {
        List<Object> seen = both(nc -> {
            List<Object> out = new ArrayList<>();
            JetStreamManagement jsm = nc.jetStreamManagement();
            jsm.addStream(StreamConfiguration.builder().name("PG").subjects("pg.>").build());
            for (String c : List.of("A", "B")) {
                jsm.addOrUpdateConsumer("PG", ConsumerConfiguration.builder().durable(c).ackPolicy(AckPolicy.Explicit).build());
            }
            Subscription waiting = nc.subscribe("_INBOX.waiting");
            Subscription later = nc.subscribe("_INBOX.later");
            Subscription nostream = nc.subscribe("_INBOX.nostream");
            nc.flush(Duration.ofSeconds(2));
            pull(nc, "PG", "A", "_INBOX.waiting");
            nc.flush(Duration.ofSeconds(2));
            Thread.sleep(200);
            jsm.deleteConsumer("PG", "A");
            long t = System.nanoTime();
            out.add("waiting on deleted consumer: " + status(waiting, t));
            t = System.nanoTime();
            pull(nc, "PG", "A", "_INBOX.later");
            out.add("new pull to deleted consumer: " + status(later, t));
            t = System.nanoTime();
            pull(nc, "NOPE", "A", "_INBOX.nostream");
            out.add("pull to missing stream: " + status(nostream, t));
            pull(nc, "PG", "B", "_INBOX.waiting");
            nc.flush(Duration.ofSeconds(2));
            Thread.sleep(200);
            jsm.deleteStream("PG");
            t = System.nanoTime();
            out.add("waiting when the stream is deleted: " + status(waiting, t));
            t = System.nanoTime();
            pull(nc, "PG", "B", "_INBOX.later");
            out.add("new pull after the stream is deleted: " + status(later, t));
            return out;
        });
        assertEquals("new pull to deleted consumer: 503 No Responders Available For Request Nats-Subject $JS.API.CONSUMER.MSG.NEXT.PG.A (at once)",
                seen.get(1), seen.toString());
    }

    // ------------------------------------------------------------------ 3. last_per_subject needs a filter

    /** {@code deliver_policy: last_per_subject} without a filter is 10094; a filtered create subject with a config that names no filter is 10131. */
    @Test
    void lastPerSubjectWithoutAFilterIsRefused() throws Exception {
        List<Object> seen = both(nc -> {
            List<Object> out = new ArrayList<>();
            JetStreamManagement jsm = nc.jetStreamManagement();
            jsm.addStream(StreamConfiguration.builder().name("LP").subjects("lp.>").build());
            String[][] cases = {
                {"$JS.API.CONSUMER.CREATE.LP", "{\"deliver_policy\":\"last_per_subject\"}"},
                {"$JS.API.CONSUMER.CREATE.LP.N", "{\"name\":\"N\",\"deliver_policy\":\"last_per_subject\"}"},
                {"$JS.API.CONSUMER.CREATE.LP.E", "{\"name\":\"E\",\"deliver_policy\":\"last_per_subject\",\"filter_subject\":\"\"}"},
                {"$JS.API.CONSUMER.DURABLE.CREATE.LP.D", "{\"durable_name\":\"D\",\"deliver_policy\":\"last_per_subject\",\"deliver_subject\":\"x.y\"}"},
                {"$JS.API.CONSUMER.CREATE.LP.F.lp.a", "{\"name\":\"F\",\"deliver_policy\":\"last_per_subject\"}"},
                {"$JS.API.CONSUMER.CREATE.LP.G.lp.a", "{\"name\":\"G\"}"},
                {"$JS.API.CONSUMER.CREATE.LP.H.lp.a", "{\"name\":\"H\",\"deliver_policy\":\"last_per_subject\",\"filter_subject\":\"lp.a\"}"},
                {"$JS.API.CONSUMER.CREATE.LP.I", "{\"name\":\"I\",\"deliver_policy\":\"last_per_subject\",\"filter_subjects\":[\"lp.a\",\"lp.b\"]}"},
            };
            for (String[] c : cases) {
                byte[] body = ("{\"stream_name\":\"LP\",\"config\":" + c[1] + "}").getBytes();
                Message m = nc.request(c[0], body, Duration.ofSeconds(3));
                var reply = JetStreamConfigDifferentialTest.JSON.readTree(m.getData());
                var err = reply.path("error");
                out.add(c[0] + " " + (err.isMissingNode() ? "ok " + reply.path("config").path("filter_subject").asText()
                        : err.path("err_code").asInt() + " " + err.path("description").asText()));
            }
            jsm.deleteStream("LP");
            return out;
        });
        assertEquals("$JS.API.CONSUMER.CREATE.LP 10094 consumer delivery policy is deliver last per subject, but optional filter subject is not set",
                seen.get(0), seen.toString());
    }

    // ------------------------------------------------------------------ 4. consumer pause

    /** The type, paused flag and pause_until of a pause advisory. */
    static String pauseAdvisory(Message m) throws Exception {
        var a = JetStreamConfigDifferentialTest.JSON.readTree(m.getData());
        return m.getSubject() + " " + a.path("type").asText() + " paused=" + a.path("paused").asBoolean()
                + (a.path("pause_until").asText().startsWith("0001") ? " zero" : "");
    }

    /**
     * A consumer created with {@code pause_until} delivers nothing (a waiting pull waits, no_wait gets
     * 404) until that time, then resumes by itself; {@code PAUSE} pauses and resumes it with
     * nats-server's reply, info and advisories; the pause survives a restart of the server.
     */
    @Test
    void consumerPauseAndResume() throws Exception {
        List<Object> seen = both(nc -> {
            List<Object> out = new ArrayList<>();
            JetStreamManagement jsm = nc.jetStreamManagement();
            JetStream js = nc.jetStream();
            jsm.addStream(StreamConfiguration.builder().name("PA").subjects("pa.>").storageType(StorageType.File).build());
            js.publish("pa.one", "1".getBytes());
            Subscription adv = nc.subscribe("$JS.EVENT.ADVISORY.CONSUMER.PAUSE.PA.*");
            nc.flush(Duration.ofSeconds(2));
            java.time.ZonedDateTime until = java.time.ZonedDateTime.now(java.time.ZoneOffset.UTC).plusNanos(1_500_000_000L);
            ConsumerInfo ci = jsm.addOrUpdateConsumer("PA", ConsumerConfiguration.builder().durable("P")
                    .ackPolicy(AckPolicy.Explicit).pauseUntil(until).build());
            out.add("created paused=" + ci.getPaused() + " remaining>0=" + (ci.getPauseRemaining().toNanos() > 0)
                    + " config pause_until=" + until.toInstant().equals(ci.getConsumerConfiguration().getPauseUntil().toInstant()));
            out.add(pauseAdvisory(awaitMessage(adv, 2000)));
            JetStreamSubscription sub = js.subscribe(null, PullSubscribeOptions.bind("PA", "P"));
            List<Message> got = sub.fetch(1, Duration.ofSeconds(5));
            boolean afterPause = !java.time.Instant.now().isBefore(until.toInstant().minusMillis(50));
            out.add("fetch while paused got " + got.size() + " after the pause ended: " + afterPause);
            out.add(pauseAdvisory(awaitMessage(adv, 2000)));
            got.get(0).ack();
            out.add("info after: paused=" + jsm.getConsumerInfo("PA", "P").getPaused());

            java.time.ZonedDateTime later = java.time.ZonedDateTime.now(java.time.ZoneOffset.UTC).plusSeconds(120);
            var r = jsm.pauseConsumer("PA", "P", later);
            out.add("pause reply paused=" + r.isPaused() + " until=" + later.toInstant().equals(r.getPauseUntil().toInstant())
                    + " remaining>100s=" + (r.getPauseRemaining().toSeconds() > 100));
            out.add(pauseAdvisory(awaitMessage(adv, 2000)));
            js.publish("pa.two", "2".getBytes());
            Message none = nc.request("$JS.API.CONSUMER.MSG.NEXT.PA.P", "{\"batch\":1,\"no_wait\":true}".getBytes(),
                    Duration.ofSeconds(3));
            out.add("no_wait while paused: " + (none.isStatusMessage() ? none.getStatus().getCode() : "message"));
            ci = jsm.getConsumerInfo("PA", "P");
            out.add("info paused=" + ci.getPaused() + " pending=" + ci.getNumPending());
            out.add("resume=" + jsm.resumeConsumer("PA", "P"));
            out.add(pauseAdvisory(awaitMessage(adv, 2000)));
            out.add("resume again=" + jsm.resumeConsumer("PA", "P") + " advisory=" + (adv.nextMessage(Duration.ofMillis(300)) != null));
            got = sub.fetch(1, Duration.ofSeconds(3));
            out.add("fetch after resume got " + got.size());
            got.forEach(Message::ack);
            try {
                jsm.pauseConsumer("PA", "NOPE", later);
                out.add("pause of a missing consumer succeeded");
            } catch (JetStreamApiException e) {
                out.add("pause of a missing consumer: " + e.getApiErrorCode());
            }
            return out;
        });
        assertEquals("created paused=true remaining>0=true config pause_until=true", seen.get(0), seen.toString());
        assertEquals("fetch while paused got 1 after the pause ended: true", seen.get(2), seen.toString());
        assertEquals("no_wait while paused: 404", seen.get(7), seen.toString());
    }

    /** A paused durable consumer of a file stream is still paused after the server restarts, until its time. */
    @Test
    void pauseSurvivesARestart() throws Exception {
        for (JsServer s : List.of(reference, weft)) {
            try (Connection nc = connect(s)) {
                JetStreamManagement jsm = nc.jetStreamManagement();
                jsm.addStream(StreamConfiguration.builder().name("PR").subjects("pr.>").storageType(StorageType.File).build());
                jsm.addOrUpdateConsumer("PR", ConsumerConfiguration.builder().durable("D").ackPolicy(AckPolicy.Explicit).build());
                jsm.pauseConsumer("PR", "D", java.time.ZonedDateTime.now(java.time.ZoneOffset.UTC).plusSeconds(300));
            }
            s.server.restart();
            try (Connection nc = connect(s)) {
                JetStreamManagement jsm = nc.jetStreamManagement();
                ConsumerInfo ci = jsm.getConsumerInfo("PR", "D");
                assertTrue(ci.getPaused(), s + ": " + ci);
                assertTrue(ci.getPauseRemaining().toSeconds() > 200, s + ": " + ci);
                nc.jetStream().publish("pr.x", "x".getBytes());
                Message none = nc.request("$JS.API.CONSUMER.MSG.NEXT.PR.D", "{\"batch\":1,\"no_wait\":true}".getBytes(),
                        Duration.ofSeconds(3));
                assertEquals(404, none.getStatus().getCode(), s.toString());
                jsm.deleteStream("PR");
            }
        }
    }

    // ------------------------------------------------------------------ 5. _nats.* metadata (ADR-44)

    /** The metadata keys of a config in a reply (values of the server's own level/version differ by design), and the required level. */
    static String metadata(com.fasterxml.jackson.databind.JsonNode config) {
        var md = config.path("metadata");
        List<String> keys = new ArrayList<>();
        md.fieldNames().forEachRemaining(keys::add);
        java.util.Collections.sort(keys);
        return keys + " req.level=" + md.path("_nats.req.level").asText() + " user=" + md.path("team").asText();
    }

    /**
     * Stream and consumer configs in create, info and update replies carry {@code _nats.level},
     * {@code _nats.req.level} and {@code _nats.ver} beside the client's keys (whose own {@code _nats.*}
     * keys are dropped); LIST shows only {@code _nats.req.level}; a paused consumer needs level 1.
     */
    @Test
    void serverMetadataInConfigs() throws Exception {
        both(nc -> {
            List<Object> out = new ArrayList<>();
            String md = "\"metadata\":{\"team\":\"a\",\"_nats.ver\":\"9\"}";
            var json = JetStreamConfigDifferentialTest.JSON;
            var r = json.readTree(nc.request("$JS.API.STREAM.CREATE.MD", ("{\"name\":\"MD\",\"subjects\":[\"md.>\"]," + md + "}")
                    .getBytes(), Duration.ofSeconds(3)).getData());
            out.add("stream create " + metadata(r.path("config")));
            r = json.readTree(nc.request("$JS.API.STREAM.INFO.MD", new byte[0], Duration.ofSeconds(3)).getData());
            out.add("stream info " + metadata(r.path("config")));
            r = json.readTree(nc.request("$JS.API.STREAM.LIST", new byte[0], Duration.ofSeconds(3)).getData());
            out.add("stream list " + metadata(r.path("streams").path(0).path("config")));
            r = json.readTree(nc.request("$JS.API.CONSUMER.CREATE.MD.C", ("{\"stream_name\":\"MD\",\"config\":{\"name\":\"C\"," + md + "}}")
                    .getBytes(), Duration.ofSeconds(3)).getData());
            out.add("consumer create " + metadata(r.path("config")));
            r = json.readTree(nc.request("$JS.API.CONSUMER.PAUSE.MD.C", "{\"pause_until\":\"2099-01-01T00:00:00Z\"}".getBytes(),
                    Duration.ofSeconds(3)).getData());
            r = json.readTree(nc.request("$JS.API.CONSUMER.INFO.MD.C", new byte[0], Duration.ofSeconds(3)).getData());
            out.add("paused consumer info " + metadata(r.path("config")));
            r = json.readTree(nc.request("$JS.API.CONSUMER.LIST.MD", new byte[0], Duration.ofSeconds(3)).getData());
            out.add("consumer list " + metadata(r.path("consumers").path(0).path("config")));
            // a config read back (with the server's keys) and sent again is the same config
            var si = nc.jetStreamManagement().getStreamInfo("MD");
            out.add("re-create with the config read back: "
                    + nc.jetStreamManagement().addStream(si.getConfiguration()).getConfiguration().getMetadata().get("team"));
            var ci = nc.jetStreamManagement().getConsumerInfo("MD", "C");
            out.add("re-create consumer with the config read back: "
                    + nc.jetStreamManagement().addOrUpdateConsumer("MD", ci.getConsumerConfiguration()).getName());
            nc.jetStreamManagement().deleteStream("MD");
            return out;
        });
    }
}
