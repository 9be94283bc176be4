package io.weft.engine.jetstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.weft.engine.ServerLog;
import io.weft.engine.ServerOptions;
import io.weft.engine.auth.AccountConfig;
import io.weft.engine.jetstream.consumer.Consumers;
import io.weft.engine.node.Node;
import io.weft.engine.server.Account;
import io.weft.engine.server.Server;
import io.weft.net.Env;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * API requests do not queue behind a slow one: the store of stream SLOW does not open until the
 * test says so, and meanwhile the account's other requests, another account's requests and creates
 * of other streams are answered, while what concerns SLOW waits for it, in order. The name and
 * subjects a create reserved hold against creates running alongside.
 */
class ApiConcurrencyTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final CountDownLatch building = new CountDownLatch(1);
    private final CountDownLatch release = new CountDownLatch(1);
    private final Map<String, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();
    private Server server;
    private JetStream js;

    private void start(AccountConfig.JetStreamLimits limitsOfA) throws Exception {
        ServerOptions o = new ServerOptions();
        o.port = 0;
        o.host = "127.0.0.1";
        o.storeDir = Files.createTempDirectory("weft-api-conc-").toString();
        o.auth.accounts.put("A", new AccountConfig("A", true, limitsOfA));
        o.auth.accounts.put("B", new AccountConfig("B", true));
        server = new Server(Env.real(), o, ServerLog.silent());
        server.start();
        StoreFactory real = new DefaultStoreFactory(server.env().disk());
        js = new JetStream(Node.jetStreamHost(server), (cfg, dir) -> {
            if (cfg.name().equals("SLOW")) {
                building.countDown();
                try {
                    assertTrue(release.await(20, TimeUnit.SECONDS), "the test released SLOW");
                } catch (InterruptedException e) {
                    throw new IOException(e);
                }
            }
            if (cfg.name().equals("FAILS")) {
                throw new IOException("no room for FAILS");
            }
            return real.open(cfg, dir);
        }, new Consumers());
        js.start();
        for (String a : new String[] {"A", "B"}) {
            server.account(a).subscribe("_R.>", null, (subject, reply, data, off, hdrLen, totalLen) -> {
                CompletableFuture<JsonNode> f = pending.get(subject);
                try {
                    f.complete(JSON.readTree(new String(data, off + hdrLen, totalLen - hdrLen, StandardCharsets.UTF_8)));
                } catch (IOException e) {
                    f.completeExceptionally(e);
                }
            });
        }
    }

    @AfterEach
    void stop() {
        release.countDown();
        if (js != null) {
            js.shutdown();
        }
        if (server != null) {
            server.shutdown();
        }
    }

    /** Sends a request from {@code account} and returns its reply to come. */
    private CompletableFuture<JsonNode> send(String account, String subject, String body) {
        String reply = "_R." + ids.incrementAndGet();
        CompletableFuture<JsonNode> f = new CompletableFuture<>();
        pending.put(reply, f);
        Account acc = server.account(account);
        acc.publish(subject, reply, null, body.getBytes(StandardCharsets.UTF_8));
        return f;
    }

    private static JsonNode answer(CompletableFuture<JsonNode> f) throws Exception {
        return f.get(10, TimeUnit.SECONDS);
    }

    private JsonNode api(String account, String subject, String body) throws Exception {
        return answer(send(account, subject, body));
    }

    private static String create(String name, String subjects) {
        return "{\"name\":\"" + name + "\",\"subjects\":[" + subjects + "]}";
    }

    private static int errCode(JsonNode n) {
        return n.path("error").path("err_code").asInt();
    }

    @Test
    void aSlowCreateHoldsUpOnlyRequestsOnItsOwnStream() throws Exception {
        start(null);
        assertTrue(api("A", "$JS.API.STREAM.CREATE.OTHER", create("OTHER", "\"other.>\"")).path("did_create").asBoolean());
        CompletableFuture<JsonNode> slow = send("A", "$JS.API.STREAM.CREATE.SLOW", create("SLOW", "\"slow.>\",\"s2.*\""));
        assertTrue(building.await(10, TimeUnit.SECONDS), "SLOW's create reached its store");
        CompletableFuture<JsonNode> slowInfo = send("A", "$JS.API.STREAM.INFO.SLOW", "");

        JsonNode info = api("A", "$JS.API.INFO", "");
        assertEquals(1, info.path("streams").asInt(), "SLOW is not published yet: " + info);
        assertEquals("OTHER", api("A", "$JS.API.STREAM.INFO.OTHER", "").path("config").path("name").asText());
        assertEquals("[\"OTHER\"]", api("A", "$JS.API.STREAM.NAMES", "").path("streams").toString());
        assertEquals(0, api("B", "$JS.API.INFO", "").path("streams").asInt());
        assertTrue(api("B", "$JS.API.STREAM.CREATE.SLOW", create("SLOW2", "\"slow.>\"")).has("error"),
                "mismatched name, answered at once");
        assertTrue(api("B", "$JS.API.STREAM.CREATE.B1", create("B1", "\"slow.>\"")).path("did_create").asBoolean(),
                "another account's subjects are its own");
        // SLOW's subjects are reserved although SLOW is not published
        JsonNode clash = api("A", "$JS.API.STREAM.CREATE.CLASH", create("CLASH", "\"slow.x\""));
        assertEquals(10065, errCode(clash), clash.toString());
        // (a leading wildcard would collide with $JS.> first: nats-server 2.15 refuses it without no_ack)
        assertEquals(10065, errCode(api("A", "$JS.API.STREAM.CREATE.CLASH", create("CLASH", "\"s2.y\""))));
        assertTrue(api("A", "$JS.API.STREAM.CREATE.FAST", create("FAST", "\"fast.>\"")).path("did_create").asBoolean());

        assertFalse(slow.isDone(), "SLOW is still being built");
        assertFalse(slowInfo.isDone(), "a request on SLOW waits for SLOW's create");
        release.countDown();
        assertTrue(answer(slow).path("did_create").asBoolean());
        assertEquals("SLOW", answer(slowInfo).path("config").path("name").asText(), "answered after the create");
        assertEquals(3, api("A", "$JS.API.INFO", "").path("streams").asInt());
    }

    @Test
    void streamsBeingCreatedCountAgainstTheLimitAndAFailedCreateFreesItsSubjects() throws Exception {
        start(new AccountConfig.JetStreamLimits(-1, -1, 2, -1));
        assertTrue(api("A", "$JS.API.STREAM.CREATE.OTHER", create("OTHER", "\"other.>\"")).path("did_create").asBoolean());
        CompletableFuture<JsonNode> slow = send("A", "$JS.API.STREAM.CREATE.SLOW", create("SLOW", "\"slow.>\""));
        assertTrue(building.await(10, TimeUnit.SECONDS));
        assertEquals(10027, errCode(api("A", "$JS.API.STREAM.CREATE.THIRD", create("THIRD", "\"third\""))));
        release.countDown();
        assertTrue(answer(slow).path("did_create").asBoolean());

        assertTrue(api("A", "$JS.API.STREAM.DELETE.OTHER", "").path("success").asBoolean());
        JsonNode failed = api("A", "$JS.API.STREAM.CREATE.FAILS", create("FAILS", "\"other.x\""));
        assertEquals(10049, errCode(failed), failed.toString());
        assertTrue(api("A", "$JS.API.STREAM.CREATE.AGAIN", create("AGAIN", "\"other.>\"")).path("did_create").asBoolean(),
                "neither the deleted stream nor the failed create keeps the subjects");
    }
}
