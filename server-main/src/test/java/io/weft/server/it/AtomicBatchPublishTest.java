package io.weft.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.nats.client.Connection;
import io.nats.client.Message;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Atomic batch publish ({@code allow_atomic}, ADR-50) with jnats core requests carrying the
 * {@code Nats-Batch-*} headers (jnats 2.26 has no batch API), the same sequence of publishes
 * against nats-server 2.15.1 and weft: the PubAck of a commit ({@code batch}, {@code count}), the
 * empty answer to a staged message, the errors 10164-10201 and their texts, the {@code eob} commit,
 * a stream without {@code allow_atomic}, disabling it with a batch open, what the stream stores
 * (every message read back with its headers) and that nothing is visible before the commit. And a
 * {@code kill -9} with a batch staged: after the restart nothing of it is stored, on both servers.
 */
class AtomicBatchPublishTest {
    private static final ObjectMapper JSON = new ObjectMapper();
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

    /** Records what one server answered, step by step. */
    static final class Run {
        final Connection nc;
        final List<String> seen = new ArrayList<>();

        Run(Connection nc) {
            this.nc = nc;
        }

        /** A batch message; {@code commit} null for none; answered if {@code ask}. */
        void batch(String subject, String id, String seq, String commit, String body, boolean ask, String... kv)
                throws Exception {
            Headers h = new Headers();
            h.add("Nats-Batch-Id", id);
            if (seq != null) {
                h.add("Nats-Batch-Sequence", seq);
            }
            for (int i = 0; i < kv.length; i += 2) {
                h.add(kv[i], kv[i + 1]);
            }
            if (commit != null) {
                h.add("Nats-Batch-Commit", commit);
            }
            NatsMessage m = NatsMessage.builder().subject(subject).headers(h).data(body.getBytes(StandardCharsets.UTF_8)).build();
            String step = subject + " " + id + "#" + seq + (commit == null ? "" : " commit=" + commit) + " " + List.of(kv);
            if (!ask) {
                nc.publish(m);
                nc.flush(Duration.ofSeconds(3));
                seen.add(step + " -> (no reply asked)");
                return;
            }
            Message r = nc.request(m, Duration.ofSeconds(3));
            seen.add(step + " -> " + (r.getData().length == 0 ? "<empty>" : new String(r.getData(), StandardCharsets.UTF_8)));
        }

        JsonNode api(String subject, String body) throws Exception {
            Message r = nc.request(subject, body.getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(3));
            return JSON.readTree(r.getData());
        }

        /** A stream create or update: its error, or the fields this feature sets. */
        void config(String op, String name, String body) throws Exception {
            JsonNode n = api("$JS.API.STREAM." + op + "." + name, body);
            if (n.has("error")) {
                seen.add(op + " " + name + " -> error " + n.path("error"));
                return;
            }
            JsonNode c = n.path("config");
            seen.add(op + " " + name + " -> allow_atomic=" + c.path("allow_atomic") + " req.level="
                    + c.path("metadata").path("_nats.req.level"));
        }

        void state(String name) throws Exception {
            JsonNode st = api("$JS.API.STREAM.INFO." + name, "").path("state");
            seen.add("state " + name + " -> messages=" + st.path("messages") + " first=" + st.path("first_seq")
                    + " last=" + st.path("last_seq"));
        }

        /** Every stored message of {@code name}: subject, sequence, headers and data (not the time). */
        void messages(String name) throws Exception {
            JsonNode st = api("$JS.API.STREAM.INFO." + name, "").path("state");
            for (long s = st.path("first_seq").asLong(); s <= st.path("last_seq").asLong(); s++) {
                JsonNode n = api("$JS.API.STREAM.MSG.GET." + name, "{\"seq\":" + s + "}");
                JsonNode m = n.path("message");
                if (m instanceof ObjectNode o) {
                    o.remove("time");
                    String hdrs = o.has("hdrs") ? new String(java.util.Base64.getDecoder().decode(o.path("hdrs").asText()),
                            StandardCharsets.UTF_8).replace("\r\n", "|") : "";
                    seen.add("msg " + s + " -> " + o.path("subject").asText() + " " + hdrs + " "
                            + new String(java.util.Base64.getDecoder().decode(o.path("data").asText()), StandardCharsets.UTF_8));
                } else {
                    seen.add("msg " + s + " -> " + n.path("error"));
                }
            }
        }
    }

