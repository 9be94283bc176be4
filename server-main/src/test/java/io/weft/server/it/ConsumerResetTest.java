package io.weft.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamManagement;
import io.nats.client.Message;
import io.nats.client.Subscription;
import io.nats.client.api.ConsumerInfo;
import io.nats.client.api.RetentionPolicy;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.impl.Headers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Consumer reset (nats-server 2.14+, {@code $JS.API.CONSUMER.RESET.<stream>.<consumer>}): an empty
 * body moves delivery back to just above the ack floor, {@code {"seq":N}} to N where the deliver
 * policy allows it; the reply is the consumer's info with {@code reset_seq}. Raw requests (every
 * field and status seen) and jnats' {@code resetConsumer}, the same steps against nats-server
 * 2.15.1 and weft: replies, deliveries after the reset, and what an interest stream keeps must
 * agree.
 */
class ConsumerResetTest extends JsReferencePair {
    static final ObjectMapper JSON = new ObjectMapper();

    /** The reply to a raw reset request: its status, or its error, or what the info says after the reset. */
    static String reset(Connection nc, String stream, String consumer, String body, Headers headers) throws Exception {
        String inbox = nc.createInbox();
        Subscription sub = nc.subscribe(inbox);
        nc.publish("$JS.API.CONSUMER.RESET." + stream + "." + consumer, inbox, headers,
                body.getBytes(StandardCharsets.UTF_8));
        Message m = sub.nextMessage(Duration.ofSeconds(3));
        sub.unsubscribe();
        if (m == null) {
            return "no reply";
        }
        if (m.isStatusMessage()) {
            return "status " + m.getStatus().getCode();
        }
        JsonNode n = JSON.readTree(m.getData());
        StringBuilder sb = new StringBuilder(n.path("type").asText());
        if (n.has("error")) {
            JsonNode e = n.get("error");
            return sb.append(" error ").append(e.path("code").asInt()).append('/').append(e.path("err_code").asInt())
                    .append(' ').append(e.path("description").asText()).append(" reset_seq ")
                    .append(n.path("reset_seq")).append(" fields ").append(fields(n)).toString();
        }
        return sb.append(" reset_seq ").append(n.path("reset_seq").asLong())
                .append(" delivered ").append(pair(n.path("delivered")))
                .append(" ack_floor ").append(pair(n.path("ack_floor")))
                .append(" last_active ").append(n.path("delivered").has("last_active"))
                .append('/').append(n.path("ack_floor").has("last_active"))
                .append(" ack_pending ").append(n.path("num_ack_pending").asLong())
                .append(" redelivered ").append(n.path("num_redelivered").asLong())
                .append(" waiting ").append(n.path("num_waiting").asLong())
                .append(" pending ").append(n.path("num_pending").asLong())
                .append(" name ").append(n.path("name").asText())
                .append(" fields ").append(fields(n)).toString();
    }

    static String reset(Connection nc, String stream, String consumer, String body) throws Exception {
        return reset(nc, stream, consumer, body, null);
    }

    static String pair(JsonNode n) {
        return n.path("consumer_seq").asLong() + "/" + n.path("stream_seq").asLong();
    }

