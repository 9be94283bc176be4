package io.weft.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.JetStreamSubscription;
import io.nats.client.PublishOptions;
import io.nats.client.PullSubscribeOptions;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.PublishAck;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.api.StreamInfo;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Disk faults against a real weft process: a full store directory (a small tmpfs the test mounts,
 * so it must run as root; skipped otherwise) and files removed between restarts.
 *
 * <p>nats-server 2.15.1 on the same full tmpfs stops answering publishes and stays so after space
 * frees ({@code /healthz}: "write error ... no space left on device"); weft answers each refused
 * publish with the 10077 error nats-server gives for a store failure (same JSON shape, compared
 * below with nats-server's own 10077), stores nothing of it, and takes the next publish once space
 * is back.
 */
class JetStreamDiskFaultTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    // ------------------------------------------------------------------ disk full

    @Test
    void aFullDiskRefusesPublishesStoresNothingOfThemAndRecovers(@TempDir Path dir) throws Exception {
        Path mnt = dir.resolve("small");
        Files.createDirectories(mnt);
        mount(mnt);
        try (TestServer server = TestServers.start(TestServers.Target.WEFT, "", "-js", "-sd", mnt.resolve("js").toString())) {
            TreeMap<Long, String> acked = new TreeMap<>();
            List<String> refused = new ArrayList<>();
            try (Connection nc = connect(server)) {
                JetStreamManagement jsm = nc.jetStreamManagement();
                jsm.addStream(StreamConfiguration.builder().name("FULL").subjects("full.>")
                        .storageType(StorageType.File).build());
                JetStream js = nc.jetStream();
                for (int i = 1; i <= 10; i++) {
                    publish(js, "ok-" + i, 100, acked, refused);
                }
                assertTrue(refused.isEmpty(), "refused before the disk was full: " + refused);
                Path filler = mnt.resolve("filler");
                fill(filler);
                JsonNode raw = null;
                for (int i = 1; i <= 20; i++) {
                    publish(js, "refused-" + i, 8000, acked, refused);
                }
                assertTrue(refused.size() >= 15, "refused " + refused + ", acked " + acked.keySet());
                Message m = nc.request("full.raw", pad("refused-raw", 8000), Duration.ofSeconds(5));
                raw = JSON.readTree(m.getData());
                refused.add("refused-raw");
                assertSame10077Shape(raw, natsServer10077());
                assertTrue(raw.path("error").path("description").asText().contains("No space left on device"), raw.toString());
                HttpResponse<String> health = get(server, "/healthz");
                assertEquals(503, health.statusCode(), health.body());
                assertTrue(health.body().contains("\"status\":\"unavailable\"") && health.body().contains("write error"),
                        health.body());

                StreamInfo info = jsm.getStreamInfo("FULL");
                assertEquals(acked.size(), info.getStreamState().getMsgCount(), "STREAM.INFO counts only what was stored");
                assertEquals((long) acked.lastKey(), info.getStreamState().getLastSequence());
                assertMsgGetAgrees(jsm, acked);
                PublishOptions retryId = PublishOptions.builder().messageId("retry-1").build();
                try {
                    js.publish("full.retry", pad("retry-1", 8000), retryId);
                    fail("a publish on the full disk was acknowledged");
                } catch (JetStreamApiException e) {
                    assertEquals(10077, e.getApiErrorCode(), e.toString());
                }

                Files.delete(filler); // space returns: the next publish gets the next sequence, no restart needed
                long next = acked.lastKey() + 1;
                PublishAck after = js.publish("full.after", pad("after", 10));
                assertEquals(next, after.getSeqno());
                acked.put(next, "after");
                assertEquals(200, get(server, "/healthz").statusCode());
                // the refused publish, retried with its message id, is stored once: its id was not kept
                PublishAck retried = js.publish("full.retry", pad("retry-1", 8000), retryId);
                assertEquals(next + 1, retried.getSeqno());
                assertFalse(retried.isDuplicate());
                acked.put(next + 1, "retry-1");
                PublishAck again = js.publish("full.retry", pad("retry-1", 8000), retryId);
                assertTrue(again.isDuplicate() && again.getSeqno() == next + 1, again.toString());
            }
            server.restart();
            try (Connection nc = connect(server)) {
                JetStreamManagement jsm = nc.jetStreamManagement();
                StreamInfo info = jsm.getStreamInfo("FULL");
                assertEquals(acked.size(), info.getStreamState().getMsgCount(), "after a restart too");
                assertEquals((long) acked.lastKey(), info.getStreamState().getLastSequence());
                assertMsgGetAgrees(jsm, acked);
                assertConsumerAgrees(nc, acked);
                PublishAck more = nc.jetStream().publish("full.more", "more".getBytes(StandardCharsets.UTF_8));
                assertEquals(acked.lastKey() + 1, more.getSeqno());
            }
            assertFalse(server.stderr().contains("damaged"), server.stderr());
        } finally {
            umount(mnt);
        }
    }

    /** One publish: acked ones must come in sequence order; refused ones must be 10077 (code 503). */
    private static void publish(JetStream js, String tag, int size, TreeMap<Long, String> acked, List<String> refused)
            throws IOException {
        try {
            PublishAck a = js.publish("full.x", pad(tag, size));
            long want = acked.isEmpty() ? 1 : acked.lastKey() + 1;
            assertEquals(want, a.getSeqno(), "acked " + tag);
            acked.put(a.getSeqno(), tag);
        } catch (JetStreamApiException e) {
            assertEquals(10077, e.getApiErrorCode(), e.toString());
            assertEquals(503, e.getErrorCode(), e.toString());
            refused.add(tag);
        }
    }

    /** Every sequence up to the last: what was acked is served as sent, nothing else exists. */
    private static void assertMsgGetAgrees(JetStreamManagement jsm, TreeMap<Long, String> acked) throws Exception {
        for (long seq = 1; seq <= acked.lastKey() + 2; seq++) {
            String want = acked.get(seq);
            try {
                String got = new String(jsm.getMessage("FULL", seq).getData(), StandardCharsets.UTF_8);
                assertTrue(want != null && got.startsWith(want + "|"), "seq " + seq + " holds " + tagOf(got)
                        + ", acked " + want);
            } catch (JetStreamApiException e) {
                assertEquals(10037, e.getApiErrorCode(), "seq " + seq + ": " + e);
                assertEquals(null, want, "acked seq " + seq + " is not served");
            }
        }
    }

    /** A new pull consumer delivers exactly the acked messages, in sequence order, and nothing else. */
    private static void assertConsumerAgrees(Connection nc, TreeMap<Long, String> acked) throws Exception {
        JetStreamSubscription sub = nc.jetStream().subscribe("full.>", PullSubscribeOptions.builder()
                .configuration(ConsumerConfiguration.builder().ackPolicy(AckPolicy.None).build()).build());
        TreeMap<Long, String> got = new TreeMap<>();
        for (int round = 0; round < 20 && got.size() < acked.size(); round++) {
            for (Message m : sub.fetch(acked.size(), Duration.ofSeconds(1))) {
                got.put(m.metaData().streamSequence(), tagOf(new String(m.getData(), StandardCharsets.UTF_8)));
            }
        }
        assertEquals(acked, got, "a consumer delivers what STREAM.INFO counts and MSG.GET serves");
        assertTrue(sub.fetch(1, Duration.ofMillis(300)).isEmpty(), "nothing beyond the acked messages");
        sub.unsubscribe();
    }

    private static String tagOf(String payload) {
        int i = payload.indexOf('|');
        return i < 0 ? payload : payload.substring(0, i);
    }

    private static byte[] pad(String tag, int size) {
        StringBuilder sb = new StringBuilder(tag).append('|');
        while (sb.length() < size) {
            sb.append('.');
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static void assertSame10077Shape(JsonNode weft, JsonNode natsServer) {
        List<String> wk = new ArrayList<>();
        weft.fieldNames().forEachRemaining(wk::add);
        List<String> nk = new ArrayList<>();
        natsServer.fieldNames().forEachRemaining(nk::add);
        assertEquals(nk, wk, "weft " + weft + " vs nats-server " + natsServer);
        assertEquals(natsServer.path("error").path("code").asInt(), weft.path("error").path("code").asInt());
        assertEquals(natsServer.path("error").path("err_code").asInt(), weft.path("error").path("err_code").asInt());
        assertEquals(natsServer.path("seq").asLong(), weft.path("seq").asLong());
        assertEquals(10077, weft.path("error").path("err_code").asInt());
    }

    /** nats-server 2.15.1's 10077 (a store failure: here a discard-new stream that is full). */
    private static JsonNode natsServer10077() throws Exception {
        Path sd = Files.createTempDirectory("ns-10077-");
        int port = TestServers.freePorts(1)[0];
        List<String> cmd = List.of(TestServers.newestNatsServer().toString(), "-js", "-sd", sd.toString(), "-p",
                Integer.toString(port), "-a", "127.0.0.1");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            Connection nc = null;
            for (int i = 0; i < 100 && nc == null; i++) {
                try {
                    nc = Nats.connect(new Options.Builder().server("nats://127.0.0.1:" + port).maxReconnects(0).build());
                } catch (IOException e) {
                    Thread.sleep(100);
                }
            }
            assertNotEquals(null, nc, "nats-server did not start");
            try (Connection c = nc) {
                c.jetStreamManagement().addStream(StreamConfiguration.builder().name("FULL").subjects("full.>")
                        .storageType(StorageType.File).maxMessages(1)
                        .discardPolicy(io.nats.client.api.DiscardPolicy.New).build());
                c.request("full.a", new byte[1], Duration.ofSeconds(5));
                return JSON.readTree(c.request("full.a", new byte[1], Duration.ofSeconds(5)).getData());
            }
        } finally {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            deleteTree(sd);
        }
    }

    // ------------------------------------------------------------------ files removed between restarts

    @Test
    void aSegmentDeletedBetweenRestartsIsReportedAndNoSequenceIsReused(@TempDir Path dir) throws Exception {
        Path sd = dir.resolve("js");
        try (TestServer server = TestServers.start(TestServers.Target.WEFT, "", "-js", "-sd", sd.toString())) {
            int n = 300; // 64 KB each: three 8 MiB segments
            try (Connection nc = connect(server)) {
                nc.jetStreamManagement().addStream(StreamConfiguration.builder().name("GAP").subjects("gap.>")
                        .storageType(StorageType.File).build());
                JetStream js = nc.jetStream();
                List<java.util.concurrent.CompletableFuture<PublishAck>> acks = new ArrayList<>();
                for (int i = 1; i <= n; i++) {
                    acks.add(js.publishAsync("gap.x", pad("m" + i, 64 * 1024)));
                    if (acks.size() == 50) {
                        for (var a : acks) {
                            a.get(30, TimeUnit.SECONDS);
                        }
                        acks.clear();
                    }
                }
                for (var a : acks) {
                    a.get(30, TimeUnit.SECONDS);
                }
            }
            server.kill();
            List<Path> segments = segments(sd, "GAP");
            assertTrue(segments.size() >= 3, segments.toString());
            Files.delete(segments.get(1));
            server.restart();
            assertTrue(server.awaitOutput("is damaged, a file is missing", Duration.ofSeconds(10)), server.stderr());
            String line = lineWith(server.stderr(), "is damaged, a file is missing");
            assertTrue(line.contains("[ERR]") && line.contains("'$G > GAP'") && line.contains("sequences "), line);
            HttpResponse<String> health = get(server, "/healthz");
            assertEquals(503, health.statusCode(), health.body());
            assertTrue(health.body().contains("GAP") && health.body().contains("missing"), health.body());
            JsonNode jsz = JSON.readTree(get(server, "/jsz?streams=1").body());
            JsonNode bad = jsz.path("account_details").get(0).path("stream_detail").get(0).path("corruptions");
            assertEquals(1, bad.size(), jsz.toString());
            long first = bad.get(0).path("first_seq").asLong();
            long last = bad.get(0).path("last_seq").asLong();
            assertTrue(first > 1 && last < n && first <= last, bad.toString());
            try (Connection nc = connect(server)) {
                JetStreamManagement jsm = nc.jetStreamManagement();
                StreamInfo info = jsm.getStreamInfo("GAP");
                assertEquals(n, info.getStreamState().getLastSequence());
                assertEquals(n - (last - first + 1), info.getStreamState().getMsgCount());
                assertTrue(new String(jsm.getMessage("GAP", first - 1).getData(), StandardCharsets.UTF_8)
                        .startsWith("m" + (first - 1) + "|"));
                assertEquals(n + 1, nc.jetStream().publish("gap.x", pad("new", 10)).getSeqno());
            }
        }
    }

    @Test
    void aDeletedCheckpointAndATruncatedSegmentAreReportedAndNoSequenceIsReused(@TempDir Path dir) throws Exception {
        Path sd = dir.resolve("js");
        try (TestServer server = TestServers.start(TestServers.Target.WEFT, "", "-js", "-sd", sd.toString())) {
            try (Connection nc = connect(server)) {
                nc.jetStreamManagement().addStream(StreamConfiguration.builder().name("CUT").subjects("cut.>")
                        .storageType(StorageType.File).build());
                for (int i = 1; i <= 10; i++) {
                    assertEquals(i, nc.jetStream().publish("cut.x", pad("m" + i, 50)).getSeqno());
                }
            }
            server.kill();
            Path seg = segments(sd, "CUT").getLast();
            Files.delete(seg.resolveSibling("checkpoint"));
            truncateAtMessage(seg, 8); // acked 8, 9, 10 are gone, and nothing on disk says how far it went
            server.restart();
            assertTrue(server.awaitOutput("checkpoint file missing", Duration.ofSeconds(10)), server.stderr());
            assertTrue(lineWith(server.stderr(), "checkpoint file missing").contains("[ERR]"), server.stderr());
            assertEquals(503, get(server, "/healthz").statusCode());
            long next;
            try (Connection nc = connect(server)) {
                next = nc.jetStream().publish("cut.x", pad("after", 10)).getSeqno();
                assertTrue(next > 10, "sequence " + next + " was acknowledged before the files were cut");
            }
            server.restart();
            try (Connection nc = connect(server)) {
                StreamInfo info = nc.jetStreamManagement().getStreamInfo("CUT");
                assertEquals(next, info.getStreamState().getLastSequence(), "the last sequence never goes backwards");
                assertTrue(nc.jetStream().publish("cut.x", pad("again", 10)).getSeqno() > next);
            }
            assertEquals(200, get(server, "/healthz").statusCode(), "reported at the open that found it");
        }
    }

    // ------------------------------------------------------------------ helpers

    private static List<Path> segments(Path sd, String stream) throws IOException {
        Path msgs = sd.resolve("jetstream").resolve("$G").resolve("streams").resolve(stream).resolve("msgs");
        try (Stream<Path> s = Files.list(msgs)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".blk")).sorted().toList();
        }
    }

    /** Cuts a segment file at the start of the MSG record with sequence {@code seq} (see store/README.md). */
    private static void truncateAtMessage(Path seg, long seq) throws IOException {
        byte[] b = Files.readAllBytes(seg);
        ByteBuffer bb = ByteBuffer.wrap(b);
        for (int p = 0; p + 34 <= b.length; p += bb.getInt(p + 4)) {
            if (b[p + 2] == 1 && bb.getLong(p + 8) == seq) {
                try (FileChannel ch = FileChannel.open(seg, StandardOpenOption.WRITE)) {
                    ch.truncate(p);
                }
                return;
            }
        }
        fail("no message " + seq + " in " + seg);
    }

    private static String lineWith(String out, String text) {
        for (String l : out.split("\n")) {
            if (l.contains(text)) {
                return l;
            }
        }
        return "";
    }

    private static HttpResponse<String> get(TestServer server, String path) throws Exception {
        try (HttpClient http = HttpClient.newHttpClient()) {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.monitorPort() + path))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        }
    }

    private static Connection connect(TestServer server) throws Exception {
        return Nats.connect(new Options.Builder().server(server.url()).connectionTimeout(Duration.ofSeconds(5))
                .maxReconnects(0).errorListener(new io.nats.client.ErrorListener() {
                }).build());
    }

    /** Writes zeros until the file system says it is full (big chunks, then ever smaller ones). */
    private static void fill(Path filler) throws IOException {
        try (OutputStream out = Files.newOutputStream(filler)) {
            for (int chunk : new int[] {65536, 4096, 512, 1}) {
                byte[] zeros = new byte[chunk];
                try {
                    while (true) {
                        out.write(zeros);
                        out.flush();
                    }
                } catch (IOException full) {
                    // this chunk size no longer fits
                }
            }
        } catch (IOException closing) {
            // close may fail to write what the stream buffered: the disk is full either way
        }
    }

    private static void mount(Path mnt) throws Exception {
        Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", mnt.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        Assumptions.assumeTrue(p.waitFor() == 0, "cannot mount a tmpfs (needs root): " + out);
    }

    private static void umount(Path mnt) throws Exception {
        Process p = new ProcessBuilder("umount", "-l", mnt.toString()).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        p.waitFor();
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            for (Iterator<Path> it = s.sorted(java.util.Comparator.reverseOrder()).iterator(); it.hasNext(); ) {
                Files.deleteIfExists(it.next());
            }
        }
    }
}
