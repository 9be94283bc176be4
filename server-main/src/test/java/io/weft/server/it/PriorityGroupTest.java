package io.weft.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamManagement;
import io.nats.client.Message;
import io.nats.client.Subscription;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.ConsumerInfo;
import io.nats.client.api.PriorityPolicy;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Priority groups on pull consumers (nats-server 2.11, ADR-42): {@code priority_groups},
 * {@code priority_policy} {@code overflow} and {@code pinned_client}, pin ids ({@code Nats-Pin-Id}),
 * {@code $JS.API.CONSUMER.UNPIN}, and the pull request fields {@code group}, {@code min_pending},
 * {@code min_ack_pending}, {@code id}. The same steps (jnats for management, raw {@code MSG.NEXT}
 * requests for the pulls, so every status is seen) against nats-server 2.15.1 and weft must be seen
 * alike; pin ids differ per server, so only how they relate is compared.
 */
class PriorityGroupTest extends JsReferencePair {

    /** The error of a raw create request (code, err_code, description), or "created" with the config's priority fields. */
    static String create(Connection nc, String stream, String name, String config) throws Exception {
        String body = "{\"stream_name\":\"" + stream + "\",\"config\":" + config + "}";
        Message r = nc.request("$JS.API.CONSUMER.CREATE." + stream + "." + name, body.getBytes(StandardCharsets.UTF_8),
                Duration.ofSeconds(3));
        String json = new String(r.getData(), StandardCharsets.UTF_8);
        int e = json.indexOf("\"error\":");
        if (e >= 0) {
            return json.substring(e, json.indexOf('}', e) + 1);
        }
        var n = new com.fasterxml.jackson.databind.ObjectMapper().readTree(json).path("config");
        return "created groups " + n.path("priority_groups") + " policy " + n.path("priority_policy").asText()
                + " timeout " + n.path("priority_timeout").asLong() + " req.level "
                + n.path("metadata").path("_nats.req.level").asText();
    }

    /** A raw pull request to {@code stream > consumer} answered on {@code inbox}. */
    static void pull(Connection nc, String inbox, String stream, String consumer, String body) {
        nc.publish("$JS.API.CONSUMER.MSG.NEXT." + stream + "." + consumer, inbox, body.getBytes(StandardCharsets.UTF_8));
    }

    /** What arrived on a request's inbox: a status line, or the payload with whether it carried a pin id. */
    static String next(Subscription sub, long millis) throws InterruptedException {
        Message m = sub.nextMessage(Duration.ofMillis(millis));
        if (m == null) {
            return "nothing";
        }
        if (m.isStatusMessage()) {
            return m.getStatus().getCode() + " " + m.getStatus().getMessage();
        }
        String pin = m.getHeaders() == null ? null : m.getHeaders().getFirst("Nats-Pin-Id");
        try {
            m.ackSync(Duration.ofSeconds(2)); // acknowledged before the next step reads the consumer
        } catch (java.util.concurrent.TimeoutException e) {
            return "ack unanswered";
        }
        return "msg " + new String(m.getData(), StandardCharsets.UTF_8) + (pin == null ? "" : " pinned");
    }

    static String pinOf(Message m) {
        return m == null || m.getHeaders() == null ? null : m.getHeaders().getFirst("Nats-Pin-Id");
    }

