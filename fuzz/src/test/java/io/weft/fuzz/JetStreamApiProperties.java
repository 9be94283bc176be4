package io.weft.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.weft.engine.ServerLog;
import io.weft.engine.ServerOptions;
import io.weft.engine.node.Node;
import io.weft.net.Env;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.statistics.Statistics;

/**
 * The {@code $JS.API} under random and malformed requests, on a live JetStream server over a real
 * socket: random endpoints (with the stream and consumer names they reference drawn from a small
 * pool, plus odd names), bodies that are valid-looking configs, random JSON, mutated JSON and
 * plain garbage. For every try:
 *
 * <ul>
 *   <li>every request to a JSON endpoint gets a reply within the timeout, and the reply is a JSON
 *       object (a success or an {@code error} with {@code code}, {@code err_code} and
 *       {@code description}); {@code CONSUMER.MSG.NEXT} and {@code DIRECT.GET} answer with
 *       messages or status headers instead, and may stay silent (a pull waits; nats-server does
 *       not answer a direct get of a stream without {@code allow_direct});</li>
 *   <li>the connection stays up and no {@code -ERR} is sent;</li>
 *   <li>the server logs no internal error or exception (weft) / does not panic (nats-server);</li>
 *   <li>a sentinel stream, which no request names, keeps its messages intact.</li>
 * </ul>
 *
 * <p>The target is weft in process (default) or the Debian nats-server ({@code -Dweft.target=nats-server}).
 * Against nats-server 2.9.10 this finds a panic: {@code $JS.API.STREAM.NAMES} with
 * {@code {"offset":-5}} crashes it (slice bounds out of range in jsStreamNamesRequest).
 */
class JetStreamApiProperties {
    private static final long TIMEOUT_MS = 3_000;
    private static final String SENTINEL = "SENTINEL";
    private static final int SENTINEL_MESSAGES = 10;
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Names the fuzzed requests use: a small pool so creates, infos and deletes meet. */
    private static final List<String> STREAMS = List.of("F1", "F2", "KV_fz");
    private static final List<String> CONSUMERS = List.of("C1", "C2", "dur");

    private static Target target;
    private static final AtomicInteger inboxes = new AtomicInteger();

    /** The server under test: in-process weft with a recording log, or a nats-server process. */
    private interface Target extends AutoCloseable {
        int port();

        /** Lines that reveal a server bug: internal errors, exceptions, panics. */
        List<String> bad();

        @Override
        void close();
    }

    private static final class RecordingLog implements ServerLog {
        final List<String> bad = new CopyOnWriteArrayList<>();

        private void check(String level, String m) {
            String l = m.toLowerCase(Locale.ROOT);
            if (l.contains("internal error") || l.contains("exception") || l.contains("panic")) {
                bad.add(level + " " + m);
            }
        }

        @Override public void fatal(String m) { bad.add("FTL " + m); }
        @Override public void error(String m) { check("ERR", m); }
        @Override public void warn(String m) { check("WRN", m); }
        @Override public void notice(String m) { }
        @Override public void debug(String m) { }
        @Override public void trace(String m) { }
        @Override public boolean isDebug() { return false; }
        @Override public boolean isTrace() { return false; }
    }

    private static final class WeftTarget implements Target {
        final Path dir;
        final Node server;
        final RecordingLog log = new RecordingLog();

        WeftTarget() throws IOException {
            dir = Files.createTempDirectory("weft-jsfuzz-");
            ServerOptions opts = new ServerOptions();
            opts.port = 0;
            opts.host = "127.0.0.1";
            opts.jetstream = true;
            opts.storeDir = dir.toString();
            server = new Node(Env.real(), opts, log);
            server.start();
        }

        @Override public int port() { return server.port(); }
        @Override public List<String> bad() { return List.copyOf(log.bad); }

        @Override
        public void close() {
            server.shutdown();
            deleteTree(dir);
        }
    }

    private static final class NatsServerTarget implements Target {
        final Path dir;
        final Process process;
        final int port;
        final Path out;

