package io.weft.server.it;

import io.nats.client.JetStream;
import io.nats.client.JetStreamManagement;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Which refusal a JetStream publish gets when it breaks several rules at once, against nats-server
 * 2.15.1 and weft: a message over the stream's {@code max_msg_size} that also carries a failing
 * {@code Nats-Expected-*} header, a duplicate {@code Nats-Msg-Id} or a bad {@code Nats-TTL}.
 */
class PublishCheckOrderTest extends JsReferencePair {
    @Test
    void anOversizedMessageIsRefusedForItsSizeFirst() throws Exception {
        both(nc -> {
            List<Object> out = new ArrayList<>();
            JetStreamManagement jsm = nc.jetStreamManagement();
            JetStream js = nc.jetStream();
            jsm.addStream(StreamConfiguration.builder().name("ORD").subjects("ord.>").storageType(StorageType.File)
                    .maximumMessageSize(100).build());
            out.add("small: " + apiError(() -> js.publish(msg("ord.a", new Headers().add("Nats-Msg-Id", "one"), 3))));
            String[][] cases = {
                {"Nats-Expected-Last-Sequence", "5"},
                {"Nats-Expected-Last-Subject-Sequence", "7"},
                {"Nats-Expected-Stream", "OTHER"},
                {"Nats-Expected-Last-Msg-Id", "nope"},
                {"Nats-Msg-Id", "one"},
                {"Nats-TTL", "bogus"},
            };
            for (String[] c : cases) {
                out.add(c[0] + " and too big: "
                        + apiError(() -> js.publish(msg("ord.a", new Headers().add(c[0], c[1]), 200))));
                out.add(c[0] + " alone: " + apiError(() -> js.publish(msg("ord.a", new Headers().add(c[0], c[1]), 1))));
            }
            jsm.deleteStream("ORD");
            return out;
        });
    }

    private static NatsMessage msg(String subject, Headers h, int size) {
        return NatsMessage.builder().subject(subject).headers(h).data(new byte[size]).build();
    }
}
