package io.weft.engine.jetstream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.weft.engine.ServerLog;
import io.weft.engine.ServerOptions;
import io.weft.engine.node.Node;
import io.weft.engine.protocol.Headers;
import io.weft.engine.server.Account;
import io.weft.engine.server.InternalSubscription;
import io.weft.engine.server.Server;
import io.weft.net.Env;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * A real server (port 0) with JetStream, driven through the $G account's internal publish and
 * subscribe: requests go where a client's would, replies come back through an inbox subscription.
 */
final class JsHarness implements AutoCloseable {
    final Node node;
    final Server server;
    final Account account;
    final Path storeDir;
    final List<String> logLines = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final LinkedBlockingQueue<Reply> replies = new LinkedBlockingQueue<>();
    private final InternalSubscription inbox;
    private final AtomicLong ids = new AtomicLong();
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One message received on the inbox: the header block (or empty) and the payload. */
    record Reply(String subject, byte[] headers, byte[] data) {
        String text() {
            return new String(data, StandardCharsets.UTF_8);
        }

        Headers parsedHeaders() {
            return headers.length == 0 ? null : Headers.parse(headers);
        }
    }

    JsHarness() throws Exception {
        this(Files.createTempDirectory("weft-js-unit-"), o -> { });
    }

    JsHarness(Path storeDir, Consumer<ServerOptions> tweak) throws Exception {
        this.storeDir = storeDir;
        ServerOptions o = new ServerOptions();
        o.port = 0;
        o.host = "127.0.0.1";
        o.jetstream = true;
        o.storeDir = storeDir.toString();
        tweak.accept(o);
        node = new Node(Env.real(), o, recordingLog());
        node.start();
        server = node.server();
        account = server.account(Account.GLOBAL);
        inbox = account.subscribe("_INBOX.>", null, (subject, reply, data, off, hdrLen, totalLen) -> {
            byte[] h = java.util.Arrays.copyOfRange(data, off, off + hdrLen);
            byte[] d = java.util.Arrays.copyOfRange(data, off + hdrLen, off + totalLen);
            replies.add(new Reply(subject, h, d));
        });
    }

    private ServerLog recordingLog() {
        return new ServerLog() {
            @Override public void fatal(String m) { logLines.add("[FTL] " + m); }
            @Override public void error(String m) { logLines.add("[ERR] " + m); }
            @Override public void warn(String m) { logLines.add("[WRN] " + m); }
            @Override public void notice(String m) { logLines.add("[INF] " + m); }
            @Override public void debug(String m) { }
            @Override public void trace(String m) { }
            @Override public boolean isDebug() { return false; }
            @Override public boolean isTrace() { return false; }
        };
    }

    /** Publishes with a fresh inbox as reply and waits for the one answer (null on timeout). */
    Reply request(String subject, byte[] headers, String body) throws InterruptedException {
        return request(subject, headers, body, 5000);
    }

    /** As {@link #request(String, byte[], String)} with a timeout for requests expected to go unanswered. */
    Reply request(String subject, byte[] headers, String body, long timeoutMillis) throws InterruptedException {
        String reply = "_INBOX." + ids.incrementAndGet();
        account.publish(subject, reply, headers, body.getBytes(StandardCharsets.UTF_8));
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        List<Reply> others = new ArrayList<>();
        try {
            while (true) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return null;
                }
                Reply r = replies.poll(left, TimeUnit.NANOSECONDS);
                if (r == null) {
                    return null;
                }
                if (r.subject().equals(reply)) {
                    return r;
                }
                others.add(r);
            }
        } finally {
            replies.addAll(others);
        }
    }

    String api(String subject, String body) throws InterruptedException {
        Reply r = request(subject, null, body);
        return r == null ? null : r.text();
    }

    /** An API request whose reply must arrive, parsed as JSON. */
    JsonNode apiJson(String subject, String body) throws Exception {
        String r = api(subject, body);
        org.junit.jupiter.api.Assertions.assertNotNull(r, "no reply on " + subject);
        return JSON.readTree(r);
    }

    /** Creates the stream a config names; fails the test on an API error. */
    JsonNode createStream(String json) throws Exception {
        String name = JSON.readTree(json).get("name").asText();
        JsonNode r = apiJson("$JS.API.STREAM.CREATE." + name, json);
        org.junit.jupiter.api.Assertions.assertNull(r.get("error"), r.toString());
        return r;
    }

    String publish(String subject, String body) throws InterruptedException {
        return api(subject, body);
    }

    String publish(String subject, Headers h, String body) throws InterruptedException {
        Reply r = request(subject, h == null ? null : h.toBytes(), body);
        return r == null ? null : r.text();
    }

    /** Waits for a message on a subject an inbox-like subscription listens to. */
    Reply next(long timeoutMillis) throws InterruptedException {
        return replies.poll(timeoutMillis, TimeUnit.MILLISECONDS);
    }

    JetStream js() {
        return node.jetStream();
    }

    @Override
    public void close() {
        account.unsubscribe(inbox);
        node.shutdown();
    }
}