    @Test
    void configRulesAndPullRequestChecksAsNatsServer() throws Exception {
        both(nc -> {
            List<Object> out = new ArrayList<>();
            JetStreamManagement jsm = nc.jetStreamManagement();
            jsm.addStream(StreamConfiguration.builder().name("PG").subjects("pg.>").storageType(StorageType.File).build());
            String ack = "\"ack_policy\":\"explicit\"";
            out.add("no group: " + create(nc, "PG", "C1", "{\"name\":\"C1\"," + ack + ",\"priority_policy\":\"overflow\"}"));
            out.add("policy none: " + create(nc, "PG", "C2", "{\"name\":\"C2\"," + ack + ",\"priority_groups\":[\"A\"]}"));
            out.add("timeout only: " + create(nc, "PG", "C3", "{\"name\":\"C3\"," + ack + ",\"priority_timeout\":1000000000}"));
            out.add("bad name: " + create(nc, "PG", "C4", "{\"name\":\"C4\"," + ack
                    + ",\"priority_policy\":\"overflow\",\"priority_groups\":[\"a.b\"]}"));
            out.add("long name: " + create(nc, "PG", "C4", "{\"name\":\"C4\"," + ack
                    + ",\"priority_policy\":\"overflow\",\"priority_groups\":[\"abcdefghijklmnopq\"]}"));
            out.add("empty name: " + create(nc, "PG", "C5", "{\"name\":\"C5\"," + ack
                    + ",\"priority_policy\":\"pinned_client\",\"priority_groups\":[\"\"]}"));
            out.add("push: " + create(nc, "PG", "C6", "{\"name\":\"C6\"," + ack
                    + ",\"deliver_subject\":\"dlv\",\"priority_policy\":\"overflow\",\"priority_groups\":[\"A\"]}"));
            out.add("bad policy: " + create(nc, "PG", "C7", "{\"name\":\"C7\"," + ack + ",\"priority_policy\":\"first\"}"));
            out.add("pinned: " + create(nc, "PG", "PIN", "{\"name\":\"PIN\"," + ack
                    + ",\"priority_policy\":\"pinned_client\",\"priority_groups\":[\"A\"]}"));
            out.add("overflow: " + create(nc, "PG", "OVF", "{\"name\":\"OVF\"," + ack
                    + ",\"priority_policy\":\"overflow\",\"priority_groups\":[\"A\",\"B-2\"]}"));
            out.add("plain: " + create(nc, "PG", "PLAIN", "{\"name\":\"PLAIN\"," + ack + "}"));
            String inbox = "_INBOX.pgchecks";
            Subscription sub = nc.subscribe(inbox);
            String[][] cases = {
                    {"PLAIN", "{\"batch\":1,\"no_wait\":true,\"min_pending\":5}"},
                    {"PLAIN", "{\"batch\":1,\"no_wait\":true,\"id\":\"X\"}"},
                    {"PLAIN", "{\"batch\":1,\"no_wait\":true,\"group\":\"A\"}"},
                    {"OVF", "{\"batch\":1,\"no_wait\":true}"},
                    {"OVF", "{\"batch\":1,\"no_wait\":true,\"group\":\"C\"}"},
                    {"OVF", "{\"batch\":1,\"no_wait\":true,\"group\":\"A\",\"id\":\"X\"}"},
                    {"OVF", "{\"batch\":1,\"no_wait\":true,\"group\":\"A\",\"priority\":10}"},
                    {"OVF", "{\"batch\":1,\"no_wait\":true,\"group\":\"A\",\"min_pending\":\"x\"}"},
                    {"OVF", "{\"batch\":1,\"no_wait\":true,\"group\":\"B-2\"}"},
                    {"PIN", "{\"batch\":1,\"no_wait\":true,\"group\":\"A\",\"min_ack_pending\":1}"},
                    {"PIN", "{\"batch\":1,\"no_wait\":true,\"group\":\"A\"}"},
            };
            for (String[] c : cases) {
                pull(nc, inbox, "PG", c[0], c[1]);
                out.add(c[0] + " " + c[1] + ": " + next(sub, 2000));
            }
            ConsumerInfo pin = jsm.getConsumerInfo("PG", "PIN");
            out.add("info groups " + pin.getPriorityGroupStates().size() + " " + pin.getPriorityGroupStates().get(0).getGroup()
                    + " pinned " + pin.getPriorityGroupStates().get(0).getPinnedClientId());
            out.add("unpin bad group: " + apiError(() -> jsm.unpinConsumer("PG", "PIN", "Z")));
            out.add("unpin bad name: " + apiError(() -> jsm.unpinConsumer("PG", "PIN", "a.b")));
            out.add("unpin missing consumer: " + apiError(() -> jsm.unpinConsumer("PG", "NOPE", "A")));
            out.add("unpin ok: " + apiError(() -> jsm.unpinConsumer("PG", "PIN", "A")));
            Message raw = nc.request("$JS.API.CONSUMER.UNPIN.PG.PIN", "{}".getBytes(), Duration.ofSeconds(3));
            out.add("unpin no group: " + new String(raw.getData(), StandardCharsets.UTF_8).replaceAll("\\s", ""));
            jsm.deleteStream("PG");
            return out;
        });
    }



