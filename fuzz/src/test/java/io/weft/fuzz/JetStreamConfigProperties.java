package io.weft.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.weft.engine.ServerOptions;
import io.weft.sim.SimClock;
import io.weft.sim.world.SimClient;
import io.weft.sim.world.SimNode;
import io.weft.sim.world.SimResult;
import io.weft.sim.world.SimWorld;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;

/**
 * Stream and consumer configs, valid and not, against one weft node in the simulator (virtual
 * time, so a spinning timer shows up as a livelock or as an unbounded count, never as a slow test).
 * For every try:
 *
 * <ul>
 *   <li>a config either gets an error with {@code code}, {@code err_code} and {@code description},
 *       or is created, and then INFO shows the config the create answered with (round trip);</li>
 *   <li>a created consumer that is never acknowledged, given 5 virtual seconds, delivers each
 *       message at most {@code 1 + 5 s / max(1 ms, its shortest wait)} times (and never more than
 *       max_deliver), and sends at most {@code 5 s / max(1 ms, heartbeat)} + 2 heartbeats: the
 *       bounds a paced loop keeps and a spinning one breaks by orders of magnitude;</li>
 *   <li>the run passes: no livelock, no stuck thread, every thread ends.</li>
 * </ul>
 */
class JetStreamConfigProperties {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long WINDOW = 5_000_000_000L;
    private static final long FLOOR = 1_000_000L;
    private static final int MESSAGES = 3;

    // ------------------------------------------------------------------ generators

    private static Arbitrary<String> duration() {
        return Arbitraries.of("-1", "0", "1", "999999", "1000000", "50000000", "100000000", "1000000000",
                "9223372036854775807", "\"1s\"", "1.5");
    }

    @Provide
    Arbitrary<String> streamConfigs() {
        Arbitrary<String> field = Arbitraries.oneOf(
                duration().map(v -> "\"max_age\":" + v),
                duration().map(v -> "\"duplicate_window\":" + v),
                Arbitraries.of("-5", "-1", "0", "1", "10", "9223372036854775807", "1e3").flatMap(v ->
                        Arbitraries.of("max_msgs", "max_bytes", "max_msgs_per_subject", "max_consumers").map(k -> "\"" + k + "\":" + v)),
                Arbitraries.of("-5", "-1", "0", "1", "2147483647", "2147483648").map(v -> "\"max_msg_size\":" + v),
                Arbitraries.of("-1", "0", "1", "2", "6").map(v -> "\"num_replicas\":" + v),
                Arbitraries.of("{\"inactive_threshold\":-1}", "{\"inactive_threshold\":1}", "{\"max_ack_pending\":-5}",
                        "{\"max_ack_pending\":5}", "5").map(v -> "\"consumer_limits\":" + v),
                Arbitraries.of("\"retention\":\"workqueue\"", "\"retention\":\"bogus\"", "\"discard\":\"new\"",
                        "\"first_seq\":-1", "\"unknown_field\":1", "\"template_owner\":\"x\""));
        return field.list().ofMaxSize(4).map(fs -> "{\"name\":\"CF\",\"subjects\":[\"cf.>\"],\"storage\":\"memory\""
                + (fs.isEmpty() ? "" : "," + String.join(",", fs)) + "}");
    }

    /** A consumer config (push or pull) and, for pull, the pull request sent once it exists. */
    record ConsumerCase(String config, boolean push, String pull) {
    }

    @Provide
    Arbitrary<ConsumerCase> consumerCases() {
        Arbitrary<String> field = Arbitraries.oneOf(
                duration().map(v -> "\"ack_wait\":" + v),
                duration().map(v -> "\"inactive_threshold\":" + v),
                duration().map(v -> "\"max_expires\":" + v),
                Arbitraries.of("[0]", "[1]", "[1,2,3]", "[0,1000000]", "[1000000,0]", "[-1]", "[100000000,1]", "[1.5]")
                        .map(v -> "\"backoff\":" + v),
                Arbitraries.of("-5", "-1", "0", "1", "2", "5").map(v -> "\"max_deliver\":" + v),
                Arbitraries.of("-5", "-1", "0", "1", "1000").map(v -> "\"max_ack_pending\":" + v),
                Arbitraries.of("-5", "0", "1", "2147483648").map(v -> "\"max_waiting\":" + v),
                Arbitraries.of("\"ack_policy\":\"none\"", "\"ack_policy\":\"all\"", "\"ack_policy\":\"bogus\"",
                        "\"sample_freq\":\"-1\"", "\"sample_freq\":\"101\"", "\"rate_limit_bps\":-1",
                        "\"rate_limit_bps\":1000000"));
        Arbitrary<String> heartbeat = Arbitraries.of("", ",\"idle_heartbeat\":-1", ",\"idle_heartbeat\":1",
                ",\"idle_heartbeat\":100000000", ",\"idle_heartbeat\":1000000000");
        Arbitrary<String> pull = Arbitraries.of("{\"batch\":100,\"expires\":4000000000,\"idle_heartbeat\":1}",
                "{\"batch\":100,\"expires\":4000000000,\"idle_heartbeat\":1000000}", "{\"batch\":100,\"expires\":-5}",
                "{\"batch\":100,\"expires\":1}", "{\"batch\":100,\"idle_heartbeat\":1}", "{\"batch\":100,\"expires\":4000000000}");
        return Combinators.combine(field.list().ofMaxSize(4), Arbitraries.of(true, false), heartbeat, pull)
                .as((fs, push, hb, pr) -> {
                    String base = "\"ack_policy\":\"explicit\"" + (push ? ",\"deliver_subject\":\"dlv.cf\"" + hb : "");
                    return new ConsumerCase("{" + base + (fs.isEmpty() ? "" : "," + String.join(",", fs)) + "}", push, pr);
                });
    }

