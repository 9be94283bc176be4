package io.weft.server.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.Message;
import io.nats.client.api.DiscardPolicy;
import io.nats.client.api.RetentionPolicy;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Message counters (nats-server 2.12, ADR-49) through jnats ({@code allowMessageCounter},
 * {@code PublishAck.getVal}): the config rules, the {@code Nats-Incr} checks (10168-10172), the
 * stored {@code {"val":"N"}} bodies and the PubAck's value, against nats-server 2.15.1 and weft.
 */
class MessageCounterTest extends JsReferencePair {



    static String incr(JetStream js, String subject, String by, String data, String... more) {
        Headers h = new Headers();
        if (by != null) {
            h.put("Nats-Incr", by);
        }
        for (int i = 0; i + 1 < more.length; i += 2) {
            h.put(more[i], more[i + 1]);
        }
        try {
            var ack = js.publish(NatsMessage.builder().subject(subject).headers(h)
                    .data(data == null ? new byte[0] : data.getBytes(StandardCharsets.UTF_8)).build());
            return "seq " + ack.getSeqno() + " val " + ack.getVal();
        } catch (JetStreamApiException e) {
            return "error " + e.getApiErrorCode() + " " + e.getErrorDescription();
        } catch (Exception e) {
            return "failed " + e;
        }
    }

    @Test
    void countersAddUpAsNatsServer() throws Exception {
        List<Object> seen = both(nc -> {
            List<Object> out = new ArrayList<>();
            JetStreamManagement jsm = nc.jetStreamManagement();
            JetStream js = nc.jetStream();
            StreamConfiguration.Builder base = StreamConfiguration.builder().name("CNT").subjects("cnt.>")
                    .storageType(StorageType.File).allowMessageCounter();
            out.add("discard new: " + apiError(() -> jsm.addStream(
                    StreamConfiguration.builder(base.build()).discardPolicy(DiscardPolicy.New).build())));
            out.add("with ttl: " + apiError(() -> jsm.addStream(
                    StreamConfiguration.builder(base.build()).allowMessageTtl().build())));
            out.add("work queue: " + apiError(() -> jsm.addStream(
                    StreamConfiguration.builder(base.build()).retentionPolicy(RetentionPolicy.WorkQueue).build())));
            var si = jsm.addStream(base.build());
            out.add("created counter " + si.getConfiguration().getAllowMessageCounter() + " req.level "
                    + si.getConfiguration().getMetadata().get("_nats.req.level"));
            out.add("update off: " + apiError(() -> jsm.updateStream(StreamConfiguration.builder()
                    .name("CNT").subjects("cnt.>").storageType(StorageType.File).build())));
            out.add(incr(js, "cnt.a", "1", null));
            out.add(incr(js, "cnt.a", "+41", null));
            out.add(incr(js, "cnt.a", "-50", null));
            out.add(incr(js, "cnt.b", "123456789012345678901234567890", null));
            out.add(incr(js, "cnt.b", "1", null));
            out.add("missing: " + incr(js, "cnt.a", null, null));
            out.add("empty: " + incr(js, "cnt.a", "", null));
            out.add("bad: " + incr(js, "cnt.a", "1.5", null));
            out.add("spaces: " + incr(js, "cnt.a", "1 2", null));
            out.add("sign only: " + incr(js, "cnt.a", "-", null));
            out.add("payload: " + incr(js, "cnt.a", "1", "x"));
            out.add("rollup: " + incr(js, "cnt.a", "1", null, "Nats-Rollup", "sub"));
            out.add("expected seq: " + incr(js, "cnt.a", "1", null, "Nats-Expected-Last-Sequence", "3"));
            out.add("expected stream: " + incr(js, "cnt.a", "1", null, "Nats-Expected-Stream", "CNT"));
            out.add("msg id: " + incr(js, "cnt.a", "1", null, "Nats-Msg-Id", "m1"));
            out.add("msg id again: " + incr(js, "cnt.a", "1", null, "Nats-Msg-Id", "m1"));
            for (long s = 1; s <= 6; s++) {
                try {
                    var mi = jsm.getMessage("CNT", s);
                    out.add(s + ": " + mi.getSubject() + " " + new String(mi.getData(), StandardCharsets.UTF_8)
                            + " incr " + mi.getHeaders().getFirst("Nats-Incr"));
                } catch (JetStreamApiException e) {
                    out.add(s + ": error " + e.getApiErrorCode());
                }
            }
            // a plain stream refuses increments; a counter stream with a non-counter value is broken
            jsm.addStream(StreamConfiguration.builder().name("PLAIN").subjects("plain.>")
                    .storageType(StorageType.File).build());
            out.add("plain: " + incr(js, "plain.a", "1", null));
            out.add("plain bad: " + incr(js, "plain.a", "x", null));
            jsm.deleteStream("PLAIN");
            jsm.deleteStream("CNT");
            return out;
        });
        assertTrue(seen.contains("seq 2 val 42"), seen.toString());
        assertTrue(seen.contains("missing: error 10169 message counter increment is missing"), seen.toString());
    }
}