    @Test
    void overflowServesARequestOnlyOnceItsMinimumIsReached() throws Exception {
        List<Object> seen = both(nc -> {
            List<Object> out = new ArrayList<>();
            JetStreamManagement jsm = nc.jetStreamManagement();
            JetStream js = nc.jetStream();
            jsm.addStream(StreamConfiguration.builder().name("OV").subjects("ov.>").storageType(StorageType.File).build());
            jsm.addOrUpdateConsumer("OV", ConsumerConfiguration.builder().durable("W").ackPolicy(AckPolicy.Explicit)
                    .priorityPolicy(PriorityPolicy.Overflow).priorityGroups("jobs").build());
            for (int i = 1; i <= 4; i++) {
                js.publish("ov.a", ("m" + i).getBytes());
            }
            Subscription big = nc.subscribe("_INBOX.ovbig");
            Subscription small = nc.subscribe("_INBOX.ovsmall");
            Subscription acks = nc.subscribe("_INBOX.ovacks");
            nc.flush(Duration.ofSeconds(1));
            // 4 pending: a request that wants at least 10 waits; one that wants 3 is served
            pull(nc, "_INBOX.ovbig", "OV", "W", "{\"batch\":1,\"expires\":1000000000,\"group\":\"jobs\",\"min_pending\":10}");
            out.add("min 10: " + next(big, 1800));
            pull(nc, "_INBOX.ovsmall", "OV", "W", "{\"batch\":1,\"expires\":1000000000,\"group\":\"jobs\",\"min_pending\":3}");
            out.add("min 3: " + next(small, 1800));
            // min_ack_pending: served once that many are waiting for their ack
            pull(nc, "_INBOX.ovacks", "OV", "W", "{\"batch\":1,\"expires\":1000000000,\"group\":\"jobs\",\"min_ack_pending\":2}");
            out.add("ack min 2, none pending: " + next(acks, 1800));
            Subscription holder = nc.subscribe("_INBOX.ovhold");
            pull(nc, "_INBOX.ovhold", "OV", "W", "{\"batch\":2,\"expires\":1000000000,\"group\":\"jobs\"}");
            List<Message> held = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                Message m = holder.nextMessage(Duration.ofSeconds(2));
                if (m != null && !m.isStatusMessage()) {
                    held.add(m);
                }
            }
            out.add("held " + held.size());
            pull(nc, "_INBOX.ovacks", "OV", "W", "{\"batch\":1,\"expires\":1000000000,\"group\":\"jobs\",\"min_ack_pending\":2}");
            out.add("ack min 2, two pending: " + next(acks, 1800));
            out.add("ack pending " + jsm.getConsumerInfo("OV", "W").getNumAckPending());
            jsm.deleteStream("OV");
            return out;
        });
        assertEquals("min 10: 408 Request Timeout", seen.get(0), seen.toString());
        assertEquals("min 3: msg m1", seen.get(1), seen.toString());
    }

    /** {@code prioritized} (nats-server 2.12): the waiting request with the lowest {@code priority} is served first; equal ones take turns. */
    @Test
    void prioritizedServesTheLowestPriorityFirst() throws Exception {
        List<Object> seen = both(nc -> {
            List<Object> out = new ArrayList<>();
            JetStreamManagement jsm = nc.jetStreamManagement();
            JetStream js = nc.jetStream();
            jsm.addStream(StreamConfiguration.builder().name("PRI").subjects("pri.>").storageType(StorageType.File).build());
            String ack = "\"ack_policy\":\"explicit\"";
            out.add("no group: " + create(nc, "PRI", "P0", "{\"name\":\"P0\"," + ack + ",\"priority_policy\":\"prioritized\"}"));
            out.add("created: " + create(nc, "PRI", "W", "{\"name\":\"W\"," + ack
                    + ",\"priority_policy\":\"prioritized\",\"priority_groups\":[\"jobs\"]}"));
            Subscription checks = nc.subscribe("_INBOX.prichecks");
            nc.flush(Duration.ofSeconds(1));
            for (String body : new String[] {"{\"batch\":1,\"no_wait\":true}", "{\"batch\":1,\"no_wait\":true,\"group\":\"jobs\",\"priority\":10}",
                    "{\"batch\":1,\"no_wait\":true,\"group\":\"jobs\",\"priority\":-1}",
                    "{\"batch\":1,\"no_wait\":true,\"group\":\"jobs\",\"min_pending\":1}",
                    "{\"batch\":1,\"no_wait\":true,\"group\":\"jobs\",\"id\":\"X\"}",
                    "{\"batch\":1,\"no_wait\":true,\"group\":\"jobs\",\"priority\":9}"}) {
                pull(nc, "_INBOX.prichecks", "PRI", "W", body);
                out.add(body + ": " + next(checks, 2000));
            }
            Subscription low = nc.subscribe("_INBOX.prilow");
            Subscription high = nc.subscribe("_INBOX.prihigh");
            Subscription mid = nc.subscribe("_INBOX.primid");
            nc.flush(Duration.ofSeconds(1));
            String wait = ",\"expires\":3000000000,\"group\":\"jobs\"";
            pull(nc, "_INBOX.prilow", "PRI", "W", "{\"batch\":2,\"priority\":5" + wait + "}");
            pull(nc, "_INBOX.prihigh", "PRI", "W", "{\"batch\":2,\"priority\":0" + wait + "}");
            pull(nc, "_INBOX.primid", "PRI", "W", "{\"batch\":1,\"priority\":3" + wait + "}");
            nc.flush(Duration.ofSeconds(1));
            Thread.sleep(200);
            for (int i = 1; i <= 5; i++) {
                js.publish("pri.a", ("m" + i).getBytes());
            }
            out.add("high: " + next(high, 1500) + ", " + next(high, 1500));
            out.add("mid: " + next(mid, 1500));
            out.add("low: " + next(low, 1500) + ", " + next(low, 1500));
            // two requests of one priority take turns
            Subscription a = nc.subscribe("_INBOX.pria");
            Subscription b = nc.subscribe("_INBOX.prib");
            nc.flush(Duration.ofSeconds(1));
            pull(nc, "_INBOX.pria", "PRI", "W", "{\"batch\":2,\"priority\":1" + wait + "}");
            pull(nc, "_INBOX.prib", "PRI", "W", "{\"batch\":2,\"priority\":1" + wait + "}");
            nc.flush(Duration.ofSeconds(1));
            Thread.sleep(200);
            for (int i = 6; i <= 9; i++) {
                js.publish("pri.a", ("m" + i).getBytes());
            }
            out.add("a: " + next(a, 1500) + ", " + next(a, 1500));
            out.add("b: " + next(b, 1500) + ", " + next(b, 1500));
            jsm.deleteStream("PRI");
            return out;
        });
        assertEquals("high: msg m1, msg m2", seen.get(8), seen.toString());
    }

    @Test
    void pinnedClientGetsEveryMessageUntilUnpinned() throws Exception {
        List<Object> seen = both(nc -> {
            List<Object> out = new ArrayList<>();
            JetStreamManagement jsm = nc.jetStreamManagement();
            JetStream js = nc.jetStream();
            jsm.addStream(StreamConfiguration.builder().name("PN").subjects("pn.>").storageType(StorageType.File).build());
            jsm.addOrUpdateConsumer("PN", ConsumerConfiguration.builder().durable("P").ackPolicy(AckPolicy.Explicit)
                    .priorityPolicy(PriorityPolicy.PinnedClient).priorityGroups("A").build());
            for (int i = 1; i <= 5; i++) {
                js.publish("pn.a", ("m" + i).getBytes());
            }
            Subscription first = nc.subscribe("_INBOX.pnfirst");
            Subscription other = nc.subscribe("_INBOX.pnother");
            nc.flush(Duration.ofSeconds(1));
            pull(nc, "_INBOX.pnfirst", "PN", "P", "{\"batch\":1,\"expires\":2000000000,\"group\":\"A\"}");
            Message m1 = first.nextMessage(Duration.ofSeconds(2));
            String pin = pinOf(m1);
            out.add("first: " + (m1 == null ? "nothing" : new String(m1.getData()) + " pin " + (pin != null && !pin.isEmpty())));
            m1.ack();
            ConsumerInfo ci = jsm.getConsumerInfo("PN", "P");
            out.add("info pinned is the header's: " + pin.equals(ci.getPriorityGroupStates().get(0).getPinnedClientId())
                    + " ts " + (ci.getPriorityGroupStates().get(0).getPinnedTime() != null));
            // another client without the pin waits; the pinned one (carrying its id) is served
            pull(nc, "_INBOX.pnother", "PN", "P", "{\"batch\":1,\"expires\":1000000000,\"group\":\"A\"}");
            pull(nc, "_INBOX.pnfirst", "PN", "P", "{\"batch\":1,\"expires\":1000000000,\"group\":\"A\",\"id\":\"" + pin + "\"}");
            Message m2 = first.nextMessage(Duration.ofSeconds(2));
            out.add("pinned again: " + (m2 == null ? "nothing" : new String(m2.getData()) + " same pin " + pin.equals(pinOf(m2))));
            out.add("other: " + next(other, 1800));
            pull(nc, "_INBOX.pnother", "PN", "P", "{\"batch\":1,\"expires\":1000000000,\"group\":\"A\",\"id\":\"wrong\"}");
            out.add("other with a wrong id: " + next(other, 1800));
            out.add("unpin: " + apiError(() -> jsm.unpinConsumer("PN", "P", "A")));
            // after the unpin the next request without an id is pinned, with a new id
            pull(nc, "_INBOX.pnother", "PN", "P", "{\"batch\":1,\"expires\":1000000000,\"group\":\"A\"}");
            Message m3 = other.nextMessage(Duration.ofSeconds(2));
            String pin2 = pinOf(m3);
            out.add("after unpin: " + (m3 == null ? "nothing" : new String(m3.getData()) + " new pin "
                    + (pin2 != null && !pin2.equals(pin))));
            pull(nc, "_INBOX.pnfirst", "PN", "P", "{\"batch\":1,\"expires\":1000000000,\"group\":\"A\",\"id\":\"" + pin + "\"}");
            out.add("old pin: " + next(first, 1800));
            jsm.deleteStream("PN");
            return out;
        });
        assertEquals("first: m1 pin true", seen.get(0), seen.toString());
        assertTrue(seen.contains("other: 408 Request Timeout"), seen.toString());
        assertTrue(seen.contains("old pin: 423 Nats-Pin-Id mismatch"), seen.toString());
    }

    /** The request that gets the pin is served its whole batch (nats.js fetches 2 at a time; weft once sent it 1). */
    @Test
    void thePinningRequestGetsItsWholeBatch() throws Exception {
        List<Object> seen = both(nc -> {
            List<Object> out = new ArrayList<>();
            JetStreamManagement jsm = nc.jetStreamManagement();
            JetStream js = nc.jetStream();
            jsm.addStream(StreamConfiguration.builder().name("PB").subjects("pb.>").storageType(StorageType.File).build());
            jsm.addOrUpdateConsumer("PB", ConsumerConfiguration.builder().durable("P").ackPolicy(AckPolicy.Explicit)
                    .priorityPolicy(PriorityPolicy.PinnedClient).priorityGroups("A").build());
            for (int i = 1; i <= 5; i++) {
                js.publish("pb.a", ("m" + i).getBytes());
            }
            Subscription sub = nc.subscribe("_INBOX.pbbatch");
            nc.flush(Duration.ofSeconds(1));
            pull(nc, "_INBOX.pbbatch", "PB", "P", "{\"batch\":3,\"expires\":1500000000,\"group\":\"A\"}");
            java.util.Set<String> pins = new java.util.HashSet<>();
            for (int i = 0; i < 4; i++) {
                Message m = sub.nextMessage(Duration.ofMillis(2500));
                if (m == null) {
                    out.add("nothing");
                    break;
                }
                if (m.isStatusMessage()) {
                    out.add(m.getStatus().getCode() + " " + m.getStatus().getMessage());
                    break;
                }
                pins.add(pinOf(m));
                out.add(new String(m.getData(), StandardCharsets.UTF_8));
            }
            out.add("one pin: " + (pins.size() == 1 && !pins.contains(null)));
            jsm.deleteStream("PB");
            return out;
        });
        // the batch done, the request ends with no status
        assertEquals(List.of("m1", "m2", "m3", "nothing", "one pin: true"), seen, seen.toString());
    }

    @Test
    void aPinLapsesAfterPriorityTimeoutWithoutRequests() throws Exception {
        List<Object> seen = both(nc -> {
            List<Object> out = new ArrayList<>();
            JetStreamManagement jsm = nc.jetStreamManagement();
            JetStream js = nc.jetStream();
            jsm.addStream(StreamConfiguration.builder().name("PT").subjects("pt.>").storageType(StorageType.File).build());
            jsm.addOrUpdateConsumer("PT", ConsumerConfiguration.builder().durable("P").ackPolicy(AckPolicy.Explicit)
                    .priorityPolicy(PriorityPolicy.PinnedClient).priorityGroups("A")
                    .priorityTimeout(Duration.ofSeconds(1)).build());
            js.publish("pt.a", "m1".getBytes());
            js.publish("pt.a", "m2".getBytes());
            Subscription a = nc.subscribe("_INBOX.pta");
            Subscription b = nc.subscribe("_INBOX.ptb");
            nc.flush(Duration.ofSeconds(1));
            pull(nc, "_INBOX.pta", "PT", "P", "{\"batch\":1,\"expires\":500000000,\"group\":\"A\"}");
            Message m1 = a.nextMessage(Duration.ofSeconds(2));
            String pin = pinOf(m1);
            out.add("a: " + (m1 == null ? "nothing" : new String(m1.getData())) + " pinned " + (pin != null));
            out.add("timeout " + jsm.getConsumerInfo("PT", "P").getConsumerConfiguration().getPriorityTimeout());
            Thread.sleep(1600);
            out.add("pinned after the timeout: " + jsm.getConsumerInfo("PT", "P").getPriorityGroupStates().get(0)
                    .getPinnedClientId());
            pull(nc, "_INBOX.ptb", "PT", "P", "{\"batch\":1,\"expires\":1000000000,\"group\":\"A\"}");
            Message m2 = b.nextMessage(Duration.ofSeconds(2));
            String pin2 = pinOf(m2);
            out.add("b: " + (m2 == null ? "nothing" : new String(m2.getData())) + " new pin "
                    + (pin2 != null && !pin2.equals(pin)));
            jsm.deleteStream("PT");
            return out;
        });
        assertEquals("b: m2 new pin true", seen.get(3), seen.toString());
    }
}
