package io.weft.server.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nats.client.Connection;
import io.nats.client.Message;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;
import java.time.Duration;
import java.util.function.Predicate;

/**
 * Requests to a cluster that may not be ready yet (a leader being elected, a new leader still
 * subscribing): the process and differential tests of clustered JetStream ask again until the
 * answer is the one they wait for, within {@link #WAIT}.
 */
final class ClusterApi {
    static final Duration WAIT = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();

    private ClusterApi() {
    }

    /**
     * Retries a JetStream API request until it is answered with something other than 503/10008
     * (cluster not ready) and {@code done} holds; no answer or a timeout counts as not yet.
     */
    static JsonNode retry(Connection nc, String subject, String body, Predicate<JsonNode> done) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        JsonNode last = null;
        while (System.nanoTime() < deadline) {
            try {
                last = ClusteredStreamProcessTest.request(nc, subject, body);
            } catch (Exception e) {
                last = null; // no responders yet, or a timeout while a leader is elected
            }
            if (last != null && last.path("error").path("err_code").asInt() != 10008 && done.test(last)) {
                return last;
            }
            Thread.sleep(200);
        }
        throw new AssertionError(subject + " never answered as expected: " + last);
    }

    /**
     * Publishes until a PubAck without an error comes back ({@code headers} should carry a
     * {@code Nats-Msg-Id}, so a retry after a leader change is not stored twice); {@code what}
     * names the publish in the failure.
     */
    static JsonNode publishUntilAcked(Connection nc, String subject, Headers headers, byte[] data, String what)
            throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                Message m = nc.request(NatsMessage.builder().subject(subject).headers(headers).data(data).build(),
                        Duration.ofSeconds(2));
                if (m != null) {
                    JsonNode ack = JSON.readTree(m.getData());
                    if (!ack.has("error")) {
                        return ack;
                    }
                }
            } catch (Exception e) {
                // no responders while the new leader subscribes
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no PubAck for " + what);
    }
}