    // ------------------------------------------------------------------ properties

    @Property(tries = 60, edgeCases = EdgeCasesMode.NONE)
    void streamConfigsRoundTripOrGetAnErrCode(@ForAll("streamConfigs") String config) {
        String[] outcome = {"none"};
        SimResult r = world(31, (w, c) -> {
            JsonNode created = c.request("$JS.API.STREAM.CREATE.CF", config);
            if (isError(created, config)) {
                outcome[0] = "error " + created.path("error").path("err_code").asInt();
                return;
            }
            outcome[0] = "created";
            JsonNode info = c.request("$JS.API.STREAM.INFO.CF", "");
            assertEquals(created.path("config"), info.path("config"), "INFO shows the config created from " + config);
            JsonNode again = c.request("$JS.API.STREAM.CREATE.CF", created.path("config").toString());
            assertTrue(again.get("error") == null, "re-creating with the answered config is accepted: " + again);
        });
        assertTrue(r.passed(), config + ": " + r.failures());
        Statistics.label("stream").collect(outcome[0]);
    }

    @Property(tries = 80, edgeCases = EdgeCasesMode.NONE)
    void noConsumerConfigMakesATimerSpin(@ForAll("consumerCases") ConsumerCase cc) {
        String[] outcome = {"none", "none"};
        SimResult r = world(32, (w, c) -> {
            JsonNode s = c.request("$JS.API.STREAM.CREATE.CF", "{\"name\":\"CF\",\"subjects\":[\"cf.>\"],\"storage\":\"memory\"}");
            assertTrue(s.get("error") == null, s.toString());
            for (int i = 0; i < MESSAGES; i++) {
                c.request("cf." + i, "m" + i);
            }
            if (cc.push()) {
                c.client.sub("dlv.cf", "9");
            }
            long start = c.clock.nanoTime(); // deliveries may begin as soon as the create is sent
            JsonNode created = c.request("$JS.API.CONSUMER.CREATE.CF.D",
                    "{\"stream_name\":\"CF\",\"config\":" + cc.config().replaceFirst("\\{", "{\"durable_name\":\"D\",") + "}");
            if (isError(created, cc.config())) {
                outcome[0] = "error " + created.path("error").path("err_code").asInt();
                return;
            }
            outcome[0] = cc.push() ? "push" : "pull";
            JsonNode info = c.request("$JS.API.CONSUMER.INFO.CF.D", "");
            assertEquals(created.path("config"), info.path("config"), "INFO shows the config created from " + cc);
            if (!cc.push()) {
                c.client.sub("pull.cf", "9");
                c.client.pub("$JS.API.CONSUMER.MSG.NEXT.CF.D", "pull.cf", cc.pull());
            }
            c.clock.sleep(Duration.ofNanos(WINDOW));
            outcome[1] = checkBounds(c, created.path("config"), cc, c.clock.nanoTime() - start);
        });
        assertTrue(r.passed(), cc + ": " + r.failures());
        Statistics.label("consumer").collect(outcome[0]);
        Statistics.label("deliveries").collect(outcome[1]);
    }

