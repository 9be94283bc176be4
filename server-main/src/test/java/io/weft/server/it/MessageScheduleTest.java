package io.weft.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.api.DiscardPolicy;
import io.nats.client.api.MessageInfo;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Message schedules (nats-server 2.12, ADR-51) through jnats ({@code allowMessageSchedules}): the
 * config rules, the publish checks of the {@code Nats-Schedule*} headers (10188-10192, 10203,
 * 10212), and the messages the server itself publishes when a schedule fires (subject, headers,
 * body; a one-shot schedule removed, a repeating one kept), against nats-server 2.15.1 and weft;
 * the restart case runs on weft alone (its store directory is reopened).
 */
class MessageScheduleTest extends JsReferencePair {



    static String pub(JetStream js, String subject, String data, String... hdrs) {
        Headers h = new Headers();
        for (int i = 0; i + 1 < hdrs.length; i += 2) {
            h.put(hdrs[i], hdrs[i + 1]);
        }
        try {
            var ack = js.publish(NatsMessage.builder().subject(subject).headers(h)
                    .data(data.getBytes(StandardCharsets.UTF_8)).build());
            return "seq " + ack.getSeqno();
        } catch (JetStreamApiException e) {
            return "error " + e.getApiErrorCode() + " " + e.getErrorDescription();
        } catch (Exception e) {
            return "failed " + e;
        }
    }

    /** A publish's outcome without its sequence (which depends on how often a repeating schedule fired). */
    static String stored(String outcome) {
        return outcome.startsWith("seq ") ? "stored" : outcome;
    }

    static String rfc3339(Instant t) {
        return DateTimeFormatter.ISO_INSTANT.format(t.truncatedTo(ChronoUnit.SECONDS));
    }

    /** A stored message as text: subject, headers in order (a timestamp shown as {@code <time>}), body. */
    static String show(MessageInfo mi) {
        StringBuilder b = new StringBuilder(mi.getSubject()).append(" [");
        Headers h = mi.getHeaders();
        if (h != null) {
            for (String k : h.keySet()) {
                for (String v : h.get(k)) {
                    String shown = v;
                    if (k.equals("Nats-Schedule-Next") && !v.equals("purge")) {
                        // a whole-second RFC 3339 time in UTC, as nats-server writes it
                        String t = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d";
                        shown = v.matches(t + "Z") ? "<time>"
                                : v.matches(t + "[+-]\\d\\d:\\d\\d") ? "<time" + v.substring(19) + ">" : "bad " + v;
                    }
                    b.append(k).append('=').append(shown).append(';');
                }
            }
        }
        return b.append("] ").append(mi.getData() == null ? "" : new String(mi.getData(), StandardCharsets.UTF_8)).toString();
    }

    /** The last message on {@code subject} once there is one (within {@code wait}), or "none". */
    static String awaitLast(JetStreamManagement jsm, String stream, String subject, Duration wait) throws Exception {
        long until = System.nanoTime() + wait.toNanos();
        while (true) {
            try {
                return show(jsm.getLastMessage(stream, subject));
            } catch (JetStreamApiException e) {
                if (System.nanoTime() > until) {
                    return "none (" + e.getApiErrorCode() + ")";
                }
                Thread.sleep(50);
            }
        }
    }

    static String last(JetStreamManagement jsm, String stream, String subject) throws Exception {
        try {
            return show(jsm.getLastMessage(stream, subject));
        } catch (JetStreamApiException e) {
            return "none (" + e.getApiErrorCode() + ")";
        }
    }

    @Test
    void configRulesAsNatsServer() throws Exception {
        List<Object> seen = both(nc -> {
            List<Object> out = new ArrayList<>();
            JetStreamManagement jsm = nc.jetStreamManagement();
            StreamConfiguration.Builder base = StreamConfiguration.builder().name("SCHC").subjects("schc.>")
                    .storageType(StorageType.File).allowMessageSchedules();
            out.add("discard new: " + apiError(() -> jsm.addStream(
                    StreamConfiguration.builder(base.build()).discardPolicy(DiscardPolicy.New).build())));
            out.add("counter: " + apiError(() -> jsm.addStream(
                    StreamConfiguration.builder(base.build()).allowMessageCounter().build())));
            var si = jsm.addStream(base.build());
            var c = si.getConfiguration();
            out.add("created schedules " + c.getAllowMsgSchedules() + " rollup " + c.getAllowRollup()
                    + " deny purge " + c.getDenyPurge() + " req.level " + c.getMetadata().get("_nats.req.level"));
            out.add("update off: " + apiError(() -> jsm.updateStream(StreamConfiguration.builder()
                    .name("SCHC").subjects("schc.>").storageType(StorageType.File).build())));
            jsm.deleteStream("SCHC");
            // switched on by an update of a stream that has messages
            jsm.addStream(StreamConfiguration.builder().name("SCHU").subjects("schu.>")
                    .storageType(StorageType.File).build());
            pub(nc.jetStream(), "schu.a", "x");
            out.add("update on: " + apiError(() -> jsm.updateStream(StreamConfiguration.builder()
                    .name("SCHU").subjects("schu.>").storageType(StorageType.File).allowMessageSchedules().build())));
            out.add("after update " + jsm.getStreamInfo("SCHU").getConfiguration().getAllowMsgSchedules());
            jsm.deleteStream("SCHU");
            return out;
        });
        assertTrue(seen.contains("discard new: error 10052 message scheduling cannot use discard new"), seen.toString());
    }

