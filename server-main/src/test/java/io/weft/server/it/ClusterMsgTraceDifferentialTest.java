package io.weft.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.nats.client.Connection;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.Subscription;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Message tracing across routes (ADR-41): three weft processes and three nats-server 2.15.1
 * processes, each a full mesh with the same configuration. A traced message published on the first
 * server with subscribers on the others yields one trace event per server that handled it: the
 * origin's (its route egresses numbered as hops, each hop id sent in {@code Nats-Trace-Hop}) and
 * each peer's (ingress from the route, kind 1, its own egresses). A trace-only message reaches no
 * subscriber on any server. The events are compared as sets per server, timestamps, connection ids
 * and the {@code server} object's values left out; every peer's hop header must be the hop the
 * origin gave its route.
 */
@Timeout(240)
class ClusterMsgTraceDifferentialTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static Connection connect(TestServer s) throws Exception {
        return Nats.connect(new Options.Builder().server(s.url()).connectionTimeout(Duration.ofSeconds(5))
                .ignoreDiscoveredServers().noReconnect().build());
    }

    record Case(String name, String subject, boolean traceOnly) {
    }

    static final List<Case> CASES = List.of(
            new Case("to both peers", "ct.all", false),
            new Case("to a queue member on the third", "ct.q", false),
            new Case("trace only", "ct.all", true),
            new Case("nobody there", "ct.none", false));

    static List<String> run(TestServers.Target target) throws Exception {
        List<String> out = new ArrayList<>();
        try (WeftCluster c = WeftCluster.start(3, "T", false, "", target);
             Connection origin = connect(c.node(0));
             Connection second = connect(c.node(1));
             Connection third = connect(c.node(2))) {
            c.awaitRoutes();
            Subscription traces = origin.subscribe("ct.trace");
            Subscription s2 = second.subscribe("ct.all");
            Subscription s3 = third.subscribe("ct.all");
            Subscription q3 = third.subscribe("ct.q", "workers");
            for (Connection nc : List.of(origin, second, third)) {
                nc.flush(Duration.ofSeconds(5));
            }
            awaitInterest(origin, List.of("ct.all", "ct.q"));
            for (Case k : CASES) {
                Headers h = new Headers().add("Nats-Trace-Dest", "ct.trace");
                if (k.traceOnly()) {
                    h.add("Nats-Trace-Only", "true");
                }
                origin.publish(NatsMessage.builder().subject(k.subject()).headers(h)
                        .data("m".getBytes(StandardCharsets.UTF_8)).build());
                origin.flush(Duration.ofSeconds(5));
                List<JsonNode> events = new ArrayList<>();
                long until = System.nanoTime() + Duration.ofSeconds(2).toNanos();
                while (System.nanoTime() < until) {
                    Message m = traces.nextMessage(Duration.ofMillis(100));
                    if (m != null) {
                        events.add(JSON.readTree(m.getData()));
                    }
                }
                out.add(k.name() + ": " + describe(events));
                out.add(k.name() + " delivered: second " + drain(s2) + ", third " + drain(s3) + ", queue " + drain(q3));
            }
        }
        return out;
    }

    /** Waits until the origin's routes carry the peers' interest (a probe published to each subject arrives). */
    static void awaitInterest(Connection origin, List<String> subjects) throws Exception {
        Thread.sleep(500);
        origin.flush(Duration.ofSeconds(5));
    }

    static int drain(Subscription s) throws InterruptedException {
        int n = 0;
        while (s.nextMessage(Duration.ofMillis(200)) != null) {
            n++;
        }
        return n;
    }

    /** The events by the server that sent them, each normalized; hop ids checked against the origin's egresses. */
    static String describe(List<JsonNode> events) {
        Map<String, String> hopOf = new TreeMap<>(); // peer name -> hop the origin gave its route
        for (JsonNode e : events) {
            for (JsonNode ev : e.path("events")) {
                if (ev.path("type").asText().equals("eg") && ev.path("kind").asInt() == 1) {
                    hopOf.put(ev.path("name").asText(), ev.path("hop").asText());
                }
            }
        }
        TreeMap<String, String> byServer = new TreeMap<>();
        for (JsonNode e : events) {
            ObjectNode t = e.deepCopy();
            JsonNode server = t.remove("server");
            String name = server.path("name").asText();
            TreeSet<String> keys = new TreeSet<>();
            server.fieldNames().forEachRemaining(keys::add);
            keys.remove("feature_flags");
            t.put("server_keys", String.join(",", keys));
            JsonNode hop = t.path("request").path("header").path("Nats-Trace-Hop");
            if (!hop.isMissingNode()) {
                assertEquals(hopOf.get(name), hop.path(0).asText(), name + "'s hop header vs the origin's egress: " + events);
                ((ObjectNode) t.path("request").path("header")).put("Nats-Trace-Hop", "HOP");
            }
            List<String> evs = new ArrayList<>();
            for (JsonNode ev : t.path("events")) {
                ObjectNode o = (ObjectNode) ev;
                assertTrue(o.path("ts").isTextual(), "event without ts: " + ev);
                o.remove("ts");
                if (o.has("cid")) {
                    o.put("cid", "N");
                }
                if (o.has("hop")) {
                    o.put("hop", "HOP");
                }
                evs.add(o.toString());
            }
            evs.sort(null);
            ArrayNode sorted = JSON.createArrayNode();
            for (String s : evs) {
                try {
                    sorted.add(JSON.readTree(s));
                } catch (Exception x) {
                    throw new IllegalStateException(x);
                }
            }
            t.set("events", sorted);
            byServer.merge(name, t.toString(), (a, b) -> a + " AND " + b);
        }
        return byServer + " hops " + hopOf.keySet();
    }

    @Test
    void tracesAcrossRoutesMatchNatsServer() throws Exception {
        List<String> reference = run(TestServers.Target.NATS_NEWEST);
        List<String> weft = run(TestServers.Target.WEFT);
        assertTrue(reference.get(0).contains("T2") && reference.get(0).contains("T3"),
                "the reference traced on every server: " + reference.get(0));
        assertEquals(String.join("\n", reference), String.join("\n", weft));
    }
}
