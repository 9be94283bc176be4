package io.weft.server.it;

import static io.weft.server.it.ClusterApi.retry;

import static io.weft.server.it.ClusteredStreamProcessTest.awaitMetaLeader;
import static io.weft.server.it.ClusteredStreamProcessTest.connect;
import static io.weft.server.it.ClusteredStreamProcessTest.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.fasterxml.jackson.databind.JsonNode;
import io.nats.client.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Consumers of a replicated stream, three weft processes against three nats-server 2.15.1
 * processes with the same configuration ({@link WeftCluster}): the {@code cluster} object of
 * CONSUMER.CREATE, INFO and LIST (its fields, the replicas' fields, who is listed), that of a
 * consumer of an R1 stream, and CONSUMER.LEADER.STEPDOWN: its success answer, that the consumer's
 * leader moves (to the preferred server when one is named), and its errors for an unknown stream
 * or consumer, an unknown or already leading preferred server and a body that is not JSON. weft's
 * consumer lives in its stream's Raft group (so its {@code raft_group} is the stream's, and the
 * stream moves with it); nats-server's has a group of its own. {@code system_account} and
 * {@code traffic_account}, which nats-server adds and weft does not show, are left out of the
 * comparison (as they are of STREAM.INFO's).
 */
class ClusteredConsumerDifferentialTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @Test
    @Timeout(240)
    void consumerClusterInfoAndStepdownMatchNatsServer() throws Exception {
        Map<String, String> nats = scenario(TestServers.Target.NATS_NEWEST);
        Map<String, String> weft = scenario(TestServers.Target.WEFT);
        assertEquals(nats.toString().replace(", ", ",\n"), weft.toString().replace(", ", ",\n"));
    }

    private static Map<String, String> scenario(TestServers.Target target) throws Exception {
        Map<String, String> out = new TreeMap<>();
        try (WeftCluster c = WeftCluster.start(3, "S", true, "", target)) {
            c.awaitRoutes();
            awaitMetaLeader(c);
            try (Connection nc = connect(c.node(0))) {
                retry(nc, "$JS.API.STREAM.CREATE.S", "{\"name\":\"S\",\"subjects\":[\"s.>\"],\"num_replicas\":3,"
                        + "\"retention\":\"workqueue\"}", r -> !r.has("error"));
                retry(nc, "$JS.API.STREAM.CREATE.ONE", "{\"name\":\"ONE\",\"subjects\":[\"one.>\"],\"num_replicas\":1}",
                        r -> !r.has("error"));
                JsonNode created = retry(nc, "$JS.API.CONSUMER.DURABLE.CREATE.S.C",
                        "{\"stream_name\":\"S\",\"config\":{\"durable_name\":\"C\",\"ack_policy\":\"explicit\"}}",
                        r -> !r.has("error"));
                out.put("create.cluster", clusterShape(created.path("cluster")));
                JsonNode info = retry(nc, "$JS.API.CONSUMER.INFO.S.C", "",
                        r -> r.path("cluster").path("replicas").size() == 2 && r.path("cluster").has("leader"));
                out.put("info.cluster", clusterShape(info.path("cluster")));
                out.put("info.names", members(info.path("cluster")));
                JsonNode list = retry(nc, "$JS.API.CONSUMER.LIST.S", "",
                        r -> r.path("consumers").path(0).path("cluster").path("replicas").size() == 2);
                out.put("list.cluster", clusterShape(list.path("consumers").path(0).path("cluster")));
                JsonNode d = retry(nc, "$JS.API.CONSUMER.DURABLE.CREATE.ONE.D",
                        "{\"stream_name\":\"ONE\",\"config\":{\"durable_name\":\"D\",\"ack_policy\":\"explicit\"}}",
                        r -> !r.has("error"));
                out.put("r1.cluster", clusterShape(d.path("cluster")));
                out.put("r1.leader.known", String.valueOf(members(d.path("cluster")).matches("\\[S[123]\\]")));

                String sd = "$JS.API.CONSUMER.LEADER.STEPDOWN.";
                out.put("stepdown.r1", request(nc, sd + "ONE.D", "").toString());
                out.put("stepdown.nostream", request(nc, sd + "NOPE.C", "").toString());
                out.put("stepdown.noconsumer", request(nc, sd + "S.NOPE", "").toString());
                out.put("stepdown.unknown", request(nc, sd + "S.C", "{\"placement\":{\"preferred\":\"NX\"}}").toString());
                JsonNode bad = request(nc, sd + "S.C", "{bad");
                out.put("stepdown.badjson", bad.path("error").path("code").asText() + "/"
                        + bad.path("error").path("err_code").asText() + "/"
                        + bad.path("error").path("description").asText().startsWith("invalid JSON: "));
                String leader = info.path("cluster").path("leader").asText();
                out.put("stepdown.self", request(nc, sd + "S.C",
                        "{\"placement\":{\"preferred\":\"" + leader + "\"}}").toString().replace(leader, "LEADER"));

                // a plain stepdown: success, and the consumer's leader moves
                out.put("stepdown", request(nc, sd + "S.C", "").toString());
                JsonNode moved = retry(nc, "$JS.API.CONSUMER.INFO.S.C", "", r -> {
                    String l = r.path("cluster").path("leader").asText("");
                    return !l.isEmpty() && !l.equals(leader) && r.path("cluster").path("replicas").size() == 2;
                });
                String second = moved.path("cluster").path("leader").asText();
                assertNotEquals(leader, second);
                out.put("moved.names", members(moved.path("cluster")));
                // to a preferred server: the one that led first
                JsonNode pref = retry(nc, sd + "S.C", "{\"placement\":{\"preferred\":\"" + leader + "\"}}",
                        r -> r.path("success").asBoolean());
                out.put("stepdown.preferred", pref.toString());
                JsonNode back = retry(nc, "$JS.API.CONSUMER.INFO.S.C", "",
                        r -> r.path("cluster").path("leader").asText("").equals(leader));
                out.put("preferred.leads", String.valueOf(back.path("cluster").path("leader").asText().equals(leader)));
            }
        }
        return out;
    }


    /** The fields of a cluster object and of its replicas (without nats-server's system/traffic account). */
    private static String clusterShape(JsonNode cluster) {
        assertNotNull(cluster);
        TreeSet<String> keys = new TreeSet<>();
        cluster.fieldNames().forEachRemaining(keys::add);
        keys.remove("system_account");
        keys.remove("traffic_account");
        List<String> reps = new ArrayList<>();
        for (JsonNode r : cluster.path("replicas")) {
            TreeSet<String> rk = new TreeSet<>();
            r.fieldNames().forEachRemaining(rk::add);
            rk.remove("lag"); // present only while a replica lags: timing, not shape
            reps.add(rk.toString());
        }
        return keys + " replicas=" + reps;
    }

    /** The leader and the replicas' names, sorted. */
    private static String members(JsonNode cluster) {
        TreeSet<String> names = new TreeSet<>();
        names.add(cluster.path("leader").asText());
        for (JsonNode r : cluster.path("replicas")) {
            names.add(r.path("name").asText());
        }
        return names.toString();
    }
}
