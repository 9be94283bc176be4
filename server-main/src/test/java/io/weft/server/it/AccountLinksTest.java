package io.weft.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nats.client.Connection;
import io.nats.client.Message;
import io.nats.client.Subscription;
import io.nats.client.impl.Headers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Account {@code exports}/{@code imports} with jnats, each step run against weft and nats-server
 * 2.15.1 with the same configuration: stream imports (with {@code prefix} and {@code to}),
 * service imports (request/reply across accounts, the reply subject the responder sees, the
 * {@code Nats-Request-Info} header, singleton and stream response types, the threshold, no
 * responders, the responder's {@code allow_responses}), restricted exports, and the errors both
 * servers give for imports that are not exported, cycles and bad transforms.
 */
@Timeout(120)
class AccountLinksTest {
    static final String CONF = """
            accounts {
              A: {
                users: [
                  {user: a, password: a}
                  {user: r, password: r, permissions: {publish: {deny: ">"}, allow_responses: true}}
                  {user: n, password: n, permissions: {publish: {deny: ">"}}}
                ]
                exports: [
                  {service: "req.>"}
                  {service: "many.>", response_type: stream, response_threshold: "500ms"}
                  {stream: "ev.>"}
                  {stream: "only.c.>", accounts: [C]}
                  {service: "perm.>"}
                ]
              }
              B: {
                users: [ {user: b, password: b} ]
                imports: [
                  {service: {account: A, subject: "req.>"}, to: "breq.>"}
                  {service: {account: A, subject: "many.>"}}
                  {service: {account: A, subject: "perm.>"}}
                  {stream: {account: A, subject: "ev.>"}, prefix: "fromA"}
                  {stream: {account: A, subject: "ev.*"}, to: "renamed.$1"}
                ]
              }
              C: {
                users: [ {user: c, password: c} ]
                imports: [ {stream: {account: A, subject: "only.c.>"}} ]
              }
            }
            """;

    private static Connection as(TestServer s, String user) throws Exception {
        return Clients.connect(Clients.options(s).userInfo(user, user));
    }

    @ParameterizedTest
    @EnumSource(value = TestServers.Target.class, names = {"WEFT", "NATS_NEWEST"})
    void serviceImportCarriesRequestAndReplyAcrossAccounts(TestServers.Target target) throws Exception {
        try (TestServer s = TestServers.start(target, CONF);
             Connection a = as(s, "a");
             Connection b = as(s, "b")) {
            CompletableFuture<Message> seen = new CompletableFuture<>();
            a.createDispatcher(m -> {
                seen.complete(m);
                a.publish(m.getReplyTo(), ("re:" + new String(m.getData(), StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8));
            }).subscribe("req.>");
            a.flush(Clients.WAIT);
            Message reply = b.request("breq.x.y", "hello".getBytes(StandardCharsets.UTF_8), Clients.WAIT);
            assertNotNull(reply, target + ": no reply through the service import");
            assertEquals("re:hello", new String(reply.getData(), StandardCharsets.UTF_8));
            Message req = seen.get(5, TimeUnit.SECONDS);
            assertEquals("req.x.y", req.getSubject(), "the responder sees the exported subject");
            assertTrue(req.getReplyTo().startsWith("_R_."), target + ": reply " + req.getReplyTo());
            Headers h = req.getHeaders();
            assertNotNull(h, target + ": no request info header");
            assertTrue(h.getFirst("Nats-Request-Info").startsWith("{\"acc\":\"B\""), h.getFirst("Nats-Request-Info"));
        }
    }

    /** A message without a reply through a service import carries the requesting account too, as in 2.15.1. */
    @ParameterizedTest
    @EnumSource(value = TestServers.Target.class, names = {"WEFT", "NATS_NEWEST"})
    void aServiceImportMessageWithoutReplyCarriesRequestInfo(TestServers.Target target) throws Exception {
        try (TestServer s = TestServers.start(target, CONF);
             Connection a = as(s, "a");
             Connection b = as(s, "b")) {
            Subscription sub = a.subscribe("req.>");
            a.flush(Clients.WAIT);
            b.publish("breq.note", "fire and forget".getBytes(StandardCharsets.UTF_8));
            b.flush(Clients.WAIT);
            Message m = sub.nextMessage(Duration.ofSeconds(5));
            assertNotNull(m, target + ": nothing came through the service import");
            assertEquals("req.note", m.getSubject());
            assertNull(m.getReplyTo(), target + ": no reply subject was sent");
            assertNotNull(m.getHeaders(), target + ": no request info header");
            assertTrue(m.getHeaders().getFirst("Nats-Request-Info").startsWith("{\"acc\":\"B\""),
                    target + ": " + m.getHeaders().getFirst("Nats-Request-Info"));
            assertEquals("fire and forget", new String(m.getData(), StandardCharsets.UTF_8));
        }
    }

    @ParameterizedTest
    @EnumSource(value = TestServers.Target.class, names = {"WEFT", "NATS_NEWEST"})
    void singletonTakesOneResponseStreamTakesManyUntilTheThreshold(TestServers.Target target) throws Exception {
        try (TestServer s = TestServers.start(target, CONF);
             Connection a = as(s, "a");
             Connection b = as(s, "b")) {
            io.nats.client.Dispatcher d = a.createDispatcher(m -> {
                for (int i = 0; i < 3; i++) {
                    a.publish(m.getReplyTo(), ("r" + i).getBytes(StandardCharsets.UTF_8));
                }
            });
            d.subscribe("req.>");
            d.subscribe("many.>");
            a.flush(Clients.WAIT);
            assertEquals(List.of("r0"), responses(b, "breq.one", 3), target + ": singleton");
            assertEquals(List.of("r0", "r1", "r2"), responses(b, "many.x", 3), target + ": stream");
        }
    }

    @ParameterizedTest
    @EnumSource(value = TestServers.Target.class, names = {"WEFT", "NATS_NEWEST"})
    void aResponseAfterTheThresholdIsDropped(TestServers.Target target) throws Exception {
        try (TestServer s = TestServers.start(target, CONF);
             Connection a = as(s, "a");
             Connection b = as(s, "b")) {
            List<String> replies = new java.util.concurrent.CopyOnWriteArrayList<>();
            a.createDispatcher(m -> replies.add(m.getReplyTo())).subscribe("many.>");
            a.flush(Clients.WAIT);
            Subscription inbox = b.subscribe("_INBOX.late");
            b.flush(Clients.WAIT);
            b.publish("many.slow", "_INBOX.late", new byte[0]);
            assertTrue(Clients.await(() -> !replies.isEmpty()));
            a.publish(replies.get(0), "early".getBytes(StandardCharsets.UTF_8));
            Message early = inbox.nextMessage(Clients.WAIT);
            assertNotNull(early, target + ": the response within the threshold");
            Thread.sleep(1500); // three thresholds of 500ms without a response
            a.publish(replies.get(0), "late".getBytes(StandardCharsets.UTF_8));
            a.flush(Clients.WAIT);
            assertNull(inbox.nextMessage(Duration.ofMillis(700)), target + ": a response after the threshold arrived");
        }
    }

    private static List<String> responses(Connection b, String subject, int max) throws Exception {
        String inbox = b.createInbox();
        Subscription sub = b.subscribe(inbox);
        b.flush(Clients.WAIT);
        b.publish(subject, inbox, new byte[0]);
        List<String> got = new ArrayList<>();
        Message m = sub.nextMessage(Clients.WAIT);
        while (m != null && got.size() < max) {
            got.add(new String(m.getData(), StandardCharsets.UTF_8));
            m = sub.nextMessage(Duration.ofMillis(500));
        }
        sub.unsubscribe();
        return got;
    }

    @ParameterizedTest
    @EnumSource(value = TestServers.Target.class, names = {"WEFT", "NATS_NEWEST"})
    void noRespondersAndTheRespondersReplyPermission(TestServers.Target target) throws Exception {
        try (TestServer s = TestServers.start(target, CONF);
             Connection b = as(s, "b")) {
            // jnats cancels the request's future when the server answers 503 (no responders)
            org.junit.jupiter.api.Assertions.assertThrows(java.util.concurrent.CancellationException.class,
                    () -> b.request("breq.nobody", new byte[0]).get(5, TimeUnit.SECONDS), target.toString());
            // allow_responses lets a responder that may publish nothing answer the request it got
            try (Connection r = as(s, "r")) {
                r.createDispatcher(m -> r.publish(m.getReplyTo(), "ok".getBytes(StandardCharsets.UTF_8))).subscribe("perm.>");
                r.flush(Clients.WAIT);
                Message m = b.request("perm.x", new byte[0], Clients.WAIT);
                assertNotNull(m, target + ": allow_responses responder could not answer");
                assertEquals("ok", new String(m.getData(), StandardCharsets.UTF_8));
            }
            // without it the answer is a publish violation and never arrives
            try (Connection n = as(s, "n")) {
                n.createDispatcher(m -> n.publish(m.getReplyTo(), "no".getBytes(StandardCharsets.UTF_8))).subscribe("perm.>");
                n.flush(Clients.WAIT);
                assertNull(b.request("perm.y", new byte[0], Duration.ofSeconds(1)), target + ": a denied responder answered");
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = TestServers.Target.class, names = {"WEFT", "NATS_NEWEST"})
    void streamImportsWithPrefixToAndRestrictedExports(TestServers.Target target) throws Exception {
        try (TestServer s = TestServers.start(target, CONF);
             Connection a = as(s, "a");
             Connection b = as(s, "b");
             Connection c = as(s, "c")) {
            Subscription all = b.subscribe(">");
            Subscription cAll = c.subscribe(">");
            b.flush(Clients.WAIT);
            c.flush(Clients.WAIT);
            a.publish("ev.one", "1".getBytes(StandardCharsets.UTF_8));
            a.publish("only.c.x", "2".getBytes(StandardCharsets.UTF_8));
            a.publish("other", "3".getBytes(StandardCharsets.UTF_8));
            a.flush(Clients.WAIT);
            List<String> bSaw = subjects(all);
            java.util.Collections.sort(bSaw);
            assertEquals(List.of("fromA.ev.one", "renamed.one"), bSaw, target.toString());
            assertEquals(List.of("only.c.x"), subjects(cAll), target.toString());
            // B publishing on the imported subject stays in B
            Subscription aAll = a.subscribe(">");
            a.flush(Clients.WAIT);
            b.publish("ev.back", new byte[0]);
            b.flush(Clients.WAIT);
            assertNull(aAll.nextMessage(Duration.ofMillis(300)), target.toString());
        }
    }

    private static List<String> subjects(Subscription sub) throws InterruptedException {
        List<String> out = new ArrayList<>();
        Message m = sub.nextMessage(Duration.ofSeconds(2));
        while (m != null) {
            out.add(m.getSubject());
            m = sub.nextMessage(Duration.ofMillis(300));
        }
        return out;
    }

    /** A reload that adds an import makes it work for the clients already connected. */
    @Test
    void reloadInstallsNewImports() throws Exception {
        String before = """
                accounts {
                  A: { users: [ {user: a, password: a} ], exports: [ {stream: "ev.>"} ] }
                  B: { users: [ {user: b, password: b} ] }
                }
                """;
        try (TestServer s = TestServers.start(TestServers.Target.WEFT, before);
             Connection a = as(s, "a");
             Connection b = as(s, "b")) {
            Subscription sub = b.subscribe("ev.>");
            b.flush(Clients.WAIT);
            a.publish("ev.1", new byte[0]);
            a.flush(Clients.WAIT);
            assertNull(sub.nextMessage(Duration.ofMillis(300)));
            s.rewriteConfig(before.replace("B: { users: [ {user: b, password: b} ] }",
                    "B: { users: [ {user: b, password: b} ], imports: [ {stream: {account: A, subject: \"ev.>\"}} ] }"));
            s.signal("HUP");
            assertTrue(s.awaitOutput("Reloaded server configuration", Clients.WAIT), s.stderr());
            a.publish("ev.2", new byte[0]);
            a.flush(Clients.WAIT);
            Message m = sub.nextMessage(Clients.WAIT);
            assertNotNull(m, "the reloaded import did not deliver");
            assertEquals("ev.2", m.getSubject());
        }
    }

    /** Configurations both servers refuse, with the words after {@code file:line:col:} compared. */
    static final List<String> BAD = List.of(
            "accounts { A: { exports: [{stream: \"foo.>\"}] }, B: { imports: [{stream: {account: A, subject: \"bar.>\"}}] } }",
            "accounts { A: { exports: [{service: \"foo.>\"}] }, B: { imports: [{service: {account: A, subject: \"bar.>\"}}] } }",
            "accounts { A: { exports: [{service: \"foo.>\", accounts: [C]}] }, B: { imports: [{service: {account: A, subject: \"foo.x\"}}] }, C: {} }",
            "accounts { A: { exports: [{service: \"foo.>\"}] }, B: { imports: [{service: {account: Z, subject: \"foo.x\"}}] } }",
            "accounts { A: { exports: [{service: \"a.>\"}], imports: [{service: {account: B, subject: \"b.>\"}, to: \"a.>\"}] }, B: { exports: [{service: \"b.>\"}], imports: [{service: {account: A, subject: \"a.>\"}, to: \"b.>\"}] } }",
            "accounts { A: { exports: [{stream: \"a.>\"}], imports: [{stream: {account: B, subject: \"b.>\"}, to: \"a.>\"}] }, B: { exports: [{stream: \"b.>\"}], imports: [{stream: {account: A, subject: \"a.>\"}, to: \"b.>\"}] } }",
            "accounts { A: { exports: [{service: \"foo\", response_type: bogus}] } }",
            "accounts { A: { exports: [{stream: \"foo\", response_type: stream}] } }",
            "accounts { A: { exports: [{stream: \"a.*\", service: \"b\"}] }, B: { } }",
            "accounts { A: { exports: [{service: \"a\", response_threshold: \"x\"}] }, B: { } }",
            "accounts { A: { exports: [{stream: \"a.*\", accounts: [Q]}] }, B: { } }",
            "accounts { A: { imports: [{stream: {account: A}}] }, B: { } }",
            "accounts { A: { exports: [{stream: \"a.>\"}] }, B: { imports: [{stream: {account: A, subject: \"a.*\"}, to: \"x.{{partition(3,1)}}\"}] } }",
            "accounts { A: { exports: [{stream: \"a.*\"}] }, B: { imports: [{stream: {account: A, subject: \"a.*\"}, to: \"x\"}] } }",
            "accounts { A: { exports: [{service: \"a.*\"}] }, B: { imports: [{service: {account: A, subject: \"a.*\"}, to: \"x\"}] } }");

    @Test
    void configErrorsAreNatsServers() throws Exception {
        List<String> differ = new ArrayList<>();
        for (String conf : BAD) {
            String ours = problems(weftCheck(conf));
            String theirs = problems(natsCheck(conf));
            if (theirs.isEmpty() || !ours.equals(theirs)) {
                differ.add(conf + "\n  weft: " + ours + "\n  nats: " + theirs);
            }
        }
        assertEquals(List.of(), differ, String.join("\n", differ));
    }

    /** The problems of a -t output, each without its "file:line:col: " and the program's name. */
    static String problems(String out) {
        List<String> lines = new ArrayList<>();
        for (String line : out.split("\n")) {
            String l = line.replaceFirst("^(weft|nats-server): ", "").trim();
            if (l.isEmpty() || !l.matches("^[^ ]+:\\d+:\\d+: .*")) {
                continue;
            }
            // nats-server walks accounts and keys in Go's map order, so which of two imports of a cycle
            // (or which of "stream" and "service" in one export) it names varies from run to run
            lines.add(l.replaceFirst("^[^ ]+:\\d+:\\d+: ", "")
                    .replaceFirst("import \"[^\"]*\": import forms a cycle", "import: import forms a cycle")
                    .replaceFirst("Detected (stream|service) \"[^\"]*\" but already saw a (stream|service)", "Detected both"));
        }
        return String.join(" | ", lines);
    }

    static String weftCheck(String conf) throws Exception {
        Path f = Files.createTempFile("weft-links", ".conf");
        Files.writeString(f, conf);
        try {
            return TestServers.runWeft(Duration.ofSeconds(60), "serve", "-c", f.toString(), "-t").output();
        } finally {
            Files.deleteIfExists(f);
        }
    }

    static String natsCheck(String conf) throws Exception {
        Path f = Files.createTempFile("nats-links", ".conf");
        Files.writeString(f, conf);
        try {
            Process p = new ProcessBuilder(TestServers.newestNatsServer().toString(), "-c", f.toString(), "-t")
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor(20, TimeUnit.SECONDS);
            return out;
        } finally {
            Files.deleteIfExists(f);
        }
    }
}
