package io.weft.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamManagement;
import io.nats.client.Message;
import io.nats.client.Subscription;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * How a pull request ends when the stream runs out, as nats-server 2.15.1 answers it: a
 * {@code no_wait} request gets {@code 404 No Messages} at the end of the stream whether or not it
 * got messages first; a {@code no_wait} request with {@code expires} that finds nothing waits for
 * the first message (then ends with 404) or for its expiry (408); a plain request with
 * {@code expires} ends with 408.
 */
class NoWaitPullTest extends JsReferencePair {

    /** What a raw pull request got: payloads, then the status that ended it (or "nothing" after 2.5 s). */
    static List<String> pull(Connection nc, String body, Runnable meanwhile) throws Exception {
        String inbox = nc.createInbox();
        Subscription sub = nc.subscribe(inbox);
        nc.publish("$JS.API.CONSUMER.MSG.NEXT.NW.C", inbox, body.getBytes(StandardCharsets.UTF_8));
        meanwhile.run();
        List<String> out = new ArrayList<>();
        while (out.size() < 10) {
            Message m = sub.nextMessage(Duration.ofMillis(2500));
            if (m == null) {
                out.add("nothing");
                break;
            }
            if (m.isStatusMessage()) {
                out.add(m.getStatus().getCode() + " " + m.getStatus().getMessage());
                break;
            }
            out.add(new String(m.getData(), StandardCharsets.UTF_8));
        }
        sub.unsubscribe();
        return out;
    }

    @Test
    void pullRequestsEndAsNatsServer() throws Exception {
        List<Object> seen = both(nc -> {
            List<Object> out = new ArrayList<>();
            JetStreamManagement jsm = nc.jetStreamManagement();
            JetStream js = nc.jetStream();
            jsm.addStream(StreamConfiguration.builder().name("NW").subjects("nw.>").storageType(StorageType.File).build());
            for (int i = 1; i <= 3; i++) {
                js.publish("nw.a", ("m" + i).getBytes(StandardCharsets.UTF_8));
            }
            nc.request("$JS.API.CONSUMER.CREATE.NW.C",
                    "{\"stream_name\":\"NW\",\"config\":{\"name\":\"C\",\"ack_policy\":\"none\"}}".getBytes(StandardCharsets.UTF_8),
                    Duration.ofSeconds(3));
            Runnable idle = () -> { };
            out.add("no_wait past the end " + pull(nc, "{\"batch\":5,\"no_wait\":true}", idle));
            out.add("no_wait at the end " + pull(nc, "{\"batch\":5,\"no_wait\":true}", idle));
            Runnable later = () -> {
                try {
                    Thread.sleep(300);
                    js.publish("nw.a", "late".getBytes(StandardCharsets.UTF_8));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            };
            out.add("no_wait with expires, a message comes " + pull(nc,
                    "{\"batch\":5,\"no_wait\":true,\"expires\":1500000000}", later));
            out.add("no_wait with expires, none comes " + pull(nc,
                    "{\"batch\":5,\"no_wait\":true,\"expires\":500000000}", idle));
            js.publish("nw.a", "m5".getBytes(StandardCharsets.UTF_8));
            out.add("expires only " + pull(nc, "{\"batch\":5,\"expires\":500000000}", idle));
            return out;
        });
        assertEquals("no_wait past the end [m1, m2, m3, 404 No Messages]", seen.get(0));
    }
}