    @Test
    void publishChecksAsNatsServer() throws Exception {
        List<Object> seen = both(nc -> {
            List<Object> out = new ArrayList<>();
            JetStreamManagement jsm = nc.jetStreamManagement();
            JetStream js = nc.jetStream();
            jsm.addStream(StreamConfiguration.builder().name("SCHP").subjects("schp.>")
                    .storageType(StorageType.File).allowMessageSchedules().build());
            jsm.addStream(StreamConfiguration.builder().name("SCHOFF").subjects("schoff.>")
                    .storageType(StorageType.File).build());
            String far = "@at " + rfc3339(Instant.now().plus(Duration.ofDays(1)));
            out.add("off: " + pub(js, "schoff.s", "x", "Nats-Schedule", far, "Nats-Schedule-Target", "schoff.t"));
            out.add("off invalid: " + pub(js, "schoff.s", "x", "Nats-Schedule", "bogus"));
            out.add("off purge: " + pub(js, "schoff.s", "x", "Nats-Schedule-Next", "purge", "Nats-Scheduler", "schoff.a"));
            for (String p : new String[] {"bogus", "@at yesterday", "@at 2030-01-01 10:00:00", "@every 500ms",
                    "@every 1x", "@every", "* * * * *", "61 * * * * *", "@hourly", "@daily", "0 0 12 * * mon-fri",
                    "*/5 * * * * *", "0 0 0 1 jan,jul *", "@every 1h"}) {
                out.add("pattern '" + p + "': " + pub(js, "schp.p", "x", "Nats-Schedule", p,
                        "Nats-Schedule-Target", "schp.t"));
            }
            out.add("ttl bad: " + pub(js, "schp.s", "x", "Nats-Schedule", far, "Nats-Schedule-Target", "schp.t",
                    "Nats-Schedule-TTL", "soon"));
            out.add("ttl disabled: " + pub(js, "schp.s", "x", "Nats-Schedule", far, "Nats-Schedule-Target", "schp.t",
                    "Nats-Schedule-TTL", "5m"));
            out.add("rollup bad: " + pub(js, "schp.s", "x", "Nats-Schedule", far, "Nats-Schedule-Target", "schp.t",
                    "Nats-Schedule-Rollup", "all"));
            out.add("no target: " + pub(js, "schp.s", "x", "Nats-Schedule", far));
            out.add("target self: " + pub(js, "schp.s", "x", "Nats-Schedule", far, "Nats-Schedule-Target", "schp.s"));
            out.add("target wildcard: " + pub(js, "schp.s", "x", "Nats-Schedule", far, "Nats-Schedule-Target", "schp.*"));
            out.add("target outside: " + pub(js, "schp.s", "x", "Nats-Schedule", far, "Nats-Schedule-Target", "other.t"));
            out.add("source wildcard: " + pub(js, "schp.s", "x", "Nats-Schedule", far, "Nats-Schedule-Target", "schp.t",
                    "Nats-Schedule-Source", "schp.>"));
            out.add("source is target: " + pub(js, "schp.s", "x", "Nats-Schedule", far, "Nats-Schedule-Target",
                    "schp.t", "Nats-Schedule-Source", "schp.t"));
            out.add("source outside: " + pub(js, "schp.s", "x", "Nats-Schedule", far, "Nats-Schedule-Target",
                    "schp.t", "Nats-Schedule-Source", "other.s"));
            out.add("rollup all header: " + pub(js, "schp.s", "x", "Nats-Schedule", far, "Nats-Schedule-Target",
                    "schp.t", "Nats-Rollup", "all"));
            out.add("tz on at: " + pub(js, "schp.s", "x", "Nats-Schedule", far, "Nats-Schedule-Target", "schp.t",
                    "Nats-Schedule-Time-Zone", "Europe/Amsterdam"));
            out.add("next not purge: " + pub(js, "schp.x", "x", "Nats-Schedule-Next", "2030-01-01T00:00:00Z",
                    "Nats-Scheduler", "schp.s"));
            out.add("purge no scheduler: " + pub(js, "schp.x", "x", "Nats-Schedule-Next", "purge"));
            out.add("purge self: " + pub(js, "schp.x", "x", "Nats-Schedule-Next", "purge", "Nats-Scheduler", "schp.x"));
            out.add("scheduler alone: " + pub(js, "schp.x", "x", "Nats-Scheduler", "schp.s"));
            out.add("plain: " + pub(js, "schp.plain", "x"));
            out.add("purge not a schedule: " + pub(js, "schp.x", "x", "Nats-Schedule-Next", "purge",
                    "Nats-Scheduler", "schp.plain"));
            out.add("purge nothing: " + pub(js, "schp.x", "x", "Nats-Schedule-Next", "purge",
                    "Nats-Scheduler", "schp.none"));
            // accepted: stored with Nats-Rollup: sub added
            out.add("accepted: " + pub(js, "schp.s", "body", "Nats-Schedule", far, "Nats-Schedule-Target", "schp.t",
                    "App", "1"));
            out.add("stored: " + last(jsm, "SCHP", "schp.s"));
            out.add("with rollup sub: " + pub(js, "schp.s2", "body", "Nats-Schedule", far, "Nats-Schedule-Target",
                    "schp.t", "Nats-Rollup", "sub"));
            out.add("stored: " + last(jsm, "SCHP", "schp.s2"));
            out.add("empty pattern: " + pub(js, "schp.e", "x", "Nats-Schedule", ""));
            jsm.deleteStream("SCHP");
            jsm.deleteStream("SCHOFF");
            return out;
        });
        assertTrue(seen.toString().contains("error 10188"), seen.toString());
    }

