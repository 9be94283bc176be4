package io.weft.server.it;

import static io.weft.server.it.ClusterApi.retry;

import static io.weft.server.it.ClusteredStreamProcessTest.awaitMetaLeader;
import static io.weft.server.it.ClusteredStreamProcessTest.connect;
import static io.weft.server.it.ClusteredStreamProcessTest.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Message;
import io.nats.client.Subscription;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What R3 streams once refused, on three weft processes against three nats-server 2.15.1
 * processes with the same configuration and the same client calls: {@code first_seq},
 * {@code subject_transform} and {@code republish} together (the PubAcks, the stored subjects and
 * sequences, the republished messages, once each, also after a stream leader stepdown), a counter
 * stream ({@code allow_msg_counter}: a burst of increments in flight, the PubAcks' values, the
 * stored value, across a stepdown), and interest retention (what is kept as two durable consumers
 * acknowledge, across a stepdown, and as consumers are deleted).
 */
class ReplicatedFeaturesDifferentialTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    @Timeout(300)
    void replicatedStreamFeaturesMatchNatsServer() throws Exception {
        Map<String, String> nats = scenario(TestServers.Target.NATS_NEWEST);
        Map<String, String> weft = scenario(TestServers.Target.WEFT);
        assertEquals(nats.toString().replace(", ", ",\n"), weft.toString().replace(", ", ",\n"));
        // and what the comparison stands on: the behaviour, not two equal refusals
        assertEquals("100,101,102,103", weft.get("F.acks.seq"));
        assertEquals("1,3,6,10,15,21,28,36,46", weft.get("C.vals"));
        assertEquals("2", weft.get("I.4.after.stepdown.messages"));
    }

    private static Map<String, String> scenario(TestServers.Target target) throws Exception {
        Map<String, String> out = new TreeMap<>();
        try (WeftCluster c = WeftCluster.start(3, "S", true, "", target)) {
            c.awaitRoutes();
            awaitMetaLeader(c);
            try (Connection nc = connect(c.node(0)); Connection watcher = connect(c.node(1))) {
                List<String> republished = Collections.synchronizedList(new ArrayList<>());
                Dispatcher d = watcher.createDispatcher(m -> republished.add(m.getSubject() + " "
                        + header(m, "Nats-Stream") + " " + header(m, "Nats-Subject") + " " + header(m, "Nats-Sequence")
                        + " " + header(m, "Nats-Last-Sequence") + " " + new String(m.getData(), StandardCharsets.UTF_8)));
                d.subscribe("rp.>");
                watcher.flush(Duration.ofSeconds(5));

                // ---- first_seq + subject_transform + republish
                JsonNode f = retry(nc, "$JS.API.STREAM.CREATE.F", "{\"name\":\"F\",\"subjects\":[\"f.>\"],"
                        + "\"storage\":\"file\",\"num_replicas\":3,\"first_seq\":100,"
                        + "\"subject_transform\":{\"src\":\"f.*\",\"dest\":\"f.{{wildcard(1)}}.t\"},"
                        + "\"republish\":{\"src\":\"f.>\",\"dest\":\"rp.>\"}}", r -> true);
                out.put("F.create", f.has("error") ? f.path("error").toString() : "ok");
                String leader = awaitLeader(nc, "F", "");
                List<String> seqs = new ArrayList<>();
                for (String[] p : new String[][] {{"f.a", "1"}, {"f.b", "2"}, {"f.a.x", "3"}}) {
                    JsonNode ack = publish(nc, p[0], null, p[1]);
                    out.put("F.ack." + p[1], ack.toString());
                    seqs.add(ack.path("seq").asText());
                }
                out.put("F.stepdown", request(nc, "$JS.API.STREAM.LEADER.STEPDOWN.F", "").toString());
                awaitLeader(nc, "F", leader);
                JsonNode ack4 = retryPublish(nc, "f.a", "4");
                out.put("F.ack.4", ack4.toString());
                seqs.add(ack4.path("seq").asText());
                out.put("F.acks.seq", String.join(",", seqs));
                awaitSize(republished, 4);
                Thread.sleep(500); // a second copy of any would show by now
                out.put("F.republished", new ArrayList<>(republished).toString());
                for (long seq = 100; seq <= 103; seq++) {
                    JsonNode m = request(nc, "$JS.API.STREAM.MSG.GET.F", "{\"seq\":" + seq + "}");
                    out.put("F.stored." + seq, m.path("message").path("subject").asText() + " "
                            + new String(Base64.getDecoder().decode(m.path("message").path("data").asText("")), StandardCharsets.UTF_8));
                }
                out.put("F.state", state(nc, "F"));

                // ---- allow_msg_counter: a burst of increments, none waiting for the one before
                JsonNode cc = retry(nc, "$JS.API.STREAM.CREATE.C", "{\"name\":\"C\",\"subjects\":[\"c.>\"],"
                        + "\"storage\":\"file\",\"num_replicas\":3,\"allow_msg_counter\":true,\"allow_direct\":true}", r -> true);
                out.put("C.create", cc.has("error") ? cc.path("error").toString() : "ok");
                String cl = awaitLeader(nc, "C", "");
                List<CompletableFuture<Message>> burst = new ArrayList<>();
                for (int i = 1; i <= 8; i++) {
                    burst.add(nc.request(NatsMessage.builder().subject("c.n").headers(new Headers().add("Nats-Incr", Integer.toString(i)))
                            .data(new byte[0]).build()));
                }
                List<String> vals = new ArrayList<>();
                for (int i = 0; i < burst.size(); i++) {
                    JsonNode ack = JSON.readTree(burst.get(i).get(10, TimeUnit.SECONDS).getData());
                    out.put("C.ack." + (i + 1), ack.toString());
                    vals.add(ack.path("val").asText());
                }
                out.put("C.stepdown", request(nc, "$JS.API.STREAM.LEADER.STEPDOWN.C", "").toString());
                awaitLeader(nc, "C", cl);
                Headers ten = new Headers().add("Nats-Incr", "10");
                JsonNode after = null;
                long deadline = System.nanoTime() + WAIT.toNanos();
                while (after == null && System.nanoTime() < deadline) {
                    try {
                        Message m = nc.request(NatsMessage.builder().subject("c.n").headers(ten).data(new byte[0]).build(),
                                Duration.ofSeconds(3));
                        after = m == null ? null : JSON.readTree(m.getData());
                    } catch (Exception e) {
                        after = null;
                    }
                }
                assertNotNull(after, "no ack after the stepdown");
                out.put("C.ack.after", after.toString());
                vals.add(after.path("val").asText());
                out.put("C.vals", String.join(",", vals));
                JsonNode last = request(nc, "$JS.API.STREAM.MSG.GET.C", "{\"last_by_subj\":\"c.n\"}");
                out.put("C.last", new String(Base64.getDecoder().decode(last.path("message").path("data").asText("")),
                        StandardCharsets.UTF_8));
                out.put("C.state", state(nc, "C"));

                // ---- interest retention
                JsonNode ic = retry(nc, "$JS.API.STREAM.CREATE.I", "{\"name\":\"I\",\"subjects\":[\"i.>\"],"
                        + "\"storage\":\"file\",\"num_replicas\":3,\"retention\":\"interest\"}", r -> true);
                out.put("I.create", ic.has("error") ? ic.path("error").toString() : "ok");
                String il = awaitLeader(nc, "I", "");
                out.put("I.ack.1", publish(nc, "i.x", null, "1").toString());
                out.put("I.ack.2", publish(nc, "i.x", null, "2").toString());
                out.put("I.1.no.consumers", settled(nc, "I", 0));
                for (String name : new String[] {"A", "B"}) {
                    JsonNode r = retry(nc, "$JS.API.CONSUMER.DURABLE.CREATE.I." + name, "{\"stream_name\":\"I\",\"config\":"
                            + "{\"durable_name\":\"" + name + "\",\"ack_policy\":\"explicit\"}}", x -> !x.has("error"));
                    out.put("I.consumer." + name, r.path("config").path("durable_name").asText());
                }
                for (int i = 3; i <= 5; i++) {
                    out.put("I.ack." + i, publish(nc, "i.x", null, Integer.toString(i)).toString());
                }
                out.put("I.A.got", fetchAndAck(nc, "I", "A", 3).toString());
                out.put("I.2.after.A", settled(nc, "I", 3));
                out.put("I.B.got", fetchAndAck(nc, "I", "B", 2).toString());
                out.put("I.3.after.B", settled(nc, "I", 1));
                out.put("I.stepdown", request(nc, "$JS.API.STREAM.LEADER.STEPDOWN.I", "").toString());
                awaitLeader(nc, "I", il);
                out.put("I.ack.6", retryPublish(nc, "i.x", "6").toString());
                String s4 = settled(nc, "I", 2);
                out.put("I.4.after.stepdown", s4);
                out.put("I.4.after.stepdown.messages", s4.replaceAll(" .*", ""));
                out.put("I.deleteB", request(nc, "$JS.API.CONSUMER.DELETE.I.B", "").toString());
                out.put("I.5.after.deleteB", settled(nc, "I", 1));
                out.put("I.A.got2", fetchAndAck(nc, "I", "A", 1).toString());
                out.put("I.6.after.A", settled(nc, "I", 0));
            }
        }
        return out;
    }

    static String header(Message m, String key) {
        return m.getHeaders() == null ? "-" : String.valueOf(m.getHeaders().getFirst(key));
    }

    /** A publish through {@code nc} as a request: the PubAck as JSON. */
    static JsonNode publish(Connection nc, String subject, Headers h, String data) throws Exception {
        Message m = nc.request(NatsMessage.builder().subject(subject).headers(h)
                .data(data.getBytes(StandardCharsets.UTF_8)).build(), Duration.ofSeconds(5));
        assertNotNull(m, "no PubAck for " + subject + " " + data);
        return JSON.readTree(m.getData());
    }

    /** A publish retried (same message id, deduplicated) until a PubAck comes, as a client does after a leader change. */
    static JsonNode retryPublish(Connection nc, String subject, String data) throws Exception {
        return ClusterApi.publishUntilAcked(nc, subject, new Headers().add("Nats-Msg-Id", subject + "-" + data),
                data.getBytes(StandardCharsets.UTF_8), subject + " " + data);
    }


    /** Waits until the stream's info names a leader other than {@code not} and both other replicas; returns the leader. */
    static String awaitLeader(Connection nc, String stream, String not) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        JsonNode last = null;
        while (System.nanoTime() < deadline) {
            try {
                last = request(nc, "$JS.API.STREAM.INFO." + stream, "");
            } catch (Exception e) {
                last = null;
            }
            String l = last == null ? "" : last.path("cluster").path("leader").asText("");
            if (!l.isEmpty() && !l.equals(not) && last.path("cluster").path("replicas").size() == 2) {
                return l;
            }
            Thread.sleep(100);
        }
        throw new AssertionError(stream + " has no leader (other than '" + not + "'): " + last);
    }

    static void awaitSize(List<String> list, int n) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (list.size() < n && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
    }

    /** "messages first_seq last_seq" of the stream's state. */
    static String state(Connection nc, String stream) throws Exception {
        JsonNode st = request(nc, "$JS.API.STREAM.INFO." + stream, "").path("state");
        return st.path("messages").asLong() + " " + st.path("first_seq").asLong() + " " + st.path("last_seq").asLong();
    }

    /**
     * The state once it holds {@code expected} messages (removals after acks are asynchronous), or
     * as it is after a while if it never does: the comparison with nats-server judges it.
     */
    static String settled(Connection nc, String stream, long expected) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        String s = state(nc, stream);
        while (!s.startsWith(expected + " ") && System.nanoTime() < deadline) {
            Thread.sleep(100);
            s = state(nc, stream);
        }
        return s;
    }

    /** Fetches {@code n} messages of durable {@code consumer} and double-acks each; returns their data. */
    static List<String> fetchAndAck(Connection nc, String stream, String consumer, int n) throws Exception {
        String inbox = nc.createInbox();
        Subscription sub = nc.subscribe(inbox);
        List<String> got = new ArrayList<>();
        try {
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (got.size() < n && System.nanoTime() < deadline) {
                nc.publish("$JS.API.CONSUMER.MSG.NEXT." + stream + "." + consumer, inbox,
                        ("{\"batch\":" + (n - got.size()) + ",\"expires\":2000000000}").getBytes(StandardCharsets.UTF_8));
                long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(2500);
                while (got.size() < n && System.nanoTime() < until) {
                    Message m = sub.nextMessage(Duration.ofMillis(200));
                    if (m == null || m.getReplyTo() == null || !m.getReplyTo().startsWith("$JS.ACK.")) {
                        continue; // a status (timeout of the pull after a leader change)
                    }
                    got.add(new String(m.getData(), StandardCharsets.UTF_8));
                    Message ok = nc.request(m.getReplyTo(), "+ACK".getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(5));
                    assertNotNull(ok, "no answer to the double ack of " + got.getLast());
                }
            }
        } finally {
            sub.unsubscribe();
        }
        return got;
    }
}