    interface Scenario {
        void run(Run r) throws Exception;
    }

    static List<String> both(Scenario s) throws Exception {
        List<String> ref;
        try (Connection nc = Clients.connect(reference.server)) {
            Run r = new Run(nc);
            s.run(r);
            ref = r.seen;
        }
        List<String> got;
        try (Connection nc = Clients.connect(weft.server)) {
            Run r = new Run(nc);
            s.run(r);
            got = r.seen;
        }
        assertEquals(String.join("\n", ref), String.join("\n", got), "weft vs nats-server 2.15.1");
        return ref;
    }

    @Test
    void batchesCommitAllOrNothingWithNatsServersAcksAndErrors() throws Exception {
        List<String> seen = both(r -> {
            r.config("CREATE", "AB", "{\"name\":\"AB\",\"subjects\":[\"ab.>\"],\"allow_atomic\":true}");
            r.config("CREATE", "PLAIN", "{\"name\":\"PLAIN\",\"subjects\":[\"plain.>\"]}");
            r.config("CREATE", "MIR", "{\"name\":\"MIR\",\"mirror\":{\"name\":\"AB\"},\"allow_atomic\":true}");
            // the combination rules nats-server checks before weft's own refusals
            r.config("CREATE", "MIR2", "{\"name\":\"MIR2\",\"subjects\":[\"m2\"],\"mirror\":{\"name\":\"AB\"},\"allow_atomic\":true}");
            r.config("CREATE", "MIR3", "{\"name\":\"MIR3\",\"mirror\":{\"name\":\"AB\"},\"allow_batched\":true}");
            r.config("CREATE", "MIR4", "{\"name\":\"MIR4\",\"mirror\":{\"name\":\"AB\"},\"allow_msg_counter\":true}");
            r.config("CREATE", "ASY", "{\"name\":\"ASY\",\"subjects\":[\"asy\"],\"persist_mode\":\"async\",\"allow_atomic\":true}");
            r.config("CREATE", "ASYM", "{\"name\":\"ASYM\",\"subjects\":[\"asym\"],\"persist_mode\":\"async\",\"storage\":\"memory\"}");
            r.config("CREATE", "SCH", "{\"name\":\"SCH\",\"subjects\":[\"sch\"],\"allow_msg_schedules\":true,\"discard\":\"new\"}");
            // success: staged messages answered empty (or not at all without a reply), one ack at the commit
            r.batch("ab.a", "b1", "1", null, "one", true);
            r.batch("ab.b", "b1", "2", null, "two", false);
            r.state("AB");
            r.batch("ab.a", "b1", "3", "1", "three", true, "Nats-Msg-Id", "m3");
            r.state("AB");
            // a gap fails the batch, and the batch is gone
            r.batch("ab.a", "gap", "1", null, "g1", true);
            r.batch("ab.a", "gap", "3", null, "g3", true);
            r.batch("ab.a", "gap", "2", "1", "g2", true);
            // an end-of-batch marker commits without being stored
            r.batch("ab.c", "e", "1", null, "e1", true, "X-Keep", "yes");
            r.batch("ab.c", "e", "2", null, "e2", true);
            r.batch("ab.c", "e", "3", "eob", "", true);
            r.batch("ab.c", "e1", "1", "eob", "", true);
            // the staging errors
            r.batch("plain.a", "off", "1", "1", "x", true);
            r.batch("ab.a", "noseq", null, "1", "x", true);
            r.batch("ab.a", "x".repeat(65), "1", null, "x", true);
            r.batch("ab.a", "unknown", "5", "1", "x", true);
            r.batch("ab.a", "bad", "1", null, "x", true);
            r.batch("ab.a", "bad", "2", "yes", "x", true);
            // the commit's checks fail the whole batch
            r.batch("ab.a", "lmi", "1", null, "x", true);
            r.batch("ab.a", "lmi", "2", "1", "x", true, "Nats-Expected-Last-Msg-Id", "m3");
            r.batch("ab.a", "dup", "1", null, "x", true, "Nats-Msg-Id", "d1");
            r.batch("ab.a", "dup", "2", "1", "x", true, "Nats-Msg-Id", "d1");
            r.batch("ab.a", "stored", "1", "1", "x", true, "Nats-Msg-Id", "m3");
            r.batch("ab.a", "els", "1", null, "x", true, "Nats-Expected-Last-Sequence", "5");
            r.batch("ab.a", "els", "2", "1", "x", true, "Nats-Expected-Last-Sequence", "6");
            r.batch("ab.a", "els2", "1", null, "x", true);
            r.batch("ab.a", "els2", "2", "1", "x", true, "Nats-Expected-Last-Sequence", "5");
            r.batch("ab.a", "ok2", "1", "1", "x", true, "Nats-Expected-Last-Sequence", "5");
            r.batch("ab.z", "subj", "1", null, "x", true);
            r.batch("ab.z", "subj", "2", "1", "x", true, "Nats-Expected-Last-Subject-Sequence", "0");
            r.batch("ab.a", "roll", "1", "1", "x", true, "Nats-Rollup", "sub");
            r.state("AB");
            // disabling atomic publish drops the open batches
            r.batch("ab.a", "upd", "1", null, "u1", true);
            r.config("UPDATE", "AB", "{\"name\":\"AB\",\"subjects\":[\"ab.>\"]}");
            r.batch("ab.a", "upd", "2", "1", "u2", true);
            r.config("UPDATE", "AB", "{\"name\":\"AB\",\"subjects\":[\"ab.>\"],\"allow_atomic\":true}");
            r.batch("ab.a", "upd", "2", "1", "u2", true);
            r.messages("AB");
            r.state("AB");
        });
        String all = String.join("\n", seen);
        assertTrue(all.contains("{\"stream\":\"AB\",\"seq\":3,\"batch\":\"b1\",\"count\":3}"), all);
        assertTrue(all.contains("\"err_code\":10176"), all);
        assertTrue(all.contains("\"err_code\":10174"), all);
        assertTrue(all.contains("\"err_code\":10198"), all);
        assertTrue(all.contains("state AB -> messages=0"), "nothing visible before the commit: " + all);
    }

