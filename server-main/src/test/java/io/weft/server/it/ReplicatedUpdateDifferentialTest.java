package io.weft.server.it;

import static io.weft.server.it.ClusterApi.retry;

import static io.weft.server.it.ClusteredStreamProcessTest.awaitMetaLeader;
import static io.weft.server.it.ClusteredStreamProcessTest.connect;
import static io.weft.server.it.ClusteredStreamProcessTest.request;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.nats.client.Connection;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * STREAM.UPDATE of an R3 stream, three weft processes against three nats-server 2.15.1 processes
 * with the same configuration ({@link WeftCluster}): the update's answer (its type, the whole
 * configuration, the state after a lowered max_msgs), STREAM.INFO's configuration and state asked
 * through every server afterwards, a publish to the added subject, and the errors of updates
 * nats-server refuses (storage type, subject overlap with another stream, an unknown stream, a
 * name mismatch). Left out of the comparison: timestamps, and the {@code _nats.*} metadata (the API
 * level each server announces).
 */
class ReplicatedUpdateDifferentialTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @Test
    @Timeout(240)
    void anR3UpdateIsAnsweredAsNatsServerAnswersIt() throws Exception {
        Map<String, String> nats = scenario(TestServers.Target.NATS_NEWEST);
        Map<String, String> weft = scenario(TestServers.Target.WEFT);
        System.out.println("STREAM.UPDATE of an R3 stream, as both answer: " + weft);
        assertEquals(nats.toString().replace(", ", ",\n"), weft.toString().replace(", ", ",\n"));
    }

    private static final String UPDATE = "{\"name\":\"U\",\"subjects\":[\"u.>\",\"extra\"],\"num_replicas\":3,"
            + "\"storage\":\"file\",\"max_msgs\":4,\"description\":\"after\",\"max_msgs_per_subject\":3,"
            + "\"discard\":\"old\",\"max_age\":3600000000000}";

    private static Map<String, String> scenario(TestServers.Target target) throws Exception {
        Map<String, String> out = new TreeMap<>();
        try (WeftCluster c = WeftCluster.start(3, "S", true, "", target)) {
            c.awaitRoutes();
            awaitMetaLeader(c);
            try (Connection nc = connect(c.node(0))) {
                retry(nc, "$JS.API.STREAM.CREATE.U", "{\"name\":\"U\",\"subjects\":[\"u.>\"],\"num_replicas\":3,"
                        + "\"storage\":\"file\"}", r -> !r.has("error"));
                retry(nc, "$JS.API.STREAM.CREATE.OTHER", "{\"name\":\"OTHER\",\"subjects\":[\"other\"],\"num_replicas\":3}",
                        r -> !r.has("error"));
                retry(nc, "$JS.API.STREAM.INFO.U", "", r -> r.path("cluster").path("replicas").size() == 2);
                for (int i = 1; i <= 6; i++) {
                    JsonNode ack = retry(nc, "u." + (i % 2 == 0 ? "a" : "b"), "m" + i, r -> r.has("seq"));
                    out.put("ack." + i, ack.toString());
                }
                JsonNode upd = retry(nc, "$JS.API.STREAM.UPDATE.U", UPDATE, r -> !r.has("error"));
                out.put("update.type", upd.path("type").asText());
                out.put("update.config", config(upd.path("config")));
                out.put("update.state", state(upd.path("state")));
                out.put("extra.ack", retry(nc, "extra", "x7", r -> r.has("seq")).toString());
                for (int i = 0; i < 3; i++) {
                    try (Connection each = connect(c.node(i))) {
                        JsonNode info = retry(each, "$JS.API.STREAM.INFO.U", "",
                                r -> r.path("state").path("last_seq").asLong() == 7);
                        out.put("info." + i + ".config", config(info.path("config")));
                        out.put("info." + i + ".state", state(info.path("state")));
                    }
                }
                out.put("err.storage", error(request(nc, "$JS.API.STREAM.UPDATE.U",
                        UPDATE.replace("\"storage\":\"file\"", "\"storage\":\"memory\""))));
                out.put("err.overlap", error(request(nc, "$JS.API.STREAM.UPDATE.U",
                        UPDATE.replace("\"extra\"", "\"other\""))));
                out.put("err.unknown", error(request(nc, "$JS.API.STREAM.UPDATE.NOPE",
                        UPDATE.replace("\"name\":\"U\"", "\"name\":\"NOPE\""))));
                out.put("err.mismatch", error(request(nc, "$JS.API.STREAM.UPDATE.U",
                        UPDATE.replace("\"name\":\"U\"", "\"name\":\"V\""))));
            }
        }
        return out;
    }

    /** The configuration without the API-level metadata each server announces. */
    private static String config(JsonNode cfg) {
        ObjectNode o = cfg.deepCopy();
        o.remove("metadata");
        return o.toString();
    }

    private static String state(JsonNode st) {
        return "messages=" + st.path("messages").asLong() + " first=" + st.path("first_seq").asLong() + " last="
                + st.path("last_seq").asLong() + " subjects=" + st.path("num_subjects").asLong() + " bytes="
                + st.path("bytes").asLong();
    }

    private static String error(JsonNode r) {
        return r == null ? "no answer" : r.path("type").asText() + " " + r.path("error").toString();
    }

}
