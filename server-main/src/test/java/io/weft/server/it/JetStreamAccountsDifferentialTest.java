package io.weft.server.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Per-account JetStream enablement and limits, differentially: the same {@code $JS.API} requests
 * from users of an account with JetStream limits, of an account without JetStream, and of the
 * unlimited account, sent to nats-server and to the candidate (see {@link JetStreamDifferentialTest}
 * for how the candidate is chosen and how replies are normalised). Each user's requests form one
 * transcript, run once per server start, in order.
 */
class JetStreamAccountsDifferentialTest {
    static final String CONF = """
            accounts {
              LIMITED: {
                jetstream: {max_mem: 1024, max_file: 2048, max_streams: 2, max_consumers: 1}
                users: [{user: lim, password: lim}]
              }
              NOJS: {
                users: [{user: nojs, password: nojs}]
              }
              FULL: {
                jetstream: enabled
                users: [{user: full, password: full}]
              }
            }
            """;
    static final String API = "$JS.API.";
    static final Duration TIMEOUT = Duration.ofSeconds(3);
    static final ExecutorService BOTH = Executors.newVirtualThreadPerTaskExecutor();

    static JsServer reference;
    static JsServer candidate;
    static String candidateName;

    @BeforeAll
    static void start() {
        boolean weft = TestServers.target() == TestServers.Target.WEFT
                || "on".equalsIgnoreCase(System.getProperty("weft.diff", "off"));
        reference = JsServer.start(TestServers.Target.NATS_NEWEST, CONF);
        candidate = JsServer.start(weft ? TestServers.Target.WEFT : TestServers.Target.NATS_NEWEST, CONF);
        candidateName = weft ? "weft" : "nats-server#2";
    }

    @AfterAll
    static void stop() {
        if (reference != null) {
            reference.close();
        }
        if (candidate != null) {
            candidate.close();
        }
    }

    record Req(String subject, String payload, java.util.Set<String> ignored) {
        Req(String subject, String payload) {
            this(subject, payload, java.util.Set.of());
        }

        @Override
        public String toString() {
            return "REQ " + subject + " " + payload;
        }
    }

    static Req r(String subject, String payload, String... ignoredKeys) {
        return new Req(subject, payload, java.util.Set.of(ignoredKeys));
    }

    static List<String> run(JsServer server, String user, List<Req> reqs) {
        List<String> out = new ArrayList<>();
        try (JsApiExchange x = JsApiExchange.open(server.port(), "\"user\":\"" + user + "\",\"pass\":\"" + user + "\"")) {
            for (Req q : reqs) {
                out.add(JsApiExchange.normalise(x.request(q.subject(), null, q.payload(), TIMEOUT)));
            }
        } catch (Exception e) {
            out.add("<exchange failed: " + e + ">");
        }
        return out;
    }

    private static void compare(String user, List<Req> reqs) throws Exception {
        CompletableFuture<List<String>> l = CompletableFuture.supplyAsync(() -> run(reference, user, reqs), BOTH);
        CompletableFuture<List<String>> r = CompletableFuture.supplyAsync(() -> run(candidate, user, reqs), BOTH);
        List<String> left = new ArrayList<>(l.get());
        List<String> right = new ArrayList<>(r.get());
        for (int i = 0; i < Math.min(left.size(), right.size()); i++) {
            right.set(i, JsApiExchange.withoutNewerFields(left.get(i), right.get(i)));
            if (i < reqs.size() && !reqs.get(i).ignored().isEmpty()) {
                left.set(i, JsApiExchange.withoutKeys(left.get(i), reqs.get(i).ignored()));
                right.set(i, JsApiExchange.withoutKeys(right.get(i), reqs.get(i).ignored()));
            }
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < Math.max(left.size(), right.size()); i++) {
            String a = i < left.size() ? left.get(i) : "(nothing)";
            String b = i < right.size() ? right.get(i) : "(nothing)";
            sb.append(String.format(" %s %-2d %s%n", a.equals(b) ? " " : "!", i, i < reqs.size() ? reqs.get(i) : ""));
            if (a.equals(b)) {
                sb.append("        ").append(a).append('\n');
            } else {
                sb.append("      - nats-server: ").append(a).append('\n').append("      + ").append(candidateName).append(": ")
                        .append(b).append('\n');
            }
        }
        if (Boolean.getBoolean("weft.diff.print")) {
            System.out.println("== accounts: " + user + "\n" + sb);
        }
        if (!left.equals(right)) {
            fail("user " + user + " differs:\n" + sb);
        }
        for (String reply : left) {
            if (reply.startsWith("<exchange failed")) {
                fail("the reference exchange failed: " + reply);
            }
        }
    }

    @Test
    void accountWithLimits() throws Exception {
        String big = "{\"name\":\"BIG\",\"subjects\":[\"big\"],\"storage\":\"memory\",\"max_bytes\":4096}";
        compare("lim", List.of(
                r(API + "INFO", ""),
                r(API + "STREAM.CREATE.BIG", big),
                r(API + "STREAM.CREATE.S1", "{\"name\":\"S1\",\"subjects\":[\"s1\"],\"storage\":\"memory\"}"),
                r(API + "STREAM.CREATE.S2", "{\"name\":\"S2\",\"subjects\":[\"s2\"],\"storage\":\"file\",\"max_bytes\":1024}"),
                r(API + "STREAM.CREATE.S3", "{\"name\":\"S3\",\"subjects\":[\"s3\"],\"storage\":\"file\",\"max_bytes\":512}"),
                r(API + "CONSUMER.DURABLE.CREATE.S1.A", "{\"stream_name\":\"S1\",\"config\":{\"durable_name\":\"A\"}}"),
                r(API + "CONSUMER.DURABLE.CREATE.S1.B", "{\"stream_name\":\"S1\",\"config\":{\"durable_name\":\"B\"}}"),
                r("s1", "x".repeat(600)),
                r("s1", "x".repeat(600)),
                // 2.9.10 burns a sequence on the publish refused for account limits (last_seq 2, one
                // deleted); nothing was stored, so these two fields are not compared
                r(API + "STREAM.INFO.S1", "", "last_seq", "num_deleted"),
                r(API + "INFO", "")));
    }

    @Test
    void accountWithoutJetStream() throws Exception {
        compare("nojs", List.of(
                r(API + "INFO", ""),
                r(API + "STREAM.CREATE.X", "{\"name\":\"X\",\"subjects\":[\"x\"],\"storage\":\"memory\"}"),
                r(API + "STREAM.NAMES", ""),
                r(API + "STREAM.LIST", ""),
                r(API + "STREAM.INFO.X", ""),
                r(API + "STREAM.MSG.GET.X", "{\"seq\":1}"),
                r(API + "CONSUMER.NAMES.X", ""),
                r(API + "CONSUMER.INFO.X.C", "")));
    }

    @Test
    void unlimitedAccountIsIsolated() throws Exception {
        compare("full", List.of(
                r(API + "INFO", ""),
                r(API + "STREAM.CREATE.S1", "{\"name\":\"S1\",\"subjects\":[\"s1\"],\"storage\":\"memory\"}"),
                r(API + "STREAM.NAMES", ""),
                r("s1", "in full"),
                r(API + "STREAM.INFO.S1", "")));
    }
}
