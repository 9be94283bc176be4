package io.weft.server.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Raw-protocol differential tests: each case is sent byte for byte to the reference nats-server
 * and to the candidate (weft when {@code -Dweft.target=weft} or {@code -Dweft.diff=on}, otherwise a
 * second nats-server instance, which proves the harness itself is deterministic). The normalised
 * replies (see {@link RawExchange}) and whether the connection was closed must be identical.
 * {@code -Dweft.diff.print=true} prints every transcript.
 *
 * <p>Adding a case is one line in {@link #cases()}: a name, a server config and the lines to send
 * (each gets CRLF appended, so a payload line is just its text).
 */
class DifferentialProtocolTest {

    /** Server configurations the cases run against. */
    enum Config {
        OPEN("max_payload: 1024\nmax_control_line: 256\n"),
        AUTH("""
                authorization {
                  users = [
                    {user: admin, password: "admin-pw"}
                    {user: limited, password: "limited-pw", permissions: {
                      publish: {allow: ["ok.>", "_INBOX.>"]}
                      subscribe: {allow: ["ok.>", "_INBOX.>"]}
                    }}
                  ]
                }
                """),
        TOKEN("authorization { token: \"s3cr3t\" }\n");

        final String text;

        Config(String text) {
            this.text = text;
        }
    }

    record Case(String name, Config config, List<String> lines) {
        byte[] bytes() {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            for (String l : lines) {
                out.writeBytes(l.getBytes(StandardCharsets.UTF_8));
                out.writeBytes(new byte[] {'\r', '\n'});
            }
            return out.toByteArray();
        }

        @Override
        public String toString() {
            return name;
        }
    }

    static Case c(String name, Config config, String... lines) {
        return new Case(name, config, List.of(lines));
    }

    static Case c(String name, String... lines) {
        return c(name, Config.OPEN, lines);
    }

    static final String CONNECT = "CONNECT {\"verbose\":false,\"pedantic\":false}";
    static final String CONNECT_VERBOSE = "CONNECT {\"verbose\":true,\"pedantic\":false}";
    static final String CONNECT_HEADERS = "CONNECT {\"verbose\":false,\"pedantic\":false,\"headers\":true}";
    static final String CONNECT_PEDANTIC = "CONNECT {\"verbose\":false,\"pedantic\":true}";
    static final String CONNECT_ADMIN = "CONNECT {\"verbose\":false,\"user\":\"admin\",\"pass\":\"admin-pw\"}";
    static final String CONNECT_LIMITED = "CONNECT {\"verbose\":false,\"user\":\"limited\",\"pass\":\"limited-pw\"}";
    static final String LONG_SUBJECT = "long." + "x".repeat(300);

    static List<Case> cases() {
        return List.of(
                c("connect verbose on", CONNECT_VERBOSE, "PING"),
                c("connect verbose off", CONNECT, "PING"),
                c("connect empty object", "CONNECT {}", "PING"),
                c("ping before connect", "PING"),
                c("several pings", CONNECT, "PING", "PING", "PING"),
                c("client pong is silent", CONNECT, "PONG", "PING"),
                c("pub then sub gets no old message", CONNECT, "PUB d.a 2", "hi", "SUB d.a 1", "PING"),
                c("sub then pub echoes", CONNECT, "SUB d.a 1", "PUB d.a 5", "hello", "PING"),
                c("pub with reply", CONNECT, "SUB d.a 1", "PUB d.a d.reply 2", "hi", "PING"),
                c("empty payload", CONNECT, "SUB d.a 1", "PUB d.a 0", "", "PING"),
                c("payload containing CRLF", CONNECT, "SUB d.a 1", "PUB d.a 4", "a", "b", "PING"),
                c("payload of exactly max_payload", CONNECT, "SUB d.a 1", "PUB d.a 1024", "y".repeat(1024), "PING"),
                c("verbose acks every op", CONNECT_VERBOSE, "SUB d.a 1", "PUB d.a 2", "hi", "UNSUB 1", "PING"),
                c("two subs same subject", CONNECT, "SUB d.a 1", "SUB d.a 2", "PUB d.a 1", "x", "PING"),
                c("wildcard star", CONNECT, "SUB d.* 1", "PUB d.b 1", "x", "PUB d.b.c 1", "y", "PUB d 1", "z", "PING"),
                c("wildcard full", CONNECT, "SUB d.> 1", "PUB d 1", "x", "PUB d.b 1", "y", "PUB d.b.c 1", "z", "PING"),
                c("hpub to hmsg", CONNECT_HEADERS, "SUB d.h 1", "HPUB d.h 18 20", "NATS/1.0", "a: b", "", "hi", "PING"),
                c("hpub with reply and empty body", CONNECT_HEADERS, "SUB d.h 1", "HPUB d.h r.1 21 21", "NATS/1.0", "X-Y: zz", "", "", "PING"),
                c("hpub without headers in connect", CONNECT, "SUB d.h 1", "HPUB d.h 18 20", "NATS/1.0", "a: b", "", "hi", "PING"),
                c("unsub with max", CONNECT, "SUB d.u 1", "UNSUB 1 2", "PUB d.u 1", "a", "PUB d.u 1", "b", "PUB d.u 1", "c", "PING"),
                c("unsub immediately", CONNECT, "SUB d.u 1", "UNSUB 1", "PUB d.u 1", "a", "PING"),
                c("unsub unknown sid", CONNECT, "UNSUB 99", "PING"),
                c("queue sub and plain sub", CONNECT, "SUB d.q grp 1", "SUB d.q 2", "PUB d.q 1", "x", "PING"),
                c("queue sub single member", CONNECT, "SUB d.q grp 1", "PUB d.q 1", "x", "PUB d.q 1", "y", "PING"),
                c("unknown op", CONNECT, "FOO bar"),
                c("unknown op before connect", "BLAH"),
                c("lowercase ops", "connect {\"verbose\":false}", "sub d.l 1", "pub d.l 2", "hi", "ping"),
                c("mixed case ops", "Connect {\"verbose\":false}", "Sub d.l 1", "pUb d.l 2", "hi", "PiNg"),
                c("lowercase unsub and hpub", "connect {\"verbose\":false,\"headers\":true}", "sub d.l 1", "unsub 1 1",
                        "hpub d.l 12 12", "NATS/1.0", "", "", "ping"),
                c("pub without args", CONNECT, "PUB"),
                c("pub with subject only", CONNECT, "PUB d.a"),
                c("pub bad size", CONNECT, "PUB d.a abc"),
                c("pub negative size", CONNECT, "PUB d.a -1"),
                c("pub too many args", CONNECT, "PUB d.a b c 2", "hi"),
                c("pub payload longer than size", CONNECT, "PUB d.a 2", "hello", "PING"),
                c("sub without args", CONNECT, "SUB"),
                c("sub with subject only", CONNECT, "SUB d.a"),
                c("sub too many args", CONNECT, "SUB d.a q 1 extra"),
                c("unsub without args", CONNECT, "UNSUB"),
                c("unsub bad max", CONNECT, "UNSUB 1 x"),
                c("hpub header size over total", CONNECT_HEADERS, "HPUB d.h 30 20", "NATS/1.0", "", "PING"),
                c("payload over max_payload", CONNECT, "PUB d.a 2000", "z".repeat(2000)),
                c("control line over max_control_line", CONNECT, "SUB " + LONG_SUBJECT + " 1"),
                c("pub before connect, no auth", "SUB d.p 1", "PUB d.p 2", "hi", "PING"),
                c("pub before connect, auth required", Config.AUTH, "PUB d.p 2", "hi"),
                c("sub before connect, auth required", Config.AUTH, "SUB d.p 1"),
                c("pedantic invalid publish subject", CONNECT_PEDANTIC, "PUB d.*.x 2", "hi", "PING"),
                c("pedantic invalid subscribe subject", CONNECT_PEDANTIC, "SUB d..x 1", "PING"),
                c("non-pedantic wildcard publish", CONNECT, "SUB d.> 1", "PUB d.* 2", "hi", "PING"),
                c("non-pedantic invalid subscribe subject", CONNECT, "SUB d..x 1", "PING"),
                c("bad connect json", "CONNECT {bad json", "PING"),
                c("connect not json", "CONNECT hello", "PING"),
                c("connect unknown field", "CONNECT {\"verbose\":false,\"whatever\":1}", "PING"),
                c("auth ok", Config.AUTH, CONNECT_ADMIN, "SUB d.a 1", "PUB d.a 1", "x", "PING"),
                c("auth wrong password", Config.AUTH, "CONNECT {\"verbose\":false,\"user\":\"admin\",\"pass\":\"nope\"}", "PING"),
                c("auth unknown user", Config.AUTH, "CONNECT {\"verbose\":false,\"user\":\"who\",\"pass\":\"admin-pw\"}", "PING"),
                c("auth missing credentials", Config.AUTH, CONNECT, "PING"),
                c("token ok", Config.TOKEN, "CONNECT {\"verbose\":false,\"auth_token\":\"s3cr3t\"}", "PING"),
                c("token wrong", Config.TOKEN, "CONNECT {\"verbose\":false,\"auth_token\":\"nope\"}", "PING"),
                c("publish permission violation", Config.AUTH, CONNECT_LIMITED, "SUB ok.a 1", "PUB nope.a 1", "x", "PUB ok.a 1", "y", "PING"),
                c("subscribe permission violation", Config.AUTH, CONNECT_LIMITED, "SUB nope.a 1", "PUB ok.a 1", "y", "PING"),
                c("permission violation verbose", Config.AUTH,
                        "CONNECT {\"verbose\":true,\"user\":\"limited\",\"pass\":\"limited-pw\"}", "PUB nope.a 1", "x", "PING"),
                c("no responders with headers", CONNECT_HEADERS.replace("}", ",\"no_responders\":true}"),
                        "SUB _INBOX.nr 1", "PUB d.nobody _INBOX.nr 2", "hi", "PING"),
                c("no responders needs headers", "CONNECT {\"verbose\":false,\"no_responders\":true}",
                        "SUB _INBOX.nr 1", "PUB d.nobody _INBOX.nr 2", "hi", "PING"),
                c("no responders not requested", CONNECT_HEADERS, "SUB _INBOX.nr 1", "PUB d.nobody _INBOX.nr 2", "hi", "PING"),
                c("echo false", "CONNECT {\"verbose\":false,\"echo\":false}", "SUB d.e 1", "PUB d.e 2", "hi", "PING"),
                c("echo true", "CONNECT {\"verbose\":false,\"echo\":true}", "SUB d.e 1", "PUB d.e 2", "hi", "PING"),
                c("tabs between args", CONNECT, "SUB\td.t\t1", "PUB\td.t\t2", "hi", "PING"),
                c("extra spaces between args", CONNECT, "SUB  d.t   1", "PUB d.t    2", "hi", "PING"),
                c("ping with trailing space", CONNECT, "PING "),
                c("bare LF line endings", CONNECT + "\nPING\nPING"),
                c("empty line", CONNECT, "", "PING"),
                c("client sends INFO", CONNECT, "INFO {}", "PING"),
                c("connect twice", CONNECT, CONNECT_VERBOSE, "PING"),
                c("sid reused after unsub", CONNECT, "SUB d.r 1", "UNSUB 1", "SUB d.r 1", "PUB d.r 1", "x", "PING"),
                c("same sid subscribed twice", CONNECT, "SUB d.r 1", "SUB d.s 1", "PUB d.r 1", "x", "PUB d.s 1", "y", "PING"));
    }

    static Map<Config, TestServer> reference = new EnumMap<>(Config.class);
    static Map<Config, TestServer> candidate = new EnumMap<>(Config.class);
    static TestServers.Target candidateTarget;
    static boolean print;

    @BeforeAll
    static void startServers() {
        boolean weft = TestServers.target() == TestServers.Target.WEFT
                || "on".equalsIgnoreCase(System.getProperty("weft.diff", "off"));
        candidateTarget = weft ? TestServers.Target.WEFT : TestServers.Target.NATS_NEWEST;
        print = Boolean.getBoolean("weft.diff.print");
        for (Config config : Config.values()) {
            reference.put(config, TestServers.start(TestServers.Target.NATS_NEWEST, config.text));
            candidate.put(config, TestServers.start(candidateTarget, config.text));
        }
        // warm up (a cold JVM may answer its first exchange slower than the silence window)
        byte[] ping = "CONNECT {\"verbose\":false}\r\nPING\r\n".getBytes(StandardCharsets.US_ASCII);
        for (Map<Config, TestServer> side : List.of(reference, candidate)) {
            for (TestServer server : side.values()) {
                for (int i = 0; i < 3; i++) {
                    exchange(server, ping);
                }
            }
        }
    }

    @AfterAll
    static void stopServers() {
        reference.values().forEach(TestServer::close);
        candidate.values().forEach(TestServer::close);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void sameReplies(Case tc) throws Exception {
        byte[] bytes = tc.bytes();
        TestServer ref = reference.get(tc.config());
        TestServer cand = candidate.get(tc.config());
        CompletableFuture<List<String>> left = CompletableFuture.supplyAsync(() -> exchange(ref, bytes));
        CompletableFuture<List<String>> right = CompletableFuture.supplyAsync(() -> exchange(cand, bytes));
        List<String> l = left.get();
        List<String> r = right.get();
        String leftName = "nats-server";
        String rightName = candidateTarget == TestServers.Target.WEFT ? "weft" : "nats-server#2";
        if (print) {
            System.out.println("== " + tc.name() + " [" + tc.config() + "]\n" + RawExchange.diff(leftName, l, rightName, r));
        }
        if (!l.equals(r)) {
            fail("case '" + tc.name() + "' differs (config " + tc.config() + "); sent:\n   "
                    + RawExchange.escape(bytes, 0, bytes.length) + "\n" + RawExchange.diff(leftName, l, rightName, r));
        }
        // every exchange must at least produce the server's INFO
        assertTrue(l.getFirst().startsWith("INFO "), l.toString());
    }

    private static List<String> exchange(TestServer server, byte[] bytes) {
        try {
            return RawExchange.run(server.port(), bytes);
        } catch (Exception e) {
            throw new IllegalStateException("exchange with " + server + " failed: " + e + "\n" + server.stderr(), e);
        }
    }

    @Test
    void caseNamesAreUniqueAndThereAreEnough() {
        Set<String> names = new HashSet<>();
        for (Case tc : cases()) {
            assertTrue(names.add(tc.name()), "duplicate case name " + tc.name());
        }
        assertTrue(names.size() >= 30, "at least 30 cases, have " + names.size());
    }

    @Test
    void normalisationKeepsComparedInfoFieldsAndDropsVolatileOnes() {
        String a = RawExchange.normaliseInfo("{\"server_id\":\"A\",\"proto\":1,\"headers\":true,\"max_payload\":5,\"port\":1}");
        String b = RawExchange.normaliseInfo("{\"server_id\":\"B\",\"proto\":1,\"headers\":true,\"max_payload\":5,\"port\":2}");
        String c = RawExchange.normaliseInfo("{\"server_id\":\"B\",\"proto\":1,\"headers\":true,\"max_payload\":6,\"port\":2}");
        String d = RawExchange.normaliseInfo("{\"proto\":1,\"headers\":true,\"max_payload\":5,\"port\":2}");
        assertEquals(a, b);
        assertTrue(!a.equals(c), "max_payload is compared");
        assertTrue(!a.equals(d), "the key set is compared");
        List<String> ops = RawExchange.parse("MSG a 1 2\r\nhi\r\n+OK\r\nPONG\r\n".getBytes(StandardCharsets.US_ASCII));
        assertEquals(List.of("MSG a 1 2 | hi", "+OK", "PONG"), ops);
    }
}
