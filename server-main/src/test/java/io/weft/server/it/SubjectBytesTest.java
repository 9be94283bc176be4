package io.weft.server.it;

import static io.weft.server.it.ByteClient.b;
import static io.weft.server.it.ByteClient.cat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.weft.server.it.ByteClient.Frame;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Issue 18, item 3: subjects are bytes. weft once decoded them as UTF-8 with replacement
 * characters, so {@code SUB a.\xff} received what was published to {@code a.\xfe}. Each scenario
 * runs against weft and against nats-server 2.15.1 over raw sockets and asserts the exact bytes
 * both deliver: core subscriptions (plain, wildcard, queue groups, reply subjects), permissions, and
 * JetStream (stream subjects, direct get by subject, consumer filters, KV keys) before and after a
 * restart from the file store. Where nats-server is lossy (it reads JSON with U+FFFD for invalid
 * bytes) the stronger weft behaviour is asserted on weft alone.
 */
class SubjectBytesTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final HexFormat HEX = HexFormat.of();
    private static final ObjectMapper JSON = new ObjectMapper();

    private static final byte[] A_FE = {'a', '.', (byte) 0xFE};
    private static final byte[] A_FF = {'a', '.', (byte) 0xFF};
    private static final byte[] A_FFFD = {'a', '.', (byte) 0xEF, (byte) 0xBF, (byte) 0xBD};
    private static final byte[] A_E = {'a', '.', (byte) 0xC3, (byte) 0xA9};
    private static final byte[] REPLY = {'r', '.', (byte) 0xFD};

    // ------------------------------------------------------------------ servers

    /** nats-server 2.15.1 with the flags weft gets too. */
    private static TestServer newestNats(String conf, String... flags) throws IOException {
        Path c = Files.createTempFile("weft-it-subject-bytes-", ".conf");
        Files.writeString(c, conf, StandardCharsets.UTF_8);
        int[] ports = TestServers.freePorts(2);
        List<String> cmd = new ArrayList<>(List.of(TestServers.newestNatsServer().toString(), "-c", c.toString(),
                "-p", Integer.toString(ports[0]), "-m", Integer.toString(ports[1])));
        cmd.addAll(List.of(flags));
        TestServer s = new TestServer(TestServers.Target.NATS_SERVER, c, ports[0], ports[1], cmd);
        try {
            s.start();
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
        return s;
    }

    private interface Scenario {
        void run(TestServer s) throws Exception;
    }

    /** Runs the scenario on weft and on nats-server 2.15.1 started with the same config and flags. */
    private static void onBoth(String conf, List<String> flags, Scenario scenario) throws Exception {
        try (TestServer weft = TestServers.start(TestServers.Target.WEFT, conf, flags.toArray(String[]::new))) {
            scenario.run(weft);
        }
        try (TestServer nats = newestNats(conf, flags.toArray(String[]::new))) {
            scenario.run(nats);
        }
    }

    private static boolean isWeft(TestServer s) {
        return s.target() == TestServers.Target.WEFT;
    }

    /** {@code sid subject-hex reply-hex payload}, the queue members' sids given as {@code q}. */
    private static List<String> describe(List<Frame> msgs, List<String> queueSids) {
        List<String> out = new ArrayList<>();
        for (Frame f : msgs) {
            if (f.op().endsWith("MSG") && !f.sid().equals("99")) {
                String sid = queueSids.contains(f.sid()) ? "q" : f.sid();
                out.add(sid + " " + HEX.formatHex(f.subject()) + " " + (f.reply() == null ? "-" : HEX.formatHex(f.reply()))
                        + " " + f.payloadText());
            }
        }
        out.sort(null);
        return out;
    }

    private static String line(String sid, byte[] subject, byte[] reply, String payload) {
        return sid + " " + HEX.formatHex(subject) + " " + (reply == null ? "-" : HEX.formatHex(reply)) + " " + payload;
    }

    // ------------------------------------------------------------------ core

    @Test
    void onlyTheExactBytesAreDeliveredWithTheExactSubject() throws Exception {
        onBoth("", List.of(), s -> {
            try (ByteClient sub = ByteClient.connect(s.port()); ByteClient pub = ByteClient.connect(s.port())) {
                sub.sub(A_FF, null, "1");
                sub.sub(b("a.*"), null, "2");
                sub.sub(A_FF, b("q"), "3"); // one queue group of two
                sub.sub(A_FF, b("q"), "4");
                sub.sub(A_FE, null, "5");
                sub.sub(A_FFFD, null, "6");
                sub.sub(A_E, null, "7");
                sub.sub(A_FF, new byte[] {'q', (byte) 0xFE}, "8"); // two queue groups whose names differ in a byte
                sub.sub(A_FF, new byte[] {'q', (byte) 0xFF}, "9");
                sub.sub(b("a.>"), null, "10");
                sub.ping();
                pub.pub(A_FE, null, b("fe"));
                pub.pub(A_FF, REPLY, b("ff"));
                pub.pub(A_FFFD, null, b("fffd"));
                pub.pub(A_E, null, b("e"));
                pub.ping();
                sub.ping();
                List<String> expected = new ArrayList<>(List.of(
                        line("5", A_FE, null, "fe"), line("2", A_FE, null, "fe"), line("10", A_FE, null, "fe"),
                        line("1", A_FF, REPLY, "ff"), line("2", A_FF, REPLY, "ff"), line("q", A_FF, REPLY, "ff"),
                        line("8", A_FF, REPLY, "ff"), line("9", A_FF, REPLY, "ff"), line("10", A_FF, REPLY, "ff"),
                        line("6", A_FFFD, null, "fffd"), line("2", A_FFFD, null, "fffd"), line("10", A_FFFD, null, "fffd"),
                        line("7", A_E, null, "e"), line("2", A_E, null, "e"), line("10", A_E, null, "e")));
                expected.sort(null);
                assertEquals(expected, describe(sub.frames(), List.of("3", "4")), s.target().toString());
                if (isWeft(s)) {
                    // monitoring shows the subscription; an invalid byte is the JSON escape \udcff
                    String connz = http(s, "/connz?subs=detail");
                    assertTrue(connz.contains("\"subject\": \"a.\\udcff\""), connz);
                }
            }
        });
    }

    @Test
    void permissionsMatchTheBytesNotAReplacementCharacter() throws Exception {
        // The config's "\ufffd" is the UTF-8 of U+FFFD; an invalid byte must not pass for it.
        String conf = "authorization {\n users = [\n"
                + "  {user: u, password: p, permissions: {publish: {allow: [\"a.\ufffd\"]}, subscribe: {allow: [\"b.\ufffd\"]}}}\n"
                + "  {user: admin, password: p}\n ]\n}\n";
        onBoth(conf, List.of(), s -> {
            String user = "{\"verbose\":false,\"pedantic\":false,\"headers\":true,\"protocol\":1,\"user\":\"u\",\"pass\":\"p\"}";
            String admin = "{\"verbose\":false,\"pedantic\":false,\"headers\":true,\"protocol\":1,\"user\":\"admin\",\"pass\":\"p\"}";
            try (ByteClient u = ByteClient.connect(s.port(), user); ByteClient a = ByteClient.connect(s.port(), admin)) {
                byte[] bFF = {'b', '.', (byte) 0xFF};
                byte[] bFFFD = {'b', '.', (byte) 0xEF, (byte) 0xBF, (byte) 0xBD};
                a.sub(b(">"), null, "1");
                a.ping();
                u.sub(bFF, null, "1");
                u.sub(bFFFD, null, "2");
                u.pub(A_FF, null, b("denied"));
                u.pub(A_FFFD, null, b("allowed"));
                u.ping();
                a.pub(bFF, null, b("b-ff"));
                a.pub(bFFFD, null, b("b-fffd"));
                a.ping();
                u.ping();
                List<String> toAdmin = new ArrayList<>(List.of(line("1", A_FFFD, null, "allowed"), line("1", bFF, null, "b-ff"),
                        line("1", bFFFD, null, "b-fffd")));
                toAdmin.sort(null);
                assertEquals(toAdmin, describe(a.frames(), List.of()), s.target().toString());
                assertEquals(List.of(line("2", bFFFD, null, "b-fffd")), describe(u.frames(), List.of()), s.target().toString());
                List<String> errs = u.frames().stream().filter(f -> f.op().equals("-ERR")).map(Frame::line).toList();
                // the -ERR quotes the subject as Go's %q does: an invalid byte as \xff
                assertEquals(List.of("-ERR 'Permissions Violation for Subscription to \"b.\\xff\"'",
                        "-ERR 'Permissions Violation for Publish to \"a.\\xff\"'"), errs, s.target().toString());
            }
        });
    }

    // ------------------------------------------------------------------ JetStream

    private static final byte[] INV_FE = {'i', 'n', 'v', '.', (byte) 0xFE};
    private static final byte[] INV_FF = {'i', 'n', 'v', '.', (byte) 0xFF};
    private static final byte[] INV_FFFD = {'i', 'n', 'v', '.', (byte) 0xEF, (byte) 0xBF, (byte) 0xBD};
    private static final byte[] U_E = {'u', '.', (byte) 0xC3, (byte) 0xA9};
    private static final byte[] KEY_FE = {'$', 'K', 'V', '.', 'b', '.', 'k', (byte) 0xFE};
    private static final byte[] KEY_FF = {'$', 'K', 'V', '.', 'b', '.', 'k', (byte) 0xFF};

    @Test
    void jetStreamStoresAndServesSubjectsByteForByteAcrossARestart() throws Exception {
        Path dir = Files.createTempDirectory("weft-it-subject-bytes-js-");
        try {
            onBoth("", List.of("-js", "-sd", dir.toString()), s -> {
                try (ByteClient c = ByteClient.connect(s.port())) {
                    api(c, "$JS.API.STREAM.CREATE.S", "{\"name\":\"S\",\"subjects\":[\"inv.>\",\"u.>\"],"
                            + "\"storage\":\"file\",\"allow_direct\":true}");
                    api(c, "$JS.API.STREAM.CREATE.KV_b", "{\"name\":\"KV_b\",\"subjects\":[\"$KV.b.>\"],"
                            + "\"storage\":\"file\",\"allow_direct\":true,\"max_msgs_per_subject\":1}");
                    assertAck(c, INV_FE, "fe", 1);
                    assertAck(c, INV_FF, "ff", 2);
                    assertAck(c, INV_FFFD, "fffd", 3);
                    assertAck(c, U_E, "e", 4);
                    assertAck(c, KEY_FE, "1", 1);
                    assertAck(c, KEY_FF, "2", 2);
                    if (isWeft(s)) {
                        weftReadsSubjectsInJson(c, false);
                    }
                    readBack(s, c, "before");
                }
                // a clean stop (nats-server flushes its file store on TERM), then the same command again
                s.signal("TERM");
                s.awaitExit(Duration.ofSeconds(30));
                s.start();
                try (ByteClient c = ByteClient.connect(s.port())) {
                    readBack(s, c, "after restart");
                    if (isWeft(s)) {
                        weftReadsSubjectsInJson(c, true);
                    }
                }
                JsServer.deleteTree(dir);
                Files.createDirectories(dir);
            });
        } finally {
            JsServer.deleteTree(dir);
        }
    }

    /** What both servers serve: direct get by subject, a wildcard-filtered consumer, KV keys. */
    private static void readBack(TestServer s, ByteClient c, String when) throws IOException {
        String where = s.target() + " " + when;
        assertDirect(c, "S", INV_FF, "ff", where);
        assertDirect(c, "S", INV_FE, "fe", where);
        assertDirect(c, "S", INV_FFFD, "fffd", where);
        assertDirect(c, "S", U_E, "e", where);
        assertDirect(c, "KV_b", KEY_FF, "2", where);
        assertDirect(c, "KV_b", KEY_FE, "1", where);
        List<Frame> got = consume(c, "inv.*", 3);
        assertEquals(List.of(HEX.formatHex(INV_FE) + " fe", HEX.formatHex(INV_FF) + " ff", HEX.formatHex(INV_FFFD) + " fffd"),
                got.stream().map(f -> HEX.formatHex(f.subject()) + " " + f.payloadText()).toList(), where);
    }

    /**
     * weft alone (nats-server reads an invalid byte in JSON as U+FFFD): a subject in a JSON request,
     * raw or as the escape {@code \udcff}, is those bytes, and JSON answers write it as the escape.
     */
    private static void weftReadsSubjectsInJson(ByteClient c, boolean restarted) throws IOException {
        if (!restarted) {
            api(c, "$JS.API.STREAM.CREATE.R", cat(b("{\"name\":\"R\",\"subjects\":[\"raw."), new byte[] {(byte) 0xFF},
                    b("\"],\"storage\":\"file\",\"metadata\":{\"k"), new byte[] {(byte) 0xFF}, b("\":\"v"),
                    new byte[] {(byte) 0xFE}, b("\"}}")));
        }
        long before = restarted ? 1 : 0;
        assertAck(c, new byte[] {'r', 'a', 'w', '.', (byte) 0xFF}, "raw", before + 1);
        c.pub(new byte[] {'r', 'a', 'w', '.', (byte) 0xFE}, null, b("not captured"));
        c.pub(new byte[] {'r', 'a', 'w', '.', (byte) 0xEF, (byte) 0xBF, (byte) 0xBD}, null, b("not captured"));
        c.ping();
        JsonNode info = api(c, "$JS.API.STREAM.INFO.R", "{}");
        assertEquals("raw.\udcff", info.at("/config/subjects/0").asText(), info.toString());
        // the stream's meta file kept an escaped byte in a key and a value across the restart
        assertEquals("v\udcfe", info.at("/config/metadata").path("k\udcff").asText(), info.toString());
        assertEquals(before + 1, info.at("/state/messages").asLong(), info.toString());

        JsonNode m = api(c, "$JS.API.STREAM.MSG.GET.S", cat(b("{\"last_by_subj\":\"inv."), new byte[] {(byte) 0xFF}, b("\"}")));
        assertEquals("inv.\udcff", m.at("/message/subject").asText(), m.toString());
        assertEquals(2, m.at("/message/seq").asLong(), m.toString());
        JsonNode escaped = api(c, "$JS.API.STREAM.MSG.GET.S", "{\"last_by_subj\":\"inv.\\udcfe\"}");
        assertEquals(1, escaped.at("/message/seq").asLong(), escaped.toString());

        JsonNode subjects = api(c, "$JS.API.STREAM.INFO.S", "{\"subjects_filter\":\">\"}").at("/state/subjects");
        assertEquals(1, subjects.get("inv.\udcff").asLong(), subjects.toString());
        assertEquals(1, subjects.get("inv.\udcfe").asLong(), subjects.toString());
        assertEquals(1, subjects.get("inv.\ufffd").asLong(), subjects.toString());
        assertEquals(1, subjects.get("u.\u00e9").asLong(), subjects.toString());

        byte[] filter = cat(b("inv."), new byte[] {(byte) 0xFF});
        List<Frame> one = consume(c, filter, 1);
        assertEquals(List.of(HEX.formatHex(INV_FF) + " ff"),
                one.stream().map(f -> HEX.formatHex(f.subject()) + " " + f.payloadText()).toList());
    }

    private static int consumers;

    /** An ephemeral push consumer on S with this filter; returns the first {@code n} deliveries (and checks no more came). */
    private static List<Frame> consume(ByteClient c, Object filter, int n) throws IOException {
        String sid = "c" + (++consumers);
        byte[] deliver = b("_D." + sid);
        c.sub(deliver, null, sid);
        byte[] f = filter instanceof byte[] raw ? raw : b((String) filter);
        api(c, "$JS.API.CONSUMER.CREATE.S", cat(b("{\"stream_name\":\"S\",\"config\":{\"filter_subject\":\""), f,
                b("\",\"deliver_subject\":\"_D." + sid + "\",\"ack_policy\":\"none\",\"deliver_policy\":\"all\"}}")));
        List<Frame> got = c.awaitFrames(x -> sid.equals(x.sid()), n, WAIT);
        c.ping();
        return c.msgs(sid);
    }

    private static void assertAck(ByteClient c, byte[] subject, String payload, long seq) throws IOException {
        Frame ack = c.request(subject, b(payload), WAIT);
        assertNotNull(ack, "no PubAck for " + HEX.formatHex(subject));
        JsonNode n = JSON.readTree(ack.payload());
        assertEquals(seq, n.path("seq").asLong(-1), "PubAck for " + HEX.formatHex(subject) + ": " + n);
    }

    private static void assertDirect(ByteClient c, String stream, byte[] subject, String payload, String where)
            throws IOException {
        Frame r = c.request(cat(b("$JS.API.DIRECT.GET." + stream + "."), subject), new byte[0], WAIT);
        assertNotNull(r, where + ": no direct get reply for " + HEX.formatHex(subject));
        assertEquals(payload, r.payloadText(), where + " " + r.headersText());
        String nameLine = "Nats-Subject: " + new String(subject, StandardCharsets.ISO_8859_1) + "\r\n";
        assertTrue(r.headersText().contains(nameLine), where + ": " + r.headersText());
    }

    private static JsonNode api(ByteClient c, String subject, String body) throws IOException {
        return api(c, subject, b(body));
    }

    private static JsonNode api(ByteClient c, String subject, byte[] body) throws IOException {
        Frame r = c.request(b(subject), body, WAIT);
        assertNotNull(r, "no reply to " + subject);
        // as text: Jackson's byte parser refuses a lone surrogate escape in a field name (a subject key)
        JsonNode n = JSON.readTree(new String(r.payload(), StandardCharsets.UTF_8));
        assertFalse(n.has("error"), subject + ": " + n);
        return n;
    }

    private static String http(TestServer s, String path) throws IOException, InterruptedException {
        HttpResponse<String> r = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.monitorPort() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
        return r.body();
    }
}