        NatsServerTarget() throws IOException, InterruptedException {
            dir = Files.createTempDirectory("weft-jsfuzz-ns-");
            out = dir.resolve("server.log");
            try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
                port = s.getLocalPort();
            }
            process = new ProcessBuilder("/usr/sbin/nats-server", "-js", "-sd", dir.resolve("js").toString(),
                    "-a", "127.0.0.1", "-p", Integer.toString(port)).redirectErrorStream(true)
                    .redirectOutput(out.toFile()).start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (System.nanoTime() < deadline) {
                try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
                    return;
                } catch (IOException notYet) {
                    Thread.sleep(50);
                }
            }
            throw new IOException("nats-server did not start on " + port);
        }

        @Override public int port() { return port; }

        @Override
        public List<String> bad() {
            List<String> bad = new ArrayList<>();
            if (!process.isAlive()) {
                bad.add("nats-server exited with " + process.exitValue());
            }
            try {
                for (String line : Files.readAllLines(out)) {
                    if (line.startsWith("panic") || line.contains("[FTL]")) {
                        bad.add(line);
                    }
                }
            } catch (IOException ignored) {
                // no log yet
            }
            return bad;
        }

        @Override
        public void close() {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            deleteTree(dir);
        }
    }

    @BeforeContainer
    static void start() throws Exception {
        String t = System.getProperty("weft.target", "weft").trim().toLowerCase(Locale.ROOT);
        target = t.startsWith("nats") ? new NatsServerTarget() : new WeftTarget();
        try (WireClient c = client()) {
            JsonNode created = request(c, "$JS.API.STREAM.CREATE." + SENTINEL,
                    "{\"name\":\"" + SENTINEL + "\",\"subjects\":[\"sentinel.>\"],\"storage\":\"file\"}");
            assertNull(created.get("error"), "sentinel stream: " + created);
            for (int i = 1; i <= SENTINEL_MESSAGES; i++) {
                JsonNode ack = request(c, "sentinel." + i, "sentinel-" + i);
                assertEquals(i, ack.path("seq").asLong(), "sentinel publish ack " + ack);
            }
        }
    }

    @AfterContainer
    static void stop() {
        if (target != null) {
            target.close();
        }
    }

    // ------------------------------------------------------------------ generators

    /** One fuzzed request: the API subject and the body bytes. */
    record Request(String subject, byte[] body) {
        @Override
        public String toString() {
            return subject + " " + new String(body, StandardCharsets.UTF_8);
        }
    }

    @Provide
    Arbitrary<List<Request>> requests() {
        return request().list().ofMinSize(1).ofMaxSize(12);
    }

    private Arbitrary<Request> request() {
        return subject().flatMap(s -> Arbitraries.frequencyOf(
                Tuple.of(3, body()),
                Tuple.of(4, validBody(s).map(JetStreamApiProperties::utf8)),
                Tuple.of(1, Combinators.combine(validBody(s), Arbitraries.integers().between(0, 10_000),
                        Arbitraries.integers().between(0, 3), Arbitraries.of("", "\"", "}", "-", "9", "[", "\\u0000", ","))
                        .as((json, where, cut, ins) -> utf8(mutate(json, where, cut, ins)))))
                .map(b -> new Request(s, b)));
    }

    /** A well-formed request body for the endpoint, names matching the subject (mostly accepted). */
    private Arbitrary<String> validBody(String subject) {
        String[] t = subject.split("\\.");
        if (subject.startsWith("$JS.API.STREAM.CREATE.") || subject.startsWith("$JS.API.STREAM.UPDATE.")) {
            String name = t[t.length - 1];
            Arbitrary<String> subjects = Arbitraries.of("[\"f.a\",\"f.b\"]", "[\"f.>\"]", "[\"f.c.>\"]",
                    "[\"g.*\"]", "[\"$KV.fz.>\"]", "[\"f.a\"]");
            Arbitrary<String> option = Arbitraries.of("\"storage\":\"memory\"", "\"storage\":\"file\"",
                    "\"retention\":\"workqueue\"", "\"retention\":\"interest\"", "\"max_msgs\":3",
                    "\"max_bytes\":200", "\"max_msgs_per_subject\":1", "\"discard\":\"new\"",
                    "\"allow_direct\":true", "\"allow_rollup_hdrs\":true", "\"deny_delete\":true",
                    "\"deny_purge\":true", "\"max_age\":1000000000", "\"duplicate_window\":1000000000",
                    "\"max_consumers\":1", "\"max_msg_size\":16", "\"sealed\":true", "\"first_seq\":100",
                    "\"description\":\"fz\"", "\"num_replicas\":1", "\"num_replicas\":3", "\"no_ack\":true");
            return Combinators.combine(subjects, option.list().ofMaxSize(4)).as((subs, opts) ->
                    "{\"name\":\"" + name + "\",\"subjects\":" + subs + (opts.isEmpty() ? "" : "," + String.join(",", opts)) + "}");
        }
        if (subject.startsWith("$JS.API.CONSUMER.CREATE.") || subject.startsWith("$JS.API.CONSUMER.DURABLE.CREATE.")) {
            boolean durable = subject.contains(".DURABLE.");
            String stream = t[durable ? 5 : 4];
            String name = t.length > (durable ? 6 : 5) ? t[durable ? 6 : 5] : null;
            Arbitrary<String> option = Arbitraries.of("\"ack_policy\":\"explicit\"", "\"ack_policy\":\"none\"",
                    "\"ack_policy\":\"all\"", "\"deliver_policy\":\"last\"", "\"deliver_policy\":\"new\"",
                    "\"deliver_policy\":\"last_per_subject\"", "\"deliver_policy\":\"by_start_sequence\",\"opt_start_seq\":2",
                    "\"filter_subject\":\"f.a\"", "\"filter_subjects\":[\"f.a\",\"f.b\"]", "\"max_deliver\":2",
                    "\"max_ack_pending\":1", "\"ack_wait\":1000000000", "\"inactive_threshold\":1000000000",
                    "\"deliver_subject\":\"push.fz\"", "\"deliver_subject\":\"f.a\"", "\"headers_only\":true",
                    "\"max_waiting\":1", "\"replay_policy\":\"original\"", "\"backoff\":[1000000000]");
            return option.list().ofMaxSize(4).map(opts -> {
                List<String> fields = new ArrayList<>(opts);
                if (name != null) {
                    fields.add(0, (durable ? "\"durable_name\":\"" : "\"name\":\"") + name + "\"");
                }
                return "{\"stream_name\":\"" + stream + "\",\"config\":{" + String.join(",", fields) + "}}";
            });
        }
        if (subject.contains(".MSG.NEXT.")) {
            return Arbitraries.of("{\"batch\":1,\"no_wait\":true}", "{\"batch\":5,\"expires\":50000000}",
                    "{\"batch\":2,\"max_bytes\":10,\"no_wait\":true}", "1");
        }
        if (subject.contains(".MSG.GET.") || subject.contains(".MSG.DELETE.") || subject.startsWith("$JS.API.DIRECT.GET.")) {
            return Arbitraries.of("{\"seq\":1}", "{\"seq\":2}", "{\"last_by_subj\":\"f.a\"}",
                    "{\"next_by_subj\":\"f.>\",\"seq\":1}", "{\"seq\":1,\"no_erase\":true}");
        }
        if (subject.contains(".PURGE.")) {
            return Arbitraries.of("{}", "{\"filter\":\"f.a\"}", "{\"keep\":1}", "{\"seq\":3}", "{\"filter\":\"f.>\",\"keep\":1}");
        }
        if (subject.contains(".INFO.")) {
            return Arbitraries.of("", "{\"subjects_filter\":\">\"}", "{\"deleted_details\":true}", "{\"offset\":1}");
        }
        if (subject.endsWith(".NAMES") || subject.endsWith(".LIST") || subject.contains(".NAMES.") || subject.contains(".LIST.")) {
            return Arbitraries.of("", "{}", "{\"offset\":1}", "{\"subject\":\"f.a\"}");
        }
        return Arbitraries.of("", "{}", "payload");
    }

    private Arbitrary<String> streamName() {
        return Arbitraries.frequencyOf(Tuple.of(12, Arbitraries.of(STREAMS)),
                Tuple.of(1, Arbitraries.of("*", ">", "é", "x".repeat(300), "F1.x", "$G")));
    }

    private Arbitrary<String> consumerName() {
        return Arbitraries.frequencyOf(Tuple.of(12, Arbitraries.of(CONSUMERS)),
                Tuple.of(1, Arbitraries.of("*", ">", "c.d", "y".repeat(300))));
    }

    private Arbitrary<String> subject() {
        Arbitrary<String> s = streamName();
        Arbitrary<String> c = consumerName();
        return Arbitraries.frequencyOf(
                Tuple.of(2, Arbitraries.just("$JS.API.INFO")),
                Tuple.of(6, s.map(n -> "$JS.API.STREAM.CREATE." + n)),
                Tuple.of(3, s.map(n -> "$JS.API.STREAM.UPDATE." + n)),
                Tuple.of(3, s.map(n -> "$JS.API.STREAM.INFO." + n)),
                Tuple.of(2, s.map(n -> "$JS.API.STREAM.DELETE." + n)),
                Tuple.of(2, s.map(n -> "$JS.API.STREAM.PURGE." + n)),
                Tuple.of(2, Arbitraries.just("$JS.API.STREAM.NAMES")),
                Tuple.of(2, Arbitraries.just("$JS.API.STREAM.LIST")),
                Tuple.of(3, s.map(n -> "$JS.API.STREAM.MSG.GET." + n)),
                Tuple.of(2, s.map(n -> "$JS.API.STREAM.MSG.DELETE." + n)),
                Tuple.of(4, s.map(n -> "$JS.API.CONSUMER.CREATE." + n)),
                Tuple.of(4, Combinators.combine(s, c).as((a, b) -> "$JS.API.CONSUMER.CREATE." + a + "." + b)),
                Tuple.of(2, Combinators.combine(s, c).as((a, b) -> "$JS.API.CONSUMER.CREATE." + a + "." + b + ".f.>")),
                Tuple.of(3, Combinators.combine(s, c).as((a, b) -> "$JS.API.CONSUMER.DURABLE.CREATE." + a + "." + b)),
                Tuple.of(3, Combinators.combine(s, c).as((a, b) -> "$JS.API.CONSUMER.INFO." + a + "." + b)),
                Tuple.of(2, Combinators.combine(s, c).as((a, b) -> "$JS.API.CONSUMER.DELETE." + a + "." + b)),
                Tuple.of(2, s.map(n -> "$JS.API.CONSUMER.NAMES." + n)),
                Tuple.of(2, s.map(n -> "$JS.API.CONSUMER.LIST." + n)),
                Tuple.of(3, Combinators.combine(s, c).as((a, b) -> "$JS.API.CONSUMER.MSG.NEXT." + a + "." + b)),
                Tuple.of(3, s.map(n -> "$JS.API.DIRECT.GET." + n)),
                Tuple.of(2, s.map(n -> "$JS.API.DIRECT.GET." + n + ".f.a")),
                // publishes into the fuzzed streams, so gets, purges and consumers have data
                Tuple.of(4, Arbitraries.of("f.a", "f.b", "f.c.d", "$KV.fz.k1", "$KV.fz.k2")));
    }

    private Arbitrary<byte[]> body() {
        return Arbitraries.frequencyOf(
                Tuple.of(2, Arbitraries.just(new byte[0])),
                Tuple.of(8, config().map(JetStreamApiProperties::utf8)),
                Tuple.of(4, Combinators.combine(config(), Arbitraries.integers().between(0, 10_000),
                        Arbitraries.integers().between(0, 4), Arbitraries.strings().ofMaxLength(4))
                        .as((json, where, cut, ins) -> utf8(mutate(json, where, cut, ins)))),
                Tuple.of(3, jsonValue(3).map(JetStreamApiProperties::utf8)),
                Tuple.of(1, Arbitraries.bytes().array(byte[].class).ofMaxSize(200)),
                Tuple.of(1, Arbitraries.integers().between(1, 3000).map(n -> utf8("[".repeat(n)))),
                Tuple.of(1, Arbitraries.of("1", "10", "-1", "null", "true", "\"x\"", "{}", "[]",
                        "{\"batch\":-1}", "{\"batch\":1,\"no_wait\":true}", "{\"batch\":1,\"expires\":1000000}",
                        "{\"offset\":-5}", "{\"offset\":1e30}", "{\"seq\":-1}", "{\"seq\":18446744073709551615}",
                        "{\"last_by_subj\":\"f.a\"}", "{\"next_by_subj\":\">\",\"seq\":0}", "{\"keep\":-3}",
                        "{\"filter\":\"\"}", "{\"subjects_filter\":\">\"}").map(JetStreamApiProperties::utf8)));
    }

    /** A plausible stream or consumer config, with some fields out of range or of the wrong type. */
    private Arbitrary<String> config() {
        Arbitrary<String> key = Arbitraries.of("name", "subjects", "retention", "storage", "max_msgs", "max_bytes",
                "max_age", "max_msgs_per_subject", "max_msg_size", "max_consumers", "discard", "num_replicas",
                "duplicate_window", "allow_direct", "allow_rollup_hdrs", "deny_delete", "deny_purge", "sealed",
                "first_seq", "description", "metadata", "subject_transform", "republish", "mirror", "sources",
                "compression", "consumer_limits", "no_ack", "stream_name", "config", "durable_name", "deliver_policy",
                "ack_policy", "ack_wait", "max_deliver", "max_ack_pending", "filter_subject", "filter_subjects",
                "deliver_subject", "opt_start_seq", "opt_start_time", "replay_policy", "backoff", "headers_only",
                "inactive_threshold", "idle_heartbeat", "flow_control", "max_waiting", "rate_limit_bps",
                "seq", "last_by_subj", "batch", "expires", "no_wait", "keep", "filter", "offset");
        Arbitrary<String> value = Arbitraries.frequencyOf(
                Tuple.of(3, Arbitraries.of("\"F1\"", "\"F2\"", "\"C1\"", "\"dur\"", "\"f.>\"", "\"f.a\"", "\">\"",
                        "\"*\"", "\"\"", "\"limits\"", "\"workqueue\"", "\"interest\"", "\"file\"", "\"memory\"",
                        "\"new\"", "\"old\"", "\"all\"", "\"last\"", "\"new\"", "\"by_start_sequence\"",
                        "\"explicit\"", "\"none\"", "\"s2\"", "\"instant\"", "\"1970-01-01T00:00:00Z\"")),
                Tuple.of(3, Arbitraries.of("0", "1", "-1", "2", "5", "1000000000", "-9223372036854775808",
                        "9223372036854775807", "18446744073709551616", "1.5", "1e400", "true", "false", "null")),
                Tuple.of(2, Arbitraries.of("[\"f.>\"]", "[\"f.a\",\"f.b\"]", "[\"f.*\",\"f.a\"]", "[\"$KV.fz.>\"]",
                        "[\">\"]", "[\"sentinel.>\"]", "[\"$JS.API.>\"]", "[]", "[1,2]", "[null]", "[1000000000]")),
                Tuple.of(1, Arbitraries.of("{}", "{\"src\":\"f.>\",\"dest\":\"g.>\"}", "{\"a\":\"b\"}",
                        "{\"name\":\"F2\"}", "{\"ack_policy\":\"explicit\",\"durable_name\":\"dur\"}")));
        return Combinators.combine(key, value).as((k, v) -> "\"" + k + "\":" + v).list().ofMaxSize(10)
                .map(fields -> "{" + String.join(",", fields) + "}");
    }

    private Arbitrary<String> jsonValue(int depth) {
        Arbitrary<String> scalar = Arbitraries.oneOf(
                Arbitraries.strings().withCharRange(' ', '~').ofMaxLength(8).map(s -> JSON.valueToTree(s).toString()),
                Arbitraries.longs().map(String::valueOf), Arbitraries.of("true", "false", "null", "1.0e-7"));
        if (depth == 0) {
            return scalar;
        }
        Arbitrary<String> array = jsonValue(depth - 1).list().ofMaxSize(4).map(l -> "[" + String.join(",", l) + "]");
        Arbitrary<String> object = Combinators.combine(
                        Arbitraries.strings().withCharRange('a', 'z').ofMaxLength(6), jsonValue(depth - 1))
                .as((k, v) -> "\"" + k + "\":" + v).list().ofMaxSize(4).map(l -> "{" + String.join(",", l) + "}");
        return Arbitraries.oneOf(scalar, array, object);
    }

    /** Cuts {@code cut} characters at {@code where} (mod the length) and inserts {@code ins} there. */
    private static String mutate(String json, int where, int cut, String ins) {
        int at = json.isEmpty() ? 0 : where % json.length();
        int end = Math.min(json.length(), at + cut);
        return json.substring(0, at) + ins + json.substring(end);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    // ------------------------------------------------------------------ the property

    @Property(tries = 80, edgeCases = EdgeCasesMode.NONE)
    void everyRequestGetsAJsonAnswerAndTheServerSurvives(@ForAll("requests") List<Request> requests) throws Exception {
        try (WireClient c = client()) {
            // a stream with data and a durable consumer for the fuzzed requests to meet
            request(c, "$JS.API.STREAM.CREATE.F1",
                    "{\"name\":\"F1\",\"subjects\":[\"f.a\",\"f.b\"],\"allow_direct\":true}");
            for (int i = 0; i < 3; i++) {
                request(c, i == 1 ? "f.b" : "f.a", "m" + i);
            }
            request(c, "$JS.API.CONSUMER.DURABLE.CREATE.F1.dur",
                    "{\"stream_name\":\"F1\",\"config\":{\"durable_name\":\"dur\",\"ack_policy\":\"explicit\"}}");
            int sent = 0;
            for (Request r : requests) {
                String reply = "_INBOX.fz." + inboxes.incrementAndGet();
                int before = c.messages().size();
                c.send(pub(r.subject(), reply, r.body()));
                sent++;
                boolean jsonEndpoint = r.subject().startsWith("$JS.API.") && !r.subject().contains(".MSG.NEXT.")
                        && !r.subject().startsWith("$JS.API.DIRECT.GET.") && literalName(r.subject());
                boolean publish = !r.subject().startsWith("$JS.API.");
                if (jsonEndpoint) {
                    WireClient.Msg m = awaitReply(c, before, reply, r);
                    JsonNode doc = parseObject(m.payload(), r);
                    JsonNode err = doc.get("error");
                    if (err != null) {
                        assertTrue(err.path("code").isInt() && err.path("err_code").isInt()
                                && err.path("description").isTextual(), "malformed error " + doc + " for " + r);
                        Statistics.label("outcome").collect("error " + err.path("err_code").asInt());
                    } else {
                        Statistics.label("outcome").collect("ok " + endpoint(r.subject()));
                    }
                } else if (publish) {
                    // a publish to a subject some fuzzed stream may capture: answered with a PubAck
                    // or an error if a stream took it, nothing (or no-responders) if none did
                    c.flush(TIMEOUT_MS);
                    for (WireClient.Msg m : replies(c, reply)) {
                        if (m.headers() == null) {
                            parseObject(m.payload(), r);
                        }
                    }
                } else {
                    c.flush(TIMEOUT_MS); // MSG.NEXT, DIRECT.GET, names with wildcards: any answer will do
                }
                assertTrue(!c.closed(), "the server closed the connection after " + r);
                assertEquals(List.of(), c.errors(), "-ERR after " + r);
            }
            assertEquals(List.of(), target.bad(), "server log after " + sent + " requests");
        }
        cleanUp();
        assertSentinelIntact();
    }

    /**
     * The request that kills nats-server 2.9.10 (a negative paging offset panics its names
     * handler): weft must answer it with JSON and stay up. Fails against nats-server.
     */
    @Example
    void aNegativePagingOffsetGetsAnAnswer() throws Exception {
        try (WireClient c = client()) {
            request(c, "$JS.API.STREAM.CREATE.F1", "{\"name\":\"F1\",\"subjects\":[\"f.a\"]}");
            for (String subject : List.of("$JS.API.STREAM.NAMES", "$JS.API.STREAM.LIST", "$JS.API.CONSUMER.NAMES.F1",
                    "$JS.API.CONSUMER.LIST.F1")) {
                JsonNode doc = request(c, subject, "{\"offset\":-5}");
                assertTrue(doc.isObject(), subject + ": " + doc);
            }
            assertEquals(List.of(), target.bad(), "server log");
        }
        cleanUp();
        assertSentinelIntact();
    }

    /** True when every name token of the subject is a literal (no wildcard, not empty, no space). */
    private static boolean literalName(String subject) {
        if (subject.contains("F1.x") || subject.contains("c.d")) {
            return false; // a dotted name adds tokens: a different (or no) endpoint
        }
        if (subject.contains("*") || subject.contains(">")) {
            return subject.startsWith("$JS.API.CONSUMER.CREATE.") && subject.endsWith(".f.>")
                    && !subject.substring(0, subject.length() - 4).contains("*")
                    && !subject.substring(0, subject.length() - 4).contains(">");
        }
        return true;
    }

    private static String endpoint(String subject) {
        String[] t = subject.split("\\.");
        return t.length > 3 ? t[2] + "." + t[3] : t[t.length - 1];
    }

    private static WireClient.Msg awaitReply(WireClient c, int before, String reply, Request r) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MS);
        while (System.nanoTime() < deadline) {
            List<WireClient.Msg> got = replies(c, reply);
            if (!got.isEmpty()) {
                return got.get(0);
            }
            if (c.closed()) {
                break;
            }
            c.awaitMessages(before + 1, 20);
        }
        fail("no reply within " + TIMEOUT_MS + " ms to " + r + (c.closed() ? " (connection closed)" : "")
                + "; server log " + target.bad());
        return null;
    }

    private static List<WireClient.Msg> replies(WireClient c, String reply) {
        return c.messages().stream().filter(m -> m.subject().equals(reply)).toList();
    }

    private static JsonNode parseObject(byte[] payload, Request r) {
        JsonNode doc;
        try {
            doc = JSON.readTree(payload);
        } catch (IOException e) {
            throw new AssertionError("reply is not JSON: " + new String(payload, StandardCharsets.UTF_8) + " for " + r);
        }
        assertTrue(doc != null && doc.isObject(), "reply is not a JSON object: " + doc + " for " + r);
        return doc;
    }

    /** Deletes the fuzzed streams so tries do not pile up state. */
    private static void cleanUp() throws Exception {
        try (WireClient c = client()) {
            for (String s : STREAMS) {
                request(c, "$JS.API.STREAM.DELETE." + s, "");
            }
        }
    }

    private static void assertSentinelIntact() throws Exception {
        try (WireClient c = client()) {
            JsonNode info = request(c, "$JS.API.STREAM.INFO." + SENTINEL, "");
            assertNull(info.get("error"), "sentinel stream info " + info);
            JsonNode state = info.path("state");
            assertEquals(SENTINEL_MESSAGES, state.path("messages").asLong(), "sentinel messages " + state);
            assertEquals(1, state.path("first_seq").asLong(), "sentinel first_seq " + state);
            assertEquals(SENTINEL_MESSAGES, state.path("last_seq").asLong(), "sentinel last_seq " + state);
            for (int i = 1; i <= SENTINEL_MESSAGES; i++) {
                JsonNode got = request(c, "$JS.API.STREAM.MSG.GET." + SENTINEL, "{\"seq\":" + i + "}");
                JsonNode msg = got.path("message");
                assertEquals("sentinel." + i, msg.path("subject").asText(), "sentinel seq " + i + ": " + got);
                String data = new String(java.util.Base64.getDecoder().decode(msg.path("data").asText()),
                        StandardCharsets.UTF_8);
                assertEquals("sentinel-" + i, data, "sentinel seq " + i + " payload");
            }
        }
    }

    // ------------------------------------------------------------------ wire helpers

    private static WireClient client() throws Exception {
        WireClient c = new WireClient(target.port());
        assertTrue(c.awaitGreeting(TIMEOUT_MS), "INFO on connect");
        c.send("CONNECT {\"verbose\":false,\"pedantic\":false,\"headers\":true,\"no_responders\":true}\r\n"
                + "SUB _INBOX.fz.> 1\r\n");
        c.flush(TIMEOUT_MS);
        return c;
    }

    /** A request that must be answered with a JSON object. */
    private static JsonNode request(WireClient c, String subject, String body) throws Exception {
        String reply = "_INBOX.fz." + inboxes.incrementAndGet();
        int before = c.messages().size();
        Request r = new Request(subject, utf8(body));
        c.send(pub(subject, reply, r.body()));
        return parseObject(awaitReply(c, before, reply, r).payload(), r);
    }

    private static byte[] pub(String subject, String reply, byte[] body) {
        byte[] head = ("PUB " + subject + " " + reply + " " + body.length + "\r\n").getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[head.length + body.length + 2];
        System.arraycopy(head, 0, out, 0, head.length);
        System.arraycopy(body, 0, out, head.length, body.length);
        out[out.length - 2] = '\r';
        out[out.length - 1] = '\n';
        return out;
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // temp dir; best effort
        }
    }
}