    /**
     * The limits of {@code jetstream { limits { batch { ... } } }} (small, so they can be reached):
     * too large (10199, the {@code eob} marker not counted), too many open per stream and on the
     * server (10210), and the idle timeout abandoning a batch and giving its slot back; with a
     * JetStream domain, which the acks name.
     */
    @Test
    void theBatchLimitsOfTheServerConfigApply() throws Exception {
        String conf = "jetstream {\n  domain: hub\n  limits {\n    batch {\n      max_msgs: 3\n      max_inflight_per_stream: 2\n"
                + "      max_inflight_total: 3\n      timeout: \"1s\"\n    }\n  }\n}\n";
        Scenario limits = r -> {
            r.config("CREATE", "L", "{\"name\":\"L\",\"subjects\":[\"l.>\"],\"allow_atomic\":true}");
            r.config("CREATE", "T", "{\"name\":\"T\",\"subjects\":[\"t.>\"],\"allow_atomic\":true}");
            for (int i = 1; i <= 3; i++) {
                r.batch("l.a", "big", Integer.toString(i), null, "b" + i, true);
            }
            r.batch("l.a", "big", "4", "1", "b4", true);
            r.batch("l.a", "big", "5", "1", "b5", true);
            for (int i = 1; i <= 3; i++) {
                r.batch("l.a", "fits", Integer.toString(i), null, "f" + i, true);
            }
            r.batch("l.a", "fits", "4", "eob", "", true);
            r.batch("l.a", "p", "1", null, "p1", true);
            r.batch("l.a", "q", "1", null, "q1", true);
            r.batch("l.a", "r", "1", null, "r1", true);
            r.batch("t.a", "t1", "1", null, "t1", true);
            r.batch("t.a", "t2", "1", null, "t2", true);
            Thread.sleep(2500);
            r.batch("l.a", "p", "2", "1", "p2", true);
            r.batch("l.a", "r", "1", null, "r1", true);
            r.batch("l.a", "r", "2", "1", "r2", true);
            r.state("L");
        };
        List<String> ref;
        try (JsServer s = JsServer.start(TestServers.Target.NATS_NEWEST, conf); Connection nc = Clients.connect(s.server)) {
            Run r = new Run(nc);
            limits.run(r);
            ref = r.seen;
        }
        List<String> got;
        try (JsServer s = JsServer.start(TestServers.Target.WEFT, conf); Connection nc = Clients.connect(s.server)) {
            Run r = new Run(nc);
            limits.run(r);
            got = r.seen;
        }
        assertEquals(String.join("\n", ref), String.join("\n", got), "weft vs nats-server 2.15.1");
        String all = String.join("\n", ref);
        assertTrue(all.contains("atomic publish batch is too large: 3"), all);
        assertTrue(all.contains("\"err_code\":10210"), all);
        assertTrue(all.contains("\"domain\":\"hub\",\"seq\":") && all.contains("\"batch\":\"r\",\"count\":2"), all);
    }

