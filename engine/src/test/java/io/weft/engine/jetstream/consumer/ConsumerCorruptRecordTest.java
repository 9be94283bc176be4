package io.weft.engine.jetstream.consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A record the store reports damaged is never delivered and never stops delivery of the rest. */
class ConsumerCorruptRecordTest extends ConsumerTestBase {

    @Test
    void pullSkipsDamagedRecordsAndKeepsAnswering() throws Exception {
        for (int i = 1; i <= 5; i++) {
            stream.publish("s.a", "m" + i);
        }
        DamagedStore view = new DamagedStore(stream.store, Set.of(2L, 4L));
        stream.readView = view;
        JsonNode r = durable("P", "{\"durable_name\":\"P\",\"ack_policy\":\"explicit\"}");
        assertEquals("P", r.path("name").asText(), r.toString());
        Inbox in = inbox("_INBOX.c1");
        next("P", "_INBOX.c1", "{\"batch\":3}");
        List<Inbox.Msg> got = in.await(3, 2000);
        assertEquals(List.of("m1", "m3", "m5"), got.stream().map(Inbox.Msg::payload).toList());
        in.clear();
        next("P", "_INBOX.c1", "{\"batch\":2,\"no_wait\":true}");
        Inbox.Msg status = in.await(1, 2000).get(0);
        assertEquals("NATS/1.0 404 No Messages\r\n\r\n", status.headers(), "pulls are still answered");
        assertEquals(List.of(2L, 4L), view.throwsSeen);
    }

    @Test
    void redeliveryOfARecordDamagedAfterDeliveryDropsIt() throws Exception {
        stream.publish("s.a", "x1");
        stream.publish("s.a", "x2");
        JsonNode r = durable("R", "{\"durable_name\":\"R\",\"ack_policy\":\"explicit\",\"ack_wait\":100000000}");
        assertEquals("R", r.path("name").asText(), r.toString());
        Inbox in = inbox("_INBOX.c2");
        next("R", "_INBOX.c2", "{\"batch\":2}");
        assertEquals(2, in.await(2, 2000).size());
        stream.readView = new DamagedStore(stream.store, Set.of(1L));
        in.clear();
        // after ack_wait only x2 can come back; x1's record is now damaged and is given up
        next("R", "_INBOX.c2", "{\"batch\":2,\"expires\":1000000000}");
        List<Inbox.Msg> again = in.await(1, 3000);
        assertEquals("x2", again.get(0).payload());
        Thread.sleep(300);
        assertEquals(0, in.snapshot().stream().filter(m -> "x1".equals(m.payload())).count());
    }
}
