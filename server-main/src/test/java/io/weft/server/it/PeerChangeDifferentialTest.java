package io.weft.server.it;

import static io.weft.server.it.ClusteredStreamProcessTest.awaitMetaLeader;
import static io.weft.server.it.ClusteredStreamProcessTest.request;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.Options;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * STREAM.PEER.REMOVE, scaling by STREAM.UPDATE and SERVER.REMOVE, four weft processes against four
 * nats-server 2.15.1 processes with the same configuration ({@link WeftCluster}): the answers'
 * JSON (type, success, errors with their codes and texts) and where the stream ends up (the
 * group after a follower's removal is the other three servers; a scale down keeps the leader; the
 * sizes after scaling; R3→R1→R3 with messages and a durable consumer: the answers' configuration
 * and state, the group after each step, every message kept, the consumer's ack floor and pending
 * count carried over). Left out: timestamps and the {@code _nats.*} metadata.
 */
class PeerChangeDifferentialTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String ACCOUNTS = "accounts {\n  SYS: { users: [{user: sys, password: sys}] }\n"
            + "  APP: { jetstream: enabled, users: [{user: app, password: app}] }\n}\nsystem_account: SYS\n";

    @Test
    @Timeout(300)
    void peerChangesAreAnsweredAsNatsServerAnswersThem() throws Exception {
        Map<String, String> nats = scenario(TestServers.Target.NATS_NEWEST);
        Map<String, String> weft = scenario(TestServers.Target.WEFT);
        System.out.println("peer changes, as both answer: " + weft);
        assertEquals(nats.toString().replace(", ", ",\n"), weft.toString().replace(", ", ",\n"));
    }

    private static Connection as(WeftCluster c, int i, String user) throws Exception {
        return Nats.connect(new Options.Builder().server(c.node(i).url()).userInfo(user, user)
                .connectionTimeout(Duration.ofSeconds(5)).ignoreDiscoveredServers().noReconnect().build());
    }

    private static Map<String, String> scenario(TestServers.Target target) throws Exception {
        Map<String, String> out = new TreeMap<>();
        try (WeftCluster c = WeftCluster.start(4, "D", true, ACCOUNTS, target)) {
            c.awaitRoutes();
            awaitMetaLeader(c);
            TreeSet<String> all = new TreeSet<>();
            for (int i = 0; i < 4; i++) {
                all.add(c.name(i));
            }
            try (Connection nc = as(c, 0, "app")) {
                retry(nc, "$JS.API.STREAM.CREATE.P", "{\"name\":\"P\",\"subjects\":[\"p.>\"],\"num_replicas\":3,"
                        + "\"storage\":\"file\"}", r -> !r.has("error"));
                JsonNode info = retry(nc, "$JS.API.STREAM.INFO.P", "", r -> group(r).size() == 3 && current(r));
                for (int i = 1; i <= 3; i++) {
                    retry(nc, "p.a", "m" + i, r -> r.has("seq"));
                }
                TreeSet<String> before = group(info);
                String leader = info.path("cluster").path("leader").asText();
                String outsider = all.stream().filter(x -> !before.contains(x)).findFirst().orElseThrow();
                String follower = before.stream().filter(x -> !x.equals(leader)).findFirst().orElseThrow();

                out.put("err.unknown", error(request(nc, "$JS.API.STREAM.PEER.REMOVE.NOPE", "{\"peer\":\"" + leader + "\"}")));
                out.put("err.empty", error(request(nc, "$JS.API.STREAM.PEER.REMOVE.P", "")));
                out.put("err.nopeer", error(request(nc, "$JS.API.STREAM.PEER.REMOVE.P", "{\"peer\":\"\"}")));
                out.put("err.notmember", error(request(nc, "$JS.API.STREAM.PEER.REMOVE.P", "{\"peer\":\"" + outsider + "\"}")));
                out.put("err.badjson", error(request(nc, "$JS.API.STREAM.PEER.REMOVE.P", "{\"peer\":1}")));

                out.put("remove.answer", retry(nc, "$JS.API.STREAM.PEER.REMOVE.P", "{\"peer\":\"" + follower + "\"}",
                        r -> true).toString());
                TreeSet<String> want = new TreeSet<>(all);
                want.remove(follower);
                info = retry(nc, "$JS.API.STREAM.INFO.P", "", r -> group(r).equals(want) && current(r));
                out.put("remove.group", "the other three: " + group(info).equals(want));
                out.put("remove.state", info.path("state").path("messages").asText());

                String kept = info.path("cluster").path("leader").asText();
                JsonNode down = retry(nc, "$JS.API.STREAM.UPDATE.P", "{\"name\":\"P\",\"subjects\":[\"p.>\"],"
                        + "\"num_replicas\":2,\"storage\":\"file\"}", r -> !r.has("error"));
                out.put("down.type", down.path("type").asText());
                out.put("down.config", config(down.path("config")));
                info = retry(nc, "$JS.API.STREAM.INFO.P", "", r -> group(r).size() == 2 && current(r));
                out.put("down.kept", "leader kept: " + group(info).contains(kept));
                JsonNode up = retry(nc, "$JS.API.STREAM.UPDATE.P", "{\"name\":\"P\",\"subjects\":[\"p.>\"],"
                        + "\"num_replicas\":3,\"storage\":\"file\"}", r -> !r.has("error"));
                out.put("up.config", config(up.path("config")));
                info = retry(nc, "$JS.API.STREAM.INFO.P", "", r -> group(r).size() == 3 && current(r)
                        && r.path("state").path("messages").asLong() == 3);
                out.put("up.state", info.path("state").path("messages").asText());

                // R3 -> R1 -> R3 with a durable consumer that acked one message
                retry(nc, "$JS.API.CONSUMER.DURABLE.CREATE.P.C", "{\"stream_name\":\"P\",\"config\":{\"durable_name\":\"C\","
                        + "\"ack_policy\":\"explicit\"}}", r -> !r.has("error"));
                out.put("c.first", pullAndAck(nc));
                String r3leader = retry(nc, "$JS.API.STREAM.INFO.P", "", r -> group(r).size() == 3 && current(r))
                        .path("cluster").path("leader").asText();
                JsonNode one = retry(nc, "$JS.API.STREAM.UPDATE.P", "{\"name\":\"P\",\"subjects\":[\"p.>\"],"
                        + "\"num_replicas\":1,\"storage\":\"file\"}", r -> !r.has("error"));
                out.put("r1.type", one.path("type").asText());
                out.put("r1.config", config(one.path("config")));
                info = retry(nc, "$JS.API.STREAM.INFO.P", "", r -> group(r).size() == 1
                        && r.path("state").path("messages").asLong() == 3);
                out.put("r1.kept", "the leader's copy: " + group(info).contains(r3leader));
                retry(nc, "p.a", "m4", r -> r.has("seq"));
                out.put("r1.consumer", consumer(retry(nc, "$JS.API.CONSUMER.INFO.P.C", "", r -> !r.has("error"))));
                out.put("c.second", pullAndAck(nc));
                JsonNode three = retry(nc, "$JS.API.STREAM.UPDATE.P", "{\"name\":\"P\",\"subjects\":[\"p.>\"],"
                        + "\"num_replicas\":3,\"storage\":\"file\"}", r -> !r.has("error"));
                out.put("r3.config", config(three.path("config")));
                info = retry(nc, "$JS.API.STREAM.INFO.P", "", r -> group(r).size() == 3 && current(r)
                        && r.path("state").path("messages").asLong() == 4);
                out.put("r3.state", info.path("state").path("messages").asText() + " " + info.path("state").path("last_seq"));
                retry(nc, "p.a", "m5", r -> r.has("seq"));
                out.put("r3.consumer", consumer(retry(nc, "$JS.API.CONSUMER.INFO.P.C", "",
                        r -> !r.has("error") && r.path("num_pending").asLong() == 3)));
                out.put("c.third", pullAndAck(nc));
            } catch (AssertionError e) {
                for (int i = 0; i < 4; i++) { // what each server logged of the stream, for the failure's reader
                    for (String line : c.node(i).stderr().split("\n")) {
                        if (line.contains("> P") || line.contains("ERR") || line.contains("WRN")) {
                            System.out.println(c.name(i) + ": " + line);
                        }
                    }
                }
                throw e;
            }
            try (Connection sys = as(c, 0, "sys")) {
                out.put("server.err.unknown", error(retry(sys, "$JS.API.SERVER.REMOVE", "{\"peer\":\"nobody\"}", r -> true)));
                out.put("server.err.empty", error(retry(sys, "$JS.API.SERVER.REMOVE", "", r -> true)));
            }
        }
        return out;
    }

    /** One message pulled from durable C and double-acked: "seq data acked" (retried while the consumer moves). */
    private static String pullAndAck(Connection nc) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        String last = null;
        while (System.nanoTime() < deadline) {
            io.nats.client.Message m;
            String inbox = nc.createInbox();
            io.nats.client.Subscription sub = nc.subscribe(inbox);
            try {
                nc.publish("$JS.API.CONSUMER.MSG.NEXT.P.C", inbox, "{\"batch\":1,\"expires\":1000000000}"
                        .getBytes(java.nio.charset.StandardCharsets.UTF_8));
                m = sub.nextMessage(Duration.ofSeconds(2));
            } catch (Exception e) {
                m = null;
                last = e.toString();
            } finally {
                sub.unsubscribe();
            }
            if (m != null && m.getReplyTo() != null && m.getReplyTo().startsWith("$JS.ACK.")) {
                String seq = m.getReplyTo().split("\\.")[5];
                io.nats.client.Message ok = nc.request(m.getReplyTo(), "+ACK".getBytes(java.nio.charset.StandardCharsets.UTF_8),
                        Duration.ofSeconds(5));
                if (ok != null) {
                    return seq + " " + new String(m.getData(), java.nio.charset.StandardCharsets.UTF_8) + " acked:true";
                }
                // an ack nobody answered was not recorded (weft's replica that stops for the peer change
                // before the ack commits does not answer it): the message comes again
                last = "the ack of " + seq + " got no answer";
                continue;
            }
            last = m == null ? last : m.getSubject() + " reply " + m.getReplyTo() + " status " + m.getStatus()
                    + " data " + new String(m.getData(), java.nio.charset.StandardCharsets.UTF_8);
            Thread.sleep(200);
        }
        throw new AssertionError("nothing pulled from C: " + last + "; " + request(nc, "$JS.API.CONSUMER.INFO.P.C", "")
                + "; " + request(nc, "$JS.API.STREAM.INFO.P", ""));
    }

    private static String consumer(JsonNode info) {
        return "ack_floor " + info.path("ack_floor").path("stream_seq").asText() + " delivered "
                + info.path("delivered").path("stream_seq").asText() + " pending " + info.path("num_pending").asText()
                + " ack_pending " + info.path("num_ack_pending").asText();
    }

    private static TreeSet<String> group(JsonNode info) {
        TreeSet<String> names = new TreeSet<>();
        JsonNode cl = info.path("cluster");
        if (!cl.path("leader").asText("").isEmpty()) {
            names.add(cl.path("leader").asText());
        }
        cl.path("replicas").forEach(r -> names.add(r.path("name").asText()));
        return names;
    }

    private static boolean current(JsonNode info) {
        boolean ok = !info.path("cluster").path("leader").asText("").isEmpty();
        for (JsonNode r : info.path("cluster").path("replicas")) {
            ok &= r.path("current").asBoolean();
        }
        return ok;
    }

    private static String config(JsonNode cfg) {
        ObjectNode o = cfg.deepCopy();
        o.remove("metadata");
        return o.toString();
    }

    private static String error(JsonNode r) {
        return r == null ? "no answer" : r.path("type").asText() + " " + r.path("error").toString();
    }

    private static JsonNode retry(Connection nc, String subject, String body, Predicate<JsonNode> done) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        JsonNode last = null;
        while (System.nanoTime() < deadline) {
            try {
                last = request(nc, subject, body);
            } catch (Exception e) {
                last = null;
            }
            if (last != null && done.test(last)) {
                return last;
            }
            Thread.sleep(200);
        }
        throw new AssertionError(subject + " never answered as expected: " + last);
    }
}