    /** What weft does not implement of nats-server 2.12+'s stream options is refused, never ignored. */
    @Test
    void weftRefusesTheNewerStreamOptionsItLacks() throws Exception {
        try (Connection nc = Clients.connect(weft.server)) {
            Run r = new Run(nc);
            for (String extra : List.of("\"allow_batched\":true")) {
                JsonNode n = r.api("$JS.API.STREAM.CREATE.NEWER", "{\"name\":\"NEWER\",\"subjects\":[\"newer\"]," + extra + "}");
                assertEquals(10052, n.path("error").path("err_code").asInt(), extra + ": " + n);
                assertTrue(n.path("error").path("description").asText().contains("not supported by weft yet"), extra + ": " + n);
            }
        }
    }

    @Test
    void aServerKilledWithABatchStagedStoresNothingOfIt() throws Exception {
        List<String> ref = crash(reference);
        List<String> got = crash(weft);
        assertEquals(String.join("\n", ref), String.join("\n", got), "weft vs nats-server 2.15.1");
        assertTrue(ref.contains("state CRASH -> messages=0 first=0 last=0"), ref.toString());
    }

    private static List<String> crash(JsServer s) throws Exception {
        List<String> seen = new ArrayList<>();
        try (Connection nc = Clients.connect(s.server)) {
            Run r = new Run(nc);
            r.config("CREATE", "CRASH", "{\"name\":\"CRASH\",\"subjects\":[\"crash.>\"],\"allow_atomic\":true}");
            r.batch("crash.a", "c", "1", null, "c1", true);
            r.batch("crash.a", "c", "2", null, "c2", true);
            seen.addAll(r.seen);
        }
        s.server.kill();
        s.server.restart();
        try (Connection nc = Clients.connect(s.server)) {
            Run r = new Run(nc);
            assertTrue(Clients.await(() -> {
                try {
                    return r.api("$JS.API.STREAM.INFO.CRASH", "").has("state");
                } catch (Exception e) {
                    return false;
                }
            }), "the stream is back after the restart");
            r.state("CRASH");
            r.batch("crash.a", "c", "3", "1", "c3", true);
            r.batch("crash.a", "n", "1", "1", "n1", true);
            r.state("CRASH");
            seen.addAll(r.seen);
        }
        return seen;
    }
}