    @Test
    void schedulesFireAsNatsServer() throws Exception {
        List<Object> seen = both(nc -> {
            List<Object> out = new ArrayList<>();
            JetStreamManagement jsm = nc.jetStreamManagement();
            JetStream js = nc.jetStream();
            jsm.addStream(StreamConfiguration.builder().name("SCHF").subjects("schf.>")
                    .storageType(StorageType.File).allowMessageSchedules().allowMessageTtl().build());
            String past = "@at " + rfc3339(Instant.now().minus(Duration.ofHours(1)));
            String soon = "@at " + rfc3339(Instant.now().plus(Duration.ofSeconds(2)));
            String far = "@at " + rfc3339(Instant.now().plus(Duration.ofDays(1)));
            // a one-shot in the past fires at once; its own headers are dropped, the app's kept
            out.add(pub(js, "schf.once", "hello", "Nats-Schedule", past, "Nats-Schedule-Target", "schf.t.once",
                    "Nats-Schedule-TTL", "5m", "Nats-Msg-Id", "id1", "App", "a", "Nats-Expected-Stream", "SCHF"));
            out.add("fired: " + awaitLast(jsm, "SCHF", "schf.t.once", Duration.ofSeconds(5)));
            Thread.sleep(300);
            out.add("schedule after: " + last(jsm, "SCHF", "schf.once"));
            // a one-shot two seconds ahead: not yet, then fired
            out.add(pub(js, "schf.soon", "later", "Nats-Schedule", soon, "Nats-Schedule-Target", "schf.t.soon",
                    "Nats-Schedule-Rollup", "sub"));
            out.add("before: " + last(jsm, "SCHF", "schf.t.soon"));
            out.add("fired: " + awaitLast(jsm, "SCHF", "schf.t.soon", Duration.ofSeconds(6)));
            Thread.sleep(300);
            out.add("schedule after: " + last(jsm, "SCHF", "schf.soon"));
            // a repeating schedule stays and says when it fires next
            out.add(pub(js, "schf.rep", "tick", "Nats-Schedule", "@every 1s", "Nats-Schedule-Target", "schf.t.rep"));
            out.add("fired: " + awaitLast(jsm, "SCHF", "schf.t.rep", Duration.ofSeconds(5)));
            out.add("schedule stays: " + last(jsm, "SCHF", "schf.rep"));
            // a cron pattern (every second), in a time zone
            out.add(stored(pub(js, "schf.cron", "c", "Nats-Schedule", "* * * * * *", "Nats-Schedule-Target",
                    "schf.t.cron", "Nats-Schedule-Time-Zone", "Europe/Amsterdam")));
            out.add("cron: " + awaitLast(jsm, "SCHF", "schf.t.cron", Duration.ofSeconds(5)));
            out.add("cron cancel: " + stored(pub(js, "schf.cancel", "", "Nats-Schedule-Next", "purge",
                    "Nats-Scheduler", "schf.cron")));
            out.add("bad zone: " + pub(js, "schf.cron2", "c", "Nats-Schedule", "* * * * * *", "Nats-Schedule-Target",
                    "schf.t.cron", "Nats-Schedule-Time-Zone", "Mars/Olympus"));
            // the source's last message is what is published; cancelled by a purge message
            out.add(stored(pub(js, "schf.src", "v1", "Sensor", "1")));
            out.add(stored(pub(js, "schf.src", "v2", "Sensor", "2")));
            out.add(stored(pub(js, "schf.sample", "none", "Nats-Schedule", "@every 1s", "Nats-Schedule-Target",
                    "schf.t.sample", "Nats-Schedule-Source", "schf.src")));
            out.add("sampled: " + awaitLast(jsm, "SCHF", "schf.t.sample", Duration.ofSeconds(5)));
            // a source with no message: the schedule's own body and headers
            out.add(stored(pub(js, "schf.sample2", "own", "Nats-Schedule", past, "Nats-Schedule-Target",
                    "schf.t.sample2", "Nats-Schedule-Source", "schf.nothing")));
            out.add("own: " + awaitLast(jsm, "SCHF", "schf.t.sample2", Duration.ofSeconds(5)));
            out.add("cancel: " + stored(pub(js, "schf.cancel", "", "Nats-Schedule-Next", "purge", "Nats-Scheduler", "schf.rep")));
            out.add("cancel stored: " + last(jsm, "SCHF", "schf.cancel"));
            out.add("after cancel: " + last(jsm, "SCHF", "schf.rep"));
            out.add("cancel 2: " + stored(pub(js, "schf.cancel", "", "Nats-Schedule-Next", "purge", "Nats-Scheduler", "schf.sample")));
            // a plain message on a schedule's subject replaces (and so ends) it
            out.add(stored(pub(js, "schf.far", "f", "Nats-Schedule", far, "Nats-Schedule-Target", "schf.t.far")));
            out.add(stored(pub(js, "schf.far", "plain")));
            out.add("far: " + last(jsm, "SCHF", "schf.far"));
            var st = jsm.getStreamInfo("SCHF").getStreamState();
            out.add("subjects " + st.getSubjectCount()); // schf.t.cron is the ninth
            jsm.deleteStream("SCHF");
            return out;
        });
        assertTrue(seen.toString().contains("Nats-Scheduler=schf.once"), seen.toString());
    }

