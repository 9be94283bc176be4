package io.weft.server.it;

import static io.weft.server.it.TestJwts.claims;
import static io.weft.server.it.TestJwts.creds;
import static io.weft.server.it.TestJwts.defaultAccountLimits;
import static io.weft.server.it.TestJwts.defaultUserLimits;
import static io.weft.server.it.TestJwts.encode;
import static io.weft.server.it.TestJwts.pub;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.nats.client.Connection;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.NKey;
import io.nats.client.Subscription;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Message tracing in operator mode (nats-io/jwt 2.7 claims): an account JWT's {@code trace}
 * ({@code dest}, {@code sampling}) traces a sampled W3C {@code traceparent}, a service export's
 * {@code allow_trace} lets a trace follow a request into the exporting account, a stream import's
 * {@code allow_trace} lets it follow a message into the importing one. The same JWTs and publishes
 * against nats-server 2.15.1 and weft must give the same trace events; and a JWT that puts
 * {@code allow_trace} where nats-io/jwt refuses it keeps weft from starting.
 */
@Timeout(120)
class JwtMsgTraceTest {
    static final ObjectMapper JSON = new ObjectMapper();

    record Setup(String conf, Path appCreds, Path svcCreds) {
    }

    static Setup setup(boolean badImport) throws Exception {
        SecureRandom random = new SecureRandom();
        Path dir = Files.createTempDirectory("weft-jwt-trace-");
        NKey operator = NKey.createOperator(random);
        NKey sys = NKey.createAccount(random);
        NKey app = NKey.createAccount(random);
        NKey svc = NKey.createAccount(random);
        ObjectNode op = claims(operator, pub(operator), "OP", "operator");
        ((ObjectNode) op.get("nats")).put("system_account", pub(sys));
        Files.writeString(dir.resolve("op.jwt"), encode(op, operator));
        ObjectNode sysClaims = claims(operator, pub(sys), "SYS", "account");
        defaultAccountLimits(sysClaims);

        ObjectNode s = claims(operator, pub(svc), "SVC", "account");
        defaultAccountLimits(s);
        var sx = ((ObjectNode) s.get("nats")).putArray("exports");
        sx.addObject().put("name", "svc").put("subject", "svc.>").put("type", "service").put("allow_trace", true);
        sx.addObject().put("name", "feed").put("subject", "feed.>").put("type", "stream");

        ObjectNode a = claims(operator, pub(app), "APP", "account");
        defaultAccountLimits(a);
        ObjectNode an = (ObjectNode) a.get("nats");
        an.putObject("trace").put("dest", "app.trace").put("sampling", 100);
        var ai = an.putArray("imports");
        ai.addObject().put("name", "svc").put("subject", "svc.>").put("account", pub(svc)).put("type", "service")
                .put("allow_trace", badImport);
        ai.addObject().put("name", "feed").put("subject", "feed.>").put("account", pub(svc)).put("type", "stream")
                .put("allow_trace", true);

        NKey alice = NKey.createUser(random);
        ObjectNode u = claims(app, pub(alice), "alice", "user");
        defaultUserLimits(u);
        NKey sam = NKey.createUser(random);
        ObjectNode v = claims(svc, pub(sam), "sam", "user");
        defaultUserLimits(v);
        String conf = "operator: \"" + dir.resolve("op.jwt") + "\"\nresolver: MEMORY\nresolver_preload {\n"
                + "  " + pub(sys) + ": \"" + encode(sysClaims, operator) + "\"\n"
                + "  " + pub(svc) + ": \"" + encode(s, operator) + "\"\n"
                + "  " + pub(app) + ": \"" + encode(a, operator) + "\"\n}\n";
        return new Setup(conf, creds(dir, "alice", encode(u, app), alice), creds(dir, "sam", encode(v, svc), sam));
    }

    static Connection as(TestServer s, Path creds) throws Exception {
        return Nats.connect(Clients.options(s).authHandler(Nats.credentials(creds.toString()))
                .connectionTimeout(Duration.ofSeconds(3)).build());
    }

    static List<String> collect(Subscription sub) throws Exception {
        List<String> out = new ArrayList<>();
        Message m;
        while ((m = sub.nextMessage(Duration.ofMillis(600))) != null) {
            String data = new String(m.getData(), StandardCharsets.UTF_8);
            out.add(data.startsWith("{\"server\"")
                    ? "TRACE on " + m.getSubject() + " " + MsgTraceDifferentialTest.normalize(JSON.readTree(data))
                    : "got " + m.getSubject() + " " + data);
        }
        out.sort(null);
        return out;
    }

    static List<String> run(TestServers.Target target, Setup setup) throws Exception {
        List<String> out = new ArrayList<>();
        try (TestServer s = TestServers.start(target, setup.conf());
             Connection alice = as(s, setup.appCreds());
             Connection sam = as(s, setup.svcCreds())) {
            Subscription appTraces = alice.subscribe("app.>");
            Subscription feed = alice.subscribe("feed.>");
            Subscription svcSide = sam.subscribe("svc.>");
            Subscription svcTraces = sam.subscribe("tr.>");
            alice.flush(Duration.ofSeconds(3));
            sam.flush(Duration.ofSeconds(3));
            // a sampled traceparent in APP: traced to the JWT's trace.dest
            alice.publish(NatsMessage.builder().subject("app.x").headers(new Headers()
                    .add("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"))
                    .data("p".getBytes(StandardCharsets.UTF_8)).build());
            alice.flush(Duration.ofSeconds(3));
            out.add("traceparent: " + collect(appTraces));
            // a request into SVC through the service import: the export allows the trace to follow
            alice.publish(NatsMessage.builder().subject("svc.echo").headers(new Headers().add("Nats-Trace-Dest", "app.tr"))
                    .data("q".getBytes(StandardCharsets.UTF_8)).build());
            alice.flush(Duration.ofSeconds(3));
            out.add("service import: " + collect(appTraces) + " svc got " + collect(svcSide));
            // a stream from SVC into APP: the import allows the trace to follow
            sam.publish(NatsMessage.builder().subject("feed.1").headers(new Headers().add("Nats-Trace-Dest", "tr.feed"))
                    .data("f".getBytes(StandardCharsets.UTF_8)).build());
            sam.flush(Duration.ofSeconds(3));
            out.add("stream import: " + collect(svcTraces) + " app got " + collect(feed));
        }
        return out;
    }

    @Test
    void jwtTraceClaimsAsNatsServer() throws Exception {
        Setup setup = setup(false);
        List<String> reference = run(TestServers.Target.NATS_NEWEST, setup);
        List<String> weft = run(TestServers.Target.WEFT, setup);
        assertTrue(reference.get(0).contains("TRACE on app.trace"), "the reference traced the traceparent: " + reference);
        assertTrue(reference.get(1).contains("\"acc\":\"" ), String.valueOf(reference));
        assertEquals(String.join("\n", reference), String.join("\n", weft));
    }

    /** A preloaded account JWT that nats-io/jwt's validation fails keeps weft from starting, with the reason. */
    @Test
    void allowTraceOnAServiceImportIsRefused() throws Exception {
        Setup setup = setup(true);
        IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> TestServers.start(TestServers.Target.WEFT, setup.conf()).close());
        assertTrue(e.getMessage().contains("import \"svc.>\": AllowTrace only valid for stream import"), e.getMessage());
    }
}
