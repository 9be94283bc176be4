package io.weft.server.monitor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The client traffic and the monitoring requests behind monitor-samples/: the same steps drive an
 * in-process weft ({@link SampleShapeTest}), a weft process and nats-server 2.15.1
 * ({@link MonitorDifferentialTest}) and the capture of the samples ({@link CaptureMonitorSamples}).
 *
 * <p>{@link #plainTraffic}: alice (three subscriptions), bob (one, three publishes), a nameless go
 * client (one publish) and "closer" (a subscription and a publish, then gone). {@link #authTraffic}
 * on a server with accounts A (user alice/pa) and B (bob/pb): ca in A, cb and the short-lived cc in B.
 */
final class MonitorScenario implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();

    /** Sample file name to request, for the server without configuration. */
    static final Map<String, String> PLAIN = ordered(
            "varz.json", "/varz",
            "connz.json", "/connz",
            "connz-subs.json", "/connz?subs=1",
            "connz-subs-detail.json", "/connz?subs=detail",
            "connz-closed-detail.json", "/connz?state=closed&subs=detail",
            "connz-unknown-account.json", "/connz?acc=NOPE",
            "subsz.json", "/subsz",
            "subsz-test.json", "/subsz?subs=1&test=foo",
            "accstatz.json", "/accstatz",
            "jsz-disabled.json", "/jsz",
            "healthz.json", "/healthz",
            "healthz-js-enabled-only.json", "/healthz?js-enabled-only=true",
            "healthz-js-server-only.json", "/healthz?js-server-only=true",
            "healthz-bad-bool.txt", "/healthz?js-server-only=x");

    /** For the server with accounts A and B. */
    static final Map<String, String> AUTH = ordered(
            "varz-auth.json", "/varz",
            "connz-auth.json", "/connz?auth=1",
            "subsz-subs.json", "/subsz?subs=1&acc=B",
            "accstatz-unused.json", "/accstatz?unused=1");

    /** For the server started with {@code -js -sd DIR}. */
    static final Map<String, String> JETSTREAM = ordered(
            "varz-jetstream.json", "/varz",
            "jsz-enabled.json", "/jsz",
            "healthz-jetstream.json", "/healthz",
            "healthz-jetstream-js-enabled-only.json", "/healthz?js-enabled-only=true",
            "healthz-jetstream-js-server-only.json", "/healthz?js-server-only=1",
            "healthz-stream-without-account.json", "/healthz?stream=S",
            "healthz-consumer-without-stream.json", "/healthz?consumer=C",
            "healthz-stream-without-account-details.json", "/healthz?stream=S&details=true",
            "healthz-jetstream-details.json", "/healthz?details=true");

    /** The accounts and users of {@link #authTraffic}, in nats-server's configuration language. */
    static final String AUTH_CONFIG = "server_name: weftref\n"
            + "accounts {\n"
            + "  A { users: [ {user: alice, password: pa} ] }\n"
            + "  B { users: [ {user: bob, password: pb} ] }\n"
            + "}\n";

    private final List<NatsClient> clients = new ArrayList<>();

    private static Map<String, String> ordered(String... pairs) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            m.put(pairs[i], pairs[i + 1]);
        }
        return m;
    }

    private NatsClient client(int port, String connect) throws IOException {
        NatsClient c = new NatsClient(port, connect);
        clients.add(c);
        return c;
    }

    void plainTraffic(int port) throws IOException {
        NatsClient alice = client(port, "{\"verbose\":false,\"pedantic\":false,\"name\":\"alice\",\"lang\":\"python3\","
                + "\"version\":\"1.2.3\",\"protocol\":1,\"headers\":true,\"echo\":true}");
        alice.send("SUB foo 1\r\nSUB bar.* 2\r\nSUB baz.> q1 3\r\n");
        alice.flush();
        NatsClient bob = client(port, "{\"verbose\":false,\"name\":\"bob\",\"lang\":\"python3\",\"version\":\"1.2.3\"}");
        bob.send("SUB foo 1\r\nPUB foo 5\r\nhello\r\nPUB bar.x 8\r\nhi there\r\nPUB nobody 1\r\nx\r\n");
        bob.flush();
        NatsClient carol = client(port, "{\"verbose\":false,\"name\":\"\",\"lang\":\"go\",\"version\":\"1.2.3\"}");
        carol.send("PUB foo 3\r\nabc\r\n");
        carol.flush();
        try (NatsClient closer = new NatsClient(port, "{\"verbose\":false,\"name\":\"closer\",\"lang\":\"python3\","
                + "\"version\":\"1.2.3\"}")) {
            closer.send("SUB zzz 1\r\nPUB foo 3\r\nbye\r\n");
            closer.flush();
        }
        // the subscribers have had their messages once they answer a PING
        alice.flush();
        bob.flush();
    }

    void authTraffic(int port) throws IOException {
        NatsClient ca = client(port, "{\"verbose\":false,\"name\":\"ca\",\"lang\":\"java\",\"version\":\"2.25.0\","
                + "\"user\":\"alice\",\"pass\":\"pa\",\"headers\":true}");
        ca.send("SUB x.> 1\r\nSUB y 2\r\nPUB x.y 2\r\nhi\r\n");
        ca.flush();
        NatsClient cb = client(port, "{\"verbose\":false,\"name\":\"cb\",\"lang\":\"java\",\"version\":\"2.25.0\","
                + "\"user\":\"bob\",\"pass\":\"pb\",\"headers\":true}");
        cb.send("SUB x.y 1\r\nPUB x.y 2\r\nhi\r\n");
        cb.flush();
        try (NatsClient cc = new NatsClient(port, "{\"verbose\":false,\"name\":\"cc\",\"user\":\"bob\","
                + "\"pass\":\"pb\"}")) {
            cc.send("PUB x.y 2\r\nhi\r\n");
            cc.flush();
        }
        ca.flush();
        cb.flush();
    }

    /** Waits until the server lists {@code n} closed connections (a close is seen asynchronously). */
    static void awaitClosed(int httpPort, int n) throws Exception {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (get(httpPort, "/connz?state=closed").body().path("num_connections").asInt() < n) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the server never listed " + n + " closed connections");
            }
            Thread.sleep(10);
        }
    }

    /**
     * Waits until /connz lists the open connection named {@code name} with {@code subs}
     * subscriptions (on a loaded machine the answer may come before a client's last SUBs show).
     */
    static void awaitSubscriptions(int httpPort, String name, int subs) throws Exception {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (true) {
            JsonNode c = find(get(httpPort, "/connz").body().path("connections"), "name", name);
            if (c != null && c.path("subscriptions").asInt() == subs) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the server never listed " + name + " with " + subs + " subscriptions: " + c);
            }
            Thread.sleep(10);
        }
    }

    /** A monitoring answer: status, content type and the body (parsed when JSON, else a text node). */
    record Answer(int status, String contentType, String text, JsonNode body) {
    }

    static Answer get(int httpPort, String pathAndQuery) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + httpPort + pathAndQuery)).build(), HttpResponse.BodyHandlers.ofString());
        JsonNode body;
        try {
            body = JSON.readTree(r.body());
        } catch (IOException e) {
            body = JSON.getNodeFactory().textNode(r.body());
        }
        return new Answer(r.statusCode(), r.headers().firstValue("content-type").orElse(""), r.body(), body);
    }

    /** Every request of {@code requests}, by sample name. */
    static Map<String, Answer> fetchAll(int httpPort, Map<String, String> requests) throws Exception {
        Map<String, Answer> out = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : requests.entrySet()) {
            out.put(e.getKey(), get(httpPort, e.getValue()));
        }
        return out;
    }

    /**
     * The key paths of a document in order ({@code jetstream.config.max_memory}); an array
     * contributes the paths of its fullest element under {@code name[]}. Key order matters to the tools
     * that read nats-server's JSON no more than to a parser, but a missing or renamed key does.
     */
    static List<String> paths(JsonNode n) {
        List<String> out = new ArrayList<>();
        paths(n, "", out);
        return out;
    }

    private static void paths(JsonNode n, String prefix, List<String> out) {
        if (n.isObject()) {
            for (Map.Entry<String, JsonNode> e : n.properties()) {
                String p = prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey();
                out.add(p);
                paths(e.getValue(), p, out);
            }
        } else if (n.isArray() && !n.isEmpty()) {
            // the fullest element stands for the array: its order is a server's map order (Go's is
            // random), and its first element may lack an optional field such as a queue group
            List<String> best = null;
            for (JsonNode e : n) {
                List<String> p = new ArrayList<>();
                paths(e, prefix + "[]", p);
                if (best == null || p.size() > best.size()) {
                    best = p;
                }
            }
            out.addAll(best);
        }
    }

    /** {@link #paths} without those equal to or under any of {@code skip}. */
    static List<String> paths(JsonNode n, List<String> skip) {
        List<String> out = new ArrayList<>();
        for (String p : paths(n)) {
            boolean drop = false;
            for (String s : skip) {
                if (p.equals(s) || p.startsWith(s + ".") || p.startsWith(s + "[]")) {
                    drop = true;
                    break;
                }
            }
            if (!drop) {
                out.add(p);
            }
        }
        return out;
    }

    /** The element of {@code array} whose {@code field} is {@code value}. */
    static JsonNode find(JsonNode array, String field, String value) {
        for (JsonNode n : array) {
            if (n.path(field).asText().equals(value)) {
                return n;
            }
        }
        throw new AssertionError("no element with " + field + "=" + value + " in " + array);
    }

    @Override
    public void close() throws IOException {
        for (NatsClient c : clients) {
            c.close();
        }
        clients.clear();
    }
}
