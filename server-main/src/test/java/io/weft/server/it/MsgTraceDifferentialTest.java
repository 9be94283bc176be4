package io.weft.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.nats.client.Connection;
import io.nats.client.Message;
import io.nats.client.Subscription;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Message tracing (nats-server 2.11, ADR-41) against weft and nats-server 2.15.1 with the same
 * configuration and the same jnats publishes: the trace events each server publishes to the
 * {@code Nats-Trace-Dest} subject (or to the account's {@code msg_trace} destination for a sampled
 * W3C {@code traceparent}) are compared field by field, timestamps, connection ids and the
 * {@code server} object's values left out (its keys are compared, less 2.15's
 * {@code feature_flags}); so is what the subscribers received, and what a stream stored.
 */
@Timeout(180)
class MsgTraceDifferentialTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static String conf(Path store) {
        return """
                jetstream { store_dir: "%s" }
                accounts {
                  A {
                    users: [{user: a, password: a, permissions: {publish: {deny: "deny.>"}}}, {user: a2, password: a}]
                    jetstream: enabled
                    mappings: { "map.a": "mapped.a" }
                    exports: [ {service: "svc.>"}, {stream: "utick.>"}, {stream: "tick.>"}, {service: "tsvc.>", allow_trace: true} ]
                  }
                  B {
                    users: [{user: b, password: b}]
                    imports: [
                      {stream: {account: A, subject: "utick.>"}}
                      {service: {account: A, subject: "svc.>"}}
                      {stream: {account: A, subject: "tick.>"}, to: "ttick.>", allow_trace: true}
                      {service: {account: A, subject: "tsvc.>"}}
                    ]
                  }
                  C {
                    users: [{user: c, password: c}]
                    msg_trace: { dest: "c.trace", sampling: "100%%" }
                  }
                }
                """.formatted(store.toString().replace("\\", "/"));
    }

    record Step(String name, String user, String subject, String reply, Map<String, String> headers) {
    }

    private static final Map<String, String> DEST = Map.of("Nats-Trace-Dest", "tr.1");

    private static Map<String, String> with(Map<String, String> base, String k, String v) {
        Map<String, String> m = new java.util.LinkedHashMap<>(base);
        m.put(k, v);
        return m;
    }

    static final List<Step> STEPS = List.of(
            new Step("no interest", "a", "nobody", null, DEST),
            new Step("queue egress", "a", "q.x", null, DEST),
            new Step("own echo", "a2", "mapped.a", null, DEST),
            new Step("publish denied", "a", "deny.x", null, DEST),
            new Step("subject mapping", "a", "map.a", null, DEST),
            new Step("trace only", "a", "mapped.a", null, with(DEST, "Nats-Trace-Only", "true")),
            new Step("trace only 1", "a", "mapped.a", null, with(DEST, "Nats-Trace-Only", "1")),
            new Step("trace only false", "a", "mapped.a", null, with(DEST, "Nats-Trace-Only", "false")),
            new Step("wildcard dest", "a", "mapped.a", null, Map.of("Nats-Trace-Dest", "tr.*")),
            new Step("service import, no allow_trace", "b", "svc.x", null, DEST),
            new Step("service import, allow_trace", "b", "tsvc.x", null, DEST),
            new Step("service import, allow_trace, trace only", "b", "tsvc.x", null, with(DEST, "Nats-Trace-Only", "on")),
            new Step("service import, no allow_trace, trace only", "b", "svc.x", null, with(DEST, "Nats-Trace-Only", "true")),
            new Step("stream export, no allow_trace", "a", "utick.x", null, DEST),
            new Step("stream export, allow_trace", "a", "tick.x", null, DEST),
            new Step("stream export, allow_trace, trace only", "a", "tick.x", null, with(DEST, "Nats-Trace-Only", "true")),
            new Step("jetstream api", "a", "$JS.API.INFO", "tr.reply", DEST),
            new Step("jetstream api, trace only", "a", "$JS.API.INFO", "tr.reply", with(DEST, "Nats-Trace-Only", "true")),
            new Step("jetstream store", "a", "js.a", "tr.ack", DEST),
            new Step("jetstream trace only", "a", "js.a", "tr.ack", with(DEST, "Nats-Trace-Only", "true")),
            new Step("jetstream interest, no consumer", "a", "ji.a", "tr.ack", DEST),
            new Step("jetstream max msgs 1", "a", "jm.a", "tr.ack", DEST),
            new Step("jetstream max msgs 2", "a", "jm.a", "tr.ack", DEST),
            new Step("traceparent sampled", "c", "cx", null,
                    Map.of("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")),
            new Step("Traceparent sampled, trace only ignored", "c", "cx", null,
                    Map.of("Traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03", "Nats-Trace-Only", "true")),
            new Step("traceparent not sampled", "c", "cx", null,
                    Map.of("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00")),
            new Step("traceparent without msg_trace", "a", "mapped.a", null,
                    Map.of("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")),
            new Step("trace dest wins over traceparent", "c", "cx", null,
                    Map.of("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "Nats-Trace-Dest", "c.own")));

    private static Connection as(TestServer s, String user, String name) throws Exception {
        String pw = user.equals("a2") ? "a" : user;
        return Clients.connect(Clients.options(s).userInfo(user, pw).connectionName(name));
    }

    /** Everything observed for each step, normalized: the trace events, the messages subscribers got. */
    static List<String> run(TestServers.Target target) throws Exception {
        Path store = Files.createTempDirectory("weft-trace-");
        List<String> seen = new ArrayList<>();
        try (TestServer s = TestServers.start(target, conf(store));
             Connection a = as(s, "a", "pubA");
             Connection a2 = Clients.connect(Clients.options(s).userInfo("a2", "a"));
             Connection b = as(s, "b", "subB");
             Connection c = as(s, "c", "pubC")) {
            Subscription aAll = a2.subscribe("tr.>");
            Subscription aMapped = a2.subscribe("mapped.a");
            Subscription aSvc = a2.subscribe("svc.x");
            Subscription aTsvc = a2.subscribe("tsvc.x");
            Subscription aQueue = a2.subscribe("q.x", "grp");
            Subscription bTrace = b.subscribe("tr.>");
            Subscription bUtick = b.subscribe("utick.>");
            Subscription bTtick = b.subscribe("ttick.>");
            Subscription cTrace = c.subscribe("c.>");
            Subscription cx = c.subscribe("cx");
            List<Subscription> all = List.of(aAll, aMapped, aSvc, aTsvc, aQueue, bTrace, bUtick, bTtick, cTrace, cx);
            a2.flush(Duration.ofSeconds(5));
            b.flush(Duration.ofSeconds(5));
            c.flush(Duration.ofSeconds(5));
            for (String create : List.of("{\"name\":\"S\",\"subjects\":[\"js.>\"]}",
                    "{\"name\":\"I\",\"subjects\":[\"ji.>\"],\"retention\":\"interest\"}",
                    "{\"name\":\"M\",\"subjects\":[\"jm.>\"],\"max_msgs\":1,\"discard\":\"new\"}")) {
                String name = JSON.readTree(create).path("name").asText();
                Message r = a.request("$JS.API.STREAM.CREATE." + name, create.getBytes(StandardCharsets.UTF_8),
                        Duration.ofSeconds(5));
                assertFalse(JSON.readTree(r.getData()).has("error"), new String(r.getData(), StandardCharsets.UTF_8));
            }
            for (Step step : STEPS) {
                Connection pub = switch (step.user()) {
                    case "a" -> a;
                    case "a2" -> a2;
                    case "b" -> b;
                    default -> c;
                };
                Headers h = new Headers();
                step.headers().forEach(h::add);
                pub.publish(NatsMessage.builder().subject(step.subject()).replyTo(step.reply()).headers(h)
                        .data("hi".getBytes(StandardCharsets.UTF_8)).build());
                pub.flush(Duration.ofSeconds(5));
                Thread.sleep(150);
                List<String> got = new ArrayList<>();
                for (Subscription sub : all) {
                    Message m;
                    while ((m = sub.nextMessage(Duration.ofMillis(sub == aAll || sub == bTrace || sub == cTrace ? 300 : 30)))
                            != null) {
                        got.add(describe(sub.getSubject(), m));
                    }
                }
                java.util.Collections.sort(got);
                seen.add(step.name() + " -> " + got);
            }
            for (String stream : List.of("S", "I", "M")) {
                Message r = a.request("$JS.API.STREAM.INFO." + stream, new byte[0], Duration.ofSeconds(5));
                seen.add("stream " + stream + " messages " + JSON.readTree(r.getData()).path("state").path("messages"));
            }
        } finally {
            JsServer.deleteTree(store);
        }
        return seen;
    }

    /** A received message: a trace event normalized, anything else by subject and trace headers. */
    static String describe(String sub, Message m) throws Exception {
        String data = new String(m.getData(), StandardCharsets.UTF_8);
        if (data.startsWith("{\"server\"")) {
            return sub + " TRACE on " + m.getSubject() + " " + normalize(JSON.readTree(data));
        }
        String hdrs = "";
        if (m.getHeaders() != null && !sub.equals("tsvc.x")) {
            // (not compared through a service import that allows tracing: 2.15.1 delivers the
            // request with Nats-Trace-Dest overwritten by its internal reply subject, weft with the
            // header as sent; docs/jetstream.md lists the difference)
            hdrs = String.valueOf(m.getHeaders().get("Nats-Trace-Dest"));
        }
        if (m.getSubject().startsWith("tr.")) {
            // a reply (pub ack or API answer): only that it came, and whether it is an error
            return sub + " reply on " + m.getSubject() + (data.contains("\"error\"") ? " error" : "");
        }
        return sub + " got " + m.getSubject() + " " + hdrs + " " + data;
    }

    static String normalize(JsonNode trace) {
        ObjectNode t = trace.deepCopy();
        JsonNode server = t.remove("server");
        TreeSet<String> keys = new TreeSet<>();
        server.fieldNames().forEachRemaining(keys::add);
        keys.remove("feature_flags");
        assertFalse(server.path("id").asText().isEmpty());
        assertTrue(server.path("seq").isNumber());
        t.put("server_keys", String.join(",", keys));
        for (JsonNode e : t.path("events")) {
            ObjectNode o = (ObjectNode) e;
            assertTrue(o.path("ts").isTextual(), "event without ts: " + e);
            o.remove("ts");
            if (o.has("cid")) {
                assertTrue(o.path("cid").isNumber());
                o.put("cid", "N");
            }
        }
        return t.toString();
    }

    @Test
    void traceEventsMatchNatsServer() throws Exception {
        List<String> reference = run(TestServers.Target.NATS_NEWEST);
        List<String> weft = run(TestServers.Target.WEFT);
        // the reference run really traced: the check below compares more than absences
        assertTrue(reference.stream().filter(l -> l.contains("TRACE")).count() >= 20, String.join("\n", reference));
        List<String> diffs = new ArrayList<>();
        Iterator<String> w = weft.iterator();
        for (String r : reference) {
            String x = w.hasNext() ? w.next() : "(missing)";
            if (!r.equals(x)) {
                diffs.add("nats-server: " + r + "\nweft:        " + x);
            }
        }
        assertEquals(reference.size(), weft.size());
        assertTrue(diffs.isEmpty(), String.join("\n\n", diffs));
    }
}