    /**
     * The counts a paced consumer stays within over {@code elapsed} (virtual nanoseconds from the
     * create request to now: {@link #WINDOW} plus the requests made before the window began).
     */
    private static String checkBounds(Conn c, JsonNode cfg, ConsumerCase cc, long elapsed) {
        long shortest = cfg.path("ack_wait").asLong(0);
        boolean acked = !cfg.path("ack_policy").asText().equals("none");
        for (JsonNode b : cfg.path("backoff")) {
            shortest = Math.min(shortest, b.asLong());
        }
        long perMessage = acked && cfg.path("ack_wait").asLong(0) != 0 ? 1 + elapsed / Math.max(FLOOR, shortest) + 1 : 1;
        long maxDeliver = cfg.path("max_deliver").asLong(-1);
        if (maxDeliver > 0) {
            perMessage = Math.min(perMessage, maxDeliver);
        }
        Map<String, Integer> perSeq = c.deliveriesBySubject();
        for (Map.Entry<String, Integer> e : perSeq.entrySet()) {
            assertTrue(e.getValue() <= perMessage, e.getKey() + " delivered " + e.getValue() + " times, bound "
                    + perMessage + " for " + cc + " -> " + cfg);
        }
        long hb = cc.push() ? cfg.path("idle_heartbeat").asLong(0) : pullHeartbeat(cc.pull());
        long hbBound = hb > 0 ? elapsed / Math.max(FLOOR, hb) + 2 : 0;
        assertTrue(c.heartbeats() <= hbBound, c.heartbeats() + " heartbeats, bound " + hbBound + " for " + cc);
        int total = perSeq.values().stream().mapToInt(Integer::intValue).sum();
        return total > 10 * MESSAGES ? "redelivered often" : total > MESSAGES ? "redelivered" : "at most once";
    }

    private static long pullHeartbeat(String pull) {
        try {
            return JSON.readTree(pull).path("idle_heartbeat").asLong(0);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    private static boolean isError(JsonNode reply, String what) {
        JsonNode err = reply.get("error");
        if (err == null) {
            return false;
        }
        assertTrue(err.path("code").isInt() && err.path("err_code").asInt() >= 10000 && err.path("description").isTextual(),
                "an error carries code, err_code and description: " + reply + " for " + what);
        return true;
    }

    // ------------------------------------------------------------------ the simulated world

    @FunctionalInterface
    interface Body {
        void run(SimWorld w, Conn c) throws Exception;
    }

    private static SimResult world(long seed, Body body) {
        SimWorld w = new SimWorld(seed);
        w.workloadLimit(Duration.ofMinutes(2));
        ServerOptions opts = new ServerOptions();
        opts.jetstream = true;
        opts.storeDir = "js";
        SimNode node = w.addNode("n1", opts);
        Conn conn = new Conn();
        SimClient client = w.addClient(SimClient.DeliveryTap.all()).noResponders(true).listener(conn::onMessage);
        conn.client = client;
        return w.run("js-config", world -> {
            conn.clock = new SimClock(world.scheduler());
            node.start();
            client.connect(world.network().host("c0"), "n1", node.port());
            client.sub("_INBOX.cf.>", "1");
            client.flush();
            body.run(world, conn);
        });
    }

    /** Request/reply over the simulated client, and the counts of what the consumer sent. */
    static final class Conn {
        SimClient client;
        SimClock clock;
        private final ReentrantLock lock = new ReentrantLock();
        private final Map<String, String> replies = new HashMap<>();
        private final Map<String, Integer> deliveries = new HashMap<>();
        private int heartbeats;
        private int next;

        void onMessage(SimClient c, String subject, String sid, String reply, String headers, String payload) {
            lock.lock();
            try {
                if (sid.equals("1")) {
                    replies.put(subject, payload);
                } else if (headers != null && headers.startsWith("NATS/1.0 100")) {
                    heartbeats++;
                } else if (reply != null && reply.startsWith("$JS.ACK.")) {
                    String[] t = reply.split("\\.");
                    deliveries.merge(t[t.length - 4], 1, Integer::sum);
                }
            } finally {
                lock.unlock();
            }
        }

        JsonNode request(String subject, String body) throws Exception {
            String inbox = "_INBOX.cf." + (++next);
            client.pub(subject, inbox, body);
            for (int i = 0; i < 10_000; i++) {
                client.flush();
                lock.lock();
                try {
                    String got = replies.remove(inbox);
                    if (got != null) {
                        return JSON.readTree(got);
                    }
                } finally {
                    lock.unlock();
                }
                clock.sleep(Duration.ofMillis(1));
            }
            throw new AssertionError("no reply to " + subject + " " + body);
        }

        Map<String, Integer> deliveriesBySubject() {
            lock.lock();
            try {
                return new HashMap<>(deliveries);
            } finally {
                lock.unlock();
            }
        }

        int heartbeats() {
            lock.lock();
            try {
                return heartbeats;
            } finally {
                lock.unlock();
            }
        }
    }
}
