package io.weft.engine.jetstream.consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.weft.engine.jetstream.Retention;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConsumerPersistenceTest extends ConsumerTestBase {
    @TempDir
    Path tmp;

    private FakeStream fileStream(FakeStream old) {
        FakeStream s = new FakeStream("S", Retention.LIMITS, account, env, tmp.toString());
        if (old != null) {
            old.store.state(); // the store survives a "restart": reuse its messages
        }
        return s;
    }

    @Test
    void durableStateSurvivesRestart() throws Exception {
        stream = fileStream(null);
        for (int i = 1; i <= 4; i++) {
            stream.publish("s.a", "m" + i);
        }
        durable("P", "{\"durable_name\":\"P\",\"ack_policy\":\"explicit\",\"ack_wait\":60000000000}");
        assertTrue(Files.exists(tmp.resolve("obs/P/meta.dat")));
        Inbox r = inbox("_INBOX.1");
        Inbox acks = inbox("_ACK.>");
        next("P", "_INBOX.1", "{\"batch\":3}");
        List<Inbox.Msg> got = r.await(3, 2000);
        account.publish(got.get(0).reply(), "_ACK.1", null, "+ACK".getBytes());
        account.publish(got.get(2).reply(), "_ACK.2", null, "+ACK".getBytes());
        acks.await(2, 2000); // double acks answered only once persisted
        JsonNode before = info("P");

        // "restart": stop without delete, then recover into a new stream object over the same store and directory
        stream.consumer("P").stop(false);
        FakeStream restarted = new FakeStream("S", Retention.LIMITS, account, env, tmp.toString());
        for (var m : List.of(1L, 2L, 3L, 4L)) {
            var sm = stream.store.load(m);
            restarted.store.append(sm.subject(), sm.headers(), sm.data(), sm.timestampNanos());
        }
        stream = restarted;
        consumers = new Consumers();
        consumers.recover(stream);
        JsonNode after = info("P");
        assertEquals(before.path("config"), after.path("config"));
        assertEquals(before.path("created").asText(), after.path("created").asText());
        assertEquals(before.path("delivered"), after.path("delivered"));
        assertEquals(before.path("ack_floor"), after.path("ack_floor"));
        assertEquals(1, after.path("num_ack_pending").asInt(), after.toString());
        assertEquals(1, after.path("num_pending").asInt());
        assertFalse(Files.exists(tmp.resolve("obs/.probe")), "the probe directory is cleaned up");

        // the next pull continues at message 4
        r.clear();
        next("P", "_INBOX.1", "{\"batch\":1}");
        assertEquals("m4", r.await(1, 2000).get(0).payload());
    }

    @Test
    void corruptStateIsReportedNotServed() throws Exception {
        stream = fileStream(null);
        durable("P", "{\"durable_name\":\"P\",\"ack_policy\":\"explicit\"}");
        stream.consumer("P").stop(false);
        Path state = tmp.resolve("obs/P/state.dat");
        try (RandomAccessFile f = new RandomAccessFile(state.toFile(), "rw")) {
            f.seek(10);
            int b = f.read();
            f.seek(10);
            f.write(b ^ 0x40);
        }
        FakeStream restarted = new FakeStream("S", Retention.LIMITS, account, env, tmp.toString());
        stream = restarted;
        consumers = new Consumers();
        consumers.recover(stream);
        assertNull(stream.consumer("P"), "a consumer whose state fails its CRC is not restored with made-up state");
    }

    @Test
    void deleteRemovesFilesAndEphemeralsAreNotPersisted() throws Exception {
        stream = fileStream(null);
        durable("P", "{\"durable_name\":\"P\"}");
        JsonNode e = create("{}");
        assertTrue(Files.exists(tmp.resolve("obs/P/state.dat")));
        assertFalse(Files.exists(tmp.resolve("obs/" + e.path("name").asText())));
        api("$JS.API.CONSUMER.DELETE.S.P", "");
        assertFalse(Files.exists(tmp.resolve("obs/P")));
    }

    @Test
    void stateCodecRoundTrip() throws IOException {
        stream = fileStream(null);
        ConsumerConfig cfg = new ConsumerConfig("D", "D", null, null, 0, null, ConsumerConfig.AckPolicy.EXPLICIT,
                1_000_000_000L, 5, null, null, null, null, 0, null, 0, 0, false, 0, false, 0, 0, 0, null, null, 0, 0,
                false, null, null).withDefaults(0, 0);
        Consumer c = new Consumer(consumers, stream, cfg, 1, null);
        c.dseq = 9;
        c.nextSeq = 12;
        c.lastStreamSeq = 11;
        c.ackFloorC = 5;
        c.ackFloorS = 7;
        c.pending.put(8L, new Consumer.Pending(6, 0, 0));
        c.deliveries.put(8L, 3);
        byte[] b = ConsumerPersistence.encodeState(c);
        Consumer d = new Consumer(consumers, stream, cfg, 1, null);
        ConsumerPersistence.decodeState(d, b, 100);
        assertEquals(9, d.dseq);
        assertEquals(12, d.nextSeq);
        assertEquals(7, d.ackFloorS);
        assertEquals(6, d.pending.get(8L).cseq);
        assertEquals(3, d.deliveries.get(8L));
        assertEquals(100 + 1_000_000_000L, d.pending.get(8L).deadline);
    }
}
