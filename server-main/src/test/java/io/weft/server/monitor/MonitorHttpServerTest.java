package io.weft.server.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.weft.engine.ServerLog;
import io.weft.engine.ServerOptions;
import io.weft.engine.node.Node;
import io.weft.engine.server.Server;
import io.weft.net.Env;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The HTTP side: binding, status codes, content types, JSONP, and live numbers over a real connection. */
class MonitorHttpServerTest {
    private static Server server;
    private static MonitorHttpServer http;
    private static NatsClient client;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void start() throws Exception {
        ServerOptions opts = new ServerOptions();
        opts.host = "127.0.0.1";
        opts.port = 0;
        opts.httpHost = "127.0.0.1";
        opts.httpPort = -1;
        Node node = new Node(Env.real(), opts, ServerLog.silent());
        node.start();
        server = node.server();
        http = new MonitorHttpServer(node, ServerLog.silent());
        http.start();
        client = new NatsClient(server.port(), "{\"verbose\":false,\"name\":\"probe\",\"lang\":\"java\",\"version\":\"9.9\"}");
        client.send("SUB a.b 1\r\nPUB a.b 2\r\nhi\r\n");
        client.flush();
    }

    @AfterAll
    static void stop() throws Exception {
        client.close();
        http.stop();
        server.shutdown();
    }

    static HttpResponse<String> get(String pathAndQuery) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.port() + pathAndQuery)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void bindsAFreePortWhenAskedForMinusOne() throws Exception {
        assertTrue(http.port() > 0);
        JsonNode varz = JSON.readTree(get("/varz").body());
        assertEquals(http.port(), varz.get("http_port").asInt());
        assertEquals(server.port(), varz.get("port").asInt());
        assertTrue(varz.get("cores").asInt() > 0);
    }

    @Test
    void servesJsonWithLiveNumbers() throws Exception {
        HttpResponse<String> r = get("/connz?subs=1");
        assertEquals(200, r.statusCode());
        assertEquals("application/json", r.headers().firstValue("Content-Type").orElse(""));
        JsonNode c = JSON.readTree(r.body()).get("connections").get(0);
        assertEquals("probe", c.get("name").asText());
        assertEquals("a.b", c.get("subscriptions_list").get(0).asText());
        assertEquals(1, c.get("in_msgs").asInt());
        assertEquals(1, c.get("out_msgs").asInt());
        assertEquals("{\"status\":\"ok\"}", get("/healthz").body());
    }

    @Test
    void everyEndpointAnswers() throws Exception {
        for (String p : new String[] {"/", "/varz", "/connz", "/subsz", "/subscriptionsz", "/routez", "/gatewayz",
            "/leafz", "/accountz", "/accstatz", "/jsz", "/healthz"}) {
            assertEquals(200, get(p).statusCode(), p);
        }
    }

    @Test
    void statusCodes() throws Exception {
        HttpResponse<String> missing = get("/nope");
        assertEquals(404, missing.statusCode());
        assertEquals("404 page not found\n", missing.body());
        assertEquals("nosniff", missing.headers().firstValue("X-Content-Type-Options").orElse(""));
        HttpResponse<String> bad = get("/connz?sort=bogus");
        assertEquals(400, bad.statusCode());
        assertEquals("text/plain; charset=utf-8", bad.headers().firstValue("Content-Type").orElse(""));
        assertEquals("invalid sorting option: bogus", bad.body());
        assertEquals(400, get("/accountz?acc=NOPE").statusCode());
    }

    @Test
    void jsonpWithCallback() throws Exception {
        HttpResponse<String> r = get("/routez?callback=cb");
        assertEquals("application/javascript", r.headers().firstValue("Content-Type").orElse(""));
        assertTrue(r.body().startsWith("cb({") && r.body().endsWith("})"), r.body());
    }

    @Test
    void anyMethodIsServed() throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.port() + "/varz"))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
    }

    @Test
    void stopReleasesThePort() throws Exception {
        ServerOptions opts = new ServerOptions();
        opts.httpHost = "127.0.0.1";
        opts.httpPort = -1;
        MonitorHttpServer other = new MonitorHttpServer(new Node(Env.real(), opts, ServerLog.silent()),
                ServerLog.silent());
        other.start();
        int port = other.port();
        assertNotEquals(http.port(), port);
        other.stop();
        assertEquals(-1, other.port());
        assertThrows(IOException.class, () -> HTTP.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port + "/varz")).build(), HttpResponse.BodyHandlers.ofString()));
    }
}
