package io.weft.server.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamManagement;
import io.nats.client.Message;
import io.nats.client.Subscription;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Batch direct get (nats-server 2.11, ADR-31): {@code batch}, {@code multi_last},
 * {@code up_to_seq}, {@code up_to_time}, {@code start_time}, {@code max_bytes}, {@code no_hdr},
 * the per-message {@code Nats-Num-Pending} / {@code Nats-Last-Sequence} headers and the
 * {@code 204 EOB} status, and the 408/404/413 refusals, as raw requests (jnats 2.26 has no batch
 * API) to nats-server 2.15.1 and weft: every reply message must be the same, but for
 * {@code Nats-Time-Stamp}.
 */
class DirectBatchGetTest extends JsReferencePair {

    /** Every message a direct get request is answered with, until a status or 700 ms of quiet. */
    static List<String> get(Connection nc, String stream, String body) throws Exception {
        String inbox = nc.createInbox();
        Subscription sub = nc.subscribe(inbox);
        nc.publish("$JS.API.DIRECT.GET." + stream, inbox, body.getBytes(StandardCharsets.UTF_8));
        List<String> out = new ArrayList<>();
        while (out.size() < 100) {
            Message m = sub.nextMessage(Duration.ofMillis(700));
            if (m == null) {
                break;
            }
            String d = describe(m);
            out.add(d);
            if (d.startsWith("status")) {
                break;
            }
        }
        sub.unsubscribe();
        return out;
    }

    static String describe(Message m) {
        Headers h = m.getHeaders();
        StringBuilder sb = new StringBuilder();
        if (m.isStatusMessage()) {
            sb.append("status ").append(m.getStatus().getCode()).append(' ').append(m.getStatus().getMessage());
        } else {
            sb.append("msg '").append(new String(m.getData(), StandardCharsets.UTF_8)).append('\'');
        }
        if (h != null) {
            TreeMap<String, List<String>> sorted = new TreeMap<>();
            for (String k : h.keySet()) {
                if (!k.equalsIgnoreCase("Nats-Time-Stamp")) {
                    sorted.put(k, h.get(k));
                }
            }
            sb.append(' ').append(sorted);
        }
        return sb.toString();
    }

    @Test
    void batchesAndMultiLastAsNatsServer() throws Exception {
        List<Object> seen = both(nc -> {
            List<Object> out = new ArrayList<>();
            JetStreamManagement jsm = nc.jetStreamManagement();
            JetStream js = nc.jetStream();
            jsm.addStream(StreamConfiguration.builder().name("DB").subjects("d.>").storageType(StorageType.File)
                    .allowDirect(true).build());
            js.publish("d.a", "a1".getBytes());
            js.publish("d.b", "b1".getBytes());
            Headers h = new Headers();
            h.put("X-Mine", "1");
            js.publish(NatsMessage.builder().subject("d.a").headers(h).data("a2").build());
            js.publish("d.c", "c1".getBytes());
            js.publish("d.b", "b2".getBytes());
            js.publish("d.deep.x", "x1".getBytes());
            jsm.deleteMessage("DB", 4);
            String[] cases = {
                    "{\"seq\":1,\"batch\":3}",
                    "{\"seq\":2,\"batch\":10}",
                    "{\"seq\":3,\"batch\":3}",
                    "{\"next_by_subj\":\"d.a\",\"batch\":5}",
                    "{\"seq\":2,\"next_by_subj\":\"d.*\",\"batch\":2}",
                    "{\"seq\":1,\"batch\":3,\"max_bytes\":5}",
                    "{\"seq\":1,\"batch\":1}",
                    "{\"seq\":3,\"no_hdr\":true}",
                    "{\"seq\":3,\"batch\":2,\"no_hdr\":true}",
                    "{\"seq\":99,\"batch\":2}",
                    "{\"multi_last\":[\"d.a\",\"d.b\"]}",
                    "{\"multi_last\":[\"d.>\"]}",
                    "{\"multi_last\":[\"d.*\",\"d.a\"]}",
                    "{\"multi_last\":[\"d.>\"],\"up_to_seq\":3}",
                    "{\"multi_last\":[\"d.>\"],\"batch\":2}",
                    "{\"multi_last\":[\"d.>\"],\"seq\":3}",
                    "{\"multi_last\":[\"d.x\"]}",
                    "{\"multi_last\":[\"d.>\"],\"up_to_time\":\"2000-01-01T00:00:00Z\"}",
                    "{\"multi_last\":[\"d.>\"],\"up_to_time\":\"2100-01-01T00:00:00Z\"}",
                    "{\"start_time\":\"2000-01-01T00:00:00Z\",\"batch\":2}",
                    "{\"start_time\":\"2000-01-01T00:00:00Z\"}",
                    "{\"batch\":3}",
                    "{\"last_by_subj\":\"d.a\",\"batch\":2}",
                    "{\"next_by_subj\":\"d.a\",\"multi_last\":[\"d.a\"]}",
                    "{\"seq\":1,\"start_time\":\"2000-01-01T00:00:00Z\"}",
                    "{\"multi_last\":[\"d.>\"],\"up_to_seq\":2,\"up_to_time\":\"2100-01-01T00:00:00Z\"}",
                    "{\"seq\":1,\"batch\":\"x\"}",
                    "{\"multi_last\":\"d.a\"}",
                    "{\"seq\":1,\"start_time\":\"yesterday\"}",
            };
            for (String c : cases) {
                out.add(c + " -> " + get(nc, "DB", c));
            }
            // jnats' own use of start_time
            out.add("jnats first by time: " + jsm.getFirstMessage("DB", ZonedDateTime.now().minusHours(1)).getSeq());
            jsm.deleteStream("DB");
            return out;
        });
        assertTrue(seen.get(0).toString().contains("status 204 EOB"), seen.toString());
        assertTrue(seen.toString().contains("Nats-UpTo-Sequence"), seen.toString());
    }

    @Test
    void multiLastRefusesMoreThan1024Subjects() throws Exception {
        both(nc -> {
            List<Object> out = new ArrayList<>();
            JetStreamManagement jsm = nc.jetStreamManagement();
            jsm.addStream(StreamConfiguration.builder().name("MANY").subjects("m.>").storageType(StorageType.Memory)
                    .allowDirect(true).build());
            JetStream js = nc.jetStream();
            List<java.util.concurrent.CompletableFuture<io.nats.client.api.PublishAck>> acks = new ArrayList<>();
            for (int i = 0; i < 1030; i++) {
                acks.add(js.publishAsync("m." + i, new byte[] {1}));
            }
            for (var a : acks) {
                a.get();
            }
            List<String> r = get(nc, "MANY", "{\"multi_last\":[\"m.>\"]}");
            out.add(r.size() + " " + r.get(r.size() - 1));
            List<String> some = get(nc, "MANY", "{\"multi_last\":[\"m.>\"],\"up_to_seq\":1000}");
            out.add(some.size() + " " + some.get(some.size() - 1));
            jsm.deleteStream("MANY");
            return out;
        });
    }
}
