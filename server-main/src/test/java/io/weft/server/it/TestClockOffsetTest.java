package io.weft.server.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nats.client.Connection;
import io.nats.client.JetStreamManagement;
import io.nats.client.api.MessageInfo;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The test-only clock offset the Jepsen clock nemesis uses ({@code WEFT_TEST_CLOCK_OFFSET_FILE}):
 * a weft process stamps stored messages with its wall clock plus the file's milliseconds, follows
 * a new value within a poll, and says at start that the offset is in effect.
 */
class TestClockOffsetTest {
    static final long HOUR = 3_600_000L;

    @Test
    void theWallClockFollowsTheOffsetFile() throws Exception {
        Path dir = Files.createTempDirectory("weft-clock-");
        Path offset = dir.resolve("clock-offset");
        Files.writeString(offset, HOUR + "\n");
        try (TestServer s = TestServers.start(TestServers.Target.WEFT, Map.of("WEFT_TEST_CLOCK_OFFSET_FILE", offset.toString()),
                "jetstream { store_dir: \"" + dir.resolve("js") + "\" }\n")) {
            assertTrue(s.awaitOutput("Test-only clock offset in effect", Duration.ofSeconds(10)), s.stderr());
            try (Connection nc = Clients.connect(s)) {
                JetStreamManagement jsm = nc.jetStreamManagement();
                jsm.addStream(StreamConfiguration.builder().name("C").subjects("c").storageType(StorageType.File).build());
                long ahead = stampOfNewMessage(nc, "C", "c") - System.currentTimeMillis();
                assertTrue(ahead > HOUR - 600_000 && ahead < HOUR + 600_000, "an hour ahead, got " + ahead + " ms");

                // a stream's stamps never go backwards (each is after the one before), so the jump
                // back shows on a new stream, once the server has read the file again
                Files.writeString(offset, "-" + HOUR);
                assertTrue(s.awaitOutput("Test clock offset now -" + HOUR + " ms", Duration.ofSeconds(10)), s.stderr());
                jsm.addStream(StreamConfiguration.builder().name("D").subjects("d").storageType(StorageType.File).build());
                long behind = stampOfNewMessage(nc, "D", "d") - System.currentTimeMillis();
                assertTrue(behind < -HOUR + 600_000 && behind > -HOUR - 600_000, "an hour behind, got " + behind + " ms");

                Files.writeString(offset, "not a number");
                assertTrue(s.awaitOutput("unreadable", Duration.ofSeconds(10)), "a bad offset file is reported");
                jsm.addStream(StreamConfiguration.builder().name("E").subjects("e").storageType(StorageType.File).build());
                long kept = stampOfNewMessage(nc, "E", "e") - System.currentTimeMillis();
                assertTrue(kept < -HOUR + 600_000, "a bad file keeps the last offset, got " + kept + " ms");
            }
        } finally {
            JsServer.deleteTree(dir);
        }
    }

    /** Publishes a message to {@code subject} and returns its stored time in {@code stream}, in epoch millis. */
    private static long stampOfNewMessage(Connection nc, String stream, String subject) throws Exception {
        long seq = nc.jetStream().publish(subject, "m".getBytes()).getSeqno();
        MessageInfo mi = nc.jetStreamManagement().getMessage(stream, seq);
        Instant t = mi.getTime().toInstant();
        return t.toEpochMilli();
    }
}