    /** A pending schedule comes back from the store after a restart of weft and fires when due. */
    @Test
    void aScheduleSurvivesARestartOfWeft() throws Exception {
        try (JsServer own = JsServer.start(TestServers.Target.WEFT, "")) {
            String soon = "@at " + rfc3339(Instant.now().plus(Duration.ofSeconds(3)));
            try (Connection nc = Clients.connect(own.server)) {
                JetStreamManagement jsm = nc.jetStreamManagement();
                jsm.addStream(StreamConfiguration.builder().name("SCHR").subjects("schr.>")
                        .storageType(StorageType.File).allowMessageSchedules().build());
                assertEquals("seq 1", pub(nc.jetStream(), "schr.s", "later", "Nats-Schedule", soon,
                        "Nats-Schedule-Target", "schr.t"));
                assertEquals("seq 2", pub(nc.jetStream(), "schr.r", "tick", "Nats-Schedule", "@every 2s",
                        "Nats-Schedule-Target", "schr.t.rep"));
            }
            own.server.restart();
            try (Connection nc = Clients.connect(own.server)) {
                JetStreamManagement jsm = nc.jetStreamManagement();
                assertEquals("schr.t [Nats-Schedule-Next=purge;Nats-Scheduler=schr.s;] later",
                        awaitLast(jsm, "SCHR", "schr.t", Duration.ofSeconds(10)));
                Thread.sleep(300);
                assertEquals("none (10037)", last(jsm, "SCHR", "schr.s"));
                assertEquals("schr.t.rep [Nats-Schedule-Next=<time>;Nats-Scheduler=schr.r;] tick",
                        awaitLast(jsm, "SCHR", "schr.t.rep", Duration.ofSeconds(10)));
                assertTrue(last(jsm, "SCHR", "schr.r").contains("Nats-Schedule=@every 2s;"));
            }
        }
    }
}
