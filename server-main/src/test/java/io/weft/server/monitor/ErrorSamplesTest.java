package io.weft.server.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.engine.ServerLog;
import io.weft.engine.ServerOptions;
import io.weft.engine.node.Node;
import io.weft.net.Env;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Every bad request in monitor-samples/errors.tsv (path?query, status, content type, body as
 * nats-server 2.9.10 answered) gets the same answer from weft.
 */
class ErrorSamplesTest {

    @Test
    void sameStatusTypeAndText() throws Exception {
        ServerOptions o = new ServerOptions();
        o.httpHost = "127.0.0.1";
        o.httpPort = -1;
        MonitorHttpServer http = new MonitorHttpServer(new Node(Env.real(), o, ServerLog.silent()), ServerLog.silent());
        http.start();
        try {
            HttpClient client = HttpClient.newHttpClient();
            int rows = 0;
            for (String line : samples().split("\n")) {
                if (line.isBlank()) {
                    continue;
                }
                String[] f = line.split("\t", 4);
                HttpResponse<String> r = client.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + http.port() + "/" + f[0].replace("*", "%2A"))).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(Integer.parseInt(f[1]), r.statusCode(), f[0]);
                assertEquals(f[2], r.headers().firstValue("Content-Type").orElse(""), f[0]);
                assertEquals(f[3], r.body().strip(), f[0]);
                rows++;
            }
            assertTrue(rows >= 14);
        } finally {
            http.stop();
        }
    }

    private static String samples() throws IOException {
        try (InputStream in = ErrorSamplesTest.class.getResourceAsStream("/monitor-samples/errors.tsv")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