    static TreeSet<String> fields(JsonNode n) {
        TreeSet<String> f = new TreeSet<>();
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            f.add(it.next());
        }
        return f;
    }

    /**
     * Up to {@code n} messages of one no-wait pull, each as {@code stream seq/consumer seq/delivery
     * count} from its ack subject, acknowledged (synchronously) when {@code ack}; then the status that ended it.
     */
    static List<String> pull(Connection nc, String stream, String consumer, int n, boolean ack) throws Exception {
        String inbox = nc.createInbox();
        Subscription sub = nc.subscribe(inbox);
        nc.publish("$JS.API.CONSUMER.MSG.NEXT." + stream + "." + consumer, inbox,
                ("{\"batch\":" + n + ",\"no_wait\":true}").getBytes(StandardCharsets.UTF_8));
        List<String> out = new ArrayList<>();
        for (int i = 0; i <= n; i++) {
            Message m = sub.nextMessage(Duration.ofMillis(1500));
            if (m == null) {
                out.add("nothing");
                break;
            }
            if (m.isStatusMessage()) {
                out.add("status " + m.getStatus().getCode());
                break;
            }
            out.add(position(m.getReplyTo()));
            if (ack) {
                m.ackSync(Duration.ofSeconds(2));
            }
        }
        sub.unsubscribe();
        return out;
    }

    /** {@code sseq/cseq/delivered} of a JetStream ack subject. */
    static String position(String ackSubject) {
        String[] t = ackSubject.split("\\.");
        int k = t.length;
        // $JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending>
        return t[k - 4] + "/" + t[k - 3] + "/" + t[k - 5];
    }

    static String create(Connection nc, String stream, String name, String config) throws Exception {
        String body = "{\"stream_name\":\"" + stream + "\",\"config\":{\"name\":\"" + name + "\"," + config + "}}";
        Message r = nc.request("$JS.API.CONSUMER.CREATE." + stream + "." + name, body.getBytes(StandardCharsets.UTF_8),
                Duration.ofSeconds(3));
        JsonNode n = JSON.readTree(r.getData());
        return n.has("error") ? "create error " + n.get("error").path("description").asText() : "created " + name;
    }

    static void publish(JetStream js, String subject, int n) throws Exception {
        for (int i = 1; i <= n; i++) {
            js.publish(subject, ("m" + i).getBytes(StandardCharsets.UTF_8));
        }
    }

    @Test
    void resetMovesDeliveryAsNatsServer() throws Exception {
        List<Object> seen = both(nc -> {
            List<Object> out = new ArrayList<>();
            JetStreamManagement jsm = nc.jetStreamManagement();
            JetStream js = nc.jetStream();
            jsm.addStream(StreamConfiguration.builder().name("RS").subjects("rs.>").storageType(StorageType.File).build());
            publish(js, "rs.a", 10);
            out.add(create(nc, "RS", "C", "\"ack_policy\":\"explicit\",\"ack_wait\":30000000000"));
            out.add("first " + pull(nc, "RS", "C", 2, true));
            out.add("unacked " + pull(nc, "RS", "C", 3, false));
            out.add("to floor: " + reset(nc, "RS", "C", ""));
            out.add("again " + pull(nc, "RS", "C", 2, true));
            out.add("seq 0: " + reset(nc, "RS", "C", "{\"seq\":0}"));
            out.add("{}: " + reset(nc, "RS", "C", "{}"));
            out.add("to 8: " + reset(nc, "RS", "C", "{\"seq\":8}"));
            out.add("from 8 " + pull(nc, "RS", "C", 5, false));
            out.add("back to 2: " + reset(nc, "RS", "C", "{\"seq\":2}"));
            out.add("from 2 " + pull(nc, "RS", "C", 2, true));
            out.add("past the end: " + reset(nc, "RS", "C", "{\"seq\":50}"));
            out.add("nothing yet " + pull(nc, "RS", "C", 1, false));
            out.add("past the end, floor: " + reset(nc, "RS", "C", ""));
            // jnats' own call, with and without a sequence
            ConsumerInfo ci = jsm.resetConsumer("RS", "C", 4);
            out.add("jnats seq 4: delivered " + ci.getDelivered().getStreamSequence() + " floor "
                    + ci.getAckFloor().getStreamSequence() + " pending " + ci.getNumPending());
            out.add("jnats pull " + pull(nc, "RS", "C", 1, true));
            ci = jsm.resetConsumer("RS", "C");
            out.add("jnats to floor: delivered " + ci.getDelivered().getStreamSequence() + " floor "
                    + ci.getAckFloor().getStreamSequence() + " pending " + ci.getNumPending());
            // an ack of a message delivered before the reset changes nothing
            List<String> before = pull(nc, "RS", "C", 1, false);
            reset(nc, "RS", "C", "{\"seq\":1}");
            out.add("late ack of " + before + " then info: " + reset(nc, "RS", "C", "{\"seq\":1}"));

            // ack none and ack all
            out.add(create(nc, "RS", "NONE", "\"ack_policy\":\"none\""));
            out.add("none " + pull(nc, "RS", "NONE", 3, false));
            out.add("none to floor: " + reset(nc, "RS", "NONE", ""));
            out.add("none then " + pull(nc, "RS", "NONE", 1, false));
            out.add(create(nc, "RS", "ALL", "\"ack_policy\":\"all\""));
            List<String> three = pull(nc, "RS", "ALL", 3, false);
            out.add("all " + three);
            out.add("all to floor: " + reset(nc, "RS", "ALL", ""));
            out.add("all to 9: " + reset(nc, "RS", "ALL", "{\"seq\":9}"));
            out.add("all then " + pull(nc, "RS", "ALL", 3, false));
            return out;
        });
        // not merely agreeing: the reset did what it says
        assertTrue(seen.contains("again [3/1/1, 4/2/1, status 408]") || seen.stream().anyMatch(
                o -> String.valueOf(o).startsWith("again [3/1/1, 4/2/1")), String.valueOf(seen));
        assertTrue(String.valueOf(seen).contains("from 8 [8/1/1, 9/2/1, 10/3/1"), String.valueOf(seen));
    }

    @Test
    void refusalsAsNatsServer() throws Exception {
        both(nc -> {
            List<Object> out = new ArrayList<>();
            JetStreamManagement jsm = nc.jetStreamManagement();
            JetStream js = nc.jetStream();
            jsm.addStream(StreamConfiguration.builder().name("RF").subjects("rf.>").storageType(StorageType.File).build());
            publish(js, "rf.a", 6);
            publish(js, "rf.b", 4);
            out.add(create(nc, "RF", "C", "\"ack_policy\":\"explicit\""));
            for (String body : new String[] {"{", "[]", "{\"seq\":-1}", "{\"seq\":\"x\"}", "{\"seq\":1.5}",
                    "{\"seq\":null}", "{\"seq\":3,\"extra\":1}", "null", "{\"seq\":18446744073709551616}"}) {
                out.add(body + ": " + reset(nc, "RF", "C", body));
            }
            Headers level = new Headers().add("Nats-Required-Api-Level", "99");
            out.add("level 99: " + reset(nc, "RF", "C", "", level));
            out.add("no consumer: " + reset(nc, "RF", "NOPE", ""));
            out.add("no stream: " + reset(nc, "NOPE", "C", ""));
            // what each deliver policy allows
            out.add(create(nc, "RF", "SEQ", "\"ack_policy\":\"explicit\",\"deliver_policy\":\"by_start_sequence\",\"opt_start_seq\":5"));
            out.add("seq info " + info(jsm, "RF", "SEQ"));
            out.add("seq below: " + reset(nc, "RF", "SEQ", "{\"seq\":4}"));
            out.add("seq at: " + reset(nc, "RF", "SEQ", "{\"seq\":5}"));
            out.add("seq above: " + reset(nc, "RF", "SEQ", "{\"seq\":7}"));
            out.add("seq floor: " + reset(nc, "RF", "SEQ", ""));
            out.add(create(nc, "RF", "NEW", "\"ack_policy\":\"explicit\",\"deliver_policy\":\"new\""));
            out.add("new info " + info(jsm, "RF", "NEW"));
            out.add("new seq: " + reset(nc, "RF", "NEW", "{\"seq\":2}"));
            out.add("new floor: " + reset(nc, "RF", "NEW", ""));
            out.add(create(nc, "RF", "LAST", "\"ack_policy\":\"explicit\",\"deliver_policy\":\"last\""));
            out.add("last seq: " + reset(nc, "RF", "LAST", "{\"seq\":10}"));
            out.add(create(nc, "RF", "LPS", "\"ack_policy\":\"explicit\",\"deliver_policy\":\"last_per_subject\",\"filter_subject\":\"rf.*\""));
            out.add("last per subject info " + info(jsm, "RF", "LPS"));
            out.add("last per subject then " + pull(nc, "RF", "LPS", 3, false));
            out.add("last per subject floor: " + reset(nc, "RF", "LPS", ""));
            out.add("last per subject seq: " + reset(nc, "RF", "LPS", "{\"seq\":1}"));
            out.add("last per subject after the reset " + pull(nc, "RF", "LPS", 6, false));
            out.add("last per subject info " + info(jsm, "RF", "LPS"));
            out.add(create(nc, "RF", "LATER", "\"ack_policy\":\"explicit\",\"deliver_policy\":\"by_start_time\",\"opt_start_time\":\"2099-01-01T00:00:00Z\""));
            out.add("time below: " + reset(nc, "RF", "LATER", "{\"seq\":10}"));
            out.add("time at: " + reset(nc, "RF", "LATER", "{\"seq\":11}"));
            out.add(create(nc, "RF", "EARLY", "\"ack_policy\":\"explicit\",\"deliver_policy\":\"by_start_time\",\"opt_start_time\":\"2000-01-01T00:00:00Z\""));
            out.add("time early: " + reset(nc, "RF", "EARLY", "{\"seq\":1}"));
            out.add(create(nc, "RF", "FILT", "\"ack_policy\":\"explicit\",\"filter_subject\":\"rf.b\""));
            out.add("filtered to 3: " + reset(nc, "RF", "FILT", "{\"seq\":3}"));
            out.add("filtered then " + pull(nc, "RF", "FILT", 5, false));
            // a push consumer is reset as well
            out.add(create(nc, "RF", "PUSH", "\"ack_policy\":\"explicit\",\"deliver_subject\":\"push.rf\""));
            out.add("push: " + reset(nc, "RF", "PUSH", "{\"seq\":9}"));
            Subscription push = nc.subscribe("push.rf");
            List<String> got = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                Message m = push.nextMessage(Duration.ofMillis(1500));
                got.add(m == null ? "nothing" : m.isStatusMessage() ? "status" : position(m.getReplyTo()));
            }
            out.add("push got " + got);
            // what a last-per-subject consumer counts as pending once new messages come
            out.add(create(nc, "RF", "LPS2", "\"ack_policy\":\"explicit\",\"deliver_policy\":\"last_per_subject\",\"filter_subject\":\"rf.*\""));
            out.add("lps2 " + pull(nc, "RF", "LPS2", 2, true));
            publish(js, "rf.a", 3);
            out.add("lps2 info " + info(jsm, "RF", "LPS2"));
            out.add("lps2 then " + pull(nc, "RF", "LPS2", 5, true));
            return out;
        });
    }

    @Test
    void interestStreamDropsWhatNoConsumerNeedsAfterAReset() throws Exception {
        both(nc -> {
            List<Object> out = new ArrayList<>();
            JetStreamManagement jsm = nc.jetStreamManagement();
            JetStream js = nc.jetStream();
            jsm.addStream(StreamConfiguration.builder().name("RI").subjects("ri.>").retentionPolicy(RetentionPolicy.Interest)
                    .storageType(StorageType.File).build());
            out.add(create(nc, "RI", "A", "\"ack_policy\":\"explicit\""));
            out.add(create(nc, "RI", "B", "\"ack_policy\":\"explicit\""));
            publish(js, "ri.x", 10);
            out.add("A to 6: " + reset(nc, "RI", "A", "{\"seq\":6}"));
            out.add("kept " + state(jsm, "RI"));
            out.add("B to 8: " + reset(nc, "RI", "B", "{\"seq\":8}"));
            out.add("kept " + state(jsm, "RI"));
            out.add("B back to 1: " + reset(nc, "RI", "B", "{\"seq\":1}"));
            out.add("B then " + pull(nc, "RI", "B", 2, true));
            out.add("kept " + state(jsm, "RI"));
            // a work queue keeps what a reset skips (nats-server sweeps only interest streams)
            jsm.addStream(StreamConfiguration.builder().name("RW").subjects("rw.>").retentionPolicy(RetentionPolicy.WorkQueue)
                    .storageType(StorageType.File).build());
            publish(js, "rw.x", 6);
            out.add(create(nc, "RW", "W", "\"ack_policy\":\"explicit\""));
            out.add("W " + pull(nc, "RW", "W", 2, true));
            out.add("W to 5: " + reset(nc, "RW", "W", "{\"seq\":5}"));
            out.add("kept " + state(jsm, "RW"));
            out.add("W back to 1: " + reset(nc, "RW", "W", "{\"seq\":1}"));
            out.add("W then " + pull(nc, "RW", "W", 5, true));
            out.add("kept " + state(jsm, "RW"));
            return out;
        });
    }

    static String info(JetStreamManagement jsm, String stream, String consumer) throws Exception {
        ConsumerInfo ci = jsm.getConsumerInfo(stream, consumer);
        return "delivered " + ci.getDelivered().getConsumerSequence() + "/" + ci.getDelivered().getStreamSequence()
                + " ack_floor " + ci.getAckFloor().getConsumerSequence() + "/" + ci.getAckFloor().getStreamSequence()
                + " pending " + ci.getNumPending();
    }

    static String state(JetStreamManagement jsm, String stream) throws Exception {
        var st = jsm.getStreamInfo(stream).getStreamState();
        return st.getMsgCount() + " msgs " + st.getFirstSequence() + ".." + st.getLastSequence();
    }

    /** A reset is durable: a restarted weft delivers from where the reset put the consumer. */
    @Test
    void aResetSurvivesARestart() throws Exception {
        try (JsServer s = JsServer.start(TestServers.Target.WEFT, "")) {
            try (Connection nc = Clients.connect(s.server)) {
                nc.jetStreamManagement().addStream(StreamConfiguration.builder().name("RR").subjects("rr.>")
                        .storageType(StorageType.File).build());
                publish(nc.jetStream(), "rr.x", 10);
                create(nc, "RR", "D", "\"durable_name\":\"D\",\"ack_policy\":\"explicit\"");
                pull(nc, "RR", "D", 3, true);
                assertTrue(reset(nc, "RR", "D", "{\"seq\":7}").contains("reset_seq 7 delivered 0/6 ack_floor 0/6"));
            }
            s.server.restart();
            try (Connection nc = Clients.connect(s.server)) {
                assertEquals(List.of("7/1/1", "8/2/1", "9/3/1", "10/4/1", "status 404"), pull(nc, "RR", "D", 5, false));
            }
        }
    }
}
